// Package archive is the append-only, hash-chained archive of captured
// messages: ingest with dedupe and quarantine, search, retention with
// tombstones, legal holds and e-discovery export.
//
// Each archived message carries the SHA-256 of its body (BodyHash: sender,
// text, attachments, transfer, raw record...), of its content (ContentHash:
// the envelope — platform, source id, room, group, times, kind — and the body
// hash) and a chain hash over (seq, previous hash, content hash). A purge
// drops the body but keeps the envelope and the hashes, so the chain still
// verifies and so does the purge's timing; a recall is kept apart from the
// hashed content (the original message never changes).
package archive

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"strconv"
	"time"

	"charter/internal/audit"
	"charter/internal/capture"
	"charter/internal/checkpoint"
)

// Stored is a message as the archive keeps it.
type Stored struct {
	capture.Message
	ID          int64     // archive sequence number, also the chain position
	GroupID     int64     // registered group; 0 when the room is not registered
	User        string    // resolved Charter username of the sender; "" when unknown
	CapturedAt  time.Time // when the archive took it
	BodyHash    string    // hash of what a purge drops
	ContentHash string    // hash of the envelope and BodyHash
	PrevHash    string
	Hash        string

	// Kept outside the hashed content: they change after capture.
	Recalled   bool
	RecalledAt *time.Time
	PurgedAt   *time.Time

	// Duplicate is set by AppendMessages when (platform, source_id) was already archived.
	Duplicate bool
}

// Store keeps the archive. Methods that write run inside the caller's
// transaction.
type Store interface {
	// AppendMessages links each message not yet archived to the chain and
	// stores it with its search index entry; a message whose (platform,
	// source_id) is already archived gets Duplicate set instead.
	AppendMessages(ctx context.Context, ms []*Stored) error
	ArchiveHead(ctx context.Context) (seq int64, hash string, err error)
	// WalkArchive calls fn on every message in chain order, tombstones included.
	WalkArchive(ctx context.Context, fn func(*Stored) error) error
	SearchMessages(ctx context.Context, q Query) ([]Stored, error)

	AddQuarantine(ctx context.Context, q *QuarantineItem) error
	QuarantineItems(ctx context.Context, f QuarantineFilter) ([]QuarantineItem, error)
	QuarantineItem(ctx context.Context, id int64) (*QuarantineItem, error)
	ResolveQuarantine(ctx context.Context, id int64, at time.Time, messageID int64) error
	// PurgeQuarantine deletes the items received before `before`.
	PurgeQuarantine(ctx context.Context, before time.Time) (int, error)

	PullCursor(ctx context.Context, corp, source string) (int64, error)
	SavePullCursor(ctx context.Context, corp, source string, seq int64, at time.Time) error

	CreateLegalHold(ctx context.Context, h *LegalHold) error
	LegalHolds(ctx context.Context, activeOnly bool) ([]LegalHold, error)
	ReleaseLegalHold(ctx context.Context, id int64, at time.Time, by string) error

	// MessagesAround returns the messages with the given source ids in a
	// room and up to radius messages of the same room before and after each,
	// in archive order, without duplicates. The caller audits the read.
	// Only messages archived as groupID's count: what the room said while
	// it was bound to no group (or another) is never context.
	MessagesAround(ctx context.Context, groupID int64, platform, roomID string, sourceIDs []string, radius int) ([]Stored, error)
	// SenderTransferTotal sums the transfer and red-envelope amounts (fen)
	// a sender handle sent in [from, to).
	SenderTransferTotal(ctx context.Context, platform, sender string, from, to time.Time) (int64, error)
	// GroupMessageStats counts a group's messages sent in [from, to) and
	// the distinct senders among them, for periodic reports.
	GroupMessageStats(ctx context.Context, groupID int64, from, to time.Time) (messages, senders int, err error)
	// GroupTransferStats counts a group's transfers and red envelopes sent
	// in [from, to) and their total in fen; receipts and refunds are echoes
	// of a payment and not counted.
	GroupTransferStats(ctx context.Context, groupID int64, from, to time.Time) (count int, totalFen int64, err error)

	// PurgeCandidates lists live messages sent before `before` with id >
	// afterID, in id order; only ID, GroupID, User and SentAt are filled.
	PurgeCandidates(ctx context.Context, before time.Time, afterID int64, limit int) ([]Stored, error)
	// Tombstone drops the content of the messages and their index entries,
	// keeping their hashes.
	Tombstone(ctx context.Context, ids []int64, at time.Time) error
}

