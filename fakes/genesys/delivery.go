package genesys

import (
	"slices"
	"time"
)

// Delivery kinds.
const (
	deliveryAssign    = "assign"    // POST /api/v2/conversations/{id}/assign
	deliveryPreferred = "preferred" // requestScoredAgents picked this agent
	deliveryTransfer  = "transfer"  // POST …/participants/{pid}/replace/agent
)

// Delivery outcomes.
const (
	outcomeAlerting  = "alerting"
	outcomeAccepted  = "accepted"
	outcomeDeclined  = "declined"
	outcomeNoAnswer  = "noAnswer"
	outcomeCancelled = "cancelled" // the conversation ended while alerting
)

// delivery is one attempt to hand a conversation to one agent.
type delivery struct {
	conv     *conversation
	user     *userState
	part     *participant
	kind     string
	outcome  string
	alert    time.Time
	end      time.Time
	from     *participant // attended transfer: the agent who stays until acceptance
	timer    uint64
	decision string // the outcome drawn at alert time
	// onRefused, if set, runs after a decline or no answer (the fake's
	// ACD uses it to bring the agent back from NOT_RESPONDING).
	onRefused func()

	// The user's presence and routing status when the alert started.
	presenceAtAlert, systemAtAlert, routingAtAlert string
}

// assignable says whether /assign may deliver to u: an active user who is
// not Offline and whose routing status is IDLE or OFF_QUEUE (Genesys's
// exact rule is unverified; shared/genesys-api.md §9.6).
func (u *userState) assignable() bool {
	return u.State == "active" && u.presence.SystemPresence != "Offline" &&
		(u.routing == routingIdle || u.routing == routingOffQueue)
}

// deliver alerts u with conversation c and schedules the answer the user's
// AnswerModel draws. Callers hold s.mu and have checked that c can be
// delivered.
func (s *Server) deliver(c *conversation, u *userState, kind string, from *participant) *delivery {
	now := s.clock.Now()
	timeout := c.queue.AlertTimeout
	if timeout == 0 {
		timeout = s.opts.AlertTimeout
	}
	p := &participant{
		id: s.ids.uuid(), purpose: "agent", userID: u.ID, name: u.Name, queueID: c.queue.ID,
		start: now, alertStart: now, alertTimeoutMs: int(timeout / time.Millisecond),
		state: "alerting", initialState: "alerting", mediaID: s.ids.uuid(),
	}
	c.parts = append(c.parts, p)
	d := &delivery{conv: c, user: u, part: p, kind: kind, outcome: outcomeAlerting, alert: now, from: from,
		presenceAtAlert: u.presence.ID, systemAtAlert: systemPresenceUpper(u.presence.SystemPresence), routingAtAlert: u.routing}
	c.pending = d
	s.deliveries = append(s.deliveries, d)

	m := u.answer
	d.decision = s.drawAnswer(m)
	if u.presence.SystemPresence == "Offline" {
		d.decision = outcomeNoAnswer // nobody there to answer
	}
	at := m.Delay
	if d.decision == outcomeNoAnswer || at >= timeout {
		d.decision, at = outcomeNoAnswer, timeout
	}
	d.timer = s.after(at, func() { s.resolve(d) })
	s.publishConversation(c)
	return d
}

// drawAnswer picks accepted, declined or noAnswer with the model's
// weights. Callers hold s.mu (the answer stream is not shared).
func (s *Server) drawAnswer(m AnswerModel) string {
	total := m.Accept + m.Decline + m.NoAnswer
	if total <= 0 {
		return outcomeAccepted
	}
	x := s.answerRand.Float64() * total
	switch {
	case x < m.Accept:
		return outcomeAccepted
	case x < m.Accept+m.Decline:
		return outcomeDeclined
	default:
		return outcomeNoAnswer
	}
}

