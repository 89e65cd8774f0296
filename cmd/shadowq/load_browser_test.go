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
	dom := browseProbed(t, dir, page, 4)
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
	screenshot(t, "file://"+filepath.Join(dir, "load.html"), filepath.Join(dir, "load.png"), "SHADOWQ_SCREENSHOT", 1280, 2200)
}

func itoa(n int) string { return strconv.Itoa(n) }
