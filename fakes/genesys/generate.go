package genesys

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The presence generator changes users' presences at a fixed rate inside
// the fake, for load tests that drive serve from another process: one
// admin request (POST /_fake/presence/generate) starts it, where pushing
// each change through the admin API would cap the rate at what HTTP
// carries. Each change is a real one (the fake's state, history and truth
// log move with it, and it is published as Genesys would: the presence
// event and, when it changes, the routing-status event), so serve's resync
// agrees with what it was told.

// GenerateDefinitions are the presences the generator cycles through, two
// routable (Available, On Queue) and two not (meetings): every change
// moves a user between routable and not, so every event matters to serve.
var GenerateDefinitions = []string{PresenceAvailable, PresenceMeetingInterruptP1, PresenceOnQueue, PresenceMeetingDoNotDisturb}

// genBatch bounds the changes made under one hold of the fake's lock, so
// API requests interleave with a generator that is behind.
const genBatch = 256

// GenerateStatus is the generator's state, as the admin API reports it.
type GenerateStatus struct {
	Running         bool      `json:"running"`
	EventsPerSecond float64   `json:"eventsPerSecond"`
	Started         time.Time `json:"started,omitzero"`
	// Generated counts the presence changes made by the current or last
	// run; Due is how many the rate asked for until now (or the run's
	// end): Generated < Due means the fake could not keep up.
	Generated int64 `json:"generated"`
	Due       int64 `json:"due"`
}

// GenerateRequest is POST /_fake/presence/generate's body.
type GenerateRequest struct {
	EventsPerSecond float64 `json:"eventsPerSecond"`
	// DurationMs stops the run after that long; 0 runs until stopped.
	DurationMs int64 `json:"durationMs"`
}

type presenceGen struct {
	ctl    sync.Mutex // serialises starting and stopping
	mu     sync.Mutex // guards the fields below
	status GenerateStatus
	stop   chan struct{}
	done   chan struct{}
}

// StartPresenceGenerator starts changing presences at rate per second for
// d (0: until stopped), cycling through the users in name order (every
// 37th, so neighbours do not change together) and GenerateDefinitions. A
// run already going is stopped first.
func (s *Server) StartPresenceGenerator(rate float64, d time.Duration) error {
	if !(rate > 0) || rate > 10_000_000 {
		return fmt.Errorf("genesys: eventsPerSecond %v: want more than 0 and at most 10,000,000", rate)
	}
	if d < 0 {
		return fmt.Errorf("genesys: duration %v: want 0 (until stopped) or more", d)
	}
	if len(s.userOrder) == 0 {
		return errors.New("genesys: the org has no users to change")
	}
	for _, id := range GenerateDefinitions {
		if s.defs[id] == nil {
			return fmt.Errorf("genesys: presence definition %q does not exist in this org", id)
		}
	}
	g := &s.gen
	g.ctl.Lock()
	defer g.ctl.Unlock()
	s.stopGenerator()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status = GenerateStatus{Running: true, EventsPerSecond: rate, Started: time.Now()}
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	go s.generate(rate, d, g.status.Started, g.stop, g.done)
	return nil
}

// StopPresenceGenerator stops a run (if any) and returns its status.
func (s *Server) StopPresenceGenerator() GenerateStatus {
	s.gen.ctl.Lock()
	defer s.gen.ctl.Unlock()
	s.stopGenerator()
	return s.PresenceGeneratorStatus()
}

// stopGenerator stops a run, if any. Callers hold s.gen.ctl.
func (s *Server) stopGenerator() {
	g := &s.gen
	g.mu.Lock()
	stop, done := g.stop, g.done
	g.stop = nil
	g.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// PresenceGeneratorStatus reports the current or last run.
func (s *Server) PresenceGeneratorStatus() GenerateStatus {
	g := &s.gen
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.status
}

// generate runs until stop, the end of d, or the fake closing. Every
// millisecond it makes the changes that came due, genBatch per lock hold.
func (s *Server) generate(rate float64, d time.Duration, begin time.Time, stop, done chan struct{}) {
	defer close(done)
	defs := make([]*PresenceDefinition, len(GenerateDefinitions))
	for i, id := range GenerateDefinitions {
		defs[i] = s.defs[id]
	}
	users := s.userOrder
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var n int64
	finish := func(due int64) {
		s.gen.mu.Lock()
		s.gen.status.Running, s.gen.status.Generated, s.gen.status.Due = false, n, due
		s.gen.mu.Unlock()
	}
	for {
		elapsed := time.Since(begin)
		ended := d > 0 && elapsed >= d
		if ended {
			elapsed = d
		}
		due := int64(rate * elapsed.Seconds())
		for n < due {
			k := min(due-n, genBatch)
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				finish(due)
				return
			}
			for range k {
				u := users[(n*37)%int64(len(users))]
				s.setPresence(u, defs[n%int64(len(defs))], "")
				n++
			}
			s.mu.Unlock()
		}
		s.gen.mu.Lock()
		s.gen.status.Generated, s.gen.status.Due = n, due
		s.gen.mu.Unlock()
		if ended {
			finish(due)
			return
		}
		select {
		case <-stop:
			finish(int64(rate * time.Since(begin).Seconds()))
			return
		case <-tick.C:
		}
	}
}

func (s *Server) handleAdminStartGenerator(w http.ResponseWriter, r *http.Request, c *call) {
	var req GenerateRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	if !(req.EventsPerSecond > 0) || req.EventsPerSecond > 10_000_000 {
		writeError(w, c, fieldError(codeInvalidValue, "eventsPerSecond", "eventsPerSecond %v: want more than 0 and at most 10,000,000.", req.EventsPerSecond))
		return
	}
	if req.DurationMs < 0 {
		writeError(w, c, fieldError(codeInvalidValue, "durationMs", "durationMs %d: want 0 (until stopped) or more.", req.DurationMs))
		return
	}
	if err := s.StartPresenceGenerator(req.EventsPerSecond, time.Duration(req.DurationMs)*time.Millisecond); err != nil {
		writeError(w, c, apiError(http.StatusBadRequest, codeInvalidValue, "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, s.PresenceGeneratorStatus())
}

func (s *Server) handleAdminGeneratorStatus(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, s.PresenceGeneratorStatus())
}

func (s *Server) handleAdminStopGenerator(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, s.StopPresenceGenerator())
}
