package notify

import (
	"bytes"
	"encoding/json"
	"sync"
)

// Pre-encoded control messages (shared/genesys-api.md §2, "Control messages").
var (
	heartbeatMsg = []byte(`{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`)
	pongMsg      = []byte(`{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`)
)

// SocketClosingTopic is the system topic that warns of a close.
const SocketClosingTopic = "v2.system.socket_closing"

type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	// Genesys (Jackson) does not escape <, > and & in event bodies.
	e.enc.SetEscapeHTML(false)
	return e
}}

// encodeEnvelope builds the whole notification frame once, so fan-out to
// many sockets and duplicates share one immutable byte slice:
//
//	{"topicName":"...","version":"2","eventBody":{...},"metadata":{"CorrelationId":"<uuid>"}}
func encodeEnvelope(topic string, body any, correlationID [36]byte) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(body); err != nil {
		return nil, err
	}
	b := bytes.TrimRight(e.buf.Bytes(), "\n")
	out := make([]byte, 0, len(b)+len(topic)+112)
	out = append(out, `{"topicName":`...)
	out = appendJSONString(out, topic)
	out = append(out, `,"version":"2","eventBody":`...)
	out = append(out, b...)
	out = append(out, `,"metadata":{"CorrelationId":"`...)
	out = append(out, correlationID[:]...)
	out = append(out, `"}}`...)
	return out, nil
}

// appendJSONString quotes s; topics are plain ASCII, so the slow path is
// only for what a caller of Publish might pass.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// splitmix64 is the SplitMix64 finaliser: a cheap, well-mixed hash of a
// counter, so ids are reproducible from a seed without a locked source.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// uuidFrom formats two 64-bit words as a version 4 UUID.
func uuidFrom(hi, lo uint64) [36]byte {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexd[c>>4]
		out[j+1] = hexd[c&0xf]
		j += 2
	}
	return out
}
