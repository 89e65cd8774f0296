package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/reports"
)

// minRateSamples is how many offers a presence needs before its own
// acceptance rate is used; below it the pooled rate stands in.
const minRateSamples = 5

// Assumption is the counterfactual's stated assumption.
const Assumption = "Had shadowq rung the expert it chose, the expert accepts with the acceptance rate observed in this window " +
	"for offers made while in that presence (the rate pooled over all presences when a presence has fewer than 5 offers), " +
	"and an accepted offer connects after the median ring time of accepted offers; when the ACD offered that expert this very " +
	"conversation, their actual answer and ring time are used instead. A refusal costs the median ring time of refused " +
	"offers, after which the escalation goes on exactly as it actually went. Would-be holds count as no change. The " +
	"intervals cover the acceptance draws (sooner) and the spread over escalations (saving), not the uncertainty of the rates."

// escalation is one conversation's decision log, in order.
type escalation struct {
	id      string
	log     []engine.Decision
	arrival time.Time
}

// Build computes the report.
func Build(in *Input) *Report {
	tl := newTimeline(in)
	convs := map[string]*Conversation{}
	for i := range in.Conversations {
		convs[in.Conversations[i].ID] = &in.Conversations[i]
	}
	escs := group(in.Decisions)
	rates, pooled := acceptance(in.Conversations, tl)
	ring, refusal := ringTime(in.Conversations, true), ringTime(in.Conversations, false)
	r := &Report{From: in.From, To: in.To, Escalations: len(escs), Definitions: Definitions}
	observed, acted := 0, 0
	for _, e := range escs {
		c := convs[e.id]
		row := EscalationRow{ConversationID: e.id, Arrival: e.arrival, InGenesys: c != nil}
		if c != nil {
			r.Joined++
			actual(&row, c)
		}
		if e.log[0].Observed {
			observed++
			wouldRow(&row, e, c, tl, rates, pooled, ring, refusal)
		} else {
			acted++
			didRow(&row, e, tl)
		}
		row.Summary = summary(&row, in.Names)
		r.Rows = append(r.Rows, row)
	}
	switch {
	case observed > 0 && acted > 0:
		r.Mode = "mixed"
		r.Notes = append(r.Notes, fmt.Sprintf("%d escalations decided in observe mode and %d in assign mode: both totals are shown, each over its own escalations", observed, acted))
	case acted > 0:
		r.Mode = "assign"
	default:
		r.Mode = "observe"
	}
	if observed > 0 {
		r.Counterfactual = counterfactual(r.Rows, in, rates, ring, refusal)
		if pooled.N == 0 {
			r.Notes = append(r.Notes, "no offer to any agent finished in the window: acceptance rates are unknown (shown as 0), so the expected savings and 'sooner' are not estimated")
		}
	}
	if acted > 0 {
		r.Deliveries = deliveries(r.Rows, convs)
	}
	if r.Joined < r.Escalations {
		r.Notes = append(r.Notes, fmt.Sprintf("%d of %d escalations have no conversation record in Genesys' details for the window: listed, counted in no total", r.Escalations-r.Joined, r.Escalations))
	}
	r.CherryPick = cherryPick(in, tl)
	r.ROI = roi(in, r.Rows, convs, tl)
	return r
}

// group splits the decision log by conversation, each in sequence order,
// escalations ordered by arrival then id.
func group(ds []engine.Decision) []escalation {
	by := map[string][]engine.Decision{}
	for _, d := range ds {
		by[d.ConversationID] = append(by[d.ConversationID], d)
	}
	out := make([]escalation, 0, len(by))
	for id, log := range by {
		slices.SortFunc(log, func(a, b engine.Decision) int { return a.Seq - b.Seq })
		out = append(out, escalation{id: id, log: log, arrival: log[0].At.Add(-log[0].Wait)})
	}
	slices.SortFunc(out, func(a, b escalation) int {
		if c := a.arrival.Compare(b.arrival); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return out
}

// acceptance is the observed acceptance rate of offers by the agent's
// presence when alerted, and pooled over presences.
func acceptance(cs []Conversation, tl *timeline) (map[string]Rate, Rate) {
	m := map[string]Rate{}
	var all Rate
	for _, c := range cs {
		for _, o := range c.Offers {
			if o.Result == StillOpen {
				continue
			}
			p := tl.presenceLabelAt(o.User, o.Start)
			r := m[p]
			r.N++
			all.N++
			if o.Result == Accepted {
				r.K++
				all.K++
			}
			m[p] = r
		}
	}
	for p, r := range m {
		r.P = float64(r.K) / float64(r.N)
		m[p] = r
	}
	if all.N > 0 {
		all.P = float64(all.K) / float64(all.N)
	}
	return m, all
}

// ringTime is the median alert time of accepted offers, or of refused
// (declined or unanswered) ones (0 with none).
func ringTime(cs []Conversation, accepted bool) time.Duration {
	var xs []float64
	for _, c := range cs {
		for _, o := range c.Offers {
			if o.Result != StillOpen && (o.Result == Accepted) == accepted && !o.End.IsZero() {
				xs = append(xs, o.End.Sub(o.Start).Seconds())
			}
		}
	}
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return time.Duration(reports.Quantile(xs, 0.5) * float64(time.Second))
}

// actual fills what Genesys recorded.
func actual(row *EscalationRow, c *Conversation) {
	switch {
	case c.AnsweredBy != "":
		row.AnsweredBy = c.AnsweredBy
		row.ActualWaitS = c.Answered.Sub(row.Arrival).Seconds()
	case c.Abandoned:
		row.Abandoned = true
		row.ActualWaitS = c.End.Sub(row.Arrival).Seconds()
	}
	row.ActualWaitS = math.Max(0, row.ActualWaitS)
}
