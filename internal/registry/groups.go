package registry

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
)

// ShowGroup returns a group with its current members, bindings and statement
// state. A member sees the groups they are responsible for or belong to.
func (s *Service) ShowGroup(ctx context.Context, p *account.Principal, id int64) (*GroupDetail, error) {
	gr, err := s.readableGroup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	g := &GroupDetail{Group: *gr}
	if g.Members, err = s.Store.Members(ctx, id, false); err != nil {
		return nil, err
	}
	maskNames(p, gr, g.Members)
	if g.Bindings, err = s.Store.Bindings(ctx, id); err != nil {
		return nil, err
	}
	if g.Statement, err = s.statementInfo(ctx, s.Store, g.ID); err != nil {
		return nil, err
	}
	return g, nil
}

// Group returns a group to whoever may read it (as ShowGroup, without its
// members and bindings): a group p may not read is NotFound, as to its reader
// it does not exist. Other domains ask it before showing what they keep of a group.
func (s *Service) Group(ctx context.Context, p *account.Principal, id int64) (*Group, error) {
	return s.readableGroup(ctx, p, id)
}

func (s *Service) readableGroup(ctx context.Context, p *account.Principal, id int64) (*Group, error) {
	g, err := s.Store.Group(ctx, id)
	if err != nil {
		return nil, err
	}
	if seesAll(p) || p.User != nil && p.User.Username == g.Responsible {
		return g, nil
	}
	if p.User != nil {
		ms, err := s.Store.Members(ctx, id, false)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.Username == p.User.Username {
				return g, nil
			}
		}
	}
	return nil, errs.E(errs.NotFound, "group %d not found", id)
}

// ListGroups lists the groups p may read.
func (s *Service) ListGroups(ctx context.Context, p *account.Principal, f GroupFilter) ([]Group, error) {
	switch f.Status {
	case "", GroupApproved, GroupActive, GroupNeedsSignature, GroupSuspended, GroupExpired, GroupDissolved:
	default:
		return nil, errs.Field("status", "%q is not approved, active, needs_signature, suspended, expired or dissolved", f.Status)
	}
	if f.Level != "" && !validLevel(f.Level) {
		return nil, errs.Field("level", "%q is not one of public, internal, sensitive", f.Level)
	}
	if !seesAll(p) {
		u, err := userOf(p)
		if err != nil {
			return nil, err
		}
		f.Person = u.Username
	}
	return s.Store.Groups(ctx, f)
}

// MemberTimeline lists every join and leave of a group.
func (s *Service) MemberTimeline(ctx context.Context, p *account.Principal, id int64) ([]Member, error) {
	g, err := s.readableGroup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	ms, err := s.Store.Members(ctx, id, true)
	if err != nil {
		return nil, err
	}
	maskNames(p, g, ms)
	return ms, nil
}

// maskNames keeps real names in the back end ("后台实名、前台自愿"): fellow
// members see display names; the responsible person, who keeps the list
// true, and the oversight roles see real names.
func maskNames(p *account.Principal, g *Group, ms []Member) {
	if seesAll(p) || p.User != nil && p.User.Username == g.Responsible {
		return
	}
	for i := range ms {
		ms[i].RealName = ""
	}
}

// managedGroup loads a group that p administers: its responsible person, or
// a security officer helping them.
func (s *Service) managedGroup(ctx context.Context, tx TxStore, p *account.Principal, id int64) (*Group, error) {
	g, err := tx.Group(ctx, id)
	if err != nil {
		return nil, err
	}
	if p == nil || p.Has(account.SecurityOfficer) || p.User != nil && p.User.Username == g.Responsible {
		return g, nil
	}
	if seesAll(p) {
		return nil, errs.E(errs.Forbidden, "only the responsible person of group %d or a security officer may change it", id)
	}
	return nil, errs.E(errs.NotFound, "group %d not found", id)
}

func (s *Service) signatureCurrent(sig *Signature, current int, now time.Time) bool {
	if sig == nil || sig.TemplateVersion != current {
		return false
	}
	return s.Policy.SignatureDays <= 0 || now.Before(sig.SignedAt.AddDate(0, 0, s.Policy.SignatureDays))
}

