-- A permit's pseudonym key version changes only by key rotation (a suspected leak); each
-- change is a row here, so the permit itself stays as granted.
CREATE TABLE permit_key_versions (
    permit_id TEXT NOT NULL REFERENCES permits (id),
    key_version BIGINT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (permit_id, key_version)
);
