package common

import (
	"context"
	"database/sql"

	"charter/internal/capture"
	"charter/internal/registry"
	"charter/internal/store/sqlutil"
	"time"
)

// RecordRoomFact adds a connector's fact to the inventory. Every field
// moves only for a newer fact than the one that set it (encryption keeps
// the first time it was turned on), so a backfill that brings old events
// after live ones changes nothing it should not.
func (s Shared) RecordRoomFact(ctx context.Context, f *capture.RoomFact, seen time.Time) error {
	if _, err := s.exec(ctx, `INSERT INTO platform_rooms (platform, room_id, first_seen, last_event_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, room_id) DO UPDATE SET last_event_at = CASE
			WHEN excluded.last_event_at > platform_rooms.last_event_at THEN excluded.last_event_at ELSE platform_rooms.last_event_at END`,
		f.Platform, f.RoomID, seen, f.At); err != nil {
		return err
	}
	var err error
	where := ` WHERE platform = ? AND room_id = ?`
	switch f.Type {
	case capture.FactCreate:
		_, err = s.exec(ctx, `UPDATE platform_rooms SET creator = ?, created_at = ?`+where, f.Actor, f.At, f.Platform, f.RoomID)
	case capture.FactName:
		_, err = s.exec(ctx, `UPDATE platform_rooms SET name = ?, name_at = ?`+where+` AND (name_at IS NULL OR name_at <= ?)`,
			f.Value, f.At, f.Platform, f.RoomID, f.At)
	case capture.FactTopic:
		_, err = s.exec(ctx, `UPDATE platform_rooms SET topic = ?, topic_at = ?`+where+` AND (topic_at IS NULL OR topic_at <= ?)`,
			f.Value, f.At, f.Platform, f.RoomID, f.At)
	case capture.FactEncryption:
		_, err = s.exec(ctx, `UPDATE platform_rooms SET encryption = ?, encrypted_at = ?`+where+` AND (encrypted_at IS NULL OR encrypted_at > ?)`,
			f.Value, f.At, f.Platform, f.RoomID, f.At)
	case capture.FactDismiss:
		_, err = s.exec(ctx, `UPDATE platform_rooms SET dismissed_at = ?`+where+` AND dismissed_at IS NULL`, f.At, f.Platform, f.RoomID)
	case capture.FactConsent:
		_, err = s.exec(ctx, `INSERT INTO room_consents (platform, room_id, member, status, changed_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (platform, room_id, member) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at
			WHERE excluded.changed_at >= room_consents.changed_at`, f.Platform, f.RoomID, f.Member, f.Value, f.At)
	case capture.FactMember:
		_, err = s.exec(ctx, `INSERT INTO room_memberships (platform, room_id, source_id, member, membership, actor, reason, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, source_id) DO NOTHING`,
			f.Platform, f.RoomID, f.SourceID, f.Member, f.Membership, f.Actor, f.Value, f.At)
		if err == nil && f.Direct {
			_, err = s.exec(ctx, `UPDATE platform_rooms SET direct = TRUE`+where+` AND NOT direct`, f.Platform, f.RoomID)
		}
	}
	return err
}

const roomColumns = `SELECT r.platform, r.room_id, r.creator, r.created_at, r.name, r.topic, r.encryption, r.encrypted_at, r.direct,
	r.first_seen, r.last_event_at, COALESCE(b.group_id, 0), r.dismissed_at
	FROM platform_rooms r LEFT JOIN group_bindings b ON b.platform = r.platform AND b.room_id = r.room_id`

// Rooms lists the inventory, newest event first, each with its members now.
func (s Shared) Rooms(ctx context.Context, f registry.RoomFilter) ([]registry.Room, error) {
	q, args := roomColumns+` WHERE 1 = 1`, []any{}
	if f.Platform != "" {
		q, args = q+` AND r.platform = ?`, append(args, f.Platform)
	}
	if f.Unregistered {
		q += ` AND b.group_id IS NULL AND NOT r.direct`
	}
	rs, err := list(ctx, s, scanRoom, q+` ORDER BY r.last_event_at DESC, r.room_id`, args...)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if err := s.roomMembers(ctx, &rs[i]); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// Room is one room of the inventory; NotFound when no fact named it.
func (s Shared) Room(ctx context.Context, platform registry.Platform, roomID string) (*registry.Room, error) {
	rs, err := list(ctx, s, scanRoom, roomColumns+` WHERE r.platform = ? AND r.room_id = ?`, platform, roomID)
	r, err := first(rs, err, "no room %s %q in the inventory", platform, roomID)
	if err == nil {
		err = s.roomMembers(ctx, r)
	}
	return r, err
}

func (s Shared) roomMembers(ctx context.Context, r *registry.Room) error {
	ms, err := s.RoomMemberships(ctx, r.Platform, r.RoomID)
	if err != nil {
		return err
	}
	r.Members = registry.CurrentMembers(ms)
	r.Consents, err = list(ctx, s, func(sc Scanner) (registry.Consent, error) {
		var c registry.Consent
		err := sc.Scan(&c.Member, &c.Status, &c.ChangedAt)
		c.ChangedAt = c.ChangedAt.UTC()
		return c, err
	}, `SELECT member, status, changed_at FROM room_consents WHERE platform = ? AND room_id = ? ORDER BY member`, r.Platform, r.RoomID)
	return err
}

func scanRoom(sc Scanner) (registry.Room, error) {
	var r registry.Room
	var created, encrypted, dismissed sql.NullTime
	err := sc.Scan(&r.Platform, &r.RoomID, &r.Creator, &created, &r.Name, &r.Topic, &r.Encryption, &encrypted, &r.Direct,
		&r.FirstSeen, &r.LastEventAt, &r.GroupID, &dismissed)
	r.CreatedAt, r.EncryptedAt, r.DismissedAt = sqlutil.TimePtr(created), sqlutil.TimePtr(encrypted), sqlutil.TimePtr(dismissed)
	sqlutil.UTC(&r.FirstSeen, &r.LastEventAt)
	return r, err
}

// RoomMemberships lists a room's changes of membership, oldest first.
func (s Shared) RoomMemberships(ctx context.Context, platform registry.Platform, roomID string) ([]registry.RoomMembership, error) {
	return list(ctx, s, func(sc Scanner) (registry.RoomMembership, error) {
		var m registry.RoomMembership
		err := sc.Scan(&m.Platform, &m.RoomID, &m.SourceID, &m.Member, &m.Membership, &m.Actor, &m.Reason, &m.At)
		m.At = m.At.UTC()
		return m, err
	}, `SELECT platform, room_id, source_id, member, membership, actor, reason, at FROM room_memberships
		WHERE platform = ? AND room_id = ? ORDER BY at, id`, platform, roomID)
}