func (s *Service) statementInfo(ctx context.Context, st Store, groupID int64) (*StatementInfo, error) {
	t, err := st.CurrentTemplate(ctx)
	if err != nil {
		return nil, err
	}
	sig, err := latestSignature(ctx, st, groupID)
	if err != nil {
		return nil, err
	}
	info := &StatementInfo{CurrentVersion: t.Version, Signature: sig, Signed: s.signatureCurrent(sig, t.Version, s.now())}
	if sig != nil && s.Policy.SignatureDays > 0 {
		l := sig.SignedAt.AddDate(0, 0, s.Policy.SignatureDays)
		info.LapsesAt = &l
	}
	return info, nil
}

func latestSignature(ctx context.Context, st Store, groupID int64) (*Signature, error) {
	sig, err := st.LatestSignature(ctx, groupID)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	return sig, err
}

// settle works out the status of a group that is neither suspended, expired
// nor dissolved: active with a binding and a current signature; needs a
// signature when bound but its signature is of an old version or lapsed;
// otherwise approved, waiting for its administrator. A change is audited
// and, when a new signature is needed, the administrator is told.
func (s *Service) settle(ctx context.Context, tx TxStore, g *Group, now time.Time, reason string) error {
	if g.Status != GroupApproved && g.Status != GroupActive && g.Status != GroupNeedsSignature {
		return nil
	}
	bs, err := tx.Bindings(ctx, g.ID)
	if err != nil {
		return err
	}
	t, err := tx.CurrentTemplate(ctx)
	if err != nil {
		return err
	}
	sig, err := latestSignature(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	want := GroupApproved
	switch {
	case len(bs) > 0 && s.signatureCurrent(sig, t.Version, now):
		want = GroupActive
	case len(bs) > 0 && sig != nil:
		want = GroupNeedsSignature
	}
	if want == g.Status {
		return nil
	}
	from := g.Status
	g.Status, g.UpdatedAt = want, now
	if err := tx.UpdateGroup(ctx, g); err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, event(ctx, now, "group.status", groupObject(g.ID), map[string]any{"from": from, "to": want, "reason": reason})); err != nil {
		return err
	}
	if want == GroupNeedsSignature {
		_, err = notify(ctx, tx, now, g.Responsible, "group.needs_signature", groupObject(g.ID), "",
			"Group %d %q needs a new signature of the confidentiality statement (version %d): %s.", g.ID, g.Name, t.Version, reason)
	}
	return err
}

// StatementText is the exact text a responsible person signs.
type StatementText struct {
	Version  int    `json:"version"`
	Language string `json:"language"`
	Text     string `json:"text"`
	SHA256   string `json:"sha256"`
}

func statementText(t *Template, lang string) *StatementText {
	if lang != "en" {
		lang = "zh-CN"
	}
	text := t.Text(lang)
	sum := sha256.Sum256([]byte(text))
	return &StatementText{Version: t.Version, Language: lang, Text: text, SHA256: hex.EncodeToString(sum[:])}
}

// Statement returns the current template's text for a group, in lang.
func (s *Service) Statement(ctx context.Context, p *account.Principal, id int64, lang string) (*StatementText, error) {
	if _, err := s.readableGroup(ctx, p, id); err != nil {
		return nil, err
	}
	t, err := s.Store.CurrentTemplate(ctx)
	if err != nil {
		return nil, err
	}
	return statementText(t, lang), nil
}

// SignInput is what a signer gives: their typed full name, the language of
// the text they read, their address, and (optionally) the SHA-256 of the
// text they were shown.
type SignInput struct {
	FullName string
	Language string
	Addr     string
	SHA256   string
}

// Sign records the responsible person's signature of the current statement:
// the version, the SHA-256 of the exact text in the language read, the
// typed full name (which must be their real name), the time and address.
// With in.SHA256 set, only that text is signed: if a new version was
// published since, the signature is refused rather than given to a text
// the signer never read.
func (s *Service) Sign(ctx context.Context, p *account.Principal, id int64, in SignInput) (*Signature, error) {
	u, err := userOf(p)
	if err != nil {
		return nil, err
	}
	fullName, lang, addr, expect := strings.TrimSpace(in.FullName), in.Language, in.Addr, in.SHA256
	if fullName == "" {
		return nil, errs.Field("full_name", "required: type your full name")
	}
	var sig *Signature
	err = s.Tx(ctx, func(tx TxStore) error {
		g, err := tx.Group(ctx, id)
		if err != nil {
			return err
		}
		if g.Responsible != u.Username {
			// Whoever may not read the group is not told it exists.
			if _, err := s.readableGroup(ctx, p, id); err != nil {
				return err
			}
			return errs.E(errs.Forbidden, "only the responsible person of group %d may sign its statement", id)
		}
		if g.Status == GroupDissolved || g.Status == GroupExpired {
			return errs.E(errs.Conflict, "group %d is %s", id, g.Status)
		}
		if fullName != u.RealName {
			return errs.Field("full_name", "the typed name does not match your real name on record")
		}
		t, err := tx.CurrentTemplate(ctx)
		if err != nil {
			return err
		}
		st := statementText(t, lang)
		if expect != "" && expect != st.SHA256 {
			return errs.E(errs.Conflict, "the statement changed since it was read: version %d is current; read it again before signing", t.Version)
		}
		now := s.now()
		sig = &Signature{GroupID: id, Username: u.Username, TemplateVersion: t.Version, Language: st.Language,
			TextSHA256: st.SHA256, FullName: fullName, Addr: addr, SignedAt: now}
		if err := tx.AddSignature(ctx, sig); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, event(ctx, now, "statement.sign", groupObject(id), map[string]any{
			"version": t.Version, "language": st.Language, "sha256": st.SHA256})); err != nil {
			return err
		}
		return s.settle(ctx, tx, g, now, "statement signed")
	})
	return sig, err
}

