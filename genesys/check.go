package genesys

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
	"github.com/shadowq/shadowq/engine"
)

// CheckDelivery reads d's conversation (GET /api/v2/conversations/{id},
// SDK, under the Client's retry policy) and answers what it means for d,
// as an engine.ConversationChecker answer (Checked is set):
//
//   - Accepted: the expert's leg is connected (or was, and has ended);
//   - StillAlerting: the expert's leg is alerting, offering or contacting;
//   - Gone: another agent is connected (ConnectedTo), the conversation
//     ended, or it does not exist (404);
//   - NoAnswer or Declined: the expert's leg ended without connecting
//     (disconnectType timeout or transfer.noanswer is NoAnswer);
//   - NotDelivered: the expert has no leg and the conversation waits;
//   - DeliveryError: the conversation could not be read.
func (c *Client) CheckDelivery(ctx context.Context, d engine.Delivery) engine.Outcome {
	const op = "GET /api/v2/conversations/{conversationId}"
	o := engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder, Checked: true, At: c.now()}
	var conv *platformclientv2.Conversation
	err := c.run(ctx, op, func(ctx context.Context, deadline time.Time) error {
		cv, err := c.conversation(ctx, deadline, d.ConversationID)
		conv = cv
		return err
	})
	var api *APIError
	switch {
	case errors.As(err, &api) && api.Status == http.StatusNotFound:
		o.Result, o.Detail = engine.Gone, "conversation not found"
		return o
	case err != nil:
		o.Result, o.Detail = engine.DeliveryError, err.Error()
		return o
	}
	return readDelivery(conv, d.Expert, o)
}

// leg is one participant's media state, merged over its media.
type leg struct {
	connected, alerting, ended, everConnected, timedOut bool
	connectedAt                                         time.Time
}

// media is what legOf reads of one media entry, whatever its kind.
type media struct {
	state, disconnect *string
	connected         *time.Time
}

// appendMedia adds the entries of one media list (nil when absent).
func appendMedia[T any](ms []media, list *[]T, get func(*T) media) []media {
	if list == nil {
		return ms
	}
	for i := range *list {
		ms = append(ms, get(&(*list)[i]))
	}
	return ms
}

func legOf(p *platformclientv2.Participant) leg {
	var ms []media
	ms = appendMedia(ms, p.Calls, func(m *platformclientv2.Call) media { return media{m.State, m.DisconnectType, m.ConnectedTime} })
	ms = appendMedia(ms, p.Callbacks, func(m *platformclientv2.Callback) media {
		return media{m.State, m.DisconnectType, m.ConnectedTime}
	})
	ms = appendMedia(ms, p.Chats, func(m *platformclientv2.Conversationchat) media {
		return media{m.State, m.DisconnectType, m.ConnectedTime}
	})
	ms = appendMedia(ms, p.Emails, func(m *platformclientv2.Email) media { return media{m.State, m.DisconnectType, m.ConnectedTime} })
	ms = appendMedia(ms, p.Messages, func(m *platformclientv2.Message) media {
		return media{m.State, m.DisconnectType, m.ConnectedTime}
	})
	l := leg{ended: p.EndTime != nil, everConnected: p.ConnectedTime != nil}
	if p.ConnectedTime != nil {
		l.connectedAt = *p.ConnectedTime
	}
	open := len(ms) == 0
	for _, m := range ms {
		switch strings.ToLower(str(m.state)) {
		case "connected":
			l.connected, open = true, true
		case "alerting", "offering", "contacting":
			l.alerting, open = true, true
		case "disconnected", "terminated":
		default:
			open = true
		}
		if m.connected != nil {
			l.everConnected = true
			l.connectedAt = *m.connected
		}
		switch strings.ToLower(str(m.disconnect)) {
		case "timeout", "transfer.noanswer":
			l.timedOut = true
		}
	}
	if len(ms) == 0 && p.ConnectedTime != nil && p.EndTime == nil {
		l.connected = true // no media listed: the participant's own times
	}
	l.ended = l.ended || !open
	if l.ended {
		l.connected, l.alerting = false, false
	}
	return l
}

// readDelivery fills o from conv for expert (see CheckDelivery).
func readDelivery(conv *platformclientv2.Conversation, expert engine.ExpertID, o engine.Outcome) engine.Outcome {
	var (
		mine      []leg
		otherConn engine.ExpertID
	)
	if conv.Participants != nil {
		for i := range *conv.Participants {
			p := &(*conv.Participants)[i]
			purpose := str(p.Purpose)
			if purpose != "agent" && purpose != "user" {
				continue
			}
			l := legOf(p)
			switch {
			case str(p.UserId) == string(expert):
				mine = append(mine, l)
			case l.connected && otherConn == "":
				otherConn = engine.ExpertID(str(p.UserId))
			}
		}
	}
	for _, l := range mine {
		if l.connected || (l.ended && l.everConnected) {
			o.Result = engine.Accepted
			if !l.connectedAt.IsZero() {
				o.At = l.connectedAt
			}
			return o
		}
	}
	for _, l := range mine {
		if l.alerting {
			o.Result = engine.StillAlerting
			return o
		}
	}
	switch {
	case otherConn != "":
		o.Result, o.ConnectedTo, o.Detail = engine.Gone, otherConn, "connected to another agent"
		return o
	case conv.EndTime != nil:
		o.Result, o.Detail = engine.Gone, "conversation ended"
		return o
	case len(mine) > 0:
		o.Result = engine.Declined
		if mine[len(mine)-1].timedOut {
			o.Result = engine.NoAnswer
		}
		return o
	}
	o.Result = engine.NotDelivered
	return o
}
