package genesys

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNoRoute(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, method, path string
		status             int
		code               string
		allow              string
	}{
		// A path the API does not have.
		{"unknown path", http.MethodGet, "/api/v2/nothing/here", 404, codeNotFound, ""},
		// The removed seed-claim endpoints do not exist.
		{"no presence bulk POST", http.MethodPost, "/api/v2/users/presence/bulk", 404, codeNotFound, ""},
		{"no routing users", http.MethodPost, "/api/v2/routing/conversations/x/users/y", 404, codeNotFound, ""},
		// A known path with the wrong method.
		{"POST users", http.MethodPost, "/api/v2/users", 405, codeMethodNotAllowed, "GET, HEAD"},
		{"DELETE presence", http.MethodDelete, "/api/v2/users/" + ada + "/presences/purecloud", 405, codeMethodNotAllowed, "GET, HEAD, PATCH"},
		{"GET assign", http.MethodGet, "/api/v2/conversations/x/assign", 405, codeMethodNotAllowed, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(tc.method, tc.path, "", "")
			checkError(t, res, body, tc.status, tc.code)
			if res.Header.Get("Allow") != tc.allow {
				t.Fatalf("Allow %q, want %q", res.Header.Get("Allow"), tc.allow)
			}
		})
	}
}

func TestRecoverer(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	res, body := f.do(http.MethodGet, "/boom", "-", "")
	if res.StatusCode != 500 || !strings.Contains(string(body), `"code":"internal.server.error"`) || !strings.Contains(string(body), "kaboom") {
		t.Fatalf("%s %s", res.Status, body)
	}
	// The server is still up.
	if res, _ := f.do(http.MethodGet, "/api/v2/users", "", ""); res.StatusCode != 200 {
		t.Fatalf("after a panic: %s", res.Status)
	}
}

func TestNotificationsMount(t *testing.T) {
	var mu sync.Mutex
	var got []string
	n := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	})
	f := newFixture(t, Options{Notifications: n})
	// /api/v2/notifications/ needs a bearer token like the rest of the API.
	res, body := f.do(http.MethodPost, "/api/v2/notifications/channels", "-", "")
	checkError(t, res, body, 401, codeAuthRequired)
	if res, _ := f.do(http.MethodPost, "/api/v2/notifications/channels", "", ""); res.StatusCode != http.StatusTeapot {
		t.Fatalf("channels: %s", res.Status)
	}
	// connectUri is pre-authorised.
	if res, _ := f.do(http.MethodGet, "/channels/streaming-0-abc", "-", ""); res.StatusCode != http.StatusTeapot {
		t.Fatalf("socket path: %s", res.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ";") != "POST /api/v2/notifications/channels;GET /channels/streaming-0-abc" {
		t.Fatalf("notification handler saw %v", got)
	}
	// Without a notification service the paths do not exist.
	g := newFixture(t, Options{})
	res, body = g.do(http.MethodPost, "/api/v2/notifications/channels", "", "")
	checkError(t, res, body, 404, codeNotFound)
}

func TestStartAndClose(t *testing.T) {
	s, err := New(Options{TimeScale: 1000, AlertTimeout: time.Hour, Answer: AnswerModel{Delay: 100 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || s.BaseURL() != base {
		t.Fatalf("base URL %q / %q", base, s.BaseURL())
	}
	if _, err := s.Start(""); err == nil {
		t.Fatal("second Start succeeded")
	}
	res, err := http.Get(base + "/api/v2/users")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("unauthenticated call: %s", res.Status)
	}
	// A delivery that would resolve 100 ms from now is stopped by Close.
	id, err := s.CreateConversation(NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	if e := s.assign(id, assignRequest{ID: ptr(ada)}); e != nil {
		t.Fatal(e)
	}
	s.mu.Unlock()
	s.Close()
	s.Close() // idempotent
	if _, err := http.Get(base + "/api/v2/users"); err == nil {
		t.Fatal("still serving after Close")
	}
	time.Sleep(150 * time.Millisecond)
	if st := s.State(); st.Deliveries[0].Outcome != outcomeAlerting {
		t.Fatalf("delivery resolved after Close: %+v", st.Deliveries[0])
	}
	if _, err := s.CreateConversation(NewConversation{}); err == nil {
		t.Fatal("CreateConversation after Close succeeded")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	badOrg := DemoOrg()
	badOrg.Users[0].Skills = append(badOrg.Users[0].Skills, UserSkill{SkillID: unknown, Proficiency: 1})
	badOrg.Queues[0].Members = append(badOrg.Queues[0].Members, unknown)
	dup := DemoOrg()
	dup.Users[1].ID = dup.Users[0].ID
	tests := []struct {
		name string
		opts Options
		want []string // parts of the error
	}{
		{"negative time scale", Options{TimeScale: -1}, []string{"time scale"}},
		{"short TTL", Options{TokenTTL: time.Millisecond}, []string{"token TTL"}},
		{"bad answer", Options{Answer: AnswerModel{Accept: -1}}, []string{"accept"}},
		{"broken references", Options{Org: &badOrg}, []string{"unknown skill", "unknown member"}},
		{"duplicate ids", Options{Org: &dup}, []string{"is used by a user and a user"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEmptyOrgGetsSystemPresences(t *testing.T) {
	f := newFixture(t, Options{Org: &Org{}})
	var l presenceDefinitionListing
	f.get("/api/v2/presence/definitions", &l)
	if l.Total != 10 {
		t.Fatalf("%d definitions, want the 10 system ones", l.Total)
	}
	if _, err := f.srv.CreateConversation(NewConversation{}); err == nil {
		t.Fatal("a conversation without any queue")
	}
}

func ptr[T any](v T) *T { return &v }

func TestKnownTopic(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		topic string
		want  bool
	}{
		{"v2.users." + ada + ".presence", true},
		{"v2.users." + ada + ".routingStatus", true},
		{"v2.users." + ada + ".conversations", true},
		{"v2.users." + ada + ".activity", false}, // not published by the fake
		{"v2.users." + unknown + ".presence", false},
		{"v2.routing.queues." + DemoQueueID + ".conversations", true},
		{"v2.routing.queues." + unknown + ".conversations", false},
		{"v2.routing.queues." + DemoQueueID + ".users", false},
		{"v2.users." + ada, false},
	}
	for _, tc := range tests {
		if got := s.KnownTopic(tc.topic); got != tc.want {
			t.Errorf("KnownTopic(%q) = %v, want %v", tc.topic, got, tc.want)
		}
	}
}
