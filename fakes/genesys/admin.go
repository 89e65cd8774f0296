package genesys

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"
)

// The admin API lives under /_fake/, a prefix Genesys does not use, and
// answers only "Authorization: Bearer <AdminToken>". Every admin endpoint
// has a Go method on *Server that does the same for in-process tests.

func (s *Server) admin(pattern string, h apiHandler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.begin(w, r)
		if c == nil {
			return
		}
		v, ok := bearer(r)
		if !ok {
			writeError(w, c, apiError(http.StatusUnauthorized, codeAuthRequired, "The admin API needs Authorization: Bearer <admin token>."))
			return
		}
		if subtle.ConstantTimeCompare([]byte(v), []byte(s.adminToken)) != 1 {
			writeError(w, c, apiError(http.StatusUnauthorized, codeBadCredentials, "That is not the admin token."))
			return
		}
		h(w, r, c)
	}))
}

// State is the true state of the fake org, as GET /_fake/state reports it.
type State struct {
	Time          time.Time           `json:"time"`
	Users         []UserState         `json:"users"`
	Conversations []ConversationState `json:"conversations"`
	Deliveries    []Delivery          `json:"deliveries"`
	LiveTokens    int                 `json:"liveTokens"`
	Injected429   int                 `json:"injected429"`
	Injected503   int                 `json:"injected503"`
	// RoutingCalls counts the requests made to a routing endpoint
	// (/assign, PATCH /routing/conversations, replace/agent) that passed
	// authentication and the rate limit, whatever their answer.
	RoutingCalls int64 `json:"routingCalls"`
	// ExternalMetricDefinitions and ExternalMetricData are what was
	// written to the external metrics endpoints.
	ExternalMetricDefinitions []ExternalMetricDefinition `json:"externalMetricDefinitions"`
	ExternalMetricData        []ExternalMetricValue      `json:"externalMetricData"`
}

// UserState is one user's presence, routing status and answer behaviour.
type UserState struct {
	ID                   string     `json:"id"`
	Name                 string     `json:"name"`
	PresenceID           string     `json:"presenceId"`
	PresenceName         string     `json:"presenceName"`
	SystemPresence       string     `json:"systemPresence"` // UPPER_SNAKE
	Message              string     `json:"message"`
	PresenceModified     time.Time  `json:"presenceModified"`
	RoutingStatus        string     `json:"routingStatus"`
	RoutingStatusStarted time.Time  `json:"routingStatusStarted"`
	Answer               AnswerJSON `json:"answer"`
}

// AnswerJSON is AnswerModel on the wire (PUT /_fake/users/{id}/answer).
type AnswerJSON struct {
	Accept       float64 `json:"accept"`
	Decline      float64 `json:"decline"`
	NoAnswer     float64 `json:"noAnswer"`
	DelayMs      int64   `json:"delayMs"`
	HandleTimeMs int64   `json:"handleTimeMs"`
}

func (a AnswerJSON) model() AnswerModel {
	return AnswerModel{
		Accept: a.Accept, Decline: a.Decline, NoAnswer: a.NoAnswer,
		Delay: time.Duration(a.DelayMs) * time.Millisecond, HandleTime: time.Duration(a.HandleTimeMs) * time.Millisecond,
	}
}

func answerJSON(m AnswerModel) AnswerJSON {
	return AnswerJSON{
		Accept: m.Accept, Decline: m.Decline, NoAnswer: m.NoAnswer,
		DelayMs: m.Delay.Milliseconds(), HandleTimeMs: m.HandleTime.Milliseconds(),
	}
}

// ConversationState is one conversation as the fake sees it.
type ConversationState struct {
	ID           string        `json:"id"`
	QueueID      string        `json:"queueId"`
	State        string        `json:"state"` // waiting, alerting, connected or ended
	Priority     int           `json:"priority"`
	SkillIDs     []string      `json:"skillIds"`
	ScoredAgents []ScoredAgent `json:"scoredAgents"`
	// AgentUserID is the connected agent, AlertingUserID the one alerting.
	AgentUserID    string     `json:"agentUserId,omitempty"`
	AlertingUserID string     `json:"alertingUserId,omitempty"`
	StartTime      time.Time  `json:"startTime"`
	EndTime        *time.Time `json:"endTime,omitempty"`
}

// ScoredAgent is one requestScoredAgents entry in force.
type ScoredAgent struct {
	UserID string `json:"userId"`
	Score  int    `json:"score"`
}

