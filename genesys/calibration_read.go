package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shadowq/shadowq/calibrate/record"
)

// calConversations pages through conversation details, interval by
// interval (≤ 31 days), optionally filtered to the queues.
func (c *Client) calConversations(ctx context.Context, d *record.Data, q CalibrationQuery, skillNames map[string]string, progress func(string)) error {
	var segFilters []map[string]any
	if len(q.Queues) > 0 {
		var preds []map[string]string
		for _, id := range q.Queues {
			preds = append(preds, map[string]string{"dimension": "queueId", "value": id})
		}
		segFilters = []map[string]any{{"type": "or", "predicates": preds}}
	}
	for _, iv := range pieces(d.From, d.To, maxDetailInterval) {
		if q.NoJobs {
			if err := c.calConversationsSync(ctx, d, iv, segFilters, skillNames, progress); err != nil {
				return err
			}
			continue
		}
		err := c.calConversationsJob(ctx, d, iv, segFilters, skillNames, progress)
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusForbidden || ae.Status == http.StatusNotImplemented) && !errors.Is(err, errJobStarted) {
			progress(fmt.Sprintf("details jobs not available (%d %s): paging the synchronous query", ae.Status, ae.Code))
			q.NoJobs = true
			err = c.calConversationsSync(ctx, d, iv, segFilters, skillNames, progress)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// errJobStarted marks errors after a details job was accepted (no fallback then).
var errJobStarted = errors.New("details job started")

// calConversationsJob reads one interval through the asynchronous details
// jobs API: submit, poll until FULFILLED, page the results by cursor (1,000
// a page) — a 28-day pull of a 200-expert org in tens of requests instead
// of hundreds, so it fits one token's minute.
func (c *Client) calConversationsJob(ctx context.Context, d *record.Data, iv [2]time.Time, segFilters []map[string]any, skillNames map[string]string, progress func(string)) error {
	const base = "/api/v2/analytics/conversations/details/jobs"
	req := map[string]any{"interval": isoInterval(iv[0], iv[1]), "order": "asc", "orderBy": "conversationStart"}
	if segFilters != nil {
		req["segmentFilters"] = segFilters
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	a, err := c.do(ctx, "POST "+base, c.raw("POST", base, nil, body))
	if err != nil {
		return err
	}
	var job struct {
		JobID string `json:"jobId"`
	}
	if err := json.Unmarshal(a.body, &job); err != nil || job.JobID == "" {
		return fmt.Errorf("genesys: POST %s: no jobId in %.200s: %w", base, a.body, errJobStarted)
	}
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		a, err := c.do(ctx, "GET "+base+"/{jobId}", c.raw("GET", base+"/"+url.PathEscape(job.JobID), nil, nil))
		if err != nil {
			return fmt.Errorf("details job %s: %w (%w)", job.JobID, err, errJobStarted)
		}
		var st struct {
			State        string `json:"state"`
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(a.body, &st); err != nil {
			return fmt.Errorf("details job %s: decoding: %w (%w)", job.JobID, err, errJobStarted)
		}
		if st.State == "FULFILLED" {
			break
		}
		if st.State == "FAILED" || st.State == "CANCELLED" || st.State == "EXPIRED" {
			return fmt.Errorf("details job %s for %s: %s %s (%w)", job.JobID, isoInterval(iv[0], iv[1]), st.State, st.ErrorMessage, errJobStarted)
		}
		progress(fmt.Sprintf("conversations %s: details job %s", iv[0].Format("2006-01-02"), strings.ToLower(st.State)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	cursor := ""
	for page := 1; ; page++ {
		v := url.Values{"pageSize": {"1000"}}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		a, err := c.do(ctx, "GET "+base+"/{jobId}/results", c.raw("GET", base+"/"+url.PathEscape(job.JobID)+"/results", v, nil))
		if err != nil {
			return fmt.Errorf("details job %s results page %d: %w (%w)", job.JobID, page, err, errJobStarted)
		}
		var r struct {
			Conversations []detailConversation `json:"conversations"`
			Cursor        string               `json:"cursor"`
		}
		if err := json.Unmarshal(a.body, &r); err != nil {
			return fmt.Errorf("details job %s results page %d: decoding: %w (%w)", job.JobID, page, err, errJobStarted)
		}
		for i := range r.Conversations {
			d.Conversations = append(d.Conversations, convert(&r.Conversations[i], skillNames, d.To))
		}
		progress(fmt.Sprintf("conversations %s: job results page %d, %d read", iv[0].Format("2006-01-02"), page, len(d.Conversations)))
		if r.Cursor == "" {
			return nil
		}
		cursor = r.Cursor
	}
}

// calConversationsSync pages one interval through the synchronous query
// (100 a page).
func (c *Client) calConversationsSync(ctx context.Context, d *record.Data, iv [2]time.Time, segFilters []map[string]any, skillNames map[string]string, progress func(string)) error {
	return c.conversationPages(ctx, iv, segFilters, calConversationPg, func(cv *detailConversation) {
		d.Conversations = append(d.Conversations, convert(cv, skillNames, d.To))
	}, func(page, read, total int) {
		progress(fmt.Sprintf("conversations %s: page %d, %d of %d", iv[0].Format("2006-01-02"), page, read, total))
	})
}

// conversationPages pages one interval (≤ 31 days) of the synchronous
// POST /api/v2/analytics/conversations/details/query, oldest first,
// pageSize a page: each sees every record, done (when set) the page
// number, the records read so far and the total hits after each page.
// Audit and calibration both read through it.
func (c *Client) conversationPages(ctx context.Context, iv [2]time.Time, segFilters []map[string]any, pageSize int,
	each func(*detailConversation), done func(page, read, total int)) error {
	const op = "POST /api/v2/analytics/conversations/details/query"
	for page := 1; ; page++ {
		req := map[string]any{"interval": isoInterval(iv[0], iv[1]), "order": "asc", "orderBy": "conversationStart",
			"paging": map[string]int{"pageSize": pageSize, "pageNumber": page}}
		if segFilters != nil {
			req["segmentFilters"] = segFilters
		}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		a, err := c.do(ctx, op, c.raw("POST", "/api/v2/analytics/conversations/details/query", nil, body))
		if err != nil {
			return fmt.Errorf("conversation details %s page %d: %w", isoInterval(iv[0], iv[1]), page, err)
		}
		var r struct {
			Conversations []detailConversation `json:"conversations"`
			TotalHits     int                  `json:"totalHits"`
		}
		if err := json.Unmarshal(a.body, &r); err != nil {
			return fmt.Errorf("genesys: %s: page %d: decoding: %w", op, page, err)
		}
		for i := range r.Conversations {
			each(&r.Conversations[i])
		}
		if done != nil {
			done(page, min(page*pageSize, r.TotalHits), r.TotalHits)
		}
		if len(r.Conversations) < pageSize {
			return nil
		}
	}
}

// convert reads one detail record: the queue wait from the acd
// participant (tAcd, tAbandon), offers from agents' alert segments, talk,
// hold and after-call work from the answering agent's metrics.
func convert(cv *detailConversation, skillNames map[string]string, to time.Time) record.Conversation {
	out := record.Conversation{ID: cv.ConversationID, Start: cv.ConversationStart, Open: cv.ConversationEnd == nil}
	var queueEnd *time.Time
	for _, p := range cv.Participants {
		for _, s := range p.Sessions {
			metric := map[string]int64{}
			for _, m := range s.Metrics {
				metric[m.Name] += m.Value
			}
			switch p.Purpose {
			case "acd":
				for _, g := range s.Segments {
					if g.QueueID != "" && out.QueueID == "" {
						out.QueueID = g.QueueID
						for _, id := range g.RequestedRoutingSkillIDs {
							n := skillNames[id]
							if n == "" {
								n = id
							}
							out.Skills = append(out.Skills, n)
						}
						queueEnd = g.SegmentEnd
						out.Voicemail = g.DisconnectType == "transfer"
					}
				}
				if v, ok := metric["tAbandon"]; ok {
					out.Abandon, out.Wait = true, time.Duration(v)*time.Millisecond
				} else if v, ok := metric["tAcd"]; ok {
					out.Wait = time.Duration(v) * time.Millisecond
				}
			case "agent":
				for _, g := range s.Segments {
					if g.SegmentType != "alert" || g.SegmentEnd == nil {
						continue
					}
					a := record.Alert{UserID: p.UserID, Start: g.SegmentStart, Dur: g.SegmentEnd.Sub(g.SegmentStart), Outcome: "accepted"}
					switch {
					case metric["tNotResponding"] > 0 || g.DisconnectType == "timeout":
						a.Outcome = "noAnswer"
					case g.DisconnectType != "":
						a.Outcome = "declined"
					}
					out.Alerts = append(out.Alerts, a)
				}
				if _, ok := metric["tAnswered"]; ok {
					out.Answered = true
					out.Talk = time.Duration(metric["tTalk"]) * time.Millisecond
					out.Held = time.Duration(metric["tHeld"]) * time.Millisecond
					out.ACW = time.Duration(metric["tAcw"]) * time.Millisecond
				}
			}
		}
	}
	if out.Answered || out.Abandon {
		out.Voicemail = false
	}
	if out.Wait == 0 && !out.Answered && !out.Abandon {
		end := to
		if queueEnd != nil {
			end = *queueEnd
		}
		out.Wait = end.Sub(out.Start)
	}
	return out
}

// calUserDetails reads presence and routing-status segments, ≤ 25 users
// and ≤ 31 days a query, paged.
func (c *Client) calUserDetails(ctx context.Context, d *record.Data, ids []string, progress func(string)) error {
	return c.userDetails(ctx, ids, d.From, d.To, calUsersPerQuery, 100, func(u userDetail) {
		for _, p := range u.PrimaryPresence {
			d.Presence[u.UserID] = append(d.Presence[u.UserID], record.Segment{Start: p.StartTime, End: deref(p.EndTime), Value: p.OrganizationPresenceID, System: p.SystemPresence})
		}
		for _, p := range u.RoutingStatus {
			d.Routing[u.UserID] = append(d.Routing[u.UserID], record.Segment{Start: p.StartTime, End: deref(p.EndTime), Value: p.RoutingStatus})
		}
	}, func(done int) { progress(fmt.Sprintf("user details: %d of %d users", done, len(ids))) })
}
