package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"charter/internal/account"
	"charter/internal/audit"
	"charter/internal/errs"
	"charter/internal/registry"
	"charter/internal/review"
)

// Enforcement is what Charter does on the homeserver about a room running
// outside the registry. Both actions are off until a security officer
// turns them on; each is audited and recorded on the room's alert.
type Enforcement struct {
	// Notice sends every member of the room from the organization's server
	// a server notice: the room is not registered, and how to apply.
	Notice bool `json:"notice"`
	// CloseAfter closes the room through the homeserver's admin API once
	// it has existed this long unregistered; 0 never closes.
	CloseAfter time.Duration `json:"-"`
	// AdminToken is an administrator's access token on the homeserver,
	// which its admin API asks for; kept as is, since it must be sent.
	AdminToken string    `json:"-"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at,omitempty"`
}

// MarshalJSON shows the grace period readably and never the token.
func (e Enforcement) MarshalJSON() ([]byte, error) {
	type plain Enforcement
	return json.Marshal(struct {
		plain
		CloseAfter    string `json:"close_after"`
		AdminTokenSet bool   `json:"admin_token_set"`
	}{plain(e), e.CloseAfter.String(), e.AdminToken != ""})
}

// EnforcementInput is what a security officer sets.
type EnforcementInput struct {
	Notice     bool   `json:"notice"`
	CloseAfter string `json:"close_after"` // a duration such as "72h"; "" or "0" never closes
	AdminToken string `json:"admin_token"` // "" keeps the token stored
}

// SetEnforcement turns the actions on or off: a security officer's
// decision, audited. An action that is on needs the admin token.
func (s *Service) SetEnforcement(ctx context.Context, p *account.Principal, in EnforcementInput) (*Enforcement, error) {
	if err := account.Allow(p, "set enforcement on the homeserver", account.SecurityOfficer); err != nil {
		return nil, err
	}
	e := &Enforcement{Notice: in.Notice, AdminToken: strings.TrimSpace(in.AdminToken), UpdatedBy: by(p), UpdatedAt: s.Now().UTC()}
	if c := strings.TrimSpace(in.CloseAfter); c != "" && c != "0" {
		d, err := time.ParseDuration(c)
		if err != nil || d < time.Second {
			return nil, errs.Field("close_after", "%q is not a grace period such as 72h", in.CloseAfter)
		}
		e.CloseAfter = d
	}
	prev, err := s.Store.MatrixEnforcement(ctx)
	if err != nil {
		return nil, err
	}
	if e.AdminToken == "" {
		e.AdminToken = prev.AdminToken
	}
	if (e.Notice || e.CloseAfter > 0) && e.AdminToken == "" {
		return nil, errs.Field("admin_token", "required: the homeserver's admin API needs an administrator's access token")
	}
	if err := s.Store.SaveMatrixEnforcement(ctx, e); err != nil {
		return nil, err
	}
	return e, s.Store.AppendAudit(ctx, audit.New(ctx, e.UpdatedAt, "matrix.enforcement", "matrix:enforcement",
		audit.Summarize(map[string]string{"notice": fmt.Sprint(e.Notice), "close_after": e.CloseAfter.String(),
			"admin_token_changed": fmt.Sprint(in.AdminToken != "")})))
}

// GetEnforcement shows the settings to those who answer for them.
func (s *Service) GetEnforcement(ctx context.Context, p *account.Principal) (*Enforcement, error) {
	if err := account.Allow(p, "read enforcement on the homeserver", account.SecurityOfficer, account.Auditor, account.Admin); err != nil {
		return nil, err
	}
	return s.Store.MatrixEnforcement(ctx)
}

func by(p *account.Principal) string {
	if p == nil {
		return "cli"
	}
	return p.Name()
}

// The actions recorded on an alert.
const (
	ActionNotice = "matrix.notice"
	ActionClose  = "matrix.close"
)

