-- How each caller was identified, kept in the audit log (part of an entry's hash when
-- set); how a session was opened (a local password or the identity provider) and, for
-- the provider's, the ID token that ends it there too; each user's operating-system
-- account and identity-provider subject (each names at most one user), e-mail address,
-- language and whether they want notices by e-mail.
ALTER TABLE audit_log ADD COLUMN via TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN id_token TEXT;
ALTER TABLE users ADD COLUMN os_user TEXT;
ALTER TABLE users ADD COLUMN idp_subject TEXT;
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'sv';
ALTER TABLE users ADD COLUMN notify TEXT NOT NULL DEFAULT 'email';
CREATE UNIQUE INDEX users_by_os_user ON users (os_user);
CREATE UNIQUE INDEX users_by_idp_subject ON users (idp_subject);
