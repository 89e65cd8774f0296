package genesys

import (
	"net/http"
	"strings"
)

// queueMemberJSON is one entity of GET /api/v2/routing/queues/{id}/members
// (QueueMember in the API: id and name of the user, the user itself,
// whether the member is joined, memberBy, and its routing status).
type queueMemberJSON struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	User     queueUserJSON  `json:"user"`
	Joined   bool           `json:"joined"`
	MemberBy string         `json:"memberBy"`
	Routing  *routingStatus `json:"routingStatus,omitempty"`
	SelfURI  string         `json:"selfUri"`
}

type queueUserJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	State   string `json:"state"`
	SelfURI string `json:"selfUri"`
}

type routingStatus struct {
	Status    string `json:"status"`
	StartTime string `json:"startTime"`
}

// handleQueueMembers is GET /api/v2/routing/queues/{queueId}/members
// (pageSize ≤ 100; joined=true|false filters; expand=routingStatus).
// Every member of the fake's queues is joined.
func (s *Server) handleQueueMembers(w http.ResponseWriter, r *http.Request, c *call) {
	size, number, e := pageParams(r, 25, 100)
	if e != nil {
		writeError(w, c, e)
		return
	}
	id := r.PathValue("queueId")
	s.mu.RLock()
	q := s.queues[id]
	if q == nil {
		s.mu.RUnlock()
		writeError(w, c, notFound("queue", id))
		return
	}
	joined := r.URL.Query().Get("joined")
	if joined == "false" {
		s.mu.RUnlock()
		writeJSON(w, http.StatusOK, page(r, []queueMemberJSON{}, size, number))
		return
	}
	withRouting := strings.Contains(r.URL.Query().Get("expand"), "routingStatus")
	out := make([]queueMemberJSON, 0, len(q.Members))
	for _, uid := range q.Members {
		u := s.users[uid]
		if u == nil {
			continue
		}
		m := queueMemberJSON{ID: u.ID, Name: u.Name, Joined: true, MemberBy: "user",
			User:    queueUserJSON{ID: u.ID, Name: u.Name, Email: u.Email, State: u.State, SelfURI: "/api/v2/users/" + u.ID},
			SelfURI: "/api/v2/users/" + u.ID}
		if withRouting {
			m.Routing = &routingStatus{Status: u.routing, StartTime: isoTime(u.routingStart)}
		}
		out = append(out, m)
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, page(r, out, size, number))
}
