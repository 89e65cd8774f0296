package genesys

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// frameKind is what a notification WebSocket message is.
type frameKind uint8

const (
	frameUnknown       frameKind = iota // valid JSON nobody asked for; ignored
	frameEvent                          // a topic event (may carry no engine event)
	frameHeartbeat                      // channel.metadata "WebSocket Heartbeat"
	framePong                           // channel.metadata "pong"
	frameSocketClosing                  // v2.system.socket_closing
	frameReply                          // {"result":"200",...} to a socket subscribe
	frameDead                           // {"result":"404",...}: the channel is gone
)

// frame is one decoded message.
type frame struct {
	kind frameKind
	// key identifies the event for de-duplication: a hash of the topic and
	// the correlation id, or of the topic and the body when there is no
	// correlation id. Zero for control messages.
	key    uint64
	event  engine.Event
	hasEvt bool
	msg    string // control messages: the message text, for logs
}

const (
	topicMetadata      = "channel.metadata"
	topicSocketClosing = "v2.system.socket_closing"
	// maxFrame bounds a message (request.bytes.max is 512,000).
	maxFrame = 1 << 20
)

type envelope struct {
	TopicName string          `json:"topicName"`
	EventBody json.RawMessage `json:"eventBody"`
	Metadata  struct {
		CorrelationID string `json:"CorrelationId"`
	} `json:"metadata"`
	Result  json.RawMessage `json:"result"`
	Message string          `json:"message"`
}

// decodeFrame parses one notification message received at recv. An error
// means the message was malformed or an event could not be used; the frame
// still says what it was as far as it could tell. It never panics, on any
// input (FuzzDecodeEnvelope).
//
// Events carry At from the body (modifiedDate, startTime, connected or end
// times), else recv.
func decodeFrame(data []byte, recv time.Time) (frame, error) {
	if f, ok := fastPresence(data, recv); ok {
		return f, nil
	}
	return decodeFrameGeneral(data, recv)
}

// decodeFrameGeneral is decodeFrame through encoding/json, for every frame
// the fast path leaves.
func decodeFrameGeneral(data []byte, recv time.Time) (frame, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return frame{}, fmt.Errorf("notification frame is not a JSON object: %w", err)
	}
	if env.TopicName == "" {
		if len(env.Result) == 0 {
			return frame{}, nil
		}
		code := strings.Trim(string(env.Result), `"`)
		f := frame{kind: frameReply, msg: env.Message}
		if code == "404" {
			f.kind = frameDead
		}
		return f, nil
	}
	f := frame{kind: frameEvent}
	switch env.TopicName {
	case topicMetadata:
		var b struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.EventBody, &b)
		f.msg = b.Message
		switch {
		case strings.EqualFold(b.Message, "pong"):
			f.kind = framePong
		default:
			// "WebSocket Heartbeat", and any other metadata: proof of life.
			f.kind = frameHeartbeat
		}
		return f, nil
	case topicSocketClosing:
		f.kind = frameSocketClosing
		var b struct {
			Message string `json:"message"`
			Reason  string `json:"reason"`
		}
		_ = json.Unmarshal(env.EventBody, &b)
		f.msg = strings.TrimSpace(b.Reason + " " + b.Message)
		return f, nil
	}
	f.key = frameKey(env.TopicName, env.Metadata.CorrelationID, env.EventBody)

	user, kind, ok := splitUserTopic(env.TopicName)
	if !ok {
		if strings.HasPrefix(env.TopicName, "v2.system.") {
			f.kind = frameUnknown
		}
		return f, nil
	}
	if len(env.EventBody) == 0 || string(env.EventBody) == "null" {
		return f, fmt.Errorf("%s: no eventBody", env.TopicName)
	}
	var err error
	switch {
	case kind == "presence":
		f.event, err = decodePresence(user, env.EventBody, recv)
	case kind == "routingStatus":
		f.event, err = decodeRouting(user, env.EventBody, recv)
	case kind == "conversations" || strings.HasPrefix(kind, "conversations."):
		var ok bool
		f.event, ok, err = decodeConversation(user, env.EventBody, recv)
		if err == nil && !ok {
			return f, nil
		}
	default:
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("%s: %w", env.TopicName, err)
	}
	f.hasEvt = true
	return f, nil
}

