-- Archive: messages on a hash chain with their search index, recalls,
-- quarantine, pull cursors and legal holds.

-- id is the message's place in the "archive" chain. A purge keeps the row as a
-- tombstone: body emptied, purged_at set, its envelope and all hashes kept. raw is BYTEA,
-- not JSONB, because the hash covers its exact bytes.
-- tok holds application-side CJK bigrams and words with positions (see
-- NOTES.md): pg_trgm cannot serve two-character terms.
CREATE TABLE messages (
    id             BIGINT PRIMARY KEY,
    platform       TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    room_id        TEXT NOT NULL,
    sender         TEXT NOT NULL,
    sent_at        TIMESTAMPTZ NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    attachments    TEXT NOT NULL,
    amount_fen     BIGINT,
    transfer_count INTEGER,
    transfer_type  TEXT,
    recalls        TEXT NOT NULL,
    raw            BYTEA NOT NULL,
    group_id       BIGINT,
    username       TEXT NOT NULL,
    captured_at    TIMESTAMPTZ NOT NULL,
    body_hash      TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    purged_at      TIMESTAMPTZ,
    tok            TSVECTOR,
    UNIQUE (platform, source_id)
);
CREATE INDEX messages_group ON messages(group_id, id);
CREATE INDEX messages_room ON messages(room_id, id);
CREATE INDEX messages_sender ON messages(sender, id);
CREATE INDEX messages_username ON messages(username, id);
CREATE INDEX messages_tok ON messages USING GIN (tok);

-- A revoke marks the message it recalls; kept apart so the original's hashed
-- content never changes. Keyed by the original's dedupe key, so a revoke that
-- arrives before its original still applies.
CREATE TABLE message_recalls (
    platform    TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    revoke_id   BIGINT NOT NULL REFERENCES messages(id),
    recalled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, source_id)
);

-- A record delivered again while still quarantined is not kept twice:
-- raw_hash (SHA-256 of the bytes) finds the open item it repeats.
CREATE TABLE quarantine (
    id             BIGSERIAL PRIMARY KEY,
    format         TEXT NOT NULL,
    line           INTEGER NOT NULL,
    error          TEXT NOT NULL,
    raw            BYTEA NOT NULL,
    group_id       BIGINT,
    source         TEXT NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    reprocessed_at TIMESTAMPTZ,
    message_id     BIGINT,
    raw_hash       TEXT NOT NULL
);
CREATE INDEX quarantine_open ON quarantine(reprocessed_at, id);
CREATE INDEX quarantine_repeat ON quarantine(format, raw_hash) WHERE reprocessed_at IS NULL;

CREATE TABLE pull_cursors (
    corp       TEXT NOT NULL,
    source     TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (corp, source)
);

CREATE TABLE legal_holds (
    id          BIGSERIAL PRIMARY KEY,
    group_id    BIGINT,
    username    TEXT NOT NULL,
    from_at     TIMESTAMPTZ,
    to_at       TIMESTAMPTZ,
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL,
    placed_at   TIMESTAMPTZ NOT NULL,
    released_by TEXT NOT NULL DEFAULT '',
    released_at TIMESTAMPTZ
);

INSERT INTO chain_heads (name, seq, hash) VALUES ('archive', 0, '');
