package main

import (
	"bytes"
	"strings"
	"testing"
)

// Issue 12 item 6: a malformed REDIS_URL was printed with its password.
func TestServeMalformedRedisURLIsRedacted(t *testing.T) {
	t.Setenv("SHADOWQ_API_TOKEN", "t")
	t.Setenv("GENESYSCLOUD_REGION", "http://127.0.0.1:1")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_ID", "id")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "secret")
	for _, url := range []string{
		"redis://app:Sup3r-S3cret@127.0.0.1:63x9/0",
		"redis://:Sup3r-S3cret@127.0.0.1:6379/notadb",
		"redis://app:Sup3r-S3cret\x7f@127.0.0.1:6379/0",
	} {
		t.Setenv("REDIS_URL", url)
		var out, errb bytes.Buffer
		code := run([]string{"serve", "--config", "../../engine/serve/shadowq.example.yaml"}, &out, &errb)
		if code != exitBadInput || !strings.Contains(errb.String(), "REDIS_URL") || !strings.Contains(errb.String(), "xxxxx") {
			t.Errorf("%q: code %d, stderr %q: want a bad-input exit naming REDIS_URL, redacted", url, code, errb.String())
		}
		if strings.Contains(errb.String()+out.String(), "Sup3r") {
			t.Errorf("%q: the password is printed: %s", url, errb.String())
		}
	}
}
