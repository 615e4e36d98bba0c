-- The attachment lane: each attachment a message names by SHA-256 waits
-- here until its blob has arrived, its text is read (once per blob, kept in
-- attachment_texts) and the detectors have run on it with the message's
-- context. Written in the transaction that archives the message, so no
-- attachment is left unscanned by a crash.
CREATE TABLE attachment_scans (
    id           INTEGER PRIMARY KEY,
    sha256       TEXT NOT NULL,
    message_id   INTEGER NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    queued_at    TIMESTAMP NOT NULL,
    next_at      TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    reason       TEXT NOT NULL DEFAULT '',
    UNIQUE (sha256, message_id, name)
);
CREATE INDEX attachment_scans_due ON attachment_scans(next_at);

-- What was read from a blob: its text by part (page, sheet, slide,
-- archive member) and what could not be read, with why.
CREATE TABLE attachment_texts (
    sha256       TEXT PRIMARY KEY,
    parts        TEXT NOT NULL,
    skipped      TEXT NOT NULL,
    extracted_at TIMESTAMP NOT NULL
);
