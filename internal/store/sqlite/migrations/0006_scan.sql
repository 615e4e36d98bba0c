-- Durable detection and the registry's change counter.

-- Every archived chunk is queued here in the transaction that archives it
-- (ids first_id..last_id are contiguous: one writer owns the chain head); the
-- transaction that records the chunk's alerts deletes the row. A row whose
-- lease has run out was left by a crash or a failed scan, and the catch-up
-- scanner takes it.
CREATE TABLE scan_queue (
    id          INTEGER PRIMARY KEY,
    first_id    INTEGER NOT NULL,
    last_id     INTEGER NOT NULL,
    queued_at   TIMESTAMP NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
CREATE INDEX scan_queue_lease ON scan_queue(lease_until, id);

-- A message a detector could not scan: retried with backoff, and a system
-- alert (alert_id) once the retries are spent. rules is the policy version
-- in force at the last attempt.
CREATE TABLE scan_failures (
    message_id INTEGER PRIMARY KEY,
    attempts   INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    rules      INTEGER NOT NULL,
    failed_at  TIMESTAMP NOT NULL,
    next_at    TIMESTAMP NOT NULL,
    alert_id   INTEGER
);
CREATE INDEX scan_failures_next ON scan_failures(next_at);

-- A message scanned again (after a crash, a retry or a rescan) must find the
-- alerts it already raised, resolved ones included.
CREATE INDEX alert_sources_archive ON alert_sources(archive_id);

-- A sender's transfers of the day, asked for every transfer scanned: only
-- transfers are indexed, by sender and time.
CREATE INDEX messages_sender_transfers ON messages(platform, sender, sent_at) WHERE kind IN ('transfer', 'red_envelope');

-- Capture and detection keep the registry's answers in memory; this counter
-- moves with every change to what they read, on every connection and server,
-- so a cache compares one number per batch instead of trusting a clock.
CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE TRIGGER group_bindings_ins_version AFTER INSERT ON group_bindings BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER group_bindings_upd_version AFTER UPDATE ON group_bindings BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER group_bindings_del_version AFTER DELETE ON group_bindings BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER user_handles_ins_version AFTER INSERT ON user_handles BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER user_handles_upd_version AFTER UPDATE ON user_handles BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER user_handles_del_version AFTER DELETE ON user_handles BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER group_members_ins_version AFTER INSERT ON group_members BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER group_members_upd_version AFTER UPDATE ON group_members BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER group_members_del_version AFTER DELETE ON group_members BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER work_groups_ins_version AFTER INSERT ON work_groups BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER work_groups_upd_version AFTER UPDATE OF name, status, level, org_unit_id, responsible_id ON work_groups
    BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER work_groups_del_version AFTER DELETE ON work_groups BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER org_units_ins_version AFTER INSERT ON org_units BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER org_units_upd_version AFTER UPDATE ON org_units BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER org_units_del_version AFTER DELETE ON org_units BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER users_upd_version AFTER UPDATE OF username, real_name, verified, active ON users
    BEGIN UPDATE registry_version SET version = version + 1; END;