// Enforce makes one pass over the unregistered Matrix rooms whose alert is
// still unresolved (a reviewer who resolves it — "not a work group" —
// stops the actions) and does what is turned on and not yet done: a
// notice to each member from the organization's server, and after the
// grace period, closing the room. A failed call is recorded with its
// reason and not retried by itself: the officer sees it on the alert.
// Each action is recorded after the homeserver answered, so a crash in
// between may repeat one notice, never lose one.
func (s *Service) Enforce(ctx context.Context) (done int, err error) {
	e, err := s.Store.MatrixEnforcement(ctx)
	if err != nil || !e.Notice && e.CloseAfter == 0 {
		return 0, err
	}
	as, err := s.Store.MatrixAppService(ctx)
	if errs.Is(err, errs.NotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	rooms, err := s.Rooms.Rooms(ctx, nil, registry.RoomFilter{Platform: "matrix", Unregistered: true})
	if err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	for _, r := range rooms {
		alert, err := s.unresolvedAlert(ctx, r.RoomID)
		if err != nil {
			return done, err
		} else if alert == nil {
			continue
		}
		actions, err := s.Alerts.AlertActions(ctx, alert.ID)
		if err != nil {
			return done, err
		}
		did := map[string]bool{}
		for _, x := range actions {
			did[x.Action+" "+x.Target] = true
		}
		since := r.FirstSeen
		if r.CreatedAt != nil {
			since = *r.CreatedAt
		}
		act := func(action, target string, call func() error) error {
			if did[action+" "+target] {
				return nil
			}
			result := "ok"
			if err := call(); err != nil {
				result = err.Error()
			}
			x := &review.AlertAction{AlertID: alert.ID, Action: action, Target: target, Actor: "charter", Result: result, At: s.Now().UTC()}
			if _, err := s.Alerts.AddAlertAction(ctx, x); err != nil {
				return err
			}
			done++
			return s.Store.AppendAudit(ctx, audit.New(ctx, x.At, action, "matrix:"+r.RoomID,
				audit.Summarize(map[string]string{"alert": fmt.Sprint(alert.ID), "target": target, "result": result})))
		}
		if e.Notice {
			for _, m := range r.Members {
				if _, server, _ := strings.Cut(m, ":"); server != as.ServerName || m == botID(as) {
					continue // another server's users get no notice from ours
				}
				if err := act(ActionNotice, m, func() error { return s.serverNotice(ctx, as, e, m, noticeText(r, e)) }); err != nil {
					return done, err
				}
			}
		}
		if e.CloseAfter > 0 && now.Sub(since) >= e.CloseAfter {
			if err := act(ActionClose, r.RoomID, func() error { return s.closeRoom(ctx, as, e, r.RoomID) }); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

// unresolvedAlert is the room's open or claimed registry.unregistered_room
// alert, or nil.
func (s *Service) unresolvedAlert(ctx context.Context, roomID string) (*review.Alert, error) {
	as, err := s.Alerts.Alerts(ctx, review.AlertFilter{Rule: "registry.unregistered_room", Platform: "matrix", RoomID: roomID, Limit: 10})
	for i := range as {
		if as[i].Status != review.StatusResolved {
			return &as[i], err
		}
	}
	return nil, err
}

func botID(a *AppService) string { return "@charter:" + a.ServerName } // the registration's sender_localpart

// noticeText is Charter's own words to a member of an unregistered room,
// in both languages: what is wrong, how to apply, and what follows.
func noticeText(r registry.Room, e *Enforcement) string {
	name := r.Name
	if name == "" {
		name = r.RoomID
	}
	zh := fmt.Sprintf("您所在的聊天室「%s」未登记为工作群。工作群须先申请并经审批后使用：请群的负责人在 Charter 控制台「申请工作群」提交申请，获批后将本聊天室绑定到该群。", name)
	en := fmt.Sprintf("The room %q you are in is not registered as a work group. Work groups are applied for and approved before they are used: the person responsible applies in the Charter console (Apply for a work group) and, once approved, binds this room to the group.", name)
	if e.CloseAfter > 0 {
		zh += fmt.Sprintf("未登记的聊天室将在创建 %s 后关闭。", e.CloseAfter)
		en += fmt.Sprintf(" A room that is not registered is closed %s after it was created.", e.CloseAfter)
	}
	return zh + "\n" + en
}

// serverNotice sends one member a server notice (the admin API Synapse
// defined and Dendrite serves too).
func (s *Service) serverNotice(ctx context.Context, a *AppService, e *Enforcement, user, text string) error {
	body := map[string]any{"user_id": user, "content": map[string]string{"msgtype": "m.text", "body": text}}
	_, err := s.admin(ctx, a, e, "POST", "/_synapse/admin/v1/send_server_notice", body)
	return err
}

// closeRoom removes everyone from the room: Dendrite's evacuateRoom, else
// Synapse's room deletion (history kept: the archive has it already).
func (s *Service) closeRoom(ctx context.Context, a *AppService, e *Enforcement, roomID string) error {
	code, err := s.admin(ctx, a, e, "POST", "/_dendrite/admin/evacuateRoom/"+url.PathEscape(roomID), map[string]any{})
	if code == http.StatusNotFound {
		_, err = s.admin(ctx, a, e, "DELETE", "/_synapse/admin/v2/rooms/"+url.PathEscape(roomID),
			map[string]any{"block": false, "purge": false, "message": "This room was closed: it is not a registered work group."})
	}
	return err
}

// admin calls the homeserver's admin API with the officer's admin token.
func (s *Service) admin(ctx context.Context, a *AppService, e *Enforcement, method, path string, body any) (int, error) {
	return s.call(ctx, a.HomeserverURL, e.AdminToken, method, path, body, nil)
}

// Run enforces (and backfills bound rooms) every interval until ctx ends;
// a failed pass is logged and tried again at the next.
func (s *Service) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.BackfillDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("matrix backfill", "err", err)
		} else if n > 0 {
			log.Info("matrix backfill", "rooms", n)
		}
		if n, err := s.Enforce(ctx); err != nil && ctx.Err() == nil {
			log.Error("matrix enforcement", "err", err)
		} else if n > 0 {
			log.Info("matrix enforcement", "actions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
