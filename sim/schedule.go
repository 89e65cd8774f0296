package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/scenarios"
)

// maxDraws is how many delivery attempts per escalation have pre-drawn
// random numbers; later attempts draw theirs from a stream of their own
// (see schedule.draw), so no attempt repeats an earlier one's dice.
const maxDraws = 8

// arrival is one escalation of a replication's exogenous schedule. Both
// policies see exactly the same arrivals, handle times and per-attempt
// random numbers (common random numbers), so their difference is the
// policy's doing, not the dice's.
//
// The layout is by use, for 10,000 experts, where an arrival is out of
// cache by the time its escalation is delivered: the first cache line
// holds what its arrival and the engine's decision read, the second what
// its first delivery and its conversation read (the first two attempts'
// dice next to handle, after-call work and the refocus seed), so that
// a delivery that is answered costs one miss here, not three
// (TestArrivalLines).
type arrival struct {
	// Line 1 (64 bytes).
	conv     string
	at       time.Duration
	skills   []string
	prio     engine.Priority
	patience time.Duration // 0 = never abandons

	// Line 2 (64 bytes).
	handle  time.Duration
	acw     time.Duration
	refocus uint64              // seeds the refocus draw after this escalation's delivery
	draws   [maxDraws]extraDraw // attempt k's dice (the first two on line 2)
	more    []extraDraw         // attempts past maxDraws, drawn on demand
	moreR   *rand.Rand

	_ [8]byte // to 256 bytes: in the arrivals' slice each line holds one arrival's fields only
}

// block is one calendar block or break of one expert in one replication.
type block struct {
	start, end time.Duration
	presence   string
	calendar   bool   // a meeting the calendar knows (breaks are not)
	pid        presID // presence in the schedule's presTable
}

// churn is one random presence excursion.
type churn struct {
	at, length time.Duration
	presence   string
	pid        presID // presence in the schedule's presTable
}

// schedule is the exogenous part of one replication, shared by every arm.
// Arms of one replication run one after the other on one goroutine; the
// lazily drawn parts (hide lengths, delivery draws past maxDraws) depend
// only on their index, never on which arm asked first.
type schedule struct {
	sc       *scenarios.Scenario
	st       *Streams
	arrivals []arrival
	blocks   [][]block // per expert, sorted, non-overlapping
	churns   [][]churn // per expert, sorted by at

	hideR []*rand.Rand      // per expert, created on first use
	hides [][]time.Duration // per expert: the length of its k-th hide

	static []staticEv // the exogenous events in kernel order, built on first use (static.go)

	pt *presTable // every presence name the replication can show

	spare *stateArrays // the last finished arm's state arrays, for the next (world.recycle)
}

func makeSchedule(sc *scenarios.Scenario, st *Streams) *schedule {
	s := &schedule{sc: sc, st: st, blocks: make([][]block, len(sc.Experts)), churns: make([][]churn, len(sc.Experts)),
		hideR: make([]*rand.Rand, len(sc.Experts)), hides: make([][]time.Duration, len(sc.Experts))}
	s.arrivals = makeArrivals(sc, st)
	for i := range sc.Experts {
		x := &sc.Experts[i]
		r := st.Stream("expert/" + string(x.ID))
		s.blocks[i] = makeBlocks(x, r)
		s.churns[i] = makeChurn(x, sc.Run.Horizon, r)
	}
	s.pt = newPresTable(sc)
	for i := range s.blocks {
		for k := range s.blocks[i] {
			s.blocks[i][k].pid = s.pt.intern(s.blocks[i][k].presence)
		}
		for k := range s.churns[i] {
			s.churns[i][k].pid = s.pt.intern(s.churns[i][k].presence)
		}
	}
	return s
}

// hideLength is the length of expert i's k-th hide (0-based) as a
// cherry-picker: the same in every arm.
func (s *schedule) hideLength(i, k int) time.Duration {
	for len(s.hides[i]) <= k {
		if s.hideR[i] == nil {
			s.hideR[i] = s.st.Stream("hide/" + string(s.sc.Experts[i].ID))
		}
		d := max(s.sc.CherryPickers.HideLength.Sample(s.hideR[i]), time.Second)
		s.hides[i] = append(s.hides[i], d)
	}
	return s.hides[i][k]
}

// draw returns the response time and the outcome uniform of attempt k
// (1-based) of arrival a. Attempts past maxDraws draw from a stream named
// after the escalation, extended on demand, so they never repeat.
func (s *schedule) draw(a *arrival, k int) (time.Duration, float64) {
	if k <= maxDraws {
		return a.draws[k-1].resp, a.draws[k-1].u
	}
	for len(a.more) < k-maxDraws {
		if a.moreR == nil {
			a.moreR = s.st.Stream("deliveries/" + a.conv)
		}
		resp := s.sc.Deliveries.ResponseTime.Sample(a.moreR)
		a.more = append(a.more, extraDraw{resp, a.moreR.Float64()})
	}
	d := a.more[k-maxDraws-1]
	return d.resp, d.u
}

// extraDraw is one delivery attempt's dice.
type extraDraw struct {
	resp time.Duration // the expert's response time
	u    float64       // the uniform deciding the outcome
}

