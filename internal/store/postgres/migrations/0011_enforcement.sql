-- What was done about an alert beyond reviewing it: a connector's action
-- on the platform (a server notice to a member, a room closed). Once per
-- alert, action and target, so a repeated pass does nothing twice.
CREATE TABLE alert_actions (
    id       BIGSERIAL PRIMARY KEY,
    alert_id BIGINT NOT NULL REFERENCES alerts(id),
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    result   TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    UNIQUE (alert_id, action, target)
);

-- Enforcement on the Matrix homeserver for rooms outside the registry, off
-- until a security officer turns it on. The admin token is what Charter
-- sends the homeserver's admin API, so it is kept as is, like the as_token.
CREATE TABLE matrix_enforcement (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    notice      BOOLEAN NOT NULL,
    close_after BIGINT NOT NULL, -- seconds after the room's creation; 0: never close
    admin_token TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The history of each Matrix room bound to a group, fetched once through
-- /messages: done, or waiting with the reason (the bot was not let in).
CREATE TABLE matrix_backfills (
    room_id    TEXT PRIMARY KEY,
    group_id   BIGINT NOT NULL,
    done       BOOLEAN NOT NULL,
    events     INTEGER NOT NULL,
    detail     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
