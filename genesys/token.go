package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// AccessToken is a bearer token and when it expires (zero: unknown, as for
// a token supplied from outside).
type AccessToken struct {
	Value   string
	Expires time.Time
}

// TokenSource supplies bearer tokens to the Client and the Feed.
//
// Contract: AccessToken returns a token that is valid now (or an error);
// Invalidate(v) tells the source that v was rejected with a 401, so the
// next AccessToken returns a different token (one refresh, however many
// callers report the same token). Both are safe for concurrent use.
type TokenSource interface {
	AccessToken(ctx context.Context) (AccessToken, error)
	Invalidate(value string)
}

// StaticToken is a TokenSource for a token obtained elsewhere
// (GENESYSCLOUD_ACCESS_TOKEN). It cannot refresh: after a 401 the caller
// gets the 401.
type StaticToken string

// AccessToken returns the token with an unknown expiry.
func (s StaticToken) AccessToken(context.Context) (AccessToken, error) {
	if s == "" {
		return AccessToken{}, errors.New("genesys: empty access token")
	}
	return AccessToken{Value: string(s)}, nil
}

// Invalidate does nothing: a static token cannot be replaced.
func (StaticToken) Invalidate(string) {}

// TokenOptions configures a TokenManager. Login, ClientID and ClientSecret
// are required.
type TokenOptions struct {
	// Login is the OAuth base URL: LoginURL(api), e.g.
	// https://login.mypurecloud.com, or the fake's base URL.
	Login        string
	ClientID     string
	ClientSecret string
	// HTTPClient sends token requests; default: a client with the SDK's
	// 16 s timeout.
	HTTPClient *http.Client
	// Now is the clock deciding when to refresh; default time.Now.
	Now func() time.Time
	// Logger receives refresh failures (never the secret); default discards.
	Logger *slog.Logger
	// RefreshTimeout bounds one token request (default 16 s). A refresh is
	// not cancelled when the caller that started it gives up: other callers
	// may be waiting for it.
	RefreshTimeout time.Duration
	// FailureBackoff is how long the manager keeps serving a still-valid
	// token after a failed early refresh before it tries again (default 5 s).
	FailureBackoff time.Duration
}

// TokenManager holds an OAuth client-credentials token for one OAuth
// client and refreshes it early: at 80 % of expires_in or 60 s before
// expiry, whichever comes first (half the lifetime if that leaves nothing).
//
// Refreshes are single-flight: however many goroutines need a token at
// once, one request goes to /oauth/token and all of them share its result.
// golang.org/x/sync/singleflight is not in this module's dependency
// graph, so the flight is a mutex-guarded *flight whose done channel
// callers wait on (a channel rather than a sync.Cond, so a waiter can give
// up when its context ends without cancelling the refresh for others).
//
// A failed refresh never panics and never discards a token that is still
// valid: callers keep getting it and the refresh is retried after
// FailureBackoff. With no valid token the error (an *OAuthError when the
// server answered) is returned. The client secret is never logged and
// never part of an error or of String().
//
// Safe for concurrent use.
type TokenManager struct {
	login     string
	clientID  string
	secret    string
	hc        *http.Client
	now       func() time.Time
	log       *slog.Logger
	timeout   time.Duration
	failAfter time.Duration

	mu        sync.Mutex
	cur       AccessToken
	refreshAt time.Time
	stale     bool      // cur was rejected with a 401
	retryAt   time.Time // no early refresh before this (after a failure)
	flight    *flight
}

type flight struct {
	done chan struct{}
	tok  AccessToken
	err  error
}

// NewTokenManager checks o and returns a manager; no request is made until
// the first AccessToken.
func NewTokenManager(o TokenOptions) (*TokenManager, error) {
	switch {
	case o.Login == "":
		return nil, errors.New("genesys: TokenOptions.Login is required (use LoginURL(api))")
	case o.ClientID == "" || o.ClientSecret == "":
		return nil, errors.New("genesys: OAuth client id and secret are required (GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET)")
	}
	if _, err := url.Parse(o.Login); err != nil {
		return nil, fmt.Errorf("genesys: login URL %q: %w", o.Login, err)
	}
	m := &TokenManager{
		login: strings.TrimRight(o.Login, "/"), clientID: o.ClientID, secret: o.ClientSecret,
		hc: o.HTTPClient, now: o.Now, log: o.Logger, timeout: o.RefreshTimeout, failAfter: o.FailureBackoff,
	}
	if m.hc == nil {
		m.hc = &http.Client{Timeout: 16 * time.Second}
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.timeout <= 0 {
		m.timeout = 16 * time.Second
	}
	if m.failAfter <= 0 {
		m.failAfter = 5 * time.Second
	}
	return m, nil
}

// String identifies the manager without its secret.
func (m *TokenManager) String() string {
	return fmt.Sprintf("genesys.TokenManager{clientID: %q, login: %q}", m.clientID, m.login)
}

// GoString is String, so %#v does not print the secret either.
func (m *TokenManager) GoString() string { return m.String() }

// LogValue keeps the secret out of structured logs.
func (m *TokenManager) LogValue() slog.Value {
	return slog.GroupValue(slog.String("clientID", m.clientID), slog.String("login", m.login))
}

// Token returns a valid bearer token, refreshing it first if it is due.
func (m *TokenManager) Token(ctx context.Context) (string, error) {
	t, err := m.AccessToken(ctx)
	return t.Value, err
}

// AccessToken returns a valid token and its expiry. It blocks only while a
// refresh is due (or running) and returns early with ctx's error if ctx
// ends first; the refresh itself carries on for the other callers.
func (m *TokenManager) AccessToken(ctx context.Context) (AccessToken, error) {
	m.mu.Lock()
	now := m.now()
	if m.usable(now) && (now.Before(m.refreshAt) || now.Before(m.retryAt)) {
		t := m.cur
		m.mu.Unlock()
		return t, nil
	}
	f := m.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		m.flight = f
		go m.refresh(f)
	}
	m.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return AccessToken{}, ctx.Err()
	}
	if f.err == nil {
		return f.tok, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.usable(m.now()) {
		return m.cur, nil
	}
	return AccessToken{}, f.err
}

