package genesys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/gorilla/websocket"
	"github.com/shadowq/shadowq/engine"
)

// Notification API limits (shared/genesys-api.md §2).
const (
	// MaxTopicsPerChannel is the documented topic limit of one channel.
	MaxTopicsPerChannel = 1000
	// MaxChannels is the channel limit per user and app (OAuth client).
	MaxChannels = 20
)

// FeedOptions configures a Feed. Client, Users and OnEvents are required;
// zero durations take the defaults in brackets.
type FeedOptions struct {
	Client *Client
	// Users is the pool: one combined topic
	// v2.users.{id}?presence&routingStatus&conversations per user.
	Users []engine.ExpertID
	// OnEvents receives events in batches (what arrived within BatchWindow
	// of the first, at most BatchMax). Required.
	OnEvents func([]engine.Event)
	// OnGap is called after events may have been missed: once the first
	// subscription is live (nothing before it was seen), after every
	// reconnect and after every rollover. The caller should Resync.
	OnGap func()

	// UsersPerChannel is how many users (combined topics) share a channel
	// [1000]. Whether a combined topic counts once or once per part toward
	// the 1,000-topic limit is unverified; set 333 for the strict reading.
	UsersPerChannel int
	// MaxChannels bounds the channels used [20]. One is always kept spare
	// for rollover overlap, so at most MaxChannels−1 hold subscriptions
	// (the limit is per OAuth client: other processes using the same
	// client share it).
	MaxChannels int
	// SubscribeBatch is how many topics one subscription request carries
	// [1000].
	SubscribeBatch int
	// HeartbeatTimeout: no message for this long means the socket is dead
	// and is replaced [75 s; Genesys sends a heartbeat about every 30 s].
	HeartbeatTimeout time.Duration
	// PingInterval: after this much silence the feed sends
	// {"message":"ping"} (and again every PingInterval) [30 s].
	PingInterval time.Duration
	// RolloverLead is how long before a channel's end (24 h, or its
	// token's expiry if sooner) the feed moves to a new channel [10 min;
	// at most a quarter of the channel's life].
	RolloverLead time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff (with
	// ±50 % jitter) between failed attempts to connect or roll over
	// [500 ms, 30 s].
	ReconnectMin, ReconnectMax time.Duration
	// BatchWindow [1 ms] and BatchMax [512] shape OnEvents batches.
	BatchWindow time.Duration
	BatchMax    int
	// DedupeSize is how many recent events are remembered to drop
	// duplicates [65536].
	DedupeSize int
	// Dialer connects WebSockets [websocket.DefaultDialer settings with a
	// 10 s handshake timeout].
	Dialer *websocket.Dialer
	// Metrics [the Client's]; Logger [discard].
	Metrics Metrics
	Logger  *slog.Logger
}

// Feed is the Notification API client: it keeps the pool subscribed
// through one or more channels and turns what arrives into engine events.
//
// Per channel ("slot"), it creates the channel, subscribes its users, and
// connects. It replaces the socket when it fails or stays silent past
// HeartbeatTimeout (reconnecting to the same channel while that is still
// valid, else creating a new one), with exponential backoff and jitter
// between failed attempts. Before the channel's 24 h or its token's expiry,
// and on v2.system.socket_closing, it rolls over: it opens and subscribes
// a new channel, connects, and only then closes the old one. Events seen
// on both during the overlap (and duplicates in general) are dropped by
// (topic, correlation id) — or (topic, body hash) without one.
//
// Ordering and goroutines: OnEvents and OnGap are called from the
// goroutine running Run, one call at a time, never concurrently. Events
// keep the order in which each socket delivered them; across channels
// there is no order (the engine orders by event time). OnGap comes after
// the events that arrived before the gap was detected; gaps detected
// within one batch window are reported by one call. The slice passed to
// OnEvents belongs to the callee. Both callbacks should return quickly:
// while they run, sockets are not read.
type Feed struct {
	o      FeedOptions
	c      *Client
	dialer *websocket.Dialer
	log    *slog.Logger
	m      Metrics
	slots  [][]string // topics per channel
	in     chan item

	running atomic.Bool
}

// item is what sockets send to the merge goroutine: one event, or a gap.
type item struct {
	key uint64
	ev  engine.Event
	gap bool
}

// NewFeed checks o and splits the pool into channels.
func NewFeed(o FeedOptions) (*Feed, error) {
	switch {
	case o.Client == nil:
		return nil, errors.New("genesys: FeedOptions.Client is required")
	case o.OnEvents == nil:
		return nil, errors.New("genesys: FeedOptions.OnEvents is required")
	}
	users := slices.Clone(o.Users)
	slices.Sort(users)
	users = slices.Compact(users)
	if len(users) > 0 && users[0] == "" {
		users = users[1:]
	}
	if len(users) == 0 {
		return nil, errors.New("genesys: FeedOptions.Users is empty")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defi := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	defi(&o.UsersPerChannel, MaxTopicsPerChannel)
	o.UsersPerChannel = min(o.UsersPerChannel, MaxTopicsPerChannel)
	defi(&o.MaxChannels, MaxChannels)
	defi(&o.SubscribeBatch, MaxTopicsPerChannel)
	def(&o.HeartbeatTimeout, 75*time.Second)
	def(&o.PingInterval, 30*time.Second)
	def(&o.RolloverLead, 10*time.Minute)
	def(&o.ReconnectMin, 500*time.Millisecond)
	def(&o.ReconnectMax, 30*time.Second)
	def(&o.BatchWindow, time.Millisecond)
	defi(&o.BatchMax, 512)
	defi(&o.DedupeSize, 1<<16)
	if o.OnGap == nil {
		o.OnGap = func() {}
	}
	f := &Feed{o: o, c: o.Client, dialer: o.Dialer, log: o.Logger, m: o.Metrics}
	if f.dialer == nil {
		f.dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 10 * time.Second}
	}
	if f.log == nil {
		f.log = o.Client.log
	}
	if f.m == nil {
		f.m = o.Client.metrics
	}
	for chunk := range slices.Chunk(users, o.UsersPerChannel) {
		topics := make([]string, len(chunk))
		for i, u := range chunk {
			topics[i] = CombinedTopic(u)
		}
		f.slots = append(f.slots, topics)
	}
	if usable := max(1, o.MaxChannels-1); len(f.slots) > usable {
		return nil, fmt.Errorf("genesys: %d users need %d channels of %d users; at most %d may hold subscriptions (one of %d is kept for rollover)",
			len(users), len(f.slots), o.UsersPerChannel, usable, o.MaxChannels)
	}
	return f, nil
}

// CombinedTopic is the one subscription that carries a user's presence,
// routing status and conversations.
func CombinedTopic(u engine.ExpertID) string {
	return "v2.users." + string(u) + "?presence&routingStatus&conversations"
}

// Channels is how many channels the pool needs (rollover briefly adds one).
func (f *Feed) Channels() int { return len(f.slots) }

// Run keeps the pool subscribed until ctx ends, then closes every socket
// and returns nil. It returns an error early only if a channel cannot be
// set up at all the first time (rejected credentials, missing
// permissions, too many topics): after the first success every failure is
// retried. Run must not be called twice at once.
func (f *Feed) Run(ctx context.Context) error {
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("genesys: Feed.Run is already running")
	}
	defer f.running.Store(false)
	f.in = make(chan item, 1024) // nothing from an earlier Run leaks in
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg        sync.WaitGroup
		fatalOnce sync.Once
		fatal     error
	)
	for i, topics := range f.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.runSlot(ctx, i, topics); err != nil {
				fatalOnce.Do(func() { fatal = err; cancel() })
			}
		}()
	}
	f.merge(ctx)
	wg.Wait()
	return fatal
}

