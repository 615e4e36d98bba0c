package wecom

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	capwecom "charter/internal/capture/wecom"
	"charter/internal/errs"
	"charter/internal/metrics"
	"charter/internal/review"
)

// Window is how far back the vendor keeps the archive: records older than
// this can no longer be pulled.
const Window = 5 * 24 * time.Hour

// LagAlarm is how far behind the pull may fall before a system alert: four
// of the vendor's five days, so there is a day left to act.
const LagAlarm = 4 * 24 * time.Hour

// System raises a system alert about the capture itself and tells the
// security officers (the pipeline does).
type System interface {
	RaiseSystem(ctx context.Context, a review.Alert, src review.Source, subject, body string) (int64, error)
}

// Service is Charter's connection to the organization's WeCom: the chat
// archive pulled through the vendor's SDK, continuously and at once when a
// msgaudit_notify callback says there is more.
type Service struct {
	CorpID string
	// Puller moves the archive into Charter; nil when no SDK is configured.
	Puller *capwecom.Puller
	// Inventory follows WeCom's groups; Crypto checks and opens callbacks
	// (nil: no callback token and key set).
	Inventory *Inventory
	Crypto    *Crypto
	System    System
	Metrics   *metrics.Registry
	Log       *slog.Logger
	Now       func() time.Time

	wake chan struct{}
	mu   sync.Mutex
	// drainedAt is when a pull last reached the end of the archive; the
	// lag is the time since (the zero time: not yet, counted from start).
	drainedAt, started time.Time
	lagRaised          bool
	resolved           map[string]bool // internal rooms looked up (or tried) since start
}

// NewService returns the service; p may be nil (no archive pull).
func NewService(corpID string, p *capwecom.Puller, sys System, m *metrics.Registry, log *slog.Logger, now func() time.Time) *Service {
	s := &Service{CorpID: corpID, Puller: p, System: sys, Metrics: m, Log: log, Now: now, wake: make(chan struct{}, 1), started: now(),
		resolved: map[string]bool{}}
	if p != nil {
		s.WatchLag()
	}
	return s
}

// WatchLag shows the pull's lag in the metrics; call it once the puller
// is set.
func (s *Service) WatchLag() {
	s.Metrics.Gauge("charter_wecom_pull_lag_seconds", "Time since the WeCom archive pull last reached the end of the archive (the vendor keeps 5 days).",
		func() float64 { return s.Lag().Seconds() })
}

// Wake asks for a pull now (a msgaudit_notify callback); it never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Lag is how long the pull has not reached the end of the archive.
func (s *Service) Lag() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := s.drainedAt
	if since.IsZero() {
		since = s.started
	}
	return s.Now().Sub(since)
}

// Progress is one pulled batch.
type Progress struct {
	Records int   // in this batch
	Total   int   // so far in this round
	Seq     int64 // the cursor after it
}

// Pull runs one round: batches of up to 1,000 records until the archive is
// drained. Each batch is archived and scanned and the cursor moves in the
// same transaction; a break in seq raises a system alert with the figures,
// and so does a pull that has not drained the archive for LagAlarm.
func (s *Service) Pull(ctx context.Context, progress func(Progress)) (int, error) {
	if s.Puller == nil {
		return 0, fmt.Errorf("no WeCom archive pull: set --wecom-corp-id, --wecom-sdk, --wecom-private-keys and CHARTER_WECOM_SECRET")
	}
	p := *s.Puller // a copy per round, with the sink that watches it
	total, sink := 0, p.Sink
	p.Sink = func(ctx context.Context, lastSeq int64, batch []capwecom.Item) error {
		prev, err := p.Cursor.Load()
		if err != nil {
			return err
		}
		if err := sink(ctx, lastSeq, batch); err != nil {
			return err
		}
		s.checkSeq(ctx, prev, batch)
		s.resolveRooms(ctx, batch)
		total += len(batch)
		s.Metrics.Add("charter_wecom_pulled_records_total", "Records pulled from the WeCom archive.", float64(len(batch)))
		if progress != nil {
			progress(Progress{Records: len(batch), Total: total, Seq: lastSeq})
		}
		return nil
	}
	_, err := p.Run(ctx)
	if err == nil {
		s.mu.Lock()
		s.drainedAt, s.lagRaised = s.Now(), false
		s.mu.Unlock()
	}
	s.checkLag(ctx)
	return total, err
}

