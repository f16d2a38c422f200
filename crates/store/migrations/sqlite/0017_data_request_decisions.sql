-- Data requests (EHDS Art. 69) are decided like applications: approved or refused by a
-- decision maker with reasons, before any answer; the register publishes the decision.
ALTER TABLE data_requests ADD COLUMN decision TEXT;
ALTER TABLE data_requests ADD COLUMN decided_by TEXT;
ALTER TABLE data_requests ADD COLUMN decided_at TEXT;
ALTER TABLE data_requests ADD COLUMN decision_reason TEXT;
