package review

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"charter/internal/capture"
	"charter/internal/detect"
	"charter/internal/errs"
	"charter/internal/metrics"
)

// Captured is one archived message with what is known about it. Group,
// Members and Sender are optional: when nil, the Scanner asks its Context.
type Captured struct {
	ArchiveID int64
	Msg       capture.Message
	GroupID   *int64        // the registered group the room is bound to; nil: unregistered room
	Group     *detect.Group // nil: looked up by GroupID
	Members   []string      // room members, for transfer alerts; nil: looked up with Group
	Sender    *detect.Sender
}

// Context is what the Scanner asks the registry and the archive for. The
// lead wires it; every call may be made once per batch per group or sender.
type Context interface {
	// GroupContext returns the registered group and the usernames of its members.
	GroupContext(ctx context.Context, groupID int64) (*detect.Group, []string, error)
	// SenderContext says what the registry knows of a platform handle in a group.
	SenderContext(ctx context.Context, platform, handle string, groupID int64) (detect.Sender, error)
	// SenderDayTotalFen is what handle sent in transfers and red envelopes on
	// the calendar day of day (in day's location) strictly before the instant
	// day, so a message already archived does not count itself.
	SenderDayTotalFen(ctx context.Context, platform, handle string, day time.Time) (int64, error)
	// GroupAdmin returns the group's responsible person (a username) and its
	// name, for the notice an alert sends.
	GroupAdmin(ctx context.Context, groupID int64) (username, groupName string, err error)
}

// Notifier delivers an in-app notice to a user.
type Notifier interface {
	Notify(ctx context.Context, username, subject, body string) error
}

// Scanner runs the detectors on archived batches and records alerts.
type Scanner struct {
	Policies *Policies
	Store    Store
	Tx       Tx
	Context  Context  // nil: only what Captured carries is known
	Notifier Notifier // nil: no notices
	Metrics  *metrics.Registry
	Log      *slog.Logger
	Now      func() time.Time
}

// Result says what one batch did.
type Result struct {
	Findings int
	Created  []Alert // new alerts, in the order they were made
	Updated  int     // findings that updated an existing alert
}

type recorded struct {
	alert Alert
	src   Source
}

