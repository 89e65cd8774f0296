package audit

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/reports"
)

// SoonerMargin is how much sooner an acceptance must connect than the
// actual answer to count as "connected sooner": less is noise (a Data
// Action round trip), not a difference a caller notices.
const SoonerMargin = 10 * time.Second

// wouldRow fills an observe-mode row: the would-be decision (the first
// deliver or hold; else the fallback) and its expected saving.
func wouldRow(row *EscalationRow, e escalation, c *Conversation, tl *timeline, rates map[string]Rate, pooled Rate, ring, refusal time.Duration) {
	row.Observed = true
	d := e.log[0]
	for _, x := range e.log {
		if x.Action == engine.ActDeliver || x.Action == engine.ActHold {
			d = x
			break
		}
	}
	row.Action, row.Why = d.Action.String(), d.Why
	row.DecidedAfterS = d.At.Sub(row.Arrival).Seconds()
	switch d.Action {
	case engine.ActDeliver:
		row.Expert, row.Interrupt = string(d.Expert), d.Interrupt
		row.Presence = tl.presenceLabelAt(row.Expert, d.At)
		rate, ok := rates[row.Presence]
		if !ok || rate.N < minRateSamples {
			rate = pooled
		}
		row.PAccept = rate.P
		ringS, refusedS := ring.Seconds(), refusal.Seconds()
		// The chosen expert was offered this very conversation by the
		// ACD: their answer is known, no rate is needed.
		if o, ok := offerTo(c, row.Expert); ok {
			row.PAccept, row.KnownAnswer = 0, string(o.Result)
			if o.Result == Accepted {
				row.PAccept, ringS = 1, o.End.Sub(o.Start).Seconds()
			} else {
				refusedS = o.End.Sub(o.Start).Seconds()
			}
		}
		// shadowq would connect at decision + ring with probability p;
		// otherwise the refusal costs its ring before the escalation goes
		// on as it actually did. The expected saving is the actual wait
		// minus that expectation: p·(actual − (decided + ring)) −
		// (1 − p)·refusal, negative when shadowq would have been slower.
		// For an abandonment the actual wait is the time until the
		// customer gave up, so the saving is a lower bound.
		if row.InGenesys && (row.Abandoned || row.AnsweredBy != "") {
			sq := row.DecidedAfterS + ringS
			row.ExpectedSaveS = row.PAccept*(row.ActualWaitS-sq) - (1-row.PAccept)*refusedS
			row.Sooner = row.ActualWaitS > sq+SoonerMargin.Seconds()
		}
	case engine.ActHold:
		row.Expert = string(d.HoldExpert)
		row.Presence = tl.presenceLabelAt(row.Expert, d.At)
		row.ETA = d.ETAMessage
	}
}

// offerTo is the first finished offer of c to user (c may be nil).
func offerTo(c *Conversation, user string) (Offer, bool) {
	if c == nil {
		return Offer{}, false
	}
	for _, o := range c.Offers {
		if o.User == user && o.Result != StillOpen {
			return o, true
		}
	}
	return Offer{}, false
}

// didRow fills an assign-mode row: every delivery made and its result
// (the Result of the decision that followed it, or the terminal routed).
func didRow(row *EscalationRow, e escalation, tl *timeline) {
	last := e.log[len(e.log)-1]
	row.Action, row.Why = last.Action.String(), e.log[0].Why
	row.DecidedAfterS = e.log[0].At.Sub(row.Arrival).Seconds()
	for i, d := range e.log {
		if d.Action != engine.ActDeliver {
			continue
		}
		a := Attempt{Expert: string(d.Expert), Result: "pending"}
		if i+1 < len(e.log) {
			next := e.log[i+1]
			switch {
			case next.Action == engine.ActRouted:
				a.Result = string(Accepted)
			case next.Result != "":
				a.Result = attemptResult(next.Result)
			}
		}
		if row.Expert == "" {
			row.Expert, row.Interrupt = a.Expert, d.Interrupt
			row.Presence = tl.presenceLabelAt(a.Expert, d.At)
		}
		row.Attempts = append(row.Attempts, a)
	}
	if last.Action == engine.ActRouted {
		row.Expert = string(last.Expert)
	}
}

// attemptResult maps engine.DeliveryResult names onto the report's.
func attemptResult(s string) string {
	switch s {
	case "accepted":
		return string(Accepted)
	case "declined":
		return string(Declined)
	case "no_answer", "noAnswer", "not_answered":
		return string(NotAnswered)
	}
	return "error"
}

