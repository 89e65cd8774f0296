package check

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/serve"
	"github.com/shadowq/shadowq/serve/live"
)

const apiToken = "check-token"

// running is a serve replica on loopback against an in-process fake
// Genesys Cloud, on an embedded Redis.
type running struct {
	url  string
	fake *genesys.Full
}

// startServe runs the shipped example config the way `shadowq serve`
// does, and waits until it is ready.
func startServe(t *testing.T) *running {
	t.Helper()
	f, err := genesys.NewFull(genesys.Options{}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	cfg, err := serve.LoadConfig("../../serve/shadowq.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHADOWQ_API_TOKEN", apiToken)
	t.Setenv("SHADOWQ_HMAC_SECRET", "")
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := live.New(ctx, cfg, live.Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret},
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(2 * time.Minute); !srv.Ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready: %v", srv.NotReady())
		}
	}
	return &running{url: "http://" + addr, fake: f}
}

// do sends a request with the bearer token (unless auth is false).
func (r *running) do(t *testing.T, method, path, body string, auth bool) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// conversation creates a waiting conversation in the fake.
func (r *running) conversation(t *testing.T) string {
	t.Helper()
	id, err := r.fake.CreateConversation(genesys.NewConversation{Skills: []string{"Databases"}, Priority: 3})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