// TxStore is what a transaction sees: the archive plus the audit trail.
type TxStore interface {
	Store
	checkpoint.Store
	AppendAudit(ctx context.Context, e *audit.Event) error
	// QueueScan records that messages first..last were archived and wait
	// for detection; the observer has the chunk until leaseUntil.
	QueueScan(ctx context.Context, first, last int64, at, leaseUntil time.Time) (id int64, err error)
}

// Resolver gives the registry's answers: which group a platform room is
// bound to, which user holds a sender handle. The archive asks for a View
// once per chunk, so a registry change made before a chunk begins applies to
// all of it. The registry provides the real one.
type Resolver interface {
	View(ctx context.Context) (View, error)
}

// View is the registry at one moment.
type View interface {
	RoomGroup(platform, roomID string) (groupID int64, ok bool)
	SenderUser(platform, handle string) (username string, ok bool)
}

// Unresolved is the resolver backed by nothing: every room is unregistered
// and every sender unknown. It is used until the registry is wired in.
type Unresolved struct{}

func (u Unresolved) View(context.Context) (View, error)     { return u, nil }
func (Unresolved) RoomGroup(string, string) (int64, bool)   { return 0, false }
func (Unresolved) SenderUser(string, string) (string, bool) { return "", false }

// Groups answers what the archive needs to know about registered groups:
// whether a group id given to an import exists, and each group's
// confidentiality level for retention. The registry provides the real one.
type Groups interface {
	GroupExists(ctx context.Context, id int64) (bool, error)
	// GroupLevel returns "public", "internal" or "sensitive"; ok is false
	// for an unknown group.
	GroupLevel(ctx context.Context, id int64) (level string, ok bool, err error)
}

// AnyGroup is the Groups used until the registry is wired in: every positive
// id exists and its level is unknown (so retention treats it as sensitive,
// the longest period).
type AnyGroup struct{}

func (AnyGroup) GroupExists(_ context.Context, id int64) (bool, error) { return id > 0, nil }
func (AnyGroup) GroupLevel(context.Context, int64) (string, bool, error) {
	return "", false, nil
}

// Committed is a chunk of newly archived messages and the scan-queue entry
// that was committed with it.
type Committed struct {
	QueueID  int64
	Messages []Stored
}

// Observer sees every chunk of newly archived messages right after it is
// committed and before the ingest call answers; detection plugs in here. It
// returns how many of the messages it left pending (not yet scanned).
type Observer func(ctx context.Context, c Committed) (pending int)

// capturedAt records when the archive took m. A message whose source gave
// no sending time (SentAtUnknown) is timed by its capture: it sorts,
// searches and is retained from then, and readers are told the time is the
// capture's.
func (m *Stored) capturedAt(now time.Time) {
	m.CapturedAt = now
	if m.SentAtUnknown {
		m.SentAt = now
	}
}

// Prepare fixes times to microseconds (PostgreSQL keeps no more) and sets
// BodyHash and ContentHash. The ingest pipeline calls it before the
// transaction, so hashing overlaps the writes of the previous chunk.
func Prepare(m *Stored) {
	m.SentAt = m.SentAt.UTC().Truncate(time.Microsecond)
	m.CapturedAt = m.CapturedAt.UTC().Truncate(time.Microsecond)
	m.BodyHash = BodyHash(m)
	m.ContentHash = ContentHash(m, m.BodyHash)
}