// Invalidate marks value as rejected (a 401): the next AccessToken
// refreshes. Reports about a token that was already replaced are ignored,
// so many callers hitting the same 401 cause one refresh.
func (m *TokenManager) Invalidate(value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if value != "" && value == m.cur.Value {
		m.stale = true
		m.retryAt = time.Time{}
	}
}

// usable: there is a token, nobody reported it rejected, and it has not
// expired. Callers hold m.mu.
func (m *TokenManager) usable(now time.Time) bool {
	return m.cur.Value != "" && !m.stale && now.Before(m.cur.Expires)
}

// refresh runs one token request for flight f, detached from any caller's
// context, and publishes the result.
func (m *TokenManager) refresh(f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	issued := m.now()
	tok, life, err := m.fetch(ctx, issued)

	m.mu.Lock()
	if err == nil {
		m.cur, m.stale, m.retryAt = tok, false, time.Time{}
		m.refreshAt = issued.Add(refreshDelay(life))
	} else {
		m.retryAt = m.now().Add(m.failAfter)
		m.log.Warn("genesys: token refresh failed", "clientID", m.clientID, "err", err)
	}
	f.tok, f.err = tok, err
	m.flight = nil
	m.mu.Unlock()
	close(f.done)
}

// refreshDelay is when to refresh a token living life: 80 % of it or 60 s
// before the end, whichever is earlier; half of it when that leaves no time
// (lifetimes below 60 s do not occur with Genesys, whose minimum is 300 s).
func refreshDelay(life time.Duration) time.Duration {
	d := min(life*4/5, life-time.Minute)
	if d <= 0 {
		d = life / 2
	}
	return d
}

// minLifetime is assumed when a token response has no usable expires_in:
// Genesys's shortest configurable lifetime.
const minLifetime = 300 * time.Second

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

type oauthErrorBody struct {
	Error            string `json:"error"`
	Description      string `json:"description"`
	ErrorDescription string `json:"error_description"`
}

// fetch performs POST {login}/oauth/token with Basic auth.
func (m *TokenManager) fetch(ctx context.Context, issued time.Time) (AccessToken, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.login+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return AccessToken{}, 0, fmt.Errorf("genesys oauth: %w", err)
	}
	req.SetBasicAuth(m.clientID, m.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := m.hc.Do(req)
	if err != nil {
		// *url.Error carries the URL, never the Authorization header.
		return AccessToken{}, 0, fmt.Errorf("genesys oauth: token request: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return AccessToken{}, 0, fmt.Errorf("genesys oauth: reading token response: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		e := &OAuthError{Status: res.StatusCode}
		var eb oauthErrorBody
		if json.Unmarshal(body, &eb) == nil {
			e.Code = eb.Error
			e.Description = eb.ErrorDescription
			if e.Description == "" {
				e.Description = eb.Description
			}
		}
		if e.Code == "" && e.Description == "" {
			e.Description = truncate(strings.TrimSpace(string(body)), 200)
		}
		return AccessToken{}, 0, e
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return AccessToken{}, 0, fmt.Errorf("genesys oauth: token response is not JSON: %w", err)
	}
	if tr.AccessToken == "" {
		return AccessToken{}, 0, errors.New("genesys oauth: token response has no access_token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if tr.ExpiresIn <= 0 || tr.ExpiresIn > 10*365*24*3600 {
		m.log.Warn("genesys: token response has no usable expires_in; assuming the minimum lifetime",
			"expires_in", tr.ExpiresIn, "assumed", minLifetime)
		life = minLifetime
	}
	return AccessToken{Value: tr.AccessToken, Expires: issued.Add(life)}, life, nil
}
