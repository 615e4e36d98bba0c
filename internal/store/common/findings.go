package common

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"charter/internal/review"
)

// sourcesPerInsert bounds a multi-row insert (4 values a row).
const sourcesPerInsert = 200

// RecordFindings records a scan's findings in one transaction (see recordFindings).
func (s Shared) RecordFindings(ctx context.Context, fs []review.Finding) ([]review.Alert, int, error) {
	var created []review.Alert
	var updated int
	err := s.e.Tx(ctx, func(t Shared) error {
		var err error
		created, updated, err = t.recordFindings(ctx, fs)
		return err
	})
	return created, updated, err
}

// RecordFinding records one finding: created says it made the alert,
// counted that the alert's count moved; a.ID is the alert's.
func (s Shared) RecordFinding(ctx context.Context, a *review.Alert, src review.Source) (created, counted bool, err error) {
	made, updated, err := s.RecordFindings(ctx, []review.Finding{{Alert: *a, Source: src}})
	if err != nil {
		return false, false, err
	}
	if len(made) == 1 {
		a.ID = made[0].ID
		return true, true, nil
	}
	a.ID, err = s.alertWithSource(ctx, a.Key, src)
	return false, updated > 0, err
}

// recordFindings records findings in the caller's transaction, one key at a
// time (fs sorted by key, so concurrent recorders lock alerts in the same
// order): the messages this key already counted — in any alert, resolved
// or not, so a message scanned again never counts twice — are dropped, the
// rest are added as sources of the key's unresolved alert (made if there is
// none) in multi-row inserts, and the alert's count moves once by how many
// were new. It returns the alerts it made (Count and SourceIDs as recorded)
// and how many findings moved an alert without making it.
func (s Shared) recordFindings(ctx context.Context, fs []review.Finding) (created []review.Alert, updated int, err error) {
	for start := 0; start < len(fs); {
		end := start + 1
		for end < len(fs) && fs[end].Alert.Key == fs[start].Alert.Key {
			end++
		}
		a, isNew, n, err := s.recordKey(ctx, fs[start:end])
		if err != nil {
			return nil, 0, err
		}
		if isNew {
			// The first finding made the alert; the others moved it.
			created = append(created, a)
			n--
		}
		updated += n
		start = end
	}
	return created, updated, nil
}

func (s Shared) recordKey(ctx context.Context, fs []review.Finding) (review.Alert, bool, int, error) {
	fresh, err := s.unrecorded(ctx, fs)
	if err != nil || len(fresh) == 0 {
		return review.Alert{}, false, 0, err
	}
	last := fresh[len(fresh)-1].Alert
	first, lastSeen := last.FirstSeen, last.LastSeen
	for _, f := range fresh {
		if f.Alert.FirstSeen.Before(first) {
			first = f.Alert.FirstSeen
		}
		if f.Alert.LastSeen.After(lastSeen) {
			lastSeen = f.Alert.LastSeen
		}
	}
	detail, err := json.Marshal(last.Detail)
	if err != nil {
		return review.Alert{}, false, 0, err
	}
	id, isNew, err := s.unresolvedAlert(ctx, &last, string(detail), first, lastSeen)
	if err != nil {
		return review.Alert{}, false, 0, err
	}
	n, err := s.insertSources(ctx, id, fresh)
	if err != nil || n == 0 {
		return review.Alert{}, false, 0, err
	}
	if _, err := s.w.ExecContext(ctx, s.d.Rebind(`UPDATE alerts SET count = count + ?, excerpt = ?, detail = ?, updated_at = ?,
		first_seen = `+s.d.Least+`(first_seen, ?), last_seen = `+s.d.Greatest+`(last_seen, ?) WHERE id = ?`),
		n, last.Excerpt, string(detail), last.UpdatedAt, first, lastSeen, id); err != nil {
		return review.Alert{}, false, 0, err
	}
	a := last
	a.ID, a.Count, a.FirstSeen, a.LastSeen = id, int64(n), first, lastSeen
	for _, f := range fresh[:min(len(fresh), review.MaxListedSources)] {
		a.SourceIDs = append(a.SourceIDs, f.Source.SourceID)
	}
	return a, isNew, n, nil
}

