// Package redisstore is the engine.Store on Redis (go-redis v9), shared by
// every shadowq replica: the write-through presence cache that replicas load
// at start, the expert claims that keep two replicas from delivering to the
// same expert, and the decision log. It honours the same contract as the
// in-memory twin engine/memstore, checked by the shared engine/storetest
// suite against miniredis and, when REDIS_URL is set, a real Redis.
//
// # Key layout
//
// Every key starts with the prefix given to New (e.g. "shadowq:"):
//
//	{prefix}experts              hash: field = expert ID, value = ExpertState
//	                             in the compact binary format of encoding.go
//	                             (version byte 0x01)
//	{prefix}claim:{expertID}     string: holder of the claim, PX = claim TTL
//	{prefix}inflight             hash: conversation → JSON engine.Escalation owned and unfinished
//	{prefix}handoff              list: JSON engine.Escalation handed over at shutdown
//	{prefix}epoch                string: set once per store lifetime (see MarkEpoch)
//	{prefix}conv:{conversationId} string: the replica routing it, PX = its TTL
//	{prefix}dec:{conversationId} list: JSON engine.Decision, oldest first;
//	                             PEXPIRE = retention (default 7 days),
//	                             refreshed by every append
//
// # Why Lua for claims
//
// Claims must be atomic across all replicas, not just within one process.
// ClaimFirst runs one Lua script that walks the candidates in order and does
// SET key holder NX PX ttl on each until one succeeds; Redis runs a script
// without interleaving other commands, so two replicas racing over the same
// experts can never both win one, and walking the whole list costs one round
// trip instead of one per candidate. Transition (compare-and-set) and
// Release (compare-and-delete) are scripts for the same reason: a GET then
// SET/DEL from the client could overwrite or drop a claim that expired and
// was taken by someone else in between. Scripts run by EVALSHA (redis.Script
// falls back to EVAL after a SCRIPT FLUSH or on a fresh server). TTLs run on
// the Redis server's clock.
//
// # Why one HSET per batch
//
// One round trip to Redis costs about 120 µs on the deployment VM, so a
// writer doing one round trip per event tops out near 8,000 events/s; the
// target is 50,000 events/s. PutExperts therefore writes a whole batch of
// states with a single HSET carrying every field/value pair: one round trip
// per batch, whatever its size.
//
// # Redis Cluster
//
// ClaimFirst touches several claim keys in one script, so on a cluster all
// of them must hash to one slot: put a hash tag in the prefix, for example
// "{shadowq}:".
package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
)

// DefaultDecisionRetention is how long a decision log survives its last
// append unless WithDecisionRetention says otherwise.
const DefaultDecisionRetention = 7 * 24 * time.Hour

// Store is an engine.Store on Redis. It is safe for concurrent use, and any
// number of Stores (in any number of processes) on the same server and
// prefix share one state.
type Store struct {
	c          redis.UniversalClient
	prefix     string
	expertsKey string
	retention  time.Duration
}

// Option configures a Store.
type Option func(*Store)

// WithDecisionRetention sets how long a decision log is kept after its last
// append (default DefaultDecisionRetention). d <= 0 keeps logs forever.
func WithDecisionRetention(d time.Duration) Option {
	return func(s *Store) { s.retention = d }
}

