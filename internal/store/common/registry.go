package common

import (
	"context"

	"charter/internal/registry"
	"charter/internal/store/sqlutil"
)

// RegistryVersion reads the registry's change counter.
func RegistryVersion(ctx context.Context, q sqlutil.Querier) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, `SELECT version FROM registry_version WHERE id = 1`).Scan(&v)
	return v, err
}

// RegistrySnapshot reads what registry.Directory holds. The counter is read
// first: a change committed while the rest is read makes the snapshot newer
// than its version, never older, so the next check reloads it again.
func RegistrySnapshot(ctx context.Context, q sqlutil.Querier) (*registry.SnapshotRows, error) {
	s := &registry.SnapshotRows{}
	var err error
	if s.Version, err = RegistryVersion(ctx, q); err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT platform, room_id, group_id FROM group_bindings`, func(sc scanner) error {
		var b registry.SnapshotBinding
		if err := sc.Scan(&b.Platform, &b.RoomID, &b.GroupID); err != nil {
			return err
		}
		s.Bindings = append(s.Bindings, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT g.id, g.name, g.status, g.level, COALESCE(o.name, ''), r.username
		FROM work_groups g JOIN users r ON r.id = g.responsible_id LEFT JOIN org_units o ON o.id = g.org_unit_id`, func(sc scanner) error {
		var g registry.SnapshotGroup
		if err := sc.Scan(&g.ID, &g.Name, &g.Status, &g.Level, &g.OrgUnit, &g.Responsible); err != nil {
			return err
		}
		s.Groups = append(s.Groups, g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT u.name, COALESCE(p.name, '') FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id`, func(sc scanner) error {
		var u registry.SnapshotUnit
		if err := sc.Scan(&u.Name, &u.Parent); err != nil {
			return err
		}
		s.Units = append(s.Units, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT h.platform, h.handle, u.username, u.real_name, u.verified FROM user_handles h JOIN users u ON u.id = h.user_id`, func(sc scanner) error {
		var h registry.SnapshotHandle
		if err := sc.Scan(&h.Platform, &h.Handle, &h.Username, &h.RealName, &h.Verified); err != nil {
			return err
		}
		s.Handles = append(s.Handles, h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT m.group_id, COALESCE(u.username, ''), m.external_name, m.organization, m.platform, m.handle, m.left_at IS NOT NULL
		FROM group_members m LEFT JOIN users u ON u.id = m.user_id ORDER BY m.id`, func(sc scanner) error {
		var m registry.SnapshotMember
		if err := sc.Scan(&m.GroupID, &m.Username, &m.External, &m.Organization, &m.Platform, &m.Handle, &m.Left); err != nil {
			return err
		}
		s.Members = append(s.Members, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

type scanner interface{ Scan(dest ...any) error }

// each runs a query and calls fn on every row.
func each(ctx context.Context, q sqlutil.Querier, query string, fn func(scanner) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