// splitUserTopic splits "v2.users.{id}.{kind}" (kind may contain dots).
func splitUserTopic(t string) (user engine.ExpertID, kind string, ok bool) {
	rest, ok := strings.CutPrefix(t, "v2.users.")
	if !ok {
		return "", "", false
	}
	id, kind, ok := strings.Cut(rest, ".")
	if !ok || id == "" || kind == "" {
		return "", "", false
	}
	return engine.ExpertID(id), kind, true
}

// frameKey hashes what identifies one event (FNV-1a, 64 bits, written
// out so that no hasher is allocated; frameKeyBytes is the same on bytes).
func frameKey(topic, correlation string, body []byte) uint64 {
	h := fnvString(fnvOffset, topic)
	h = fnvByte(h, 0)
	if correlation != "" {
		h = fnvString(fnvByte(h, 'c'), correlation)
	} else {
		h = fnvBytes(fnvByte(h, 'b'), body)
	}
	return nonZero(h)
}

func frameKeyBytes(topic, correlation, body []byte) uint64 {
	h := fnvBytes(fnvOffset, topic)
	h = fnvByte(h, 0)
	if len(correlation) > 0 {
		h = fnvBytes(fnvByte(h, 'c'), correlation)
	} else {
		h = fnvBytes(fnvByte(h, 'b'), body)
	}
	return nonZero(h)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = fnvByte(h, c)
	}
	return h
}

