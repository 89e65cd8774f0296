package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Messages a client may send on the socket (shared/genesys-api.md §2).
const (
	msgPing        = "ping"
	msgSubscribe   = "subscribe"
	msgUnsubscribe = "unsubscribe"
)

// clientMessage is a decoded client frame:
//
//	{"message":"ping"}
//	{"message":"subscribe","topics":["v2.users.{id}.presence"],"correlationId":"x"}
type clientMessage struct {
	Message       string
	Topics        []string
	CorrelationID string
}

// errMissingData is the text the real service answers a subscribe without
// topics with (seen in a public client's logs).
var errMissingData = errors.New("Required data missing from subscribe request.")

// decodeClientMessage parses one client frame. It never panics; its errors
// name the field at fault and become a {"result":"400"} reply. The
// correlationId is returned even when another field is wrong, so the
// reply can echo it.
func decodeClientMessage(data []byte) (clientMessage, error) {
	var m clientMessage
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return m, fmt.Errorf("message is not a JSON object: %v", err)
	}
	if v, ok := raw["correlationId"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &m.CorrelationID); err != nil {
			return m, fmt.Errorf("correlationId must be a string")
		}
	}
	v, ok := raw["message"]
	if !ok || isNull(v) {
		return m, fmt.Errorf("message field is missing; expected \"ping\", \"subscribe\" or \"unsubscribe\"")
	}
	if err := json.Unmarshal(v, &m.Message); err != nil {
		return m, fmt.Errorf("message field must be a string")
	}
	switch m.Message {
	case msgPing:
		return m, nil
	case msgSubscribe, msgUnsubscribe:
	default:
		return m, fmt.Errorf("unknown message %q; expected \"ping\", \"subscribe\" or \"unsubscribe\"", m.Message)
	}
	v, ok = raw["topics"]
	if !ok || isNull(v) {
		return m, errMissingData
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return m, fmt.Errorf("topics must be an array of topic names")
	}
	if len(items) == 0 {
		return m, errMissingData
	}
	m.Topics = make([]string, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it, &m.Topics[i]); err != nil || m.Topics[i] == "" {
			m.Topics = nil
			return m, fmt.Errorf("topics[%d] must be a non-empty string", i)
		}
	}
	return m, nil
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// socketReply is the answer to a subscribe/unsubscribe, field order as
// observed: {"correlationId","topics","result","status","message"}.
type socketReply struct {
	CorrelationID string   `json:"correlationId"`
	Topics        []string `json:"topics"`
	Result        string   `json:"result"`
	Status        string   `json:"status"`
	Message       string   `json:"message,omitempty"`
}

func resultReply(correlationID string, topics []string, status string) []byte {
	b, _ := json.Marshal(socketReply{CorrelationID: correlationID, Topics: topics, Result: "200", Status: status})
	return b
}

func errorReply(correlationID, message string) []byte {
	b, _ := json.Marshal(socketReply{CorrelationID: correlationID, Topics: []string{}, Result: "400", Status: "error", Message: message})
	return b
}