// Scan runs the engine in force on every message of the batch and records
// the findings in one transaction. Findings are recorded in key order so two
// scanners on PostgreSQL lock alerts in the same order.
func (s *Scanner) Scan(ctx context.Context, batch []Captured) (Result, error) {
	var res Result
	start := s.Now()
	eng := s.Policies.Engine()
	lk := lookups{Context: s.Context, groups: map[int64]groupInfo{}, senders: map[string]detect.Sender{}}
	var recs []recorded
	for i := range batch {
		c := &batch[i]
		m, err := lk.message(ctx, c)
		if err != nil {
			return res, errs.Wrap(err, fmt.Sprintf("scan message %s/%s", c.Msg.Platform, c.Msg.SourceID))
		}
		for _, f := range eng.Scan(m) {
			if f.Rule == "registry.unregistered_room" {
				// The room may be a personal group: the alert says that it
				// exists, not what was said there. Reading its messages is
				// the separate, audited context action.
				f.Excerpt = string(c.Msg.Kind)
			}
			recs = append(recs, recorded{
				alert: Alert{Key: f.Key, Rule: f.Rule, Category: f.Category, Severity: f.Severity, Status: StatusOpen,
					GroupID: c.GroupID, Platform: c.Msg.Platform, RoomID: c.Msg.RoomID, Excerpt: f.Excerpt, Detail: f.Detail,
					FirstSeen: c.Msg.SentAt.UTC(), LastSeen: c.Msg.SentAt.UTC()},
				src: Source{Platform: c.Msg.Platform, RoomID: c.Msg.RoomID, SourceID: c.Msg.SourceID, ArchiveID: c.ArchiveID, SentAt: c.Msg.SentAt.UTC()},
			})
		}
	}
	res.Findings = len(recs)
	s.Metrics.Add("charter_scanned_messages_total", "Messages run through the detectors.", float64(len(batch)))
	if len(recs) == 0 {
		return res, nil
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].alert.Key < recs[j].alert.Key })
	err := s.Tx(ctx, func(tx TxStore) error {
		res.Created, res.Updated = res.Created[:0], 0
		now := s.Now().UTC()
		for i := range recs {
			a := recs[i].alert
			a.CreatedAt, a.UpdatedAt = now, now
			created, counted, err := tx.RecordFinding(ctx, &a, recs[i].src)
			if err != nil {
				return err
			}
			if created {
				a.Count = 1
				a.SourceIDs = []string{recs[i].src.SourceID}
				res.Created = append(res.Created, a)
			} else if counted {
				res.Updated++
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, errs.Wrap(err, "record alerts")
	}
	for _, a := range res.Created {
		s.Metrics.Add("charter_alerts_total", "Alerts raised, by category.", 1, "category", a.Category)
		s.notify(ctx, &a)
	}
	s.Metrics.Add("charter_alert_updates_total", "Findings that updated an existing alert.", float64(res.Updated))
	s.Metrics.Add("charter_scan_seconds_total", "Time spent scanning batches and recording alerts.", s.Now().Sub(start).Seconds())
	return res, nil
}

// notify tells the group's responsible person that an alert was raised. The
// notice carries no personal data and no message content: rule, group, time
// and count only. A failed notice is logged, never fails the scan: the alert
// is already stored and reviewers see it.
func (s *Scanner) notify(ctx context.Context, a *Alert) {
	if s.Notifier == nil || s.Context == nil || a.GroupID == nil {
		return
	}
	user, name, err := s.Context.GroupAdmin(ctx, *a.GroupID)
	if err == nil && user != "" {
		subject, body := Notice(a, name)
		err = s.Notifier.Notify(ctx, user, subject, body)
	}
	if err != nil {
		s.Log.Warn("alert notice not sent", "alert", a.ID, "group", *a.GroupID, "err", err)
	}
}

// Notice renders the notice to a group's responsible person, in Chinese and English.
func Notice(a *Alert, groupName string) (subject, body string) {
	subject = fmt.Sprintf("工作群提醒 / Work group alert: %s", a.Rule)
	body = fmt.Sprintf("工作群「%s」(#%d) 触发检查规则 %s（%s），时间 %s，消息数 %d。审核员将跟进处理。\n"+
		"Work group %q (#%d) raised rule %s (%s) at %s; messages: %d. A reviewer will follow up.",
		groupName, *a.GroupID, a.Rule, a.Category, a.FirstSeen.Format(time.RFC3339), a.Count,
		groupName, *a.GroupID, a.Rule, a.Category, a.FirstSeen.Format(time.RFC3339), a.Count)
	return subject, body
}

// lookups asks the Context at most once per group and per sender in a batch.
type lookups struct {
	Context
	groups  map[int64]groupInfo
	senders map[string]detect.Sender
}

type groupInfo struct {
	group   *detect.Group
	members []string
}

func (l *lookups) message(ctx context.Context, c *Captured) (*detect.Message, error) {
	msg := &c.Msg
	m := &detect.Message{Platform: msg.Platform, RoomID: msg.RoomID, SenderHandle: msg.Sender, SourceID: msg.SourceID,
		Kind: string(msg.Kind), Text: msg.Text, SentAt: msg.SentAt, Group: c.Group, RoomMembers: c.Members}
	for _, a := range msg.Attachments {
		if a.Name != "" {
			m.FileNames = append(m.FileNames, a.Name)
		}
	}
	if msg.Transfer != nil {
		m.Transfer = &detect.Transfer{AmountFen: msg.Transfer.AmountFen, Count: msg.Transfer.Count, Type: msg.Transfer.Type}
	}
	if c.GroupID != nil && (m.Group == nil || m.RoomMembers == nil) && l.Context != nil {
		gi, ok := l.groups[*c.GroupID]
		if !ok {
			g, members, err := l.GroupContext(ctx, *c.GroupID)
			if err != nil {
				return nil, err
			}
			gi = groupInfo{g, members}
			l.groups[*c.GroupID] = gi
		}
		if m.Group == nil {
			m.Group = gi.group
		}
		if m.RoomMembers == nil {
			m.RoomMembers = gi.members
		}
	}
	if c.GroupID != nil && m.Group == nil {
		// Judging a bound room without its group would call it unregistered
		// (or inactive): better to fail the batch and have it retried.
		return nil, fmt.Errorf("group %d: the registry gave no group", *c.GroupID)
	}
	switch {
	case c.Sender != nil:
		m.Sender = *c.Sender
	case c.GroupID != nil && msg.Sender != "" && l.Context != nil:
		k := msg.Platform + "\x00" + msg.Sender + "\x00" + strconv.FormatInt(*c.GroupID, 10)
		snd, ok := l.senders[k]
		if !ok {
			var err error
			if snd, err = l.SenderContext(ctx, msg.Platform, msg.Sender, *c.GroupID); err != nil {
				return nil, err
			}
			l.senders[k] = snd
		}
		m.Sender = snd
	}
	if msg.Transfer != nil && msg.Transfer.AmountFen > 0 && msg.Sender != "" && l.Context != nil {
		total, err := l.SenderDayTotalFen(ctx, msg.Platform, msg.Sender, msg.SentAt)
		if err != nil {
			return nil, err
		}
		m.SenderDayTotalFen = total
	}
	return m, nil
}
