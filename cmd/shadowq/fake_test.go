package main

import (
	"context"
	"strings"
	"testing"
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
