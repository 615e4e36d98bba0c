-- Tamper evidence, part two: the archive and the audit trail refuse UPDATE
-- and DELETE outside the retention purge, so a mistaken statement fails
-- loudly (a deliberate one must drop these triggers first, and signed
-- checkpoints then show what it changed). A tombstone is the only update a
-- message allows: its body emptied, purged_at set, envelope and hashes kept.
CREATE TRIGGER messages_append_only_update BEFORE UPDATE ON messages
WHEN NOT (OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL
    AND NEW.id = OLD.id AND NEW.platform = OLD.platform AND NEW.source_id = OLD.source_id AND NEW.room_id = OLD.room_id
    AND NEW.sent_at = OLD.sent_at AND NEW.kind = OLD.kind AND NEW.group_id IS OLD.group_id AND NEW.captured_at = OLD.captured_at
    AND NEW.body_hash = OLD.body_hash AND NEW.content_hash = OLD.content_hash AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
    AND NEW.sender = '' AND NEW.text = '' AND NEW.attachments = '' AND NEW.recalls = '' AND NEW.username = '' AND length(NEW.raw) = 0
    AND NEW.amount_fen IS NULL AND NEW.transfer_count IS NULL AND NEW.transfer_type IS NULL)
BEGIN SELECT RAISE(ABORT, 'messages are append-only: only the retention purge may empty one, keeping its envelope and hashes'); END;
CREATE TRIGGER messages_append_only_delete BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'messages are append-only: a purge leaves a tombstone, no row is deleted'); END;
CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER chain_heads_forward BEFORE UPDATE ON chain_heads
WHEN NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) OR NEW.name <> OLD.name
BEGIN SELECT RAISE(ABORT, 'a chain head only moves forward'); END;
CREATE TRIGGER chain_heads_keep BEFORE DELETE ON chain_heads
BEGIN SELECT RAISE(ABORT, 'a chain head is never deleted'); END;

-- Signed checkpoints of every chain's head. The Ed25519 key that signs them
-- lives outside the database; key_id names it (first 8 bytes of the
-- SHA-256 of the public key, hex).
CREATE TABLE checkpoints (
    id        INTEGER PRIMARY KEY,
    at        TIMESTAMP NOT NULL,
    reason    TEXT NOT NULL,
    body      TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

