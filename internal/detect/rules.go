package detect

// Rule indexes. Credential rules come after these, one per row of credRules,
// so that adding a credential is one row in one table.
const (
	rMarkTopSecret = iota
	rMarkSecret
	rMarkConfidential
	rMarkInternal
	rMarkDocNumber
	rMarkBareTerm
	rPIIResidentID
	rPIIBankCard
	rPIIMobileBulk
	rTxLarge
	rTxFanOut
	rTxDaily
	rTxPeriod
	rRegUnregistered
	rRegNonMember
	rRegUnverified
	rRegExternal
	rRegInactive
	rRegEncrypted
	nFixedRules
)

// Threshold names. Amounts are in fen (1 yuan = 100 fen).
const (
	ThMinCount          = "min_count"
	ThMinAmountFen      = "min_amount_fen"
	ThMinTotalFen       = "min_total_fen"
	ThMinCountTotalFen  = "min_count_total_fen"
	ThDailyTotalFen     = "daily_total_fen"
	thresholdMaxAllowed = int64(1) << 50
)

// ThresholdInfo documents one named threshold of a rule.
type ThresholdInfo struct {
	Name        string `json:"name"`
	Default     int64  `json:"default"`
	Description string `json:"description"`
}

// RuleInfo describes a rule for a policy UI or API.
type RuleInfo struct {
	ID          string          `json:"id"`
	Category    string          `json:"category"`
	Severity    string          `json:"severity"` // default severity
	Enabled     bool            `json:"enabled"`  // enabled by default
	Description string          `json:"description"`
	Thresholds  []ThresholdInfo `json:"thresholds,omitempty"`
}

// ruleDefs and ruleIndex are package variables with initializers (not set
// in init) so that other package-level initializers may call New.
var ruleDefs = buildRules()

var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(ruleDefs))
	for i, r := range ruleDefs {
		m[r.ID] = i
	}
	return m
}()

func init() { buildKeywordIndex() }

