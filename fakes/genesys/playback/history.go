package playback

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// HistoryStats counts what History generated.
type HistoryStats struct {
	Days, Conversations, PresenceSegments, RoutingSegments, Shifts int
}

// History fills h with days of past activity of the scenario's world
// before end: day d (0 = the oldest) is replication d of the scenario run
// under its first baseline ACD alone (sim.History), placed on the date
// end − (days − d) days at the scenario start's time of day. Conversations
// become detail records in QueueID, presence and routing-status segments
// per user (offline between shifts), and each day's calendar meetings WFM
// schedule shifts. The same scenario (seed), days and end give the same
// history.
func History(h *genesys.History, sc *scenarios.Scenario, days int, end time.Time) (HistoryStats, error) {
	if days < 1 {
		return HistoryStats{}, fmt.Errorf("history: %d days: must be at least 1", days)
	}
	if len(sc.Baselines) == 0 {
		return HistoryStats{}, fmt.Errorf("history: the scenario has no baseline ACD to generate history with")
	}
	org := Org(sc)
	skillID := map[string]string{}
	for _, s := range org.Skills {
		skillID[s.Name] = s.ID
	}
	end = end.UTC()
	st := HistoryStats{Days: days}
	// Each user's presence and routing segments, across days.
	type track struct {
		pres []genesys.PresenceSegment
		rout []genesys.RoutingSegment
	}
	tracks := make([]track, len(sc.Experts))
	offline := sc.Presences[sc.OfflinePresence]
	reps, first := placement(sc, days, end)
	for r, at := range reps {
		day := sim.History(sc, r)
		var convs []genesys.AnalyticsConversation
		for _, e := range day.Escalations {
			if c := call(e, r, at, skillID); c.Start.Before(end) {
				convs = append(convs, c.Conversation())
			}
		}
		h.AppendConversations(convs...)
		st.Conversations += len(convs)
		for i, x := range day.Experts {
			p, rs := segments(sc, x, at)
			tracks[i].pres = append(tracks[i].pres, clipPresence(p, end)...)
			tracks[i].rout = append(tracks[i].rout, clipRouting(rs, end)...)
			for _, sh := range shifts(x, at) {
				if sh.Start.Before(end) {
					h.AppendShifts(UserID(x.ID), sh)
					st.Shifts++
				}
			}
		}
	}
	for i, x := range sc.Experts {
		t := tracks[i]
		p := fillOffline(t.pres, first, end, string(offline.ID), offline.System.String())
		r := fillOffQueue(t.rout, first, end)
		h.AppendPresence(UserID(x.ID), p...)
		h.AppendRouting(UserID(x.ID), r...)
		st.PresenceSegments += len(p)
		st.RoutingSegments += len(r)
	}
	return st, nil
}