// Bind ties a platform room to a group; a room belongs to one group only.
func (s *Service) Bind(ctx context.Context, p *account.Principal, id int64, platform Platform, roomID string) (*Binding, error) {
	roomID = strings.TrimSpace(roomID)
	if !validPlatform(platform) {
		return nil, errs.Field("platform", "%q is not one of wecom, wechat, dingtalk, feishu, matrix, other", platform)
	}
	if roomID == "" {
		return nil, errs.Field("room_id", "required")
	}
	var b *Binding
	err := s.Tx(ctx, func(tx TxStore) error {
		g, err := s.managedGroup(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if g.Status == GroupDissolved || g.Status == GroupExpired {
			return errs.E(errs.Conflict, "group %d is %s", id, g.Status)
		}
		now := s.now()
		b = &Binding{GroupID: id, Platform: platform, RoomID: roomID, BoundAt: now, BoundBy: actorName(p)}
		if err := tx.AddBinding(ctx, b); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, event(ctx, now, "group.bind", groupObject(id), map[string]any{"platform": platform, "room_id": roomID})); err != nil {
			return err
		}
		return s.settle(ctx, tx, g, now, "platform group bound")
	})
	return b, err
}

func actorName(p *account.Principal) string {
	if p == nil {
		return "cli"
	}
	return p.Name()
}

// NewMember is a member the administrator adds: a user, or an external
// contact with a justification and, when known, their platform handle.
type NewMember struct {
	Username      string   `json:"username"`
	External      string   `json:"external"`
	Organization  string   `json:"organization"`
	Justification string   `json:"justification"`
	Platform      Platform `json:"platform"`
	Handle        string   `json:"handle"`
}

