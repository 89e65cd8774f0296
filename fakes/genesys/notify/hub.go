package notify

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Hub is the fake Notification service: channels, their subscriptions and
// sockets, and the fan-out of published events. Create it with New, serve
// Handler, feed it with Publish, and Close it when done.
type Hub struct {
	opts     Options
	known    func(string) bool
	upgrader websocket.Upgrader
	handler  http.Handler
	seed     uint64
	corr     atomic.Uint64 // correlation-id counter, hashed with seed
	st       counters
	wg       sync.WaitGroup // socket reader and writer goroutines

	mu       sync.Mutex // guards everything below and every channel's fields
	closed   bool
	channels map[string]*channel
	byClient map[string][]*channel // creation order
	index    map[string][]*channel // expanded topic → subscribed channels, creation order
	sockets  map[*socket]struct{}
	idRand   *rand.Rand // channel ids
	seq      uint64     // channel creation counter
	tick     uint64     // logical clock for "last used"
	paused   bool
	faults   Faults
}

// Hub satisfies the REST half's publisher contract.
var _ wire.Publisher = (*Hub)(nil)

// Stats is a snapshot of the hub's counters. Event counts are per frame and
// per channel: one Publish to a topic three channels subscribe to accounts
// for three frames.
type Stats struct {
	Channels int // live channels
	Sockets  int // connected WebSockets

	Published    uint64 // Publish calls
	EncodeErrors uint64 // Publish bodies that could not be marshalled (nothing sent)
	Delivered    uint64 // event frames written to a socket (a duplicate counts twice)
	Duplicated   uint64 // extra frames queued by the Duplicate fault
	Reordered    uint64 // frames held back by the Reorder fault

	// Dropped is every event frame that never reached a socket: the sum of
	// the reasons below.
	Dropped            uint64
	DroppedUnconnected uint64 // the channel had no socket (no durability)
	DroppedPaused      uint64 // published while Pause(true)
	DroppedFault       uint64 // the Drop fault
	DroppedOverflow    uint64 // the socket's queue was full (and the socket was dropped)
	DroppedDiscarded   uint64 // still queued when the socket closed

	SlowConsumers uint64 // sockets dropped because their queue was full
	Heartbeats    uint64 // heartbeat frames written
}

type counters struct {
	published, encodeErrors, delivered, duplicated, reordered atomic.Uint64
	unconnected, paused, fault, overflow, discarded           atomic.Uint64
	slow, heartbeats                                          atomic.Uint64
}

// New makes a Hub. Options.Authorize is required: New panics without it,
// since a fake that lets every token through would hide client bugs.
func New(opts Options) *Hub {
	if opts.Authorize == nil {
		panic("notify: Options.Authorize is required")
	}
	opts = opts.withDefaults()
	seed := opts.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	var chachaSeed [32]byte
	for i := range 4 {
		binary.LittleEndian.PutUint64(chachaSeed[8*i:], splitmix64(seed+uint64(i)))
	}
	h := &Hub{
		opts:     opts,
		known:    opts.KnownTopic,
		seed:     seed,
		channels: make(map[string]*channel),
		byClient: make(map[string][]*channel),
		index:    make(map[string][]*channel),
		sockets:  make(map[*socket]struct{}),
		idRand:   rand.New(rand.NewChaCha8(chachaSeed)),
	}
	if h.known == nil {
		h.known = defaultKnownTopic
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 16 << 10,
		// connectUri is pre-authorised by the channel id; browsers and
		// servers alike may connect.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	h.handler = h.routes()
	return h
}

// Handler serves /api/v2/notifications/... (bearer-authenticated) and
// GET /channels/{id} (the WebSocket, authorised by the channel id alone).
// It matches full paths: mount it on APIPrefix and SocketPrefix as is,
// without http.StripPrefix.
func (h *Hub) Handler() http.Handler { return h.handler }

// Publish fans an event out to every channel subscribed to topic (an
// expanded topic such as v2.users.{id}.presence). The envelope is encoded
// once; each connected socket gets it through its own bounded queue. It
// never blocks on a consumer: a socket whose queue is full is closed
// abnormally and counted as a slow consumer. Events for channels without a
// socket, or published while paused, are lost, as with the real service.
func (h *Hub) Publish(topic string, body any) {
	h.st.published.Add(1)
	h.mu.Lock()
	n := len(h.index[topic])
	h.mu.Unlock()
	if n == 0 {
		return
	}
	data, err := encodeEnvelope(topic, body, h.correlationID())
	if err != nil {
		h.st.encodeErrors.Add(1)
		return
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for _, ch := range h.index[topic] {
		h.deliverLocked(ch, data, now)
	}
}

func (h *Hub) deliverLocked(ch *channel, data []byte, now time.Time) {
	s := ch.sock
	switch {
	case s == nil:
		h.st.unconnected.Add(1)
		return
	case h.paused:
		h.st.paused.Add(1)
		return
	}
	m := outMsg{data: data}
	copies := 1
	if f := h.faults; f.active() {
		// Always draw three numbers so one fault's probability does not
		// shift the stream the others see.
		drop, dup, reorder := ch.faults.Float64(), ch.faults.Float64(), ch.faults.Float64()
		if drop < f.Drop {
			h.st.fault.Add(1)
			return
		}
		if dup < f.Duplicate {
			copies = 2
			h.st.duplicated.Add(1)
		}
		if reorder < f.Reorder {
			m.hold = true
			h.st.reordered.Add(1)
		}
		if f.Delay > 0 {
			m.due = now.Add(f.Delay)
		}
	}
	for i := range copies {
		select {
		case s.out <- m:
		default:
			h.st.overflow.Add(uint64(copies - i))
			h.st.slow.Add(1)
			h.endSocketLocked(s, stopAbort, nil, 0, "")
			return
		}
		m.hold = false // only the first copy is held back
	}
}

// Close drops every socket, stops every timer and waits for the socket
// goroutines to finish. Afterwards the REST endpoints answer 503 and
// sockets are refused.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for s := range h.sockets {
		h.endSocketLocked(s, stopAbort, nil, 0, "")
	}
	for _, ch := range h.channels {
		ch.timer.Stop()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// DropSockets closes every WebSocket abnormally (no close frame: the client
// sees 1006) and returns how many it closed. Channels and subscriptions
// survive; clients may reconnect to the same connectUri.
func (h *Hub) DropSockets() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.sockets)
	for s := range h.sockets {
		h.endSocketLocked(s, stopAbort, nil, 0, "")
	}
	return n
}

