package genesys

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// call is what the middleware learnt about one API request.
type call struct {
	contextID string
	clientID  string
	token     *token
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c *call)

// api registers an /api/v2 endpoint behind the standard chain: correlation
// id, size limit, injected faults, bearer check, per-token rate limit.
func (s *Server) api(pattern string, h apiHandler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.truth.arrival(s.clock.Now(), r)
		c := s.begin(w, r)
		if c == nil {
			return
		}
		clientID, tok, e := s.tokens.check(r, s.clock.Now())
		if e != nil {
			writeError(w, c, e)
			return
		}
		c.clientID, c.token = clientID, tok
		if !s.injectFaults(w, r, c) {
			return
		}
		if !s.rateLimit(w, c) {
			return
		}
		h(w, r, c)
	}))
}

// countRouting counts every request to a routing endpoint
// (Server.routingCalls) before anything answers it.
func (s *Server) countRouting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isRoutingCall(r.Method, r.URL.Path) {
			s.routingCalls.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// isRoutingCall reports whether method and path name one of the three
// endpoints that route a conversation.
func isRoutingCall(method, path string) bool {
	switch {
	case method == http.MethodPost && strings.HasPrefix(path, "/api/v2/conversations/") && strings.HasSuffix(path, "/assign"):
		return true
	case method == http.MethodPatch && strings.HasPrefix(path, "/api/v2/routing/conversations/"):
		return true
	case method == http.MethodPost && strings.HasPrefix(path, "/api/v2/conversations/") && strings.HasSuffix(path, "/replace/agent"):
		return true
	}
	return false
}

// loginChain wraps /oauth/token: correlation id, size limit and injected
// faults, but no bearer check.
func (s *Server) loginChain(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.begin(w, r)
		if c == nil {
			return
		}
		if !s.injectFaults(w, r, c) {
			return
		}
		h(w, r, c)
	})
}

// begin starts a call: it assigns the correlation id and refuses bodies
// that announce more than request.bytes.max. It returns nil when it has
// already answered.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) *call {
	c := &call{contextID: s.ids.contextID()}
	w.Header().Set("ININ-Correlation-Id", c.contextID)
	if r.ContentLength > maxBodyBytes {
		writeError(w, c, apiError(http.StatusRequestEntityTooLarge, codeTooLarge,
			"The request body is larger than the limit of %d bytes.", maxBodyBytes))
		return nil
	}
	return c
}

// recoverer turns a panic into 500 internal.server.error, so a bug in the
// fake shows up as a status a test can see, never as a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				e := apiError(http.StatusInternalServerError, codeInternal, "The fake hit an internal error: %v", v)
				wire.Write(w, e, w.Header().Get("ININ-Correlation-Id"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// probeMethods are the methods handleNoRoute tries when deciding between
// 404 and 405.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// handleNoRoute answers a request no pattern matched: 405 with Allow when
// the path exists under another method, 404 not.found otherwise, both with
// the standard error body.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	c := &call{contextID: s.ids.contextID()}
	var allowed []string
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
	}
	if len(allowed) > 0 {
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, c, apiError(http.StatusMethodNotAllowed, codeMethodNotAllowed,
			"HTTP %s is not allowed on %s; allowed: %s.", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	writeError(w, c, apiError(http.StatusNotFound, codeNotFound, "No resource at %s %s.", r.Method, r.URL.Path))
}

// pageParams reads pageSize and pageNumber. The Go SDK sends 0 for an
// unset int, so ≤ 0 means the default.
func pageParams(r *http.Request, defSize, maxSize int) (size, number int, e *wire.ErrorBody) {
	size, number = defSize, 1
	q := r.URL.Query()
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, fieldError(codeInvalidQueryParam, "pageSize", "pageSize %q is not an integer.", v)
		}
		if n > maxSize {
			return 0, 0, fieldError(codeInvalidValue, "pageSize", "pageSize %d is over the maximum of %d.", n, maxSize)
		}
		if n > 0 {
			size = n
		}
	}
	if v := q.Get("pageNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, fieldError(codeInvalidQueryParam, "pageNumber", "pageNumber %q is not an integer.", v)
		}
		if n > 0 {
			number = n
		}
	}
	return size, number, nil
}

// multiParam collects a multi-valued query parameter sent either repeated
// (id=a&id=b) or comma-joined (id=a,b, as the Go SDK sends it).
func multiParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}
