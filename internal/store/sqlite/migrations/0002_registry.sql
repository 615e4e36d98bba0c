-- Registry: applications and their approval, groups with members, platform
-- bindings and signed statements, user handles, campaigns, notifications.
CREATE TABLE approval_chains (
    org_unit_id INTEGER NOT NULL REFERENCES org_units(id),
    level       TEXT NOT NULL,
    steps       TEXT NOT NULL, -- JSON list of steps
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_unit_id, level)
);

CREATE TABLE applications (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    platform       TEXT NOT NULL,
    planned_at     TIMESTAMP,
    expires_at     TIMESTAMP,
    responsible_id INTEGER REFERENCES users(id),
    level          TEXT NOT NULL,
    members        TEXT NOT NULL, -- JSON list of proposed members
    applicant_id   INTEGER NOT NULL REFERENCES users(id),
    org_unit_id    INTEGER REFERENCES org_units(id),
    status         TEXT NOT NULL,
    round          INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    steps          TEXT NOT NULL, -- JSON: the chain fixed when the round was submitted
    step_since     TIMESTAMP,
    renews_id      INTEGER,
    group_id       INTEGER,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX applications_status ON applications(status, id);
CREATE INDEX applications_applicant ON applications(applicant_id);

CREATE TABLE decisions (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    round          INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    decider_id     INTEGER NOT NULL REFERENCES users(id),
    decision       TEXT NOT NULL,
    comment        TEXT NOT NULL,
    at             TIMESTAMP NOT NULL
);
CREATE INDEX decisions_application ON decisions(application_id, id);

CREATE TABLE work_groups (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES applications(id),
    name             TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    platform         TEXT NOT NULL,
    level            TEXT NOT NULL,
    org_unit_id      INTEGER REFERENCES org_units(id),
    responsible_id   INTEGER NOT NULL REFERENCES users(id),
    status           TEXT NOT NULL,
    established_at   TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    dissolved_reason TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX groups_status ON work_groups(status);
CREATE INDEX groups_responsible ON work_groups(responsible_id);

-- One row per stay in the group: the rows of a group are its timeline of joins and leaves.
CREATE TABLE group_members (
    id            INTEGER PRIMARY KEY,
    group_id      INTEGER NOT NULL REFERENCES work_groups(id),
    user_id       INTEGER REFERENCES users(id),
    external_name TEXT NOT NULL DEFAULT '',
    organization  TEXT NOT NULL DEFAULT '',
    justification TEXT NOT NULL DEFAULT '',
    platform      TEXT NOT NULL DEFAULT '',
    handle        TEXT NOT NULL DEFAULT '',
    joined_at     TIMESTAMP NOT NULL,
    left_at       TIMESTAMP
);
CREATE INDEX group_members_group ON group_members(group_id, user_id);
CREATE INDEX group_members_user ON group_members(user_id);
CREATE INDEX group_members_handle ON group_members(platform, handle);

-- Capture resolves every message's room here, so (platform, room_id) is the key.
CREATE TABLE group_bindings (
    id       INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES work_groups(id),
    platform TEXT NOT NULL,
    room_id  TEXT NOT NULL,
    bound_at TIMESTAMP NOT NULL,
    bound_by TEXT NOT NULL,
    UNIQUE (platform, room_id)
);
CREATE INDEX group_bindings_group ON group_bindings(group_id);

-- And every message's sender here.
CREATE TABLE user_handles (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    platform   TEXT NOT NULL,
    handle     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, handle)
);
CREATE INDEX user_handles_user ON user_handles(user_id);

CREATE TABLE statement_templates (
    version      INTEGER PRIMARY KEY,
    text_zh      TEXT NOT NULL,
    text_en      TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by TEXT NOT NULL
);

CREATE TABLE signatures (
    id               INTEGER PRIMARY KEY,
    group_id         INTEGER NOT NULL REFERENCES work_groups(id),
    user_id          INTEGER NOT NULL REFERENCES users(id),
    template_version INTEGER NOT NULL REFERENCES statement_templates(version),
    language         TEXT NOT NULL,
    text_sha256      TEXT NOT NULL,
    full_name        TEXT NOT NULL,
    addr             TEXT NOT NULL,
    signed_at        TIMESTAMP NOT NULL
);
CREATE INDEX signatures_group ON signatures(group_id, id);

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    level            TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    deadline         TIMESTAMP NOT NULL,
    default_decision TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    closed_at        TIMESTAMP
);

CREATE TABLE recertifications (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    group_id    INTEGER NOT NULL REFERENCES work_groups(id),
    decision    TEXT NOT NULL DEFAULT '',
    members_ok  BOOLEAN NOT NULL DEFAULT 0,
    comment     TEXT NOT NULL DEFAULT '',
    answered_by TEXT NOT NULL DEFAULT '',
    answered_at TIMESTAMP,
    defaulted   BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, group_id)
);

CREATE TABLE declarations (
    id             INTEGER PRIMARY KEY,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    group_id       INTEGER REFERENCES work_groups(id),
    name           TEXT NOT NULL DEFAULT '',
    platform       TEXT NOT NULL DEFAULT '',
    application_id INTEGER REFERENCES applications(id),
    declared_at    TIMESTAMP NOT NULL
);
CREATE INDEX declarations_campaign ON declarations(campaign_id, user_id);

-- dedupe_key makes time-driven notices idempotent: a notice is stored once per user and key.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    object     TEXT NOT NULL,
    message    TEXT NOT NULL,
    dedupe_key TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP,
    UNIQUE (user_id, dedupe_key)
);
CREATE INDEX notifications_user ON notifications(user_id, id);