func buildRules() []RuleInfo {
	ruleDefs := make([]RuleInfo, nFixedRules, nFixedRules+len(credRules))
	set := func(i int, id, cat, sev string, enabled bool, desc string, th ...ThresholdInfo) {
		ruleDefs[i] = RuleInfo{ID: id, Category: cat, Severity: sev, Enabled: enabled, Description: desc, Thresholds: th}
	}
	minCount := func(def int64, what string) ThresholdInfo {
		return ThresholdInfo{ThMinCount, def, "fire only when at least this many distinct " + what + " appear in one message"}
	}
	set(rMarkTopSecret, "marking.top_secret", CatMarking, SevCritical, true,
		"绝密 classification marking (绝密★term, 绝密级, 【绝密】) or TOP SECRET in capitals")
	set(rMarkSecret, "marking.secret", CatMarking, SevHigh, true,
		"机密 classification marking (机密★term, 机密级, 【机密】) or SECRET in capitals as a word")
	set(rMarkConfidential, "marking.confidential", CatMarking, SevHigh, true,
		"秘密 classification marking (秘密★term, 秘密级, 【秘密】; never the everyday word 秘密 alone) or CONFIDENTIAL in capitals")
	set(rMarkInternal, "marking.internal", CatMarking, SevMedium, true,
		"internal-material marking: 内部资料, 内部文件 注意保存, INTERNAL USE ONLY")
	set(rMarkDocNumber, "marking.document_number", CatMarking, SevLow, true,
		"official document number such as 国发〔2023〕5号 (brackets 〔〕, [], ［］ or 【】)")
	set(rMarkBareTerm, "marking.bare_term", CatMarking, SevLow, false,
		"bare 绝密 or 机密 with no ★term, 级 or brackets (e.g. 机密文件); off by default because the words occur in ordinary talk about confidentiality")
	set(rPIIResidentID, "pii.resident_id", CatPII, SevHigh, true,
		"18-digit resident ID number with a valid GB 11643 check character, birth date and region",
		minCount(1, "ID numbers"))
	set(rPIIBankCard, "pii.bank_card", CatPII, SevHigh, true,
		"16–19 digit bank card number passing Luhn with a known issuer prefix or a card context word",
		minCount(1, "card numbers"))
	set(rPIIMobileBulk, "pii.mobile_bulk", CatPII, SevMedium, true,
		"many mainland mobile numbers in one message (a contact list); single numbers are ordinary",
		minCount(5, "mobile numbers"))
	set(rTxLarge, "transfer.large_amount", CatTransfer, SevMedium, true,
		"a single red envelope or transfer of at least min_amount_fen",
		ThresholdInfo{ThMinAmountFen, 50000, "single amount in fen (default 500 yuan: above everyday reimbursements and festive envelopes)"})
	set(rTxFanOut, "transfer.fan_out", CatTransfer, SevMedium, true,
		"a red envelope split into many shares with a total above a floor (money handed to many people at once)",
		ThresholdInfo{ThMinCount, 20, "number of shares"},
		ThresholdInfo{ThMinTotalFen, 20000, "total in fen that the shares must reach (default 200 yuan, so lucky-draw envelopes of a few yuan stay quiet)"})
	set(rTxDaily, "transfer.daily_total", CatTransfer, SevMedium, true,
		"what one sender sent in a day, this message included, reaches min_total_fen",
		ThresholdInfo{ThMinTotalFen, 200000, "daily total in fen (default 2000 yuan)"})
	set(rTxPeriod, "transfer.sensitive_period", CatTransfer, SevHigh, true,
		"during a configured sensitive period (e.g. an election) covering the group: lower thresholds",
		ThresholdInfo{ThMinAmountFen, 5000, "single amount in fen (default 50 yuan)"},
		ThresholdInfo{ThMinCount, 10, "number of shares"},
		ThresholdInfo{ThMinCountTotalFen, 1000, "total in fen the shares must reach for min_count to fire (default 10 yuan)"},
		ThresholdInfo{ThDailyTotalFen, 50000, "sender's daily total in fen (default 500 yuan)"})
	set(rRegUnregistered, "registry.unregistered_room", CatRegistry, SevHigh, true,
		"messages captured in a room bound to no registered group (one alert per room)")
	set(rRegNonMember, "registry.non_member_sender", CatRegistry, SevMedium, true,
		"the sender is not a registered member of the group, or the handle maps to no known user")
	set(rRegUnverified, "registry.unverified_sender", CatRegistry, SevLow, true,
		"the sender is a member whose identity is not verified")
	set(rRegExternal, "registry.external_sender", CatRegistry, SevHigh, true,
		"an external participant writes in a group of level internal or sensitive")
	set(rRegInactive, "registry.inactive_group", CatRegistry, SevMedium, true,
		"the group is not active: approved but not yet active, needs_signature, suspended, expired or dissolved")
	set(rRegEncrypted, "registry.encrypted_room", CatRegistry, SevHigh, true,
		"a registered room turned on end-to-end encryption: its later messages reach the archive only as ciphertext (one alert per room)")
	for i := range credRules {
		c := &credRules[i]
		c.rule = len(ruleDefs)
		ruleDefs = append(ruleDefs, RuleInfo{ID: c.id, Category: CatCredential, Severity: c.severity, Enabled: true, Description: c.desc})
	}
	return ruleDefs
}

// Rules lists every built-in rule with its defaults. Lexicon rules are not
// built in: each configured lexicon adds a rule "lexicon.<name>".
func Rules() []RuleInfo {
	out := make([]RuleInfo, len(ruleDefs))
	for i, r := range ruleDefs {
		r.Thresholds = append([]ThresholdInfo(nil), r.Thresholds...)
		out[i] = r
	}
	return out
}

func (p *policy) threshold(r int, name string) int64 {
	for i, t := range ruleDefs[r].Thresholds {
		if t.Name == name {
			return p.th[i]
		}
	}
	panic("detect: unknown threshold " + name + " for " + ruleDefs[r].ID)
}
