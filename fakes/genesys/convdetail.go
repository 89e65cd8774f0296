package genesys

import (
	"cmp"
	"fmt"
	"time"
)

// Conversation detail records as POST
// /api/v2/analytics/conversations/details/query answers them ([S]
// AnalyticsConversationWithoutAttributes, AnalyticsParticipantWithoutAttributes,
// AnalyticsSession, AnalyticsConversationSegment, AnalyticsSessionMetric):
// only the fields shadowq reads and a few that make a record look real.
// Metric values are milliseconds for t* metrics, counts for n* metrics.

// AnalyticsConversation is one conversation's detail record.
type AnalyticsConversation struct {
	ConversationID       string                 `json:"conversationId"`
	ConversationStart    time.Time              `json:"conversationStart"`
	ConversationEnd      *time.Time             `json:"conversationEnd,omitempty"` // absent while it is open
	OriginatingDirection string                 `json:"originatingDirection"`
	DivisionIDs          []string               `json:"divisionIds,omitempty"`
	Participants         []AnalyticsParticipant `json:"participants"`
}

// AnalyticsParticipant is one party: purpose customer, acd (the queue) or
// agent (a user, with UserID).
type AnalyticsParticipant struct {
	ParticipantID   string             `json:"participantId"`
	ParticipantName string             `json:"participantName,omitempty"`
	UserID          string             `json:"userId,omitempty"`
	Purpose         string             `json:"purpose"`
	Sessions        []AnalyticsSession `json:"sessions"`
}

// AnalyticsSession is one media session of a participant.
type AnalyticsSession struct {
	SessionID         string             `json:"sessionId"`
	MediaType         string             `json:"mediaType"`
	Direction         string             `json:"direction"`
	RequestedRoutings []string           `json:"requestedRoutings,omitempty"`
	UsedRouting       string             `json:"usedRouting,omitempty"`
	SelectedAgentID   string             `json:"selectedAgentId,omitempty"`
	Segments          []AnalyticsSegment `json:"segments"`
	Metrics           []AnalyticsMetric  `json:"metrics,omitempty"`
}

// AnalyticsSegment is one segment: segmentType interact, alert, hold,
// wrapup (and others the fake does not produce).
type AnalyticsSegment struct {
	SegmentStart             time.Time  `json:"segmentStart"`
	SegmentEnd               *time.Time `json:"segmentEnd,omitempty"`
	SegmentType              string     `json:"segmentType"`
	QueueID                  string     `json:"queueId,omitempty"`
	DisconnectType           string     `json:"disconnectType,omitempty"`
	RequestedRoutingSkillIDs []string   `json:"requestedRoutingSkillIds,omitempty"`
	Conference               bool       `json:"conference,omitempty"`
}

// AnalyticsMetric is one session metric, emitted at EmitDate.
type AnalyticsMetric struct {
	Name     string    `json:"name"`
	Value    int64     `json:"value"`
	EmitDate time.Time `json:"emitDate"`
}

func (c AnalyticsConversation) normalized() AnalyticsConversation {
	c.ConversationStart = ms(c.ConversationStart)
	c.ConversationEnd = msPtr(c.ConversationEnd)
	for pi := range c.Participants {
		p := &c.Participants[pi]
		for si := range p.Sessions {
			s := &p.Sessions[si]
			for gi := range s.Segments {
				g := &s.Segments[gi]
				g.SegmentStart, g.SegmentEnd = ms(g.SegmentStart), msPtr(g.SegmentEnd)
			}
			for mi := range s.Metrics {
				s.Metrics[mi].EmitDate = ms(s.Metrics[mi].EmitDate)
			}
		}
	}
	return c
}

// Alert outcomes of an ACDCall's alerts.
const (
	AlertAccepted = "accepted"
	AlertDeclined = "declined"
	AlertNoAnswer = "noAnswer"
)