// unrecorded drops the findings whose message this key already counted, and
// repeats within fs.
func (s Shared) unrecorded(ctx context.Context, fs []review.Finding) ([]review.Finding, error) {
	type msg struct {
		archive int64
		source  string
	}
	done := map[msg]bool{}
	for start := 0; start < len(fs); start += 500 {
		part := fs[start:min(len(fs), start+500)]
		args := []any{part[0].Alert.Key}
		var in []string
		for _, f := range part {
			if f.Source.ArchiveID != 0 {
				in = append(in, "?")
				args = append(args, f.Source.ArchiveID)
			}
		}
		if len(in) == 0 {
			continue
		}
		err := Each(ctx, s.w, s.d.Rebind(`SELECT s.archive_id, s.source_id FROM alert_sources s JOIN alerts a ON a.id = s.alert_id
			WHERE a.key = ? AND s.archive_id IN (`+strings.Join(in, ", ")+`)`), func(sc Scanner) error {
			var m msg
			if err := sc.Scan(&m.archive, &m.source); err != nil {
				return err
			}
			done[m] = true
			return nil
		}, args...)
		if err != nil {
			return nil, err
		}
	}
	out := make([]review.Finding, 0, len(fs))
	for _, f := range fs {
		m := msg{f.Source.ArchiveID, f.Source.SourceID}
		if f.Source.ArchiveID != 0 && done[m] {
			continue
		}
		if f.Source.ArchiveID != 0 {
			done[m] = true
		}
		out = append(out, f)
	}
	return out, nil
}

// unresolvedAlert returns the key's unresolved alert, making it (with count
// 0, raised by the caller) when there is none. Two recorders racing on
// PostgreSQL meet at the partial unique index: the loser reads the winner's.
func (s Shared) unresolvedAlert(ctx context.Context, a *review.Alert, detail string, first, last time.Time) (int64, bool, error) {
	find := func() (int64, error) {
		var id int64
		err := s.w.QueryRowContext(ctx, s.d.Rebind(`SELECT id FROM alerts WHERE key = ? AND status <> 'resolved'`), a.Key).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return id, err
	}
	if id, err := find(); err != nil || id != 0 {
		return id, false, err
	}
	var id int64
	err := s.w.QueryRowContext(ctx, s.d.Rebind(`INSERT INTO alerts (key, rule, category, severity, status, group_id, platform, room_id,
			excerpt, detail, count, first_seen, last_seen, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
		ON CONFLICT (key) WHERE status <> 'resolved' DO NOTHING RETURNING id`),
		a.Key, a.Rule, a.Category, a.Severity, a.Status, a.GroupID, a.Platform, a.RoomID,
		a.Excerpt, detail, first, last, a.CreatedAt, a.UpdatedAt).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		id, err = find()
		return id, false, err
	}
	return id, err == nil, err
}

// insertSources adds the findings' messages to an alert and returns how
// many were not there yet.
func (s Shared) insertSources(ctx context.Context, alertID int64, fs []review.Finding) (int, error) {
	total := 0
	for start := 0; start < len(fs); start += sourcesPerInsert {
		part := fs[start:min(len(fs), start+sourcesPerInsert)]
		var b strings.Builder
		b.WriteString(`INSERT INTO alert_sources (alert_id, source_id, archive_id, sent_at) VALUES `)
		args := make([]any, 0, 4*len(part))
		for i, f := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, alertID, f.Source.SourceID, f.Source.ArchiveID, f.Source.SentAt)
		}
		b.WriteString(` ON CONFLICT (alert_id, source_id) DO NOTHING`)
		res, err := s.w.ExecContext(ctx, s.d.Rebind(b.String()), args...)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}

// alertWithSource returns the newest alert with key that counts the
// message src (0: none).
func (s Shared) alertWithSource(ctx context.Context, key string, src review.Source) (int64, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, s.d.Rebind(`SELECT a.id FROM alert_sources s JOIN alerts a ON a.id = s.alert_id
		WHERE a.key = ? AND s.source_id = ? AND s.archive_id = ? ORDER BY a.id DESC LIMIT 1`), key, src.SourceID, src.ArchiveID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// AlertFigures counts a group's alerts first seen in [from, to) by category
// and disposition (status while unresolved), for periodic reports: one
// grouped query instead of paging every alert of the group.
func (s Shared) AlertFigures(ctx context.Context, groupID int64, from, to time.Time) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	err := Each(ctx, s.r, s.d.Rebind(`SELECT category, CASE WHEN disposition <> '' THEN disposition ELSE status END, count(*)
		FROM alerts WHERE group_id = ? AND first_seen >= ? AND first_seen < ? GROUP BY 1, 2`), func(sc Scanner) error {
		var cat, key string
		var n int
		if err := sc.Scan(&cat, &key, &n); err != nil {
			return err
		}
		if out[cat] == nil {
			out[cat] = map[string]int{}
		}
		out[cat][key] = n
		return nil
	}, groupID, from.UTC(), to.UTC())
	return out, err
}
