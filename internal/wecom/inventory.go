package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"charter/internal/archive"
	"charter/internal/capture"
	"charter/internal/errs"
	"charter/internal/registry"
)

// Rooms is the registry's inventory of rooms.
type Rooms interface {
	RecordRoomFacts(ctx context.Context, facts []capture.RoomFact) error
	Room(ctx context.Context, platform registry.Platform, roomID string) (*registry.Room, error)
}

// Archive takes the system lines that record a group's creation, so the
// scan judges an unregistered group from then, before any message.
type Archive interface {
	Ingest(ctx context.Context, r io.Reader, b archive.Batch, progress func(archive.Result)) (*archive.Result, error)
}

// Groups is what the inventory reads of WeCom's groups: customer groups
// through the customer-contact app, internal ones through the archive app.
type Groups interface {
	GroupChatIDs(ctx context.Context, f GroupChatFilter) ([]string, error)
	GroupChat(ctx context.Context, chatID string, needName bool) (*GroupChat, error)
}

// ArchiveRooms resolves internal rooms seen in the archive.
type ArchiveRooms interface {
	ArchiveRoom(ctx context.Context, roomID string) (*Room, error)
	RoomAgreements(ctx context.Context, roomID string) ([]Agreement, error)
}

// Inventory keeps the registry's picture of WeCom's groups current without
// reading a message: customer groups listed and followed through the
// change_external_chat callbacks, internal groups resolved when the
// archive first names them.
type Inventory struct {
	Rooms   Rooms
	Archive Archive
	Groups  Groups       // nil: no customer-contact secret
	Audit   ArchiveRooms // nil: no archive secret
	Now     func() time.Time
}

