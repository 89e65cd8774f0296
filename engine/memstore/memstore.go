// Package memstore is the in-memory Store: the simulator's fast path and the
// twin that tests use in place of Redis. It honours the same contract as
// engine/redisstore, checked by the shared engine/storetest suite; claim
// TTLs run on the injected engine.Clock, so virtual time expires them.
package memstore

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
)

type claim struct {
	holder  string
	expires time.Time
	set     bool
}

// Store is safe for concurrent use.
type Store struct {
	clock engine.Clock

	mu      sync.Mutex
	experts map[engine.ExpertID]engine.ExpertState
	// claims are by slot: slot numbers each expert id ever claimed (or
	// bound, see BindExperts) once, so that an engine that bound its
	// experts claims by index without hashing an id.
	slot       map[engine.ExpertID]int32
	claims     []claim
	convs      map[string]claim
	convWrites int
	decisions  map[string][]engine.Decision
	order      []string // conversations in first-decision order, for eviction
	keep       int
	noLog      bool
	noStates   bool
	noConvs    bool
}

// DefaultDecisionRetention is how many conversations' decision logs a
// store keeps unless told otherwise.
const DefaultDecisionRetention = 10_000

// Option configures a Store.
type Option func(*Store)

// WithDecisionRetention keeps the decision logs of the n most recent
// conversations (by first decision); older ones are dropped, as the Redis
// store drops them by TTL. n ≤ 0 keeps everything.
func WithDecisionRetention(n int) Option { return func(s *Store) { s.keep = n } }

// WithoutDecisionLog keeps no decision log at all (Decisions always
// returns nothing). For the simulator, which reads every decision through
// engine.Config.OnDecision and uses unique conversation ids.
func WithoutDecisionLog() Option { return func(s *Store) { s.noLog = true } }

// WithoutExpertStates keeps no expert states (LoadExperts always returns
// nothing; claims are kept as usual). For the simulator, which never
// loads them back (no replica restarts within a run): at 10,000 experts
// the write-through into a map keyed by expert id cost a twentieth of an
// event, for nothing anyone reads.
func WithoutExpertStates() Option { return func(s *Store) { s.noStates = true } }

// WithoutConversationClaims keeps no conversation ownerships:
// ClaimConversation always makes the caller the owner. For the
// simulator, whose one engine (one replica) routes every conversation of
// a run, each id once: the ownership map, written on every escalation and
// swept every 1,024, only ever answered "yours" (at 10,000 experts a
// cache miss or so an escalation).
func WithoutConversationClaims() Option { return func(s *Store) { s.noConvs = true } }

