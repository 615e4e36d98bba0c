package registry

import (
	"context"
	"time"

	"charter/internal/account"
	"charter/internal/capture"
)

// Room is a platform room as the inventory knows it from the facts its
// platform reported: no message content, only the room's own name and
// topic, its creator and whether it is encrypted or a one-to-one chat.
type Room struct {
	Platform    Platform   `json:"platform"`
	RoomID      string     `json:"room_id"`
	Creator     string     `json:"creator,omitempty"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	Name        string     `json:"name,omitempty"`
	Topic       string     `json:"topic,omitempty"`
	Encryption  string     `json:"encryption,omitempty"`
	EncryptedAt *time.Time `json:"encrypted_at,omitempty"`
	Direct      bool       `json:"direct"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastEventAt time.Time  `json:"last_event_at"`
	// GroupID is the registered group the room is bound to; 0: none.
	GroupID int64 `json:"group_id,omitempty"`
	// DismissedAt is when the platform dissolved the group.
	DismissedAt *time.Time `json:"dismissed_at,omitempty"`
	// Members are the platform handles joined now.
	Members []string `json:"members"`
	// Consents are the members' answers to being archived, where the
	// platform asks them (WeCom's external contacts).
	Consents []Consent `json:"consents,omitempty"`
}

// Consent is a member's latest answer to being archived.
type Consent struct {
	Member    string    `json:"member"`
	Status    string    `json:"status"` // agree, disagree
	ChangedAt time.Time `json:"changed_at"`
}

// RoomMembership is one change of membership the platform reported.
type RoomMembership struct {
	Platform   Platform  `json:"platform"`
	RoomID     string    `json:"room_id"`
	SourceID   string    `json:"source_id"`
	Member     string    `json:"member"`
	Membership string    `json:"membership"` // join, leave, kick, ban, invite, knock
	Actor      string    `json:"actor"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// RoomFilter narrows the inventory.
type RoomFilter struct {
	Platform Platform
	// Unregistered keeps the rooms bound to no group, one-to-one chats left out.
	Unregistered bool
}

// RoomStore keeps the inventory.
type RoomStore interface {
	// RecordRoomFact adds one fact: a membership once per source event, a
	// room's field only when the fact is newer than what set it.
	RecordRoomFact(ctx context.Context, f *capture.RoomFact, seen time.Time) error
	Rooms(ctx context.Context, f RoomFilter) ([]Room, error)
	Room(ctx context.Context, platform Platform, roomID string) (*Room, error)
	// RoomMemberships lists a room's changes of membership, oldest first.
	RoomMemberships(ctx context.Context, platform Platform, roomID string) ([]RoomMembership, error)
}

// RecordRoomFacts adds what a connector reported about rooms, in one
// transaction. These are machine facts, as frequent as memberships change:
// they are not audited one by one (the archive keeps each as a system line).
func (s *Service) RecordRoomFacts(ctx context.Context, facts []capture.RoomFact) error {
	if len(facts) == 0 {
		return nil
	}
	now := s.now()
	return s.Tx(ctx, func(tx TxStore) error {
		for i := range facts {
			if err := tx.RecordRoomFact(ctx, &facts[i], now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Rooms lists the inventory to those who answer for which rooms exist:
// administrators, auditors and security officers.
func (s *Service) Rooms(ctx context.Context, p *account.Principal, f RoomFilter) ([]Room, error) {
	if err := account.Allow(p, "read the room inventory", account.DirectoryReaders...); err != nil {
		return nil, err
	}
	return s.Store.Rooms(ctx, f)
}

// RoomMembers lists, for each platform room bound to a group, every change
// of membership its platform reported: the registered stays are the
// administrator's word (MemberTimeline), these are the platform's, and a
// difference between them is what a reviewer looks for.
func (s *Service) RoomMembers(ctx context.Context, p *account.Principal, id int64) ([]RoomMembership, error) {
	if _, err := s.readableGroup(ctx, p, id); err != nil {
		return nil, err
	}
	bs, err := s.Store.Bindings(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []RoomMembership{}
	for _, b := range bs {
		ms, err := s.Store.RoomMemberships(ctx, b.Platform, b.RoomID)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// CurrentMembers are the members a room's changes leave joined, in the
// order they joined.
func CurrentMembers(ms []RoomMembership) []string {
	state := map[string]string{}
	var order []string
	for _, m := range ms {
		if _, ok := state[m.Member]; !ok {
			order = append(order, m.Member)
		}
		state[m.Member] = m.Membership
	}
	out := []string{}
	for _, h := range order {
		if state[h] == "join" {
			out = append(out, h)
		}
	}
	return out
}

// Room is one room of the inventory, for the connectors that keep it; NotFound
// when no fact named it.
func (s *Service) Room(ctx context.Context, platform Platform, roomID string) (*Room, error) {
	return s.Store.Room(ctx, platform, roomID)
}