// resolve ends the alert of d with its drawn outcome. The conversation
// event goes out before the routing-status events it causes. Callers hold
// s.mu.
func (s *Server) resolve(d *delivery) {
	if d.outcome != outcomeAlerting {
		return
	}
	c, u, p := d.conv, d.user, d.part
	now := s.clock.Now()
	d.outcome, d.end = d.decision, now
	c.pending = nil
	var routing []*userState // users whose routing status follows from this
	if d.decision == outcomeAccepted {
		p.state, p.connected = "connected", now
		if d.from != nil && d.from.state == "connected" {
			d.from.disconnect(now, "transfer")
			if prev := s.users[d.from.userID]; prev != nil {
				prev.connected--
				routing = append(routing, prev)
			}
		}
		if c.acd != nil {
			c.acd.disconnect(now, "transfer")
			c.acd = nil
		}
		c.agent = p
		u.connected++
		routing = append(routing, u)
		if u.answer.HandleTime > 0 {
			s.cancelTimer(c.endTmr)
			c.endTmr = s.after(u.answer.HandleTime, func() { s.endConversation(c) })
		}
	} else {
		// Declined or not answered: the agent's leg ends without a
		// connectedTime, the agent goes NOT_RESPONDING and the
		// interaction re-enters the queue (help.mypurecloud.com
		// onqueue-offqueue). disconnectType for each case is
		// unverified (shared/genesys-api.md §9.7).
		dt := "client"
		if d.decision == outcomeNoAnswer {
			dt = "timeout"
		}
		p.disconnect(now, dt)
		if c.agent == nil && c.acd == nil {
			// An unattended transfer that nobody took: back to the queue.
			c.acd = s.newACDParticipant(c, now)
			c.parts = append(c.parts, c.acd)
		}
	}
	s.publishConversation(c)
	if d.decision != outcomeAccepted && u.connected == 0 {
		s.setRouting(u, routingNotResponding)
	}
	if d.decision != outcomeAccepted && d.onRefused != nil {
		d.onRefused()
	}
	for _, r := range routing {
		s.setRouting(r, r.idleRouting())
	}
	s.offerPreferredAll()
}

// endConversation disconnects everyone: the customer hangs up after the
// handle time. Callers hold s.mu.
func (s *Server) endConversation(c *conversation) {
	if !c.end.IsZero() {
		return
	}
	now := s.clock.Now()
	s.cancelTimer(c.endTmr)
	if d := c.pending; d != nil {
		s.cancelTimer(d.timer)
		d.outcome, d.end = outcomeCancelled, now
		c.pending = nil
	}
	var freed []*userState
	for _, p := range c.parts {
		if p.state == "disconnected" {
			continue
		}
		switch p.purpose {
		case "customer":
			p.disconnect(now, "endpoint")
		default:
			if p.purpose == "agent" && p.state == "connected" {
				if u := s.users[p.userID]; u != nil {
					u.connected--
					freed = append(freed, u)
				}
			}
			p.disconnect(now, "peer")
		}
	}
	c.end, c.agent, c.acd = now, nil, nil
	delete(s.preferred, c)
	s.record(c)
	s.publishConversation(c)
	for _, u := range freed {
		s.setRouting(u, u.idleRouting())
		if s.onFree != nil {
			go s.onFree(u.ID)
		}
	}
	s.offerPreferredAll()
}

// offerPreferredAll offers every waiting conversation that has scored
// agents to its best available one, after the fake's ACD routed what it
// can (acd.go). Callers hold s.mu.
func (s *Server) offerPreferredAll() {
	s.offerACDAll()
	if len(s.preferred) == 0 {
		return
	}
	for _, c := range s.preferredQueue() {
		s.offerPreferred(c)
	}
}

// offerPreferred is the fake's Preferred Agent Routing: a waiting
// conversation alerts the highest-scored member of its queue who is IDLE
// (On Queue and free). Agents who are not available are skipped, not
// waited for; the queue's routingRules thresholds are not modelled.
// Callers hold s.mu.
func (s *Server) offerPreferred(c *conversation) {
	if c.state() != convWaiting || len(c.scored) == 0 {
		return
	}
	ranked := slices.Clone(c.scored)
	slices.SortStableFunc(ranked, func(a, b scoredAgent) int { return b.score - a.score })
	for _, sa := range ranked {
		u := s.users[sa.userID]
		if u == nil || u.State != "active" || u.routing != routingIdle || !u.member(c.queue) {
			continue
		}
		s.deliver(c, u, deliveryPreferred, nil)
		return
	}
}
