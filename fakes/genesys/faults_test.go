package genesys

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFaultKnobs(t *testing.T) {
	tests := []struct {
		name        string
		faults      Faults
		calls       int
		want429     int
		want503     int
		retryAfter  string // on the injected errors
		loginFaults bool   // also check /oauth/token
	}{
		// Every call 429 with the normalised body and Retry-After 1.
		{"share 429", Faults{RateLimitShare: 1}, 5, 5, 0, "1", false},
		// A burst of three 429s, then normal service.
		{"burst 429", Faults{RateLimitBurst: 3, RetryAfterSeconds: 42}, 5, 3, 0, "42", false},
		// Every call 503 without Retry-After unless asked.
		{"share 503", Faults{ServerErrorShare: 1}, 4, 0, 4, "", false},
		// A 503 burst with Retry-After.
		{"burst 503", Faults{ServerErrorBurst: 2, RetryAfterSeconds: 3}, 4, 0, 2, "3", false},
		// Bursts apply to the login too.
		{"login burst", Faults{RateLimitBurst: 1}, 0, 0, 0, "1", true},
		// A seeded half share: deterministic for a given seed, and some of each.
		{"half share", Faults{RateLimitShare: 0.5}, 200, -1, 0, "1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if err := f.srv.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			if tc.loginFaults {
				res, body := f.tokenRequest(DemoClientID, DemoClientSecret, "grant_type=client_credentials", "application/x-www-form-urlencoded")
				checkError(t, res, body, 429, codeTooManyRequests)
				f.login()
				return
			}
			got429, got503 := 0, 0
			for i := 0; i < tc.calls; i++ {
				res, body := f.do(http.MethodGet, "/api/v2/presence/definitions", "", "")
				switch res.StatusCode {
				case 429:
					got429++
					e := checkError(t, res, body, 429, codeTooManyRequests)
					if res.Header.Get("Retry-After") != tc.retryAfter || !strings.Contains(e.Message, "["+tc.retryAfter+"]") {
						t.Fatalf("Retry-After %q, message %q", res.Header.Get("Retry-After"), e.Message)
					}
				case 503:
					got503++
					checkError(t, res, body, 503, codeUnavailable)
					if res.Header.Get("Retry-After") != tc.retryAfter {
						t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
					}
				case 200:
				default:
					t.Fatalf("status %s", res.Status)
				}
			}
			if tc.want429 >= 0 && got429 != tc.want429 {
				t.Fatalf("%d 429s, want %d", got429, tc.want429)
			}
			if tc.want429 < 0 && (got429 < 60 || got429 > 140) {
				t.Fatalf("%d 429s out of 200 at share 0.5", got429)
			}
			if got503 != tc.want503 {
				t.Fatalf("%d 503s, want %d", got503, tc.want503)
			}
		})
	}
}

func TestFaultPathPrefix(t *testing.T) {
	f := newFixture(t, Options{Faults: Faults{ServerErrorShare: 1, PathPrefix: "/api/v2/conversations/"}})
	if res, _ := f.do(http.MethodGet, "/api/v2/users", "", ""); res.StatusCode != 200 {
		t.Fatalf("outside the prefix: %s", res.Status)
	}
	res, body := f.do(http.MethodGet, "/api/v2/conversations/"+unknown, "", "")
	checkError(t, res, body, 503, codeUnavailable)
	// The admin API is never faulted.
	if res, _ := f.admin(http.MethodGet, "/_fake/state", ""); res.StatusCode != 200 {
		t.Fatalf("admin: %s", res.Status)
	}
}

func TestFaultLatency(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.srv.SetFaults(Faults{Latency: 30 * time.Millisecond, LatencyJitter: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if res, _ := f.do(http.MethodGet, "/api/v2/users", "", ""); res.StatusCode != 200 {
		t.Fatalf("status %s", res.Status)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("call took %v, want ≥ 30 ms", d)
	}
	if err := f.srv.SetFaults(Faults{}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	f.do(http.MethodGet, "/api/v2/users", "", "")
	if d := time.Since(start); d > 25*time.Millisecond {
		t.Logf("a call without latency took %v (slow machine?)", d)
	}
}

func TestFaultsValidate(t *testing.T) {
	for _, bad := range []Faults{
		{RateLimitShare: -0.1}, {ServerErrorShare: 2}, {RateLimitBurst: -1}, {Latency: -time.Second},
		{RequestsPerMinute: -3}, {LatencyJitter: 2 * time.Minute},
	} {
		if err := (&Server{}).SetFaults(bad); err == nil {
			t.Errorf("SetFaults(%+v) accepted", bad)
		}
		if _, err := New(Options{Faults: bad}); err == nil {
			t.Errorf("New with faults %+v accepted", bad)
		}
	}
}

func TestTokenRateLimit(t *testing.T) {
	clock := newManualClock()
	f := newFixture(t, Options{Now: clock.Now, TimeScale: 1, Faults: Faults{TokenRateLimit: true, RequestsPerMinute: 5}})
	for i := 1; i <= 5; i++ {
		res, body := f.do(http.MethodGet, "/api/v2/users", "", "")
		if res.StatusCode != 200 {
			t.Fatalf("call %d: %s %s", i, res.Status, body)
		}
		if res.Header.Get("inin-ratelimit-allowed") != "5" || res.Header.Get("inin-ratelimit-count") != strconv.Itoa(i) || res.Header.Get("inin-ratelimit-reset") != "60" {
			t.Fatalf("call %d headers %v", i, res.Header)
		}
	}
	clock.Advance(20 * time.Second)
	res, body := f.do(http.MethodGet, "/api/v2/users", "", "")
	checkError(t, res, body, 429, codeTooManyRequests)
	if res.Header.Get("Retry-After") != "40" {
		t.Fatalf("Retry-After %q, want the 40 s left in the window", res.Header.Get("Retry-After"))
	}
	// Another token has its own window.
	if res, _ := f.do(http.MethodGet, "/api/v2/users", f.login(), ""); res.StatusCode != 200 {
		t.Fatalf("second token: %s", res.Status)
	}
	// The next minute starts afresh.
	clock.Advance(40 * time.Second)
	if res, _ := f.do(http.MethodGet, "/api/v2/users", "", ""); res.StatusCode != 200 || res.Header.Get("inin-ratelimit-count") != "1" {
		t.Fatalf("next window: %s %v", res.Status, res.Header)
	}
	// Off by default: no headers.
	g := newFixture(t, Options{})
	if res, _ := g.do(http.MethodGet, "/api/v2/users", "", ""); res.Header.Get("inin-ratelimit-allowed") != "" {
		t.Fatal("rate-limit headers while the limit is off")
	}
	// On with the default of 300.
	if err := g.srv.SetFaults(Faults{TokenRateLimit: true}); err != nil {
		t.Fatal(err)
	}
	if res, _ := g.do(http.MethodGet, "/api/v2/users", "", ""); res.Header.Get("inin-ratelimit-allowed") != "300" {
		t.Fatalf("default limit %q", res.Header.Get("inin-ratelimit-allowed"))
	}
}
