package genesys

import (
	"net/http"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t, Options{})
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name           string
		id, secret     string
		body, ct       string
		status         int
		wantOAuthError string // "" for success
	}{
		// The happy path: Basic auth and the client credentials grant.
		{"ok", DemoClientID, DemoClientSecret, "grant_type=client_credentials", form, 200, ""},
		// No Basic header: the client is not authenticated.
		{"no basic auth", "", "", "grant_type=client_credentials", form, 401, "invalid_client"},
		// An unknown client id.
		{"unknown client", "someone-else", DemoClientSecret, "grant_type=client_credentials", form, 401, "invalid_client"},
		// The right client with the wrong secret.
		{"wrong secret", DemoClientID, "nope", "grant_type=client_credentials", form, 401, "invalid_client"},
		// grant_type missing from the form.
		{"missing grant", DemoClientID, DemoClientSecret, "", form, 400, "invalid_request"},
		// Another grant than client credentials.
		{"password grant", DemoClientID, DemoClientSecret, "grant_type=password", form, 400, "unsupported_grant_type"},
		// A JSON body instead of a form.
		{"json body", DemoClientID, DemoClientSecret, `{"grant_type":"client_credentials"}`, "application/json", 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.tokenRequest(tc.id, tc.secret, tc.body, tc.ct)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if tc.wantOAuthError == "" {
				var tr tokenResponse
				mustJSON(t, body, &tr)
				if tr.AccessToken == "" || tr.TokenType != "bearer" || tr.ExpiresIn != 86399 {
					t.Fatalf("token response %s", body)
				}
				return
			}
			var ae authError
			mustJSON(t, body, &ae)
			if ae.Error != tc.wantOAuthError || ae.Description == "" || ae.ErrorDescription != ae.Description {
				t.Fatalf("auth error %s, want error %q with both descriptions", body, tc.wantOAuthError)
			}
		})
	}
}

func TestTokenWrongMethod(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.do(http.MethodGet, "/oauth/token", "-", "")
	checkError(t, res, body, http.StatusMethodNotAllowed, codeMethodNotAllowed)
	if res.Header.Get("Allow") != "POST" {
		t.Fatalf("Allow %q", res.Header.Get("Allow"))
	}
}

func TestBearerRequired(t *testing.T) {
	clock := newManualClock()
	f := newFixture(t, Options{Now: clock.Now, TokenTTL: time.Hour})
	tests := []struct {
		name   string
		header string
		code   string
	}{
		// No Authorization header at all.
		{"missing", "", codeAuthRequired},
		// Another scheme than Bearer.
		{"basic scheme", "Basic Zm9vOmJhcg==", codeAuthRequired},
		// A bearer token the fake never issued.
		{"unknown token", "Bearer not-a-token", codeBadCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/api/v2/presence/definitions", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res, body := f.send(req)
			checkError(t, res, body, http.StatusUnauthorized, tc.code)
		})
	}

	// The token works until its TTL has passed on the fake clock.
	clock.Advance(time.Hour - time.Second)
	if res, body := f.do(http.MethodGet, "/api/v2/presence/definitions", "", ""); res.StatusCode != 200 {
		t.Fatalf("before expiry: %s %s", res.Status, body)
	}
	clock.Advance(time.Second)
	res, body := f.do(http.MethodGet, "/api/v2/presence/definitions", "", "")
	checkError(t, res, body, http.StatusUnauthorized, codeBadCredentials)
}

func TestTokenTTLFollowsTimeScale(t *testing.T) {
	// 10 s of fake lifetime at 1000× is 10 ms of wall clock.
	f := newFixture(t, Options{TokenTTL: 10 * time.Second, TimeScale: 1000})
	waitFor(t, "the token to expire", func() bool {
		res, _ := f.do(http.MethodGet, "/api/v2/tokens/me", "", "")
		return res.StatusCode == http.StatusUnauthorized
	})
}

func TestTokensMe(t *testing.T) {
	f := newFixture(t, Options{})
	var info tokenInfo
	f.get("/api/v2/tokens/me", &info)
	if info.OAuthClient.ID != DemoClientID || info.Organization.ID != DemoOrgID {
		t.Fatalf("token info %+v", info)
	}
	res, body := f.do(http.MethodHead, "/api/v2/tokens/me", "", "")
	if res.StatusCode != 200 || len(body) != 0 {
		t.Fatalf("HEAD: %s %q", res.Status, body)
	}
	other := f.login()
	if res, _ := f.do(http.MethodDelete, "/api/v2/tokens/me", "", ""); res.StatusCode != 200 {
		t.Fatalf("DELETE: %s", res.Status)
	}
	res, body = f.do(http.MethodGet, "/api/v2/tokens/me", "", "")
	checkError(t, res, body, http.StatusUnauthorized, codeBadCredentials)
	// Deleting one token leaves the others alone.
	if res, _ := f.do(http.MethodHead, "/api/v2/tokens/me", other, ""); res.StatusCode != 200 {
		t.Fatalf("other token: %s", res.Status)
	}
}

func TestRevokeTokens(t *testing.T) {
	f := newFixture(t, Options{})
	second := f.login()
	if n := f.srv.RevokeTokens(); n != 2 {
		t.Fatalf("revoked %d tokens, want 2", n)
	}
	for _, tok := range []string{f.token, second} {
		res, body := f.do(http.MethodGet, "/api/v2/users", tok, "")
		checkError(t, res, body, http.StatusUnauthorized, codeBadCredentials)
	}
	// A fresh login works again.
	if res, _ := f.do(http.MethodGet, "/api/v2/users", f.login(), ""); res.StatusCode != 200 {
		t.Fatalf("after re-login: %s", res.Status)
	}
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, "/api/v2/notifications/channels", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	if id, e := f.srv.Authorize(req); e != nil || id != DemoClientID {
		t.Fatalf("Authorize = %q, %v", id, e)
	}
	req.Header.Set("Authorization", "Bearer x")
	if _, e := f.srv.Authorize(req); e == nil || e.Status != 401 || e.Code != codeBadCredentials {
		t.Fatalf("Authorize with a bad token = %+v", e)
	}
}

func TestExpiredTokensAreSwept(t *testing.T) {
	var ts tokenStore
	ts.init()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < sweepAt; i++ {
		ts.issue(DemoClientID, t0, time.Minute)
	}
	live := ts.issue(DemoClientID, t0.Add(30*time.Second), time.Minute) // still valid at t0+80s
	ts.issue(DemoClientID, t0.Add(80*time.Second), time.Minute)         // sweeps the first batch
	if n := ts.live(); n != 2 {
		t.Fatalf("%d tokens after the sweep, want 2", n)
	}
	if ts.m[live] == nil {
		t.Fatal("the sweep dropped a live token")
	}
}
