-- Charter as an application service of the organization's Matrix
-- homeserver: the one registration (what Charter checks the homeserver's
-- calls with, the hs_token, kept only as its SHA-256; what it calls the
-- homeserver with, the as_token, kept as it must be sent), and the
-- transactions already taken, so a retried one stores nothing twice.
CREATE TABLE matrix_appservice (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    homeserver_url TEXT NOT NULL,
    server_name    TEXT NOT NULL,
    as_token       TEXT NOT NULL,
    hs_token_hash  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE TABLE matrix_transactions (
    txn_id      TEXT PRIMARY KEY,
    events      INTEGER NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