// SyncCustomerGroups lists every customer group and records what each is:
// creator, name, creation time and members. A group already known is read
// again (its name or members may have changed); each fact is stored once.
func (v *Inventory) SyncCustomerGroups(ctx context.Context) (int, error) {
	if v.Groups == nil {
		return 0, nil
	}
	ids, err := v.Groups.GroupChatIDs(ctx, GroupChatFilter{})
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := v.customerGroup(ctx, id, nil); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// customerGroup reads one customer group and records it; event, when a
// callback brought it, is kept as the raw source of its system line.
func (v *Inventory) customerGroup(ctx context.Context, chatID string, event []byte) error {
	g, err := v.Groups.GroupChat(ctx, chatID, true)
	if err != nil {
		return errs.Wrap(err, "read customer group "+chatID)
	}
	at := g.CreateTime.UTC()
	joins := make([]join, len(g.Members))
	for i, m := range g.Members {
		joins[i] = join{m.UserID, m.Invitor, m.JoinTime}
	}
	facts := v.groupFacts("wecom-group:", g.ChatID, g.Owner, g.Name, at, joins)
	facts = append(facts, v.leaves(ctx, g.ChatID, joins)...)
	if err := v.Rooms.RecordRoomFacts(ctx, facts); err != nil {
		return err
	}
	return v.created(ctx, g.ChatID, g.Owner, g.Name, at, event)
}

// join is a member of a group as WeCom lists it; by is who invited them,
// when WeCom says.
type join struct {
	member, by string
	at         time.Time
}

// groupFacts are a WeCom group's creation, name and members, each with a
// source ID of its own under prefix so a fact read again is stored once.
func (v *Inventory) groupFacts(prefix, roomID, creator, name string, created time.Time, joins []join) []capture.RoomFact {
	facts := []capture.RoomFact{
		{Platform: "wecom", RoomID: roomID, SourceID: prefix + roomID + ":create", At: created, Actor: creator, Type: capture.FactCreate},
		{Platform: "wecom", RoomID: roomID, SourceID: prefix + roomID + ":name:" + name, At: v.Now().UTC(), Actor: creator, Type: capture.FactName, Value: name},
	}
	for _, j := range joins {
		actor := j.by
		if actor == "" {
			actor = j.member
		}
		facts = append(facts, capture.RoomFact{Platform: "wecom", RoomID: roomID, At: j.at.UTC(), Actor: actor, Type: capture.FactMember,
			SourceID: prefix + roomID + ":join:" + j.member + ":" + strconv.FormatInt(j.at.Unix(), 10), Member: j.member, Membership: "join"})
	}
	return facts
}

// leaves are the members the inventory has joined and WeCom no longer
// lists: they left (or were removed) since the last read.
func (v *Inventory) leaves(ctx context.Context, roomID string, now []join) []capture.RoomFact {
	r, err := v.Rooms.Room(ctx, "wecom", roomID)
	if err != nil {
		return nil // not known yet: nobody to have left
	}
	present := map[string]bool{}
	for _, j := range now {
		present[j.member] = true
	}
	var out []capture.RoomFact
	at := v.Now().UTC()
	for _, m := range r.Members {
		if !present[m] {
			out = append(out, capture.RoomFact{Platform: "wecom", RoomID: roomID, At: at, Actor: m, Type: capture.FactMember,
				SourceID: "wecom-group:" + roomID + ":leave:" + m + ":" + strconv.FormatInt(at.Unix(), 10), Member: m, Membership: "leave"})
		}
	}
	return out
}

// created archives the group's creation as a system line, once (its
// source ID is the group's), so an unregistered group's alert is raised by
// the same scan as every other, from its creation. raw is the callback
// event, or the facts when the group was found by listing.
func (v *Inventory) created(ctx context.Context, roomID, owner, name string, at time.Time, raw []byte) error {
	if at.IsZero() {
		at = v.Now().UTC()
	}
	m := capture.Message{Platform: "wecom", SourceID: "wecom-group:" + roomID + ":create", RoomID: roomID, Sender: owner, SentAt: at,
		Kind: capture.KindSystem, Text: fmt.Sprintf("%s created the group %q", owner, name)}
	if len(raw) > 0 {
		m.Raw, _ = json.Marshal(map[string]string{"callback": string(raw)})
	}
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = v.Archive.Ingest(ctx, bytes.NewReader(append(line, '\n')), archive.Batch{Format: "ndjson", Source: "wecom-inventory"}, nil)
	return err
}

// InternalRoom resolves an internal group the archive named and records
// it, with the members' consent to being archived (check_room_agree).
func (v *Inventory) InternalRoom(ctx context.Context, roomID string) error {
	if v.Audit == nil {
		return nil
	}
	r, err := v.Audit.ArchiveRoom(ctx, roomID)
	if err != nil {
		return errs.Wrap(err, "read internal group "+roomID)
	}
	joins := make([]join, len(r.Members))
	for i, m := range r.Members {
		joins[i] = join{member: m.UserID, at: m.JoinTime}
	}
	facts := v.groupFacts("wecom-room:", roomID, r.Creator, r.Name, r.CreateTime.UTC(), joins)
	as, err := v.Audit.RoomAgreements(ctx, roomID)
	if err != nil {
		return errs.Wrap(err, "read the consent of internal group "+roomID)
	}
	for _, a := range as {
		status := "disagree"
		if a.Agreed() {
			status = "agree"
		}
		facts = append(facts, capture.RoomFact{Platform: "wecom", RoomID: roomID, At: a.ChangedAt.UTC(), Actor: a.ExternalOpenID, Type: capture.FactConsent,
			SourceID: "wecom-room:" + roomID + ":consent:" + a.ExternalOpenID + ":" + strconv.FormatInt(a.ChangedAt.Unix(), 10), Member: a.ExternalOpenID, Value: status})
	}
	return v.Rooms.RecordRoomFacts(ctx, facts)
}

// Callback is what a decrypted callback asks: the archive has more
// (msgaudit_notify: pull now), or a customer group changed.
func (v *Inventory) Callback(ctx context.Context, e *Event, raw []byte, wake func()) error {
	switch {
	case e.Event == EventMsgAuditNotify:
		wake()
	case e.Event == EventChangeExternalChat && e.ChatID != "":
		if e.ChangeType == ChangeDismiss {
			at := e.CreateTime.UTC()
			f := capture.RoomFact{Platform: "wecom", RoomID: e.ChatID, SourceID: "wecom-group:" + e.ChatID + ":dismiss", At: at, Type: capture.FactDismiss}
			return v.Rooms.RecordRoomFacts(ctx, []capture.RoomFact{f})
		}
		if v.Groups == nil {
			return errs.E(errs.Unavailable, "a customer group changed, and no customer-contact secret is set to read it (CHARTER_WECOM_CONTACT_SECRET)")
		}
		return v.customerGroup(ctx, e.ChatID, raw)
	}
	return nil
}

// callbackAge bounds how old a callback's timestamp may be: WeCom sends
// at once, and an old one is a replay of a captured request.
const callbackAge = 5 * time.Minute

// checkTimestamp refuses a callback whose timestamp is far from now.
func checkTimestamp(q url.Values, now time.Time) error {
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return errs.Field("timestamp", "missing or not a number")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > callbackAge || d < -callbackAge {
		return errs.E(errs.Forbidden, "callback timestamp %d is %s from now: refused as a replay", ts, d.Round(time.Second))
	}
	return nil
}
