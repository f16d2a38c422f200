-- Fees (EHDS Art. 62): a case's estimate (before the decision), the applicant's acceptance,
-- and the invoice after delivery, as numbered events (body: permits::fees::FeeChange).
CREATE TABLE fee_events (
    application_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);
