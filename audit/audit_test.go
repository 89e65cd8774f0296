package audit

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func at(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }

// fixture: two experts over an 8-hour day. "honest" is on queue except a
// scheduled 60-minute meeting; "picker" shows 120 minutes of meeting
// presence with only 30 scheduled. Five offers to each on queue (honest
// accepts 4 of 5 on queue; picker declines 2 of 2 in the meeting).
func fixture() *Input {
	in := &Input{From: t0, To: at(480), SchedulesKnown: true, Names: map[string]string{"honest": "Hana"}}
	in.Presence = []PresenceSegment{
		{User: "honest", Start: at(0), End: at(120), System: "ON_QUEUE"},
		{User: "honest", Start: at(120), End: at(180), System: "MEETING"},
		{User: "honest", Start: at(180), End: at(480), System: "ON_QUEUE"},
		{User: "picker", Start: at(0), End: at(100), System: "ON_QUEUE"},
		{User: "picker", Start: at(100), End: at(220), System: "MEETING"},
		{User: "picker", Start: at(220), End: at(480), System: "ON_QUEUE"},
	}
	in.Routing = []RoutingSegment{
		{User: "honest", Start: at(10), End: at(58), Status: "INTERACTING"},
		{User: "picker", Start: at(10), End: at(34), Status: "INTERACTING"},
	}
	in.Schedules = []Activity{
		{User: "honest", Start: at(120), End: at(180), Category: "Meeting"},
		{User: "picker", Start: at(100), End: at(130), Category: "Meeting"},
	}
	conv := func(id string, start float64, offers ...Offer) Conversation {
		c := Conversation{ID: id, Start: at(start), Offers: offers}
		for _, o := range offers {
			if o.Result == Accepted {
				c.AnsweredBy, c.Answered = o.User, o.End
			}
		}
		return c
	}
	off := func(u string, m float64, r OfferResult) Offer {
		return Offer{User: u, Start: at(m), End: at(m).Add(10 * time.Second), Result: r}
	}
	// e1: escalated at 300; the ACD offered it to picker at 305 (declined)
	// and honest answered at 310.
	in.Conversations = []Conversation{
		conv("q1", 20, off("honest", 20, Accepted)),
		conv("q2", 30, off("honest", 30, Accepted)),
		conv("q3", 40, off("honest", 40, Declined)),
		conv("q4", 60, off("honest", 60, Accepted)),
		conv("m1", 150, off("picker", 150, Declined)),
		conv("m2", 160, off("picker", 160, NotAnswered)),
		conv("e1", 299, off("picker", 305, Declined), off("honest", 310, Accepted)),
		{ID: "e2", Start: at(400), End: at(412), Abandoned: true},
	}
	in.Decisions = []engine.Decision{
		{ConversationID: "e1", Seq: 1, At: at(300).Add(time.Second), Wait: time.Second, Action: engine.ActDeliver, Expert: "honest", Observed: true},
		{ConversationID: "e1", Seq: 2, At: at(300).Add(time.Second), Wait: time.Second, Action: engine.ActFallback, Observed: true},
		{ConversationID: "e2", Seq: 1, At: at(400), Action: engine.ActFallback, Observed: true},
		{ConversationID: "gone", Seq: 1, At: at(401), Action: engine.ActFallback, Observed: true},
	}
	return in
}

