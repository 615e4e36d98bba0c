package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"charter/internal/store/sqlite"
)

// The load of the Matrix benchmarks: 10 clients, each writing to its own
// registered room, at 50 messages a second each for 10 seconds a round;
// every message carries its own AWS key id, so each raises its own alert.
const (
	mxClients = 10
	mxRate    = 50 // messages a second per client
	mxPerRun  = 500
	// mxSenders is how many sends a client may have in flight: one round
	// trip at a time cannot keep 50 a second once the homeserver answers
	// in more than 20 ms. (Dendrite takes one send per user and room at a
	// time, so the others wait there: this keeps the client's schedule,
	// not the homeserver's pace.)
	mxSenders = 4
	// mxLost is how long after a round's last send an alert may still
	// arrive before its message counts as lost.
	mxLost = 30 * time.Second
	// mxTxnEvents is the most events Dendrite puts in one transaction to an
	// application service (its appservice consumer's batch size).
	mxTxnEvents = 50
)

// BenchmarkMatrixSendToAlert measures, per message, the time from a client's
// send being answered by a real Dendrite homeserver to the alert on its
// credential being stored in Charter (an alert_sources row naming its event
// ID, seen by polling the database read-only every 10 ms), while 10 clients
// each send 50 messages a second to their own registered room through the
// client-server API. Charter runs in this process as `charter serve`;
// Dendrite, Charter and the clients share the machine. A message whose alert
// never comes fails the benchmark: losing an alert is a bug.
//
// A tap between Dendrite and Charter splits each latency in two: hs-*, send
// answered to transaction arriving at Charter (the homeserver's delivery to
// its application service), and charter-*, arrival to the alert seen;
// txn-p99-ms is Charter's answer to one transaction and charter-busy-% the
// share of the sending time it spent answering. send-p99-ms is the
// client's side: due by its ticker to answered, which grows when the
// homeserver takes less than the 500 a second offered (msgs/s is what it
// took).
func BenchmarkMatrixSendToAlert(b *testing.B) {
	dendriteBin(b)
	in := startCharter(b, "sqlite")
	admin := in.login("admin", testAdminPassword)
	tap := newTxnTap(b, in.URL)
	addr, reg := freeAddr(b), filepath.Join(b.TempDir(), "charter-appservice.yaml")
	if out, errOut, err := in.cli("matrix register", "--homeserver-url", "http://"+addr, "--server-name", "localhost",
		"--charter-url", tap.URL, "--out", reg); err != nil {
		b.Fatalf("matrix register: %v %s %s", err, out, errOut)
	}
	// Logging and search as a production dendrite.yaml has them (the -ci
	// one traces every request and indexes every message in memory).
	hs := startDendrite(b, addr, reg, "  level: trace", "  level: info", "  search:\n    enabled: true", "  search:\n    enabled: false")
	// -ci also leaves rate limiting off; at 50 a second a user would be
	// refused (M_LIMIT_EXCEEDED) otherwise.
	if conf, _ := os.ReadFile(filepath.Join(hs.dir, "dendrite.yaml")); !bytes.Contains(conf, []byte("  rate_limiting:\n    enabled: false\n")) {
		b.Fatalf("dendrite.yaml does not turn rate limiting off:\n%s", conf)
	}

	clients := make([]*mxClient, mxClients)
	for i := range clients {
		name := fmt.Sprintf("mxb%d", i)
		c := &mxClient{hs: hs, n: i, token: hs.user("owner." + name),
			http: &http.Client{Timeout: mxLost, Transport: &http.Transport{MaxIdleConnsPerHost: mxSenders}}}
		var room struct {
			RoomID string `json:"room_id"`
		}
		hs.call("POST", "/_matrix/client/v3/createRoom", c.token, map[string]any{"name": "工作群" + name}, &room)
		c.room = room.RoomID
		in.matrixGroup(admin, name, c.room)
		clients[i] = c
	}
	w := watchAlertSources(b, in)

	// One message a room first, so that nothing measured is a first time.
	var warm []mxSent
	for _, c := range clients {
		id, err := c.send(-1)
		if err != nil {
			b.Fatal(err)
		}
		warm = append(warm, mxSent{eventID: id})
	}
	w.mustSee(b, warm)
	tap.reset()

	var all []mxSent
	var sending time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		sent, err := sendAll(clients, i)
		sending += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		w.mustSee(b, sent)
		all = append(all, sent...)
	}
	b.StopTimer()

	var send, hsPart, charterPart []time.Duration
	arrived := tap.arrivals()
	for _, s := range all {
		seen := w.at(s.eventID)
		send = append(send, s.done.Sub(s.due))
		// Signed: the transaction may arrive before the client has read
		// the answer to its send.
		if at, ok := arrived[s.eventID]; ok {
			hsPart = append(hsPart, at.Sub(s.done))
			charterPart = append(charterPart, seen.Sub(at))
		}
	}
	w.report(b, all, sending)
	b.ReportMetric(quantileMS(send, 0.99), "send-p99-ms")
	b.ReportMetric(quantileMS(hsPart, 0.50), "hs-p50-ms")
	b.ReportMetric(quantileMS(hsPart, 0.99), "hs-p99-ms")
	b.ReportMetric(quantileMS(charterPart, 0.50), "charter-p50-ms")
	b.ReportMetric(quantileMS(charterPart, 0.99), "charter-p99-ms")
	tap.report(b, sending)
}

