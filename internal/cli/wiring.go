package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"charter/internal/archive"
	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/review"
	"charter/internal/store"
)

// The composition root joins domains that do not import each other: these
// adapters answer one domain's questions from another's storage.

// alertFigures counts a group's alerts first seen in [from, to) by category
// and disposition (or status while unresolved), for periodic reports.
func alertFigures(db store.DB) func(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
	return func(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
		out := map[string]map[string]int{}
		f := review.AlertFilter{GroupID: groupID, Limit: 500}
		for {
			as, err := db.Alerts(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				if a.FirstSeen.Before(from) || !a.FirstSeen.Before(to) {
					continue
				}
				key := a.Status
				if a.Disposition != "" {
					key = a.Disposition
				}
				if out[a.Category] == nil {
					out[a.Category] = map[string]int{}
				}
				out[a.Category][key]++
			}
			if len(as) < f.Limit {
				return out, nil
			}
			f.Before = as[len(as)-1].ID
		}
	}
}

// registryLookups lets the archive resolve rooms and senders, and check the
// groups named by imports, through the registry.
type registryLookups struct {
	db      store.DB
	rooms   *ttlCache[[2]string, int64]
	senders *ttlCache[[2]string, string]
}

// lookupTTL is how long capture remembers a room's group and a handle's
// user, and detection a group's and a sender's standing.
const lookupTTL = 2 * time.Second

func newRegistryLookups(db store.DB, now func() time.Time) registryLookups {
	l := registryLookups{db: db, rooms: newTTLCache[[2]string, int64](lookupTTL, now), senders: newTTLCache[[2]string, string](lookupTTL, now)}
	l.rooms.skip = func(id int64) bool { return id == 0 }
	l.senders.skip = func(name string) bool { return name == "" }
	return l
}

func (l registryLookups) ResolveRoom(ctx context.Context, platform, roomID string) (int64, bool, error) {
	id, err := l.rooms.get([2]string{platform, roomID}, func() (int64, error) {
		g, err := l.db.GroupByRoom(ctx, registry.Platform(platform), roomID)
		if err != nil || g == nil {
			return 0, err
		}
		return g.GroupID, nil
	})
	return id, id != 0, err
}

func (l registryLookups) ResolveSender(ctx context.Context, platform, handle string) (string, bool, error) {
	name, err := l.senders.get([2]string{platform, handle}, func() (string, error) {
		s, err := l.db.SenderByHandle(ctx, registry.Platform(platform), handle, 0)
		if err != nil || s == nil {
			return "", err
		}
		return s.Username, nil
	})
	return name, name != "", err
}

func (l registryLookups) GroupExists(ctx context.Context, id int64) (bool, error) {
	_, ok, err := l.GroupLevel(ctx, id)
	return ok, err
}

func (l registryLookups) GroupLevel(ctx context.Context, id int64) (string, bool, error) {
	g, err := l.db.Group(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(g.Level), true, nil
}

// scanContext answers the detectors' questions about groups and senders from
// the registry, and about a sender's earlier transfers from the archive.
type scanContext struct {
	db      store.DB
	groups  *ttlCache[int64, groupContext]
	senders *ttlCache[senderKey, detect.Sender]
}

type groupContext struct {
	group   *detect.Group
	members []string
}

type senderKey struct {
	platform, handle string
	group            int64
}

func newScanContext(db store.DB, now func() time.Time) scanContext {
	return scanContext{db: db, groups: newTTLCache[int64, groupContext](lookupTTL, now), senders: newTTLCache[senderKey, detect.Sender](lookupTTL, now)}
}

// GroupContext returns the group with its org unit and every ancestor (a
// sensitive period for a parent unit covers its sub-units), and its members.
func (c scanContext) GroupContext(ctx context.Context, groupID int64) (*detect.Group, []string, error) {
	gc, err := c.groups.get(groupID, func() (groupContext, error) { return c.loadGroup(ctx, groupID) })
	return gc.group, gc.members, err
}

func (c scanContext) loadGroup(ctx context.Context, groupID int64) (groupContext, error) {
	var none groupContext
	g, err := c.db.Group(ctx, groupID)
	if err != nil {
		return none, err
	}
	units, err := c.db.OrgUnits(ctx)
	if err != nil {
		return none, err
	}
	parent := make(map[string]string, len(units))
	for _, u := range units {
		parent[u.Name] = u.Parent
	}
	var chain []string
	for u := g.OrgUnit; u != "" && len(chain) <= len(units); u = parent[u] {
		chain = append(chain, u)
	}
	ms, err := c.db.Members(ctx, groupID, false)
	if err != nil {
		return none, err
	}
	names := make([]string, 0, len(ms))
	for _, m := range ms {
		switch {
		case m.Username != "":
			names = append(names, m.Username)
		case m.External != "":
			names = append(names, m.External+" ("+m.Organization+")")
		}
	}
	return groupContext{&detect.Group{ID: strconv.FormatInt(g.ID, 10), Status: g.Status, Level: string(g.Level), OrgUnits: chain}, names}, nil
}

// SenderContext says who a handle is in a group. External contacts are not
// employees and have no identity to verify: the external-sender rule is the
// one that speaks for them, so they are not also reported as unverified.
func (c scanContext) SenderContext(ctx context.Context, platform, handle string, groupID int64) (detect.Sender, error) {
	return c.senders.get(senderKey{platform, handle, groupID}, func() (detect.Sender, error) {
		s, err := c.db.SenderByHandle(ctx, registry.Platform(platform), handle, groupID)
		if err != nil || s == nil {
			return detect.Sender{}, err
		}
		return detect.Sender{Resolved: true, Member: s.Member, Verified: s.Verified || s.External, External: s.External}, nil
	})
}

func (c scanContext) SenderDayTotalFen(ctx context.Context, platform, handle string, day time.Time) (int64, error) {
	y, m, d := day.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, day.Location())
	return c.db.SenderTransferTotal(ctx, platform, handle, start, day)
}

