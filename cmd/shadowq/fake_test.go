package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFakeCommand(t *testing.T) {
	defer func(old func() (context.Context, context.CancelFunc)) { runContext = old }(runContext)
	runContext = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // stop right after start-up
		return ctx, cancel
	}
	// A given secret is never printed; the demo one is.
	code, out, errs := runCLI(t, "fake", "--addr", "127.0.0.1:0", "--client-id", "me", "--client-secret", "hunter2-very-secret")
	if code != exitOK || strings.Contains(out+errs, "hunter2") || !strings.Contains(out, "GENESYSCLOUD_OAUTHCLIENT_ID=me") || !strings.Contains(out, "users") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "fake", "--addr", "127.0.0.1:0")
	if code != exitOK || !strings.Contains(out, "shadowq-demo-secret") || !strings.Contains(out, "admin API: http://127.0.0.1:") {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	code, _, errs = runCLI(t, "fake", "--scenario", "nope.yaml")
	if code != exitBadInput || !strings.Contains(errs, "nope.yaml") {
		t.Fatalf("bad scenario: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "fake", "--rate-limit-share", "2")
	if code != exitBadInput {
		t.Fatalf("bad fault share: exit %d %s", code, errs)
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startFakeCLI runs `shadowq fake` with args until ctx ends (runContext
// must return ctx) and returns its base URL once it printed it.
func startFakeCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"fake", "--addr", "127.0.0.1:0"}, args...), &out, io.Discard) }()
	t.Cleanup(func() { <-done })
	re := regexp.MustCompile(`GENESYSCLOUD_REGION=(\S+)`)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("the fake printed no base URL:\n%s", out.String())
	return ""
}

// newConversation creates a conversation through the fake's admin API.
func newConversation(t *testing.T, base, admin string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/_fake/conversations", strings.NewReader(`{"skills":["Databases"]}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 201 || body.ID == "" {
		t.Fatalf("POST /_fake/conversations: %d %v %+v", resp.StatusCode, err, body)
	}
	return body.ID
}

// A restarted fake (same Redis behind serve) must not hand out the
// conversation ids of the one before: without --seed every process draws
// its own; with the same --seed the ids repeat (so the seed is what
// decides, and replays stay possible).
func TestFakeConversationIDsUniquePerProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	old := runContext
	t.Cleanup(func() { runContext = old }) // last: after every fake has stopped
	runContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	defer cancel() // before the fakes' cleanups wait for them to stop
	ids := map[string]bool{}
	for i := 0; i < 2; i++ {
		base := startFakeCLI(t, "--admin-token", "adm")
		id := newConversation(t, base, "adm")
		if ids[id] {
			t.Fatalf("fake %d reused conversation id %s", i+1, id)
		}
		ids[id] = true
	}
	a := newConversation(t, startFakeCLI(t, "--admin-token", "adm", "--seed", "7"), "adm")
	b := newConversation(t, startFakeCLI(t, "--admin-token", "adm", "--seed", "7"), "adm")
	if a != b {
		t.Errorf("--seed 7 twice gave %s and %s: the seed does not decide the ids", a, b)
	}
}
