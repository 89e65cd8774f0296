package audit

import (
	"cmp"
	"slices"
	"time"
)

// DailyValue is one expert's figures for one UTC day, what `shadowq audit
// --publish` writes as Genesys external metrics.
type DailyValue struct {
	User string
	Day  string // yyyy-MM-dd
	// Offered and Refused count the offers alerted that day (refused:
	// declined or not answered).
	Offered, Refused int
	// UnscheduledMeetingMin and Suspicion are present only when
	// schedules are known.
	UnscheduledMeetingMin *float64
	Suspicion             *float64
}

// Daily splits the window into UTC days and measures each expert on each
// (the cherry-pick table of that day). Days are in order, experts by id.
func Daily(in *Input) []DailyValue {
	var out []DailyValue
	day := in.From.UTC().Truncate(24 * time.Hour)
	for ; day.Before(in.To); day = day.Add(24 * time.Hour) {
		sub := *in
		sub.From, sub.To = maxTime(day, in.From), minTime(day.Add(24*time.Hour), in.To)
		tl := newTimeline(&sub)
		rep := cherryPick(&sub, tl)
		for _, x := range rep.Experts {
			v := DailyValue{User: x.ID, Day: day.Format("2006-01-02")}
			for _, n := range x.Offers {
				v.Offered += n.Offered
				v.Refused += n.Declined + n.NotAnswered
			}
			if x.UnscheduledMeetingS != nil {
				m, s := *x.UnscheduledMeetingS/60, x.Suspicion
				v.UnscheduledMeetingMin, v.Suspicion = &m, &s
			}
			out = append(out, v)
		}
	}
	sortDaily(out)
	return out
}

func sortDaily(vs []DailyValue) {
	slices.SortStableFunc(vs, func(a, b DailyValue) int {
		if a.Day != b.Day {
			return cmp.Compare(a.Day, b.Day)
		}
		return cmp.Compare(a.User, b.User)
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
