-- Durable detection and the registry's change counter (see the SQLite
-- migration of the same number for why each table is there).

CREATE TABLE scan_queue (
    id          BIGSERIAL PRIMARY KEY,
    first_id    BIGINT NOT NULL,
    last_id     BIGINT NOT NULL,
    queued_at   TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
);
CREATE INDEX scan_queue_lease ON scan_queue(lease_until, id);

CREATE TABLE scan_failures (
    message_id BIGINT PRIMARY KEY,
    attempts   INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    rules      BIGINT NOT NULL,
    failed_at  TIMESTAMPTZ NOT NULL,
    next_at    TIMESTAMPTZ NOT NULL,
    alert_id   BIGINT
);
CREATE INDEX scan_failures_next ON scan_failures(next_at);

CREATE INDEX alert_sources_archive ON alert_sources(archive_id);

-- A sender's transfers of the day, asked for every transfer scanned: only
-- transfers are indexed, by sender and time.
CREATE INDEX messages_sender_transfers ON messages(platform, sender, sent_at) WHERE kind IN ('transfer', 'red_envelope');

CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

-- Once per statement: an HR import of thousands of rows moves it once.
CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER group_bindings_version AFTER INSERT OR UPDATE OR DELETE ON group_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER user_handles_version AFTER INSERT OR UPDATE OR DELETE ON user_handles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER group_members_version AFTER INSERT OR UPDATE OR DELETE ON group_members
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER work_groups_version AFTER INSERT OR DELETE OR UPDATE OF name, status, level, org_unit_id, responsible_id ON work_groups
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER org_units_version AFTER INSERT OR UPDATE OR DELETE ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER users_version AFTER UPDATE OF username, real_name, verified, active ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
