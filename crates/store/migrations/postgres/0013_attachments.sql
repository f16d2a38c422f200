-- Documents an application comes with (the ethics decision, the research plan): PDF only,
-- kept under the data folder by checksum; the row says what each is.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX attachments_of_application ON attachments (application_id);
