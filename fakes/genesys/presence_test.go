package genesys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestPresenceDefinitions(t *testing.T) {
	f := newFixture(t, Options{})
	var l presenceDefinitionListing
	f.get("/api/v2/presence/definitions", &l)
	if l.Total != 13 || len(l.Entities) != 13 {
		t.Fatalf("total %d, %d entities; want the 10 system and 3 custom definitions", l.Total, len(l.Entities))
	}
	byID := map[string]presenceDefinitionJSON{}
	for _, d := range l.Entities {
		byID[d.ID] = d
		if d.LanguageLabels["en_US"] != d.Name || d.Deactivated || d.SelfURI != "/api/v2/presence/definitions/"+d.ID {
			t.Errorf("definition %+v", d)
		}
	}
	tests := []struct {
		id, typ, system, name string
	}{
		{PresenceAvailable, "System", "Available", "Available"},
		{PresenceOnQueue, "System", "OnQueue", "On Queue"},
		{PresenceOffline, "System", "Offline", "Offline"},
		{PresenceMeetingInterruptP1, "User", "Meeting", "In a Meeting – Interrupt for P1"},
		{PresenceResearchInterruptP1P2, "User", "Busy", "Research – Interrupt for P1/P2"},
		{PresenceMeetingDoNotDisturb, "User", "Meeting", "In a Meeting – Do Not Disturb"},
	}
	for _, tc := range tests {
		d, ok := byID[tc.id]
		if !ok || d.Type != tc.typ || d.SystemPresence != tc.system || d.Name != tc.name {
			t.Errorf("%s: %+v, want type %s system %s name %q", tc.id, d, tc.typ, tc.system, tc.name)
		}
	}
	// deactivated=true lists the deactivated ones: none in the demo org.
	f.get("/api/v2/presence/definitions?deactivated=true", &l)
	if l.Total != 0 || l.Entities == nil {
		t.Fatalf("deactivated listing %+v", l)
	}
	var one presenceDefinitionJSON
	f.get("/api/v2/presence/definitions/"+PresenceMeetingDoNotDisturb, &one)
	if one.Name != "In a Meeting – Do Not Disturb" || one.DivisionID != DemoDivisionID {
		t.Fatalf("definition %+v", one)
	}
	res, body := f.do(http.MethodGet, "/api/v2/presence/definitions/"+unknown, "", "")
	checkError(t, res, body, 404, codeNotFound)
	res, body = f.do(http.MethodGet, "/api/v2/presence/definitions?deactivated=maybe", "", "")
	checkError(t, res, body, 400, codeInvalidValue)
}

func TestUserPresenceGet(t *testing.T) {
	f := newFixture(t, Options{})
	var p userPresenceJSON
	f.get("/api/v2/users/"+grace+"/presences/purecloud", &p)
	if p.Source != "PURECLOUD" || !p.Primary || p.PresenceDefinition.ID != PresenceOnQueue ||
		p.PresenceDefinition.SystemPresence != "On Queue" || !strings.HasSuffix(p.ModifiedDate, "Z") {
		t.Fatalf("presence %+v", p)
	}
	res, body := f.do(http.MethodGet, "/api/v2/users/"+unknown+"/presences/purecloud", "", "")
	checkError(t, res, body, 404, codeNotFound)
}