// BenchmarkMatrixTransactionsToAlert is Charter's half of
// BenchmarkMatrixSendToAlert at the full 500 messages a second, which the
// homeserver on this machine does not reach: the same 10 rooms and
// messages, pushed to PUT /_matrix/app/v1/transactions/{txnId} as Dendrite
// pushes them — one transaction at a time, each with the events that came
// while the previous one was answered, at most 50. A message's latency runs
// from its due time by its client's ticker (when the homeserver would have
// it) to its alert seen in the database.
func BenchmarkMatrixTransactionsToAlert(b *testing.B) {
	in := startCharter(b, "sqlite")
	admin := in.login("admin", testAdminPassword)
	reg := filepath.Join(b.TempDir(), "charter-appservice.yaml")
	if out, errOut, err := in.cli("matrix register", "--homeserver-url", "http://127.0.0.1:1", "--server-name", "localhost",
		"--charter-url", in.URL, "--out", reg); err != nil {
		b.Fatalf("matrix register: %v %s %s", err, out, errOut)
	}
	file, _ := os.ReadFile(reg)
	m := hsTokenLine.FindSubmatch(file)
	if m == nil {
		b.Fatalf("no hs_token in:\n%s", file)
	}
	hs := &pushingHomeserver{url: in.URL, token: string(m[1]), http: &http.Client{Timeout: mxLost}}
	rooms := make([]string, mxClients)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("!bench%d:localhost", i)
		in.matrixGroup(admin, fmt.Sprintf("mxb%d", i), rooms[i])
	}
	w := watchAlertSources(b, in)

	var warm []mxSent
	for i, r := range rooms {
		warm = append(warm, mxSent{eventID: fmt.Sprintf("$warm%d", i), due: time.Now()})
		if err := hs.push([]mxEvent{{warm[i], r, i, -1}}); err != nil {
			b.Fatal(err)
		}
	}
	w.mustSee(b, warm)
	hs.events, hs.took = 0, nil

	var all []mxSent
	var sending time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		sent, err := hs.run(rooms, i)
		sending += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		w.mustSee(b, sent)
		all = append(all, sent...)
	}
	b.StopTimer()
	w.report(b, all, sending)
	reportTxns(b, hs.events, hs.took, sending)
}

// matrixGroup registers a work group bound to a Matrix room whose
// responsible person writes from @owner.NAME:localhost.
func (in *instance) matrixGroup(admin, name, room string) {
	in.t.Helper()
	in.registeredGroupOn(admin, name, "matrix", room)
	if code := in.call("POST", "/api/v1/users/owner."+name+"/handles", admin,
		map[string]string{"platform": "matrix", "handle": "@owner." + name + ":localhost"}, nil); code != 201 {
		in.t.Fatalf("handle of owner.%s: %d", name, code)
	}
}

// mxText is message seq of client n: its own AWS key id (AKIA and 16
// upper-case letters and digits).
func mxText(n, seq int) string {
	return fmt.Sprintf("第 %d 条：测试环境的 key AKIAB%02d%013d 先用着", seq+1, n, seq+1)
}

// mxClient is one person's Matrix client writing to their room.
type mxClient struct {
	hs    *homeserver
	n     int
	token string
	room  string
	http  *http.Client
}

// mxSent is a message sent: when it was due by the client's ticker, when
// the homeserver answered, and its event ID.
type mxSent struct {
	eventID   string
	due, done time.Time
}

// pace sends mxPerRun messages of round on a ticker at mxRate, each due at
// its tick; a send that falls behind does not hold up the ticker.
func pace(round int, send func(seq int, due time.Time)) {
	tick := time.NewTicker(time.Second / mxRate)
	defer tick.Stop()
	for i := 0; i < mxPerRun; i++ {
		send(round*mxPerRun+i, <-tick.C)
	}
}

