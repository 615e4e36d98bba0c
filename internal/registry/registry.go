// Package registry is the register of an organization's work chat groups:
// applications and their approval, the groups they create, members and
// platform bindings, signed confidentiality statements, re-certification and
// declaration campaigns, and the notices that time-driven work sends.
//
// It governs only groups the organization registered as work groups, and
// nothing in it concerns what members think: the statement is about
// confidentiality, and the checks it announces are for leaks, personal data,
// credentials and improper transfers.
package registry

import (
	"context"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
)

// Platform is the chat system a group lives on.
type Platform string

// Platforms are the platforms a group may be registered on.
var Platforms = []Platform{"wecom", "wechat", "dingtalk", "feishu", "matrix", "other"}

func validPlatform(p Platform) bool {
	for _, x := range Platforms {
		if x == p {
			return true
		}
	}
	return false
}

// Level is a group's confidentiality level. Classified material is never
// allowed in any chat group, so there is no level above sensitive.
type Level string

const (
	Public    Level = "public"
	Internal  Level = "internal"
	Sensitive Level = "sensitive"
)

// Levels are the confidentiality levels, least to most restricted.
var Levels = []Level{Public, Internal, Sensitive}

func validLevel(l Level) bool { return l == Public || l == Internal || l == Sensitive }

// Status of an application.
const (
	Draft     = "draft"
	Submitted = "submitted"
	Approved  = "approved"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"
)

// Status of a group. A group starts approved (awaiting its administrator's
// signature and binding) and is active once both are there.
const (
	GroupApproved       = "approved"
	GroupActive         = "active"
	GroupNeedsSignature = "needs_signature"
	GroupSuspended      = "suspended"
	GroupExpired        = "expired"
	GroupDissolved      = "dissolved"
)

// ProposedMember is an intended member named in an application: either an
// internal user by username or an external contact with a justification.
type ProposedMember struct {
	Username      string `json:"username,omitempty"`
	External      string `json:"external,omitempty"`
	Organization  string `json:"organization,omitempty"`
	Justification string `json:"justification,omitempty"`
}

// Step is one step of an approval chain. Role approver means an approver of
// the applicant's org unit or one of its parents; security_officer means any
// security officer. When "external", the step applies only when the
// application names external members.
type Step struct {
	Role account.Role `json:"role"`
	When string       `json:"when,omitempty"`
}

// ApprovalChain is the chain configured for an org unit (and its sub-units
// without their own) at one level.
type ApprovalChain struct {
	OrgUnit   string    `json:"org_unit"`
	Level     Level     `json:"level"`
	Steps     []Step    `json:"steps"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Application asks for a work group (or, with Renews set, for a new term of one).
type Application struct {
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
	Purpose     string           `json:"purpose"`
	Platform    Platform         `json:"platform"`
	PlannedAt   time.Time        `json:"planned_at"`
	ExpiresAt   time.Time        `json:"expires_at"`
	Responsible string           `json:"responsible"`
	Level       Level            `json:"level"`
	Members     []ProposedMember `json:"members"`
	Applicant   string           `json:"applicant"`
	OrgUnit     string           `json:"org_unit"`
	Status      string           `json:"status"`
	Round       int              `json:"round"`
	Step        int              `json:"-"`
	Steps       []Step           `json:"steps"`
	StepSince   *time.Time       `json:"step_since,omitempty"`
	Renews      int64            `json:"renews,omitempty"`
	GroupID     int64            `json:"group_id,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`

	// Filled when one application is shown.
	CurrentStep *CurrentStep `json:"current_step,omitempty"`
	Decisions   []Decision   `json:"decisions,omitempty"`
}

// CurrentStep is the step an application waits on: its number (from 1) and role.
type CurrentStep struct {
	Number int          `json:"number"`
	Role   account.Role `json:"role"`
}

func (a *Application) hasExternal() bool {
	for _, m := range a.Members {
		if m.External != "" {
			return true
		}
	}
	return false
}

// Decision is one approver's decision on one step of one round.
type Decision struct {
	ID            int64     `json:"id"`
	ApplicationID int64     `json:"application_id"`
	Round         int       `json:"round"`
	Step          int       `json:"step"`
	Decider       string    `json:"decider"`
	Decision      string    `json:"decision"`
	Comment       string    `json:"comment"`
	At            time.Time `json:"at"`
}

