package notify

import (
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Documented limits and intervals (shared/genesys-api.md §2).
const (
	// DefaultMaxChannels is the channel limit per user+app (OAuth client).
	DefaultMaxChannels = 20
	// DefaultMaxTopics is the topic limit per channel.
	DefaultMaxTopics = 1000
	// ChannelLifetime is how long a channel stays active.
	ChannelLifetime = 24 * time.Hour
	// HeartbeatInterval is the reported interval between server heartbeats.
	HeartbeatInterval = 30 * time.Second
	// SocketClosingGrace is how long after v2.system.socket_closing the
	// socket is closed ("about 1 min before close").
	SocketClosingGrace = time.Minute
	// MaxCombinedTopicLen is the longest combined topic
	// (v2.users.{id}?presence&routingStatus) accepted.
	MaxCombinedTopicLen = 200
	// DefaultQueueSize is the per-socket outgoing queue length.
	DefaultQueueSize = 4096
	// maxBodyBytes is request.bytes.max (§7); it also bounds socket messages.
	maxBodyBytes = 512000
)

// Options configures a Hub. Only Authorize is required.
type Options struct {
	// Authorize validates bearer tokens on the REST endpoints and names the
	// OAuth client that owns the channels. Its error body is sent as is.
	Authorize wire.Authorizer
	// BaseURL returns the server's base URL, e.g. "http://127.0.0.1:8787";
	// connectUri is ws(s)://<host>/channels/{id}. Nil derives it from the
	// request (Host header; wss when the request came over TLS).
	BaseURL func() string
	// Now is the clock for the timestamps the fake reports (expires) and for
	// lazy expiry checks. Default time.Now.
	Now func() time.Time
	// TimeScale makes channel lifetime (24 h), heartbeats (30 s) and the
	// socket_closing grace (1 min) run this much faster in real time.
	// Values <= 0 mean 1.
	TimeScale float64
	// Heartbeat is the real interval between heartbeats; default
	// HeartbeatInterval / TimeScale.
	Heartbeat time.Duration
	// MaxChannels is the channel limit per OAuth client (default 20). The
	// channel created beyond it removes the least recently used channel,
	// unconnected channels first.
	MaxChannels int
	// MaxTopics is the topic limit per channel (default 1000).
	MaxTopics int
	// CombinedCountsPerPart decides how a combined topic counts toward
	// MaxTopics, which the reference leaves unverified: false (the default)
	// counts v2.users.{id}?presence&routingStatus once, true counts each
	// part. Set it to test that a client stays within the stricter reading.
	CombinedCountsPerPart bool
	// ExtendOnSubscribe makes every successful subscription change (REST or
	// socket) restart the channel's 24 h lifetime. The official text ("to
	// maintain longer, resubscribe to topics") suggests it; the reference
	// lists it as unverified, so the default is the stricter false: a
	// channel dies 24 h after creation whatever the client does.
	ExtendOnSubscribe bool
	// KnownTopic says which expanded topics exist (e.g. only users of the
	// fake org). Nil accepts any v2.users.{id}.presence, .routingStatus or
	// .conversations. It is only asked about syntactically valid topics.
	KnownTopic func(topic string) bool
	// QueueSize is each socket's outgoing queue length (default 4096). A
	// socket whose queue is full when an event arrives is dropped.
	QueueSize int
	// Seed drives channel ids and event correlation ids; 0 picks a random
	// seed. Faults have their own seed (Faults.Seed).
	Seed uint64
	// OrganizationID, when set, is reported in v2.system.socket_closing.
	OrganizationID string
}

// Faults are delivery faults applied per event and per channel, decided
// from a stream seeded by Seed and the channel's creation order, so the
// same seed and the same publish sequence give the same faults.
type Faults struct {
	// Drop is the probability that an event is silently lost.
	Drop float64
	// Duplicate is the probability that an event is delivered twice.
	Duplicate float64
	// Reorder is the probability that an event is held back and delivered
	// after the next event for the same socket (or after reorderFlush when
	// no next event comes).
	Reorder float64
	// Delay is added latency before every event is written; order is kept.
	Delay time.Duration
	// Seed seeds the per-channel fault streams.
	Seed uint64
}

func (f Faults) active() bool {
	return f.Drop > 0 || f.Duplicate > 0 || f.Reorder > 0 || f.Delay > 0
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = o.scale(HeartbeatInterval)
	}
	if o.MaxChannels <= 0 {
		o.MaxChannels = DefaultMaxChannels
	}
	if o.MaxTopics <= 0 {
		o.MaxTopics = DefaultMaxTopics
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	return o
}

// scale converts a duration on the service's clock to real time.
func (o Options) scale(d time.Duration) time.Duration {
	s := time.Duration(float64(d) / o.TimeScale)
	if s < time.Millisecond {
		s = time.Millisecond
	}
	return s
}