// Pause stops (true) or resumes (false) event delivery. Events published
// while paused are lost, not queued, as in a real outage; heartbeats and
// control replies keep flowing.
func (h *Hub) Pause(paused bool) {
	h.mu.Lock()
	h.paused = paused
	h.mu.Unlock()
}

// SetFaults replaces the delivery faults and reseeds every channel's fault
// stream from f.Seed. The zero Faults turns them off.
func (h *Hub) SetFaults(f Faults) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = f
	for _, ch := range h.channels {
		ch.faults = newFaultStream(f.Seed, ch.seq)
	}
}

// SendSocketClosing sends v2.system.socket_closing on the channel's socket
// and closes it (close code 1001) SocketClosingGrace later, time-scaled.
// The channel and its subscriptions survive. It does nothing when the
// channel has no socket.
func (h *Hub) SendSocketClosing(channelID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.channels[channelID]
	if ch == nil || ch.sock == nil {
		return
	}
	s := ch.sock
	cid := h.correlationID()
	body := socketClosingBody{
		ChannelID:       ch.id,
		SystemTopicType: "socket_closing",
		CorrelationID:   string(cid[:]),
		OrganizationID:  h.opts.OrganizationID,
		OAuthClientID:   ch.client,
		Reason:          "maintenance",
		Message:         "The WebSocket will be closed in about one minute; reconnect to continue receiving notifications.",
		Data:            map[string]any{},
	}
	data, _ := encodeEnvelope(SocketClosingTopic, body, h.correlationID())
	select {
	case s.ctrl <- data:
	default: // the warning is "not guaranteed"
	}
	if s.closeTimer == nil {
		s.closeTimer = time.AfterFunc(h.opts.scale(SocketClosingGrace), func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.endSocketLocked(s, stopGraceful, nil, websocket.CloseGoingAway, "socket closing")
		})
	}
}

// socketClosingBody is SystemMessageSystemMessage (Go SDK model).
type socketClosingBody struct {
	ChannelID       string         `json:"channelId"`
	SystemTopicType string         `json:"systemTopicType"`
	CorrelationID   string         `json:"correlationId"`
	OrganizationID  string         `json:"organizationId,omitempty"`
	UserID          string         `json:"userId,omitempty"`
	OAuthClientID   string         `json:"oauthClientId,omitempty"`
	Reason          string         `json:"reason"`
	Message         string         `json:"message"`
	Data            map[string]any `json:"data"`
}

// ExpireChannel ends a channel as if its 24 h had passed: it disappears from
// the REST API, and a connected socket gets {"result":"404",...} and a
// close frame.
func (h *Hub) ExpireChannel(channelID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch := h.channels[channelID]; ch != nil {
		h.removeLocked(ch, "expired")
	}
}

// Stats returns a snapshot of the counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	nch, nsock := len(h.channels), len(h.sockets)
	h.mu.Unlock()
	st := Stats{
		Channels:           nch,
		Sockets:            nsock,
		Published:          h.st.published.Load(),
		EncodeErrors:       h.st.encodeErrors.Load(),
		Delivered:          h.st.delivered.Load(),
		Duplicated:         h.st.duplicated.Load(),
		Reordered:          h.st.reordered.Load(),
		DroppedUnconnected: h.st.unconnected.Load(),
		DroppedPaused:      h.st.paused.Load(),
		DroppedFault:       h.st.fault.Load(),
		DroppedOverflow:    h.st.overflow.Load(),
		DroppedDiscarded:   h.st.discarded.Load(),
		SlowConsumers:      h.st.slow.Load(),
		Heartbeats:         h.st.heartbeats.Load(),
	}
	st.Dropped = st.DroppedUnconnected + st.DroppedPaused + st.DroppedFault + st.DroppedOverflow + st.DroppedDiscarded
	return st
}

// correlationID draws the next id from the hub's seed: the same seed and
// the same sequence of calls give the same ids.
func (h *Hub) correlationID() [36]byte {
	c := h.corr.Add(1)
	return uuidFrom(splitmix64(h.seed^(2*c)), splitmix64(h.seed^(2*c+1)))
}

func newFaultStream(seed, channelSeq uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix64(channelSeq)))
}