// Seal places m after (prevSeq, prevHash): it sets ID, PrevHash and Hash,
// and prepares m first if that was not done.
func Seal(m *Stored, prevSeq int64, prevHash string) {
	if m.ContentHash == "" {
		Prepare(m)
	}
	m.ID = prevSeq + 1
	m.PrevHash = prevHash
	m.Hash = chainHash(m.ID, m.PrevHash, m.ContentHash)
}

// AttachmentsJSON is the stored (and hashed) form of the attachments: ""
// when there are none.
func AttachmentsJSON(as []capture.Attachment) string {
	if len(as) == 0 {
		return ""
	}
	b, _ := json.Marshal(as)
	return string(b)
}

// fieldHasher writes length-prefixed fields, so no field can bleed into its
// neighbour.
type fieldHasher struct {
	h hash.Hash
	n [binary.MaxVarintLen64]byte
}

func newFieldHasher(tag string) *fieldHasher {
	f := &fieldHasher{h: sha256.New()}
	f.str(tag)
	return f
}

func (f *fieldHasher) bytes(b []byte) {
	k := binary.PutUvarint(f.n[:], uint64(len(b)))
	f.h.Write(f.n[:k])
	f.h.Write(b)
}

func (f *fieldHasher) str(s string) {
	k := binary.PutUvarint(f.n[:], uint64(len(s)))
	f.h.Write(f.n[:k])
	f.h.Write([]byte(s))
}

func (f *fieldHasher) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// BodyHash is the SHA-256 of what a purge drops: sender, resolved user,
// text, attachments, transfer, recalls and the raw record.
func BodyHash(m *Stored) string {
	f := newFieldHasher("charter-archive-body-1")
	f.str(m.Sender)
	f.str(m.User)
	f.str(m.Text)
	f.str(AttachmentsJSON(m.Attachments))
	if t := m.Transfer; t != nil {
		f.str(strconv.FormatInt(t.AmountFen, 10))
		f.str(strconv.Itoa(t.Count))
		f.str(t.Type)
	} else {
		f.str("-")
	}
	f.str(m.Recalls)
	f.bytes(m.Raw)
	return f.sum()
}

// ContentHash is the SHA-256 of everything captured about a message: the
// envelope a tombstone keeps (platform, source id, room, group, times and
// whether the sending time is unknown, kind) and the hash of the body. A tombstone's envelope, and so its
// sending time, stays verifiable after the body is gone.
func ContentHash(m *Stored, bodyHash string) string {
	f := newFieldHasher("charter-archive-1")
	f.str(m.Platform)
	f.str(m.SourceID)
	f.str(m.RoomID)
	f.str(strconv.FormatInt(m.GroupID, 10))
	f.str(m.SentAt.UTC().Format(time.RFC3339Nano))
	f.str(m.CapturedAt.UTC().Format(time.RFC3339Nano))
	f.str(string(m.Kind))
	f.str(bodyHash)
	// Written only when set, so the hashes of messages archived before the
	// flag existed (all with a known time) still verify.
	if m.SentAtUnknown {
		f.str("sent_at_unknown")
	}
	return f.sum()
}

func chainHash(seq int64, prev, content string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seq, 10) + "\x00" + prev + "\x00" + content))
	return hex.EncodeToString(sum[:])
}

// bodyGone says whether m holds nothing of its body, as the purge leaves it.
func bodyGone(m *Stored) bool {
	return m.Sender == "" && m.Text == "" && len(m.Attachments) == 0 && m.Transfer == nil && m.Recalls == "" && len(m.Raw) == 0 && m.User == ""
}

// VerifyResult counts what Verify checked.
type VerifyResult struct {
	Messages   int64
	Tombstones int64
}

