package live

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
)

const chromium = "/usr/bin/chromium"

// browse runs headless Chromium (offline, its own profile) with args; the
// deadline only guards against a hung browser.
func browse(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromium, append(flags, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

func get(t *testing.T, url string, auth func(*http.Request)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth != nil {
		auth(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The on-call status page against a running serve and the fake: one
// escalation ringing at Ada (in flight), one that fell back (no expert
// holds the skill); the page, rendered by headless Chromium, shows health,
// the pool, the escalation in flight and both decisions with their
// explanations. The same run checks the health metrics' values. A
// screenshot is taken; SHADOWQ_SCREENSHOT=FILE keeps it.
func TestStatusPageInBrowser(t *testing.T) {
	f := startFake(t, genesys.Options{})
	if err := f.SetAnswer(ada, genesys.AnswerModel{Accept: 1, Delay: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, f, redisURL(t), "status-r1")
	ringing := newConv(t, f, "Databases", 3)
	if code, resp := post(t, r, ringing, "Databases", "P3"); code != 200 || resp.UserID != ada {
		t.Fatalf("first escalation: %d %+v", code, resp)
	}
	fellBack := newConv(t, f, "Databases", 2)
	if code, resp := post(t, r, fellBack, "Cobol", "P2"); code != 200 || resp.Action != "fallback" {
		t.Fatalf("second escalation: %d %+v", code, resp)
	}

	if code, _ := get(t, r.url+"/status", nil); code != 401 {
		t.Errorf("/status without credentials: %d, want 401", code)
	}
	if code, _ := get(t, r.url+"/status", func(q *http.Request) { q.SetBasicAuth("oncall", "wrong") }); code != 401 {
		t.Errorf("/status with a wrong password: %d, want 401", code)
	}
	_, metrics := get(t, r.url+"/metrics", nil)
	for _, want := range []string{`shadowq_escalations_total{outcome="fallback",priority="P2"} 1`, `shadowq_escalations_in_flight 1`,
		`shadowq_ready 1`, `shadowq_feed_connected 1`, `shadowq_redis_up 1`, `shadowq_build_info{goversion="go`,
		`shadowq_forbidden_deliveries_total{priority="P3"} 0`, `shadowq_delivery_outcomes_total{outcome="accepted"} 0`, "shadowq_resync_age_seconds "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not installed (apt-get install -y chromium): the browser check of /status is skipped", chromium)
	}
	page := strings.Replace(r.url, "http://", "http://oncall:"+apiTok+"@", 1) + "/status"
	dom := string(browse(t, "--dump-dom", page))
	for _, want := range []string{"<h1>shadowq status</h1>", "replica status-r1", `id="health"`, ">ready<", ">connected<", ">up<",
		"Experts by presence", "Eligible by priority", "Escalations in flight (1)", ringing, ">deliver<", "Ada Lovelace",
		"Last decisions", fellBack, ">fallback<", "no eligible expert", "Ada Lovelace 0.92", "Experts (8)", "Grace Hopper", "ON_QUEUE"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered status page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	shot := filepath.Join(t.TempDir(), "status.png")
	if s := os.Getenv("SHADOWQ_SCREENSHOT"); s != "" {
		shot = s
	}
	browse(t, "--hide-scrollbars", "--window-size=1280,1400", "--screenshot="+shot, page)
	fh, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer fh.Close()
	if cfg, err := png.DecodeConfig(fh); err != nil || cfg.Width != 1280 {
		t.Errorf("screenshot: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
}
