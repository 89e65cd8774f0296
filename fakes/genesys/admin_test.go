package genesys

import (
	"net/http"
	"strings"
	"testing"
)

func TestAdminAuth(t *testing.T) {
	f := newFixture(t, Options{AdminToken: "let-me-in"})
	if f.srv.AdminToken() != "let-me-in" {
		t.Fatalf("AdminToken %q", f.srv.AdminToken())
	}
	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		// No token at all.
		{"none", "-", 401, codeAuthRequired},
		// An API access token is not the admin token.
		{"api token", "", 401, codeBadCredentials},
		// The admin token.
		{"admin", "let-me-in", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodGet, "/_fake/state", tc.token, "")
			if tc.code == "" {
				if res.StatusCode != tc.status {
					t.Fatalf("%s %s", res.Status, body)
				}
				return
			}
			checkError(t, res, body, tc.status, tc.code)
		})
	}
	// A random admin token when none is given.
	other, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if len(other.AdminToken()) < 20 || other.AdminToken() == f.srv.AdminToken() {
		t.Fatalf("generated admin token %q", other.AdminToken())
	}
}

func TestAdminState(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.admin(http.MethodGet, "/_fake/state", "")
	if res.StatusCode != 200 {
		t.Fatalf("%s %s", res.Status, body)
	}
	var st State
	mustJSON(t, body, &st)
	if len(st.Users) != 8 || st.LiveTokens != 1 || len(st.Conversations) != 0 || st.Deliveries == nil {
		t.Fatalf("state %s", body)
	}
	for _, u := range st.Users {
		if u.ID == margaret && (u.PresenceID != PresenceMeetingDoNotDisturb || u.SystemPresence != "MEETING" || u.RoutingStatus != "OFF_QUEUE") {
			t.Fatalf("Margaret %+v", u)
		}
		if u.Answer.Accept != 0 || u.Answer.DelayMs != 2000 || u.Answer.HandleTimeMs != 300000 {
			t.Fatalf("default answer %+v", u.Answer)
		}
	}
}

func TestAdminConversations(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.admin(http.MethodPost, "/_fake/conversations", `{"skills":["Security"],"priority":3,"customerName":"Initech"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s", res.Status, body)
	}
	var cr createConversationResponse
	mustJSON(t, body, &cr)
	if cr.ID == "" || cr.Conversation.ID != cr.ID || res.Header.Get("Location") != "/api/v2/conversations/"+cr.ID {
		t.Fatalf("create response %s", body)
	}
	// The API sees it too.
	c := f.getConversation(cr.ID)
	if byPurpose(c, "customer")[0].Name != "Initech" {
		t.Fatalf("conversation %+v", c)
	}
	tests := []struct {
		name, body, code string
	}{
		{"unknown queue", `{"queueId":"` + unknown + `"}`, codeInvalidValue},
		{"unknown skill", `{"skills":["Juggling"]}`, codeInvalidValue},
		{"bad media", `{"mediaType":"fax"}`, codeInvalidValue},
		{"priority out of range", `{"priority":30000000}`, codeInvalidValue},
		{"unknown field", `{"urgency":"high"}`, codeInvalidProperty},
		{"malformed", `{"skills":[`, codeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.admin(http.MethodPost, "/_fake/conversations", tc.body)
			checkError(t, res, body, 400, tc.code)
		})
	}
}

func TestAdminPresenceAndAnswer(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.admin(http.MethodPut, "/_fake/users/"+margaret+"/presence", `{"definitionId":"`+PresenceOnQueue+`","message":"free"}`)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s", res.Status, body)
	}
	if u := f.userState(margaret); u.PresenceID != PresenceOnQueue || u.Message != "free" || u.RoutingStatus != "IDLE" {
		t.Fatalf("Margaret %+v", u)
	}
	if len(f.pub.topic("v2.users."+margaret+".presence")) != 1 {
		t.Fatal("admin presence change not published")
	}
	res, body = f.admin(http.MethodPut, "/_fake/users/"+margaret+"/answer", `{"accept":0.5,"decline":0.5,"delayMs":1500}`)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s", res.Status, body)
	}
	if u := f.userState(margaret); u.Answer.Decline != 0.5 || u.Answer.DelayMs != 1500 || u.Answer.HandleTimeMs != 300000 {
		t.Fatalf("answer %+v", u.Answer)
	}
	tests := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"presence unknown user", "/_fake/users/" + unknown + "/presence", `{"definitionId":"` + PresenceOnQueue + `"}`, 404, codeNotFound},
		{"presence unknown definition", "/_fake/users/" + ada + "/presence", `{"definitionId":"` + unknown + `"}`, 400, codeInvalidValue},
		{"answer unknown user", "/_fake/users/" + unknown + "/answer", `{"accept":1}`, 404, codeNotFound},
		{"negative weight", "/_fake/users/" + ada + "/answer", `{"accept":-1}`, 400, codeInvalidValue},
		{"negative delay", "/_fake/users/" + ada + "/answer", `{"delayMs":-5}`, 400, codeInvalidValue},
		{"answer unknown field", "/_fake/users/" + ada + "/answer", `{"acceptance":1}`, 400, codeInvalidProperty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.admin(http.MethodPut, tc.path, tc.body)
			checkError(t, res, body, tc.status, tc.code)
		})
	}
	if err := f.srv.SetPresence(unknown, PresenceOnQueue, ""); err == nil {
		t.Fatal("SetPresence accepted an unknown user")
	}
	if err := f.srv.SetAnswer(ada, AnswerModel{NoAnswer: -1}); err == nil {
		t.Fatal("SetAnswer accepted a negative weight")
	}
}

func TestAdminFaultsAndRevoke(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.admin(http.MethodPost, "/_fake/faults", `{"rateLimitBurst":2,"retryAfterSeconds":7,"pathPrefix":"/api/v2/users"}`)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s", res.Status, body)
	}
	for i := 0; i < 2; i++ {
		res, body := f.do(http.MethodGet, "/api/v2/users", "", "")
		checkError(t, res, body, 429, codeTooManyRequests)
		if res.Header.Get("Retry-After") != "7" {
			t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
		}
	}
	if res, _ := f.do(http.MethodGet, "/api/v2/users", "", ""); res.StatusCode != 200 {
		t.Fatalf("after the burst: %s", res.Status)
	}
	res, body = f.admin(http.MethodGet, "/_fake/faults", "")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"rateLimitBurst":0`) || !strings.Contains(string(body), `"retryAfterSeconds":7`) {
		t.Fatalf("faults after the burst: %s", body)
	}
	if st := f.srv.State(); st.Injected429 != 2 {
		t.Fatalf("injected429 %d", st.Injected429)
	}
	for _, bad := range []string{`{"rateLimitShare":1.5}`, `{"latencyMs":-1}`, `{"latencyMs":120000}`, `{"share":1}`} {
		res, body := f.admin(http.MethodPost, "/_fake/faults", bad)
		if res.StatusCode != 400 {
			t.Fatalf("%s: %s %s", bad, res.Status, body)
		}
	}
	res, body = f.admin(http.MethodPost, "/_fake/revoke-tokens", "")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"revoked":1`) {
		t.Fatalf("revoke: %s %s", res.Status, body)
	}
	res, body = f.do(http.MethodGet, "/api/v2/users", "", "")
	checkError(t, res, body, 401, codeBadCredentials)
}
