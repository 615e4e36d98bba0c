-- Reports: how often each level files, the self-inspection checklist, and the
-- periodic reports themselves. The checklist is about confidentiality and
-- integrity only; a report never asks about anyone's opinions.
CREATE TABLE report_schedules (
    level      TEXT PRIMARY KEY,
    cadence    TEXT NOT NULL, -- monthly, quarterly or none
    due_days   INTEGER NOT NULL, -- days after the period ends that the report is due
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
INSERT INTO report_schedules (level, cadence, due_days, updated_at, updated_by) VALUES
    ('public', 'quarterly', 15, CURRENT_TIMESTAMP, 'system'),
    ('internal', 'quarterly', 15, CURRENT_TIMESTAMP, 'system'),
    ('sensitive', 'monthly', 10, CURRENT_TIMESTAMP, 'system');

-- Items are never edited in place: a changed text is a new item and the old
-- one is deactivated, and each report keeps the text it was answered with.
CREATE TABLE checklist_items (
    id         INTEGER PRIMARY KEY,
    text_zh    TEXT NOT NULL,
    text_en    TEXT NOT NULL,
    position   INTEGER NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
INSERT INTO checklist_items (text_zh, text_en, position, active, created_at, created_by) VALUES
    ('本群未传播任何涉密信息', 'No classified material was shared in the group', 1, 1, CURRENT_TIMESTAMP, 'system'),
    ('未向外部成员发送工作秘密', 'No work secrets were sent to external members', 2, 1, CURRENT_TIMESTAMP, 'system'),
    ('全体成员均已实名核验', 'Every member is verified', 3, 1, CURRENT_TIMESTAMP, 'system'),
    ('红包和转账符合规定', 'Red envelopes and transfers were within the rules', 4, 1, CURRENT_TIMESTAMP, 'system');

CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    group_id       INTEGER NOT NULL REFERENCES work_groups(id),
    period         TEXT NOT NULL, -- 2026-10 (monthly) or 2026-Q4 (quarterly)
    period_start   TIMESTAMP NOT NULL,
    period_end     TIMESTAMP NOT NULL,
    due_at         TIMESTAMP NOT NULL,
    status         TEXT NOT NULL, -- due, draft, filed
    figures        TEXT NOT NULL, -- JSON, filled by Charter
    checklist      TEXT NOT NULL, -- JSON: the items with their answers
    remarks        TEXT NOT NULL DEFAULT '',
    filed_by_id    INTEGER REFERENCES users(id),
    full_name      TEXT NOT NULL DEFAULT '',
    addr           TEXT NOT NULL DEFAULT '',
    content_sha256 TEXT NOT NULL DEFAULT '',
    filed_at       TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (group_id, period)
);
CREATE INDEX reports_status ON reports(status, due_at);
