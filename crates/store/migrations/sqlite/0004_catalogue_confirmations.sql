-- A holder's yearly confirmation that a description is still correct.
CREATE TABLE dataset_confirmations (
    dataset_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    confirmed_by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX dataset_confirmations_by_dataset ON dataset_confirmations (dataset_id, at);
