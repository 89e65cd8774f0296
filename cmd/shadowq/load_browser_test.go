package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The load report in a real browser: a short `shadowq load --out DIR`
// writes load.html and result.json; headless Chromium renders the page
// with the summary (the same figures as result.json) and four plots that
// decode in the browser and in Go; a screenshot is taken (set
// SHADOWQ_SCREENSHOT=FILE to keep it).
func TestLoadReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the fake and a replica")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not installed: the browser check of load.html is skipped", chromium)
	}
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "load", "--experts", "60", "--events-per-second", "200", "--escalations-per-second", "5",
		"--duration", "3s", "--out", dir)
	if code != exitOK {
		t.Fatalf("load: exit %d\n%s", code, stderr)
	}
	var res struct {
		Escalations struct{ Sent, Routed int }
	}
	raw, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil || json.Unmarshal(raw, &res) != nil || res.Escalations.Sent == 0 {
		t.Fatalf("result.json: %v %s", err, raw)
	}
	page, err := os.ReadFile(filepath.Join(dir, "load.html"))
	if err != nil {
		t.Fatal(err)
	}
	imgs := regexp.MustCompile(`<img src="data:image/png;base64,([^"]*)"`).FindAllSubmatch(page, -1)
	if len(imgs) != 4 {
		t.Fatalf("load.html has %d inline PNGs, want 4 (events, staleness, decision, answers)", len(imgs))
	}
	for i, m := range imgs {
		raw, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil || cfg.Width < 100 || cfg.Height < 100 {
			t.Fatalf("image %d: %v, %dx%d", i, err, cfg.Width, cfg.Height)
		}
	}
	probe := `<script>addEventListener("load", () => document.body.setAttribute("data-images",
  [...document.images].map(i => i.complete + ":" + i.naturalWidth + "x" + i.naturalHeight).join(",")));</script></body>`
	probed := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probed, bytes.Replace(page, []byte("</body>"), []byte(probe), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(browse(t, "--virtual-time-budget=5000", "--dump-dom", "file://"+probed))
	sent := regexp.MustCompile(`(\d+) sent: (\d+) routed`).FindStringSubmatch(dom)
	if sent == nil || sent[1] != itoa(res.Escalations.Sent) || sent[2] != itoa(res.Escalations.Routed) {
		t.Errorf("rendered summary %q disagrees with result.json %+v", sent, res.Escalations)
	}
	for _, want := range []string{"shadowq load report", "60 experts", `id="summary"`, "staleness", "lost",
		`id="events"`, `id="staleness"`, `id="decision"`, `id="outcomes"`, "Answers per second"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	m := regexp.MustCompile(`data-images="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the probe did not run: no data-images on <body>")
	}
	states := strings.Split(m[1], ",")
	if len(states) != 4 {
		t.Errorf("browser saw %d images: %s", len(states), m[1])
	}
	for i, s := range states {
		if !strings.HasPrefix(s, "true:") || strings.HasPrefix(s, "true:0x") {
			t.Errorf("image %d is broken in the browser: %s", i, s)
		}
	}
	shot := filepath.Join(dir, "load.png")
	if s := os.Getenv("SHADOWQ_SCREENSHOT"); s != "" {
		shot = s
	}
	browse(t, "--hide-scrollbars", "--window-size=1280,2200", "--screenshot="+shot, "file://"+filepath.Join(dir, "load.html"))
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width != 1280 {
		t.Errorf("screenshot: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
