package genesys

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Conversation states as the admin API reports them.
const (
	convWaiting   = "waiting"   // in queue, nobody alerting
	convAlerting  = "alerting"  // a delivery is alerting an agent
	convConnected = "connected" // an agent is connected
	convEnded     = "ended"
)

// conversation is an inbound escalation: a customer, the ACD participant
// of its queue while it waits, and every agent it was delivered to.
type conversation struct {
	id         string
	start, end time.Time
	queue      *Queue
	media      string // "call" or "message"
	priority   int
	skillIDs   []string
	languageID string
	labelID    string
	scored     []scoredAgent

	parts   []*participant
	acd     *participant // the connected ACD participant; nil once an agent took it
	agent   *participant // the connected agent; nil when none
	pending *delivery    // the delivery alerting now; nil when none
	endTmr  uint64       // timer that ends the conversation after the handle time
	// abandoned: the customer hung up in queue (AbandonConversation).
	abandoned bool
}

type scoredAgent struct {
	userID string
	score  int
}

// participant is one leg of a conversation.
type participant struct {
	id             string
	purpose        string // customer, acd or agent
	userID         string
	name           string
	queueID        string
	address        string
	start          time.Time
	alertStart     time.Time
	connected      time.Time
	end            time.Time
	alertTimeoutMs int
	state          string // alerting, connected, disconnected
	initialState   string
	disconnectType string
	mediaID        string
}

func (c *conversation) state() string {
	switch {
	case !c.end.IsZero():
		return convEnded
	case c.pending != nil:
		return convAlerting
	case c.agent != nil:
		return convConnected
	default:
		return convWaiting
	}
}

func (c *conversation) participant(id string) *participant {
	for _, p := range c.parts {
		if p.id == id {
			return p
		}
	}
	return nil
}

// disconnect ends a participant's leg.
func (p *participant) disconnect(now time.Time, disconnectType string) {
	if p.state == "disconnected" {
		return
	}
	p.state, p.end, p.disconnectType = "disconnected", now, disconnectType
}

// NewConversation describes an inbound escalation for CreateConversation
// and POST /_fake/conversations.
type NewConversation struct {
	// QueueID is the queue it waits in; empty means the org's first queue.
	QueueID string `json:"queueId"`
	// Skills are required skills, by id or by name.
	Skills   []string `json:"skills"`
	Priority int      `json:"priority"`
	// LanguageID is an opaque language id carried in the routing data.
	LanguageID   string `json:"languageId"`
	CustomerName string `json:"customerName"`
	// MediaType is "call" (default) or "message".
	MediaType string `json:"mediaType"`
}

// maxPriority bounds routing priority (±25,000,000, shared/genesys-api.md §5).
const maxPriority = 25_000_000

// CreateConversation puts a new inbound escalation in a queue and returns
// its id. It publishes the conversation on the queue's topic.
func (s *Server) CreateConversation(req NewConversation) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.createConversation(req)
	if err != nil {
		return "", err
	}
	return c.id, nil
}

func (s *Server) createConversation(req NewConversation) (*conversation, error) {
	if s.closed {
		return nil, fmt.Errorf("genesys: server is closed")
	}
	var q *Queue
	switch {
	case req.QueueID != "":
		q = s.queues[req.QueueID]
		if q == nil {
			return nil, fmt.Errorf("queueId: queue %q does not exist", req.QueueID)
		}
	case len(s.org.Queues) > 0:
		q = &s.org.Queues[0]
	default:
		return nil, fmt.Errorf("queueId: the org has no queues")
	}
	media := req.MediaType
	switch media {
	case "":
		media = "call"
	case "call", "message":
	default:
		return nil, fmt.Errorf("mediaType: %q is not call or message", media)
	}
	if req.Priority < -maxPriority || req.Priority > maxPriority {
		return nil, fmt.Errorf("priority: %d is outside ±%d", req.Priority, maxPriority)
	}
	skillIDs := make([]string, 0, len(req.Skills))
	for _, sk := range req.Skills {
		id, ok := s.resolveSkill(sk)
		if !ok {
			return nil, fmt.Errorf("skills: %q is neither the id nor the name of a skill", sk)
		}
		skillIDs = append(skillIDs, id)
	}
	name := req.CustomerName
	if name == "" {
		name = "Customer"
	}
	now := s.clock.Now()
	c := &conversation{
		id: s.ids.uuid(), start: now, queue: q, media: media, priority: req.Priority,
		skillIDs: dedupe(skillIDs), languageID: req.LanguageID,
	}
	n := len(s.convOrder) + 1
	customer := &participant{
		id: s.ids.uuid(), purpose: "customer", name: name, start: now, connected: now,
		address: fmt.Sprintf("tel:+1555%07d", n%10_000_000), state: "connected", initialState: "connected", mediaID: s.ids.uuid(),
	}
	if media == "message" {
		customer.address = fmt.Sprintf("customer-%d@fake.shadowq", n)
	}
	c.acd = s.newACDParticipant(c, now)
	c.parts = []*participant{customer, c.acd}
	s.convs[c.id] = c
	s.convOrder = append(s.convOrder, c)
	s.publishConversation(c)
	return c, nil
}

