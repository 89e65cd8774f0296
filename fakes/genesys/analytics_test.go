package genesys

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestUserDetailsQuery(t *testing.T) {
	clock := newManualClock() // 09:00
	f := newFixture(t, Options{Now: clock.Now})
	clock.Advance(30 * time.Minute)
	if err := f.srv.SetPresence(alan, PresenceMeetingInterruptP1, ""); err != nil { // 09:30
		t.Fatal(err)
	}
	clock.Advance(30 * time.Minute)
	if err := f.srv.SetPresence(alan, PresenceOnQueue, ""); err != nil { // 10:00
		t.Fatal(err)
	}
	userFilter := `"userFilters":[{"type":"or","predicates":[{"dimension":"userId","value":"` + alan + `"}]}]`
	post := func(body string) (*http.Response, []byte) {
		return f.do(http.MethodPost, "/api/v2/analytics/users/details/query", "", body)
	}

	res, body := post(`{"interval":"2025-06-02T08:00:00.000Z/2025-06-02T12:00:00.000Z",` + userFilter + `}`)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s", res.Status, body)
	}
	var r userDetailsResponse
	mustJSON(t, body, &r)
	if r.TotalHits != 1 || len(r.UserDetails) != 1 || r.UserDetails[0].UserID != alan {
		t.Fatalf("response %s", body)
	}
	pp := r.UserDetails[0].PrimaryPresence
	want := []struct{ start, end, system, org string }{
		{"2025-06-02T09:00:00.000Z", "2025-06-02T09:30:00.000Z", "AVAILABLE", PresenceAvailable},
		{"2025-06-02T09:30:00.000Z", "2025-06-02T10:00:00.000Z", "MEETING", PresenceMeetingInterruptP1},
		{"2025-06-02T10:00:00.000Z", "", "ON_QUEUE", PresenceOnQueue},
	}
	if len(pp) != len(want) {
		t.Fatalf("presence segments %s", body)
	}
	for i, w := range want {
		end := ""
		if pp[i].EndTime != nil {
			end = *pp[i].EndTime
		}
		if pp[i].StartTime != w.start || end != w.end || pp[i].SystemPresence != w.system || pp[i].OrganizationPresenceID != w.org {
			t.Errorf("segment %d = %+v (end %q), want %+v", i, pp[i], end, w)
		}
	}
	rs := r.UserDetails[0].RoutingStatus
	if len(rs) != 2 || rs[0].RoutingStatus != "OFF_QUEUE" || rs[1].RoutingStatus != "IDLE" || rs[1].EndTime != nil {
		t.Fatalf("routing segments %+v", rs)
	}

	// An interval that ends before the meeting only sees the first segment.
	res, body = post(`{"interval":"2025-06-02T08:00:00Z/2025-06-02T09:15:00Z",` + userFilter + `}`)
	mustJSON(t, body, &r)
	if res.StatusCode != 200 || len(r.UserDetails[0].PrimaryPresence) != 1 {
		t.Fatalf("narrow interval: %s", body)
	}

	// Presence filters keep matching segments only.
	res, body = post(`{"interval":"2025-06-02T08:00:00Z/2025-06-02T12:00:00Z",` + userFilter +
		`,"presenceFilters":[{"type":"or","predicates":[{"dimension":"systemPresence","value":"MEETING"}]}]}`)
	mustJSON(t, body, &r)
	if res.StatusCode != 200 || len(r.UserDetails[0].PrimaryPresence) != 1 || r.UserDetails[0].PrimaryPresence[0].SystemPresence != "MEETING" {
		t.Fatalf("presence filter: %s", body)
	}

	// No filters: every user, paged.
	res, body = post(`{"interval":"2025-06-02T08:00:00Z/2025-06-02T12:00:00Z","paging":{"pageSize":3,"pageNumber":2},"order":"desc"}`)
	mustJSON(t, body, &r)
	if res.StatusCode != 200 || r.TotalHits != 8 || len(r.UserDetails) != 3 {
		t.Fatalf("paged: %s", body)
	}
	if r.UserDetails[0].UserID != edsger { // descending by id: 8,7,6 | 5,4,3 | 2,1
		t.Fatalf("page 2 starts with %s", r.UserDetails[0].UserID)
	}

	// Nothing in range: no userDetails, totalHits 0.
	res, body = post(`{"interval":"2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"}`)
	if res.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"totalHits":0}` {
		t.Fatalf("empty: %s", body)
	}
}

func TestUserDetailsQueryErrors(t *testing.T) {
	f := newFixture(t, Options{})
	day := `"interval":"2025-06-02T00:00:00Z/2025-06-03T00:00:00Z"`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"no interval", `{}`, 400, codeBadRequest, "interval"},
		{"not an interval", `{"interval":"yesterday"}`, 400, codeInvalidDate, "interval"},
		{"bad date", `{"interval":"2025-13-01T00:00:00Z/2025-13-02T00:00:00Z"}`, 400, codeInvalidDate, "interval"},
		{"backwards", `{"interval":"2025-06-03T00:00:00Z/2025-06-02T00:00:00Z"}`, 400, codeInvalidValue, "interval"},
		{"8 days unfiltered", `{"interval":"2025-06-01T00:00:00Z/2025-06-09T00:00:00Z"}`, 400, codeInvalidValue, "interval"},
		{"32 days filtered", `{"interval":"2025-06-01T00:00:00Z/2025-07-03T00:00:00Z","userFilters":[{"type":"or","predicates":[{"dimension":"userId","value":"x"}]}]}`, 400, codeInvalidValue, "interval"},
		{"bad dimension", `{` + day + `,"userFilters":[{"type":"or","predicates":[{"dimension":"queueId","value":"x"}]}]}`, 400, codeInvalidValue, "userFilters[0].predicates[0].dimension"},
		{"bad filter type", `{` + day + `,"userFilters":[{"type":"xor","predicates":[]}]}`, 400, codeInvalidValue, "userFilters[0].type"},
		{"bad operator", `{` + day + `,"routingStatusFilters":[{"type":"or","predicates":[{"dimension":"routingStatus","operator":"like","value":"IDLE"}]}]}`, 400, codeInvalidValue, "routingStatusFilters[0].predicates[0].operator"},
		{"bad order", `{` + day + `,"order":"random"}`, 400, codeInvalidValue, "order"},
		{"bad page size", `{` + day + `,"paging":{"pageSize":1000}}`, 400, codeInvalidValue, "paging.pageSize"},
		{"unknown field", `{` + day + `,"groupBy":["userId"]}`, 400, codeInvalidProperty, "groupBy"},
		{"unknown predicate field", `{` + day + `,"userFilters":[{"type":"or","predicates":[{"dimension":"userId","value":"x","values":[]}]}]}`, 400, codeInvalidProperty, "userFilters[0].predicates[0].values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodPost, "/api/v2/analytics/users/details/query", "", tc.body)
			e := checkError(t, res, body, tc.status, tc.code)
			if len(e.Details) == 0 || e.Details[0].FieldName != tc.field {
				t.Fatalf("details %+v, want field %q", e.Details, tc.field)
			}
		})
	}
}

func TestUserActivityQuery(t *testing.T) {
	f := newFixture(t, Options{})
	post := func(q, body string) (*http.Response, userActivityResponse, []byte) {
		res, raw := f.do(http.MethodPost, "/api/v2/analytics/users/activity/query"+q, "", body)
		var r userActivityResponse
		if res.StatusCode == 200 {
			mustJSON(t, raw, &r)
		}
		return res, r, raw
	}
	// Everyone, with details.
	res, r, raw := post("", `{"metrics":[{"metric":"oMemberQueues","details":true}],"groupBy":["userId"]}`)
	if res.StatusCode != 200 || len(r.Results) != 8 || r.EntityIDDimension != "userId" {
		t.Fatalf("all: %s %s", res.Status, raw)
	}
	first := r.Results[0]
	if first.Group["userId"] != ada || len(first.Data) != 1 || first.Data[0].Count != 1 || len(first.Entities) != 1 {
		t.Fatalf("first result %+v", first)
	}
	e := first.Entities[0]
	if e.SystemPresence != "ON_QUEUE" || e.RoutingStatus != "IDLE" || e.OrganizationPresenceID != PresenceOnQueue || e.QueueID != DemoQueueID {
		t.Fatalf("entity %+v", e)
	}
	// Filter on the custom meeting presences' system presence.
	res, r, raw = post("", `{"metrics":[{"metric":"oActiveQueues"}],"groupBy":["userId"],"filter":{"type":"or","predicates":[{"dimension":"systemPresence","value":"MEETING"}]}}`)
	if res.StatusCode != 200 || len(r.Results) != 2 || r.Results[0].Entities != nil {
		t.Fatalf("meeting filter: %s", raw)
	}
	// Paging by query parameters.
	res, r, raw = post("?pageSize=3&pageNumber=3", `{"metrics":[{"metric":"oActiveQueues"}],"groupBy":["userId"]}`)
	if res.StatusCode != 200 || len(r.Results) != 2 {
		t.Fatalf("page 3: %s", raw)
	}
	errs := []struct {
		name, body, code, field string
	}{
		{"no metrics", `{"groupBy":["userId"]}`, codeInvalidValue, "metrics"},
		{"unknown metric", `{"metrics":[{"metric":"oPresence"}],"groupBy":["userId"]}`, codeInvalidValue, "metrics[0].metric"},
		{"no groupBy", `{"metrics":[{"metric":"oActiveQueues"}]}`, codeInvalidValue, "groupBy"},
		{"bad groupBy", `{"metrics":[{"metric":"oActiveQueues"}],"groupBy":["queueId"]}`, codeInvalidValue, "groupBy[0]"},
		{"bad dimension", `{"metrics":[{"metric":"oActiveQueues"}],"groupBy":["userId"],"filter":{"type":"and","predicates":[{"dimension":"mood","value":"x"}]}}`, codeInvalidValue, "filter.predicates[0].dimension"},
		{"range not allowed", `{"metrics":[{"metric":"oActiveQueues"}],"groupBy":["userId"],"filter":{"type":"and","predicates":[{"dimension":"userId","range":{}}]}}`, codeInvalidProperty, "filter.predicates[0].range"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			res, raw := f.do(http.MethodPost, "/api/v2/analytics/users/activity/query", "", tc.body)
			e := checkError(t, res, raw, 400, tc.code)
			if len(e.Details) == 0 || e.Details[0].FieldName != tc.field {
				t.Fatalf("details %+v, want %q", e.Details, tc.field)
			}
		})
	}
}
