-- A message whose source gave no sending time (the vendor's own WeCom image
-- example has msgtime 0) is archived at its capture time, and this says so:
-- sent_at is then captured_at, and readers are shown "time unknown". Part of
-- the hashed envelope (archive.ContentHash), so a tombstone keeps it too.
ALTER TABLE messages ADD COLUMN sent_at_unknown BOOLEAN NOT NULL DEFAULT FALSE;

DROP TRIGGER messages_append_only_update;
CREATE TRIGGER messages_append_only_update BEFORE UPDATE ON messages
WHEN NOT (OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL
    AND NEW.id = OLD.id AND NEW.platform = OLD.platform AND NEW.source_id = OLD.source_id AND NEW.room_id = OLD.room_id
    AND NEW.sent_at = OLD.sent_at AND NEW.sent_at_unknown = OLD.sent_at_unknown
    AND NEW.kind = OLD.kind AND NEW.group_id IS OLD.group_id AND NEW.captured_at = OLD.captured_at
    AND NEW.body_hash = OLD.body_hash AND NEW.content_hash = OLD.content_hash AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
    AND NEW.sender = '' AND NEW.text = '' AND NEW.attachments = '' AND NEW.recalls = '' AND NEW.username = '' AND length(NEW.raw) = 0
    AND NEW.amount_fen IS NULL AND NEW.transfer_count IS NULL AND NEW.transfer_type IS NULL)
BEGIN SELECT RAISE(ABORT, 'messages are append-only: only the retention purge may empty one, keeping its envelope and hashes'); END;
