package registry

import (
	"context"
	"sync"
)

// Directory answers capture's and detection's questions — which group is
// this room, who holds this handle, what is this group — from one snapshot
// of the registry held in memory. The store keeps a change counter that
// moves (by trigger, on every connection and server) with every change to
// a binding, handle, member, group, org unit or user; Current compares it
// once per call and reloads the whole snapshot when it moved. So there is
// no window in which a room bound a moment ago still reads as unregistered,
// "not found" is as cheap as "found", and one query a batch replaces one a
// message.
type Directory struct {
	store DirectoryStore
	mu    sync.Mutex
	snap  *Snapshot
}

// DirectoryStore is what the directory reads.
type DirectoryStore interface {
	// RegistryVersion is the change counter.
	RegistryVersion(ctx context.Context) (int64, error)
	// RegistrySnapshot reads everything a snapshot holds, with the counter
	// read before it (so a snapshot is never older than its version).
	RegistrySnapshot(ctx context.Context) (*SnapshotRows, error)
}

// NewDirectory returns a directory reading s.
func NewDirectory(s DirectoryStore) *Directory { return &Directory{store: s} }

// Current returns the registry as it is now: the held snapshot if the
// counter has not moved, else a fresh one.
func (d *Directory) Current(ctx context.Context) (*Snapshot, error) {
	v, err := d.store.RegistryVersion(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.snap != nil && d.snap.Version >= v {
		return d.snap, nil
	}
	rows, err := d.store.RegistrySnapshot(ctx)
	if err != nil {
		return nil, err
	}
	d.snap = newSnapshot(rows)
	return d.snap, nil
}

// SnapshotRows is the registry as the store reads it for a snapshot.
type SnapshotRows struct {
	Version  int64
	Bindings []SnapshotBinding
	Groups   []SnapshotGroup
	Units    []SnapshotUnit
	Handles  []SnapshotHandle
	Members  []SnapshotMember
	// Direct are the one-to-one rooms of the inventory, as platform and room.
	Direct [][2]string
}

type SnapshotBinding struct {
	Platform, RoomID string
	GroupID          int64
}

type SnapshotGroup struct {
	ID                                        int64
	Name, Status, Level, OrgUnit, Responsible string
}

type SnapshotUnit struct{ Name, Parent string }

type SnapshotHandle struct {
	Platform, Handle, Username, RealName string
	Verified                             bool
}

// SnapshotMember is one stay in a group (current when !Left), of a user or
// of an external contact known by name, organization and handle.
type SnapshotMember struct {
	GroupID                                            int64
	Username, External, Organization, Platform, Handle string
	Left                                               bool
}

// GroupFacts is what detection needs of a group.
type GroupFacts struct {
	ID          int64
	Name        string
	Status      string
	Level       Level
	OrgUnits    []string // the group's unit, then each ancestor
	Responsible string   // username
	Members     []string // current members: usernames, and "Name (Organization)" for external contacts
}

// Snapshot is the registry at one version; it is never changed once built.
type Snapshot struct {
	Version   int64
	rooms     map[[2]string]int64
	groups    map[int64]*GroupFacts
	handles   map[[2]string]*SnapshotHandle
	members   map[int64]map[string]bool     // group -> current usernames
	externals map[externalKey]*externalStay // the stay that speaks for an external handle
	direct    map[[2]string]bool
}

type externalKey struct {
	group            int64
	platform, handle string
}

type externalStay struct {
	name    string
	current bool
}

func newSnapshot(r *SnapshotRows) *Snapshot {
	s := &Snapshot{Version: r.Version, rooms: make(map[[2]string]int64, len(r.Bindings)), groups: make(map[int64]*GroupFacts, len(r.Groups)),
		handles: make(map[[2]string]*SnapshotHandle, len(r.Handles)), members: map[int64]map[string]bool{}, externals: map[externalKey]*externalStay{},
		direct: make(map[[2]string]bool, len(r.Direct))}
	for _, d := range r.Direct {
		s.direct[d] = true
	}
	for _, b := range r.Bindings {
		s.rooms[[2]string{b.Platform, b.RoomID}] = b.GroupID
	}
	parent := make(map[string]string, len(r.Units))
	for _, u := range r.Units {
		parent[u.Name] = u.Parent
	}
	for _, g := range r.Groups {
		f := &GroupFacts{ID: g.ID, Name: g.Name, Status: g.Status, Level: Level(g.Level), Responsible: g.Responsible}
		// A sensitive period for a parent unit covers its sub-units; the
		// bound guards against a cycle.
		for u := g.OrgUnit; u != "" && len(f.OrgUnits) <= len(r.Units); u = parent[u] {
			f.OrgUnits = append(f.OrgUnits, u)
		}
		s.groups[g.ID] = f
	}
	for i := range r.Handles {
		h := &r.Handles[i]
		s.handles[[2]string{h.Platform, h.Handle}] = h
	}
	// Rows come in stay order: a later stay of the same external handle
	// replaces an earlier one, and a current stay is never replaced by a past one.
	for _, m := range r.Members {
		g := s.groups[m.GroupID]
		switch {
		case m.Username != "":
			if m.Left {
				continue
			}
			if s.members[m.GroupID] == nil {
				s.members[m.GroupID] = map[string]bool{}
			}
			if !s.members[m.GroupID][m.Username] && g != nil {
				g.Members = append(g.Members, m.Username)
			}
			s.members[m.GroupID][m.Username] = true
		case m.External != "":
			if !m.Left && g != nil {
				g.Members = append(g.Members, m.External+" ("+m.Organization+")")
			}
			if m.Handle == "" {
				continue
			}
			k := externalKey{m.GroupID, m.Platform, m.Handle}
			if prev := s.externals[k]; prev == nil || !prev.current {
				s.externals[k] = &externalStay{name: m.External, current: !m.Left}
			}
		}
	}
	return s
}

// RoomGroup returns the group a platform room is bound to.
func (s *Snapshot) RoomGroup(platform, roomID string) (int64, bool) {
	id, ok := s.rooms[[2]string{platform, roomID}]
	return id, ok
}

// Direct reports whether a room is a one-to-one conversation, which is no
// group, registered or not.
func (s *Snapshot) Direct(platform, roomID string) bool { return s.direct[[2]string{platform, roomID}] }

// SenderUser returns the username holding a platform handle.
func (s *Snapshot) SenderUser(platform, handle string) (string, bool) {
	h := s.handles[[2]string{platform, handle}]
	if h == nil {
		return "", false
	}
	return h.Username, true
}

// Group returns a group's facts, or nil.
func (s *Snapshot) Group(id int64) *GroupFacts { return s.groups[id] }

// Sender says who a handle is in a group: a user (and whether a current
// member), else an external contact recorded in the group, else nil.
func (s *Snapshot) Sender(platform, handle string, groupID int64) *Sender {
	if h := s.handles[[2]string{platform, handle}]; h != nil {
		return &Sender{Username: h.Username, Name: h.RealName, Verified: h.Verified, Member: s.members[groupID][h.Username]}
	}
	if e := s.externals[externalKey{groupID, platform, handle}]; e != nil {
		return &Sender{Name: e.name, External: true, Member: e.current}
	}
	return nil
}