func nonZero(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

type presenceBody struct {
	PresenceDefinition *struct {
		ID             string `json:"id"`
		SystemPresence string `json:"systemPresence"`
	} `json:"presenceDefinition"`
	ModifiedDate string `json:"modifiedDate"`
}

func decodePresence(user engine.ExpertID, body []byte, recv time.Time) (engine.Event, error) {
	var b presenceBody
	if err := json.Unmarshal(body, &b); err != nil {
		return engine.Event{}, fmt.Errorf("presence body: %w", err)
	}
	if b.PresenceDefinition == nil || b.PresenceDefinition.ID == "" {
		return engine.Event{}, errors.New("presence body has no presenceDefinition.id")
	}
	sys, _ := engine.ParseSystemPresence(b.PresenceDefinition.SystemPresence)
	return engine.Event{
		Kind:     engine.EvPresence,
		Expert:   user,
		At:       timeOr(b.ModifiedDate, recv),
		Presence: engine.Presence{Def: engine.PresenceDefID(b.PresenceDefinition.ID), System: sys},
	}, nil
}

type routingBody struct {
	RoutingStatus *struct {
		Status    string `json:"status"`
		StartTime string `json:"startTime"`
	} `json:"routingStatus"`
	// Some payloads carry the status flat.
	Status    string `json:"status"`
	StartTime string `json:"startTime"`
}

func decodeRouting(user engine.ExpertID, body []byte, recv time.Time) (engine.Event, error) {
	var b routingBody
	if err := json.Unmarshal(body, &b); err != nil {
		return engine.Event{}, fmt.Errorf("routing status body: %w", err)
	}
	status, start := b.Status, b.StartTime
	if b.RoutingStatus != nil {
		status, start = b.RoutingStatus.Status, b.RoutingStatus.StartTime
	}
	rs, ok := engine.ParseRoutingStatus(status)
	if !ok {
		return engine.Event{}, fmt.Errorf("routing status %q unknown", status)
	}
	return engine.Event{Kind: engine.EvRouting, Expert: user, At: timeOr(start, recv), Routing: rs}, nil
}

type convMedia struct {
	State            string `json:"state"`
	DisconnectType   string `json:"disconnectType"`
	ConnectedTime    string `json:"connectedTime"`
	DisconnectedTime string `json:"disconnectedTime"`
}

type convParticipant struct {
	ID             string      `json:"id"`
	UserID         string      `json:"userId"`
	Purpose        string      `json:"purpose"`
	ConnectedTime  string      `json:"connectedTime"`
	EndTime        string      `json:"endTime"`
	State          string      `json:"state"` // some per-media topics flatten the media
	DisconnectType string      `json:"disconnectType"`
	Calls          []convMedia `json:"calls"`
	Callbacks      []convMedia `json:"callbacks"`
	Chats          []convMedia `json:"chats"`
	Emails         []convMedia `json:"emails"`
	Messages       []convMedia `json:"messages"`
}

type convBody struct {
	ID           string            `json:"id"`
	Participants []convParticipant `json:"participants"`
}

// decodeConversation turns a v2.users.{id}.conversations body into the
// user's participant state. ok is false when the body has no agent (or
// user) participant for this user, or its state is one the engine does not
// track (held, dialing out, ...).
//
// The participant: purpose "agent" (an ACD or assigned interaction) or
// "user"; if the user has several, the last one that has not ended, else
// the last one. Its state:
//
//   - connected: some media is "connected" and the participant has not
//     ended; At = the media's (or participant's) connectedTime;
//   - alerting: some media is alerting/offering/contacting; At = recv;
//   - disconnected: the participant ended or every media is
//     disconnected/terminated; NeverAnswered when no connectedTime was ever
//     set, TimedOut when a disconnectType is "timeout" or
//     "transfer.noanswer"; At = endTime, else disconnectedTime, else recv.
func decodeConversation(user engine.ExpertID, body []byte, recv time.Time) (engine.Event, bool, error) {
	var b convBody
	if err := json.Unmarshal(body, &b); err != nil {
		return engine.Event{}, false, fmt.Errorf("conversation body: %w", err)
	}
	if b.ID == "" {
		return engine.Event{}, false, errors.New("conversation body has no id")
	}
	var p *convParticipant
	for i := range b.Participants {
		q := &b.Participants[i]
		if q.UserID != string(user) || (q.Purpose != "agent" && q.Purpose != "user") {
			continue
		}
		if p == nil || q.EndTime == "" || p.EndTime != "" {
			p = q
		}
	}
	if p == nil {
		return engine.Event{}, false, nil
	}
	media := make([]convMedia, 0, 1)
	for _, l := range [][]convMedia{p.Calls, p.Callbacks, p.Chats, p.Emails, p.Messages} {
		media = append(media, l...)
	}
	if p.State != "" {
		media = append(media, convMedia{State: p.State, DisconnectType: p.DisconnectType, ConnectedTime: p.ConnectedTime, DisconnectedTime: p.EndTime})
	}
	ev := engine.Event{Kind: engine.EvConversation, Expert: user, Conversation: b.ID, At: recv}
	var (
		connected, alerting, open bool
		connectedAt               = p.ConnectedTime
		disconnectedAt            string
		timedOut                  bool
		everConnected             = p.ConnectedTime != ""
	)
	for _, m := range media {
		s := strings.ToLower(m.State)
		switch s {
		case "connected":
			connected = true
			if m.ConnectedTime != "" {
				connectedAt = m.ConnectedTime
			}
		case "alerting", "offering", "contacting":
			alerting = true
		}
		if s != "disconnected" && s != "terminated" {
			open = true
		}
		if m.ConnectedTime != "" {
			everConnected = true
		}
		if m.DisconnectedTime != "" {
			disconnectedAt = m.DisconnectedTime
		}
		switch strings.ToLower(m.DisconnectType) {
		case "timeout", "transfer.noanswer":
			timedOut = true
		}
	}
	ended := p.EndTime != "" || (len(media) > 0 && !open)
	switch {
	case ended:
		ev.ConvState = engine.ConvDisconnected
		ev.NeverAnswered = !everConnected
		ev.TimedOut = ev.NeverAnswered && timedOut
		if p.EndTime != "" {
			disconnectedAt = p.EndTime
		}
		ev.At = timeOr(disconnectedAt, recv)
	case connected:
		ev.ConvState = engine.ConvConnected
		ev.At = timeOr(connectedAt, recv)
	case alerting:
		ev.ConvState = engine.ConvAlerting
	default:
		return engine.Event{}, false, nil
	}
	return ev, true, nil
}

func timeOr(s string, def time.Time) time.Time {
	if t := parseTime(s); !t.IsZero() {
		return t
	}
	return def
}
