// Package matrix connects Charter to the organization's Matrix homeserver as
// an application service: the homeserver pushes every event of the rooms in
// Charter's namespace to PUT /_matrix/app/v1/transactions/{txnId}, and the
// messages among them are archived and scanned like any other capture.
// Charter never joins a room to read it.
package matrix

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"charter/internal/account"
	"charter/internal/archive"
	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/review"
)

// AppService is Charter's registration with the homeserver.
type AppService struct {
	HomeserverURL string
	ServerName    string
	// ASToken is what Charter sends the homeserver; it must be kept as is.
	ASToken string
	// HSTokenHash is the SHA-256 of the token the homeserver sends Charter.
	HSTokenHash string
	CreatedAt   time.Time
}

// Store keeps the registration and the transactions taken.
type Store interface {
	SaveMatrixAppService(ctx context.Context, a *AppService) error
	// MatrixAppService is NotFound before `charter matrix register`.
	MatrixAppService(ctx context.Context) (*AppService, error)
	MatrixTransactionSeen(ctx context.Context, txnID string) (bool, error)
	RecordMatrixTransaction(ctx context.Context, txnID string, events int, at time.Time) error
	// MatrixEnforcement is the zero Enforcement (all off) until one is saved.
	MatrixEnforcement(ctx context.Context) (*Enforcement, error)
	SaveMatrixEnforcement(ctx context.Context, e *Enforcement) error
	// MatrixBackfillsDue are the bound rooms whose history is not fetched yet.
	MatrixBackfillsDue(ctx context.Context) ([]Backfill, error)
	SaveMatrixBackfill(ctx context.Context, b *Backfill) error
	AppendAudit(ctx context.Context, e *audit.Event) error
}

// Archive takes a transaction's messages, as it takes every capture.
type Archive interface {
	Ingest(ctx context.Context, r io.Reader, b archive.Batch, progress func(archive.Result)) (*archive.Result, error)
}

// Rooms is the registry's inventory of rooms, which takes the facts of a
// transaction (creations, names, memberships) with no message content.
type Rooms interface {
	RecordRoomFacts(ctx context.Context, facts []capture.RoomFact) error
	Rooms(ctx context.Context, p *account.Principal, f registry.RoomFilter) ([]registry.Room, error)
}

// Alerts are review's: enforcement acts on a room's open alert and
// records what it did there.
type Alerts interface {
	Alerts(ctx context.Context, f review.AlertFilter) ([]review.Alert, error)
	AlertActions(ctx context.Context, alertID int64) ([]review.AlertAction, error)
	AddAlertAction(ctx context.Context, x *review.AlertAction) (bool, error)
}

// Service registers Charter and takes the homeserver's transactions.
type Service struct {
	Store   Store
	Archive Archive
	Rooms   Rooms
	Alerts  Alerts
	// Review resolves the alert of a room found to be a one-to-one chat.
	Review interface {
		Resolve(ctx context.Context, id int64, r review.Resolution) (*review.Alert, error)
	}
	Now func() time.Time
	// Client calls the homeserver; nil: a client with a 30 s timeout.
	Client *http.Client

	server atomic.Pointer[serverName] // the organization's server, as last read
}

type serverName struct {
	name string
	read time.Time
}

// Registration is what `charter matrix register` is given.
type Registration struct {
	HomeserverURL string // http://HS:8008, where Charter calls the homeserver
	ServerName    string // example.org, the part after the colon in user IDs
	CharterURL    string // http://CHARTER:8080, where the homeserver calls Charter
}

// Register makes fresh tokens, keeps what Charter needs (the hs_token only
// as its hash) and returns the registration file for the homeserver. A new
// registration replaces the old one: its tokens stop working.
func (s *Service) Register(ctx context.Context, in Registration) ([]byte, error) {
	for _, f := range []struct{ name, v string }{{"homeserver-url", in.HomeserverURL}, {"charter-url", in.CharterURL}} {
		u, err := url.Parse(f.v)
		if f.v == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errs.Field(f.name, "%q is not an http(s) URL", f.v)
		}
	}
	if in.ServerName == "" || strings.ContainsAny(in.ServerName, " /@!#") {
		return nil, errs.Field("server-name", "%q is not a Matrix server name", in.ServerName)
	}
	as, hs := token(), token()
	a := &AppService{HomeserverURL: strings.TrimRight(in.HomeserverURL, "/"), ServerName: in.ServerName, ASToken: as,
		HSTokenHash: hashToken(hs), CreatedAt: s.Now().UTC()}
	if err := s.Store.SaveMatrixAppService(ctx, a); err != nil {
		return nil, err
	}
	if err := s.Store.AppendAudit(ctx, audit.New(ctx, a.CreatedAt, "matrix.register", "matrix:"+a.ServerName,
		audit.Summarize(map[string]string{"homeserver_url": a.HomeserverURL, "charter_url": in.CharterURL}))); err != nil {
		return nil, err
	}
	return registrationYAML(in, as, hs), nil
}

