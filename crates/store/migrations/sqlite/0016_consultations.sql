-- Consultations: an officer's question to a legal, ethics, data-holder or other-HDAB party
-- about a case (body: permits::consultations::Consultation), and its answer or closing.
CREATE TABLE consultations (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    body TEXT NOT NULL,
    asked_at TEXT NOT NULL
);
CREATE INDEX consultations_of_application ON consultations (application_id);

CREATE TABLE consultation_events (
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (consultation_id, seq)
);
