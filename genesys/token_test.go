package genesys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the token manager.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTM(t *testing.T, s *stub, clk *fakeClock, logger *slog.Logger) *TokenManager {
	t.Helper()
	o := TokenOptions{Login: s.srv.URL, ClientID: "cid", ClientSecret: "s3cr3t", Logger: logger, FailureBackoff: time.Second}
	if clk != nil {
		o.Now = clk.Now
	}
	tm, err := NewTokenManager(o)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestTokenEarlyRefresh(t *testing.T) {
	tests := []struct {
		expiresIn int
		refreshAt time.Duration // min(80 %, expiry − 60 s)
	}{
		{3600, 2880 * time.Second},                        // 80 % comes first
		{100, 40 * time.Second},                           // 60 s before expiry comes first
		{86399, 69119*time.Second + 200*time.Millisecond}, // Genesys's usual lifetime
		{300, 240 * time.Second},                          // the minimum lifetime: both rules agree
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.expiresIn), func(t *testing.T) {
			s := newStub(t)
			s.expiresIn = tt.expiresIn
			clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			tm := newTM(t, s, clk, nil)
			ctx := context.Background()

			tok, err := tm.AccessToken(ctx)
			if err != nil || tok.Value != "tok-1" {
				t.Fatalf("first token = %+v, %v", tok, err)
			}
			if want := clk.Now().Add(time.Duration(tt.expiresIn) * time.Second); !tok.Expires.Equal(want) {
				t.Errorf("Expires = %v, want %v", tok.Expires, want)
			}
			clk.Advance(tt.refreshAt - time.Millisecond)
			if v, _ := tm.Token(ctx); v != "tok-1" || s.count("token") != 1 {
				t.Fatalf("just before refresh time: token %q after %d requests, want tok-1 after 1", v, s.count("token"))
			}
			clk.Advance(2 * time.Millisecond)
			if v, _ := tm.Token(ctx); v != "tok-2" || s.count("token") != 2 {
				t.Fatalf("just after refresh time: token %q after %d requests, want tok-2 after 2", v, s.count("token"))
			}
			// The old token had not expired yet: the refresh was early.
			if !clk.Now().Before(tok.Expires) {
				t.Errorf("refreshed at %v, not before expiry %v", clk.Now(), tok.Expires)
			}
		})
	}
}

func TestTokenSingleFlight(t *testing.T) {
	s := newStub(t)
	release := make(chan struct{})
	// Hold token responses until every goroutine is waiting.
	inner := s.mux
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			<-release
		}
		inner.ServeHTTP(w, r)
	})
	tm := newTM(t, s, nil, nil)

	const n = 50
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = tm.Token(context.Background())
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != "tok-1" {
			t.Fatalf("goroutine %d: %q, %v", i, got[i], errs[i])
		}
	}
	if c := s.count("token"); c != 1 {
		t.Fatalf("%d goroutines made %d token requests, want 1", n, c)
	}

	// 50 goroutines report the same rejected token: one refresh.
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tm.Invalidate("tok-1")
			if v, err := tm.Token(context.Background()); err != nil || v != "tok-2" {
				t.Errorf("after Invalidate: %q, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if c := s.count("token"); c != 2 {
		t.Fatalf("after %d Invalidate calls: %d token requests, want 2", n, c)
	}
}

func TestTokenWaiterGivesUpAlone(t *testing.T) {
	// A caller whose context ends stops waiting; the refresh still
	// completes for the others.
	s := newStub(t)
	release := make(chan struct{})
	inner := s.mux
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		inner.ServeHTTP(w, r)
	})
	tm := newTM(t, s, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := tm.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token with an expiring context: %v", err)
	}
	close(release)
	if v, err := tm.Token(context.Background()); err != nil || v != "tok-1" {
		t.Fatalf("second caller: %q, %v", v, err)
	}
	if c := s.count("token"); c != 1 {
		t.Fatalf("%d token requests, want 1", c)
	}
}

