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
	Direct    bool // the room is a one-to-one conversation
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

// Finding is one detector finding on one message, ready to be recorded.
type Finding struct {
	Alert  Alert
	Source Source
}

// Scan runs the engine in force on every message of the batch and records
// the findings in one transaction, then counts and announces the new alerts.
// A message that cannot be scanned fails the whole batch: the durable
// pipeline (package pipeline) isolates failures per message instead.
func (s *Scanner) Scan(ctx context.Context, batch []Captured) (Result, error) {
	var res Result
	start := s.Now()
	d := s.NewDetection(s.Context)
	var fs []Finding
	for i := range batch {
		f, err := d.Detect(ctx, &batch[i])
		if err != nil {
			return res, err
		}
		fs = append(fs, f...)
	}
	res.Findings = len(fs)
	if len(fs) > 0 {
		err := s.Tx(ctx, func(tx TxStore) error {
			var err error
			res.Created, res.Updated, err = s.Record(ctx, tx, fs)
			return err
		})
		if err != nil {
			return Result{}, errs.Wrap(err, "record alerts")
		}
	}
	s.Count(len(batch), res, s.Now().Sub(start))
	for _, a := range res.Created {
		s.notify(ctx, &a)
	}
	return res, nil
}

// Detection is one batch's scan in progress: the engine in force when it
// began and the batch's answers from its Context, asked once per group and
// sender.
type Detection struct {
	eng *detect.Engine
	lk  lookups
}

// NewDetection starts a batch's scan with the engine in force.
func (s *Scanner) NewDetection(c Context) *Detection {
	return &Detection{eng: s.Policies.Engine(), lk: lookups{Context: c, groups: map[int64]groupInfo{}, senders: map[string]detect.Sender{}}}
}

// Detect runs the detectors on one message. An error (or a detector's
// panic) concerns this message only.
func (d *Detection) Detect(ctx context.Context, c *Captured) (fs []Finding, err error) {
	defer func() {
		if r := recover(); r != nil {
			fs, err = nil, fmt.Errorf("detector failed: %v", r)
		}
	}()
	m, err := d.lk.message(ctx, c)
	if err != nil {
		return nil, errs.Wrap(err, fmt.Sprintf("scan message %s/%s", c.Msg.Platform, c.Msg.SourceID))
	}
	for _, f := range d.eng.Scan(m) {
		if f.Rule == "registry.unregistered_room" {
			// The room may be a personal group: the alert says that it
			// exists, not what was said there. Reading its messages is
			// the separate, audited context action.
			f.Excerpt = string(c.Msg.Kind)
		}
		fs = append(fs, Finding{
			Alert: Alert{Key: f.Key, Rule: f.Rule, Category: f.Category, Severity: f.Severity, Status: StatusOpen,
				GroupID: c.GroupID, Platform: c.Msg.Platform, RoomID: c.Msg.RoomID, Excerpt: f.Excerpt, Detail: f.Detail,
				FirstSeen: c.Msg.SentAt.UTC(), LastSeen: c.Msg.SentAt.UTC()},
			Source: Source{Platform: c.Msg.Platform, RoomID: c.Msg.RoomID, SourceID: c.Msg.SourceID, ArchiveID: c.ArchiveID, SentAt: c.Msg.SentAt.UTC()},
		})
	}
	return fs, nil
}

// Record stores findings in the caller's transaction, sorted by key so two
// scanners on PostgreSQL lock alerts in the same order. A message recorded
// before (a retry, a rescan) changes nothing.
func (s *Scanner) Record(ctx context.Context, tx TxStore, fs []Finding) (created []Alert, updated int, err error) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Alert.Key < fs[j].Alert.Key })
	now := s.Now().UTC()
	for i := range fs {
		fs[i].Alert.CreatedAt, fs[i].Alert.UpdatedAt = now, now
	}
	return tx.RecordFindings(ctx, fs)
}

// Count adds a scan's figures to the metrics.
func (s *Scanner) Count(messages int, res Result, took time.Duration) {
	s.Metrics.Add("charter_scanned_messages_total", "Messages run through the detectors.", float64(messages))
	for _, a := range res.Created {
		s.Metrics.Add("charter_alerts_total", "Alerts raised, by category.", 1, "category", a.Category)
	}
	s.Metrics.Add("charter_alert_updates_total", "Findings that updated an existing alert.", float64(res.Updated))
	s.Metrics.Add("charter_scan_seconds_total", "Time spent scanning batches and recording alerts.", took.Seconds())
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
		Kind: string(msg.Kind), Text: msg.Text, SentAt: msg.SentAt, Group: c.Group, RoomMembers: c.Members, Direct: c.Direct}
	if f := capture.FactOf(msg); f != nil {
		switch {
		case f.Type == capture.FactEncryption:
			m.RoomEvent = detect.EventEncryption
		case f.Type == capture.FactMember && f.Membership == "join":
			m.RoomEvent = detect.EventJoin
		}
	}
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
	// Transfers are judged only in registered groups (see detect.Engine.Scan).
	if msg.Transfer != nil && msg.Transfer.AmountFen > 0 && msg.Sender != "" && m.Group != nil && l.Context != nil {
		total, err := l.SenderDayTotalFen(ctx, msg.Platform, msg.Sender, msg.SentAt)
		if err != nil {
			return nil, err
		}
		m.SenderDayTotalFen = total
	}
	return m, nil
}
