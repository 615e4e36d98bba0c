package httpapi

import (
	"net/http"
	"strconv"

	"charter/internal/errs"
	"charter/internal/registry"
)

func (s *Server) apply(w http.ResponseWriter, r *http.Request) error {
	var in registry.NewApplication
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	a, err := s.Registry.Apply(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	as, err := s.Registry.ListApplications(r.Context(), principal(r), registry.ApplicationFilter{Status: q.Get("status"), Applicant: q.Get("applicant")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Application]{Items: as})
	return nil
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Registry.ShowApplication(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) editApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in registry.NewApplication
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	a, err := s.Registry.EditApplication(r.Context(), principal(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) submitApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Registry.Submit(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) withdrawApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Registry.Withdraw(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) decideApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Comment  string `json:"comment"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	a, err := s.Registry.Decide(r.Context(), principal(r), id, in.Decision, in.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) listApprovalChains(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Registry.ApprovalChains(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.ApprovalChain]{Items: cs})
	return nil
}

func (s *Server) setApprovalChain(w http.ResponseWriter, r *http.Request) error {
	var in registry.ApprovalChain
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := s.Registry.SetApprovalChain(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteApprovalChain(w http.ResponseWriter, r *http.Request) error {
	if err := s.Registry.DeleteApprovalChain(r.Context(), r.PathValue("org_unit"), registry.Level(r.PathValue("level"))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	gs, err := s.Registry.ListGroups(r.Context(), principal(r), registry.GroupFilter{Status: q.Get("status"), Level: registry.Level(q.Get("level"))})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Group]{Items: gs})
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	g, err := s.Registry.ShowGroup(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) getStatement(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	lang := r.URL.Query().Get("lang")
	if lang == "" && principal(r).User != nil {
		lang = principal(r).User.Language
	}
	st, err := s.Registry.Statement(r.Context(), principal(r), id, lang)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) signStatement(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		FullName string `json:"full_name"`
		Language string `json:"language"`
		// SHA256 of the text the signer read (GET .../statement); optional,
		// and when given a newer version is refused with 409.
		SHA256 string `json:"sha256"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	sig, err := s.Registry.Sign(r.Context(), principal(r), id, registry.SignInput{FullName: in.FullName, Language: in.Language, Addr: s.clientAddr(r), SHA256: in.SHA256})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sig)
	return nil
}

func (s *Server) bindGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Platform registry.Platform `json:"platform"`
		RoomID   string            `json:"room_id"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	b, err := s.Registry.Bind(r.Context(), principal(r), id, in.Platform, in.RoomID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) memberTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ms, err := s.Registry.MemberTimeline(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Member]{Items: ms})
	return nil
}

func (s *Server) roomMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ms, err := s.Registry.RoomMembers(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.RoomMembership]{Items: ms})
	return nil
}

// listRooms is the inventory: ?platform=matrix&unregistered=true.
func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := registry.RoomFilter{Platform: registry.Platform(q.Get("platform"))}
	if v := q.Get("unregistered"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errs.Field("unregistered", "%q is not true or false", v)
		}
		f.Unregistered = b
	}
	rs, err := s.Registry.Rooms(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Room]{Items: rs})
	return nil
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in registry.NewMember
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	m, err := s.Registry.AddMember(r.Context(), principal(r), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	member, err := pathInt(r, "member")
	if err != nil {
		return err
	}
	if err := s.Registry.RemoveMember(r.Context(), principal(r), id, member); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) dissolveGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	g, err := s.Registry.Dissolve(r.Context(), principal(r), id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) listHandles(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.Registry.Handles(r.Context(), principal(r), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Handle]{Items: hs})
	return nil
}

func (s *Server) addHandle(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Platform registry.Platform `json:"platform"`
		Handle   string            `json:"handle"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	h, err := s.Registry.AddHandle(r.Context(), r.PathValue("username"), in.Platform, in.Handle)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Registry.Templates(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Template]{Items: ts})
	return nil
}

func (s *Server) publishTemplate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		TextZh string `json:"text_zh"`
		TextEn string `json:"text_en"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	t, err := s.Registry.PublishTemplate(r.Context(), in.TextZh, in.TextEn)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Registry.Campaigns(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Campaign]{Items: cs})
	return nil
}

func (s *Server) startCampaign(w http.ResponseWriter, r *http.Request) error {
	var in registry.NewCampaign
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := s.Registry.StartCampaign(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) campaignTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	t, err := s.Registry.MyTasks(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) campaignResults(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	res, err := s.Registry.CampaignResults(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) recertify(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		GroupID   int64  `json:"group_id"`
		Decision  string `json:"decision"`
		MembersOK bool   `json:"members_ok"`
		Comment   string `json:"comment"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.GroupID == 0 {
		return errs.Field("group_id", "required")
	}
	rc, err := s.Registry.Recertify(r.Context(), principal(r), id, in.GroupID, in.Decision, in.MembersOK, in.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rc)
	return nil
}

func (s *Server) declare(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Groups []registry.Declared `json:"groups"`
	}
	if err := decode(w, r, s.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	ds, err := s.Registry.Declare(r.Context(), principal(r), id, in.Groups)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, page[registry.DeclaredGroup]{Items: ds})
	return nil
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.Registry.Notifications(r.Context(), principal(r), r.URL.Query().Get("unread") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[registry.Notification]{Items: ns})
	return nil
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := s.Registry.MarkRead(r.Context(), principal(r), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}
