-- Sign-ins through the identity provider under way: the state's hash (the browser holds the
-- state in a cookie), the PKCE verifier and the nonce the ID token must carry. A row lives
-- minutes and is taken (deleted) when the provider sends the browser back.
CREATE TABLE oidc_sign_ins (
    state_hash TEXT PRIMARY KEY,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_at TEXT NOT NULL
);