// New returns a Store using client, with every key under prefix.
func New(client redis.UniversalClient, prefix string, opts ...Option) *Store {
	s := &Store{
		c:          client,
		prefix:     prefix,
		expertsKey: prefix + "experts",
		retention:  DefaultDecisionRetention,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ engine.Store = (*Store)(nil)

func storeErr(op string, err error) error {
	return fmt.Errorf("%w: redisstore: %s: %w", engine.ErrStore, op, err)
}

func (s *Store) claimKey(e engine.ExpertID) string { return s.prefix + "claim:" + string(e) }

func (s *Store) decisionsKey(conv string) string { return s.prefix + "dec:" + conv }

// PutExperts implements engine.Store: one HSET for the whole batch (no call
// for an empty one). A later state of the same expert in the batch wins.
func (s *Store) PutExperts(ctx context.Context, states []engine.ExpertState) error {
	if len(states) == 0 {
		return nil
	}
	// One buffer for every value, sized for typical times (~8 bytes each,
	// not the 15 they may take). If it has to grow, values already cut
	// from it keep the old array, so they stay valid.
	size := 0
	for i := range states {
		size += typicalEncodedLen(&states[i])
	}
	buf := make([]byte, 0, size)
	args := make([]any, 0, 2+2*len(states))
	args = append(args, "hset", s.expertsKey)
	for i := range states {
		start := len(buf)
		buf = appendState(buf, &states[i])
		args = append(args, string(states[i].ID), buf[start:len(buf):len(buf)])
	}
	if err := s.c.Do(ctx, args...).Err(); err != nil {
		return storeErr(fmt.Sprintf("put %d experts", len(states)), err)
	}
	return nil
}

// LoadExperts implements engine.Store with one HGETALL.
func (s *Store) LoadExperts(ctx context.Context) ([]engine.ExpertState, error) {
	m, err := s.c.HGetAll(ctx, s.expertsKey).Result()
	if err != nil {
		return nil, storeErr("load experts", err)
	}
	out := make([]engine.ExpertState, 0, len(m))
	for id, v := range m {
		st, err := decodeState(id, v)
		if err != nil {
			return nil, storeErr(fmt.Sprintf("decode %s field %q", s.expertsKey, id), err)
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b engine.ExpertState) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ttlMillis converts a claim TTL to PX milliseconds, rounding up so a claim
// never lives shorter than asked; Redis refuses PX 0, so ttl <= 1ms is 1ms.
func ttlMillis(ttl time.Duration) int64 {
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond > 0 {
		ms++
	}
	return max(ms, 1)
}

// claimFirstScript: KEYS = claim keys in order; ARGV = holder, ttl ms.
var claimFirstScript = redis.NewScript(`
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return i - 1
  end
end
return -1
`)

// transitionScript: KEYS[1] = claim key; ARGV = holder, new holder, ttl ms.
var transitionScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`)

// claimConvScript: KEYS[1] = conversation key; ARGV = owner, ttl ms.
// Returns the owner in place after the attempt.
var claimConvScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return ARGV[1]
end
return redis.call('GET', KEYS[1])
`)

// ClaimConversation implements engine.Store with one script run.
func (s *Store) ClaimConversation(ctx context.Context, conv, owner string, ttl time.Duration) (string, error) {
	h, err := claimConvScript.Run(ctx, s.c, []string{s.prefix + "conv:" + conv}, owner, ttlMillis(ttl)).Text()
	if err != nil {
		return "", storeErr(fmt.Sprintf("claim conversation %s", conv), err)
	}
	return h, nil
}

// ReleaseConversation gives up owner's claim on a conversation, if owner
// still holds it (compare-and-delete), and reports whether it did. A
// replica shutting down hands its unfinished escalations over this way, so
// another replica takes them over now instead of after the claim's TTL.
// (Not part of engine.Store: only the runtime's shutdown uses it.)
func (s *Store) ReleaseConversation(ctx context.Context, conv, owner string) (bool, error) {
	n, err := releaseScript.Run(ctx, s.c, []string{s.prefix + "conv:" + conv}, owner).Int()
	if err != nil {
		return false, storeErr(fmt.Sprintf("release conversation %s", conv), err)
	}
	return n == 1, nil
}

// HandOff queues an unfinished escalation for another replica to take
// over (RPUSH of its JSON on {prefix}handoff): a replica shutting down
// hands over what it could not finish, so the escalation goes on without
// waiting for the caller's retry.
func (s *Store) HandOff(ctx context.Context, x engine.Escalation) error {
	b, err := json.Marshal(x)
	if err != nil {
		return storeErr("encode hand-off "+x.ConversationID, err)
	}
	if err := s.c.RPush(ctx, s.prefix+"handoff", b).Err(); err != nil {
		return storeErr("hand off "+x.ConversationID, err)
	}
	return nil
}

// TakeHandOff pops the oldest handed-off escalation (LPOP: each is taken
// by one replica); ok is false when there is none.
func (s *Store) TakeHandOff(ctx context.Context) (x engine.Escalation, ok bool, err error) {
	b, err := s.c.LPop(ctx, s.prefix+"handoff").Bytes()
	if errors.Is(err, redis.Nil) {
		return x, false, nil
	}
	if err != nil {
		return x, false, storeErr("take hand-off", err)
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return x, false, storeErr(fmt.Sprintf("decode hand-off %q", b), err)
	}
	return x, true, nil
}

// TrackInFlight records an escalation a replica owns and has not finished
// (HSET {prefix}inflight), so that if the replica dies, a survivor finds
// it once the ownership has run out (Orphans), without waiting for the
// caller to retry.
func (s *Store) TrackInFlight(ctx context.Context, x engine.Escalation) error {
	b, err := json.Marshal(x)
	if err != nil {
		return storeErr("encode in-flight "+x.ConversationID, err)
	}
	if err := s.c.HSet(ctx, s.prefix+"inflight", x.ConversationID, b).Err(); err != nil {
		return storeErr("track in-flight "+x.ConversationID, err)
	}
	return nil
}

// UntrackInFlight forgets a finished escalation (HDEL).
func (s *Store) UntrackInFlight(ctx context.Context, conv string) error {
	if err := s.c.HDel(ctx, s.prefix+"inflight", conv).Err(); err != nil {
		return storeErr("untrack in-flight "+conv, err)
	}
	return nil
}

// Orphans returns the tracked escalations that nobody owns any more (their
// conversation claim expired: the owner died), sorted by conversation:
// one HGETALL and one pipelined EXISTS per entry.
func (s *Store) Orphans(ctx context.Context) ([]engine.Escalation, error) {
	m, err := s.c.HGetAll(ctx, s.prefix+"inflight").Result()
	if err != nil || len(m) == 0 {
		if err != nil {
			return nil, storeErr("in-flight escalations", err)
		}
		return nil, nil
	}
	convs := slices.Sorted(maps.Keys(m))
	exists := make([]*redis.IntCmd, len(convs))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range convs {
			exists[i] = p.Exists(ctx, s.prefix+"conv:"+c)
		}
		return nil
	}); err != nil {
		return nil, storeErr("owners of in-flight escalations", err)
	}
	var out []engine.Escalation
	for i, c := range convs {
		if exists[i].Val() != 0 {
			continue
		}
		var x engine.Escalation
		if err := json.Unmarshal([]byte(m[c]), &x); err != nil {
			return nil, storeErr(fmt.Sprintf("decode in-flight %q", c), err)
		}
		out = append(out, x)
	}
	return out, nil
}

// MarkEpoch sets the store's epoch marker unless it exists and reports
// whether it had to (one SET NX). The marker never expires, so a missing
// one means the store was emptied (a Redis restarted without persistence,
// a FLUSHALL) or never used: whoever finds it missing must write back
// everything it keeps only in the store, such as the presence cache,
// which is otherwise written only when an expert changes.
func (s *Store) MarkEpoch(ctx context.Context, id string) (bool, error) {
	ok, err := s.c.SetNX(ctx, s.prefix+"epoch", id, 0).Result()
	if err != nil {
		return false, storeErr("epoch", err)
	}
	return ok, nil
}

// releaseScript: KEYS[1] = claim key; ARGV[1] = holder.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// ClaimFirst implements engine.Store with one script run (none when there
// are no candidates). TTLs are rounded up to whole milliseconds.
func (s *Store) ClaimFirst(ctx context.Context, candidates []engine.ExpertID, holder string, ttl time.Duration) (int, error) {
	if len(candidates) == 0 {
		return -1, nil
	}
	// All keys are substrings of one string: two allocations, not n.
	n := 0
	for _, e := range candidates {
		n += len(s.prefix) + len("claim:") + len(e)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, e := range candidates {
		sb.WriteString(s.prefix)
		sb.WriteString("claim:")
		sb.WriteString(string(e))
	}
	all := sb.String()
	keys := make([]string, len(candidates))
	off := 0
	for i, e := range candidates {
		l := len(s.prefix) + len("claim:") + len(e)
		keys[i] = all[off : off+l]
		off += l
	}
	i, err := claimFirstScript.Run(ctx, s.c, keys, holder, ttlMillis(ttl)).Int()
	if err != nil {
		return -1, storeErr(fmt.Sprintf("claim first of %d", len(candidates)), err)
	}
	if i < -1 || i >= len(candidates) {
		return -1, storeErr("claim first", fmt.Errorf("script returned index %d for %d candidates", i, len(candidates)))
	}
	return i, nil
}

// Transition implements engine.Store (compare-and-set in one script).
func (s *Store) Transition(ctx context.Context, expert engine.ExpertID, holder, newHolder string, ttl time.Duration) (bool, error) {
	n, err := transitionScript.Run(ctx, s.c, []string{s.claimKey(expert)}, holder, newHolder, ttlMillis(ttl)).Int()
	if err != nil {
		return false, storeErr(fmt.Sprintf("transition %s", expert), err)
	}
	return n == 1, nil
}

// Release implements engine.Store (compare-and-delete in one script).
func (s *Store) Release(ctx context.Context, expert engine.ExpertID, holder string) (bool, error) {
	n, err := releaseScript.Run(ctx, s.c, []string{s.claimKey(expert)}, holder).Int()
	if err != nil {
		return false, storeErr(fmt.Sprintf("release %s", expert), err)
	}
	return n == 1, nil
}

// Holder implements engine.Store.
func (s *Store) Holder(ctx context.Context, expert engine.ExpertID) (string, error) {
	h, err := s.c.Get(ctx, s.claimKey(expert)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", storeErr(fmt.Sprintf("holder of %s", expert), err)
	}
	return h, nil
}

// AppendDecision implements engine.Store: RPUSH of the JSON decision and
// PEXPIRE of the log in one pipeline (one round trip). The two are not a
// transaction: if PEXPIRE alone fails the error is returned and the log
// keeps its previous expiry until the next append.
func (s *Store) AppendDecision(ctx context.Context, d *engine.Decision) error {
	b, err := json.Marshal(d)
	if err != nil {
		return storeErr(fmt.Sprintf("encode decision %s", d.ID()), err)
	}
	key := s.decisionsKey(d.ConversationID)
	if s.retention <= 0 {
		err = s.c.RPush(ctx, key, b).Err()
	} else {
		_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.RPush(ctx, key, b)
			p.PExpire(ctx, key, s.retention)
			return nil
		})
	}
	if err != nil {
		return storeErr(fmt.Sprintf("append decision %s", d.ID()), err)
	}
	return nil
}

// Decisions implements engine.Store with one LRANGE.
func (s *Store) Decisions(ctx context.Context, conversationID string) ([]engine.Decision, error) {
	key := s.decisionsKey(conversationID)
	vals, err := s.c.LRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, storeErr(fmt.Sprintf("decisions of %q", conversationID), err)
	}
	if len(vals) == 0 {
		return nil, nil
	}
	out := make([]engine.Decision, len(vals))
	for i, v := range vals {
		if err := json.Unmarshal([]byte(v), &out[i]); err != nil {
			return nil, storeErr(fmt.Sprintf("decode %s item %d", key, i), err)
		}
	}
	return out, nil
}
