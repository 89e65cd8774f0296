package genesys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// CallerHeader is a request header the fake records, unread otherwise, in
// its truth log: a test harness that runs several clients (serve replicas)
// against one fake tags each client's requests with it (through a proxy),
// so invariants can tell which client read or assigned what.
const CallerHeader = "X-Fake-Caller"

// Truth is the fake's own record of what happened, for invariant checkers
// that must not trust the client's bookkeeping: every presence change,
// every /assign as it arrived and as it was answered, every bulk presence
// read, every delivery with the presence the user had when it alerted.
// Options.Truth turns it on (it grows without bound otherwise unused).
type Truth struct {
	Presence   []TruthPresence   `json:"presence"`
	Arrivals   []TruthArrival    `json:"arrivals"`
	Assigns    []TruthAssign     `json:"assigns"`
	BulkReads  []TruthBulkRead   `json:"bulkReads"`
	Deliveries []TruthDelivery   `json:"deliveries"`
	Accepted   map[string]string `json:"accepted"` // conversation id → user id of the accepted delivery
}

// TruthPresence is one presence set (a flip sets several at one instant;
// Seq orders them).
type TruthPresence struct {
	Seq            int       `json:"seq"`
	At             time.Time `json:"at"`
	UserID         string    `json:"userId"`
	PresenceID     string    `json:"presenceId"`
	SystemPresence string    `json:"systemPresence"` // UPPER_SNAKE
}

// TruthArrival is a POST …/assign as it arrived, before injected faults
// (429, 503, latency): the attempt, whatever became of it. UserID is the
// body's id when it parses.
type TruthArrival struct {
	At             time.Time `json:"at"`
	ConversationID string    `json:"conversationId"`
	UserID         string    `json:"userId,omitempty"`
	Caller         string    `json:"caller"`
}

// TruthAssign is a POST …/assign that reached the handler, with its answer:
// Status 202 means a delivery started.
type TruthAssign struct {
	At             time.Time `json:"at"`
	ConversationID string    `json:"conversationId"`
	UserID         string    `json:"userId"`
	Caller         string    `json:"caller"`
	Status         int       `json:"status"`
	Code           string    `json:"code,omitempty"`
}

// TruthBulkRead is one answered GET /api/v2/users/presences/purecloud/bulk.
type TruthBulkRead struct {
	At      time.Time `json:"at"`
	Caller  string    `json:"caller"`
	UserIDs []string  `json:"userIds"`
}

// TruthDelivery is a delivery with the user's presence and routing status
// at the instant it started alerting and the conversation's priority.
type TruthDelivery struct {
	Delivery
	Priority       int    `json:"priority"`
	PresenceID     string `json:"presenceId"`
	SystemPresence string `json:"systemPresence"`
	RoutingStatus  string `json:"routingStatus"`
}

// truthLog accumulates Truth; nil when Options.Truth is off.
type truthLog struct {
	mu sync.Mutex
	t  Truth
}

func (l *truthLog) presence(at time.Time, u *userState) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.t.Presence = append(l.t.Presence, TruthPresence{Seq: len(l.t.Presence), At: at, UserID: u.ID,
		PresenceID: u.presence.ID, SystemPresence: systemPresenceUpper(u.presence.SystemPresence)})
	l.mu.Unlock()
}

func (l *truthLog) arrival(at time.Time, r *http.Request) {
	if l == nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/assign") {
		return
	}
	conv := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v2/conversations/"), "/assign")
	// Peek at the body's user id; the handler reads the body as sent.
	head, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	var body struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(head, &body)
	l.mu.Lock()
	l.t.Arrivals = append(l.t.Arrivals, TruthArrival{At: at, ConversationID: conv, UserID: body.ID, Caller: r.Header.Get(CallerHeader)})
	l.mu.Unlock()
}

func (l *truthLog) assign(a TruthAssign) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.t.Assigns = append(l.t.Assigns, a)
	l.mu.Unlock()
}

func (l *truthLog) bulkRead(at time.Time, caller string, ids []string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.t.BulkReads = append(l.t.BulkReads, TruthBulkRead{At: at, Caller: caller, UserIDs: slices.Clone(ids)})
	l.mu.Unlock()
}

// Truth returns a copy of the truth log (empty unless Options.Truth).
// Deliveries come from the live delivery list, so their outcomes are
// current.
func (s *Server) Truth() Truth {
	var out Truth
	if s.truth != nil {
		s.truth.mu.Lock()
		out.Presence = slices.Clone(s.truth.t.Presence)
		out.Arrivals = slices.Clone(s.truth.t.Arrivals)
		out.Assigns = slices.Clone(s.truth.t.Assigns)
		out.BulkReads = slices.Clone(s.truth.t.BulkReads)
		s.truth.mu.Unlock()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out.Accepted = map[string]string{}
	for _, d := range s.deliveries {
		out.Deliveries = append(out.Deliveries, TruthDelivery{
			Delivery: Delivery{ConversationID: d.conv.id, UserID: d.user.ID, ParticipantID: d.part.id, Kind: d.kind,
				Outcome: d.outcome, AlertTime: d.alert, EndTime: timePtr(d.end)},
			Priority: d.conv.priority, PresenceID: d.presenceAtAlert, SystemPresence: d.systemAtAlert, RoutingStatus: d.routingAtAlert,
		})
		if d.outcome == outcomeAccepted {
			out.Accepted[d.conv.id] = d.user.ID
		}
	}
	return out
}

// FlipPresence sets a user's presence to each of defs in turn at one and
// the same instant (one modifiedDate, millisecond precision), publishing
// each change: the same-millisecond flips a real client produces when a
// calendar sync and a user click race. The last one is the truth.
func (s *Server) FlipPresence(userID string, defs ...string) error {
	ds := make([]*PresenceDefinition, 0, len(defs))
	for _, id := range defs {
		d := s.defs[id]
		if d == nil {
			return errUnknownDefinition(id)
		}
		ds = append(ds, d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return errUnknownUser(userID)
	}
	at := s.clock.Now().Truncate(time.Millisecond)
	for _, d := range ds {
		s.setPresenceAt(u, d, u.message, at)
	}
	return nil
}

func errUnknownDefinition(id string) error {
	return fmt.Errorf("genesys: presence definition %q does not exist", id)
}

func errUnknownUser(id string) error { return fmt.Errorf("genesys: user %q does not exist", id) }

func (s *Server) handleAdminTruth(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, s.Truth())
}