func (s *Server) newACDParticipant(c *conversation, now time.Time) *participant {
	return &participant{
		id: s.ids.uuid(), purpose: "acd", name: c.queue.Name, queueID: c.queue.ID, start: now, connected: now,
		state: "connected", initialState: "connected", mediaID: s.ids.uuid(),
	}
}

func (s *Server) resolveSkill(idOrName string) (string, bool) {
	if sk := s.skills[idOrName]; sk != nil {
		return sk.ID, true
	}
	for i := range s.org.Skills {
		if strings.EqualFold(s.org.Skills[i].Name, idOrName) {
			return s.org.Skills[i].ID, true
		}
	}
	return "", false
}

// preferredQueue lists the conversations that carry requestScoredAgents
// and have not ended, highest priority first, then longest waiting: the
// order in which offerPreferredAll serves them. Callers hold s.mu.
func (s *Server) preferredQueue() []*conversation {
	out := make([]*conversation, 0, len(s.preferred))
	for c := range s.preferred {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *conversation) int {
		return cmp.Or(cmp.Compare(b.priority, a.priority), a.start.Compare(b.start), cmp.Compare(a.id, b.id))
	})
	return out
}

// Wire shapes ([S] Conversation, Participant, Call, Message,
// ConversationRoutingData; the topic body of v2.users.{id}.conversations
// uses the same participants).

type conversationJSON struct {
	ID              string            `json:"id"`
	StartTime       string            `json:"startTime"`
	EndTime         *string           `json:"endTime,omitempty"`
	Participants    []participantJSON `json:"participants"`
	RecordingState  string            `json:"recordingState"`
	Divisions       []divisionJSON    `json:"divisions"`
	RecentTransfers []any             `json:"recentTransfers"`
	SelfURI         string            `json:"selfUri"`
}

// conversationEvent is the eventBody of v2.users.{id}.conversations and
// v2.routing.queues.{id}.conversations.
type conversationEvent struct {
	ID              string            `json:"id"`
	Participants    []participantJSON `json:"participants"`
	RecentTransfers []any             `json:"recentTransfers"`
	Divisions       []divisionJSON    `json:"divisions"`
}

type divisionJSON struct {
	Division namedEntity   `json:"division"`
	Entities []namedEntity `json:"entities"`
}

type participantJSON struct {
	ID                      string            `json:"id"`
	StartTime               string            `json:"startTime"`
	EndTime                 *string           `json:"endTime,omitempty"`
	ConnectedTime           *string           `json:"connectedTime,omitempty"`
	Name                    string            `json:"name,omitempty"`
	UserURI                 string            `json:"userUri,omitempty"`
	UserID                  string            `json:"userId,omitempty"`
	QueueID                 string            `json:"queueId,omitempty"`
	QueueName               string            `json:"queueName,omitempty"`
	Purpose                 string            `json:"purpose"`
	ParticipantType         string            `json:"participantType,omitempty"`
	Address                 string            `json:"address,omitempty"`
	WrapupRequired          bool              `json:"wrapupRequired"`
	ConversationRoutingData *routingDataJSON  `json:"conversationRoutingData,omitempty"`
	AlertingTimeoutMs       int               `json:"alertingTimeoutMs,omitempty"`
	Attributes              map[string]string `json:"attributes"`
	Calls                   []mediaJSON       `json:"calls,omitempty"`
	Messages                []mediaJSON       `json:"messages,omitempty"`
}

// mediaJSON is [S] Call or Message; the call-only flags are pointers so
// that messages leave them out.
type mediaJSON struct {
	State             string  `json:"state"`
	InitialState      string  `json:"initialState,omitempty"`
	ID                string  `json:"id"`
	Direction         string  `json:"direction"`
	Recording         *bool   `json:"recording,omitempty"`
	RecordingState    string  `json:"recordingState,omitempty"`
	Muted             *bool   `json:"muted,omitempty"`
	Confined          *bool   `json:"confined,omitempty"`
	Held              bool    `json:"held"`
	SecurePause       *bool   `json:"securePause,omitempty"`
	Type              string  `json:"type,omitempty"`
	DisconnectType    string  `json:"disconnectType,omitempty"`
	StartAlertingTime *string `json:"startAlertingTime,omitempty"`
	ConnectedTime     *string `json:"connectedTime,omitempty"`
	DisconnectedTime  *string `json:"disconnectedTime,omitempty"`
	Provider          string  `json:"provider,omitempty"`
}

type routingDataJSON struct {
	Queue        entityRef         `json:"queue"`
	Language     *entityRef        `json:"language,omitempty"`
	Priority     int               `json:"priority"`
	Skills       []entityRef       `json:"skills"`
	ScoredAgents []scoredAgentJSON `json:"scoredAgents"`
	Label        string            `json:"label,omitempty"`
}