// New returns an empty store whose claim TTLs run on clock.
func New(clock engine.Clock, opts ...Option) *Store {
	s := &Store{
		clock:     clock,
		experts:   make(map[engine.ExpertID]engine.ExpertState),
		slot:      make(map[engine.ExpertID]int32),
		convs:     make(map[string]claim),
		decisions: make(map[string][]engine.Decision),
		keep:      DefaultDecisionRetention,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// DiscardsExpertStates implements engine.StateDiscarder: true with
// WithoutExpertStates.
func (s *Store) DiscardsExpertStates() bool { return s.noStates }

// PutExperts implements engine.Store.
func (s *Store) PutExperts(_ context.Context, states []engine.ExpertState) error {
	if s.noStates {
		return nil
	}
	s.mu.Lock()
	for i := range states {
		st := states[i]
		st.Interrupts = slices.Clone(st.Interrupts)
		s.experts[st.ID] = st
	}
	s.mu.Unlock()
	return nil
}

// LoadExperts implements engine.Store.
func (s *Store) LoadExperts(context.Context) ([]engine.ExpertState, error) {
	s.mu.Lock()
	out := make([]engine.ExpertState, 0, len(s.experts))
	for _, st := range s.experts {
		st.Interrupts = slices.Clone(st.Interrupts)
		out = append(out, st)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b engine.ExpertState) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// at is the claim slot of e, or -1 if e was never claimed.
func (s *Store) at(e engine.ExpertID) int32 {
	if i, ok := s.slot[e]; ok {
		return i
	}
	return -1
}

// intern is the claim slot of e, numbered now if it has none.
func (s *Store) intern(e engine.ExpertID) int32 {
	i, ok := s.slot[e]
	if !ok {
		i = int32(len(s.claims))
		s.slot[e] = i
		s.claims = append(s.claims, claim{})
	}
	return i
}

// held reports whether slot i (-1: none) is claimed now; it drops an
// expired claim.
func (s *Store) held(i int32, now time.Time) (claim, bool) {
	if i < 0 {
		return claim{}, false
	}
	c := &s.claims[i]
	if !c.set {
		return claim{}, false
	}
	if !now.Before(c.expires) {
		*c = claim{}
		return claim{}, false
	}
	return *c, true
}

// free reports whether slot i (-1: none) holds no live claim (held drops
// an expired one).
func (s *Store) free(i int32, now time.Time) bool {
	_, ok := s.held(i, now)
	return !ok
}

// ClaimFirst implements engine.Store.
func (s *Store) ClaimFirst(_ context.Context, candidates []engine.ExpertID, holder string, ttl time.Duration) (int, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range candidates {
		if !s.free(s.at(e), now) {
			continue
		}
		s.claims[s.intern(e)] = claim{holder: holder, expires: now.Add(ttl), set: true}
		return i, nil
	}
	return -1, nil
}

// Transition implements engine.Store.
func (s *Store) Transition(_ context.Context, e engine.ExpertID, holder, newHolder string, ttl time.Duration) (bool, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transition(s.at(e), holder, newHolder, now, ttl), nil
}

func (s *Store) transition(i int32, holder, newHolder string, now time.Time, ttl time.Duration) bool {
	c, ok := s.held(i, now)
	if !ok || c.holder != holder {
		return false
	}
	s.claims[i] = claim{holder: newHolder, expires: now.Add(ttl), set: true}
	return true
}

// Release implements engine.Store.
func (s *Store) Release(_ context.Context, e engine.ExpertID, holder string) (bool, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.release(s.at(e), holder, now), nil
}

func (s *Store) release(i int32, holder string, now time.Time) bool {
	c, ok := s.held(i, now)
	if !ok || c.holder != holder {
		return false
	}
	s.claims[i] = claim{}
	return true
}

// Holder implements engine.Store.
func (s *Store) Holder(_ context.Context, e engine.ExpertID) (string, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, _ := s.held(s.at(e), now)
	return c.holder, nil
}

// BindExperts implements engine.IndexedClaims: it accepts ids (an
// engine's experts in index order) when each id's claim slot is, or can
// be numbered, its index: the store's first engine, or another with the
// same experts.
func (s *Store) BindExperts(ids []engine.ExpertID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.claims)
	for i, id := range ids {
		j, ok := s.slot[id]
		if i < n && (!ok || j != int32(i)) || i >= n && ok {
			return false
		}
	}
	for _, id := range ids[min(n, len(ids)):] {
		s.intern(id)
	}
	return true
}

// ClaimFirstAt implements engine.IndexedClaims.
func (s *Store) ClaimFirstAt(_ context.Context, candidates []int32, holder string, ttl time.Duration) (int, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, j := range candidates {
		if !s.free(j, now) {
			continue
		}
		s.claims[j] = claim{holder: holder, expires: now.Add(ttl), set: true}
		return i, nil
	}
	return -1, nil
}

// TransitionAt implements engine.IndexedClaims.
func (s *Store) TransitionAt(_ context.Context, e int32, holder, newHolder string, ttl time.Duration) (bool, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transition(e, holder, newHolder, now, ttl), nil
}

// ReleaseAt implements engine.IndexedClaims.
func (s *Store) ReleaseAt(_ context.Context, e int32, holder string) (bool, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.release(e, holder, now), nil
}

// ClaimConversation implements engine.Store.
func (s *Store) ClaimConversation(_ context.Context, conv, owner string, ttl time.Duration) (string, error) {
	if s.noConvs {
		return owner, nil
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.convs[conv]; ok && now.Before(c.expires) {
		return c.holder, nil
	}
	s.convs[conv] = claim{holder: owner, expires: now.Add(ttl)}
	// Expired ownerships are dropped now and then, as Redis expires keys,
	// so a long-running store does not grow with every conversation.
	if s.convWrites++; s.convWrites%1024 == 0 {
		for k, c := range s.convs {
			if !now.Before(c.expires) {
				delete(s.convs, k)
			}
		}
	}
	return owner, nil
}

// AppendDecision implements engine.Store. The decision is stored by value;
// its slices are shared with the caller, who must not modify them after.
func (s *Store) AppendDecision(_ context.Context, d *engine.Decision) error {
	if s.noLog {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	log, ok := s.decisions[d.ConversationID]
	if !ok {
		s.order = append(s.order, d.ConversationID)
		if s.keep > 0 && len(s.order) > s.keep {
			drop := len(s.order) - s.keep
			for _, c := range s.order[:drop] {
				delete(s.decisions, c)
			}
			s.order = append(s.order[:0], s.order[drop:]...)
		}
	}
	s.decisions[d.ConversationID] = append(log, *d)
	return nil
}

// Decisions implements engine.Store.
func (s *Store) Decisions(_ context.Context, conv string) ([]engine.Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.decisions[conv]), nil
}

var (
	_ engine.Store          = (*Store)(nil)
	_ engine.IndexedClaims  = (*Store)(nil)
	_ engine.StateDiscarder = (*Store)(nil)
)

// ConversationClaims is how many conversation ownerships are held,
// expired ones not yet swept included (for tests).
func (s *Store) ConversationClaims() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.convs)
}
