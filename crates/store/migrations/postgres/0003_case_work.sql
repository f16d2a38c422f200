-- Who has a case after `take` or `assign`.
ALTER TABLE application_events ADD COLUMN assignee TEXT;

-- Revocations and amendments of a permit; the permit row itself stays as granted.
CREATE TABLE permit_events (
    permit_id TEXT NOT NULL REFERENCES permits (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('revoke', 'amend')),
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (permit_id, seq)
);

-- Data requests (EHDS Art. 69): answered only with protected aggregate tables.
CREATE TABLE data_requests (
    id TEXT PRIMARY KEY,
    requester TEXT NOT NULL,
    organisation TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    answered_by TEXT,
    answered_at TEXT,
    result TEXT
);
