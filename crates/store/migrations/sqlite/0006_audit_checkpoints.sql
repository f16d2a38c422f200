-- Signed checkpoints of the audit log: "the log had entry seq with hash head_hash", signed
-- with Ed25519. Copies go into delivery manifests and the public register.
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    head_hash TEXT NOT NULL,
    at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
