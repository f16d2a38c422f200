-- Telling people what happened. An event is raised once (time-based events carry a
-- `dedupe` key so that a sweep raises each at most once); each is sent to every recipient
-- who wants e-mail and to every webhook, as one notification apiece. Webhook notifications
-- of one object (a case, a dataset, an output request) go out in the order raised; a failed
-- one is tried again with back-off for up to 12 hours; every attempt is kept.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    dedupe TEXT UNIQUE,
    at TEXT NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id),
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX notifications_due ON notifications (status, next_at);

CREATE TABLE notification_attempts (
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    n INTEGER NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (notification_id, n)
);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    removed_at TEXT
);
