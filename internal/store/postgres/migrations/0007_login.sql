-- Failed sign-ins, counted in the store so a restart forgives nothing and
-- several servers share one count: per account (backoff) and per client
-- address (a limit per window). Repeated refusals from one address reach
-- the audit trail as one event per window, with their count.
CREATE TABLE login_failures (
    scope        TEXT NOT NULL, -- user or addr
    key          TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    failures     INTEGER NOT NULL,
    last_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_failures_window ON login_failures(window_start);
