package genesys

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shadowq/shadowq/calibrate/record"
)

// CalibrationQuery says what `shadowq calibrate` reads.
type CalibrationQuery struct {
	From, To time.Time
	Queues   []string // queue ids; empty = every conversation, every user
	Users    []string // user ids to keep; empty = every user (or the queues' members)
	// NoJobs reads conversation details with the synchronous query only
	// (the async jobs API is tried first otherwise, falling back when
	// the org answers it 403, 404 or 501).
	NoJobs bool
	// Progress, if set, is told what is being read (one line per page).
	Progress func(msg string)
}

// Interval limits: conversation details ≤ 31 days a query; user details ≤
// 31 days with user filters (shared/genesys-api.md §6, §10).
const (
	calChunk          = 31 * 24 * time.Hour
	calUsersPerQuery  = 25
	calSchedUsers     = 100
	calConversationPg = 100
)

// CalibrationData reads everything calibrate fits: presence definitions,
// users with routing skills (GET /api/v2/users?expand=skills), queue
// members, conversation details and user details over [From, To) split
// into ≤ 31-day intervals and paged, and WFM agent schedules when
// licensed (a 403 or 404 is recorded in ScheduleNote, not an error). Every
// call goes through the client's retries (429 with Retry-After, 5xx) and
// its per-token budget; analytics calls count to the history class.
func (c *Client) CalibrationData(ctx context.Context, q CalibrationQuery) (*record.Data, error) {
	progress := q.Progress
	if progress == nil {
		progress = func(string) {}
	}
	if !q.To.After(q.From) {
		return nil, fmt.Errorf("calibrate: empty interval %s/%s", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	d := &record.Data{From: q.From.UTC(), To: q.To.UTC(), Queues: q.Queues, Presence: map[string][]record.Segment{}, Routing: map[string][]record.Segment{}}
	defs, err := c.PresenceDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	sys := map[string]string{}
	for _, p := range defs {
		d.Presences = append(d.Presences, record.PresenceDef{ID: string(p.ID), System: p.System.String(), Label: p.Label})
		sys[string(p.ID)] = p.System.String()
	}
	skillNames, err := c.calUsers(ctx, d, q, progress)
	if err != nil {
		return nil, err
	}
	if err := c.calConversations(ctx, d, q, skillNames, progress); err != nil {
		return nil, err
	}
	ids := make([]string, len(d.Users))
	for i, u := range d.Users {
		ids[i] = u.ID
	}
	if err := c.calUserDetails(ctx, d, ids, progress); err != nil {
		return nil, err
	}
	for _, m := range []map[string][]record.Segment{d.Presence, d.Routing} {
		for u, segs := range m {
			// Pieces of the interval overlap at their seams: sort, drop repeats.
			slices.SortFunc(segs, func(a, b record.Segment) int { return a.Start.Compare(b.Start) })
			m[u] = slices.CompactFunc(segs, func(a, b record.Segment) bool { return a.Start.Equal(b.Start) && a.Value == b.Value })
		}
	}
	c.calSchedules(ctx, d, ids, progress)
	return d, nil
}

func chunks(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	for a := from; a.Before(to); a = a.Add(calChunk) {
		out = append(out, [2]time.Time{a, minTime(a.Add(calChunk), to)})
	}
	return out
}

// calUsers reads users with skills, narrowed to the queues' members and
// the --users list; it returns skill id → name.
func (c *Client) calUsers(ctx context.Context, d *record.Data, q CalibrationQuery, progress func(string)) (map[string]string, error) {
	const op = "GET /api/v2/users"
	skillNames := map[string]string{}
	keep := map[string]bool{}
	for _, id := range q.Users {
		keep[id] = true
	}
	member := map[string]bool{}
	for i, qid := range q.Queues {
		if !looksLikeID(qid) {
			id, err := c.queueByName(ctx, qid)
			if err != nil {
				return nil, err
			}
			q.Queues[i], d.Queues[i] = id, id
			progress(fmt.Sprintf("queue %q is %s", qid, id))
			qid = id
		}
		ms, err := c.QueueMembers(ctx, qid)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			member[string(m.ID)] = true
		}
	}
	for page := 1; ; page++ {
		v := url.Values{"pageSize": {"100"}, "pageNumber": {strconv.Itoa(page)}, "expand": {"skills"}, "state": {"active"}}
		a, err := c.do(ctx, op, c.raw("GET", "/api/v2/users", v, nil))
		if err != nil {
			return nil, fmt.Errorf("users page %d: %w", page, err)
		}
		var p struct {
			Entities []struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				Skills []struct {
					ID          string  `json:"id"`
					Name        string  `json:"name"`
					Proficiency float64 `json:"proficiency"`
				} `json:"skills"`
			} `json:"entities"`
			PageCount int `json:"pageCount"`
		}
		if err := json.Unmarshal(a.body, &p); err != nil {
			return nil, fmt.Errorf("genesys: %s: page %d: decoding: %w", op, page, err)
		}
		for _, e := range p.Entities {
			if len(keep) > 0 && !keep[e.ID] || len(q.Queues) > 0 && !member[e.ID] {
				continue
			}
			u := record.User{ID: e.ID, Name: e.Name, Skills: map[string]float64{}}
			for _, s := range e.Skills {
				u.Skills[s.Name] = s.Proficiency
				skillNames[s.ID] = s.Name
			}
			d.Users = append(d.Users, u)
		}
		progress(fmt.Sprintf("users: page %d, %d kept", page, len(d.Users)))
		if len(p.Entities) < 100 || p.PageCount > 0 && page >= p.PageCount {
			break
		}
	}
	slices.SortFunc(d.Users, func(a, b record.User) int { return cmp.Compare(a.ID, b.ID) })
	return skillNames, nil
}