func TestUserPresencePatch(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.do(http.MethodPatch, "/api/v2/users/"+alan+"/presences/purecloud", "",
		`{"presenceDefinition":{"id":"`+PresenceOnQueue+`"},"message":"back"}`)
	if res.StatusCode != 200 {
		t.Fatalf("PATCH: %s %s", res.Status, body)
	}
	var p userPresenceJSON
	mustJSON(t, body, &p)
	if p.PresenceDefinition.ID != PresenceOnQueue || p.Message != "back" {
		t.Fatalf("PATCH answer %+v", p)
	}
	f.get("/api/v2/users/"+alan+"/presences/purecloud", &p)
	if p.PresenceDefinition.ID != PresenceOnQueue {
		t.Fatalf("GET after PATCH %+v", p)
	}
	// The change is published, with the UPPER_SNAKE system presence.
	evs := f.pub.topic("v2.users." + alan + ".presence")
	if len(evs) != 1 {
		t.Fatalf("presence events %s", evs)
	}
	var ev presenceEvent
	mustJSON(t, evs[0], &ev)
	if ev.PresenceDefinition.ID != PresenceOnQueue || ev.PresenceDefinition.SystemPresence != "ON_QUEUE" || ev.Message != "back" || !ev.Primary || ev.Source != "PURECLOUD" {
		t.Fatalf("presence event %s", evs[0])
	}
	// Going On Queue makes the user IDLE, also published.
	rs := f.pub.topic("v2.users." + alan + ".routingStatus")
	if len(rs) != 1 || !strings.Contains(string(rs[0]), `"status":"IDLE"`) || !strings.Contains(string(rs[0]), `"id":"`+alan+`"`) {
		t.Fatalf("routing status events %s", rs)
	}
	// A message alone keeps the presence.
	res, body = f.do(http.MethodPatch, "/api/v2/users/"+alan+"/presences/purecloud", "", `{"message":"lunch soon"}`)
	mustJSON(t, body, &p)
	if res.StatusCode != 200 || p.PresenceDefinition.ID != PresenceOnQueue || p.Message != "lunch soon" {
		t.Fatalf("message-only PATCH: %s %s", res.Status, body)
	}
}

func TestUserPresencePatchErrors(t *testing.T) {
	f := newFixture(t, Options{})
	path := "/api/v2/users/" + alan + "/presences/purecloud"
	tests := []struct {
		name   string
		path   string
		body   string
		ct     string
		status int
		code   string
		field  string // details[0].fieldName, when the error names one
		inMsg  string // part of the message
	}{
		// Truncated JSON.
		{"truncated", path, `{"presenceDefinition":{"id":"x"}`, "", 400, codeBadRequest, "", "ends before"},
		// A syntax error is located by line and column.
		{"syntax", path, "{\n  \"message\": nope\n}", "", 400, codeBadRequest, "", "line 2, column"},
		// Two values.
		{"trailing data", path, `{"message":"a"} {"message":"b"}`, "", 400, codeBadRequest, "", "after the top-level value"},
		// An empty body.
		{"empty", path, " ", "", 400, codeBadRequest, "", "empty"},
		// Not an object.
		{"array", path, `[]`, "", 400, codeBadRequest, "", "must be an object"},
		// An unknown property, named with its path.
		{"unknown nested field", path, `{"presenceDefinition":{"id":"` + PresenceOnQueue + `","colour":"red"}}`, "", 400, codeInvalidProperty, "presenceDefinition.colour", "presenceDefinition.colour"},
		// Property names are case-sensitive, as in Jackson.
		{"wrong case", path, `{"PresenceDefinition":{"id":"` + PresenceOnQueue + `"}}`, "", 400, codeInvalidProperty, "PresenceDefinition", ""},
		// A value of the wrong type.
		{"wrong type", path, `{"primary":"yes"}`, "", 400, codeBadRequest, "primary", "true or false"},
		// Nothing to change.
		{"nothing", path, `{}`, "", 400, codeBadRequest, "", "Nothing to change"},
		// A definition id is required inside presenceDefinition.
		{"no id", path, `{"presenceDefinition":{}}`, "", 400, codeInvalidValue, "presenceDefinition.id", ""},
		// An unknown definition.
		{"unknown definition", path, `{"presenceDefinition":{"id":"` + unknown + `"}}`, "", 400, codeInvalidValue, "presenceDefinition.id", unknown},
		// An unknown user.
		{"unknown user", "/api/v2/users/" + unknown + "/presences/purecloud", `{"presenceDefinition":{"id":"` + PresenceOnQueue + `"}}`, "", 404, codeNotFound, "", ""},
		// A form body.
		{"form body", path, `presenceDefinition=x`, "application/x-www-form-urlencoded", 415, codeUnsupportedMedia, "", ""},
		// Over request.bytes.max.
		{"too large", path, `{"message":"` + strings.Repeat("x", maxBodyBytes) + `"}`, "", 413, codeTooLarge, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPatch, f.http.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+f.token)
			ct := tc.ct
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			res, body := f.send(req)
			e := checkError(t, res, body, tc.status, tc.code)
			if tc.field != "" && (len(e.Details) == 0 || e.Details[0].FieldName != tc.field) {
				t.Errorf("details %+v, want field %q", e.Details, tc.field)
			}
			if !strings.Contains(e.Message, tc.inMsg) {
				t.Errorf("message %q does not contain %q", e.Message, tc.inMsg)
			}
		})
	}
	if n := len(f.pub.topic("v2.users." + alan + ".presence")); n != 0 {
		t.Fatalf("%d presence events from rejected PATCHes", n)
	}
}

