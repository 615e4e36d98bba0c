-- The registry's inventory of platform rooms, from the facts connectors
-- report with no message content (a Matrix room's creation, name, topic,
-- encryption and memberships): a room running outside the registry is known
-- from its creation. Each field keeps the time of the event that set it, so
-- facts arriving out of order (a backfill after live delivery) never put an
-- older name over a newer one.
CREATE TABLE platform_rooms (
    platform      TEXT NOT NULL,
    room_id       TEXT NOT NULL,
    creator       TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ,
    name          TEXT NOT NULL DEFAULT '',
    name_at       TIMESTAMPTZ,
    topic         TEXT NOT NULL DEFAULT '',
    topic_at      TIMESTAMPTZ,
    encryption    TEXT NOT NULL DEFAULT '',
    encrypted_at  TIMESTAMPTZ,
    -- A one-to-one conversation (an invitation marked is_direct) is not a
    -- group: the unregistered-room rule passes it over, as WeCom's single chats.
    direct        BOOLEAN NOT NULL DEFAULT FALSE,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_event_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, room_id)
);

-- Every change of membership, once per platform event.
CREATE TABLE room_memberships (
    id         BIGSERIAL PRIMARY KEY,
    platform   TEXT NOT NULL,
    room_id    TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    member     TEXT NOT NULL,
    membership TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, source_id)
);
CREATE INDEX room_memberships_room ON room_memberships(platform, room_id, at);

-- Detection reads direct rooms from the registry's snapshot.
CREATE TRIGGER platform_rooms_direct_ins_version AFTER INSERT ON platform_rooms
    FOR EACH ROW WHEN (NEW.direct) EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER platform_rooms_direct_upd_version AFTER UPDATE OF direct ON platform_rooms
    FOR EACH ROW WHEN (NEW.direct IS DISTINCT FROM OLD.direct) EXECUTE FUNCTION bump_registry_version();
