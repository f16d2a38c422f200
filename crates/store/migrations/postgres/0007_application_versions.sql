-- Every submitted version of an application, append-only: its content as it was when the
-- `submit` event with this number was recorded (in the same transaction).
CREATE TABLE application_versions (
    application_id TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (application_id, event_seq)
);