func TestTokenRefreshFailure(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	t.Run("bad credentials", func(t *testing.T) {
		s := newStub(t)
		tm, err := NewTokenManager(TokenOptions{Login: s.srv.URL, ClientID: "cid", ClientSecret: "wrong-s3cr3t", Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tm.Token(context.Background())
		var oe *OAuthError
		if !errors.As(err, &oe) {
			t.Fatalf("error %v (%T), want *OAuthError", err, err)
		}
		if oe.Status != 401 || oe.Code != "invalid_client" || oe.Description != "bad client credentials" {
			t.Errorf("OAuthError = %+v; want the OAuth error body", oe)
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s", tm, tm, tm, tm), logs.String()} {
			if strings.Contains(s, "s3cr3t") {
				t.Fatalf("the secret leaked: %s", s)
			}
		}
	})

	t.Run("early refresh fails, valid token kept", func(t *testing.T) {
		s := newStub(t)
		s.expiresIn = 3600
		clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		tm := newTM(t, s, clk, logger)
		if v, err := tm.Token(context.Background()); err != nil || v != "tok-1" {
			t.Fatal(v, err)
		}
		s.mu.Lock()
		s.tokenFail = 1
		s.mu.Unlock()
		clk.Advance(3000 * time.Second) // past the refresh time, before expiry
		if v, err := tm.Token(context.Background()); err != nil || v != "tok-1" {
			t.Fatalf("refresh failed with a valid token: %q, %v; want the old token", v, err)
		}
		// Within FailureBackoff no new attempt is made.
		if v, _ := tm.Token(context.Background()); v != "tok-1" || s.count("token") != 2 {
			t.Fatalf("during failure backoff: %q after %d requests", v, s.count("token"))
		}
		clk.Advance(2 * time.Second)
		if v, err := tm.Token(context.Background()); err != nil || v != "tok-3" {
			t.Fatalf("after failure backoff: %q, %v", v, err)
		}
	})

	t.Run("no valid token: error, no panic", func(t *testing.T) {
		s := newStub(t)
		s.tokenFail = 1
		tm := newTM(t, s, nil, logger)
		_, err := tm.Token(context.Background())
		var oe *OAuthError
		if !errors.As(err, &oe) || oe.Status != 503 || oe.Code != "temporarily_unavailable" {
			t.Fatalf("error %v, want *OAuthError 503", err)
		}
		// The next call tries again and succeeds.
		if v, err := tm.Token(context.Background()); err != nil || v != "tok-2" {
			t.Fatalf("after a failed refresh: %q, %v", v, err)
		}
	})

	if strings.Contains(logs.String(), "s3cr3t") {
		t.Fatalf("logs hold the secret:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "token refresh failed") {
		t.Errorf("refresh failures were not logged:\n%s", logs.String())
	}
}

func TestClient401RefreshesAndRetriesOnce(t *testing.T) {
	defs := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"total": 1, "entities": []map[string]any{
			{"id": "6a3af858-942f-489d-9700-5f9bcdcdae9b", "name": "Available", "type": "System", "systemPresence": "Available",
				"languageLabels": map[string]string{"en_US": "Available"}, "deactivated": false},
		}})
	}

	t.Run("revoked token", func(t *testing.T) {
		s := newStub(t)
		s.handle("GET /api/v2/presence/definitions", defs)
		c := s.client()
		if _, err := c.tokens.AccessToken(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.revoke("tok-1")
		got, err := c.PresenceDefinitions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].System.String() != "AVAILABLE" || got[0].Label != "Available" {
			t.Errorf("definitions = %+v", got)
		}
		if h, tk := s.count("GET /api/v2/presence/definitions"), s.count("token"); h != 2 || tk != 2 {
			t.Fatalf("%d API requests and %d token requests; want 2 and 2 (401, refresh, retry)", h, tk)
		}
	})

	t.Run("401 again after refresh", func(t *testing.T) {
		s := newStub(t)
		s.handle("GET /api/v2/presence/definitions", func(w http.ResponseWriter, r *http.Request) {
			apiError(w, 401, "bad.credentials")
		})
		c := s.client()
		_, err := c.PresenceDefinitions(context.Background())
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "bad.credentials" {
			t.Fatalf("error %v, want APIError 401 bad.credentials", err)
		}
		if h, tk := s.count("GET /api/v2/presence/definitions"), s.count("token"); h != 2 || tk != 2 {
			t.Fatalf("%d API requests and %d token requests; want exactly one refresh and one retry", h, tk)
		}
	})
}
