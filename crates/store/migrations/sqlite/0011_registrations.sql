-- The diarium: every application, data request and output request gets a registration
-- number when the HDAB receives it, in one series per year (`2026/01234`, the format a
-- setting).
CREATE TABLE registrations (
    object_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL UNIQUE,
    registered_at TEXT NOT NULL
);
CREATE UNIQUE INDEX registrations_by_year ON registrations (year, seq);
