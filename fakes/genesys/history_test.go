package genesys

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
)

// seedHistory stores n answered calls an hour apart from 2025-06-01 08:00,
// every third abandoned, plus alan's presence and routing segments and a
// shift with one meeting.
func seedHistory(h *History, n int) time.Time {
	t0 := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		start := t0.Add(time.Duration(i) * time.Hour)
		c := ACDCall{ID: fmt.Sprintf("c%03d", i), QueueID: "q1", Start: start, SkillIDs: []string{"sk1"}}
		if i%3 == 2 {
			c.Abandoned, c.End = true, start.Add(90*time.Second)
		} else {
			c.Alerts = []CallAlert{
				{UserID: grace, Start: start.Add(5 * time.Second), End: start.Add(25 * time.Second), Outcome: AlertNoAnswer},
				{UserID: alan, Start: start.Add(30 * time.Second), End: start.Add(36 * time.Second), Outcome: AlertAccepted},
			}
			c.Talk, c.ACW = 10*time.Minute, 2*time.Minute
		}
		h.AppendConversations(c.Conversation())
	}
	h.AppendPresence(alan,
		PresenceSegment{Start: t0, End: t0.Add(time.Hour), SystemPresence: "ON_QUEUE", OrganizationPresenceID: PresenceOnQueue},
		PresenceSegment{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), SystemPresence: "MEETING", OrganizationPresenceID: "gone-0000"})
	h.AppendRouting(alan, RoutingSegment{Start: t0, End: t0.Add(time.Hour), Status: "IDLE"})
	h.AppendShifts(alan, ScheduleShift{Start: t0, Length: 8 * time.Hour,
		Activities: []ScheduleActivity{{Start: t0.Add(time.Hour), Length: time.Hour, ActivityCodeID: ActivityCodeMeeting}}})
	return t0
}

func TestConversationDetailsQuery(t *testing.T) {
	h := NewHistory()
	seedHistory(h, 30)
	f := newFixture(t, Options{History: h})
	post := func(body string) (*http.Response, []byte) {
		return f.do(http.MethodPost, "/api/v2/analytics/conversations/details/query", "", body)
	}
	var all []AnalyticsConversation
	total := -1
	for page := 1; ; page++ {
		res, body := post(fmt.Sprintf(`{"interval":"2025-06-01T00:00:00.000Z/2025-06-02T10:00:00.000Z","order":"asc","paging":{"pageSize":7,"pageNumber":%d}}`, page))
		if res.StatusCode != 200 {
			t.Fatalf("%s %s", res.Status, body)
		}
		var r conversationQueryResponse
		mustJSON(t, body, &r)
		total = r.TotalHits
		all = append(all, r.Conversations...)
		if len(r.Conversations) < 7 {
			break
		}
	}
	// 08:00 on the 1st to 09:00 on the 2nd start inside; 10:00 does not.
	if total != 26 || len(all) != 26 || all[0].ConversationID != "c000" || all[25].ConversationID != "c025" {
		t.Fatalf("total %d, %d records, first %s", total, len(all), all[0].ConversationID)
	}
	metric := func(c AnalyticsConversation, purpose, name string) int64 {
		for _, p := range c.Participants {
			for _, s := range p.Sessions {
				for _, m := range s.Metrics {
					if p.Purpose == purpose && m.Name == name {
						return m.Value
					}
				}
			}
		}
		return -1
	}
	if v := metric(all[0], "agent", "tTalk"); v != 600000 {
		t.Errorf("tTalk %d", v)
	}
	if v := metric(all[0], "agent", "tNotResponding"); v != 20000 {
		t.Errorf("tNotResponding %d", v)
	}
	if v := metric(all[0], "acd", "tAcd"); v != 36000 {
		t.Errorf("tAcd %d", v)
	}
	if v := metric(all[2], "acd", "tAbandon"); v != 90000 {
		t.Errorf("tAbandon %d", v)
	}
	// Filters: calls alan was offered (a segment filter on userId).
	res, body := post(`{"interval":"2025-06-01T00:00:00.000Z/2025-06-02T00:00:00.000Z","segmentFilters":[{"type":"and","predicates":[{"dimension":"userId","value":"` + alan + `"}]}],"paging":{"pageSize":100}}`)
	var r conversationQueryResponse
	mustJSON(t, body, &r)
	if res.StatusCode != 200 || r.TotalHits != 11 { // 16 calls that day, 5 abandoned
		t.Fatalf("%s: %d hits: %s", res.Status, r.TotalHits, body[:min(200, len(body))])
	}
	// Empty interval: no conversations key, totalHits 0.
	res, body = post(`{"interval":"2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z"}`)
	if res.StatusCode != 200 || strings.Contains(string(body), "conversations") || !strings.Contains(string(body), `"totalHits":0`) {
		t.Fatalf("empty interval: %s %s", res.Status, body)
	}
	// Limits and bad input.
	res, body = post(`{"interval":"2025-05-01T00:00:00.000Z/2025-06-02T00:00:00.000Z"}`)
	if e := checkError(t, res, body, 400, codeInvalidValue); !strings.Contains(e.Message, "31 days") {
		t.Errorf("32-day interval: %s", e.Message)
	}
	res, body = post(`{"interval":"2025-06-01T00:00:00.000Z/2025-06-02T00:00:00.000Z","paging":{"pageSize":101}}`)
	checkError(t, res, body, 400, codeInvalidValue)
	res, body = post(`{"interval":"2025-06-01T00:00:00.000Z/2025-06-02T00:00:00.000Z","segmentFilters":[{"type":"and","predicates":[{"dimension":"wrapUpNote","value":"x"}]}]}`)
	if e := checkError(t, res, body, 400, codeInvalidValue); e.Details[0].FieldName != "segmentFilters[0].predicates[0].dimension" {
		t.Errorf("field %q", e.Details[0].FieldName)
	}
}