// calSchedules reads WFM agent schedules; a 403/404 (no WFM licence, no
// business unit) is noted and calibration goes on from presence alone.
func (c *Client) calSchedules(ctx context.Context, d *record.Data, ids []string, progress func(string)) {
	note := func(err error) {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound) {
			d.ScheduleNote = fmt.Sprintf("not available (%d %s: %s); meetings are inferred from presence segments", ae.Status, ae.Code, ae.Message)
			return
		}
		d.ScheduleNote = fmt.Sprintf("not read (%v); meetings are inferred from presence segments", err)
	}
	a, err := c.do(ctx, "GET /api/v2/workforcemanagement/businessunits", c.raw("GET", "/api/v2/workforcemanagement/businessunits", nil, nil))
	if err != nil {
		note(err)
		return
	}
	var bus struct {
		Entities []struct {
			ID string `json:"id"`
		} `json:"entities"`
	}
	if err := json.Unmarshal(a.body, &bus); err != nil || len(bus.Entities) == 0 {
		d.ScheduleNote = "no WFM business unit; meetings are inferred from presence segments"
		return
	}
	bu := bus.Entities[0].ID
	base := "/api/v2/workforcemanagement/businessunits/" + url.PathEscape(bu)
	d.Schedules = map[string][]record.Meeting{}
	n := 0
	for _, iv := range chunks(d.From, d.To) {
		for lo := 0; lo < len(ids); lo += calSchedUsers {
			a, err := c.scheduleSearch(ctx, base, ids[lo:min(lo+calSchedUsers, len(ids))], iv[0], iv[1])
			if err != nil {
				d.Schedules = nil
				note(err)
				return
			}
			var r scheduleSearchAnswer
			if err := json.Unmarshal(a.body, &r); err != nil {
				d.Schedules = nil
				d.ScheduleNote = fmt.Sprintf("schedule search answer not understood (%v); meetings are inferred from presence segments", err)
				return
			}
			if r.Result != nil { // an asynchronous answer holds none (not read yet)
				for _, s := range r.Result.AgentSchedules {
					for _, sh := range s.Shifts {
						for _, act := range sh.Activities {
							d.Schedules[s.User.ID] = append(d.Schedules[s.User.ID], record.Meeting{Start: act.StartDate, Len: time.Duration(act.LengthMinutes) * time.Minute})
							n++
						}
					}
				}
			}
			progress(fmt.Sprintf("WFM schedules: %d activities", n))
		}
	}
	d.ScheduleNote = fmt.Sprintf("%d scheduled activities read from business unit %s", n, bu)
}

// looksLikeID: a GUID (36 characters, dashes at 8, 13, 18, 23).
func looksLikeID(s string) bool {
	return len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-'
}

// queueByName resolves a queue name with GET /api/v2/routing/queues?name=
// (exact, case-insensitive); none or several is an error naming them.
func (c *Client) queueByName(ctx context.Context, name string) (string, error) {
	const op = "GET /api/v2/routing/queues"
	a, err := c.do(ctx, op, c.raw("GET", "/api/v2/routing/queues", url.Values{"name": {name}, "pageSize": {"100"}}, nil))
	if err != nil {
		return "", fmt.Errorf("queue %q: %w", name, err)
	}
	var p struct {
		Entities []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"entities"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		return "", fmt.Errorf("genesys: %s: decoding: %w", op, err)
	}
	var ids, names []string
	for _, e := range p.Entities {
		names = append(names, e.Name)
		if strings.EqualFold(e.Name, name) {
			ids = append(ids, e.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", fmt.Errorf("calibrate: no queue is named %q (the org answered %d for that name: %s)", name, len(names), strings.Join(names, ", "))
	}
	return "", fmt.Errorf("calibrate: %d queues are named %q (%s): give its id", len(ids), name, strings.Join(ids, ", "))
}
