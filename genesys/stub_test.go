package genesys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// stub is an httptest Platform API: an OAuth endpoint issuing tok-1,
// tok-2, ... and whatever handlers a test adds. It counts requests per
// pattern and checks bearer tokens against the ones it issued (revoked
// ones get 401).
type stub struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu        sync.Mutex
	hits      map[string]int
	issued    int
	expiresIn int
	revoked   map[string]bool
	tokenFail int // answer this many token requests with 503
}

func newStub(t *testing.T) *stub {
	t.Helper()
	s := &stub{t: t, mux: http.NewServeMux(), hits: map[string]int{}, expiresIn: 86399, revoked: map[string]bool{}}
	s.mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits["token"]++
		fail := s.tokenFail > 0
		if fail {
			s.tokenFail--
		}
		s.issued++
		n, exp := s.issued, s.expiresIn
		s.mu.Unlock()
		id, secret, ok := r.BasicAuth()
		if !ok || id != "cid" || secret != "s3cr3t" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","description":"bad client credentials","error_description":"bad client credentials"}`)
			return
		}
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"temporarily_unavailable","error_description":"try later"}`)
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer", "expires_in": exp})
	})
	s.srv = httptest.NewServer(s.mux)
	t.Cleanup(s.srv.Close)
	return s
}

// handle registers h for pattern, counting hits and checking the token.
func (s *stub) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		s.hits[pattern]++
		bad := !strings.HasPrefix(tok, "tok-") || s.revoked[tok]
		s.mu.Unlock()
		if bad {
			writeJSON(w, 401, map[string]any{"message": "Authentication required", "code": "authentication.required", "status": 401})
			return
		}
		h(w, r)
	})
}

func (s *stub) count(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[pattern]
}

func (s *stub) revoke(tok string) {
	s.mu.Lock()
	s.revoked[tok] = true
	s.mu.Unlock()
}

// fastRetry keeps backoff in milliseconds so tests run quickly.
var fastRetry = RetryPolicy{InitialInterval: 20 * time.Millisecond, MaxInterval: 80 * time.Millisecond, MaxElapsed: 5 * time.Second, MaxTries: 6}

// client builds a Client with a TokenManager against the stub.
func (s *stub) client(opts ...func(*Options)) *Client {
	s.t.Helper()
	tm, err := NewTokenManager(TokenOptions{Login: s.srv.URL, ClientID: "cid", ClientSecret: "s3cr3t"})
	if err != nil {
		s.t.Fatal(err)
	}
	o := Options{API: s.srv.URL, Tokens: tm, Retry: fastRetry, Budget: NewBudget(100000, time.Minute)}
	for _, f := range opts {
		f(&o)
	}
	c, err := NewClient(o)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]any{"message": code + " from stub", "code": code, "status": status, "contextId": "ctx-1", "details": []any{}, "errors": []any{}})
}

// countingMetrics records APICall and APIRetry for assertions.
type countingMetrics struct {
	NopMetrics
	mu      sync.Mutex
	calls   map[string]int
	retries map[string]int
	feed    map[string]int
}

func newCountingMetrics() *countingMetrics {
	return &countingMetrics{calls: map[string]int{}, retries: map[string]int{}, feed: map[string]int{}}
}

func (m *countingMetrics) APICall(op string, status int) {
	m.mu.Lock()
	m.calls[fmt.Sprintf("%s %d", op, status)]++
	m.mu.Unlock()
}

func (m *countingMetrics) APIRetry(op, reason string) {
	m.mu.Lock()
	m.retries[reason]++
	m.mu.Unlock()
}

func (m *countingMetrics) FeedReconnect() { m.inc("reconnect") }
func (m *countingMetrics) FeedRollover()  { m.inc("rollover") }
func (m *countingMetrics) FeedGap()       { m.inc("gap") }
func (m *countingMetrics) FeedDuplicates(n int) {
	m.mu.Lock()
	m.feed["dup"] += n
	m.mu.Unlock()
}

func (m *countingMetrics) inc(k string) {
	m.mu.Lock()
	m.feed[k]++
	m.mu.Unlock()
}

func (m *countingMetrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.feed[k]
}

func (m *countingMetrics) retry(reason string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.retries[reason]
}