// merge is the Run goroutine's loop: it de-duplicates, batches and calls
// the callbacks until ctx ends.
func (f *Feed) merge(ctx context.Context) {
	dd := newDedupe(f.o.DedupeSize)
	var (
		batch []engine.Event
		gap   bool
		timer = time.NewTimer(time.Hour)
		armed bool
	)
	timer.Stop()
	defer timer.Stop()
	flush := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		if len(batch) > 0 {
			b := batch
			batch = nil
			f.m.FeedEvents(len(b))
			f.o.OnEvents(b)
		}
		if gap {
			gap = false
			f.m.FeedGap()
			f.o.OnGap()
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-f.in:
			switch {
			case it.gap:
				gap = true
			case dd.seen(it.key):
				f.m.FeedDuplicates(1)
				continue
			default:
				batch = append(batch, it.ev)
			}
			if len(batch) >= f.o.BatchMax {
				flush()
			} else if !armed {
				timer.Reset(f.o.BatchWindow)
				armed = true
			}
		case <-timer.C:
			armed = false
			flush()
		}
	}
}

func (f *Feed) signalGap(ctx context.Context) {
	select {
	case f.in <- item{gap: true}:
	case <-ctx.Done():
	}
}

// why a watch ended.
type endReason uint8

const (
	endCtx endReason = iota
	endLost
	endHeartbeat
	endDead
	endRollover
	endClosing
)

