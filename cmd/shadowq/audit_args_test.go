package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// `shadowq audit` refuses bad input with exit 2 and says what is wrong,
// before it connects to anything.
func TestAuditBadInput(t *testing.T) {
	t.Setenv("GENESYSCLOUD_REGION", "http://127.0.0.1:1")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "id")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "secret")
	t.Setenv("REDIS_URL", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "2w"}, `--since: "2w": want a positive duration`},
		{[]string{"--from", "yesterday"}, `--from: "yesterday": want RFC 3339`},
		{[]string{"--from", "2026-11-30", "--to", "2026-11-01"}, "is not before --to"},
		{[]string{"--decisions", "/nonexistent/decisions.jsonl"}, "--decisions: open /nonexistent/decisions.jsonl"},
		{nil, "no decision log: set REDIS_URL"},
	} {
		code, _, stderr := runCLI(t, append([]string{"audit"}, c.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("audit %v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "")
	if code, _, stderr := runCLI(t, "audit", "--decisions", "x"); code != exitBadInput || !strings.Contains(stderr, "set GENESYSCLOUD_OAUTHCLIENT_SECRET") {
		t.Errorf("no secret: exit %d, %q", code, stderr)
	}
}

// A decision export round-trips, keeps whole logs with a decision in the
// window, and a bad line names file:line.
func TestAuditDecisionFile(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	ds := []engine.Decision{
		{ConversationID: "a", Seq: 1, At: t0.Add(-time.Minute), Action: engine.ActDeliver, Observed: true},
		{ConversationID: "a", Seq: 2, At: t0.Add(time.Minute), Action: engine.ActFallback, Observed: true},
		{ConversationID: "b", Seq: 1, At: t0.Add(-time.Hour), Action: engine.ActFallback},
	}
	path := filepath.Join(t.TempDir(), "decisions.jsonl")
	if err := writeDecisions(path, ds); err != nil {
		t.Fatal(err)
	}
	got, err := readDecisionFile(path, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ConversationID != "a" || got[1].Seq != 2 || !got[0].Observed {
		t.Fatalf("read %+v, want both decisions of a", got)
	}
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append(data, []byte("{\"conversationId\": 7}\n")...), 0o644)
	if _, err := readDecisionFile(path, t0, t0.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), path+":4:") {
		t.Fatalf("bad line: %v, want %s:4", err, path)
	}
}