func TestAuditObserveCounterfactualAndCherryPick(t *testing.T) {
	r := Build(fixture())
	if r.Mode != "observe" || r.Escalations != 3 || r.Joined != 2 {
		t.Fatalf("mode %s, %d escalations, %d joined; want observe, 3, 2", r.Mode, r.Escalations, r.Joined)
	}
	cf := r.Counterfactual
	// ON_QUEUE offers: honest 4 accepted of 5, picker 1 declined → 4/6.
	if got := cf.AcceptByPresence["ON_QUEUE"]; got.K != 4 || got.N != 6 {
		t.Fatalf("ON_QUEUE acceptance %+v, want 4 of 6", got)
	}
	e1 := r.Rows[0]
	// Actual: honest answered at 310 m + 10 s; arrival 300 m → 610 s.
	// The ACD offered honest this very conversation and they accepted
	// (ring 10 s): p = 1, saving 610 − (1 + 10).
	want := 610.0 - 11
	if e1.ConversationID != "e1" || e1.Action != "deliver" || e1.Presence != "ON_QUEUE" || math.Abs(e1.ExpectedSaveS-want) > 1e-6 {
		t.Fatalf("e1 row %+v, want a would-be delivery to honest in ON_QUEUE saving %.1f s", e1, want)
	}
	if !strings.Contains(e1.Summary, "would have rung Hana at t+1 s in ON_QUEUE; actually answered by Hana after 10 m 10 s") {
		t.Errorf("e1 summary %q", e1.Summary)
	}
	if e1.KnownAnswer != "accepted" || e1.PAccept != 1 {
		t.Errorf("e1: known answer %q, p %v; want accepted, 1", e1.KnownAnswer, e1.PAccept)
	}
	if cf.WouldDeliver != 1 || cf.WouldFallback != 1 || math.Abs(cf.SoonerExpected-1) > 1e-9 || math.Abs(cf.SavingTotalS-want) > 1e-6 {
		t.Errorf("counterfactual %+v", cf)
	}
	if len(cf.UnusedExperts) != 0 {
		t.Errorf("unused experts %v: honest took queue calls", cf.UnusedExperts)
	}
	// picker: 90 of 480 minutes unscheduled meeting = 18.75% → 1.
	cp := r.CherryPick
	if len(cp.Flagged) != 1 || cp.Flagged[0] != "picker" || cp.Experts[0].ID != "picker" || cp.Experts[0].Suspicion != 1 {
		t.Fatalf("cherry-pick %+v, want picker flagged first with suspicion 1", cp)
	}
	if u := *cp.Experts[0].UnscheduledMeetingS; u != 90*60 {
		t.Errorf("picker unscheduled %v s, want 5400", u)
	}
	if h := cp.Experts[1]; h.Suspicion != 0 || *h.ScheduledMeetingS != 3600 || h.Offers["MEETING"].Offered != 0 || h.Offers["ON_QUEUE"].Accepted != 4 {
		t.Errorf("honest row %+v", h)
	}
	if !strings.Contains(cp.Experts[0].Evidence, "refused 2 of 2 offers made in meeting presences") {
		t.Errorf("picker evidence %q", cp.Experts[0].Evidence)
	}
	// ROI: utilization (48 + 24) / 960 minutes; e1 answered after 610 s;
	// e2 abandoned; e1's offers: 1 rejected of 2.
	roi := r.ROI
	if math.Abs(roi.ExpertUtilization-72.0/960) > 1e-9 || roi.LatencyN != 1 || roi.LatencyMedianS != 610 ||
		roi.AbandonedShare != 0.5 || roi.TransferRejectRate != 0.5 || roi.TransferOffers != 2 {
		t.Errorf("ROI %+v", roi)
	}

	var md, html, js bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Cherry-pick report", "| picker | 1.00 | yes |", "Assumption: Had shadowq rung", "**suspicion**"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("audit.md lacks %q", want)
		}
	}
	if !strings.Contains(html.String(), `<tr class="flagged"><td>picker</td>`) || !strings.Contains(js.String(), `"soonerExpected"`) {
		t.Errorf("audit.html or audit.json incomplete")
	}
}

// Without WFM schedules nobody is scored and the report says why.
func TestAuditWithoutSchedulesScoresNobody(t *testing.T) {
	in := fixture()
	in.SchedulesKnown, in.Schedules = false, nil
	r := Build(in)
	for _, x := range r.CherryPick.Experts {
		if x.Suspicion != 0 || x.Flagged || x.UnscheduledMeetingS != nil || !strings.Contains(x.Evidence, "no WFM schedule") {
			t.Errorf("%+v", x)
		}
	}
}

// Assign mode reports what was done: deliveries and their outcomes.
func TestAuditAssignModeCountsDeliveries(t *testing.T) {
	in := fixture()
	in.Decisions = []engine.Decision{
		{ConversationID: "e1", Seq: 1, At: at(300), Action: engine.ActDeliver, Expert: "picker"},
		{ConversationID: "e1", Seq: 2, At: at(300), Action: engine.ActDeliver, Expert: "honest", Result: "declined"},
		{ConversationID: "e1", Seq: 3, At: at(301), Action: engine.ActRouted, Expert: "honest"},
		{ConversationID: "e2", Seq: 1, At: at(400), Action: engine.ActDeliver, Expert: "honest"},
		{ConversationID: "e2", Seq: 2, At: at(401), Action: engine.ActFallback, Result: "no_answer"},
	}
	r := Build(in)
	d := r.Deliveries
	if r.Mode != "assign" || r.Counterfactual != nil || d == nil {
		t.Fatalf("mode %s, counterfactual %v, deliveries %v", r.Mode, r.Counterfactual, d)
	}
	if d.Delivered != 3 || d.Accepted != 1 || d.Declined != 1 || d.NotAnswered != 1 || d.Routed != 1 || d.Fallback != 1 || d.OffersInGenesys != 2 {
		t.Errorf("deliveries %+v", d)
	}
}