var endNames = [...]string{"stopped", "socket lost", "heartbeat timeout", "channel gone", "rollover due", "socket closing"}

func (r endReason) String() string { return endNames[r] }

// runSlot keeps one group of topics subscribed on a live socket.
func (f *Feed) runSlot(ctx context.Context, idx int, topics []string) error {
	log := f.log.With("slot", idx)
	rollBackoff := f.newBackoff()
	// lostBackoff spaces out reconnects of sockets that die young, so a
	// server that accepts and drops at once is not hammered.
	lostBackoff := f.newBackoff()
	s, err := f.connect(ctx, log, topics, true)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("genesys feed: channel %d of %d: %w", idx+1, len(f.slots), err)
	}
	f.signalGap(ctx)
	for {
		why := f.watch(ctx, s, f.rolloverAt(s))
		switch why {
		case endCtx:
			s.close()
			return nil
		case endRollover, endClosing:
			log.Info("genesys feed: rolling over", "channel", s.ch.id, "why", why)
			ns, err := f.open(ctx, log, topics)
			if err != nil {
				if ctx.Err() != nil {
					s.close()
					return nil
				}
				wait := rollBackoff.NextBackOff()
				s.retryRollAt = time.Now().Add(wait)
				log.Warn("genesys feed: rollover failed; keeping the old channel", "channel", s.ch.id, "retryIn", wait, "err", err)
				continue
			}
			rollBackoff.Reset()
			s.close()
			s = ns
			f.m.FeedRollover()
			f.signalGap(ctx)
		default:
			s.close() // after close, s.err is safe to read
			log.Warn("genesys feed: reconnecting", "channel", s.ch.id, "why", why, "readErr", s.err, "pingErr", s.pingErr)
			f.m.FeedReconnect()
			old, lived := s.ch, time.Since(s.started)
			s = nil
			if lived >= f.o.HeartbeatTimeout {
				lostBackoff.Reset()
			} else if !sleepCtx(ctx, lostBackoff.NextBackOff()) {
				return nil
			}
			if why != endDead && time.Now().Before(f.rolloverAt(&session{ch: old})) {
				// Subscriptions belong to the channel: reconnecting to it
				// is enough while it lives.
				if ns, err := f.dial(ctx, old); err == nil {
					s = ns
				} else {
					log.Info("genesys feed: channel not reusable; creating a new one", "channel", old.id, "err", err)
				}
			}
			if s == nil {
				if s, err = f.connect(ctx, log, topics, false); err != nil {
					return nil // only ctx ends a non-first connect
				}
			}
			f.signalGap(ctx)
		}
	}
}

