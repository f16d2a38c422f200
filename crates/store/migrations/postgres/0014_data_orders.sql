-- Data orders (EHDS Art. 60(1), 68(7)): a grant asks each holder for what the permit needs,
-- due in three months. The order is kept as placed (body: permits::orders::DataOrder); what
-- happened since (one extension, fulfilment by an upload made for it, cancellation) is a
-- numbered event, so racing changes collide on (order_id, seq). An upload that fulfils an
-- order is named by its event: it serves that permit, not the register's other readers.
CREATE TABLE data_orders (
    id TEXT PRIMARY KEY,
    permit_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    body TEXT NOT NULL,
    ordered_at TEXT NOT NULL,
    due_on TEXT NOT NULL
);
CREATE INDEX data_orders_of_permit ON data_orders (permit_id);
CREATE INDEX data_orders_of_holder ON data_orders (holder);

CREATE TABLE data_order_events (
    order_id TEXT NOT NULL REFERENCES data_orders (id),
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    upload_id TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);
CREATE INDEX data_order_events_by_upload ON data_order_events (upload_id);
