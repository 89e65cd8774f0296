package main

import (
	"strings"
	"testing"
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