// registrationYAML is the application-service registration (the spec's
// fields; every string quoted, so no value is read as YAML syntax): Charter's
// own bot is the one exclusive user, and every room is in its namespace, not
// exclusively, so it receives all events without owning any room.
func registrationYAML(in Registration, as, hs string) []byte {
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "# Charter's application-service registration for %s.\n", in.ServerName)
	b.WriteString("# Add this file to the homeserver (Synapse: app_service_config_files;\n# Dendrite: app_service_api.config_files) and restart it.\n")
	fmt.Fprintf(&b, "id: %s\nurl: %s\nas_token: %s\nhs_token: %s\nsender_localpart: %s\nrate_limited: false\n",
		q("charter"), q(strings.TrimRight(in.CharterURL, "/")), q(as), q(hs), q("charter"))
	fmt.Fprintf(&b, "namespaces:\n  users:\n    - exclusive: true\n      regex: %s\n  rooms:\n    - exclusive: false\n      regex: %s\n  aliases: []\n",
		q("@charter:"+regexpQuote(in.ServerName)), q("!.*"))
	return []byte(b.String())
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

// Authorize checks the token a homeserver call carries against the
// registration's; anything else (no registration, no token, another token)
// is Forbidden, as the spec answers.
func (s *Service) Authorize(ctx context.Context, token string) error {
	a, err := s.Store.MatrixAppService(ctx)
	if errs.Is(err, errs.NotFound) || token == "" {
		return errs.E(errs.Forbidden, "not the homeserver Charter is registered with")
	} else if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(a.HSTokenHash)) != 1 {
		return errs.E(errs.Forbidden, "not the homeserver Charter is registered with")
	}
	return nil
}

// Transaction archives the messages of one transaction. A transaction the
// homeserver sends again (it retries until answered) stores nothing twice:
// one already taken is answered at once, and one cut off before it was
// recorded is archived again with every message a duplicate by event ID.
func (s *Service) Transaction(ctx context.Context, txnID string, body io.Reader) (*archive.Result, error) {
	if txnID == "" {
		return nil, errs.Field("txnId", "missing")
	}
	if seen, err := s.Store.MatrixTransactionSeen(ctx, txnID); err != nil || seen {
		return &archive.Result{}, err
	}
	data, err := io.ReadAll(io.LimitReader(body, capture.MaxLine+1))
	if err != nil {
		return nil, err
	}
	res, err := s.take(ctx, data, archive.Batch{Format: "matrix", Source: "matrix:" + txnID})
	if err != nil {
		return nil, err
	}
	n := res.Accepted + res.Duplicates + len(res.Rejected)
	return res, s.Store.RecordMatrixTransaction(ctx, txnID, n, s.Now().UTC())
}

// take records a body of events: the room facts go to the registry before
// the messages go to the archive, so a room's creation is judged knowing
// whether the same events made it a one-to-one conversation. Both are
// idempotent: a body cut off between the two is taken again whole.
func (s *Service) take(ctx context.Context, data []byte, b archive.Batch) (*archive.Result, error) {
	if facts, err := capture.MatrixFacts(data); err == nil && len(data) <= capture.MaxLine {
		if err := s.Rooms.RecordRoomFacts(ctx, facts); err != nil {
			return nil, err
		}
		if err := s.dismissDirect(ctx, facts); err != nil {
			return nil, err
		}
	}
	return s.Archive.Ingest(ctx, bytes.NewReader(data), b, nil)
}

// dismissDirect resolves the unregistered-room alert of a room that an
// invitation has just shown to be a one-to-one conversation: the room's
// creation came first and was judged as a group's.
func (s *Service) dismissDirect(ctx context.Context, facts []capture.RoomFact) error {
	if s.Review == nil {
		return nil
	}
	done := map[string]bool{}
	for _, f := range facts {
		if !f.Direct || done[f.RoomID] {
			continue
		}
		done[f.RoomID] = true
		a, err := s.unresolvedAlert(ctx, f.RoomID)
		if err != nil {
			return err
		} else if a == nil {
			continue // not alerted on: the invitation came with the creation
		}
		ctx := audit.WithActor(ctx, audit.Actor{Name: "charter", Addr: "matrix"})
		_, err = s.Review.Resolve(ctx, a.ID, review.Resolution{Disposition: review.FalsePositive, Reassign: true,
			Note: "a one-to-one conversation (its invitation was marked direct), not a group"})
		if err != nil && !errs.Is(err, errs.Conflict) { // Conflict: a reviewer resolved it meanwhile
			return err
		}
	}
	return nil
}

// Foreign reports whether a Matrix handle is of another server than the
// organization's: such a sender is external, whoever they are.
func (s *Service) Foreign(platform, handle string) bool {
	_, server, ok := strings.Cut(handle, ":")
	own := s.ownServer(platform)
	return ok && own != "" && server != own
}

// Bot reports whether a handle is Charter's own bot, which joins bound
// rooms to read their history: not a member to judge.
func (s *Service) Bot(platform, handle string) bool {
	own := s.ownServer(platform)
	return own != "" && handle == "@charter:"+own
}

// ownServer is the organization's Matrix server name, "" when Charter is
// not registered. It is read again after a minute, so a new registration
// takes effect in a running server.
func (s *Service) ownServer(platform string) string {
	if platform != "matrix" {
		return ""
	}
	own := s.server.Load()
	if own == nil || s.Now().Sub(own.read) > time.Minute {
		a, err := s.Store.MatrixAppService(context.Background())
		if err != nil {
			return ""
		}
		own = &serverName{name: a.ServerName, read: s.Now()}
		s.server.Store(own)
	}
	return own.name
}

func token() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
