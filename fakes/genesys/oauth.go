package genesys

import (
	"crypto/subtle"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// token is one issued access token.
type token struct {
	clientID string
	expires  time.Time // on the fake clock

	mu          sync.Mutex // guards the rate-limit window
	windowStart time.Time
	count       int
}

// tokenStore holds the live access tokens.
type tokenStore struct {
	mu sync.RWMutex
	m  map[string]*token
}

func (ts *tokenStore) init() { ts.m = map[string]*token{} }

// sweepAt is the number of live tokens above which issuing a new one first
// drops the expired ones (expired tokens are otherwise dropped when used).
const sweepAt = 4096

func (ts *tokenStore) issue(clientID string, now time.Time, ttl time.Duration) string {
	v := secret(48)
	ts.mu.Lock()
	if len(ts.m) >= sweepAt {
		for k, t := range ts.m {
			if !now.Before(t.expires) {
				delete(ts.m, k)
			}
		}
	}
	ts.m[v] = &token{clientID: clientID, expires: now.Add(ttl)}
	ts.mu.Unlock()
	return v
}

// check validates r's bearer token at time now.
func (ts *tokenStore) check(r *http.Request, now time.Time) (string, *token, *wire.ErrorBody) {
	v, ok := bearer(r)
	if !ok {
		return "", nil, apiError(http.StatusUnauthorized, codeAuthRequired,
			"No authentication bearer token specified in authorization header.")
	}
	ts.mu.RLock()
	t := ts.m[v]
	ts.mu.RUnlock()
	if t == nil {
		return "", nil, apiError(http.StatusUnauthorized, codeBadCredentials, "Invalid login credentials.")
	}
	if !now.Before(t.expires) {
		ts.mu.Lock()
		delete(ts.m, v)
		ts.mu.Unlock()
		return "", nil, apiError(http.StatusUnauthorized, codeBadCredentials, "Invalid login credentials.")
	}
	return t.clientID, t, nil
}

func (ts *tokenStore) revoke(v string) {
	ts.mu.Lock()
	delete(ts.m, v)
	ts.mu.Unlock()
}

func (ts *tokenStore) revokeAll() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := len(ts.m)
	ts.m = map[string]*token{}
	return n
}

func (ts *tokenStore) live() int {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return len(ts.m)
}

// bearer extracts the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, v, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// Authorize checks r's bearer token and returns the OAuth client id it was
// issued to, or the 401 error body to send. It is a wire.Authorizer, lent
// to the notification service.
func (s *Server) Authorize(r *http.Request) (string, *wire.ErrorBody) {
	id, _, e := s.tokens.check(r, s.clock.Now())
	return id, e
}

var _ wire.Authorizer = (*Server)(nil).Authorize

// RevokeTokens invalidates every access token issued so far, as an admin
// revoking the OAuth client's tokens would; it returns how many were live.
func (s *Server) RevokeTokens() int { return s.tokens.revokeAll() }

// authError is the OAuth error body ([GO] AuthErrorResponse). The
// description wording is the fake's own; the error codes are RFC 6749's.
type authError struct {
	Error            string `json:"error"`
	Description      string `json:"description"`
	ErrorDescription string `json:"error_description"`
}

func writeAuthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
	}
	writeJSON(w, status, authError{Error: code, Description: desc, ErrorDescription: desc})
}

// tokenResponse is [GO] AuthResponse; client credentials never carry a
// refresh token.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// handleToken is POST /oauth/token with the client credentials grant:
// Basic auth, form body grant_type=client_credentials.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, c *call) {
	w.Header().Set("Cache-Control", "no-store")
	id, sec, ok := r.BasicAuth()
	if !ok {
		writeAuthError(w, http.StatusUnauthorized, "invalid_client",
			"client authentication is required: send Authorization: Basic base64(client_id:client_secret)")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			writeAuthError(w, http.StatusBadRequest, "invalid_request",
				"the token request must be form encoded (application/x-www-form-urlencoded)")
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeAuthError(w, http.StatusBadRequest, "invalid_request", "the form body could not be parsed: "+err.Error())
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "":
		writeAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	case "client_credentials":
	default:
		writeAuthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"grant_type "+gt+" is not supported for this client; use client_credentials")
		return
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) != 1 {
		writeAuthError(w, http.StatusUnauthorized, "invalid_client", "client not found")
		return
	}
	if subtle.ConstantTimeCompare([]byte(sec), []byte(s.opts.ClientSecret)) != 1 {
		writeAuthError(w, http.StatusUnauthorized, "invalid_client", "authentication failed")
		return
	}
	v := s.tokens.issue(id, s.clock.Now(), s.opts.TokenTTL)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: v, TokenType: "bearer", ExpiresIn: int(s.opts.TokenTTL / time.Second),
	})
}

type namedEntity struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri,omitempty"`
}

type tokenInfo struct {
	Organization     namedEntity `json:"organization"`
	HomeOrganization namedEntity `json:"homeOrganization"`
	AuthorizedScope  []string    `json:"authorizedScope"`
	OAuthClient      oauthClient `json:"OAuthClient"`
}

type oauthClient struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Organization namedEntity `json:"organization"`
}

// handleTokenInfo is GET|HEAD /api/v2/tokens/me ([S] TokenInfo).
func (s *Server) handleTokenInfo(w http.ResponseWriter, r *http.Request, c *call) {
	org := namedEntity{ID: s.org.ID, Name: s.org.Name}
	writeJSON(w, http.StatusOK, tokenInfo{
		Organization:     org,
		HomeOrganization: org,
		AuthorizedScope:  []string{"analytics", "conversations", "notifications", "presence", "routing", "users"},
		OAuthClient:      oauthClient{ID: c.clientID, Name: c.clientID, Organization: namedEntity{ID: s.org.ID}},
	})
}

// handleTokenDelete is DELETE /api/v2/tokens/me: it revokes the calling
// token.
func (s *Server) handleTokenDelete(w http.ResponseWriter, r *http.Request, c *call) {
	if v, ok := bearer(r); ok {
		s.tokens.revoke(v)
	}
	w.WriteHeader(http.StatusOK)
}
