-- Tamper evidence, part two (see the SQLite migration of the same number).

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (only the retention purge may empty a message)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER messages_append_only_update BEFORE UPDATE ON messages FOR EACH ROW
WHEN (NOT (OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL
    AND NEW.id = OLD.id AND NEW.platform = OLD.platform AND NEW.source_id = OLD.source_id AND NEW.room_id = OLD.room_id
    AND NEW.sent_at = OLD.sent_at AND NEW.kind = OLD.kind AND NEW.group_id IS NOT DISTINCT FROM OLD.group_id AND NEW.captured_at = OLD.captured_at
    AND NEW.body_hash = OLD.body_hash AND NEW.content_hash = OLD.content_hash AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
    AND NEW.sender = '' AND NEW.text = '' AND NEW.attachments = '' AND NEW.recalls = '' AND NEW.username = '' AND length(NEW.raw) = 0
    AND NEW.amount_fen IS NULL AND NEW.transfer_count IS NULL AND NEW.transfer_type IS NULL))
EXECUTE FUNCTION refuse_change();
CREATE TRIGGER messages_append_only_delete BEFORE DELETE ON messages FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER chain_heads_forward BEFORE UPDATE ON chain_heads FOR EACH ROW
WHEN (NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) OR NEW.name <> OLD.name) EXECUTE FUNCTION refuse_change();
CREATE TRIGGER chain_heads_keep BEFORE DELETE ON chain_heads FOR EACH ROW EXECUTE FUNCTION refuse_change();


CREATE TABLE checkpoints (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    reason    TEXT NOT NULL,
    body      TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Row triggers do not see TRUNCATE: refuse it per statement.
CREATE TRIGGER messages_no_truncate BEFORE TRUNCATE ON messages FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER chain_heads_no_truncate BEFORE TRUNCATE ON chain_heads FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
