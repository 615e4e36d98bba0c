package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"charter/internal/account"
	"charter/internal/errs"
)

func TestValidateNamesTheField(t *testing.T) {
	ok := NewApplication{Name: "g", Purpose: "p", Platform: "wecom", PlannedAt: "2030-01-01T00:00:00Z", ExpiresAt: "2031-01-01T00:00:00Z",
		Responsible: "a.b", Level: "internal", Members: []ProposedMember{{Username: "c.d"}, {External: "x", Justification: "audit"}}}
	cases := []struct {
		name  string
		edit  func(*NewApplication)
		field string
	}{
		{"valid", func(*NewApplication) {}, ""},
		{"no name", func(a *NewApplication) { a.Name = " " }, "name"},
		{"empty purpose", func(a *NewApplication) { a.Purpose = "" }, "purpose"},
		{"unknown platform", func(a *NewApplication) { a.Platform = "qq" }, "platform"},
		{"unknown level", func(a *NewApplication) { a.Level = "secret" }, "level"},
		{"bad time", func(a *NewApplication) { a.PlannedAt = "2030-01-01" }, "planned_at"},
		{"term ends first", func(a *NewApplication) { a.ExpiresAt = "2029-12-31T00:00:00Z" }, "expires_at"},
		{"term ends at once", func(a *NewApplication) { a.ExpiresAt = a.PlannedAt }, "expires_at"},
		{"no responsible", func(a *NewApplication) { a.Responsible = "" }, "responsible"},
		{"external without justification", func(a *NewApplication) { a.Members[1].Justification = "" }, "members"},
		{"both username and external", func(a *NewApplication) { a.Members[0].External = "y" }, "members"},
		{"empty member", func(a *NewApplication) { a.Members[0] = ProposedMember{} }, "members"},
	}
	for _, c := range cases {
		in := ok
		in.Members = append([]ProposedMember(nil), ok.Members...)
		c.edit(&in)
		a := &Application{}
		err := in.fill(a)
		if err == nil {
			err = a.validate(false)
		}
		var e *errs.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &e) || e.Field != c.field || e.Kind != errs.Invalid):
			t.Errorf("%s: got %v, want an invalid %s", c.name, err, c.field)
		}
	}
	// A draft needs only a name; what it has must still be well formed.
	d := &Application{Name: "draft", Members: []ProposedMember{{External: "x"}}}
	if err := d.validate(true); err != nil {
		t.Errorf("draft: %v", err)
	}
	d.Platform = "qq"
	if err := d.validate(true); err == nil {
		t.Error("a draft with an unknown platform passed")
	}
}

func TestDefaultChain(t *testing.T) {
	if c := DefaultChain(Sensitive); len(c) != 2 || c[0].Role != account.Approver || c[1].Role != account.SecurityOfficer || c[1].When != "" {
		t.Errorf("sensitive: %+v", c)
	}
	if c := DefaultChain(Internal); len(c) != 2 || c[1].When != "external" {
		t.Errorf("internal: %+v", c)
	}
}

func TestHoldsApproverOfParentUnit(t *testing.T) {
	u := &account.User{Active: true, Roles: []account.Grant{{Role: account.Approver, OrgUnit: "Finance"}}}
	if !holds(u, Step{Role: account.Approver}, []string{"Payroll", "Finance", "HQ"}) {
		t.Error("an approver of a parent unit does not hold the step")
	}
	if holds(u, Step{Role: account.Approver}, []string{"Sales", "HQ"}) {
		t.Error("an approver of another unit holds the step")
	}
	if holds(u, Step{Role: account.SecurityOfficer}, []string{"Finance"}) {
		t.Error("an approver holds the security officer's step")
	}
	u.Active = false
	if holds(u, Step{Role: account.Approver}, []string{"Finance"}) {
		t.Error("a deactivated approver holds the step")
	}
}

func TestStatementHashIsOfTheExactText(t *testing.T) {
	tpl := &Template{Version: 3, TextZh: defaultStatementZh, TextEn: defaultStatementEn}
	for _, lang := range []string{"zh-CN", "en"} {
		st := statementText(tpl, lang)
		sum := sha256.Sum256([]byte(tpl.Text(lang)))
		if st.Version != 3 || st.Language != lang || st.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: %+v", lang, st)
		}
	}
	if st := statementText(tpl, ""); st.Language != "zh-CN" {
		t.Errorf("default language: %s", st.Language)
	}
}

// The shipped statement is about confidentiality only.
func TestDefaultStatementScope(t *testing.T) {
	for _, want := range []string{"涉密", "工作秘密", "个人信息", "密码", "红包", "存档"} {
		if !strings.Contains(defaultStatementZh, want) {
			t.Errorf("the zh-CN statement does not mention %s", want)
		}
	}
	for _, want := range []string{"classified", "external members", "personal data", "credentials", "red envelopes", "archived"} {
		if !strings.Contains(defaultStatementEn, want) {
			t.Errorf("the English statement does not mention %s", want)
		}
	}
	for _, banned := range []string{"观点", "言论", "负面", "谣言", "opinion", "criticism", "rumour", "negative"} {
		if strings.Contains(defaultStatementZh, banned) || strings.Contains(strings.ToLower(defaultStatementEn), banned) {
			t.Errorf("the statement mentions %q", banned)
		}
	}
}

func TestParseRecertMonths(t *testing.T) {
	m, err := ParseRecertMonths(" sensitive=6, internal=12 ")
	if err != nil || m[Sensitive] != 6 || m[Internal] != 12 || m[Public] != 0 {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"secret=6", "sensitive", "sensitive=x", "public=-1"} {
		if _, err := ParseRecertMonths(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSignatureCurrent(t *testing.T) {
	s := &Service{Policy: Policy{SignatureDays: 30}}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sig := &Signature{TemplateVersion: 2, SignedAt: at}
	switch {
	case !s.signatureCurrent(sig, 2, at.AddDate(0, 0, 29)):
		t.Error("fresh signature not current")
	case s.signatureCurrent(sig, 2, at.AddDate(0, 0, 30)):
		t.Error("lapsed signature current")
	case s.signatureCurrent(sig, 3, at):
		t.Error("signature of an old version current")
	case s.signatureCurrent(nil, 1, at):
		t.Error("no signature current")
	}
	s.Policy.SignatureDays = 0
	if !s.signatureCurrent(sig, 2, at.AddDate(10, 0, 0)) {
		t.Error("signatures lapse with signature-days 0")
	}
}
