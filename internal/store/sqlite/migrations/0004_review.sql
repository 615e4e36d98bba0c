-- Detection and review: the detection policy, alerts with the messages that
-- raised them, cases and their notes.

-- The detection policy is one JSON document (detect.Config): it is edited as a
-- whole, validated as a whole by compiling it, and swapped as a whole.
CREATE TABLE detection_config (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    config     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE cases (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL,
    assignee   TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at  TIMESTAMP,
    resolution TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_status ON cases(status, id);

-- group_id refers to the registry's groups; no foreign key, because an alert
-- outlives a dissolved group and review must not depend on migration order.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,
    rule        TEXT NOT NULL,
    category    TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL,
    group_id    INTEGER,
    platform    TEXT NOT NULL,
    room_id     TEXT NOT NULL,
    excerpt     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    count       INTEGER NOT NULL,
    first_seen  TIMESTAMP NOT NULL,
    last_seen   TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    assignee    TEXT NOT NULL DEFAULT '',
    claimed_at  TIMESTAMP,
    resolved_at TIMESTAMP,
    resolved_by TEXT NOT NULL DEFAULT '',
    disposition TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    case_id     INTEGER REFERENCES cases(id)
);
-- One unresolved alert per key: findings aggregate into it.
CREATE UNIQUE INDEX alerts_unresolved_key ON alerts(key) WHERE status <> 'resolved';
CREATE INDEX alerts_status ON alerts(status, id);
CREATE INDEX alerts_category ON alerts(category, id);
CREATE INDEX alerts_group ON alerts(group_id, id);
CREATE INDEX alerts_case ON alerts(case_id);

CREATE TABLE alert_sources (
    id         INTEGER PRIMARY KEY,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id),
    source_id  TEXT NOT NULL,
    archive_id INTEGER NOT NULL,
    sent_at    TIMESTAMP NOT NULL,
    UNIQUE (alert_id, source_id)
);

CREATE TABLE case_notes (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX case_notes_case ON case_notes(case_id, id);