// Delivery is one attempt to hand a conversation to one agent.
type Delivery struct {
	ConversationID string     `json:"conversationId"`
	UserID         string     `json:"userId"`
	ParticipantID  string     `json:"participantId"`
	Kind           string     `json:"kind"`    // assign, preferred or transfer
	Outcome        string     `json:"outcome"` // alerting, accepted, declined, noAnswer or cancelled
	AlertTime      time.Time  `json:"alertTime"`
	EndTime        *time.Time `json:"endTime,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// State returns a snapshot of everyone's true presence and routing status,
// every conversation and every delivery made, in a stable order.
func (s *Server) State() State {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := State{
		Time: s.clock.Now(), Users: make([]UserState, 0, len(s.userOrder)),
		Conversations: make([]ConversationState, 0, len(s.convOrder)), Deliveries: make([]Delivery, 0, len(s.deliveries)),
		LiveTokens: s.tokens.live(), RoutingCalls: s.routingCalls.Load(),
	}
	st.ExternalMetricDefinitions, st.ExternalMetricData = s.ExternalMetrics()
	s.faults.mu.Lock()
	st.Injected429, st.Injected503 = s.faults.injected429, s.faults.injected503
	s.faults.mu.Unlock()
	for _, u := range s.userOrder {
		st.Users = append(st.Users, UserState{
			ID: u.ID, Name: u.Name, PresenceID: u.presence.ID, PresenceName: u.presence.Name,
			SystemPresence: systemPresenceUpper(u.presence.SystemPresence), Message: u.message,
			PresenceModified: u.presenceModified, RoutingStatus: u.routing, RoutingStatusStarted: u.routingStart,
			Answer: answerJSON(u.answer),
		})
	}
	for _, c := range s.convOrder {
		cs := ConversationState{
			ID: c.id, QueueID: c.queue.ID, State: c.state(), Priority: c.priority,
			SkillIDs: append([]string{}, c.skillIDs...), ScoredAgents: []ScoredAgent{},
			StartTime: c.start, EndTime: timePtr(c.end),
		}
		for _, sa := range c.scored {
			cs.ScoredAgents = append(cs.ScoredAgents, ScoredAgent{UserID: sa.userID, Score: sa.score})
		}
		if c.agent != nil {
			cs.AgentUserID = c.agent.userID
		}
		if c.pending != nil {
			cs.AlertingUserID = c.pending.user.ID
		}
		st.Conversations = append(st.Conversations, cs)
	}
	for _, d := range s.deliveries {
		st.Deliveries = append(st.Deliveries, Delivery{
			ConversationID: d.conv.id, UserID: d.user.ID, ParticipantID: d.part.id, Kind: d.kind,
			Outcome: d.outcome, AlertTime: d.alert, EndTime: timePtr(d.end),
		})
	}
	return st
}

// SetPresence sets a user's presence by definition id and publishes it,
// as if the user had changed it in their client.
func (s *Server) SetPresence(userID, definitionID, message string) error {
	d := s.defs[definitionID]
	if d == nil {
		return fmt.Errorf("genesys: presence definition %q does not exist", definitionID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return fmt.Errorf("genesys: user %q does not exist", userID)
	}
	s.setPresence(u, d, message)
	return nil
}

// SetAnswer sets how a user answers deliveries from now on (deliveries
// already alerting keep the outcome drawn for them).
func (s *Server) SetAnswer(userID string, m AnswerModel) error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("genesys: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return fmt.Errorf("genesys: user %q does not exist", userID)
	}
	u.answer = m.withDefaults()
	return nil
}

func (s *Server) handleAdminState(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, s.State())
}

// createConversationResponse is what POST /_fake/conversations answers:
// the new id and the conversation as GET /api/v2/conversations/{id} shows
// it.
type createConversationResponse struct {
	ID           string           `json:"id"`
	Conversation conversationJSON `json:"conversation"`
}

func (s *Server) handleAdminCreateConversation(w http.ResponseWriter, r *http.Request, c *call) {
	var req NewConversation
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	s.mu.Lock()
	conv, err := s.createConversation(req)
	var resp createConversationResponse
	if err == nil {
		resp = createConversationResponse{ID: conv.id, Conversation: s.conversationJSON(conv)}
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, c, apiError(http.StatusBadRequest, codeInvalidValue, "%v", err))
		return
	}
	w.Header().Set("Location", "/api/v2/conversations/"+resp.ID)
	writeJSON(w, http.StatusCreated, resp)
}

type setPresenceRequest struct {
	DefinitionID string `json:"definitionId"`
	Message      string `json:"message"`
}

// adminUser returns the {userId} of an admin request, answering 404 when
// the org has no such user.
func (s *Server) adminUser(w http.ResponseWriter, r *http.Request, c *call) (string, bool) {
	id := r.PathValue("userId")
	s.mu.RLock()
	exists := s.users[id] != nil
	s.mu.RUnlock()
	if !exists {
		writeError(w, c, notFound("user", id))
	}
	return id, exists
}

func (s *Server) handleAdminSetPresence(w http.ResponseWriter, r *http.Request, c *call) {
	var req setPresenceRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	id, ok := s.adminUser(w, r, c)
	if !ok {
		return
	}
	if s.defs[req.DefinitionID] == nil {
		writeError(w, c, fieldError(codeInvalidValue, "definitionId", "Presence definition %q does not exist.", req.DefinitionID))
		return
	}
	if err := s.SetPresence(id, req.DefinitionID, req.Message); err != nil {
		writeError(w, c, apiError(http.StatusBadRequest, codeInvalidValue, "%v", err))
		return
	}
	s.mu.RLock()
	j := s.userPresenceJSON(s.users[id])
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleAdminSetAnswer(w http.ResponseWriter, r *http.Request, c *call) {
	var req AnswerJSON
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	id, ok := s.adminUser(w, r, c)
	if !ok {
		return
	}
	m := req.model()
	if err := s.SetAnswer(id, m); err != nil {
		writeError(w, c, apiError(http.StatusBadRequest, codeInvalidValue, "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, answerJSON(m.withDefaults()))
}

// FaultsJSON is Faults on the wire (POST /_fake/faults), durations in
// milliseconds. Posting replaces every knob; omitted ones are zero (off).
type FaultsJSON struct {
	PathPrefix        string  `json:"pathPrefix"`
	RateLimitShare    float64 `json:"rateLimitShare"`
	RateLimitBurst    int     `json:"rateLimitBurst"`
	RetryAfterSeconds int     `json:"retryAfterSeconds"`
	ServerErrorShare  float64 `json:"serverErrorShare"`
	ServerErrorBurst  int     `json:"serverErrorBurst"`
	LatencyMs         int64   `json:"latencyMs"`
	LatencyJitterMs   int64   `json:"latencyJitterMs"`
	AssignDelayMs     int64   `json:"assignDelayMs"`
	TokenRateLimit    bool    `json:"tokenRateLimit"`
	RequestsPerMinute int     `json:"requestsPerMinute"`
}

func (f FaultsJSON) faults() Faults {
	return Faults{
		PathPrefix: f.PathPrefix, RateLimitShare: f.RateLimitShare, RateLimitBurst: f.RateLimitBurst,
		RetryAfterSeconds: f.RetryAfterSeconds, ServerErrorShare: f.ServerErrorShare, ServerErrorBurst: f.ServerErrorBurst,
		Latency: time.Duration(f.LatencyMs) * time.Millisecond, LatencyJitter: time.Duration(f.LatencyJitterMs) * time.Millisecond,
		AssignDelay:    time.Duration(f.AssignDelayMs) * time.Millisecond,
		TokenRateLimit: f.TokenRateLimit, RequestsPerMinute: f.RequestsPerMinute,
	}
}

func faultsJSON(f Faults) FaultsJSON {
	return FaultsJSON{
		PathPrefix: f.PathPrefix, RateLimitShare: f.RateLimitShare, RateLimitBurst: f.RateLimitBurst,
		RetryAfterSeconds: f.RetryAfterSeconds, ServerErrorShare: f.ServerErrorShare, ServerErrorBurst: f.ServerErrorBurst,
		LatencyMs: f.Latency.Milliseconds(), LatencyJitterMs: f.LatencyJitter.Milliseconds(), AssignDelayMs: f.AssignDelay.Milliseconds(),
		TokenRateLimit: f.TokenRateLimit, RequestsPerMinute: f.RequestsPerMinute,
	}
}

func (s *Server) handleAdminGetFaults(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, faultsJSON(s.Faults()))
}

func (s *Server) handleAdminSetFaults(w http.ResponseWriter, r *http.Request, c *call) {
	var req FaultsJSON
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	f := req.faults()
	if err := s.SetFaults(f); err != nil {
		writeError(w, c, apiError(http.StatusBadRequest, codeInvalidValue, "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, faultsJSON(f))
}

type revokeResponse struct {
	Revoked int `json:"revoked"`
}

func (s *Server) handleAdminRevokeTokens(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, revokeResponse{Revoked: s.RevokeTokens()})
}
