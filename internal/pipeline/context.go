package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"charter/internal/archive"
	"charter/internal/detect"
	"charter/internal/registry"
)

// scanContext answers the detectors' questions about groups and senders
// from one registry snapshot, and about a sender's earlier transfers from
// the archive.
type scanContext struct {
	snap    *registry.Snapshot
	store   Store
	foreign func(platform, handle string) bool
	bot     func(platform, handle string) bool
}

func (c *scanContext) GroupContext(_ context.Context, groupID int64) (*detect.Group, []string, error) {
	g := c.snap.Group(groupID)
	if g == nil {
		// Judging a bound room without its group would call it
		// unregistered: fail the message and have it retried.
		return nil, nil, fmt.Errorf("group %d is not in the registry", groupID)
	}
	return &detect.Group{ID: strconv.FormatInt(g.ID, 10), Status: g.Status, Level: string(g.Level), OrgUnits: g.OrgUnits}, g.Members, nil
}

// SenderContext says who a handle is in a group. External contacts are not
// employees and have no identity to verify: the external-sender rule is the
// one that speaks for them, so they are not also reported as unverified.
func (c *scanContext) SenderContext(_ context.Context, platform, handle string, groupID int64) (detect.Sender, error) {
	if c.bot != nil && c.bot(platform, handle) {
		return detect.Sender{Resolved: true, Member: true, Verified: true}, nil
	}
	s := c.snap.Sender(platform, handle, groupID)
	if s == nil {
		return detect.Sender{External: c.foreign != nil && c.foreign(platform, handle)}, nil
	}
	return detect.Sender{Resolved: true, Member: s.Member, Verified: s.Verified || s.External, External: s.External}, nil
}

func (c *scanContext) SenderDayTotalFen(ctx context.Context, platform, handle string, day time.Time) (int64, error) {
	y, m, d := day.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, day.Location())
	return c.store.SenderTransferTotal(ctx, platform, handle, start, day)
}

func (c *scanContext) GroupAdmin(_ context.Context, groupID int64) (string, string, error) {
	g := c.snap.Group(groupID)
	if g == nil {
		return "", "", nil
	}
	return g.Responsible, g.Name, nil
}

// Resolver lets the archive resolve rooms and senders, and check the groups
// named by imports and their levels, through the registry's Directory.
type Resolver struct{ Directory *registry.Directory }

func (r Resolver) View(ctx context.Context) (archive.View, error) { return r.Directory.Current(ctx) }

func (r Resolver) GroupExists(ctx context.Context, id int64) (bool, error) {
	_, ok, err := r.GroupLevel(ctx, id)
	return ok, err
}

func (r Resolver) GroupLevel(ctx context.Context, id int64) (string, bool, error) {
	s, err := r.Directory.Current(ctx)
	if err != nil {
		return "", false, err
	}
	g := s.Group(id)
	if g == nil {
		return "", false, nil
	}
	return string(g.Level), true, nil
}