// AddMember records a join.
func (s *Service) AddMember(ctx context.Context, p *account.Principal, id int64, in NewMember) (*Member, error) {
	m := &Member{GroupID: id, Username: strings.TrimSpace(in.Username), External: strings.TrimSpace(in.External),
		Organization: strings.TrimSpace(in.Organization), Justification: strings.TrimSpace(in.Justification),
		Platform: in.Platform, Handle: strings.TrimSpace(in.Handle)}
	switch {
	case m.Username != "" && m.External != "":
		return nil, errs.Field("username", "give either username or external, not both")
	case m.Username == "" && m.External == "":
		return nil, errs.Field("username", "give a username or an external name")
	case m.External != "" && m.Justification == "":
		return nil, errs.Field("justification", "an external member needs a justification")
	case m.Username != "" && m.Handle != "":
		return nil, errs.Field("handle", "an employee's handles are kept on the user (POST /api/v1/users/{username}/handles)")
	case m.Handle != "" && !validPlatform(m.Platform):
		return nil, errs.Field("platform", "%q is not one of wecom, wechat, dingtalk, feishu, matrix, other", m.Platform)
	}
	err := s.Tx(ctx, func(tx TxStore) error {
		g, err := s.managedGroup(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if g.Status == GroupDissolved {
			return errs.E(errs.Conflict, "group %d is dissolved", id)
		}
		current, err := tx.Members(ctx, id, false)
		if err != nil {
			return err
		}
		for _, c := range current {
			if m.Username != "" && c.Username == m.Username || m.External != "" && c.External == m.External && c.Organization == m.Organization {
				return errs.E(errs.Conflict, "%s%s is already a member of group %d", m.Username, m.External, id)
			}
		}
		// A handle names one person: an external contact cannot take a
		// user's, or the user's messages would be read as the contact's.
		if m.Handle != "" {
			if user, _, err := tx.HandleHolders(ctx, m.Platform, m.Handle); err != nil {
				return err
			} else if user != "" {
				return errs.E(errs.Conflict, "%s handle %q belongs to user %s", m.Platform, m.Handle, user)
			}
		}
		if m.Username != "" {
			if _, err := tx.User(ctx, m.Username); errs.Is(err, errs.NotFound) {
				return errs.Field("username", "there is no user %q", m.Username)
			} else if err != nil {
				return err
			}
		}
		m.JoinedAt = s.now()
		if err := tx.AddMember(ctx, m); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, event(ctx, m.JoinedAt, "group.member.join", groupObject(id), map[string]any{
			"username": m.Username, "external": m.External, "organization": m.Organization, "justification": m.Justification}))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveMember records a leave; the stay stays in the timeline.
func (s *Service) RemoveMember(ctx context.Context, p *account.Principal, id, memberID int64) error {
	return s.Tx(ctx, func(tx TxStore) error {
		if _, err := s.managedGroup(ctx, tx, p, id); err != nil {
			return err
		}
		ms, err := tx.Members(ctx, id, false)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.ID == memberID {
				now := s.now()
				if err := tx.EndMember(ctx, memberID, now); err != nil {
					return err
				}
				return tx.AppendAudit(ctx, event(ctx, now, "group.member.leave", groupObject(id), map[string]any{
					"member": memberID, "username": m.Username, "external": m.External}))
			}
		}
		return errs.E(errs.NotFound, "member %d is not a current member of group %d", memberID, id)
	})
}

// Dissolve ends a group for good, with the reason recorded.
func (s *Service) Dissolve(ctx context.Context, p *account.Principal, id int64, reason string) (*Group, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, errs.Field("reason", "required: say why the group is dissolved")
	}
	var out *Group
	err := s.Tx(ctx, func(tx TxStore) error {
		g, err := s.managedGroup(ctx, tx, p, id)
		if err != nil {
			return err
		}
		out = g
		return s.dissolve(ctx, tx, g, reason)
	})
	return out, err
}

func (s *Service) dissolve(ctx context.Context, tx TxStore, g *Group, reason string) error {
	if g.Status == GroupDissolved {
		return errs.E(errs.Conflict, "group %d is already dissolved", g.ID)
	}
	now := s.now()
	from := g.Status
	g.Status, g.DissolvedReason, g.UpdatedAt = GroupDissolved, reason, now
	if err := tx.UpdateGroup(ctx, g); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, event(ctx, now, "group.dissolve", groupObject(g.ID), map[string]any{"from": from, "reason": reason}))
}

// Handles lists a user's platform handles to those who read the user
// directory (admins, auditors, security officers); an unknown user is
// NotFound, not an empty list.
func (s *Service) Handles(ctx context.Context, p *account.Principal, username string) ([]Handle, error) {
	if err := account.Allow(p, "read users' handles", account.DirectoryReaders...); err != nil {
		return nil, err
	}
	if _, err := s.Store.User(ctx, username); err != nil {
		return nil, err
	}
	return s.Store.Handles(ctx, username)
}

