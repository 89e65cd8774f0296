package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// The README's production walkthrough, copied from README.md and run with
// bash from the repository root as a new user would (only the ports are
// swapped for free ones, and the environment starts without the
// variables it sets): it must print the ready answer and route the
// escalation to Ada, and leave nothing running.
func TestReadmeProductionWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the fake and serve")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the README walkthrough needs it", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- walkthrough -->\n```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no <!-- walkthrough --> sh block")
	}
	script := string(m[1])
	for _, want := range []string{"127.0.0.1:8787", "127.0.0.1:8080"} {
		if !strings.Contains(script, want) {
			t.Fatalf("the walkthrough no longer uses %s", want)
		}
	}
	script = strings.ReplaceAll(script, "127.0.0.1:8787", "127.0.0.1:"+freePort(t))
	script = strings.ReplaceAll(script, "127.0.0.1:8080", "127.0.0.1:"+freePort(t))

	_, statErr := os.Stat("../../shadowq")
	hadBinary := statErr == nil
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = "../.."
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "GENESYSCLOUD_") && !strings.HasPrefix(name, "SHADOWQ_") && name != "REDIS_URL" {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if !hadBinary {
		os.Remove("../../shadowq")
	}
	if err != nil {
		t.Fatalf("the walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"shadowq serve --check: serve/shadowq.example.yaml is valid", `{"status":"ready"}`,
		`"action":"routed","userId":"0d3a1e00-05e0-4e00-8000-000000000001"`, "shadowq fake: stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the walkthrough did not print %q\nstdout:\n%s\nstderr:\n%s", want, out.String(), errb.String())
		}
	}
	if strings.Contains(errb.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", errb.String())
	}
}