// TestBodyTooLargeStreamed sends an oversized body without a
// Content-Length, so the limit is hit while reading.
func TestBodyTooLargeStreamed(t *testing.T) {
	f := newFixture(t, Options{})
	pr := strings.NewReader(`{"message":"` + strings.Repeat("y", maxBodyBytes) + `"}`)
	req, _ := http.NewRequest(http.MethodPatch, f.http.URL+"/api/v2/users/"+alan+"/presences/purecloud", struct{ *strings.Reader }{pr})
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	res, body := f.send(req)
	checkError(t, res, body, 413, codeTooLarge)
}

func TestBulkPresence(t *testing.T) {
	f := newFixture(t, Options{})
	ids := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		}
		return out
	}
	tests := []struct {
		name  string
		query string
		want  []string // user ids in the answer, in order
	}{
		// Repeated id parameters.
		{"repeated", query("id", ada, "id", radia), []string{ada, radia}},
		// Comma-joined, as the Go SDK sends them; unknown ids are skipped.
		{"comma", "id=" + barbara + "," + unknown + "," + ken, []string{barbara, ken}},
		// Duplicates count once.
		{"duplicates", query("id", ada, "id", ada+","+ada), []string{ada}},
		// Exactly 50 ids is allowed.
		{"fifty", "id=" + strings.Join(ids(50), ","), []string{}},
		// No ids: an empty array.
		{"none", "", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodGet, "/api/v2/users/presences/purecloud/bulk?"+tc.query, "", "")
			if res.StatusCode != 200 {
				t.Fatalf("%s %s", res.Status, body)
			}
			if !strings.HasPrefix(string(body), "[") {
				t.Fatalf("want a bare array, got %s", body)
			}
			var got []bulkPresenceJSON
			mustJSON(t, body, &got)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d entries, want %d: %s", len(got), len(tc.want), body)
			}
			for i, p := range got {
				if p.UserID != tc.want[i] || p.PresenceDefinition.ID == "" || p.Source != "PURECLOUD" || p.ModifiedDate == "" {
					t.Errorf("entry %d: %+v", i, p)
				}
			}
		})
	}
	res, body := f.do(http.MethodGet, "/api/v2/users/presences/purecloud/bulk?id="+strings.Join(ids(51), ","), "", "")
	e := checkError(t, res, body, 400, codeMaxUserPresences)
	if !strings.Contains(e.Message, "50") {
		t.Fatalf("message %q should state the limit", e.Message)
	}
}

func TestPresenceEventsInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	seq := []string{PresenceBusy, PresenceMeetingDoNotDisturb, PresenceOnQueue, PresenceAway}
	for _, id := range seq {
		if err := f.srv.SetPresence(ken, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	evs := f.pub.topic("v2.users." + ken + ".presence")
	if len(evs) != len(seq) {
		t.Fatalf("%d events, want %d", len(evs), len(seq))
	}
	for i, raw := range evs {
		var ev presenceEvent
		if err := json.Unmarshal(raw, &ev); err != nil || ev.PresenceDefinition.ID != seq[i] {
			t.Fatalf("event %d is %s, want %s", i, raw, seq[i])
		}
	}
}
