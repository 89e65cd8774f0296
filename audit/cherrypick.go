package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SuspicionThreshold flags an expert; the same as the simulator's
// detector (sim.SuspicionThreshold), so the two agree on a scenario.
const SuspicionThreshold = 0.5

// unscheduledRef is the share of a shift in meeting presences outside
// scheduled meetings that scores a suspicion of 1 (sim's unscheduledRef).
const unscheduledRef = 0.10

// cherryPick builds the per-expert table, most suspicious first.
func cherryPick(in *Input, tl *timeline) CherryPickReport {
	rep := CherryPickReport{Threshold: SuspicionThreshold, SchedulesKnown: in.SchedulesKnown, Flagged: []string{}}
	meetings := map[string][]Activity{}
	scheduled := map[string]bool{}
	for _, a := range in.Schedules {
		scheduled[a.User] = true
		if strings.EqualFold(a.Category, "Meeting") {
			meetings[a.User] = append(meetings[a.User], a)
		}
	}
	offers := offersByUser(in.Conversations, tl)
	users := map[string]bool{}
	for u := range tl.pres {
		users[u] = true
	}
	for u := range offers {
		users[u] = true
	}
	for u := range users {
		row := expertRow(u, tl, meetings[u], in.SchedulesKnown && scheduled[u])
		row.Name = in.Names[u]
		row.Offers = offers[u]
		if row.Offers == nil {
			row.Offers = map[string]OfferCount{}
		}
		row.Evidence = evidence(&row)
		rep.Experts = append(rep.Experts, row)
	}
	slices.SortFunc(rep.Experts, func(a, b ExpertRow) int {
		if a.Suspicion != b.Suspicion {
			if a.Suspicion > b.Suspicion {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, x := range rep.Experts {
		if x.Flagged {
			rep.Flagged = append(rep.Flagged, x.ID)
		}
	}
	return rep
}

// expertRow measures one expert's presence time: shift (not OFFLINE),
// meeting presences, and with schedules the meeting time no scheduled
// meeting explains; and their utilization from routing status.
func expertRow(u string, tl *timeline, meetings []Activity, known bool) ExpertRow {
	row := ExpertRow{ID: u}
	var shift, meet, unsched, sched time.Duration
	for _, s := range tl.pres[u] {
		a, b := tl.clip(s.Start, s.End)
		if !b.After(a) || s.System == "OFFLINE" {
			continue
		}
		shift += b.Sub(a)
		if s.System != "MEETING" {
			continue
		}
		meet += b.Sub(a)
		covered := time.Duration(0)
		for _, m := range meetings {
			covered += overlap(a, b, m.Start, m.End)
		}
		if out := b.Sub(a) - covered; out > 0 {
			unsched += out
			row.UnscheduledStretch++
		}
	}
	for _, m := range meetings {
		a, b := tl.clip(m.Start, m.End)
		if b.After(a) {
			sched += b.Sub(a)
		}
	}
	row.ShiftS, row.MeetingPresenceS = shift.Seconds(), meet.Seconds()
	if known {
		s, us := sched.Seconds(), unsched.Seconds()
		row.ScheduledMeetingS, row.UnscheduledMeetingS = &s, &us
		if shift > 0 {
			row.Suspicion = min(1, us/shift.Seconds()/unscheduledRef)
		}
		row.Flagged = row.Suspicion >= SuspicionThreshold
	}
	var busy time.Duration
	for _, s := range tl.rout[u] {
		if s.Status == "INTERACTING" || s.Status == "COMMUNICATING" {
			a, b := tl.clip(s.Start, s.End)
			if b.After(a) {
				busy += b.Sub(a)
			}
		}
	}
	if shift > 0 {
		row.Utilization = busy.Seconds() / shift.Seconds()
	}
	return row
}

// offersByUser counts every offer alerted within the window by the
// agent's presence when alerted.
func offersByUser(cs []Conversation, tl *timeline) map[string]map[string]OfferCount {
	out := map[string]map[string]OfferCount{}
	for _, c := range cs {
		for _, o := range c.Offers {
			if o.Result == StillOpen || o.Start.Before(tl.from) || !o.Start.Before(tl.to) {
				continue
			}
			p := tl.presenceLabelAt(o.User, o.Start)
			if out[o.User] == nil {
				out[o.User] = map[string]OfferCount{}
			}
			n := out[o.User][p]
			n.Offered++
			switch o.Result {
			case Accepted:
				n.Accepted++
			case Declined:
				n.Declined++
			case NotAnswered:
				n.NotAnswered++
			}
			out[o.User][p] = n
		}
	}
	return out
}

// evidence says why the score is what it is.
func evidence(x *ExpertRow) string {
	var parts []string
	if x.UnscheduledMeetingS == nil {
		parts = append(parts, "no WFM schedule for this expert: unscheduled meeting time unknown, no score")
	} else if x.ShiftS > 0 && *x.UnscheduledMeetingS > 0 {
		parts = append(parts, fmt.Sprintf("%.1f%% of shift (%s of %s) in meeting presences outside scheduled meetings, %d stretch(es)",
			100**x.UnscheduledMeetingS/x.ShiftS, dur(*x.UnscheduledMeetingS), dur(x.ShiftS), x.UnscheduledStretch))
	}
	refused, offered := 0, 0
	for p, n := range x.Offers {
		if strings.Contains(strings.ToUpper(p), "MEETING") {
			refused += n.Declined + n.NotAnswered
			offered += n.Offered
		}
	}
	if offered > 0 {
		parts = append(parts, fmt.Sprintf("refused %d of %d offers made in meeting presences", refused, offered))
	}
	if len(parts) == 0 {
		return "nothing unusual"
	}
	return strings.Join(parts, "; ")
}