// checkSeq raises a system alert for each break in seq after prev: the
// vendor numbers a corp's records one by one, so a jump means records that
// were never delivered (and are lost once they leave the 5-day window).
func (s *Service) checkSeq(ctx context.Context, prev int64, batch []capwecom.Item) {
	for _, it := range batch {
		if prev > 0 && it.Seq > prev+1 {
			from, to := prev+1, it.Seq-1
			a := review.Alert{Key: fmt.Sprintf("system.wecom_seq_gap:%s:%d", s.CorpID, from), Rule: "system.wecom_seq_gap", Platform: "wecom",
				Excerpt:   fmt.Sprintf("WeCom archive seq %d to %d missing: %d records", from, to, to-from+1),
				Detail:    map[string]any{"corp_id": s.CorpID, "from_seq": from, "to_seq": to, "missing": to - from + 1},
				FirstSeen: s.Now().UTC(), LastSeen: s.Now().UTC()}
			src := review.Source{Platform: "wecom", SourceID: "seq:" + strconv.FormatInt(from, 10) + "-" + strconv.FormatInt(to, 10), SentAt: s.Now().UTC()}
			subject := "会话存档缺失 / WeCom archive gap: system.wecom_seq_gap"
			body := fmt.Sprintf("企业 %s 的会话存档 seq %d 至 %d 缺失（%d 条）。\nWeCom archive of corp %s: seq %d to %d missing (%d records).",
				s.CorpID, from, to, to-from+1, s.CorpID, from, to, to-from+1)
			if _, err := s.System.RaiseSystem(ctx, a, src, subject, body); err != nil {
				s.Log.Error("raising a WeCom seq gap alert failed", "from", from, "to", to, "err", err)
			}
			s.Metrics.Add("charter_wecom_seq_gap_records_total", "Records missing from the WeCom archive's seq.", float64(to-from+1))
		}
		if it.Seq > prev {
			prev = it.Seq
		}
	}
}

// resolveRooms looks up, once, each internal group the archive names that
// the inventory does not know yet. A failure is logged: the messages are
// archived already, and the group is tried again after a restart.
func (s *Service) resolveRooms(ctx context.Context, batch []capwecom.Item) {
	if s.Inventory == nil || s.Inventory.Audit == nil {
		return
	}
	for _, it := range batch {
		m := it.Msg
		if m == nil || m.RoomID == "" || strings.HasPrefix(m.RoomID, "single:") || s.resolved[m.RoomID] {
			continue
		}
		s.resolved[m.RoomID] = true
		if _, err := s.Inventory.Rooms.Room(ctx, "wecom", m.RoomID); err == nil {
			continue
		}
		if err := s.Inventory.InternalRoom(ctx, m.RoomID); err != nil {
			s.Log.Warn("wecom internal group not resolved", "room", m.RoomID, "err", err)
		}
	}
}