// ACDCall describes one inbound ACD conversation in plain terms; its
// Conversation method builds the detail record analytics would hold.
type ACDCall struct {
	ID        string
	QueueID   string
	MediaType string // default "voice"
	Start     time.Time
	SkillIDs  []string // requested routing skills
	// Alerts are the offers to agents in order; at most the last is
	// accepted.
	Alerts []CallAlert
	// Talk, Held and ACW are the accepted agent's talk, hold and
	// after-call-work times.
	Talk, Held, ACW time.Duration
	// Abandoned: the customer hung up in queue at End.
	Abandoned bool
	// Disconnect is the queue segment's disconnectType when the call left
	// the queue at End without an agent and was not abandoned: default
	// "transfer" (to voicemail); "system" for a call the queue closed on.
	Disconnect string
	// End is when the customer left the queue without an agent
	// (abandoned, or voicemail); zero with no accepted alert means the
	// conversation is still waiting (open).
	End time.Time
}

// CallAlert is one offer of the call to one agent.
type CallAlert struct {
	UserID     string
	Start, End time.Time
	Outcome    string // AlertAccepted, AlertDeclined or AlertNoAnswer
}

// Conversation builds the detail record: a customer participant, an acd
// participant (the queue: nOffered, tAcd, tAbandon), and one agent
// participant per alert (tAlert; tNotResponding when unanswered;
// tAnswered, tTalk, tHeld, tAcw, tHandle for the accepted one, with
// interact, hold and wrapup segments). Declines end the alert segment
// with disconnectType "client", unanswered alerts with "timeout"
// (shared/genesys-api.md §7 leaves the exact values open).
func (c ACDCall) Conversation() AnalyticsConversation {
	media := c.MediaType
	if media == "" {
		media = "voice"
	}
	var accepted *CallAlert
	if n := len(c.Alerts); n > 0 && c.Alerts[n-1].Outcome == AlertAccepted {
		accepted = &c.Alerts[n-1]
	}
	var queueEnd, end *time.Time
	switch {
	case accepted != nil:
		qe := accepted.End
		e := qe.Add(c.Talk + c.Held + c.ACW)
		queueEnd, end = &qe, &e
	case !c.End.IsZero():
		e := c.End
		queueEnd, end = &e, &e
	}
	pid := func(i int) string { return fmt.Sprintf("%s-p%d", c.ID, i) }
	session := func(p int, segs []AnalyticsSegment, metrics []AnalyticsMetric) AnalyticsSession {
		return AnalyticsSession{SessionID: pid(p) + "-s", MediaType: media, Direction: "inbound", Segments: segs, Metrics: metrics}
	}
	var custEnd *time.Time
	if c.Talk > 0 && accepted != nil {
		e := accepted.End.Add(c.Talk + c.Held)
		custEnd = &e
	} else {
		custEnd = queueEnd
	}
	conv := AnalyticsConversation{ConversationID: c.ID, ConversationStart: c.Start, ConversationEnd: end, OriginatingDirection: "inbound"}
	conv.Participants = append(conv.Participants, AnalyticsParticipant{ParticipantID: pid(0), ParticipantName: "Customer", Purpose: "customer",
		Sessions: []AnalyticsSession{session(0, []AnalyticsSegment{{SegmentStart: c.Start, SegmentEnd: custEnd, SegmentType: "interact", DisconnectType: disconnectIf(custEnd, "endpoint")}}, nil)}})

	acdSeg := AnalyticsSegment{SegmentStart: c.Start, SegmentEnd: queueEnd, SegmentType: "interact", QueueID: c.QueueID, RequestedRoutingSkillIDs: c.SkillIDs}
	metrics := []AnalyticsMetric{{Name: "nOffered", Value: 1, EmitDate: c.Start}}
	switch {
	case accepted != nil:
		acdSeg.DisconnectType = "transfer"
		metrics = append(metrics, AnalyticsMetric{Name: "tAcd", Value: msOf(accepted.End.Sub(c.Start)), EmitDate: accepted.End})
	case c.Abandoned && queueEnd != nil:
		acdSeg.DisconnectType = "peer"
		metrics = append(metrics, AnalyticsMetric{Name: "tAbandon", Value: msOf(queueEnd.Sub(c.Start)), EmitDate: *queueEnd},
			AnalyticsMetric{Name: "tAcd", Value: msOf(queueEnd.Sub(c.Start)), EmitDate: *queueEnd})
	case queueEnd != nil:
		acdSeg.DisconnectType = cmp.Or(c.Disconnect, "transfer") // to voicemail, by default
		metrics = append(metrics, AnalyticsMetric{Name: "tAcd", Value: msOf(queueEnd.Sub(c.Start)), EmitDate: *queueEnd})
	}
	acd := session(1, []AnalyticsSegment{acdSeg}, metrics)
	acd.RequestedRoutings, acd.UsedRouting = []string{"Standard"}, "Standard"
	if accepted != nil {
		acd.SelectedAgentID = accepted.UserID
	}
	conv.Participants = append(conv.Participants, AnalyticsParticipant{ParticipantID: pid(1), ParticipantName: "Queue", Purpose: "acd", Sessions: []AnalyticsSession{acd}})

	for i, a := range c.Alerts {
		conv.Participants = append(conv.Participants, c.agentParticipant(pid(2+i), media, a))
	}
	return conv
}