// summary is the row's one-line story.
func summary(row *EscalationRow, names map[string]string) string {
	who := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	var s string
	verb := "did"
	if row.Observed {
		verb = "would have"
	}
	switch row.Action {
	case "deliver", "routed":
		s = fmt.Sprintf("%s rung %s at t+%s in %s", verb, who(row.Expert), dur(row.DecidedAfterS), row.Presence)
	case "hold":
		s = fmt.Sprintf("%s held for %s (%s, %s now)", verb, who(row.Expert), row.ETA, row.Presence)
	default:
		s = fmt.Sprintf("%s fallen back to the queue", verb)
	}
	if !row.Observed && row.Action == "fallback" && len(row.Attempts) > 0 {
		s = fmt.Sprintf("rang %d expert(s), then fell back to the queue", len(row.Attempts))
	}
	switch {
	case !row.InGenesys:
		return s + "; not in Genesys' details"
	case row.AnsweredBy != "":
		return s + fmt.Sprintf("; actually answered by %s after %s", who(row.AnsweredBy), dur(row.ActualWaitS))
	case row.Abandoned:
		return s + fmt.Sprintf("; actually abandoned after %s", dur(row.ActualWaitS))
	}
	return s + "; actually not answered yet"
}

// dur prints seconds as "7 m 40 s" (tenths below 10 s: "0.4 s").
func dur(s float64) string {
	if math.Abs(s) < 10 && s != math.Round(s) {
		return fmt.Sprintf("%.1f s", s)
	}
	d := time.Duration(math.Round(s)) * time.Second
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%d m %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d m", int(d.Hours()), int(d.Minutes())%60)
}

// counterfactual totals the observe-mode rows.
func counterfactual(rows []EscalationRow, in *Input, rates map[string]Rate, ring, refusal time.Duration) *Counterfactual {
	cf := &Counterfactual{Assumption: Assumption, InterruptionsByPresence: map[string]int{}, AcceptByPresence: rates, RingS: ring.Seconds(), RefusalS: refusal.Seconds()}
	var saves []float64
	var variance float64
	rung := map[string]bool{}
	for _, r := range rows {
		if !r.Observed || !r.InGenesys {
			continue
		}
		switch r.Action {
		case "deliver":
			cf.WouldDeliver++
			rung[r.Expert] = true
			if r.Interrupt {
				cf.InterruptionsByPresence[r.Presence]++
			}
			if r.Sooner {
				cf.SoonerExpected += r.PAccept
				variance += r.PAccept * (1 - r.PAccept)
			}
		case "hold":
			cf.WouldHold++
		default:
			cf.WouldFallback++
		}
		saves = append(saves, r.ExpectedSaveS)
		cf.SavingTotalS += r.ExpectedSaveS
	}
	half := 1.96 * math.Sqrt(variance)
	cf.SoonerLo, cf.SoonerHi = math.Max(0, cf.SoonerExpected-half), cf.SoonerExpected+half
	cf.SavingPerEscalation = reports.Summarize("latency saved per escalation", "s", saves)
	took := map[string]bool{}
	for _, c := range in.Conversations {
		for _, o := range c.Offers {
			if o.Result == Accepted {
				took[o.User] = true
			}
		}
	}
	cf.UnusedExperts = []string{}
	for x := range rung {
		if !took[x] {
			cf.UnusedExperts = append(cf.UnusedExperts, x)
		}
	}
	slices.Sort(cf.UnusedExperts)
	return cf
}

// deliveries totals the assign-mode rows.
func deliveries(rows []EscalationRow, convs map[string]*Conversation) *Deliveries {
	d := &Deliveries{ByPresence: map[string]int{}}
	for _, r := range rows {
		if r.Observed {
			continue
		}
		for i, a := range r.Attempts {
			d.Delivered++
			switch a.Result {
			case string(Accepted):
				d.Accepted++
			case string(Declined):
				d.Declined++
			case string(NotAnswered):
				d.NotAnswered++
			case "error":
				d.Errors++
			default:
				d.Pending++
			}
			if i == 0 {
				d.ByPresence[r.Presence]++
			}
		}
		switch r.Action {
		case "routed":
			d.Routed++
		case "fallback":
			d.Fallback++
		}
		if c := convs[r.ConversationID]; c != nil {
			d.OffersInGenesys += len(c.Offers)
		}
	}
	return d
}