// The official SDK parses the detail records, metrics and segments.
func TestSDKConversationDetails(t *testing.T) {
	h := NewHistory()
	t0 := seedHistory(h, 3)
	f := newSDKFixture(t, Options{History: h})
	api := platformclientv2.NewAnalyticsApiWithConfig(f.config)
	interval := "2025-06-01T00:00:00.000Z/2025-06-02T00:00:00.000Z"
	size, num := 100, 1
	out, _, err := api.PostAnalyticsConversationsDetailsQuery(platformclientv2.Conversationquery{Interval: &interval,
		Paging: &platformclientv2.Pagingspec{PageSize: &size, PageNumber: &num}})
	if err != nil {
		t.Fatal(err)
	}
	if out.TotalHits == nil || *out.TotalHits != 3 || out.Conversations == nil || len(*out.Conversations) != 3 {
		t.Fatalf("%+v", out)
	}
	c := (*out.Conversations)[0]
	if c.ConversationStart == nil || !c.ConversationStart.Equal(t0) || c.ConversationEnd == nil || !c.ConversationEnd.Equal(t0.Add(36*time.Second+12*time.Minute)) {
		t.Fatalf("start %v end %v", c.ConversationStart, c.ConversationEnd)
	}
	var talk int64 = -1
	var alerts int
	for _, p := range *c.Participants {
		for _, s := range *p.Sessions {
			for _, g := range *s.Segments {
				if *g.SegmentType == "alert" {
					alerts++
				}
			}
			if s.Metrics != nil {
				for _, m := range *s.Metrics {
					if *m.Name == "tTalk" {
						talk = int64(*m.Value)
					}
				}
			}
		}
	}
	if talk != 600000 || alerts != 2 {
		t.Errorf("tTalk %d, %d alert segments", talk, alerts)
	}
}

// History segments come back through the user details query, also for a
// presence definition that no longer exists; the live segment follows.
func TestUserDetailsMergesHistory(t *testing.T) {
	h := NewHistory()
	seedHistory(h, 1)
	clock := newManualClock()
	f := newFixture(t, Options{History: h, Now: clock.Now})
	res, body := f.do(http.MethodPost, "/api/v2/analytics/users/details/query", "",
		`{"interval":"2025-06-01T00:00:00.000Z/2025-06-03T00:00:00.000Z","userFilters":[{"type":"or","predicates":[{"dimension":"userId","value":"`+alan+`"}]}]}`)
	var r userDetailsResponse
	mustJSON(t, body, &r)
	if res.StatusCode != 200 || len(r.UserDetails) != 1 {
		t.Fatalf("%s %s", res.Status, body)
	}
	pp := r.UserDetails[0].PrimaryPresence
	if len(pp) != 3 || pp[1].OrganizationPresenceID != "gone-0000" || pp[0].StartTime != "2025-06-01T08:00:00.000Z" || pp[2].EndTime != nil {
		t.Fatalf("presence %+v", pp)
	}
	if rs := r.UserDetails[0].RoutingStatus; len(rs) != 2 || rs[0].RoutingStatus != "IDLE" {
		t.Fatalf("routing %+v", rs)
	}
}

