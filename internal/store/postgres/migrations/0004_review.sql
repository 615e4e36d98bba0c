-- Detection and review: the detection policy, alerts with the messages that
-- raised them, cases and their notes.

-- The detection policy is one JSON document (detect.Config): it is edited as a
-- whole, validated as a whole by compiling it, and swapped as a whole.
CREATE TABLE detection_config (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    BIGINT NOT NULL,
    config     JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE cases (
    id         BIGSERIAL PRIMARY KEY,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL,
    assignee   TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at  TIMESTAMPTZ,
    resolution TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_status ON cases(status, id);

-- group_id refers to the registry's groups; no foreign key, because an alert
-- outlives a dissolved group and review must not depend on migration order.
CREATE TABLE alerts (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL,
    rule        TEXT NOT NULL,
    category    TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL,
    group_id    BIGINT,
    platform    TEXT NOT NULL,
    room_id     TEXT NOT NULL,
    excerpt     TEXT NOT NULL,
    detail      JSONB NOT NULL,
    count       BIGINT NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    assignee    TEXT NOT NULL DEFAULT '',
    claimed_at  TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    resolved_by TEXT NOT NULL DEFAULT '',
    disposition TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    case_id     BIGINT REFERENCES cases(id)
);
-- One unresolved alert per key: findings aggregate into it.
CREATE UNIQUE INDEX alerts_unresolved_key ON alerts(key) WHERE status <> 'resolved';
CREATE INDEX alerts_status ON alerts(status, id);
CREATE INDEX alerts_category ON alerts(category, id);
CREATE INDEX alerts_group ON alerts(group_id, id);
CREATE INDEX alerts_case ON alerts(case_id);

CREATE TABLE alert_sources (
    id         BIGSERIAL PRIMARY KEY,
    alert_id   BIGINT NOT NULL REFERENCES alerts(id),
    source_id  TEXT NOT NULL,
    archive_id BIGINT NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (alert_id, source_id)
);

CREATE TABLE case_notes (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases(id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_notes_case ON case_notes(case_id, id);