// The counterfactual uses the rate by presence for an expert the ACD did
// not offer the conversation to, and the known refusal for one it did.
func TestAuditCounterfactualUsesKnownAnswers(t *testing.T) {
	in := fixture()
	in.Decisions[0].Expert = "picker" // the ACD offered e1 to picker, who declined
	r := Build(in)
	// Picker's decline took 10 s: shadowq would have lost them.
	if e1 := r.Rows[0]; e1.KnownAnswer != "declined" || e1.PAccept != 0 || e1.ExpectedSaveS != -10 {
		t.Fatalf("e1 with picker: %+v, want the known decline, p 0, a 10 s loss", e1)
	}
	in = fixture()
	in.Decisions[0].Expert = "nobody-offered"
	in.Presence = append(in.Presence, PresenceSegment{User: "nobody-offered", Start: at(0), End: at(480), System: "ON_QUEUE"})
	r = Build(in)
	// p = ON_QUEUE's 4/6; a refusal would cost the median refused ring, 10 s.
	if e1 := r.Rows[0]; e1.KnownAnswer != "" || math.Abs(e1.PAccept-4.0/6) > 1e-9 || math.Abs(e1.ExpectedSaveS-(4.0/6*(610-11)-2.0/6*10)) > 1e-6 {
		t.Fatalf("e1 with an expert never offered it: %+v, want p = ON_QUEUE's 4/6", e1)
	}
}

// An expert without any WFM shift in the window is not scored, even when
// the org has WFM: "no meetings scheduled" and "no schedule" differ.
func TestAuditUnscheduledExpertIsNotScored(t *testing.T) {
	in := fixture()
	in.Schedules = in.Schedules[:1] // honest's meeting only
	r := Build(in)
	seen := false
	for _, x := range r.CherryPick.Experts {
		if x.ID == "picker" {
			seen = true
			if x.Flagged || x.UnscheduledMeetingS != nil || !strings.Contains(x.Evidence, "no WFM schedule for this expert") {
				t.Fatalf("picker without a schedule: %+v", x)
			}
		}
	}
	if !seen {
		t.Fatal("picker missing from the table")
	}
}

// Daily splits the window at UTC midnight: each expert gets one value per
// day, from that day's offers and presence only.
func TestAuditDailySplitsAtMidnight(t *testing.T) {
	d0 := time.Date(2026, 11, 2, 20, 0, 0, 0, time.UTC)
	in := &Input{From: d0, To: d0.Add(8 * time.Hour), SchedulesKnown: true}
	in.Presence = []PresenceSegment{{User: "x", Start: d0, End: d0.Add(8 * time.Hour), System: "ON_QUEUE"}}
	in.Schedules = []Activity{{User: "x", Start: d0, End: d0.Add(8 * time.Hour), Category: CategoryShift}}
	off := func(h float64, r OfferResult) Offer {
		s := d0.Add(time.Duration(h * float64(time.Hour)))
		return Offer{User: "x", Start: s, End: s.Add(5 * time.Second), Result: r}
	}
	in.Conversations = []Conversation{
		{ID: "a", Start: d0.Add(time.Hour), Offers: []Offer{off(1, Accepted)}},
		{ID: "b", Start: d0.Add(2 * time.Hour), Offers: []Offer{off(2, Declined), off(2.1, Accepted)}},
		{ID: "c", Start: d0.Add(6 * time.Hour), Offers: []Offer{off(6, NotAnswered)}},
	}
	got := Daily(in)
	if len(got) != 2 || got[0].Day != "2026-11-02" || got[1].Day != "2026-11-03" {
		t.Fatalf("days %+v", got)
	}
	if got[0].Offered != 3 || got[0].Refused != 1 || got[1].Offered != 1 || got[1].Refused != 1 {
		t.Errorf("offers per day %+v, want 3 (1 refused) then 1 (1 refused)", got)
	}
	if got[0].Suspicion == nil || *got[0].Suspicion != 0 || *got[0].UnscheduledMeetingMin != 0 {
		t.Errorf("day 1 suspicion %+v", got[0])
	}
}