type entityRef struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri,omitempty"`
}

type scoredAgentJSON struct {
	Agent entityRef `json:"agent"`
	Score int       `json:"score"`
}

// routingData renders the conversation's routing data. Callers hold s.mu.
func (s *Server) routingData(c *conversation) routingDataJSON {
	rd := routingDataJSON{
		Queue:        entityRef{ID: c.queue.ID, SelfURI: "/api/v2/routing/queues/" + c.queue.ID},
		Priority:     c.priority,
		Skills:       make([]entityRef, 0, len(c.skillIDs)),
		ScoredAgents: s.scoredJSON(c),
		Label:        c.labelID,
	}
	if c.languageID != "" {
		rd.Language = &entityRef{ID: c.languageID, SelfURI: "/api/v2/routing/languages/" + c.languageID}
	}
	for _, id := range c.skillIDs {
		rd.Skills = append(rd.Skills, entityRef{ID: id, SelfURI: "/api/v2/routing/skills/" + id})
	}
	return rd
}

func (s *Server) scoredJSON(c *conversation) []scoredAgentJSON {
	out := make([]scoredAgentJSON, 0, len(c.scored))
	for _, sa := range c.scored {
		ref := entityRef{ID: sa.userID, SelfURI: "/api/v2/users/" + sa.userID}
		if u := s.users[sa.userID]; u != nil {
			ref.Name = u.Name
		}
		out = append(out, scoredAgentJSON{Agent: ref, Score: sa.score})
	}
	return out
}

// participantsJSON renders every participant. Callers hold s.mu.
func (s *Server) participantsJSON(c *conversation) []participantJSON {
	rd := s.routingData(c)
	out := make([]participantJSON, 0, len(c.parts))
	for _, p := range c.parts {
		j := participantJSON{
			ID: p.id, StartTime: isoTime(p.start), EndTime: isoPtr(p.end), ConnectedTime: isoPtr(p.connected),
			Name: p.name, UserID: p.userID, QueueID: p.queueID, Purpose: p.purpose,
			Address: p.address, Attributes: map[string]string{},
		}
		switch p.purpose {
		case "customer":
			j.ParticipantType = "External"
		case "acd":
			j.QueueName = p.name
			j.ParticipantType = "Internal"
			rdc := rd
			j.ConversationRoutingData = &rdc
		case "agent":
			j.ParticipantType = "Internal"
			j.UserURI = "/api/v2/users/" + p.userID
			j.AlertingTimeoutMs = p.alertTimeoutMs
			rdc := rd
			j.ConversationRoutingData = &rdc
		}
		m := mediaJSON{
			State: p.state, InitialState: p.initialState, ID: p.mediaID, Direction: "inbound",
			DisconnectType: p.disconnectType, StartAlertingTime: isoPtr(p.alertStart),
			ConnectedTime: isoPtr(p.connected), DisconnectedTime: isoPtr(p.end),
		}
		if c.media == "message" {
			m.Type, m.Provider = "webmessaging", "PureCloud Messaging"
			j.Messages = []mediaJSON{m}
		} else {
			f := false
			m.Recording, m.Muted, m.Confined, m.SecurePause = &f, &f, &f, &f
			m.RecordingState, m.Provider = "none", "Edge"
			j.Calls = []mediaJSON{m}
		}
		out = append(out, j)
	}
	return out
}

func (s *Server) divisionsJSON() []divisionJSON {
	return []divisionJSON{{
		Division: namedEntity{ID: s.org.DivisionID, SelfURI: "/api/v2/authorization/divisions/" + s.org.DivisionID},
		Entities: []namedEntity{},
	}}
}

func (s *Server) conversationJSON(c *conversation) conversationJSON {
	return conversationJSON{
		ID: c.id, StartTime: isoTime(c.start), EndTime: isoPtr(c.end),
		Participants: s.participantsJSON(c), RecordingState: "NONE",
		Divisions: s.divisionsJSON(), RecentTransfers: []any{},
		SelfURI: "/api/v2/conversations/" + c.id,
	}
}

// publishConversation sends the conversation to its queue's topic and to
// the conversations topic of every agent who has been on it. Callers hold
// s.mu.
func (s *Server) publishConversation(c *conversation) {
	if s.pub == nil {
		return
	}
	ev := conversationEvent{ID: c.id, Participants: s.participantsJSON(c), RecentTransfers: []any{}, Divisions: s.divisionsJSON()}
	s.publish("v2.routing.queues."+c.queue.ID+".conversations", ev)
	var sent []string
	for _, p := range c.parts {
		if p.purpose == "agent" && !slices.Contains(sent, p.userID) {
			sent = append(sent, p.userID)
			s.publish("v2.users."+p.userID+".conversations", ev)
		}
	}
}
