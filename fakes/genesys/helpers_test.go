package genesys

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Demo org users the tests name.
const (
	ada      = "0d3a1e00-05e0-4e00-8000-000000000001" // On Queue
	grace    = "0d3a1e00-05e0-4e00-8000-000000000002" // On Queue
	alan     = "0d3a1e00-05e0-4e00-8000-000000000003" // Available
	barbara  = "0d3a1e00-05e0-4e00-8000-000000000004" // In a Meeting – Interrupt for P1
	edsger   = "0d3a1e00-05e0-4e00-8000-000000000005" // Research – Interrupt for P1/P2
	margaret = "0d3a1e00-05e0-4e00-8000-000000000006" // In a Meeting – Do Not Disturb
	ken      = "0d3a1e00-05e0-4e00-8000-000000000007" // Busy
	radia    = "0d3a1e00-05e0-4e00-8000-000000000008" // Offline
	unknown  = "00000000-0000-4000-8000-00000000dead"
)

// event is one published notification.
type event struct {
	Topic string
	Body  json.RawMessage
}

// recorder is a wire.Publisher that keeps every event, marshalled the way
// the notification service would send it.
type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) Publish(topic string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	r.mu.Lock()
	r.events = append(r.events, event{topic, b})
	r.mu.Unlock()
}

// topic returns the bodies published on topic so far.
func (r *recorder) topic(topic string) []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []json.RawMessage
	for _, e := range r.events {
		if e.Topic == topic {
			out = append(out, e.Body)
		}
	}
	return out
}

// fixture is a fake served by httptest with a logged-in token.
type fixture struct {
	t     *testing.T
	srv   *Server
	http  *httptest.Server
	pub   *recorder
	token string
}

// newFixture serves a fake with opts; a nil Publisher is replaced by a
// recorder. TimeScale defaults to 1000 so that answer delays take
// milliseconds.
func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	rec := &recorder{}
	if opts.Publisher == nil {
		opts.Publisher = rec
	}
	if opts.TimeScale == 0 {
		opts.TimeScale = 1000
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	f := &fixture{t: t, srv: s, http: hs, pub: rec}
	f.token = f.login()
	return f
}

func (f *fixture) login() string {
	f.t.Helper()
	res, body := f.tokenRequest(DemoClientID, DemoClientSecret, "grant_type=client_credentials", "application/x-www-form-urlencoded")
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("login: %s %s", res.Status, body)
	}
	var tr tokenResponse
	mustJSON(f.t, body, &tr)
	return tr.AccessToken
}

func (f *fixture) tokenRequest(id, sec, form, contentType string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.http.URL+"/oauth/token", strings.NewReader(form))
	if err != nil {
		f.t.Fatal(err)
	}
	if id != "" || sec != "" {
		req.SetBasicAuth(id, sec)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return f.send(req)
}

// do calls the fake with the fixture's token (when token is "" the
// fixture's, "-" for none).
func (f *fixture) do(method, path, token, body string) (*http.Response, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.http.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	switch token {
	case "":
		req.Header.Set("Authorization", "Bearer "+f.token)
	case "-":
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.send(req)
}

func (f *fixture) admin(method, path, body string) (*http.Response, []byte) {
	f.t.Helper()
	return f.do(method, path, f.srv.AdminToken(), body)
}

func (f *fixture) send(req *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	res, err := f.http.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return res, body
}

// get calls GET path and decodes a 200 body into v.
func (f *fixture) get(path string, v any) {
	f.t.Helper()
	res, body := f.do(http.MethodGet, path, "", "")
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("GET %s: %s %s", path, res.Status, body)
	}
	mustJSON(f.t, body, v)
}

func mustJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

// checkError asserts a standard error body with status and code, and that
// the body's contextId matches the ININ-Correlation-Id header.
func checkError(t *testing.T, res *http.Response, body []byte, status int, code string) wire.ErrorBody {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", res.StatusCode, status, body)
	}
	var e wire.ErrorBody
	mustJSON(t, body, &e)
	if e.Code != code || e.Status != status || e.Message == "" {
		t.Fatalf("error body %s: want code %q status %d and a message", body, code, status)
	}
	if e.Details == nil || e.Errors == nil {
		t.Fatalf("error body %s: details and errors must be lists", body)
	}
	if h := res.Header.Get("ININ-Correlation-Id"); h == "" || h != e.ContextID {
		t.Fatalf("contextId %q, ININ-Correlation-Id %q", e.ContextID, h)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	return e
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// userState returns one user's row of the admin state.
func (f *fixture) userState(id string) UserState {
	f.t.Helper()
	for _, u := range f.srv.State().Users {
		if u.ID == id {
			return u
		}
	}
	f.t.Fatalf("no user %s", id)
	return UserState{}
}

func (f *fixture) conversationState(id string) ConversationState {
	f.t.Helper()
	for _, c := range f.srv.State().Conversations {
		if c.ID == id {
			return c
		}
	}
	f.t.Fatalf("no conversation %s", id)
	return ConversationState{}
}

// manualClock is an Options.Now the test moves by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func newManualClock() *manualClock {
	return &manualClock{t: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}
