-- Output requests out of the SPE (EHDS Art. 73): the request, each version's files with
-- their checksums and automated checks, and every step (append-only; the state is a fold).
CREATE TABLE output_requests (
    id TEXT PRIMARY KEY,
    requester TEXT NOT NULL,
    organisation TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE output_files (
    request_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    checks TEXT NOT NULL,
    PRIMARY KEY (request_id, version, name)
);
CREATE TABLE output_events (
    request_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    command TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);
-- Significant findings (Art. 61(5)): a pseudonym of the permit and the reason, never a
-- personnummer (the re-identification is recomputed for the data holder when it is read).
CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    reporter TEXT NOT NULL,
    organisation TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE finding_events (
    finding_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    step TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (finding_id, seq)
);
-- Publications of a permit's results (Art. 61(4)).
CREATE TABLE publications (
    permit_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    reference TEXT NOT NULL,
    published_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (permit_id, seq)
);
