package genesys

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// History is the fake's analytics store: the past the analytics and
// Workforce Management endpoints serve. Conversation detail records, each
// user's primary-presence and routing-status segments, and WFM schedule
// shifts are appended through the exported methods (by `shadowq fake
// --history`, which generates past days from a scenario, and by anything
// that wants live activity to become history) and read back through
//
//   - POST /api/v2/analytics/conversations/details/query
//   - POST /api/v2/analytics/users/details/query (merged with the live
//     segments the fake records itself)
//   - POST /api/v2/workforcemanagement/businessunits/{buId}/agentschedules/search
//
// Safe for concurrent use. Times are stored in UTC at millisecond
// precision, the API's resolution.
type History struct {
	mu       sync.RWMutex
	convs    []AnalyticsConversation // sorted by ConversationStart, then id, when sorted is true
	sorted   bool
	presence map[string][]PresenceSegment // by user id, sorted by Start when sorted
	routing  map[string][]RoutingSegment
	shifts   map[string][]ScheduleShift
}

// NewHistory returns an empty store.
func NewHistory() *History {
	return &History{sorted: true, presence: map[string][]PresenceSegment{}, routing: map[string][]RoutingSegment{},
		shifts: map[string][]ScheduleShift{}}
}

// PresenceSegment is one stretch of a user's primary presence in the past.
// A zero End is the open, current segment (served without endTime).
type PresenceSegment struct {
	Start, End time.Time
	// SystemPresence is the analytics spelling, e.g. ON_QUEUE, MEETING.
	SystemPresence string
	// OrganizationPresenceID is the presence definition's GUID. It may
	// name a definition that no longer exists (deleted since).
	OrganizationPresenceID string
}

// RoutingSegment is one stretch of a user's routing status: OFF_QUEUE,
// IDLE, INTERACTING, COMMUNICATING or NOT_RESPONDING.
type RoutingSegment struct {
	Start, End time.Time
	Status     string
}

// ScheduleShift is one WFM shift of one agent with its activities.
type ScheduleShift struct {
	Start      time.Time
	Length     time.Duration
	Activities []ScheduleActivity
}

// ScheduleActivity is one scheduled activity inside a shift; its
// ActivityCodeID is one of the business unit's activity codes
// (ActivityCodeMeeting, ...).
type ScheduleActivity struct {
	Start          time.Time
	Length         time.Duration
	ActivityCodeID string
	Description    string
	Paid           bool
}

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func msPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ms(*t)
	return &v
}

// AppendConversations adds conversation detail records (see ACDCall for
// building one). Records with an id already stored are added again:
// callers append each conversation once.
func (h *History) AppendConversations(cs ...AnalyticsConversation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range cs {
		c = c.normalized()
		if n := len(h.convs); n > 0 && h.sorted && compareConv(&h.convs[n-1], &c) > 0 {
			h.sorted = false
		}
		h.convs = append(h.convs, c)
	}
}

// AppendPresence adds primary-presence segments of one user.
func (h *History) AppendPresence(userID string, segs ...PresenceSegment) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range segs {
		s.Start, s.End = ms(s.Start), msZero(s.End)
		h.presence[userID] = append(h.presence[userID], s)
	}
	h.sorted = false
}

// AppendRouting adds routing-status segments of one user.
func (h *History) AppendRouting(userID string, segs ...RoutingSegment) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range segs {
		s.Start, s.End = ms(s.Start), msZero(s.End)
		h.routing[userID] = append(h.routing[userID], s)
	}
	h.sorted = false
}

// AppendShifts adds WFM schedule shifts of one user.
func (h *History) AppendShifts(userID string, shifts ...ScheduleShift) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range shifts {
		s.Start = ms(s.Start)
		for i := range s.Activities {
			s.Activities[i].Start = ms(s.Activities[i].Start)
		}
		h.shifts[userID] = append(h.shifts[userID], s)
	}
	h.sorted = false
}

// Counts reports how many records the store holds.
func (h *History) Counts() (conversations, presenceSegments, routingSegments, shifts int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	conversations = len(h.convs)
	for _, v := range h.presence {
		presenceSegments += len(v)
	}
	for _, v := range h.routing {
		routingSegments += len(v)
	}
	for _, v := range h.shifts {
		shifts += len(v)
	}
	return
}

func msZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return ms(t)
}

func compareConv(a, b *AnalyticsConversation) int {
	if c := a.ConversationStart.Compare(b.ConversationStart); c != 0 {
		return c
	}
	return cmp.Compare(a.ConversationID, b.ConversationID)
}

// sortLocked orders everything; h.mu must be held for writing.
func (h *History) sortLocked() {
	if h.sorted {
		return
	}
	slices.SortStableFunc(h.convs, func(a, b AnalyticsConversation) int { return compareConv(&a, &b) })
	for _, v := range h.presence {
		slices.SortStableFunc(v, func(a, b PresenceSegment) int { return a.Start.Compare(b.Start) })
	}
	for _, v := range h.routing {
		slices.SortStableFunc(v, func(a, b RoutingSegment) int { return a.Start.Compare(b.Start) })
	}
	for _, v := range h.shifts {
		slices.SortStableFunc(v, func(a, b ScheduleShift) int { return a.Start.Compare(b.Start) })
	}
	h.sorted = true
}

// read runs f under the read lock with everything sorted.
func (h *History) read(f func()) {
	h.mu.RLock()
	if !h.sorted {
		h.mu.RUnlock()
		h.mu.Lock()
		h.sortLocked()
		h.mu.Unlock()
		h.mu.RLock()
	}
	defer h.mu.RUnlock()
	f()
}

// conversationsStarting returns the records whose conversationStart lies
// in [from, to), in start order.
func (h *History) conversationsStarting(from, to time.Time) []AnalyticsConversation {
	var out []AnalyticsConversation
	h.read(func() {
		lo, _ := slices.BinarySearchFunc(h.convs, from, func(c AnalyticsConversation, t time.Time) int { return c.ConversationStart.Compare(t) })
		for i := lo; i < len(h.convs) && h.convs[i].ConversationStart.Before(to); i++ {
			out = append(out, h.convs[i])
		}
	})
	return out
}

// userIDs lists every user with stored presence or routing segments.
func (h *History) userIDs() []string {
	var ids []string
	h.read(func() {
		for id := range h.presence {
			ids = append(ids, id)
		}
		for id := range h.routing {
			if _, ok := h.presence[id]; !ok {
				ids = append(ids, id)
			}
		}
	})
	slices.Sort(ids)
	return ids
}

// segments returns one user's stored segments overlapping [from, to).
func (h *History) segments(userID string, from, to time.Time) (p []PresenceSegment, r []RoutingSegment) {
	overlaps := func(a, b time.Time) bool { return a.Before(to) && (b.IsZero() || b.After(from)) }
	h.read(func() {
		for _, s := range h.presence[userID] {
			if overlaps(s.Start, s.End) {
				p = append(p, s)
			}
		}
		for _, s := range h.routing[userID] {
			if overlaps(s.Start, s.End) {
				r = append(r, s)
			}
		}
	})
	return p, r
}

// shiftsIn returns one user's shifts starting in [from, to).
func (h *History) shiftsIn(userID string, from, to time.Time) []ScheduleShift {
	var out []ScheduleShift
	h.read(func() {
		for _, s := range h.shifts[userID] {
			if !s.Start.Before(from) && s.Start.Before(to) {
				out = append(out, s)
			}
		}
	})
	return out
}

// scheduledUsers lists every user with stored shifts.
func (h *History) scheduledUsers() []string {
	var ids []string
	h.read(func() {
		for id := range h.shifts {
			ids = append(ids, id)
		}
	})
	slices.Sort(ids)
	return ids
}

// Snapshot returns a copy of every stored record, sorted, for tests and
// exports.
func (h *History) Snapshot() (convs []AnalyticsConversation, presence map[string][]PresenceSegment, routing map[string][]RoutingSegment) {
	presence, routing = map[string][]PresenceSegment{}, map[string][]RoutingSegment{}
	h.read(func() {
		convs = slices.Clone(h.convs)
		for k, v := range h.presence {
			presence[k] = slices.Clone(v)
		}
		for k, v := range h.routing {
			routing[k] = slices.Clone(v)
		}
	})
	return convs, presence, routing
}