func makeArrivals(sc *scenarios.Scenario, st *Streams) []arrival {
	ra := st.Stream("arrivals")
	rm := st.Stream("mix")
	rp := st.Stream("patience")
	rh := st.Stream("handle")
	rd := st.Stream("deliveries")
	rr := st.Stream("refocus") // a stream of its own: scenarios without refocus keep their numbers
	expected := 0.0            // a capacity hint only
	for _, w := range sc.Escalations.Rates {
		if to := min(w.To, sc.Run.Horizon); to > w.From && w.PerHour > 0 {
			expected += w.PerHour * (to - w.From).Hours()
		}
	}
	out := make([]arrival, 0, int(min(expected*1.05+16, 1e7)))
	for _, w := range sc.Escalations.Rates {
		if w.PerHour <= 0 {
			continue
		}
		mean := time.Duration(float64(time.Hour) / w.PerHour)
		for t := w.From + Exp(ra, mean); t < w.To && t < sc.Run.Horizon; t += Exp(ra, mean) {
			a := arrival{conv: convID(len(out)), at: t}
			a.skills = sc.Escalations.PickSkills(rm)
			a.prio = sc.Escalations.PickPriority(rm)
			if p := sc.Escalations.Patience; p != nil {
				a.patience = max(p.Sample(rp), time.Second)
			}
			a.handle = max(sc.Deliveries.HandleTime.Sample(rh), time.Second)
			a.acw = sc.Deliveries.AfterCallWork.Sample(rh)
			for k := range maxDraws {
				a.draws[k].resp = sc.Deliveries.ResponseTime.Sample(rd)
				a.draws[k].u = rd.Float64()
			}
			a.refocus = rr.Uint64()
			out = append(out, a)
		}
	}
	return out
}

// convID names the i-th arrival of a replication (0-based) as its
// conversation: "esc-" and i+1 in at least six digits.
func convID(i int) string { return fmt.Sprintf("esc-%06d", i+1) }

// convIndex is convID's inverse for IDs convID makes: the arrival index
// id's digits name, or -1 if it has none (callers compare the arrival's
// ID, since "esc-0000001" parses too). The engine reports
// conversations by ID; parsing it spares the simulator a map of every
// escalation of the run (hundreds of thousands at org scale, a cache
// miss and a string hash per decision).
func convIndex(id string) int {
	const prefix = "esc-"
	if len(id) < len(prefix)+6 || len(id) > len(prefix)+18 || id[:len(prefix)] != prefix {
		return -1
	}
	n := 0
	for _, c := range []byte(id[len(prefix):]) {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n - 1
}

// makeBlocks merges fixed meetings, breaks and generated meetings.
func makeBlocks(x *scenarios.Expert, r *rand.Rand) []block {
	var bs []block
	for _, b := range x.FixedMeetings {
		bs = append(bs, block{b.Start, b.End, b.Presence, true, 0})
	}
	for _, b := range x.Breaks {
		bs = append(bs, block{b.Start, b.End, b.Presence, false, 0})
	}
	for _, sh := range x.Shifts {
		bs = placeMeetings(bs, x.Meetings, sh, r)
	}
	slices.SortFunc(bs, func(a, b block) int { return int(a.start - b.start) })
	return bs
}

// placeMeetings adds one working day's random meetings to bs.
func placeMeetings(bs []block, g scenarios.MeetingGen, sh scenarios.Shift, r *rand.Rand) []block {
	if g.PerDay <= 0 {
		return bs
	}
	n := poisson(r, g.PerDay)
	for range n {
		length := max(g.Length.Sample(r), time.Minute)
		span := sh.End - sh.Start - length
		if span <= 0 {
			continue
		}
		// Place without overlap (and MinGap apart); give up after a
		// few tries so a full calendar cannot loop forever.
		for try := 0; try < 20; try++ {
			start := sh.Start + time.Duration(r.Int64N(int64(span)))
			start = start.Truncate(5 * time.Minute) // calendars snap to 5 minutes
			nb := block{start, start + length, g.Presence.Pick(r), true, 0}
			if !overlaps(bs, nb, g.MinGap) {
				bs = append(bs, nb)
				break
			}
		}
	}
	return bs
}

func overlaps(bs []block, nb block, gap time.Duration) bool {
	for _, b := range bs {
		if nb.start < b.end+gap && b.start < nb.end+gap {
			return true
		}
	}
	return false
}

func makeChurn(x *scenarios.Expert, horizon time.Duration, r *rand.Rand) []churn {
	c := x.Churn
	if c.RatePerHour <= 0 {
		return nil
	}
	mean := time.Duration(float64(time.Hour) / c.RatePerHour)
	var out []churn
	for _, sh := range x.Shifts {
		for t := sh.Start + Exp(r, mean); t < sh.End && t < horizon; t += Exp(r, mean) {
			out = append(out, churn{at: t, length: max(c.Length.Sample(r), time.Second), presence: c.Presence.Pick(r)})
		}
	}
	return out
}

// poisson draws a Poisson variate (Knuth; means here are small).
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
		if k > 1000 {
			return k
		}
	}
}
