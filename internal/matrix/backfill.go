package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"charter/internal/archive"
)

// Backfill is the state of fetching a bound room's history.
type Backfill struct {
	RoomID  string    `json:"room_id"`
	GroupID int64     `json:"group_id"`
	Since   time.Time `json:"since"` // the group's planned establishment
	Done    bool      `json:"done"`
	Events  int       `json:"events"`
	Detail  string    `json:"detail,omitempty"` // why it waits
	At      time.Time `json:"at"`
}

// backfillPage is how many events one /messages call asks for.
const backfillPage = 500

// BackfillDue fetches the history of every Matrix room bound to a group
// and not yet backfilled: Charter's bot joins the room (a room it may not
// join waits, with the reason, until someone invites @charter) and reads
// /messages back to the group's planned establishment. The events go
// through the same path as a transaction, so what was delivered live is
// a duplicate by event ID and stored once; a redaction the homeserver did
// not deliver (Dendrite does not pass them to application services) is
// taken here.
func (s *Service) BackfillDue(ctx context.Context) (int, error) {
	as, err := s.Store.MatrixAppService(ctx)
	if err != nil {
		return 0, nil // not registered: nothing to fetch from
	}
	due, err := s.Store.MatrixBackfillsDue(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range due {
		b := &due[i]
		events, err := s.backfill(ctx, as, b)
		b.At, b.Events = s.Now().UTC(), events
		if err != nil {
			b.Detail = err.Error()
		} else {
			b.Done, b.Detail = true, ""
			n++
		}
		if err := s.Store.SaveMatrixBackfill(ctx, b); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *Service) backfill(ctx context.Context, as *AppService, b *Backfill) (int, error) {
	room := url.PathEscape(b.RoomID)
	if _, err := s.bot(ctx, as, "POST", "/_matrix/client/v3/join/"+room, map[string]any{}, nil); err != nil {
		return 0, fmt.Errorf("Charter's bot %s cannot join (invite it to the room): %w", botID(as), err)
	}
	var events []json.RawMessage
	from := ""
	for {
		q := url.Values{"dir": {"b"}, "limit": {fmt.Sprint(backfillPage)}}
		if from != "" {
			q.Set("from", from)
		}
		var page struct {
			Chunk []json.RawMessage `json:"chunk"`
			End   string            `json:"end"`
		}
		if _, err := s.bot(ctx, as, "GET", "/_matrix/client/v3/rooms/"+room+"/messages?"+q.Encode(), nil, &page); err != nil {
			return 0, err
		}
		older := false
		for _, raw := range page.Chunk {
			var ev struct {
				TS int64 `json:"origin_server_ts"`
			}
			if json.Unmarshal(raw, &ev) == nil && ev.TS > 0 && time.UnixMilli(ev.TS).Before(b.Since) {
				older = true
				continue
			}
			events = append(events, raw)
		}
		if older || page.End == "" || page.End == from || len(page.Chunk) == 0 {
			break
		}
		from = page.End
	}
	slices.Reverse(events) // oldest first, as they were written
	for start := 0; start < len(events); start += backfillPage {
		body, err := json.Marshal(map[string]any{"events": events[start:min(len(events), start+backfillPage)]})
		if err != nil {
			return 0, err
		}
		if _, err := s.take(ctx, body, archive.Batch{Format: "matrix", Source: "matrix-backfill:" + b.RoomID}); err != nil {
			return 0, err
		}
	}
	return len(events), nil
}

// bot calls the client-server API as Charter's bot (the as_token).
func (s *Service) bot(ctx context.Context, as *AppService, method, path string, body, out any) (int, error) {
	return s.call(ctx, as.HomeserverURL, as.ASToken, method, path, body, out)
}

// call makes one request to the homeserver; an answer other than 200 is an
// error with the homeserver's words.
func (s *Service) call(ctx context.Context, base, token, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	if out != nil {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, nil
}
