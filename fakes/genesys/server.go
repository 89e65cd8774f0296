package genesys

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Server is a fake Genesys Cloud org behind an HTTP handler. Create it with
// New; serve it with Handler (httptest, your own server) or Start.
type Server struct {
	opts       Options
	clock      *clock
	ids        *idSource
	adminToken string
	pub        wire.Publisher

	mux     *http.ServeMux
	handler http.Handler

	tokens tokenStore
	faults faultState
	truth  *truthLog // nil unless Options.Truth

	// routingCalls counts every request to a routing endpoint (/assign,
	// the routing conversation PATCH, replace/agent), answered or refused
	// (401, 429 and injected faults included):
	// observe mode's "zero routing calls" is read from it.
	routingCalls atomic.Int64
	xm           externalMetrics // external metric definitions and data

	history *History    // Options.History or a new, empty one
	jobs    jobStore    // asynchronous conversation details jobs
	gen     presenceGen // POST /_fake/presence/generate

	// Static org data: built in New, read-only afterwards.
	org       Org
	defs      map[string]*PresenceDefinition
	defOrder  []*PresenceDefinition
	skills    map[string]*Skill
	queues    map[string]*Queue
	userOrder []*userState // sorted by name, then id

	// users is filled in New and never written again, so lookups need no
	// lock; the *userState values it holds are guarded by mu.
	users map[string]*userState

	mu          sync.RWMutex // guards everything below and the userState values
	closed      bool
	convs       map[string]*conversation
	convOrder   []*conversation
	preferred   map[*conversation]struct{} // not ended, with scored agents
	acdQueue    map[*conversation]struct{} // released to the fake's ACD (acd.go), not yet connected
	onFree      func(userID string)        // OnAgentFree
	deliveries  []*delivery
	answerRand  *mrand.Rand
	timers      map[uint64]*time.Timer
	timerSeq    uint64
	httpServer  *http.Server
	baseURL     string
	serveClosed chan struct{}
}

// New builds a Server from opts. It fails when the options or the org are
// inconsistent, saying what is wrong.
func New(opts Options) (*Server, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	org := copyOrg(*opts.Org)
	if len(org.PresenceDefinitions) == 0 {
		org.PresenceDefinitions = SystemPresenceDefinitions()
	}
	if org.ID == "" {
		org.ID = DemoOrgID
	}
	if org.DivisionID == "" {
		org.DivisionID = DemoDivisionID
	}
	if org.Name == "" {
		org.Name = "fake org"
	}
	if err := org.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:       opts,
		clock:      newClock(opts.Now, opts.TimeScale),
		ids:        newIDSource(opts.Seed),
		adminToken: opts.AdminToken,
		pub:        opts.Publisher,
		org:        org,
		defs:       map[string]*PresenceDefinition{},
		skills:     map[string]*Skill{},
		queues:     map[string]*Queue{},
		users:      map[string]*userState{},
		convs:      map[string]*conversation{},
		preferred:  map[*conversation]struct{}{},
		answerRand: newStream(opts.Seed, streamAnswers),
		timers:     map[uint64]*time.Timer{},
	}
	if s.adminToken == "" {
		s.adminToken = secret(24)
	}
	if opts.Truth {
		s.truth = &truthLog{}
	}
	s.history = opts.History
	if s.history == nil {
		s.history = NewHistory()
	}
	s.tokens.init()
	s.faults.init(opts.Seed, opts.Faults)
	for i := range s.org.PresenceDefinitions {
		d := &s.org.PresenceDefinitions[i]
		s.defs[d.ID] = d
		s.defOrder = append(s.defOrder, d)
	}
	for i := range s.org.Skills {
		s.skills[s.org.Skills[i].ID] = &s.org.Skills[i]
	}
	for i := range s.org.Queues {
		s.queues[s.org.Queues[i].ID] = &s.org.Queues[i]
	}
	s.initUsers()
	s.routes()
	return s, nil
}

func copyOrg(o Org) Org {
	o.PresenceDefinitions = append([]PresenceDefinition(nil), o.PresenceDefinitions...)
	o.Skills = append([]Skill(nil), o.Skills...)
	o.Queues = append([]Queue(nil), o.Queues...)
	for i := range o.Queues {
		o.Queues[i].Members = append([]string(nil), o.Queues[i].Members...)
	}
	o.Users = append([]User(nil), o.Users...)
	for i := range o.Users {
		o.Users[i].Skills = append([]UserSkill(nil), o.Users[i].Skills...)
		if a := o.Users[i].Answer; a != nil {
			c := *a
			o.Users[i].Answer = &c
		}
	}
	return o
}

// Handler serves the whole fake: /oauth/token, /api/v2/…, /_fake/… and,
// when Options.Notifications is set, /channels/….
func (s *Server) Handler() http.Handler { return s.handler }

// AdminToken is the bearer token that /_fake/ requires.
func (s *Server) AdminToken() string { return s.adminToken }

// ClientID is the OAuth client id the fake accepts.
func (s *Server) ClientID() string { return s.opts.ClientID }

// Now is the fake clock's current time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Start serves on addr ("127.0.0.1:0" when empty picks a free loopback
// port) until Close, and returns the base URL, e.g. http://127.0.0.1:8787.
// Both the API and the login host are this one URL: the SDK derives the
// login host by replacing "//api." with "//login.", which leaves a
// loopback URL unchanged.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("genesys: server is closed")
	}
	if s.httpServer != nil {
		return "", fmt.Errorf("genesys: already serving at %s", s.baseURL)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("genesys: listen: %w", err)
	}
	s.httpServer = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.baseURL = "http://" + ln.Addr().String()
	s.serveClosed = make(chan struct{})
	go func(hs *http.Server, done chan struct{}) {
		defer close(done)
		_ = hs.Serve(ln)
	}(s.httpServer, s.serveClosed)
	return s.baseURL, nil
}

// BaseURL is the URL Start serves at, or "" before Start.
func (s *Server) BaseURL() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.baseURL
}

// Close stops the listener Start opened (if any) and every pending timer;
// the org freezes as it is. It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for id, t := range s.timers {
		t.Stop()
		delete(s.timers, id)
	}
	hs, done := s.httpServer, s.serveClosed
	s.mu.Unlock()
	if hs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			_ = hs.Close()
		}
		<-done
	}
}

// after runs f under s.mu once the fake clock has moved on by d, unless
// cancelled or the server closed first. Callers hold s.mu.
func (s *Server) after(d time.Duration, f func()) uint64 {
	s.timerSeq++
	id := s.timerSeq
	if s.closed {
		return id // a closed fake's clock stands still
	}
	s.timers[id] = time.AfterFunc(s.clock.realDuration(d), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		if _, ok := s.timers[id]; !ok {
			return // cancelled after it fired
		}
		delete(s.timers, id)
		f()
	})
	return id
}

// cancelTimer stops a timer from after. Callers hold s.mu.
func (s *Server) cancelTimer(id uint64) {
	if t, ok := s.timers[id]; ok {
		t.Stop()
		delete(s.timers, id)
	}
}

// publish hands an event to the Publisher. Callers hold s.mu, which keeps
// each user's events in order.
func (s *Server) publish(topic string, body any) {
	if s.pub != nil {
		s.pub.Publish(topic, body)
	}
}

// History is the analytics store the fake serves its past from: append
// to it to make activity visible to the analytics and WFM endpoints.
func (s *Server) History() *History { return s.history }