// ConversationID is the GUID of escalation id on history day d.
func ConversationID(d int, id string) string {
	s := sha256.Sum256([]byte(fmt.Sprintf("shadowq-history:%d:%s", d, id)))
	u16 := func(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
	return fmt.Sprintf("%x-%x-4%03x-8%03x-%x", s[0:4], s[4:6], u16(s[6:8])&0xfff, u16(s[8:10])&0xfff, s[10:16])
}

func call(e sim.HistoryEscalation, d int, at func(time.Duration) time.Time, skillID map[string]string) genesys.ACDCall {
	c := genesys.ACDCall{ID: ConversationID(d, e.ID), QueueID: QueueID, Start: at(e.At), Talk: e.Handle, ACW: e.ACW}
	for _, s := range e.Skills {
		c.SkillIDs = append(c.SkillIDs, skillID[s])
	}
	for _, a := range e.Alerts {
		out := genesys.AlertNoAnswer
		switch a.Result {
		case engine.Accepted:
			out = genesys.AlertAccepted
		case engine.Declined:
			out = genesys.AlertDeclined
		}
		c.Alerts = append(c.Alerts, genesys.CallAlert{UserID: UserID(a.Expert), Start: at(a.Start), End: at(a.End), Outcome: out})
	}
	switch e.Outcome {
	case "routed":
	case "abandoned":
		c.Abandoned, c.End = true, at(e.End)
	case "voicemail":
		c.End = at(e.End)
	default:
		// Unfinished when the simulated day ended (still queued or
		// alerting): the queue closes on it then, not left open for weeks.
		c.End, c.Disconnect, c.Alerts = at(e.End), "system", trimAlerts(c.Alerts, at(e.End))
	}
	return c
}

// segments converts one expert's day into presence segments (the shown
// presence) and routing-status segments: INTERACTING while busy, IDLE
// while On Queue, OFF_QUEUE otherwise.
func segments(sc *scenarios.Scenario, x sim.HistoryExpert, at func(time.Duration) time.Time) ([]genesys.PresenceSegment, []genesys.RoutingSegment) {
	var ps []genesys.PresenceSegment
	for _, b := range x.Presence {
		p := sc.Presences[b.Presence]
		ps = append(ps, genesys.PresenceSegment{Start: at(b.Start), End: at(b.End), SystemPresence: p.System.String(), OrganizationPresenceID: string(p.ID)})
	}
	cuts := []time.Duration{}
	for _, b := range x.Presence {
		cuts = append(cuts, b.Start, b.End)
	}
	for _, b := range x.Busy {
		cuts = append(cuts, b.Start, b.End)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	status := func(t time.Duration) string {
		for _, b := range x.Busy {
			if b.Start <= t && t < b.End {
				return "INTERACTING"
			}
		}
		for _, b := range x.Presence {
			if b.Start <= t && t < b.End {
				if sc.Presences[b.Presence].System == engine.SysOnQueue {
					return "IDLE"
				}
				return "OFF_QUEUE"
			}
		}
		return ""
	}
	var rs []genesys.RoutingSegment
	for i := 0; i+1 < len(cuts); i++ {
		s := status(cuts[i])
		if s == "" {
			continue
		}
		from, to := at(cuts[i]), at(cuts[i+1])
		if n := len(rs); n > 0 && rs[n-1].Status == s && rs[n-1].End.Equal(from) {
			rs[n-1].End = to
			continue
		}
		rs = append(rs, genesys.RoutingSegment{Start: from, End: to, Status: s})
	}
	return ps, rs
}

// fillOffline adds the offline segments between days (and before the
// first and after the last) so a user's presence covers [from, to).
func fillOffline(ps []genesys.PresenceSegment, from, to time.Time, offID, offSys string) []genesys.PresenceSegment {
	var out []genesys.PresenceSegment
	t := from
	for _, p := range ps {
		if p.Start.After(t) {
			out = append(out, genesys.PresenceSegment{Start: t, End: p.Start, SystemPresence: offSys, OrganizationPresenceID: offID})
		}
		out = append(out, p)
		t = p.End
	}
	if to.After(t) {
		out = append(out, genesys.PresenceSegment{Start: t, End: to, SystemPresence: offSys, OrganizationPresenceID: offID})
	}
	return out
}

func fillOffQueue(rs []genesys.RoutingSegment, from, to time.Time) []genesys.RoutingSegment {
	var out []genesys.RoutingSegment
	t := from
	add := func(s genesys.RoutingSegment) {
		if n := len(out); n > 0 && out[n-1].Status == s.Status && out[n-1].End.Equal(s.Start) {
			out[n-1].End = s.End
			return
		}
		out = append(out, s)
	}
	for _, r := range rs {
		if r.Start.After(t) {
			add(genesys.RoutingSegment{Start: t, End: r.Start, Status: "OFF_QUEUE"})
		}
		add(r)
		t = r.End
	}
	if to.After(t) {
		add(genesys.RoutingSegment{Start: t, End: to, Status: "OFF_QUEUE"})
	}
	return out
}

// shifts are the expert's WFM shifts: the scheduled meetings of each as
// Meeting activities (breaks and churn are not scheduled).
func shifts(x sim.HistoryExpert, at func(time.Duration) time.Time) []genesys.ScheduleShift {
	var out []genesys.ScheduleShift
	for _, s := range x.Shifts {
		if s.End <= s.Start {
			continue
		}
		sh := genesys.ScheduleShift{Start: at(s.Start), Length: (s.End - s.Start).Round(time.Minute)}
		for _, b := range x.Calendar {
			if b.Start >= s.Start && b.Start < s.End {
				sh.Activities = append(sh.Activities, genesys.ScheduleActivity{Start: at(b.Start).Round(time.Minute), Length: (b.End - b.Start).Round(time.Minute),
					ActivityCodeID: genesys.ActivityCodeMeeting, Description: b.Presence, Paid: true})
			}
		}
		out = append(out, sh)
	}
	return out
}

// trimAlerts ends alerts still running at end as unanswered.
func trimAlerts(as []genesys.CallAlert, end time.Time) []genesys.CallAlert {
	var out []genesys.CallAlert
	for _, a := range as {
		if a.End.After(end) {
			a.End, a.Outcome = end, genesys.AlertNoAnswer
		}
		if a.End.After(a.Start) {
			out = append(out, a)
		}
	}
	return out
}

// placement maps each replication to be generated to real time. A
// single-shift scenario is one replication a day, at the scenario start's
// time of day on each of the days before end. A multi-day world is one
// replication per run.days, placed whole weeks from the scenario's own
// dates so weekdays and wall-clock hours stay what they were (08:00 stays
// 08:00 across a daylight-saving change), the first on the latest date
// with the scenario start's weekday that leaves days days before end;
// replications follow every run.days rounded up to whole weeks, and
// anything at or after end is dropped. It returns the mappers and the
// first instant covered.
func placement(sc *scenarios.Scenario, days int, end time.Time) ([]func(time.Duration) time.Time, time.Time) {
	var out []func(time.Duration) time.Time
	if sc.Week == nil {
		tod := sc.Run.Start.Sub(sc.Run.Start.Truncate(24 * time.Hour))
		first := end.Truncate(24*time.Hour).AddDate(0, 0, -days)
		for d := range days {
			base := first.AddDate(0, 0, d).Add(tod)
			out = append(out, func(o time.Duration) time.Time { return base.Add(o) })
		}
		return out, first
	}
	loc := sc.Week.Location
	s0 := sc.Run.Start.In(loc)
	y, m, d := end.In(loc).Date()
	endDate := time.Date(y, m, d, 0, 0, 0, 0, loc)
	want := endDate.AddDate(0, 0, -days)
	weeks := int(want.Sub(time.Date(s0.Year(), s0.Month(), s0.Day(), 0, 0, 0, 0, loc)).Hours()/24) / 7
	if want.Before(s0) {
		weeks--
	}
	step := (sc.Week.Days + 6) / 7 * 7
	first := time.Date(s0.Year(), s0.Month(), s0.Day()+7*weeks, 0, 0, 0, 0, loc)
	for r := 0; first.AddDate(0, 0, r*step).Before(end); r++ {
		shift := 7*weeks + r*step
		out = append(out, func(o time.Duration) time.Time {
			t := sc.Run.Start.Add(o).In(loc)
			return time.Date(t.Year(), t.Month(), t.Day()+shift, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
		})
	}
	return out, first.UTC()
}

func clipPresence(ps []genesys.PresenceSegment, end time.Time) []genesys.PresenceSegment {
	var out []genesys.PresenceSegment
	for _, p := range ps {
		if !p.Start.Before(end) {
			continue
		}
		if p.End.After(end) {
			p.End = end
		}
		out = append(out, p)
	}
	return out
}

func clipRouting(rs []genesys.RoutingSegment, end time.Time) []genesys.RoutingSegment {
	var out []genesys.RoutingSegment
	for _, r := range rs {
		if !r.Start.Before(end) {
			continue
		}
		if r.End.After(end) {
			r.End = end
		}
		out = append(out, r)
	}
	return out
}
