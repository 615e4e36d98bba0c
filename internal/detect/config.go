package detect

import (
	"fmt"
	"strings"
	"time"

	"charter/internal/errs"
)

// Config is the detection policy. It is stored and edited through the API as
// JSON. Rules missing from Rules keep their defaults, so a stored config stays
// valid when new rules are added.
type Config struct {
	Rules    map[string]Policy `json:"rules"`
	Lexicons []Lexicon         `json:"lexicons"`
	Periods  []Period          `json:"periods"`
}

// Policy is the setting of one rule.
type Policy struct {
	Enabled  bool   `json:"enabled"`
	Severity string `json:"severity"` // empty: the rule's default
	// Thresholds by name (see RuleInfo.Thresholds); missing names keep their defaults.
	Thresholds map[string]int64 `json:"thresholds,omitempty"`
	Scope      Scope            `json:"scope"`
}

// Scope limits a rule to groups of some levels and/or org units; empty parts
// mean everywhere. A non-empty scope never matches a room bound to no group.
type Scope struct {
	Levels   []string `json:"levels,omitempty"`
	OrgUnits []string `json:"org_units,omitempty"` // matches a group whose org unit or an ancestor is listed
}

// Lexicon is an organization's own term list (project code names...). It
// becomes rule "lexicon.<sanitized name>". Terms match case-insensitively for
// ASCII; an ASCII term must stand as a word (Apollo does not match Apollonia).
type Lexicon struct {
	Name     string   `json:"name"`
	Terms    []string `json:"terms"`
	Severity string   `json:"severity"` // empty: medium
	Scope    Scope    `json:"scope"`
}

// Period is a sensitive period (an election...) during which transfer
// thresholds are lower for groups under its org units (all groups when empty).
type Period struct {
	Name     string    `json:"name"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"` // exclusive
	OrgUnits []string  `json:"org_units,omitempty"`
}

// DefaultConfig returns every built-in rule with its default policy, no
// lexicons and no periods.
func DefaultConfig() Config {
	c := Config{Rules: make(map[string]Policy, len(ruleDefs))}
	for _, r := range ruleDefs {
		p := Policy{Enabled: r.Enabled, Severity: r.Severity}
		if len(r.Thresholds) > 0 {
			p.Thresholds = make(map[string]int64, len(r.Thresholds))
			for _, t := range r.Thresholds {
				p.Thresholds[t.Name] = t.Default
			}
		}
		c.Rules[r.ID] = p
	}
	return c
}