// ApplicationFilter narrows a listing; zero fields match everything.
type ApplicationFilter struct {
	Status    string
	Applicant string
}

// Group is a registered work group.
type Group struct {
	ID              int64     `json:"id"`
	ApplicationID   int64     `json:"application_id"`
	Name            string    `json:"name"`
	Purpose         string    `json:"purpose"`
	Platform        Platform  `json:"platform"`
	Level           Level     `json:"level"`
	OrgUnit         string    `json:"org_unit"`
	Responsible     string    `json:"responsible"`
	Status          string    `json:"status"`
	EstablishedAt   time.Time `json:"established_at"`
	ExpiresAt       time.Time `json:"expires_at"`
	DissolvedReason string    `json:"dissolved_reason,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// GroupDetail is one group as shown: with its current members, its
// bindings and the state of its statement.
type GroupDetail struct {
	Group
	Members   []Member       `json:"members"`
	Bindings  []Binding      `json:"bindings"`
	Statement *StatementInfo `json:"statement"`
}

// GroupFilter narrows a listing; zero fields match everything. Person
// matches groups the user is responsible for or a current member of.
type GroupFilter struct {
	Status string
	Level  Level
	Person string
}

// Member is one stay of a person in a group: joined, and left when LeftAt is set.
type Member struct {
	ID            int64      `json:"id"`
	GroupID       int64      `json:"group_id"`
	Username      string     `json:"username,omitempty"`
	DisplayName   string     `json:"display_name,omitempty"`
	RealName      string     `json:"real_name,omitempty"` // shown only to the responsible person and to oversight roles
	Verified      bool       `json:"verified"`
	External      string     `json:"external,omitempty"`
	Organization  string     `json:"organization,omitempty"`
	Justification string     `json:"justification,omitempty"`
	Platform      Platform   `json:"platform,omitempty"` // external contact's handle on the platform
	Handle        string     `json:"handle,omitempty"`
	JoinedAt      time.Time  `json:"joined_at"`
	LeftAt        *time.Time `json:"left_at,omitempty"`
}

// Binding ties a platform room to a group.
type Binding struct {
	ID       int64     `json:"id"`
	GroupID  int64     `json:"group_id"`
	Platform Platform  `json:"platform"`
	RoomID   string    `json:"room_id"`
	BoundAt  time.Time `json:"bound_at"`
	BoundBy  string    `json:"bound_by"`
}

// Handle is a user's identity on a platform (a WeCom userid, a Matrix id...).
type Handle struct {
	Username  string    `json:"username"`
	Platform  Platform  `json:"platform"`
	Handle    string    `json:"handle"`
	CreatedAt time.Time `json:"created_at"`
}

// Template is one version of the confidentiality statement.
type Template struct {
	Version     int       `json:"version"`
	TextZh      string    `json:"text_zh"`
	TextEn      string    `json:"text_en"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// Text is the template in a language (zh-CN unless en).
func (t *Template) Text(lang string) string {
	if lang == "en" {
		return t.TextEn
	}
	return t.TextZh
}

// Signature is the responsible person's signature of a statement version.
type Signature struct {
	ID              int64     `json:"id"`
	GroupID         int64     `json:"group_id"`
	Username        string    `json:"username"`
	TemplateVersion int       `json:"template_version"`
	Language        string    `json:"language"`
	TextSHA256      string    `json:"text_sha256"`
	FullName        string    `json:"full_name"`
	Addr            string    `json:"addr"`
	SignedAt        time.Time `json:"signed_at"`
}

// StatementInfo is a group's statement state as shown with the group.
type StatementInfo struct {
	CurrentVersion int        `json:"current_version"`
	Signed         bool       `json:"signed"` // a signature of the current version, not lapsed
	Signature      *Signature `json:"signature,omitempty"`
	LapsesAt       *time.Time `json:"lapses_at,omitempty"`
}

// Campaign kinds.
const (
	Recertification = "recertification"
	Declaration     = "declaration"
)

// Re-certification answers and defaults.
const (
	Keep     = "keep"
	Suspend  = "suspend"
	Dissolve = "dissolve"
)

// Campaign asks administrators to re-certify their groups, or every
// employee to declare the work groups they are in, by a deadline.
type Campaign struct {
	ID              int64      `json:"id"`
	Kind            string     `json:"kind"`
	Level           Level      `json:"level,omitempty"` // recertification: the level covered, empty for all
	Title           string     `json:"title"`
	Deadline        time.Time  `json:"deadline"`
	DefaultDecision string     `json:"default_decision,omitempty"` // recertification: keep or suspend on no answer
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
}

// Recert is one group's task in a re-certification campaign.
type Recert struct {
	CampaignID  int64      `json:"campaign_id"`
	GroupID     int64      `json:"group_id"`
	GroupName   string     `json:"group_name"`
	Responsible string     `json:"responsible"`
	Decision    string     `json:"decision"` // empty until answered or defaulted
	MembersOK   bool       `json:"members_ok"`
	Comment     string     `json:"comment"`
	AnsweredBy  string     `json:"answered_by,omitempty"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	Defaulted   bool       `json:"defaulted"`
}

// DeclaredGroup is one line of a declaration: a registered group, or the
// name and platform of one that is not registered.
type DeclaredGroup struct {
	ID            int64     `json:"id,omitempty"`
	CampaignID    int64     `json:"campaign_id,omitempty"`
	Username      string    `json:"username,omitempty"`
	GroupID       int64     `json:"group_id,omitempty"`
	Name          string    `json:"name,omitempty"`
	Platform      Platform  `json:"platform,omitempty"`
	ApplicationID int64     `json:"application_id,omitempty"` // the draft made for an unregistered group
	DeclaredAt    time.Time `json:"declared_at"`
}

// Notification is an in-app notice to one user. Key, when set, makes it
// idempotent: a second notice with the same user and key is not stored.
type Notification struct {
	ID        int64      `json:"id"`
	Username  string     `json:"username"`
	Kind      string     `json:"kind"`
	Object    string     `json:"object"`
	Message   string     `json:"message"`
	Key       string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// Sender is what capture needs to know about a message's sender. Username is
// empty for an external contact known only by its handle in the group.
type Sender struct {
	Username string `json:"username,omitempty"`
	Name     string `json:"name"`
	Verified bool   `json:"verified"`
	Member   bool   `json:"member"`   // a current member of the group asked about
	External bool   `json:"external"` // an external contact, not an employee
}

// Store is what the registry needs from storage.
type Store interface {
	SetApprovalChain(ctx context.Context, c *ApprovalChain) error
	DeleteApprovalChain(ctx context.Context, orgUnit string, level Level) error
	ApprovalChains(ctx context.Context) ([]ApprovalChain, error)

	CreateApplication(ctx context.Context, a *Application) error
	UpdateApplication(ctx context.Context, a *Application) error // every field but id, applicant and created_at
	Application(ctx context.Context, id int64) (*Application, error)
	Applications(ctx context.Context, f ApplicationFilter) ([]Application, error)
	AddDecision(ctx context.Context, d *Decision) error
	Decisions(ctx context.Context, applicationID int64) ([]Decision, error)

	CreateGroup(ctx context.Context, g *Group) error
	UpdateGroup(ctx context.Context, g *Group) error // status, expires_at, dissolved_reason, updated_at
	Group(ctx context.Context, id int64) (*Group, error)
	Groups(ctx context.Context, f GroupFilter) ([]Group, error)

	AddMember(ctx context.Context, m *Member) error
	EndMember(ctx context.Context, id int64, at time.Time) error
	Members(ctx context.Context, groupID int64, withPast bool) ([]Member, error)

	AddBinding(ctx context.Context, b *Binding) error // Conflict when the room is bound already
	Bindings(ctx context.Context, groupID int64) ([]Binding, error)

	AddHandle(ctx context.Context, h *Handle) error // Conflict when the handle is taken
	// HandleHolders says who holds a platform handle: the user whose handle
	// it is (empty when none), and the groups where an external member who
	// has not left uses it.
	HandleHolders(ctx context.Context, platform Platform, handle string) (user string, groups []int64, err error)
	Handles(ctx context.Context, username string) ([]Handle, error)

	AddTemplate(ctx context.Context, t *Template) error // stores t.Version as given
	Templates(ctx context.Context) ([]Template, error)  // newest first
	CurrentTemplate(ctx context.Context) (*Template, error)

	AddSignature(ctx context.Context, s *Signature) error
	LatestSignature(ctx context.Context, groupID int64) (*Signature, error)

	CreateCampaign(ctx context.Context, c *Campaign) error
	CloseCampaign(ctx context.Context, id int64, at time.Time) error
	Campaign(ctx context.Context, id int64) (*Campaign, error)
	Campaigns(ctx context.Context) ([]Campaign, error) // newest first
	AddRecert(ctx context.Context, r *Recert) error
	UpdateRecert(ctx context.Context, r *Recert) error
	Recerts(ctx context.Context, campaignID int64) ([]Recert, error)
	AddDeclaration(ctx context.Context, d *DeclaredGroup) error
	Declarations(ctx context.Context, campaignID int64) ([]DeclaredGroup, error)

	// Notify stores n unless its (user, key) was used before; it reports whether it stored it.
	Notify(ctx context.Context, n *Notification) (bool, error)
	Notifications(ctx context.Context, username string, unreadOnly bool) ([]Notification, error)
	MarkRead(ctx context.Context, id int64, username string, at time.Time) error

	RoomStore

	// The capture pipeline calls these two for every message; both are one
	// indexed lookup. Each returns (nil, nil) when nothing matches.
}

// NewApplication is the input for applying, and for editing a draft or a
// rejected application before it is submitted again.
type NewApplication struct {
	Name        string           `json:"name"`
	Purpose     string           `json:"purpose"`
	Platform    Platform         `json:"platform"`
	PlannedAt   string           `json:"planned_at"`
	ExpiresAt   string           `json:"expires_at"`
	Responsible string           `json:"responsible"`
	Level       Level            `json:"level"`
	Members     []ProposedMember `json:"members"`
	Renews      int64            `json:"renews,omitempty"`
	Draft       bool             `json:"draft,omitempty"`
}

// parseTime reads an RFC 3339 time; empty is the zero time.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errs.Field(field, "%q is not an RFC 3339 time (2006-01-02T15:04:05Z)", v)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// fill copies the input onto a; only shapes are checked here (see validate).
func (in *NewApplication) fill(a *Application) error {
	var err error
	if a.PlannedAt, err = parseTime("planned_at", in.PlannedAt); err != nil {
		return err
	}
	if a.ExpiresAt, err = parseTime("expires_at", in.ExpiresAt); err != nil {
		return err
	}
	a.Name, a.Purpose = strings.TrimSpace(in.Name), strings.TrimSpace(in.Purpose)
	a.Platform, a.Level, a.Responsible = in.Platform, in.Level, strings.TrimSpace(in.Responsible)
	a.Renews = in.Renews
	a.Members = []ProposedMember{}
	for _, m := range in.Members {
		m.Username, m.External = strings.TrimSpace(m.Username), strings.TrimSpace(m.External)
		m.Organization, m.Justification = strings.TrimSpace(m.Organization), strings.TrimSpace(m.Justification)
		a.Members = append(a.Members, m)
	}
	return nil
}

// validate checks an application before it is submitted. A draft is only
// checked for the shape of what it has; completeness is checked on submission.
func (a *Application) validate(draft bool) error {
	if a.Name == "" {
		return errs.Field("name", "required")
	}
	if !draft {
		switch {
		case a.Purpose == "":
			return errs.Field("purpose", "required: say what the group is for")
		case a.Platform == "":
			return errs.Field("platform", "required")
		case a.PlannedAt.IsZero():
			return errs.Field("planned_at", "required")
		case a.ExpiresAt.IsZero():
			return errs.Field("expires_at", "required")
		case a.Responsible == "":
			return errs.Field("responsible", "required")
		case a.Level == "":
			return errs.Field("level", "required")
		}
	}
	if a.Platform != "" && !validPlatform(a.Platform) {
		return errs.Field("platform", "%q is not one of wecom, wechat, dingtalk, feishu, matrix, other", a.Platform)
	}
	if a.Level != "" && !validLevel(a.Level) {
		return errs.Field("level", "%q is not one of public, internal, sensitive", a.Level)
	}
	if !a.PlannedAt.IsZero() && !a.ExpiresAt.IsZero() && !a.ExpiresAt.After(a.PlannedAt) {
		return errs.Field("expires_at", "the term must end after the establishment time (%s)", a.PlannedAt.Format(time.RFC3339))
	}
	for i, m := range a.Members {
		switch {
		case m.Username != "" && m.External != "":
			return errs.Field("members", "member %d: give either username or external, not both", i+1)
		case m.Username == "" && m.External == "":
			return errs.Field("members", "member %d: give a username or an external name", i+1)
		case m.External != "" && m.Justification == "" && !draft:
			return errs.Field("members", "member %d: external member %q needs a justification", i+1, m.External)
		}
	}
	return nil
}