func (c ACDCall) agentParticipant(id, media string, a CallAlert) AnalyticsParticipant {
	alertEnd := a.End
	segs := []AnalyticsSegment{{SegmentStart: a.Start, SegmentEnd: &alertEnd, SegmentType: "alert", QueueID: c.QueueID}}
	metrics := []AnalyticsMetric{{Name: "tAlert", Value: msOf(a.End.Sub(a.Start)), EmitDate: a.End}}
	switch a.Outcome {
	case AlertDeclined:
		segs[0].DisconnectType = "client"
	case AlertNoAnswer:
		segs[0].DisconnectType = "timeout"
		metrics = append(metrics, AnalyticsMetric{Name: "tNotResponding", Value: msOf(a.End.Sub(a.Start)), EmitDate: a.End})
	default:
		t := a.End
		add := func(typ string, d time.Duration) {
			e := t.Add(d)
			segs = append(segs, AnalyticsSegment{SegmentStart: t, SegmentEnd: &e, SegmentType: typ, QueueID: c.QueueID})
			t = e
		}
		add("interact", c.Talk)
		if c.Held > 0 {
			add("hold", c.Held)
		}
		talkEnd := t
		segs[len(segs)-1].DisconnectType = "peer" // the customer hung up
		if c.ACW > 0 {
			add("wrapup", c.ACW)
			segs[len(segs)-1].DisconnectType = "client"
		}
		metrics = append(metrics,
			AnalyticsMetric{Name: "tAnswered", Value: msOf(a.End.Sub(c.Start)), EmitDate: a.End},
			AnalyticsMetric{Name: "tTalk", Value: msOf(c.Talk), EmitDate: talkEnd},
			AnalyticsMetric{Name: "tTalkComplete", Value: msOf(c.Talk), EmitDate: talkEnd})
		if c.Held > 0 {
			metrics = append(metrics, AnalyticsMetric{Name: "tHeld", Value: msOf(c.Held), EmitDate: talkEnd},
				AnalyticsMetric{Name: "tHeldComplete", Value: msOf(c.Held), EmitDate: talkEnd})
		}
		if c.ACW > 0 {
			metrics = append(metrics, AnalyticsMetric{Name: "tAcw", Value: msOf(c.ACW), EmitDate: t})
		}
		metrics = append(metrics, AnalyticsMetric{Name: "tHandle", Value: msOf(c.Talk + c.Held + c.ACW), EmitDate: t})
	}
	return AnalyticsParticipant{ParticipantID: id, UserID: a.UserID, Purpose: "agent",
		Sessions: []AnalyticsSession{{SessionID: id + "-s", MediaType: media, Direction: "inbound", Segments: segs, Metrics: metrics}}}
}

func disconnectIf(end *time.Time, v string) string {
	if end == nil {
		return ""
	}
	return v
}

func msOf(d time.Duration) int64 { return d.Milliseconds() }