// New validates cfg and compiles it. Errors are *errs.Error naming the field.
func New(cfg Config) (*Engine, error) {
	e := &Engine{pol: make([]policy, len(ruleDefs))}
	for i, r := range ruleDefs {
		p := policy{enabled: r.Enabled, severity: r.Severity, th: make([]int64, len(r.Thresholds))}
		for j, t := range r.Thresholds {
			p.th[j] = t.Default
		}
		e.pol[i] = p
	}
	for id, in := range cfg.Rules {
		i, ok := ruleIndex[id]
		if !ok {
			if strings.HasPrefix(id, "lexicon.") {
				return nil, errs.Field("rules."+id, "lexicon rules are configured under lexicons")
			}
			return nil, errs.Field("rules."+id, "unknown rule")
		}
		f := "rules." + id
		p := &e.pol[i]
		p.enabled = in.Enabled
		if in.Severity != "" {
			if !validSeverity(in.Severity) {
				return nil, errs.Field(f+".severity", "must be low, medium, high or critical, not %q", in.Severity)
			}
			p.severity = in.Severity
		}
		for name, v := range in.Thresholds {
			j := -1
			for k, t := range ruleDefs[i].Thresholds {
				if t.Name == name {
					j = k
				}
			}
			if j < 0 {
				return nil, errs.Field(f+".thresholds."+name, "unknown threshold")
			}
			if v < 0 || v > thresholdMaxAllowed {
				return nil, errs.Field(f+".thresholds."+name, "out of range: %d", v)
			}
			p.th[j] = v
		}
		if err := checkScope(f+".scope", in.Scope); err != nil {
			return nil, err
		}
		if i == rRegUnregistered && (len(in.Scope.Levels) > 0 || len(in.Scope.OrgUnits) > 0) {
			return nil, errs.Field(f+".scope", "an unregistered room has no level or org unit to scope by")
		}
		p.scope = in.Scope
	}
	if v := e.pol[rPIIMobileBulk].threshold(rPIIMobileBulk, ThMinCount); v < 1 {
		return nil, errs.Field("rules.pii.mobile_bulk.thresholds.min_count", "must be at least 1")
	}
	e.mobileMin = int(e.pol[rPIIMobileBulk].threshold(rPIIMobileBulk, ThMinCount))

	seen := map[string]int{}
	var terms []acTerm
	for i, l := range cfg.Lexicons {
		f := fmt.Sprintf("lexicons[%d]", i)
		id := "lexicon." + sanitizeName(l.Name)
		if strings.TrimSpace(l.Name) == "" || id == "lexicon." {
			return nil, errs.Field(f+".name", "required")
		}
		if j, dup := seen[id]; dup {
			return nil, errs.Field(f+".name", "%q gives the same rule id %s as lexicons[%d]", l.Name, id, j)
		}
		seen[id] = i
		sev := l.Severity
		if sev == "" {
			sev = SevMedium
		}
		if !validSeverity(sev) {
			return nil, errs.Field(f+".severity", "must be low, medium, high or critical, not %q", l.Severity)
		}
		if err := checkScope(f+".scope", l.Scope); err != nil {
			return nil, err
		}
		if len(l.Terms) == 0 {
			return nil, errs.Field(f+".terms", "at least one term is required")
		}
		for j, t := range l.Terms {
			t = strings.TrimSpace(t)
			if t == "" {
				return nil, errs.Field(fmt.Sprintf("%s.terms[%d]", f, j), "empty term")
			}
			if len(t) > 256 {
				return nil, errs.Field(fmt.Sprintf("%s.terms[%d]", f, j), "longer than 256 bytes")
			}
			terms = append(terms, acTerm{text: t, lex: i})
		}
		e.lex = append(e.lex, lexRule{id: id, severity: sev, scope: l.Scope})
	}
	if len(terms) > 0 {
		e.ac = buildAutomaton(terms)
	}

	for i, p := range cfg.Periods {
		f := fmt.Sprintf("periods[%d]", i)
		if strings.TrimSpace(p.Name) == "" {
			return nil, errs.Field(f+".name", "required")
		}
		if p.From.IsZero() {
			return nil, errs.Field(f+".from", "required")
		}
		if !p.To.After(p.From) {
			return nil, errs.Field(f+".to", "must be after from")
		}
		e.periods = append(e.periods, p)
	}
	return e, nil
}

func checkScope(f string, s Scope) error {
	for i, l := range s.Levels {
		if !validLevel(l) {
			return errs.Field(fmt.Sprintf("%s.levels[%d]", f, i), "must be public, internal or sensitive, not %q", l)
		}
	}
	for i, o := range s.OrgUnits {
		if strings.TrimSpace(o) == "" {
			return errs.Field(fmt.Sprintf("%s.org_units[%d]", f, i), "empty org unit")
		}
	}
	return nil
}

// sanitizeName turns a lexicon name into the tail of a rule id: ASCII letters
// folded to lower case, digits kept, anything else one underscore. Non-ASCII
// names keep their letters (a Chinese list name is a fine id).
func sanitizeName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			under = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
			under = false
		case r > 0x2E7F && r < 0xA000: // CJK
			b.WriteRune(r)
			under = false
		default:
			if !under && b.Len() > 0 {
				b.WriteByte('_')
				under = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// LexiconRules describes the rules the configured lexicons add, in the
// shape of Rules(), for a policy UI.
func (e *Engine) LexiconRules() []RuleInfo {
	out := make([]RuleInfo, len(e.lex))
	for i, l := range e.lex {
		out[i] = RuleInfo{ID: l.id, Category: CatLexicon, Severity: l.severity, Enabled: true,
			Description: "terms of the organization's lexicon"}
	}
	return out
}
