package review

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"charter/internal/detect"
	"charter/internal/errs"
)

// opinions.txt is a copy of internal/detect/testdata/opinions.txt: criticism,
// complaints and political views in Chinese and English. The detect tests keep
// the built-in rules quiet on it; here it keeps configured policy quiet on it,
// because a lexicon or a rule setting is exactly where someone could try to
// screen opinions, and Charter never does.
//
//go:embed opinions.txt
var opinionsText string

var opinionMessages = func() []string {
	var out []string
	for _, l := range strings.Split(opinionsText, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}()

// checkOpinionScope refuses a policy under which any opinion message would
// raise a finding. Scopes are lifted for the check, so a lexicon limited to
// one org unit is judged as if it applied everywhere.
func checkOpinionScope(cfg detect.Config) error {
	open := cloneConfig(cfg)
	for id, p := range open.Rules {
		p.Scope = detect.Scope{}
		open.Rules[id] = p
	}
	for i := range open.Lexicons {
		open.Lexicons[i].Scope = detect.Scope{}
	}
	e, err := detect.New(open)
	if err != nil {
		return err
	}
	lexField := map[string]string{}
	for i, r := range e.LexiconRules() {
		lexField[r.ID] = fmt.Sprintf("lexicons[%d].terms", i)
	}
	g := &detect.Group{ID: "scope-check", Status: "active", Level: detect.LevelInternal}
	for i, text := range opinionMessages {
		m := &detect.Message{Platform: "wecom", RoomID: "scope-check", SenderHandle: "member", SourceID: fmt.Sprint(i),
			Kind: "text", Text: text, SentAt: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), Group: g,
			Sender: detect.Sender{Resolved: true, Member: true, Verified: true}}
		for _, f := range e.Scan(m) {
			field := lexField[f.Rule]
			if field == "" {
				field = "rules." + f.Rule
			}
			return errs.Field(field, "would flag an ordinary opinion message (%q raises %s); Charter watches for leaks, personal data, credentials, transfers and registry violations, never opinions",
				text, f.Rule)
		}
	}
	return nil
}
