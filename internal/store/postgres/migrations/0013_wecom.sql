-- WeCom's facts about its groups beyond Matrix's: a group the platform
-- dissolved, and each external member's consent to being archived
-- (check_room_agree), the latest answer kept with when it was given.
ALTER TABLE platform_rooms ADD COLUMN dismissed_at TIMESTAMPTZ;

CREATE TABLE room_consents (
    platform   TEXT NOT NULL,
    room_id    TEXT NOT NULL,
    member     TEXT NOT NULL,
    status     TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, room_id, member)
);
