package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// testAuth accepts "Bearer tok-<client>" and names <client>.
func testAuth(r *http.Request) (string, *wire.ErrorBody) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", wire.Error(http.StatusUnauthorized, "authentication.required", "No authentication bearer token specified in authorization header.")
	}
	client, ok := strings.CutPrefix(h, "Bearer tok-")
	if !ok || client == "" {
		return "", wire.Error(http.StatusUnauthorized, "bad.credentials", "Invalid login credentials.")
	}
	return client, nil
}

type fixture struct {
	t   *testing.T
	hub *Hub
	srv *httptest.Server
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	if opts.Authorize == nil {
		opts.Authorize = testAuth
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	h := New(opts)
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close) // runs first: sockets end before the server closes
	return &fixture{t: t, hub: h, srv: srv}
}

// do sends a REST request as client and returns the status and body.
func (f *fixture) do(client, method, path string, body any) (int, []byte, http.Header) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if client != "" {
		req.Header.Set("Authorization", "Bearer tok-"+client)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header
}

func (f *fixture) createChannel(client string) channelJSON {
	f.t.Helper()
	status, body, _ := f.do(client, http.MethodPost, "/api/v2/notifications/channels", nil)
	if status != http.StatusOK {
		f.t.Fatalf("create channel: %d %s", status, body)
	}
	var ch channelJSON
	if err := json.Unmarshal(body, &ch); err != nil {
		f.t.Fatal(err)
	}
	return ch
}

func topicsBody(topics ...string) []map[string]string {
	out := []map[string]string{}
	for _, t := range topics {
		out = append(out, map[string]string{"id": t})
	}
	return out
}

// subscribe calls the subscriptions endpoint and expects 200.
func (f *fixture) subscribe(client, method, id string, topics ...string) listing[topicJSON] {
	f.t.Helper()
	status, body, _ := f.do(client, method, "/api/v2/notifications/channels/"+id+"/subscriptions", topicsBody(topics...))
	if status != http.StatusOK {
		f.t.Fatalf("%s subscriptions: %d %s", method, status, body)
	}
	var l listing[topicJSON]
	if err := json.Unmarshal(body, &l); err != nil {
		f.t.Fatal(err)
	}
	return l
}

func decodeError(t *testing.T, body []byte) wire.ErrorBody {
	t.Helper()
	var e wire.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

func (f *fixture) dial(connectURI string) *websocket.Conn {
	f.t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(connectURI, nil)
	if err != nil {
		f.t.Fatalf("dial %s: %v", connectURI, err)
	}
	resp.Body.Close()
	f.t.Cleanup(func() { c.Close() })
	return c
}

// frame is any server frame: an event envelope, a control message or a
// socket reply.
type frame struct {
	TopicName string          `json:"topicName"`
	Version   string          `json:"version"`
	EventBody json.RawMessage `json:"eventBody"`
	Metadata  *struct {
		CorrelationID string `json:"CorrelationId"`
	} `json:"metadata"`
	Result        string   `json:"result"`
	Status        string   `json:"status"`
	Message       string   `json:"message"`
	CorrelationID string   `json:"correlationId"`
	Topics        []string `json:"topics"`

	raw []byte
}

func (fr frame) isHeartbeat() bool {
	return fr.TopicName == "channel.metadata" && bytes.Contains(fr.EventBody, []byte("WebSocket Heartbeat"))
}

// read returns the next frame, heartbeats included.
func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	fr, err := tryRead(c, 5*time.Second)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return fr
}

func tryRead(c *websocket.Conn, timeout time.Duration) (frame, error) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	typ, data, err := c.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	if typ != websocket.TextMessage {
		return frame{}, errors.New("non-text frame")
	}
	var fr frame
	if err := json.Unmarshal(data, &fr); err != nil {
		return frame{}, err
	}
	fr.raw = data
	return fr, nil
}

// next returns the next frame that is not a heartbeat.
func next(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	for {
		if fr := read(t, c); !fr.isHeartbeat() {
			return fr
		}
	}
}

// expectClose reads until the connection ends and returns the close code
// (websocket.CloseAbnormalClosure when there was no close frame).
func expectClose(t *testing.T, c *websocket.Conn) (code int, frames []frame) {
	t.Helper()
	for {
		fr, err := tryRead(c, 5*time.Second)
		if err == nil {
			frames = append(frames, fr)
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, frames
		}
		t.Fatalf("expected the server to close the socket, got %v", err)
	}
}

type presence struct {
	Source             string `json:"source"`
	PresenceDefinition struct {
		ID             string `json:"id"`
		SystemPresence string `json:"systemPresence"`
	} `json:"presenceDefinition"`
	Primary bool   `json:"primary"`
	Message string `json:"message"`
	Seq     int    `json:"seq,omitempty"` // test-only marker
}

func presenceBody(systemPresence string, seq int) presence {
	var p presence
	p.Source = "PURECLOUD"
	p.PresenceDefinition.ID = "6a3af858-942f-489d-9700-5f9bcdcdae9b"
	p.PresenceDefinition.SystemPresence = systemPresence
	p.Primary = true
	p.Seq = seq
	return p
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