func TestScheduleSearch(t *testing.T) {
	h := NewHistory()
	seedHistory(h, 1)
	f := newFixture(t, Options{History: h})
	path := "/api/v2/workforcemanagement/businessunits/" + BusinessUnitID + "/agentschedules/search"
	res, body := f.do(http.MethodPost, path, "", `{"startDate":"2025-06-01T00:00:00.000Z","endDate":"2025-06-02T00:00:00.000Z","userIds":["`+alan+`"]}`)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"lengthMinutes":480`) || !strings.Contains(string(body), ActivityCodeMeeting) ||
		!strings.Contains(string(body), `"status":"Complete"`) {
		t.Fatalf("%s %s", res.Status, body)
	}
	res, body = f.do(http.MethodPost, path, "", `{"startDate":"2025-05-01T00:00:00.000Z","endDate":"2025-06-02T00:00:00.000Z"}`)
	checkError(t, res, body, 400, codeInvalidValue)
	res, body = f.do(http.MethodPost, "/api/v2/workforcemanagement/businessunits/nope/agentschedules/search", "", `{}`)
	checkError(t, res, body, 404, codeNotFound)

	nf := newFixture(t, Options{History: h, NoWFM: true})
	res, body = nf.do(http.MethodPost, path, "", `{"startDate":"2025-06-01T00:00:00.000Z","endDate":"2025-06-02T00:00:00.000Z"}`)
	if e := checkError(t, res, body, 403, "not.authorized"); !strings.Contains(e.Message, "not licensed") {
		t.Errorf("message %q", e.Message)
	}
	res, body = nf.do(http.MethodGet, "/api/v2/workforcemanagement/businessunits", "", "")
	checkError(t, res, body, 403, "not.authorized")
}

// The async jobs API returns what the synchronous query does, in cursor
// pages, and refuses paging in the job body and unknown cursors.
func TestConversationDetailsJob(t *testing.T) {
	h := NewHistory()
	seedHistory(h, 30)
	f := newFixture(t, Options{History: h})
	res, body := f.do(http.MethodPost, "/api/v2/analytics/conversations/details/jobs", "", `{"interval":"2025-06-01T00:00:00.000Z/2025-06-03T00:00:00.000Z"}`)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("%s %s", res.Status, body)
	}
	var job struct{ JobID string }
	mustJSON(t, body, &job)
	res, body = f.do(http.MethodGet, "/api/v2/analytics/conversations/details/jobs/"+job.JobID, "", "")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"state":"FULFILLED"`) {
		t.Fatalf("status %s %s", res.Status, body)
	}
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		q := "?pageSize=7"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		res, body = f.do(http.MethodGet, "/api/v2/analytics/conversations/details/jobs/"+job.JobID+"/results"+q, "", "")
		var r struct {
			Conversations []AnalyticsConversation
			Cursor        string
		}
		mustJSON(t, body, &r)
		if res.StatusCode != 200 || pages > 10 {
			t.Fatalf("%s %s", res.Status, body)
		}
		for _, c := range r.Conversations {
			ids = append(ids, c.ConversationID)
		}
		if cursor = r.Cursor; cursor == "" {
			break
		}
	}
	if len(ids) != 30 || ids[0] != "c000" || ids[29] != "c029" {
		t.Fatalf("%d results: %v", len(ids), ids)
	}
	res, body = f.do(http.MethodGet, "/api/v2/analytics/conversations/details/jobs/"+job.JobID+"/results?cursor=zzzzzz", "", "")
	checkError(t, res, body, 400, codeInvalidQueryParam)
	res, body = f.do(http.MethodGet, "/api/v2/analytics/conversations/details/jobs/nope", "", "")
	checkError(t, res, body, 404, codeNotFound)
	res, body = f.do(http.MethodPost, "/api/v2/analytics/conversations/details/jobs", "", `{"interval":"2025-06-01T00:00:00.000Z/2025-06-03T00:00:00.000Z","paging":{"pageSize":5}}`)
	checkError(t, res, body, 400, codeInvalidValue)
}
