package genesys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// handleConversation is GET /api/v2/conversations/{conversationId}.
func (s *Server) handleConversation(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("conversationId")
	s.mu.RLock()
	conv := s.convs[id]
	var j conversationJSON
	if conv != nil {
		j = s.conversationJSON(conv)
	}
	s.mu.RUnlock()
	if conv == nil {
		writeError(w, c, notFound("conversation", id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// assignRequest is [S] ConversationUser.
type assignRequest struct {
	ID *string `json:"id"`
}

// handleAssign is POST /api/v2/conversations/{conversationId}/assign with
// {"id":userId}: it alerts that user with a queued conversation, ignoring
// skills and scores, and answers 202 at once; the outcome arrives on the
// user's conversations and routingStatus topics.
func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request, c *call) {
	var req assignRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	id := r.PathValue("conversationId")
	if d := s.Faults().AssignDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	s.mu.Lock()
	e := s.assign(id, req)
	if s.truth != nil {
		a := TruthAssign{At: s.clock.Now(), ConversationID: id, Caller: r.Header.Get(CallerHeader), Status: http.StatusAccepted}
		if req.ID != nil {
			a.UserID = *req.ID
		}
		if e != nil {
			a.Status, a.Code = e.Status, e.Code
		}
		s.truth.assign(a)
	}
	s.mu.Unlock()
	if e != nil {
		writeError(w, c, e)
		return
	}
	// The swagger types the 202 body as a string; its content is
	// unverified. The fake sends the conversation id as a JSON string.
	writeJSON(w, http.StatusAccepted, id)
}

// assign checks and starts one /assign delivery. Callers hold s.mu.
func (s *Server) assign(convID string, req assignRequest) *wire.ErrorBody {
	conv := s.convs[convID]
	if conv == nil {
		e := apiError(http.StatusNotFound, codeResourceNotFound, "The conversation %s could not be found.", convID)
		e.EntityID = convID
		return e
	}
	if req.ID == nil || *req.ID == "" {
		return fieldError(codeBadRequest, "id", "The user id (id) is required.")
	}
	u := s.users[*req.ID]
	if u == nil {
		return fieldError(codeInvalidID, "id", "%s is not the id of a user in this org.", *req.ID)
	}
	if conv.queue.ManualAssignmentDisabled {
		return apiError(http.StatusBadRequest, codeFeatureNotEnabled,
			"Manual assignment is not enabled on queue %s.", conv.queue.Name)
	}
	if st := conv.state(); st != convWaiting {
		return apiError(http.StatusBadRequest, codeOperationFailed,
			"Conversation %s is %s; only a conversation waiting in a queue can be assigned.", convID, st)
	}
	if !u.assignable() {
		return apiError(http.StatusBadRequest, codeInvalidStatus,
			"User %s cannot be assigned an interaction: presence %s, routing status %s.",
			u.ID, systemPresenceUpper(u.presence.SystemPresence), u.routing)
	}
	s.deliver(conv, u, deliveryAssign, nil)
	return nil
}

// routingConversationRequest is [S] RoutingConversationAttributesRequest.
// skillExpression ([JS] v262) is accepted and ignored.
type routingConversationRequest struct {
	Priority            *int                  `json:"priority"`
	SkillIDs            *[]string             `json:"skillIds"`
	LanguageID          *string               `json:"languageId"`
	LabelID             *string               `json:"labelId"`
	SkillExpression     json.RawMessage       `json:"skillExpression"`
	RequestScoredAgents *[]requestScoredAgent `json:"requestScoredAgents"`
}

type requestScoredAgent struct {
	ID    *string `json:"id"`
	Score *int    `json:"score"`
}

// routingAttributesResponse is [S] RoutingConversationAttributesResponse.
type routingAttributesResponse struct {
	Priority     int               `json:"priority"`
	Skills       []entityRef       `json:"skills"`
	Language     *entityRef        `json:"language,omitempty"`
	Label        *entityRef        `json:"label,omitempty"`
	ScoredAgents []scoredAgentJSON `json:"scoredAgents"`
}

// maxScoredAgents caps requestScoredAgents (Architect allows 20 by
// default and 100 on request; the API's own cap is unverified).
const maxScoredAgents = 100

// handleRoutingConversation is PATCH /api/v2/routing/conversations/{id}:
// priority, skills, language, label and requestScoredAgents (preferred
// agents) of a conversation still in queue.
func (s *Server) handleRoutingConversation(w http.ResponseWriter, r *http.Request, c *call) {
	var req routingConversationRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	id := r.PathValue("conversationId")
	s.mu.Lock()
	resp, e := s.patchRouting(id, &req)
	s.mu.Unlock()
	if e != nil {
		writeError(w, c, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// patchRouting validates everything before changing anything. Callers
// hold s.mu.
func (s *Server) patchRouting(convID string, req *routingConversationRequest) (*routingAttributesResponse, *wire.ErrorBody) {
	conv := s.convs[convID]
	if conv == nil {
		return nil, notFound("conversation", convID)
	}
	if st := conv.state(); st != convWaiting && st != convAlerting {
		return nil, apiError(http.StatusBadRequest, codeBadRequest,
			"Conversation %s is %s; routing attributes can only be changed while it is in queue.", convID, st)
	}
	if req.Priority != nil && (*req.Priority < -maxPriority || *req.Priority > maxPriority) {
		return nil, fieldError(codeInvalidValue, "priority", "priority %d is outside [-%d, %d].", *req.Priority, maxPriority, maxPriority)
	}
	var skills []string
	if req.SkillIDs != nil {
		skills = make([]string, 0, len(*req.SkillIDs))
		for i, id := range *req.SkillIDs {
			if s.skills[id] == nil {
				return nil, fieldError(codeInvalidValue, fmt.Sprintf("skillIds[%d]", i), "Skill %q does not exist.", id)
			}
			skills = append(skills, id)
		}
	}
	var scored []scoredAgent
	if req.RequestScoredAgents != nil {
		list := *req.RequestScoredAgents
		if len(list) > maxScoredAgents {
			return nil, fieldError(codeInvalidValue, "requestScoredAgents", "At most %d scored agents are allowed; got %d.", maxScoredAgents, len(list))
		}
		for i, a := range list {
			field := fmt.Sprintf("requestScoredAgents[%d]", i)
			if a.ID == nil || s.users[*a.ID] == nil {
				return nil, fieldError(codeInvalidValue, field+".id", "%s.id must be the id of a user in this org.", field)
			}
			score := 0
			if a.Score != nil {
				score = *a.Score
			}
			if score < 0 || score > 100 {
				return nil, fieldError(codeInvalidValue, field+".score", "%s.score %d is outside 0–100.", field, score)
			}
			scored = upsertScore(scored, scoredAgent{userID: *a.ID, score: score})
		}
	}
	if req.Priority != nil {
		conv.priority = *req.Priority
	}
	if req.SkillIDs != nil {
		conv.skillIDs = dedupe(skills)
	}
	if req.LanguageID != nil {
		conv.languageID = *req.LanguageID
	}
	if req.LabelID != nil {
		conv.labelID = *req.LabelID
	}
	if req.RequestScoredAgents != nil {
		conv.scored = scored
		if len(scored) > 0 {
			s.preferred[conv] = struct{}{}
		} else {
			delete(s.preferred, conv)
		}
	}
	s.publishConversation(conv)
	if req.RequestScoredAgents != nil {
		s.offerPreferred(conv)
	}
	resp := &routingAttributesResponse{Priority: conv.priority, Skills: []entityRef{}, ScoredAgents: s.scoredJSON(conv)}
	for _, id := range conv.skillIDs {
		resp.Skills = append(resp.Skills, entityRef{ID: id, Name: s.skills[id].Name, SelfURI: "/api/v2/routing/skills/" + id})
	}
	if conv.languageID != "" {
		resp.Language = &entityRef{ID: conv.languageID, SelfURI: "/api/v2/routing/languages/" + conv.languageID}
	}
	if conv.labelID != "" {
		resp.Label = &entityRef{ID: conv.labelID, SelfURI: "/api/v2/routing/utilization/labels/" + conv.labelID}
	}
	return resp, nil
}

// upsertScore keeps one score per agent, the last one given.
func upsertScore(list []scoredAgent, sa scoredAgent) []scoredAgent {
	for i := range list {
		if list[i].userID == sa.userID {
			list[i] = sa
			return list
		}
	}
	return append(list, sa)
}

// replaceAgentRequest is [S] TransferToAgentRequest.
type replaceAgentRequest struct {
	TransferType             *string `json:"transferType"`
	KeepInternalMessageAlive *bool   `json:"keepInternalMessageAlive"`
	UserID                   *string `json:"userId"`
	UserName                 *string `json:"userName"`
	UserDisplayName          *string `json:"userDisplayName"`
	Voicemail                *bool   `json:"voicemail"`
}

// handleReplaceAgent is POST /api/v2/conversations/{id}/participants/{pid}
// /replace/agent: a blind (Unattended) or Attended transfer of a connected
// agent participant to another user. It answers 202 with no body.
func (s *Server) handleReplaceAgent(w http.ResponseWriter, r *http.Request, c *call) {
	var req replaceAgentRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	s.mu.Lock()
	e := s.replaceAgent(r.PathValue("conversationId"), r.PathValue("participantId"), &req)
	s.mu.Unlock()
	if e != nil {
		writeError(w, c, e)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// replaceAgent checks and starts one transfer. Callers hold s.mu.
func (s *Server) replaceAgent(convID, partID string, req *replaceAgentRequest) *wire.ErrorBody {
	conv := s.convs[convID]
	if conv == nil {
		return notFound("conversation", convID)
	}
	p := conv.participant(partID)
	if p == nil {
		e := apiError(http.StatusNotFound, codeParticipantNotFound, "Participant %s is not on conversation %s.", partID, convID)
		e.EntityID = partID
		return e
	}
	attended := false
	if req.TransferType != nil {
		switch *req.TransferType {
		case "", "Unattended":
		case "Attended":
			attended = true
		default:
			return fieldError(codeInvalidValue, "transferType", "transferType %q is not Attended or Unattended.", *req.TransferType)
		}
	}
	target, e := s.transferTarget(req)
	if e != nil {
		return e
	}
	switch {
	case p.purpose == "acd":
		return apiError(http.StatusBadRequest, codeTransferACD, "An ACD participant cannot be transferred; assign the conversation instead.")
	case p.purpose != "agent":
		return apiError(http.StatusBadRequest, codeBadRequest, "Participant %s is the %s; only an agent participant can be replaced.", partID, p.purpose)
	case p.state != "connected":
		return apiError(http.StatusBadRequest, codeTransferNotConn, "Participant %s is %s; only a connected participant can be transferred.", partID, p.state)
	case conv.pending != nil:
		return apiError(http.StatusConflict, codeConflict, "Conversation %s is already alerting %s.", convID, conv.pending.user.ID)
	case target.ID == p.userID:
		return apiError(http.StatusBadRequest, codeTransferSameParty, "Participant %s is already user %s.", partID, target.ID)
	}
	if attended {
		s.deliver(conv, target, deliveryTransfer, p)
		return nil
	}
	now := s.clock.Now()
	p.disconnect(now, "transfer")
	conv.agent = nil
	if prev := s.users[p.userID]; prev != nil {
		prev.connected--
		s.setRouting(prev, prev.idleRouting())
	}
	s.deliver(conv, target, deliveryTransfer, nil)
	return nil
}

// transferTarget finds the user a transfer names: userId, else userName
// (the email), else userDisplayName.
func (s *Server) transferTarget(req *replaceAgentRequest) (*userState, *wire.ErrorBody) {
	switch {
	case req.UserID != nil && *req.UserID != "":
		if u := s.users[*req.UserID]; u != nil {
			return u, nil
		}
		return nil, fieldError(codeInvalidValue, "userId", "%s is not the id of a user in this org.", *req.UserID)
	case req.UserName != nil && *req.UserName != "":
		for _, u := range s.userOrder {
			if strings.EqualFold(u.Email, *req.UserName) {
				return u, nil
			}
		}
		return nil, fieldError(codeInvalidValue, "userName", "No user has the user name %q.", *req.UserName)
	case req.UserDisplayName != nil && *req.UserDisplayName != "":
		for _, u := range s.userOrder {
			if u.Name == *req.UserDisplayName {
				return u, nil
			}
		}
		return nil, fieldError(codeInvalidValue, "userDisplayName", "No user is named %q.", *req.UserDisplayName)
	default:
		return nil, apiError(http.StatusBadRequest, codeTransferDestination, "A destination is required: set userId, userName or userDisplayName.")
	}
}
