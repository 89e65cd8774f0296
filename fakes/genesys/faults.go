package genesys

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults are the fault-injection knobs, the things a real org does to you
// on a bad day, on demand. They apply to every call under /api/v2/ and to
// POST /oauth/token — narrowed to paths starting with PathPrefix when it is
// set — and never to /_fake/ or /channels/.
type Faults struct {
	// PathPrefix limits the faults to request paths with this prefix,
	// e.g. "/api/v2/conversations/".
	PathPrefix string
	// RateLimitShare is the share (0–1) of calls answered 429
	// too.many.requests.retry.after.
	RateLimitShare float64
	// RateLimitBurst answers the next N calls 429.
	RateLimitBurst int
	// RetryAfterSeconds is the Retry-After of injected 429s (default 1)
	// and, when set, of injected 503s.
	RetryAfterSeconds int
	// ServerErrorShare is the share (0–1) of calls answered 503
	// service.unavailable.
	ServerErrorShare float64
	// ServerErrorBurst answers the next N calls 503.
	ServerErrorBurst int
	// Latency is added to every call, on the wall clock, plus a uniform
	// random share of LatencyJitter.
	Latency       time.Duration
	LatencyJitter time.Duration
	// AssignDelay holds every POST …/assign this long (wall clock) after
	// the other faults and before it is processed: a slow /assign.
	AssignDelay time.Duration
	// TokenRateLimit enforces a real-ish limit of RequestsPerMinute (default
	// 300, token.rate.per.minute) calls per token per fake-clock minute,
	// with the inin-ratelimit-* headers on every response while it is on.
	TokenRateLimit    bool
	RequestsPerMinute int
}

const defaultRequestsPerMinute = 300

func (f Faults) validate() error {
	var errs []error
	for _, sh := range []struct {
		name string
		v    float64
	}{{"rateLimitShare", f.RateLimitShare}, {"serverErrorShare", f.ServerErrorShare}} {
		if !(sh.v >= 0 && sh.v <= 1) {
			errs = append(errs, fmt.Errorf("faults: %s %v is outside 0–1", sh.name, sh.v))
		}
	}
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"rateLimitBurst", int64(f.RateLimitBurst)}, {"serverErrorBurst", int64(f.ServerErrorBurst)},
		{"retryAfterSeconds", int64(f.RetryAfterSeconds)}, {"requestsPerMinute", int64(f.RequestsPerMinute)},
		{"latency", int64(f.Latency)}, {"latencyJitter", int64(f.LatencyJitter)}, {"assignDelay", int64(f.AssignDelay)},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("faults: %s must not be negative", n.name))
		}
	}
	if f.Latency > time.Minute || f.LatencyJitter > time.Minute || f.AssignDelay > time.Minute {
		errs = append(errs, errors.New("faults: latency, jitter and assign delay are capped at one minute"))
	}
	return errors.Join(errs...)
}

func (f Faults) active() bool {
	return f.RateLimitShare > 0 || f.RateLimitBurst > 0 || f.ServerErrorShare > 0 ||
		f.ServerErrorBurst > 0 || f.Latency > 0 || f.LatencyJitter > 0
}

// faultState is the live fault configuration; bursts count down as calls
// consume them.
type faultState struct {
	on    atomic.Bool  // any injected fault configured: the fast path skips the lock
	limit atomic.Int64 // per-token requests per minute; 0 = off
	mu    sync.Mutex
	f     Faults
	r     *mrand.Rand

	injected429, injected503 int
}

func (fs *faultState) init(seed uint64, f Faults) {
	fs.r = newStream(seed, streamFaults)
	fs.set(f)
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	fs.f = f
	fs.on.Store(f.active())
	limit := int64(0)
	if f.TokenRateLimit {
		limit = int64(f.RequestsPerMinute)
		if limit == 0 {
			limit = defaultRequestsPerMinute
		}
	}
	fs.limit.Store(limit)
	fs.mu.Unlock()
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

type faultKind int

const (
	faultNone faultKind = iota
	fault429
	fault503
)

// draw decides the fate of one call to path.
func (fs *faultState) draw(path string) (kind faultKind, latency time.Duration, retryAfter int) {
	if !fs.on.Load() {
		return faultNone, 0, 0
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := &fs.f
	if f.PathPrefix != "" && !strings.HasPrefix(path, f.PathPrefix) {
		return faultNone, 0, 0
	}
	latency = f.Latency
	if f.LatencyJitter > 0 {
		latency += time.Duration(fs.r.Int64N(int64(f.LatencyJitter)))
	}
	switch {
	case f.RateLimitBurst > 0:
		f.RateLimitBurst--
		kind = fault429
	case f.ServerErrorBurst > 0:
		f.ServerErrorBurst--
		kind = fault503
	case f.RateLimitShare > 0 && fs.r.Float64() < f.RateLimitShare:
		kind = fault429
	case f.ServerErrorShare > 0 && fs.r.Float64() < f.ServerErrorShare:
		kind = fault503
	}
	switch kind {
	case fault429:
		fs.injected429++
		retryAfter = f.RetryAfterSeconds
		if retryAfter == 0 {
			retryAfter = 1
		}
	case fault503:
		fs.injected503++
		retryAfter = f.RetryAfterSeconds
	}
	fs.on.Store(f.active())
	return kind, latency, retryAfter
}

// injectFaults applies the fault knobs to one call; false means it has
// answered.
func (s *Server) injectFaults(w http.ResponseWriter, r *http.Request, c *call) bool {
	kind, latency, retryAfter := s.faults.draw(r.URL.Path)
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	switch kind {
	case fault429:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeError(w, c, tooManyRequests(retryAfter))
		return false
	case fault503:
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		writeError(w, c, apiError(http.StatusServiceUnavailable, codeUnavailable,
			"The service is currently unavailable. Please try again later."))
		return false
	}
	return true
}

// rateLimit counts the call against its token's fixed one-minute window
// (fake clock) when TokenRateLimit is on; false means it answered 429.
func (s *Server) rateLimit(w http.ResponseWriter, c *call) bool {
	if c.token == nil {
		return true
	}
	limit := int(s.faults.limit.Load())
	if limit == 0 {
		return true
	}
	now := s.clock.Now()
	t := c.token
	t.mu.Lock()
	if now.Sub(t.windowStart) >= time.Minute || now.Before(t.windowStart) {
		t.windowStart, t.count = now, 0
	}
	t.count++
	count := t.count
	reset := t.windowStart.Add(time.Minute).Sub(now)
	t.mu.Unlock()
	resetSec := s.clock.realSeconds(reset)
	h := w.Header()
	h.Set("inin-ratelimit-allowed", strconv.Itoa(limit))
	h.Set("inin-ratelimit-count", strconv.Itoa(count))
	h.Set("inin-ratelimit-reset", strconv.Itoa(resetSec))
	if count > limit {
		h.Set("Retry-After", strconv.Itoa(resetSec))
		writeError(w, c, tooManyRequests(resetSec))
		return false
	}
	return true
}

// SetFaults replaces the fault knobs.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faults.set(f)
	return nil
}

// Faults returns the fault knobs in force (bursts show what is left).
func (s *Server) Faults() Faults { return s.faults.get() }
