package redisstore

import (
	"strings"
	"testing"
)

// A malformed REDIS_URL is reported without its password, whatever is
// malformed about it.
func TestParseURLNeverPrintsThePassword(t *testing.T) {
	cases := []struct{ name, url, secret string }{
		{"bad port", "redis://app:hunter2-secret@127.0.0.1:63x9/0", "hunter2-secret"},
		{"bad db", "redis://app:hunter2-secret@127.0.0.1:6379/zero", "hunter2-secret"},
		{"bad scheme", "redsi://app:hunter2-secret@127.0.0.1:6379/0", "hunter2-secret"},
		{"control character", "redis://app:hunter2\x7f-secret@127.0.0.1:6379/0", "hunter2"},
		{"percent-encoded password, bad port", "redis://app:p%40ss%2Fword@h:port/0", "p@ss/word"},
		{"@ inside the password", "redis://app:se@cret-pw@h:bad/0", "cret-pw"},
		{"quoted form", "redis://app:sec\"ret-pw@h:bad/0", `sec\"ret-pw`},
	}
	for _, c := range cases {
		_, err := ParseURL(c.url)
		if err == nil {
			t.Errorf("%s: accepted %q", c.name, c.url)
			continue
		}
		if strings.Contains(err.Error(), c.secret) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", c.name, err)
		}
		if !strings.Contains(err.Error(), "xxxxx") {
			t.Errorf("%s: %v: want the URL, redacted, to say which one", c.name, err)
		}
	}
	if _, err := ParseURL("redis://app:pw@127.0.0.1:6379/0"); err != nil {
		t.Fatal(err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"redis://app:pw@h:6379/0":  "redis://app:xxxxx@h:6379/0",
		"redis://h:6379/0":         "redis://h:6379/0",
		"redis://app@h:6379/0":     "redis://app@h:6379/0",
		"redis://app:pw@h:bad/0":   "redis://app:xxxxx@h:bad/0",
		"rediss://:pw@h:6380":      "rediss://:xxxxx@h:6380",
		"redis://app:p@w@h:bad/0":  "redis://app:xxxxx@h:bad/0",
		"redis://app:pw\x7f@h:1/0": "redis://app:xxxxx@h:1/0",
		"unix:///tmp/r.sock?db=1":  "unix:///tmp/r.sock?db=1",
		"no scheme: pw@x:yz":       "no scheme:xxxxx@x:yz", // unparseable: redacted conservatively
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
