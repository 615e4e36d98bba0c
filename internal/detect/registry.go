package detect

import "strings"

// Registry rules compare the message with the registry. Their keys make
// repeated messages update one alert: per platform+room for an unregistered
// room, per group for an inactive group, per group+sender for sender rules.

func (e *Engine) scanRegistry(m *Message, out []Finding) []Finding {
	add := func(r int, p *policy, key string, d map[string]any) {
		out = append(out, Finding{Rule: ruleDefs[r].ID, Category: CatRegistry, Severity: p.severity,
			Excerpt: registryExcerpt(m), Key: key, Detail: d})
	}
	g := m.Group
	if g == nil {
		if m.RoomID == "" || m.Direct || strings.HasPrefix(m.RoomID, "single:") {
			return out // a one-to-one conversation is not a group, registered or not
		}
		if p := e.on(rRegUnregistered, m); p != nil {
			add(rRegUnregistered, p, ruleDefs[rRegUnregistered].ID+":"+m.Platform+":"+m.RoomID,
				map[string]any{"platform": m.Platform, "room_id": m.RoomID})
		}
		return out // sender rules need a group to be a member of
	}
	if g.Status != "active" {
		if p := e.on(rRegInactive, m); p != nil {
			add(rRegInactive, p, ruleDefs[rRegInactive].ID+":"+g.ID, map[string]any{"group_id": g.ID, "status": g.Status})
		}
	}
	if m.RoomEvent == EventEncryption {
		if p := e.on(rRegEncrypted, m); p != nil {
			add(rRegEncrypted, p, ruleDefs[rRegEncrypted].ID+":"+m.Platform+":"+m.RoomID,
				map[string]any{"group_id": g.ID, "platform": m.Platform, "room_id": m.RoomID})
		}
	}
	// A system line has no human sender to judge, but a member who joins is
	// judged as a sender would be: before they write anything.
	if m.Kind == "system" && m.RoomEvent != EventJoin || m.SenderHandle == "" {
		return out
	}
	s := m.Sender
	senderKey := func(r int) string { return ruleDefs[r].ID + ":" + g.ID + ":" + m.Platform + ":" + m.SenderHandle }
	senderDetail := func() map[string]any {
		return map[string]any{"group_id": g.ID, "sender": m.SenderHandle, "resolved": s.Resolved, "external": s.External}
	}
	if !s.Resolved || !s.Member {
		if p := e.on(rRegNonMember, m); p != nil {
			add(rRegNonMember, p, senderKey(rRegNonMember), senderDetail())
		}
	} else if !s.Verified {
		if p := e.on(rRegUnverified, m); p != nil {
			add(rRegUnverified, p, senderKey(rRegUnverified), senderDetail())
		}
	}
	if s.External && (g.Level == LevelInternal || g.Level == LevelSensitive) {
		if p := e.on(rRegExternal, m); p != nil {
			d := senderDetail()
			d["level"] = g.Level
			add(rRegExternal, p, senderKey(rRegExternal), d)
		}
	}
	return out
}

func registryExcerpt(m *Message) string {
	if m.Text == "" {
		return m.Kind
	}
	return leadExcerpt(m.Text)
}