// AddHandle records a user's handle on a platform, so captured messages
// resolve to the person. A handle belongs to one user; a Matrix handle must
// be a Matrix user ID.
func (s *Service) AddHandle(ctx context.Context, username string, platform Platform, handle string) (*Handle, error) {
	handle = strings.TrimSpace(handle)
	if err := checkHandle(platform, handle); err != nil {
		return nil, err
	}
	var h *Handle
	err := s.Tx(ctx, func(tx TxStore) error {
		var err error
		h, err = s.addHandle(ctx, tx, username, platform, handle, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// HandlesIn adds handles in tx, a transaction its caller runs: the HR
// directory import writes a user and the user's handles in one, so that a
// row with a bad handle leaves nothing behind (account.Handles).
func (s *Service) HandlesIn(tx TxStore) TxHandles { return TxHandles{s: s, tx: tx} }

// TxHandles adds users' handles within one transaction.
type TxHandles struct {
	s  *Service
	tx TxStore
}

// AddHandle gives username the handle, checked as Service.AddHandle checks
// it, and audits it. A handle the user has already is left as it is
// (added is false), so importing the same file twice changes nothing.
func (h TxHandles) AddHandle(ctx context.Context, username, platform, handle string) (added bool, err error) {
	handle = strings.TrimSpace(handle)
	if err := checkHandle(Platform(platform), handle); err != nil {
		return false, err
	}
	got, err := h.s.addHandle(ctx, h.tx, username, Platform(platform), handle, true)
	return got != nil, err
}

// addHandle checks a well-formed handle against its holders and adds it in
// tx with its audit event. A handle username holds already is nil and no
// error when again is set, a Conflict otherwise.
func (s *Service) addHandle(ctx context.Context, tx TxStore, username string, platform Platform, handle string, again bool) (*Handle, error) {
	if _, err := tx.User(ctx, username); err != nil {
		return nil, err
	}
	user, groups, err := tx.HandleHolders(ctx, platform, handle)
	switch {
	case err != nil:
		return nil, err
	case user == username && again:
		return nil, nil
	case user == username:
		return nil, errs.E(errs.Conflict, "%s handle %q is %s's already", platform, handle, username)
	case user != "":
		return nil, errs.E(errs.Conflict, "%s handle %q belongs to user %s", platform, handle, user)
	case len(groups) > 0:
		// An external contact still in a group keeps its handle: were it
		// the user's, the contact's messages would be read as the user's.
		return nil, errs.E(errs.Conflict, "%s handle %q is an external member's in group %d", platform, handle, groups[0])
	}
	h := &Handle{Username: username, Platform: platform, Handle: handle, CreatedAt: s.now()}
	if err := tx.AddHandle(ctx, h); err != nil {
		return nil, err
	}
	if err := tx.AppendAudit(ctx, event(ctx, h.CreatedAt, "user.handle.add", "user:"+username, map[string]any{"platform": platform, "handle": handle})); err != nil {
		return nil, err
	}
	return h, nil
}

//go:embed statement_zh.txt
var defaultStatementZh string

//go:embed statement_en.txt
var defaultStatementEn string

// Templates lists the statement versions, newest first, to every person
// (each may be asked to sign one) and to auditors; not to machine tokens
// that only deliver or administer.
func (s *Service) Templates(ctx context.Context, p *account.Principal) ([]Template, error) {
	if err := account.Allow(p, "read the statement templates", account.Member, account.Auditor); err != nil {
		return nil, err
	}
	return s.Store.Templates(ctx)
}

// CurrentTemplate is the statement version groups sign now, for those who
// may read the templates.
func (s *Service) CurrentTemplate(ctx context.Context, p *account.Principal) (*Template, error) {
	if err := account.Allow(p, "read the statement templates", account.Member, account.Auditor); err != nil {
		return nil, err
	}
	return s.Store.CurrentTemplate(ctx)
}

// EnsureDefaultTemplate publishes the shipped statement as version 1 when
// there is no template yet.
func (s *Service) EnsureDefaultTemplate(ctx context.Context) error {
	ts, err := s.Store.Templates(ctx)
	if err != nil || len(ts) > 0 {
		return err
	}
	_, err = s.PublishTemplate(ctx, defaultStatementZh, defaultStatementEn)
	return err
}

// PublishTemplate publishes a new statement version. Every active group
// signed on an older version now needs a new signature.
func (s *Service) PublishTemplate(ctx context.Context, zh, en string) (*Template, error) {
	if strings.TrimSpace(zh) == "" {
		return nil, errs.Field("text_zh", "required")
	}
	if strings.TrimSpace(en) == "" {
		return nil, errs.Field("text_en", "required")
	}
	now := s.now()
	t := &Template{TextZh: zh, TextEn: en, PublishedAt: now, PublishedBy: audit.ActorFrom(ctx).Name}
	err := s.Tx(ctx, func(tx TxStore) error {
		ts, err := tx.Templates(ctx)
		if err != nil {
			return err
		}
		t.Version = 1
		if len(ts) > 0 {
			t.Version = ts[0].Version + 1
		}
		if err := tx.AddTemplate(ctx, t); err != nil {
			return err
		}
		zs, es := statementText(t, "zh-CN"), statementText(t, "en")
		if err := tx.AppendAudit(ctx, event(ctx, now, "template.publish", "template:"+strconv.Itoa(t.Version), map[string]any{
			"sha256_zh": zs.SHA256, "sha256_en": es.SHA256})); err != nil {
			return err
		}
		gs, err := tx.Groups(ctx, GroupFilter{Status: GroupActive})
		if err != nil {
			return err
		}
		for i := range gs {
			if err := s.settle(ctx, tx, &gs[i], now, "a new statement version was published"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
