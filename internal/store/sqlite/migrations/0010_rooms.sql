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
    created_at    TIMESTAMP,
    name          TEXT NOT NULL DEFAULT '',
    name_at       TIMESTAMP,
    topic         TEXT NOT NULL DEFAULT '',
    topic_at      TIMESTAMP,
    encryption    TEXT NOT NULL DEFAULT '',
    encrypted_at  TIMESTAMP,
    -- A one-to-one conversation (an invitation marked is_direct) is not a
    -- group: the unregistered-room rule passes it over, as WeCom's single chats.
    direct        BOOLEAN NOT NULL DEFAULT FALSE,
    first_seen    TIMESTAMP NOT NULL,
    last_event_at TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, room_id)
);

-- Every change of membership, once per platform event.
CREATE TABLE room_memberships (
    id         INTEGER PRIMARY KEY,
    platform   TEXT NOT NULL,
    room_id    TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    member     TEXT NOT NULL,
    membership TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TIMESTAMP NOT NULL,
    UNIQUE (platform, source_id)
);
CREATE INDEX room_memberships_room ON room_memberships(platform, room_id, at);

-- Detection reads direct rooms from the registry's snapshot.
CREATE TRIGGER platform_rooms_direct_ins_version AFTER INSERT ON platform_rooms WHEN NEW.direct
    BEGIN UPDATE registry_version SET version = version + 1; END;
CREATE TRIGGER platform_rooms_direct_upd_version AFTER UPDATE OF direct ON platform_rooms WHEN NEW.direct <> OLD.direct
    BEGIN UPDATE registry_version SET version = version + 1; END;
