package review

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charter/internal/audit"
	"charter/internal/detect"
	"charter/internal/errs"
)

// Policies is the detection policy: the stored detect.Config, edited by
// security officers, and the engine compiled from it. A change is validated
// by compiling it (detect.New names the bad field), saved with its audit event
// in one transaction, and then swapped in, so the next batch scanned uses it.
type Policies struct {
	Store Store
	Tx    Tx
	Now   func() time.Time

	mu    sync.Mutex // serializes changes in this process; the stored version guards across processes
	state atomic.Pointer[policyState]
}

// policyState is swapped as one value, so the engine and the config it was
// compiled from are always seen together.
type policyState struct {
	cfg     detect.Config
	version int64
	engine  *detect.Engine
}

// NewPolicies loads the stored policy and compiles it.
func NewPolicies(ctx context.Context, s Store, tx Tx, now func() time.Time) (*Policies, error) {
	p := &Policies{Store: s, Tx: tx, Now: now}
	if err := p.Reload(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Engine is the engine in force; safe to call from any goroutine.
func (p *Policies) Engine() *detect.Engine { return p.state.Load().engine }

// Config returns a copy of the policy in force and its version.
func (p *Policies) Config() (detect.Config, int64) {
	st := p.state.Load()
	return cloneConfig(st.cfg), st.version
}

// Reload reads the stored policy and swaps it in when another process changed it.
func (p *Policies) Reload(ctx context.Context) error {
	cfg, v, err := p.Store.DetectionConfig(ctx)
	if err != nil {
		return errs.Wrap(err, "load detection policy")
	}
	if st := p.state.Load(); st != nil && st.version == v {
		return nil
	}
	e, err := detect.New(cfg)
	if err != nil {
		return errs.Wrap(err, "compile stored detection policy")
	}
	p.install(cfg, v, e)
	return nil
}

func (p *Policies) install(cfg detect.Config, v int64, e *detect.Engine) {
	p.state.Store(&policyState{cfg: cfg, version: v, engine: e})
}

// change applies edit to a copy of the stored policy, validates the result,
// and saves it with one audit event. edit returns the event's action, object
// and summary.
func (p *Policies) change(ctx context.Context, edit func(cfg *detect.Config) (action, object string, summary any, err error)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		next    detect.Config
		version int64
		engine  *detect.Engine
	)
	err := p.Tx(ctx, func(tx TxStore) error {
		cfg, v, err := tx.DetectionConfig(ctx)
		if err != nil {
			return err
		}
		next = cloneConfig(cfg)
		action, object, summary, err := edit(&next)
		if err != nil {
			return err
		}
		if engine, err = detect.New(next); err != nil {
			return err
		}
		if err := checkOpinionScope(next); err != nil {
			return err
		}
		now := p.Now().UTC()
		if err := tx.SaveDetectionConfig(ctx, next, v, now, audit.ActorFrom(ctx).Name); err != nil {
			return err
		}
		version = v + 1
		return tx.AppendAudit(ctx, audit.New(ctx, now, action, object, audit.Summarize(summary)))
	})
	if err != nil {
		return err
	}
	p.install(next, version, engine)
	return nil
}

// RuleView is a rule as the policy screen shows it: what it is, its
// defaults, and the policy in force (thresholds filled with defaults).
type RuleView struct {
	ID              string                 `json:"id"`
	Category        string                 `json:"category"`
	Description     string                 `json:"description"`
	DefaultSeverity string                 `json:"default_severity"`
	DefaultEnabled  bool                   `json:"default_enabled"`
	Thresholds      []detect.ThresholdInfo `json:"thresholds,omitempty"`
	Policy          detect.Policy          `json:"policy"`
}

// Rules lists every rule with its current policy: built-in rules first, then
// the rules the lexicons add.
func (p *Policies) Rules() []RuleView {
	st := p.state.Load()
	cfg := st.cfg
	defaults := detect.DefaultConfig()
	var out []RuleView
	for _, r := range detect.Rules() {
		pol, ok := cfg.Rules[r.ID]
		if !ok {
			pol = defaults.Rules[r.ID]
		}
		if pol.Severity == "" {
			pol.Severity = r.Severity
		}
		th := map[string]int64{}
		for _, t := range r.Thresholds {
			th[t.Name] = t.Default
		}
		for k, v := range pol.Thresholds {
			th[k] = v
		}
		if len(th) > 0 {
			pol.Thresholds = th
		}
		out = append(out, RuleView{ID: r.ID, Category: r.Category, Description: r.Description, DefaultSeverity: r.Severity,
			DefaultEnabled: r.Enabled, Thresholds: r.Thresholds, Policy: pol})
	}
	for i, r := range st.engine.LexiconRules() {
		l := cfg.Lexicons[i] // LexiconRules follows the order of cfg.Lexicons
		out = append(out, RuleView{ID: r.ID, Category: r.Category, Description: r.Description + " " + strconv.Quote(l.Name),
			DefaultSeverity: detect.SevMedium, DefaultEnabled: true, Policy: detect.Policy{Enabled: true, Severity: r.Severity, Scope: l.Scope}})
	}
	return out
}

// SetRule replaces the policy of a built-in rule.
func (p *Policies) SetRule(ctx context.Context, rule string, pol detect.Policy) error {
	known := false
	for _, r := range detect.Rules() {
		known = known || r.ID == rule
	}
	if !known {
		if strings.HasPrefix(rule, "lexicon.") {
			return errs.E(errs.NotFound, "rule %q: lexicon rules are edited under /api/v1/detection/lexicons", rule)
		}
		return errs.E(errs.NotFound, "rule %q not found", rule)
	}
	return p.change(ctx, func(cfg *detect.Config) (string, string, any, error) {
		before, had := cfg.Rules[rule]
		if cfg.Rules == nil {
			cfg.Rules = map[string]detect.Policy{}
		}
		cfg.Rules[rule] = pol
		sum := map[string]any{"after": pol}
		if had {
			sum["before"] = before
		}
		return "detection.rule.update", "rule:" + rule, sum, nil
	})
}

// Lexicons lists the configured lexicons.
func (p *Policies) Lexicons() []detect.Lexicon {
	cfg, _ := p.Config()
	if cfg.Lexicons == nil {
		return []detect.Lexicon{}
	}
	return cfg.Lexicons
}

// PutLexicon adds a lexicon (create) or replaces the one named name.
func (p *Policies) PutLexicon(ctx context.Context, name string, l detect.Lexicon, create bool) error {
	l.Name = strings.TrimSpace(l.Name)
	if !create && l.Name == "" {
		l.Name = name
	}
	return p.change(ctx, func(cfg *detect.Config) (string, string, any, error) {
		i := lexiconIndex(cfg.Lexicons, name)
		sum := map[string]any{"name": l.Name, "terms": l.Terms, "severity": l.Severity, "scope": l.Scope}
		if create {
			if lexiconIndex(cfg.Lexicons, l.Name) >= 0 {
				return "", "", nil, errs.E(errs.Conflict, "lexicon %q already exists", l.Name)
			}
			cfg.Lexicons = append(cfg.Lexicons, l)
			return "detection.lexicon.create", "lexicon:" + l.Name, sum, nil
		}
		if i < 0 {
			return "", "", nil, errs.E(errs.NotFound, "lexicon %q not found", name)
		}
		if l.Name != name && lexiconIndex(cfg.Lexicons, l.Name) >= 0 {
			return "", "", nil, errs.E(errs.Conflict, "lexicon %q already exists", l.Name)
		}
		sum["before"] = map[string]any{"name": cfg.Lexicons[i].Name, "terms": cfg.Lexicons[i].Terms,
			"severity": cfg.Lexicons[i].Severity, "scope": cfg.Lexicons[i].Scope}
		cfg.Lexicons[i] = l
		return "detection.lexicon.update", "lexicon:" + name, sum, nil
	})
}

// DeleteLexicon removes a lexicon and the rule it added.
func (p *Policies) DeleteLexicon(ctx context.Context, name string) error {
	return p.change(ctx, func(cfg *detect.Config) (string, string, any, error) {
		i := lexiconIndex(cfg.Lexicons, name)
		if i < 0 {
			return "", "", nil, errs.E(errs.NotFound, "lexicon %q not found", name)
		}
		sum := map[string]any{"terms": len(cfg.Lexicons[i].Terms)}
		cfg.Lexicons = append(cfg.Lexicons[:i], cfg.Lexicons[i+1:]...)
		return "detection.lexicon.delete", "lexicon:" + name, sum, nil
	})
}

func lexiconIndex(ls []detect.Lexicon, name string) int {
	for i, l := range ls {
		if l.Name == name {
			return i
		}
	}
	return -1
}

// Periods lists the sensitive periods.
func (p *Policies) Periods() []detect.Period {
	cfg, _ := p.Config()
	if cfg.Periods == nil {
		return []detect.Period{}
	}
	return cfg.Periods
}

// PutPeriod adds a sensitive period (create) or replaces the one named name.
func (p *Policies) PutPeriod(ctx context.Context, name string, per detect.Period, create bool) error {
	per.Name = strings.TrimSpace(per.Name)
	if !create && per.Name == "" {
		per.Name = name
	}
	return p.change(ctx, func(cfg *detect.Config) (string, string, any, error) {
		i := periodIndex(cfg.Periods, name)
		sum := map[string]any{"name": per.Name, "from": per.From, "to": per.To, "org_units": per.OrgUnits}
		if create {
			if periodIndex(cfg.Periods, per.Name) >= 0 {
				return "", "", nil, errs.E(errs.Conflict, "period %q already exists", per.Name)
			}
			cfg.Periods = append(cfg.Periods, per)
			return "detection.period.create", "period:" + per.Name, sum, nil
		}
		if i < 0 {
			return "", "", nil, errs.E(errs.NotFound, "period %q not found", name)
		}
		if per.Name != name && periodIndex(cfg.Periods, per.Name) >= 0 {
			return "", "", nil, errs.E(errs.Conflict, "period %q already exists", per.Name)
		}
		old := cfg.Periods[i]
		sum["before"] = map[string]any{"name": old.Name, "from": old.From, "to": old.To, "org_units": old.OrgUnits}
		cfg.Periods[i] = per
		return "detection.period.update", "period:" + name, sum, nil
	})
}

// DeletePeriod removes a sensitive period.
func (p *Policies) DeletePeriod(ctx context.Context, name string) error {
	return p.change(ctx, func(cfg *detect.Config) (string, string, any, error) {
		i := periodIndex(cfg.Periods, name)
		if i < 0 {
			return "", "", nil, errs.E(errs.NotFound, "period %q not found", name)
		}
		old := cfg.Periods[i]
		cfg.Periods = append(cfg.Periods[:i], cfg.Periods[i+1:]...)
		return "detection.period.delete", "period:" + name, map[string]any{"from": old.From, "to": old.To}, nil
	})
}

func periodIndex(ps []detect.Period, name string) int {
	for i, p := range ps {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// cloneConfig deep-copies through JSON, the form the policy is stored in, so
// an edit never touches the config in force.
func cloneConfig(c detect.Config) detect.Config {
	b, err := json.Marshal(c)
	if err != nil {
		panic("review: detection config does not marshal: " + err.Error())
	}
	var out detect.Config
	if err := json.Unmarshal(b, &out); err != nil {
		panic("review: detection config does not unmarshal: " + err.Error())
	}
	return out
}

// Version is the version of the policy in force, recorded with a scan
// failure so a retry knows which rules it ran.
func (p *Policies) Version() int64 { return p.state.Load().version }
