package genesys

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// fuzzTarget is one endpoint whose JSON (or form) request body the fuzzer
// feeds.
type fuzzTarget struct {
	method, path string
	admin        bool
	form         bool
}

// FuzzRequests throws arbitrary bodies at every decoder of outside input:
// the fake must never panic or answer 5xx, and every error must be the
// standard error body (the OAuth error shape for /oauth/token). The seed
// corpus is in testdata/fuzz/FuzzRequests; the first argument picks the
// endpoint.
func FuzzRequests(f *testing.F) {
	s, err := New(Options{TimeScale: 1e6, Answer: AnswerModel{HandleTime: -1}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	h := s.Handler()
	token := s.tokens.issue(DemoClientID, s.Now(), 24*365*time.Hour)

	waiting, err := s.CreateConversation(NewConversation{})
	if err != nil {
		f.Fatal(err)
	}
	connected, err := s.CreateConversation(NewConversation{})
	if err != nil {
		f.Fatal(err)
	}
	s.mu.Lock()
	if e := s.assign(connected, assignRequest{ID: ptr(ada)}); e != nil {
		f.Fatal(e)
	}
	pid := s.convs[connected].pending.part.id
	s.mu.Unlock()

	targets := []fuzzTarget{
		{method: http.MethodPatch, path: "/api/v2/users/" + alan + "/presences/purecloud"},
		{method: http.MethodPost, path: "/api/v2/conversations/" + waiting + "/assign"},
		{method: http.MethodPatch, path: "/api/v2/routing/conversations/" + waiting},
		{method: http.MethodPost, path: "/api/v2/conversations/" + connected + "/participants/" + pid + "/replace/agent"},
		{method: http.MethodPost, path: "/api/v2/analytics/users/details/query"},
		{method: http.MethodPost, path: "/api/v2/analytics/users/activity/query?pageSize=5"},
		{method: http.MethodPost, path: "/_fake/conversations", admin: true},
		{method: http.MethodPut, path: "/_fake/users/" + ada + "/presence", admin: true},
		{method: http.MethodPut, path: "/_fake/users/" + ada + "/answer", admin: true},
		{method: http.MethodPost, path: "/_fake/faults", admin: true},
		{method: http.MethodPost, path: "/oauth/token", form: true},
	}

	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		tg := targets[int(which)%len(targets)]
		req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
		switch {
		case tg.form:
			req.SetBasicAuth(DemoClientID, DemoClientSecret)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case tg.admin:
			req.Header.Set("Authorization", "Bearer "+s.AdminToken())
			req.Header.Set("Content-Type", "application/json")
		default:
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		// Fault knobs set by the fuzzer must not slow or fail later inputs.
		_ = s.SetFaults(Faults{})

		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s %q: status %d %s", tg.method, tg.path, body, rec.Code, rec.Body)
		}
		if rec.Code < 300 {
			if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s %q: invalid JSON %s", tg.method, tg.path, body, rec.Body)
			}
			return
		}
		if tg.form {
			var ae authError
			if err := json.Unmarshal(rec.Body.Bytes(), &ae); err != nil || ae.Error == "" {
				t.Fatalf("%q: OAuth error %s", body, rec.Body)
			}
			return
		}
		var e wire.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Status != rec.Code || e.Code == "" || e.Message == "" {
			t.Fatalf("%s %s %q: error body %s for status %d", tg.method, tg.path, body, rec.Body, rec.Code)
		}
	})
}

// TestDecodeJSONAgreesWithUnmarshal checks the strict decoder against
// encoding/json on inputs both should accept.
func TestDecodeJSONAgreesWithUnmarshal(t *testing.T) {
	body := []byte(`{"priority":-3,"skillIds":["a","b"],"languageId":null,"requestScoredAgents":[{"id":"u","score":100}],"skillExpression":{"any":[1,2]}}`)
	var strict, loose routingConversationRequest
	if e := decodeJSON(body, &strict); e != nil {
		t.Fatalf("decodeJSON: %+v", e)
	}
	if err := json.Unmarshal(body, &loose); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(strict)
	b, _ := json.Marshal(loose)
	if !bytes.Equal(a, b) {
		t.Fatalf("strict %s, loose %s", a, b)
	}
	// Numbers out of range are caught, not wrapped.
	var req routingConversationRequest
	if e := decodeJSON([]byte(`{"priority":99999999999999999999}`), &req); e == nil || e.Details[0].FieldName != "priority" {
		t.Fatalf("overflow: %+v", e)
	}
}
