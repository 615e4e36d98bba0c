-- Archive: messages on a hash chain, their search index, recalls, quarantine,
-- pull cursors and legal holds.

-- id is the message's place in the "archive" chain. A purge keeps the row as a
-- tombstone: body emptied, purged_at set, its envelope and all hashes kept.
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    platform       TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    room_id        TEXT NOT NULL,
    sender         TEXT NOT NULL,
    sent_at        TIMESTAMP NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    attachments    TEXT NOT NULL,
    amount_fen     INTEGER,
    transfer_count INTEGER,
    transfer_type  TEXT,
    recalls        TEXT NOT NULL,
    raw            BLOB NOT NULL,
    group_id       INTEGER,
    username       TEXT NOT NULL,
    captured_at    TIMESTAMP NOT NULL,
    body_hash      TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    purged_at      TIMESTAMP,
    UNIQUE (platform, source_id)
);
CREATE INDEX messages_group ON messages(group_id, id);
CREATE INDEX messages_room ON messages(room_id, id);
CREATE INDEX messages_sender ON messages(sender, id);
CREATE INDEX messages_username ON messages(username, id);

-- Application-side CJK bigrams (see NOTES.md), keyed by messages.id. Contentless:
-- the text lives only in messages; contentless_delete lets a purge drop a row.
CREATE VIRTUAL TABLE messages_fts USING fts5(tok, content='', contentless_delete=1, tokenize='unicode61');

-- A revoke marks the message it recalls; kept apart so the original's hashed
-- content never changes. Keyed by the original's dedupe key, so a revoke that
-- arrives before its original still applies.
CREATE TABLE message_recalls (
    platform    TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    revoke_id   INTEGER NOT NULL REFERENCES messages(id),
    recalled_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, source_id)
);

-- A record delivered again while still quarantined is not kept twice:
-- raw_hash (SHA-256 of the bytes) finds the open item it repeats.
CREATE TABLE quarantine (
    id             INTEGER PRIMARY KEY,
    format         TEXT NOT NULL,
    line           INTEGER NOT NULL,
    error          TEXT NOT NULL,
    raw            BLOB NOT NULL,
    group_id       INTEGER,
    source         TEXT NOT NULL,
    received_at    TIMESTAMP NOT NULL,
    reprocessed_at TIMESTAMP,
    message_id     INTEGER,
    raw_hash       TEXT NOT NULL
);
CREATE INDEX quarantine_open ON quarantine(reprocessed_at, id);
CREATE INDEX quarantine_repeat ON quarantine(format, raw_hash) WHERE reprocessed_at IS NULL;

CREATE TABLE pull_cursors (
    corp       TEXT NOT NULL,
    source     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (corp, source)
);

CREATE TABLE legal_holds (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER,
    username    TEXT NOT NULL,
    from_at     TIMESTAMP,
    to_at       TIMESTAMP,
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL,
    placed_at   TIMESTAMP NOT NULL,
    released_by TEXT NOT NULL DEFAULT '',
    released_at TIMESTAMP
);

INSERT INTO chain_heads (name, seq, hash) VALUES ('archive', 0, '');
