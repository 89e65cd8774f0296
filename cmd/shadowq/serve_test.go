package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/notify"
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
		code := run([]string{"serve", "--config", "../../serve/shadowq.example.yaml"}, &out, &errb)
		if code != exitBadInput || !strings.Contains(errb.String(), "REDIS_URL") || !strings.Contains(errb.String(), "xxxxx") {
			t.Errorf("%q: code %d, stderr %q: want a bad-input exit naming REDIS_URL, redacted", url, code, errb.String())
		}
		if strings.Contains(errb.String()+out.String(), "Sup3r") {
			t.Errorf("%q: the password is printed: %s", url, errb.String())
		}
	}
}

const exampleConfig = "../../serve/shadowq.example.yaml"

// serveEnv sets a complete environment for serve against base (nothing
// listens there unless a test starts something).
func serveEnv(t *testing.T, base string) {
	t.Setenv("GENESYSCLOUD_REGION", base)
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_ID", genesys.DemoClientID)
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", genesys.DemoClientSecret)
	t.Setenv("SHADOWQ_API_TOKEN", "t")
	t.Setenv("SHADOWQ_HMAC_SECRET", "")
	t.Setenv("REDIS_URL", "")
	t.Setenv("GENESYSCLOUD_REQUESTS_PER_MINUTE", "")
}

// serve --check on the shipped config with a complete environment: exit 0
// without connecting (the region points at a closed port).
func TestServeCheckGoodConfig(t *testing.T) {
	serveEnv(t, "http://127.0.0.1:1")
	code, out, errs := runCLI(t, "serve", "--check", "--config", exampleConfig)
	if code != exitOK || !strings.Contains(out, "is valid: 8 experts listed, delivery assign") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

// serve --check names every missing environment variable at once, and
// every config problem with file:line:column; exit 2 either way.
func TestServeCheckBrokenConfigAndEnv(t *testing.T) {
	serveEnv(t, "")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "")
	t.Setenv("SHADOWQ_API_TOKEN", "")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_ID_2", "second")
	t.Setenv("GENESYSCLOUD_REQUESTS_PER_MINUTE", "lots")
	t.Setenv("REDIS_URL", "redis://app:Sup3r-S3cret@127.0.0.1:63x9/0")
	code, _, errs := runCLI(t, "serve", "--check", "--config", exampleConfig)
	if code != exitBadInput {
		t.Fatalf("missing env: exit %d, want 2\n%s", code, errs)
	}
	for _, want := range []string{"GENESYSCLOUD_REGION is not set", "GENESYSCLOUD_OAUTHCLIENT_SECRET is not set",
		"SHADOWQ_API_TOKEN and SHADOWQ_HMAC_SECRET are not set", "GENESYSCLOUD_OAUTHCLIENT_SECRET_2 is not set",
		`GENESYSCLOUD_REQUESTS_PER_MINUTE="lots"`, "REDIS_URL: redis URL redis://app:xxxxx@", "6 environment problem(s)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "GENESYSCLOUD_OAUTHCLIENT_ID is not set") || strings.Contains(errs, "Sup3r") {
		t.Errorf("a set variable reported missing, or a password printed:\n%s", errs)
	}

	serveEnv(t, "http://127.0.0.1:1")
	dir := t.TempDir()
	bad := filepath.Join(dir, "shadowq.yaml")
	os.WriteFile(bad, []byte("listen: 127.0.0.1:8080\ndelivery: {mode: teleport}\nresync: {intervall: 5s}\nexperts:\n  - {id: u1, skills: {Databases: 9}}\n"), 0o644)
	code, _, errs = runCLI(t, "serve", "--check", "--config", bad)
	if code != exitBadInput {
		t.Fatalf("broken config: exit %d, want 2\n%s", code, errs)
	}
	for _, want := range []string{bad + ":2:", `"teleport"`, bad + ":3:", "intervall", bad + ":5:", "proficiency 9", "is not valid"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// Runtime failures exit 1, not 2: Genesys refusing the OAuth client, and
// the listen address in use.
func TestServeRuntimeFailuresExit1(t *testing.T) {
	f, err := genesys.NewFull(genesys.Options{}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := f.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	serveEnv(t, base)
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "wrong")
	code, _, errs := runCLI(t, "serve", "--config", exampleConfig, "--listen", "127.0.0.1:0")
	if code != exitFailed {
		t.Errorf("bad OAuth secret: exit %d, want 1\n%s", code, errs)
	}

	serveEnv(t, base)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs = runCLI(t, "serve", "--config", exampleConfig, "--listen", ln.Addr().String())
	if code != exitFailed || !strings.Contains(errs, "address already in use") {
		t.Errorf("port in use: exit %d, want 1\n%s", code, errs)
	}
}

// healthcheck: 200 → exit 0, anything else or nothing listening → exit 1.
func TestHealthcheckCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, `{"code":"not.ready"}`, 503)
		}
	}))
	defer srv.Close()
	if code, _, errs := runCLI(t, "healthcheck", "--url", srv.URL+"/readyz"); code != exitOK {
		t.Errorf("200: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "healthcheck", "--url", srv.URL+"/other"); code != exitFailed || !strings.Contains(errs, "503") {
		t.Errorf("503: exit %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, "healthcheck", "--url", "http://127.0.0.1:1/readyz"); code != exitFailed {
		t.Errorf("nothing listening: exit %d", code)
	}
}