func (c scanContext) GroupAdmin(ctx context.Context, groupID int64) (string, string, error) {
	g, err := c.db.Group(ctx, groupID)
	if err != nil {
		return "", "", err
	}
	return g.Responsible, g.Name, nil
}

// notifier stores review's notices as the registry's in-app notifications.
type notifier struct {
	db  store.DB
	now func() time.Time
}

func (n notifier) Notify(ctx context.Context, username, subject, body string) error {
	sum := sha256.Sum256([]byte(username + "\x00" + subject + "\x00" + body))
	_, err := n.db.Notify(ctx, &registry.Notification{Username: username, Kind: "alert", Object: subject, Message: body,
		Key: "alert:" + hex.EncodeToString(sum[:8]), CreatedAt: n.now().UTC()})
	return err
}

// archiveContext reads the messages around an alert for review.
type archiveContext struct{ db store.DB }

func (a archiveContext) MessagesAround(ctx context.Context, platform, roomID string, sourceIDs []string, radius int) ([]review.ContextMessage, error) {
	ms, err := a.db.MessagesAround(ctx, platform, roomID, sourceIDs, radius)
	if err != nil {
		return nil, err
	}
	out := make([]review.ContextMessage, len(ms))
	for i, m := range ms {
		out[i] = review.ContextMessage{ArchiveID: m.ID, Message: m.Message}
	}
	return out, nil
}

// scanArchived hands each committed batch to the detectors, so alerts exist
// before the ingest call answers. Send times are put in the organization's
// zone, where a sender's day of transfers begins. A failed scan is logged;
// the messages stay archived.
func scanArchived(sc *review.Scanner, zone *time.Location) archive.Observer {
	return func(ctx context.Context, batch []archive.Stored) {
		captured := make([]review.Captured, 0, len(batch))
		for i := range batch {
			m := &batch[i]
			c := review.Captured{ArchiveID: m.ID, Msg: m.Message}
			if zone != nil {
				c.Msg.SentAt = c.Msg.SentAt.In(zone)
			}
			if m.GroupID != 0 {
				id := m.GroupID
				c.GroupID = &id
			}
			captured = append(captured, c)
		}
		if _, err := sc.Scan(ctx, captured); err != nil {
			sc.Log.Error("scanning an archived batch failed; its messages are archived but not scanned", "messages", len(batch), "err", err)
		}
	}
}

// messageFigures and transferFigures give periodic reports their numbers.
func messageFigures(db store.DB) func(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
	return func(ctx context.Context, groupID int64, from, to time.Time) (int, int, error) {
		return db.GroupMessageStats(ctx, groupID, from, to)
	}
}

func transferFigures(db store.DB) func(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
	return func(ctx context.Context, groupID int64, from, to time.Time) (int, int64, error) {
		return db.GroupTransferStats(ctx, groupID, from, to)
	}
}
