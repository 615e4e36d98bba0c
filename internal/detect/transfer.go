package detect

import (
	"math"
	"strconv"
)

// Transfer thresholds are chosen so that the defaults flag money that looks
// like payment to many people (a 4,000-yuan envelope in 40 shares) and leave
// festive play alone (8.88 yuan in 4 shares), with or without a sensitive
// period: the lowered period thresholds (50 yuan, or 10 shares worth 10 yuan)
// are still far above lucky envelopes of a few yuan.

func yuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	s := strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
	if neg {
		s = "-" + s
	}
	return s
}

// IsEcho reports whether a transfer type is the receipt or refund of a
// payment (WeChat shows one payment as up to three messages): the payment
// itself is judged, its echoes are not, or one transfer would count twice
// and the receiver would look like a payer.
func IsEcho(transferType string) bool {
	return transferType == "transfer_receipt" || transferType == "transfer_refund"
}

func (e *Engine) scanTransfer(m *Message, out []Finding) []Finding {
	if (m.Kind != "transfer" && m.Kind != "red_envelope") || m.Transfer == nil || m.Transfer.AmountFen <= 0 || IsEcho(m.Transfer.Type) {
		return out
	}
	t := m.Transfer
	amount := t.AmountFen
	// Saturate: amounts stored before they were bounded may be huge.
	day := m.SenderDayTotalFen + amount
	if day < m.SenderDayTotalFen {
		day = math.MaxInt64
	}
	detail := func(extra ...any) map[string]any {
		d := map[string]any{
			"amount_yuan":  yuan(amount),
			"count":        t.Count,
			"kind":         m.Kind,
			"room_members": m.RoomMembers,
		}
		if t.Type != "" {
			d["type"] = t.Type
		}
		for i := 0; i+1 < len(extra); i += 2 {
			d[extra[i].(string)] = extra[i+1]
		}
		return d
	}
	ex := transferExcerpt(m)
	add := func(r int, p *policy, key string, d map[string]any) {
		out = append(out, Finding{Rule: ruleDefs[r].ID, Category: CatTransfer, Severity: p.severity,
			Excerpt: ex, Key: key, Detail: d})
	}
	if p := e.on(rTxLarge, m); p != nil && amount >= p.threshold(rTxLarge, ThMinAmountFen) {
		add(rTxLarge, p, msgKey(ruleDefs[rTxLarge].ID, m), detail())
	}
	if p := e.on(rTxFanOut, m); p != nil && int64(t.Count) >= p.threshold(rTxFanOut, ThMinCount) &&
		amount >= p.threshold(rTxFanOut, ThMinTotalFen) {
		add(rTxFanOut, p, msgKey(ruleDefs[rTxFanOut].ID, m), detail())
	}
	dayKey := m.SentAt.Format("2006-01-02")
	// daily_total is about accumulation: a single transfer is large_amount's
	// business, so earlier transfers of the day must contribute.
	if p := e.on(rTxDaily, m); p != nil && m.SenderDayTotalFen > 0 && day >= p.threshold(rTxDaily, ThMinTotalFen) {
		// one alert per sender and day, updated by each further transfer
		add(rTxDaily, p, ruleDefs[rTxDaily].ID+":"+m.Platform+":"+m.SenderHandle+":"+dayKey,
			detail("day_total_yuan", yuan(day), "day", dayKey))
	}
	if p := e.on(rTxPeriod, m); p != nil {
		if per := e.period(m); per != nil {
			var why string
			switch {
			case amount >= p.threshold(rTxPeriod, ThMinAmountFen):
				why = "amount"
			case int64(t.Count) >= p.threshold(rTxPeriod, ThMinCount) && amount >= p.threshold(rTxPeriod, ThMinCountTotalFen):
				why = "count"
			case day >= p.threshold(rTxPeriod, ThDailyTotalFen):
				why = "daily_total"
			}
			if why != "" {
				// one alert per sender, room and period
				add(rTxPeriod, p, ruleDefs[rTxPeriod].ID+":"+per.Name+":"+m.Platform+":"+m.RoomID+":"+m.SenderHandle,
					detail("period", per.Name, "reason", why, "day_total_yuan", yuan(day)))
			}
		}
	}
	return out
}

// period returns the first sensitive period that contains SentAt and covers
// the group (a period with no org units covers every room).
func (e *Engine) period(m *Message) *Period {
	for i := range e.periods {
		p := &e.periods[i]
		if m.SentAt.Before(p.From) || !m.SentAt.Before(p.To) {
			continue
		}
		if len(p.OrgUnits) == 0 || (m.Group != nil && intersects(p.OrgUnits, m.Group.OrgUnits)) {
			return p
		}
	}
	return nil
}

func transferExcerpt(m *Message) string {
	t := m.Transfer
	s := m.Kind + " " + yuan(t.AmountFen) + " yuan"
	if t.Count > 1 {
		s += " in " + strconv.Itoa(t.Count) + " shares"
	}
	if m.Text != "" {
		s += ": " + leadExcerpt(m.Text)
	}
	return s
}
