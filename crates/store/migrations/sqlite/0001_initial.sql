-- hdab metadata schema, SQLite. Times are RFC 3339 text in UTC; JSON bodies are text.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE dataset_versions (
    dataset_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    holder TEXT NOT NULL,
    description TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL,
    dataset_version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    n_rows INTEGER NOT NULL,
    reference_date TEXT NOT NULL,
    report TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX uploads_by_dataset ON uploads (dataset_id, uploaded_at);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    applicant TEXT NOT NULL,
    organisation TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The state of an application is the fold of its events; (application_id, seq) makes
-- racing transitions collide, so exactly one of them is recorded.
CREATE TABLE application_events (
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq INTEGER NOT NULL,
    command TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE permits (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
    body TEXT NOT NULL,
    granted_at TEXT NOT NULL
);

-- Opt-out registry: keyed hashes only, never a personnummer in clear.
CREATE TABLE optout_events (
    seq INTEGER PRIMARY KEY,
    person_hash TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opt_out', 'opt_in')),
    at TEXT NOT NULL
);
CREATE INDEX optout_events_by_person ON optout_events (person_hash, seq);

CREATE TABLE extractions (
    run_id TEXT PRIMARY KEY,
    permit_id TEXT NOT NULL REFERENCES permits (id),
    dataset_id TEXT NOT NULL,
    upload_id TEXT NOT NULL REFERENCES uploads (id),
    finished_at TEXT NOT NULL,
    manifest TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
