package audit

import (
	"cmp"
	"slices"
	"time"
)

// timeline indexes status segments by user for "what was X's presence at
// t" and "how long in Y over the window".
type timeline struct {
	from, to time.Time
	pres     map[string][]PresenceSegment // sorted by Start
	rout     map[string][]RoutingSegment
	names    map[string]string // presence definition id → label
}

func newTimeline(in *Input) *timeline {
	tl := &timeline{from: in.From, to: in.To, pres: map[string][]PresenceSegment{}, rout: map[string][]RoutingSegment{}, names: in.PresenceNames}
	for _, s := range in.Presence {
		tl.pres[s.User] = append(tl.pres[s.User], s)
	}
	for _, s := range in.Routing {
		tl.rout[s.User] = append(tl.rout[s.User], s)
	}
	for _, ss := range tl.pres {
		slices.SortFunc(ss, func(a, b PresenceSegment) int { return a.Start.Compare(b.Start) })
	}
	for _, ss := range tl.rout {
		slices.SortFunc(ss, func(a, b RoutingSegment) int { return a.Start.Compare(b.Start) })
	}
	return tl
}

// label names a presence: its definition's label when known, else the
// system presence.
func (tl *timeline) label(s PresenceSegment) string {
	if n := tl.names[s.DefID]; n != "" {
		return n
	}
	return s.System
}

// presenceAt is the user's presence segment covering t.
func (tl *timeline) presenceAt(user string, t time.Time) (PresenceSegment, bool) {
	ss := tl.pres[user]
	i, _ := slices.BinarySearchFunc(ss, t, func(s PresenceSegment, t time.Time) int {
		return cmp.Compare(s.Start.UnixNano(), t.UnixNano()+1) // first Start > t
	})
	if i == 0 {
		return PresenceSegment{}, false
	}
	s := ss[i-1]
	if !s.End.IsZero() && !s.End.After(t) {
		return PresenceSegment{}, false
	}
	return s, true
}

// presenceLabelAt is presenceAt's label, or "unknown".
func (tl *timeline) presenceLabelAt(user string, t time.Time) string {
	if s, ok := tl.presenceAt(user, t); ok {
		return tl.label(s)
	}
	return "unknown"
}

// clip is [start, end) within the window; an open end runs to the window's.
func (tl *timeline) clip(start, end time.Time) (time.Time, time.Time) {
	if end.IsZero() || end.After(tl.to) {
		end = tl.to
	}
	if start.Before(tl.from) {
		start = tl.from
	}
	return start, end
}

// overlap is the length of [a0, a1) ∩ [b0, b1).
func overlap(a0, a1, b0, b1 time.Time) time.Duration {
	lo, hi := a0, a1
	if b0.After(lo) {
		lo = b0
	}
	if b1.Before(hi) {
		hi = b1
	}
	if hi.After(lo) {
		return hi.Sub(lo)
	}
	return 0
}
