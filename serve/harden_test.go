package serve

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// watchedBody records whether anyone read it.
type watchedBody struct {
	io.Reader
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) { b.read.Store(true); return b.Reader.Read(p) }
func (b *watchedBody) Close() error               { return nil }

// A caller without credentials is refused before its body is read; a
// bearer caller is checked from the headers alone.
func TestAuthenticatedBeforeTheBodyIsRead(t *testing.T) {
	f := newFixture(t, nil)
	api := &API{Loop: f.loop, Auth: Auth{Token: "s3cret", HMACSecret: "hmac-key"}}
	h := api.Handler()
	cases := []struct {
		name string
		hdr  map[string]string
		code int
		read bool
	}{
		{"no credentials", nil, 401, false},
		{"wrong bearer", map[string]string{"Authorization": "Bearer nope"}, 401, false},
		{"signature on a server without an HMAC key is not a credential", map[string]string{"X-Shadowq-Signature": "sha256=00"}, 401, true},
		{"signature: the body is needed to check it", map[string]string{"X-Shadowq-Signature": "sha256=00"}, 401, true},
	}
	for i, c := range cases {
		if i == 2 {
			api.Auth.HMACSecret = ""
			c.read = false
		}
		if i == 3 {
			api.Auth.HMACSecret = "hmac-key"
		}
		body := &watchedBody{Reader: strings.NewReader(`{"conversationId":"c1","priority":"P3"}`)}
		req := httptest.NewRequest("POST", "/v1/escalations", body)
		for k, v := range c.hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.code || body.read.Load() != c.read {
			t.Errorf("%s: %d, body read %v; want %d, read %v", c.name, rec.Code, body.read.Load(), c.code, c.read)
		}
	}
}

// A client that sends headers and then trickles (here: stops sending) its
// body is answered 408 and cut off once the body deadline passes; it does
// not hold the connection for as long as it likes.
func TestSlowBodyClientIsCutOff(t *testing.T) {
	f := newFixture(t, nil)
	api := &API{Loop: f.loop, Auth: Auth{Token: "s3cret"}, BodyTimeout: 200 * time.Millisecond}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /v1/escalations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"conversa")
	if err != nil {
		t.Fatal(err)
	}
	// A generous bound: it only turns a hang (the bug) into a failure.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server is still waiting for the body: a slow client holds the connection")
		}
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
}

func TestNewHTTPServerHasTimeouts(t *testing.T) {
	s := NewHTTPServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("timeouts %v %v %v %v: every one must be set", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}

// /readyz names why a replica is not ready; while Accepting refuses, a
// POST is answered 503 with a JSON body and nothing is routed.
func TestReadinessReasonAndRefusal(t *testing.T) {
	f := newFixture(t, nil)
	refuse := errors.New("shutting down")
	api := &API{Loop: f.loop, Auth: Auth{Token: "s3cret"},
		Ready:     func() error { return errors.New("store: redis unreachable") },
		Accepting: func() error { return refuse }}
	h := api.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"message":"store: redis unreachable"`) {
		t.Fatalf("/readyz: %d %s", rec.Code, rec.Body)
	}
	body := &watchedBody{Reader: strings.NewReader(`{"conversationId":"c1","priority":"P3"}`)}
	req := httptest.NewRequest("POST", "/v1/escalations", body)
	req.Header.Set("Authorization", "Bearer s3cret")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 503 || rec.Header().Get("Content-Type") != "application/json" || !strings.Contains(rec.Body.String(), "shutting down") || body.read.Load() {
		t.Fatalf("POST while refusing: %d %s (body read %v)", rec.Code, rec.Body, body.read.Load())
	}
	if f.disp.count() != 0 {
		t.Fatal("routed while refusing")
	}
}
