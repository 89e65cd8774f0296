package genesys

import (
	"cmp"
	"slices"
	"time"
)

// Routing statuses ([S] RoutingStatus.status).
const (
	routingOffQueue      = "OFF_QUEUE"
	routingIdle          = "IDLE"
	routingInteracting   = "INTERACTING"
	routingNotResponding = "NOT_RESPONDING"
)

// maxSegments bounds each user's presence and routing-status history; the
// oldest half is dropped when it is reached.
const maxSegments = 20000

// userState is one user's seed data plus what changes at run time.
type userState struct {
	User
	queues []*Queue // queues the user is a member of

	presence         *PresenceDefinition
	message          string
	presenceModified time.Time
	routing          string
	routingStart     time.Time
	answer           AnswerModel
	connected        int // conversations in which the user is the connected agent

	presenceHist []presenceSegment
	routingHist  []routingSegment
}

// presenceSegment is one stretch of a user's primary presence; end is zero
// while it is open.
type presenceSegment struct {
	start, end     time.Time
	systemPresence string // UPPER_SNAKE
	orgPresenceID  string
}

type routingSegment struct {
	start, end time.Time
	status     string
}

func (s *Server) initUsers() {
	now := s.clock.Now()
	members := map[string][]*Queue{}
	for i := range s.org.Queues {
		q := &s.org.Queues[i]
		for _, m := range q.Members {
			members[m] = append(members[m], q)
		}
	}
	for i := range s.org.Users {
		su := s.org.Users[i]
		if su.State == "" {
			su.State = "active"
		}
		if su.PresenceID == "" {
			su.PresenceID = PresenceAvailable
		}
		ans := s.opts.Answer
		if su.Answer != nil {
			ans = *su.Answer
		}
		u := &userState{
			User:             su,
			queues:           members[su.ID],
			presence:         s.defs[su.PresenceID],
			presenceModified: now,
			answer:           ans.withDefaults(),
			routingStart:     now,
		}
		u.routing = u.idleRouting()
		u.presenceHist = []presenceSegment{{start: now, systemPresence: systemPresenceUpper(u.presence.SystemPresence), orgPresenceID: u.presence.ID}}
		u.routingHist = []routingSegment{{start: now, status: u.routing}}
		s.users[u.ID] = u
		s.userOrder = append(s.userOrder, u)
	}
	slices.SortFunc(s.userOrder, func(a, b *userState) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

// idleRouting is the routing status a user has when nothing forces one:
// INTERACTING on a connected conversation, else IDLE on queue, else
// OFF_QUEUE.
func (u *userState) idleRouting() string {
	switch {
	case u.connected > 0:
		return routingInteracting
	case u.presence.SystemPresence == "OnQueue":
		return routingIdle
	default:
		return routingOffQueue
	}
}

func (u *userState) member(q *Queue) bool {
	return slices.Contains(u.queues, q)
}

// setPresence changes a user's primary presence and publishes it. Setting
// any presence clears NOT_RESPONDING, the way going On Queue again does in
// Genesys. Callers hold s.mu.
func (s *Server) setPresence(u *userState, def *PresenceDefinition, message string) {
	s.setPresenceAt(u, def, message, s.clock.Now())
}

// setPresenceAt is setPresence with the modifiedDate given. Callers hold
// s.mu.
func (s *Server) setPresenceAt(u *userState, def *PresenceDefinition, message string, now time.Time) {
	if def != u.presence {
		u.presenceHist = closeAndAppend(u.presenceHist, now, presenceSegment{
			start: now, systemPresence: systemPresenceUpper(def.SystemPresence), orgPresenceID: def.ID,
		})
	}
	u.presence, u.message, u.presenceModified = def, message, now
	s.truth.presence(now, u)
	s.publish("v2.users."+u.ID+".presence", presenceEvent{
		Source:             "PURECLOUD",
		PresenceDefinition: eventPresenceDefinition{ID: def.ID, SystemPresence: systemPresenceUpper(def.SystemPresence)},
		Primary:            true,
		Message:            message,
		ModifiedDate:       isoTime(now),
	})
	s.setRouting(u, u.idleRouting())
	if u.routing == routingIdle {
		s.offerPreferredAll()
	}
}

// setRouting changes a user's routing status and publishes it; no change,
// no event. Callers hold s.mu.
func (s *Server) setRouting(u *userState, status string) {
	if status == u.routing {
		return
	}
	now := s.clock.Now()
	u.routing, u.routingStart = status, now
	u.routingHist = closeAndAppend(u.routingHist, now, routingSegment{start: now, status: status})
	s.publish("v2.users."+u.ID+".routingStatus", routingStatusEvent{
		ID:            u.ID,
		RoutingStatus: routingStatusBody{Status: status, StartTime: isoTime(now)},
	})
}

// segment is what closeAndAppend needs of a history entry.
type segment interface {
	presenceSegment | routingSegment
}

func closeAndAppend[S segment](hist []S, now time.Time, next S) []S {
	if n := len(hist); n > 0 {
		switch last := any(&hist[n-1]).(type) {
		case *presenceSegment:
			last.end = now
		case *routingSegment:
			last.end = now
		}
	}
	if len(hist) >= maxSegments {
		hist = append(hist[:0:0], hist[len(hist)/2:]...)
	}
	return append(hist, next)
}

// Notification topic bodies (shared/genesys-api.md §3).

type presenceEvent struct {
	Source             string                  `json:"source"`
	PresenceDefinition eventPresenceDefinition `json:"presenceDefinition"`
	Primary            bool                    `json:"primary"`
	Message            string                  `json:"message"`
	ModifiedDate       string                  `json:"modifiedDate"`
}

type eventPresenceDefinition struct {
	ID             string `json:"id"`
	SystemPresence string `json:"systemPresence"` // UPPER_SNAKE on topics
}

type routingStatusEvent struct {
	ID            string            `json:"id"`
	RoutingStatus routingStatusBody `json:"routingStatus"`
}

type routingStatusBody struct {
	Status    string `json:"status"`
	StartTime string `json:"startTime"`
}