// connect opens a channel, retrying with backoff and jitter until it
// succeeds or ctx ends. On the first connect, errors that retrying cannot
// fix (4xx other than 408/429, rejected credentials) are returned.
func (f *Feed) connect(ctx context.Context, log *slog.Logger, topics []string, first bool) (*session, error) {
	return backoff.Retry(ctx, func() (*session, error) {
		s, err := f.open(ctx, log, topics)
		if err != nil && first && permanent(err) {
			return nil, backoff.Permanent(err)
		}
		return s, err
	},
		backoff.WithBackOff(f.newBackoff()),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, wait time.Duration) {
			log.Warn("genesys feed: cannot open a channel; retrying", "in", wait, "err", err)
		}))
}

func (f *Feed) newBackoff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     f.o.ReconnectMin,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         f.o.ReconnectMax,
	}
	b.Reset()
	return b
}

// open creates a channel, subscribes topics and connects.
func (f *Feed) open(ctx context.Context, log *slog.Logger, topics []string) (*session, error) {
	ch, err := f.c.createChannel(ctx, 2*f.o.RolloverLead)
	if err != nil {
		return nil, err
	}
	rejected, err := f.c.subscribe(ctx, ch.id, topics, f.o.SubscribeBatch)
	if err != nil {
		return nil, err
	}
	if len(rejected) > 0 {
		log.Warn("genesys feed: topics rejected", "channel", ch.id, "count", len(rejected), "first", rejected[:min(5, len(rejected))])
	}
	if len(rejected) == len(topics) {
		return nil, fmt.Errorf("genesys feed: channel %s: %w, e.g. %s", ch.id, errAllRejected, rejected[0])
	}
	return f.dial(ctx, ch)
}

// rolloverAt is when s's channel should be replaced: RolloverLead (at most
// a quarter of its life) before the channel expires or its token does,
// whichever is first; or the retry time after a failed rollover.
func (f *Feed) rolloverAt(s *session) time.Time {
	if !s.retryRollAt.IsZero() {
		return s.retryRollAt
	}
	end := s.ch.expires
	if !s.ch.tokenExpires.IsZero() && s.ch.tokenExpires.Before(end) {
		end = s.ch.tokenExpires
	}
	lead := min(f.o.RolloverLead, end.Sub(s.ch.created)/4)
	return end.Add(-lead)
}

// watch waits for the reason s must be replaced, sending pings when the
// socket is quiet.
func (f *Feed) watch(ctx context.Context, s *session, rollAt time.Time) endReason {
	check := max(min(f.o.HeartbeatTimeout, f.o.PingInterval)/4, time.Millisecond)
	tick := time.NewTicker(check)
	defer tick.Stop()
	roll := time.NewTimer(max(time.Until(rollAt), 0))
	defer roll.Stop()
	closing := s.closing
	if s.closingSeen {
		closing = nil
	}
	for {
		select {
		case <-ctx.Done():
			return endCtx
		case <-s.done:
			return endLost
		case <-s.dead:
			return endDead
		case <-closing:
			s.closingSeen = true
			return endClosing
		case <-roll.C:
			return endRollover
		case now := <-tick.C:
			idle := now.Sub(time.Unix(0, s.last.Load()))
			if idle >= f.o.HeartbeatTimeout {
				return endHeartbeat
			}
			if idle >= f.o.PingInterval && now.Sub(s.lastPing) >= f.o.PingInterval {
				if err := s.ping(); err != nil {
					s.pingErr = err
					return endLost
				}
			}
		}
	}
}

// errAllRejected: Genesys rejected every topic of a channel (unknown
// users, missing permissions).
var errAllRejected = errors.New("every topic was rejected")

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	if errors.Is(err, errAllRejected) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusRequestTimeout && ae.Status != http.StatusTooManyRequests
	}
	var oe *OAuthError
	if errors.As(err, &oe) {
		return oe.Status >= 400 && oe.Status < 500 && oe.Status != http.StatusTooManyRequests
	}
	return false
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