// sendAll runs one round: every client sends its messages paced by its
// ticker, with up to mxSenders in flight.
func sendAll(clients []*mxClient, round int) ([]mxSent, error) {
	var (
		mu    sync.Mutex
		sent  []mxSent
		first error
		wg    sync.WaitGroup
	)
	type job struct {
		seq int
		due time.Time
	}
	for _, c := range clients {
		jobs := make(chan job, mxPerRun)
		wg.Go(func() {
			defer close(jobs)
			pace(round, func(seq int, due time.Time) { jobs <- job{seq, due} })
		})
		for range mxSenders {
			wg.Go(func() {
				for j := range jobs {
					id, err := c.send(j.seq)
					done := time.Now()
					mu.Lock()
					if err != nil && first == nil {
						first = err
					} else if err == nil {
						sent = append(sent, mxSent{eventID: id, due: j.due, done: done})
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return sent, first
}

// send writes message seq through the client-server API and returns its
// event ID.
func (c *mxClient) send(seq int) (string, error) {
	body, _ := json.Marshal(map[string]string{"msgtype": "m.text", "body": mxText(c.n, seq)})
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/_matrix/client/v3/rooms/%s/send/m.room.message/b%d", c.hs.URL, c.room, seq+1), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out struct {
		EventID string `json:"event_id"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(data, &out) != nil || out.EventID == "" {
		return "", fmt.Errorf("send to %s: %d %s", c.room, resp.StatusCode, data)
	}
	return out.EventID, nil
}

// pushingHomeserver stands in for Dendrite's delivery to an application
// service: events queue as clients write, and one transaction at a time
// carries up to mxTxnEvents of them.
type pushingHomeserver struct {
	url, token string
	http       *http.Client
	txns       int
	events     int
	took       []time.Duration // per transaction, until Charter answered
}

// mxEvent is a message event of client n in room.
type mxEvent struct {
	mxSent
	room string
	n    int
	seq  int
}

// run is one round: every client's messages queue at their ticks while
// the queue is pushed.
func (h *pushingHomeserver) run(rooms []string, round int) ([]mxSent, error) {
	var (
		mu      sync.Mutex
		queue   []mxEvent
		writers sync.WaitGroup
	)
	more := make(chan struct{}, 1)
	for n, room := range rooms {
		writers.Go(func() {
			pace(round, func(seq int, due time.Time) {
				mu.Lock()
				// The homeserver has the message at its tick: that is
				// where its latency starts.
				queue = append(queue, mxEvent{mxSent{eventID: fmt.Sprintf("$b%d-%d", n, seq), due: due, done: due}, room, n, seq})
				mu.Unlock()
				select {
				case more <- struct{}{}:
				default:
				}
			})
		})
	}
	written := make(chan struct{})
	go func() { writers.Wait(); close(written) }()
	var sent []mxSent
	for {
		mu.Lock()
		batch := queue[:min(len(queue), mxTxnEvents)]
		queue = queue[len(batch):]
		mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-more:
				continue
			case <-written:
				mu.Lock()
				left := len(queue)
				mu.Unlock()
				if left == 0 {
					return sent, nil
				}
				continue
			}
		}
		if err := h.push(batch); err != nil {
			<-written
			return nil, err
		}
		for _, e := range batch {
			sent = append(sent, e.mxSent)
		}
	}
}

// push sends one transaction.
func (h *pushingHomeserver) push(events []mxEvent) error {
	type content struct {
		Msgtype string `json:"msgtype"`
		Body    string `json:"body"`
	}
	type event struct {
		Type    string  `json:"type"`
		EventID string  `json:"event_id"`
		RoomID  string  `json:"room_id"`
		Sender  string  `json:"sender"`
		TS      int64   `json:"origin_server_ts"`
		Content content `json:"content"`
	}
	var txn struct {
		Events []event `json:"events"`
	}
	for _, e := range events {
		txn.Events = append(txn.Events, event{"m.room.message", e.eventID, e.room, fmt.Sprintf("@owner.mxb%d:localhost", e.n),
			e.due.UnixMilli(), content{"m.text", mxText(e.n, e.seq)}})
	}
	body, _ := json.Marshal(txn)
	h.txns++
	h.events += len(events)
	start := time.Now()
	defer func() { h.took = append(h.took, time.Since(start)) }()
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/_matrix/app/v1/transactions/bench%d", h.url, h.txns), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("transaction %d: %d %s", h.txns, resp.StatusCode, answer)
	}
	return nil
}

// alertWatch polls a running Charter's SQLite database read-only for new
// alert_sources rows and keeps when each source (event ID) was first seen.
type alertWatch struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func watchAlertSources(b *testing.B, in *instance) *alertWatch {
	b.Helper()
	db, err := sqlite.RawReader(sqlite.Drivers[0], filepath.Join(in.args[1], "charter.db"))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	w := &alertWatch{seen: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			rows, err := db.QueryContext(ctx, `SELECT id, source_id FROM alert_sources WHERE id > ? ORDER BY id`, last)
			if err != nil {
				continue // busy or stopping: the next tick tries again
			}
			var batch []string
			for rows.Next() {
				var src string
				if rows.Scan(&last, &src) == nil {
					batch = append(batch, src)
				}
			}
			rows.Close()
			now := time.Now()
			w.mu.Lock()
			for _, src := range batch {
				if _, ok := w.seen[src]; !ok {
					w.seen[src] = now
				}
			}
			w.mu.Unlock()
		}
	}()
	b.Cleanup(func() { cancel(); <-done; db.Close() })
	return w
}

func (w *alertWatch) at(src string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[src]
}

// mustSee waits until every message sent has its alert, and fails the
// benchmark if one has none mxLost after the last.
func (w *alertWatch) mustSee(b *testing.B, sent []mxSent) {
	b.Helper()
	deadline := time.Now().Add(mxLost)
	var missing []string
	for {
		missing = missing[:0]
		w.mu.Lock()
		for _, s := range sent {
			if _, ok := w.seen[s.eventID]; !ok {
				missing = append(missing, s.eventID)
			}
		}
		w.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.ReportMetric(float64(len(missing)), "lost")
			b.Fatalf("%d of %d messages raised no alert within %v of the last send, e.g. %v", len(missing), len(sent), mxLost, missing[:min(5, len(missing))])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// report gives the latency from each message's answered send to its alert
// seen, and the rate at which the messages went out.
func (w *alertWatch) report(b *testing.B, sent []mxSent, took time.Duration) {
	var lat []time.Duration
	for _, s := range sent {
		lat = append(lat, w.at(s.eventID).Sub(s.done))
	}
	for _, q := range []struct {
		name string
		f    float64
	}{{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}, {"max", 1}} {
		b.ReportMetric(quantileMS(lat, q.f), q.name+"-ms")
	}
	b.ReportMetric(float64(len(sent))/took.Seconds(), "msgs/s")
	b.ReportMetric(0, "lost")
}

// quantileMS is the f-quantile of ds in milliseconds (it sorts ds).
func quantileMS(ds []time.Duration, f float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(f*float64(len(ds))))].Microseconds()) / 1000
}

// txnTap stands between the homeserver and Charter: it forwards every
// transaction and notes when each event first arrived.
type txnTap struct {
	URL    string
	mu     sync.Mutex
	first  map[string]time.Time
	events int
	took   []time.Duration // per transaction, until Charter answered
}

func newTxnTap(b *testing.B, target string) *txnTap {
	t := &txnTap{first: map[string]time.Time{}}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		var txn struct {
			Events []struct {
				EventID string `json:"event_id"`
			} `json:"events"`
		}
		json.Unmarshal(body, &txn)
		t.mu.Lock()
		t.events += len(txn.Events)
		for _, e := range txn.Events {
			if _, ok := t.first[e.EventID]; !ok {
				t.first[e.EventID] = at
			}
		}
		t.mu.Unlock()
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		t.mu.Lock()
		t.took = append(t.took, time.Since(at))
		t.mu.Unlock()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	}))
	// Dendrite 0.13.8 does not close a transaction's answer, so every
	// transaction leaves its connection open until the server's idle
	// timeout closes it: the tap's is the one charter serve sets.
	srv.Config.IdleTimeout = 2 * time.Minute
	srv.Start()
	b.Cleanup(srv.Close)
	t.URL = srv.URL
	return t
}

func (t *txnTap) arrivals() map[string]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.first)
}

// reset forgets the transactions so far (the warm-up's) in the figures.
func (t *txnTap) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events, t.took = 0, nil
}

func (t *txnTap) report(b *testing.B, sending time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	reportTxns(b, t.events, t.took, sending)
}

// reportTxns gives the transactions' size and how long Charter took to
// answer them; busy is the share of the time spent sending that Charter
// was answering one (the homeserver sends the next only then).
func reportTxns(b *testing.B, events int, took []time.Duration, sending time.Duration) {
	var busy time.Duration
	for _, d := range took {
		busy += d
	}
	b.ReportMetric(float64(events)/float64(max(1, len(took))), "events/txn")
	b.ReportMetric(quantileMS(took, 0.99), "txn-p99-ms")
	b.ReportMetric(100*busy.Seconds()/sending.Seconds(), "charter-busy-%")
}