// VerifyURL answers WeCom's check of the callback URL (GET): the plaintext
// of echostr, written back as is.
func (s *Service) VerifyURL(q url.Values) ([]byte, error) {
	if s.Crypto == nil {
		return nil, errs.E(errs.NotFound, "WeCom callbacks are not configured (CHARTER_WECOM_CALLBACK_TOKEN, CHARTER_WECOM_CALLBACK_AES_KEY)")
	}
	if err := checkTimestamp(q, s.Now()); err != nil {
		return nil, s.refused(err)
	}
	out, err := s.Crypto.VerifyURL(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
	return out, s.refused(err)
}

// Callback takes one event (POST): msgaudit_notify pulls at once; a
// customer group created, changed or dismissed updates the inventory.
func (s *Service) Callback(ctx context.Context, q url.Values, body []byte) error {
	if s.Crypto == nil {
		return errs.E(errs.NotFound, "WeCom callbacks are not configured (CHARTER_WECOM_CALLBACK_TOKEN, CHARTER_WECOM_CALLBACK_AES_KEY)")
	}
	if err := checkTimestamp(q, s.Now()); err != nil {
		return s.refused(err)
	}
	plain, err := s.Crypto.DecryptMessage(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	if err != nil {
		return s.refused(err)
	}
	e, err := ParseEvent(plain)
	if err != nil {
		return err
	}
	s.Metrics.Add("charter_wecom_callbacks_total", "WeCom callback events taken, by event.", 1, "event", e.Event)
	if s.Inventory == nil {
		if e.Event == EventMsgAuditNotify {
			s.Wake()
		}
		return nil
	}
	return s.Inventory.Callback(ctx, e, plain, s.Wake)
}

// refused counts a callback refused for its signature, receiver or age.
func (s *Service) refused(err error) error {
	if errs.Is(err, errs.Forbidden) {
		s.Metrics.Add("charter_wecom_callbacks_refused_total", "WeCom callbacks refused: bad signature, another corp, or too old.", 1)
	}
	return err
}

// checkLag raises one system alert when the pull has not drained the
// archive for LagAlarm, with the figures.
func (s *Service) checkLag(ctx context.Context) {
	lag := s.Lag()
	s.mu.Lock()
	raise := lag >= LagAlarm && !s.lagRaised
	if raise {
		s.lagRaised = true
	}
	s.mu.Unlock()
	if !raise {
		return
	}
	now := s.Now().UTC()
	a := review.Alert{Key: "system.wecom_pull_lag:" + s.CorpID + ":" + now.Format("2006-01-02"), Rule: "system.wecom_pull_lag", Platform: "wecom",
		Excerpt:   fmt.Sprintf("the WeCom archive pull has not caught up for %s; the vendor keeps %s", lag.Round(time.Minute), Window),
		Detail:    map[string]any{"corp_id": s.CorpID, "lag_seconds": int64(lag.Seconds()), "window_seconds": int64(Window.Seconds())},
		FirstSeen: now, LastSeen: now}
	src := review.Source{Platform: "wecom", SourceID: "lag:" + now.Format(time.RFC3339), SentAt: now}
	subject := "会话存档拉取滞后 / WeCom archive pull lagging: system.wecom_pull_lag"
	body := fmt.Sprintf("企业 %s 的会话存档已 %s 未拉取完毕，厂商仅保留 5 天。\nThe WeCom archive of corp %s has not been pulled to its end for %s; the vendor keeps 5 days.",
		s.CorpID, lag.Round(time.Minute), s.CorpID, lag.Round(time.Minute))
	if _, err := s.System.RaiseSystem(ctx, a, src, subject, body); err != nil {
		s.Log.Error("raising a WeCom pull lag alert failed", "err", err)
	}
}

// SyncEvery is how often Run lists the customer groups again; the
// change_external_chat callbacks keep them current in between.
const SyncEvery = 6 * time.Hour

// Run pulls every interval and whenever Wake is called, and lists the
// customer groups at start and every SyncEvery, until ctx ends. A failed
// round is logged and tried again at the next.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var synced time.Time
	for {
		if s.Inventory != nil && s.Inventory.Groups != nil && s.Now().Sub(synced) >= SyncEvery {
			if n, err := s.Inventory.SyncCustomerGroups(ctx); err != nil && ctx.Err() == nil {
				s.Log.Error("wecom customer groups", "err", err)
			} else {
				synced = s.Now()
				s.Log.Info("wecom customer groups", "groups", n)
			}
		}
		if s.Puller != nil {
			if n, err := s.Pull(ctx, nil); err != nil && ctx.Err() == nil {
				s.Log.Error("wecom archive pull", "err", err, "records", n)
			} else if n > 0 {
				s.Log.Info("wecom archive pull", "records", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}