// Verify walks the archive chain and returns an *audit.BrokenLink (chain
// "archive") at the first message altered, removed or inserted. A
// tombstone's body is gone, so its envelope and kept body hash are checked,
// and it must have been purged no sooner than minRetention after it was sent
// and not in the future: content removed outside retention is named too.
func Verify(ctx context.Context, s Store, purgeAllowed func(m *Stored) (string, error), now time.Time) (VerifyResult, error) {
	var res VerifyResult
	headSeq, headHash, err := s.ArchiveHead(ctx)
	if err != nil {
		return res, err
	}
	var prevSeq int64
	prevHash := ""
	broken := func(seq int64, format string, args ...any) error {
		return &audit.BrokenLink{Chain: "archive", Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	err = s.WalkArchive(ctx, func(m *Stored) error {
		switch {
		case m.ID != prevSeq+1:
			return broken(prevSeq+1, "message missing (next stored is %d)", m.ID)
		case m.PrevHash != prevHash:
			return broken(m.ID, "previous-hash link does not match")
		case chainHash(m.ID, m.PrevHash, m.ContentHash) != m.Hash:
			return broken(m.ID, "content hash does not match its link (altered)")
		case ContentHash(m, m.BodyHash) != m.ContentHash:
			return broken(m.ID, "envelope does not match its hash (altered)")
		case m.PurgedAt == nil && BodyHash(m) != m.BodyHash:
			return broken(m.ID, "content does not match its hash (altered)")
		case m.PurgedAt != nil && m.PurgedAt.After(now.Add(time.Hour)):
			return broken(m.ID, "content removed at %s, in the future", m.PurgedAt.Format(time.RFC3339))
		case m.PurgedAt != nil:
			why, err := purgeAllowed(m)
			if err != nil {
				return err
			}
			if why != "" {
				return broken(m.ID, "content removed at %s (sent %s) %s", m.PurgedAt.Format(time.RFC3339), m.SentAt.Format(time.RFC3339), why)
			}
			// The body hash of a tombstone cannot be checked (its body is
			// gone), so content written back into one is named here.
			if !bodyGone(m) {
				return broken(m.ID, "a tombstone holds content again (altered)")
			}
		}
		res.Messages++
		if m.PurgedAt != nil {
			res.Tombstones++
		}
		prevSeq, prevHash = m.ID, m.Hash
		return nil
	})
	if err != nil {
		return res, err
	}
	if prevSeq != headSeq || prevHash != headHash {
		return res, broken(prevSeq+1, "chain ends at %d but the head records %d (messages removed at the end)", prevSeq, headSeq)
	}
	return res, nil
}

// Verify checks the archive chain. A tombstone must be one the purge could
// have made: its message past the retention of its group's level when it was
// removed, and under no legal hold in force then.
func (s *Service) Verify(ctx context.Context) (VerifyResult, error) {
	holds, err := s.Store.LegalHolds(ctx, false)
	if err != nil {
		return VerifyResult{}, err
	}
	levels := map[int64]string{}
	allowed := func(m *Stored) (string, error) {
		keep := s.Retention.Unregistered
		if m.GroupID != 0 {
			level, ok := levels[m.GroupID]
			if !ok {
				var err error
				if level, _, err = s.Groups.GroupLevel(ctx, m.GroupID); err != nil {
					return "", err
				}
				levels[m.GroupID] = level
			}
			keep = s.Retention.For(level, true)
		}
		if m.PurgedAt.Sub(m.SentAt) < keep {
			return fmt.Sprintf("before its retention of %d days ended", int(keep.Hours()/24)), nil
		}
		for i := range holds {
			h := holds[i]
			inForce := !h.PlacedAt.After(*m.PurgedAt) && (h.ReleasedAt == nil || h.ReleasedAt.After(*m.PurgedAt))
			h.ReleasedAt = nil // Covers asks about the hold's scope; when it was in force is checked above
			if inForce && h.Covers(m) {
				return fmt.Sprintf("while legal hold %d covered it", h.ID), nil
			}
		}
		return "", nil
	}
	return Verify(ctx, s.Store, allowed, s.Now())
}
