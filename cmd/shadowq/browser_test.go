package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const chromium = "/usr/bin/chromium"

// chromiumFlags keep headless Chromium offline and self-contained.
func chromiumFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
}

// browse runs headless Chromium with args; the deadline only guards
// against a hung browser.
func browse(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append(chromiumFlags(t), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// browseProbed renders page (an HTML document, written into dir with a
// probe that records, once loaded, whether each image decoded and its
// natural size) in the browser and returns the DOM; it fails the test
// unless the browser saw images images, each decoded with a size.
func browseProbed(t *testing.T, dir string, page []byte, images int) string {
	t.Helper()
	probe := `<script>addEventListener("load", () => document.body.setAttribute("data-images",
  [...document.images].map(i => i.complete + ":" + i.naturalWidth + "x" + i.naturalHeight).join(",")));</script></body>`
	probed := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probed, bytes.Replace(page, []byte("</body>"), []byte(probe), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(browse(t, "--virtual-time-budget=5000", "--dump-dom", "file://"+probed))
	m := regexp.MustCompile(`data-images="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the probe did not run: no data-images on <body>")
	}
	states := strings.Split(m[1], ",")
	if len(states) != images {
		t.Errorf("browser saw %d images, want %d: %s", len(states), images, m[1])
	}
	for i, s := range states {
		if !strings.HasPrefix(s, "true:") || strings.HasPrefix(s, "true:0x") {
			t.Errorf("image %d is broken in the browser: %s", i, s)
		}
	}
	return dom
}

// screenshot takes a width×height screenshot of url into file (or into
// $env when set, to keep it) and checks it is a PNG that wide.
func screenshot(t *testing.T, url, file, env string, width, height int) {
	t.Helper()
	if s := os.Getenv(env); s != "" {
		file = s
	}
	browse(t, "--hide-scrollbars", fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+file, url)
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width != width {
		t.Errorf("screenshot: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
}

// The report in a real browser: headless Chromium (the Debian package)
// renders report.html of the README's main job; the page has the verdict
// against both baselines and every figure, and every image decodes in the
// browser (complete, with a size) and in Go (a PNG). A screenshot is taken;
// set SHADOWQ_SCREENSHOT=FILE to keep it.
func TestReportInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not installed (apt-get install -y chromium): the browser check of report.html is skipped", chromium)
	}
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "sim", "../../scenarios/tier3-meetings.yaml", "--replications", "3", "--records", "none", "--out", dir)
	if code == exitBadInput {
		t.Fatalf("sim: exit %d\n%s", code, stderr)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}

	// In Go: every <img> is a non-empty data: PNG that decodes.
	imgs := regexp.MustCompile(`<img src="([^"]*)"`).FindAllSubmatch(page, -1)
	if len(imgs) != 3 {
		t.Fatalf("report.html has %d images, want 3 (latency CDF, utilization, sample day)", len(imgs))
	}
	for i, m := range imgs {
		b64, ok := bytes.CutPrefix(m[1], []byte("data:image/png;base64,"))
		if !ok || len(b64) == 0 {
			t.Fatalf("image %d: src is not an inline PNG: %.60s", i, m[1])
		}
		raw, err := base64.StdEncoding.DecodeString(string(b64))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil || cfg.Width < 100 || cfg.Height < 100 {
			t.Fatalf("image %d: %v, %dx%d", i, err, cfg.Width, cfg.Height)
		}
	}

	dom := browseProbed(t, dir, page, 3)
	for _, want := range []string{`<section id="verdict">`, "<h2>Verdict</h2>", "Against today", "Against available-on-queue",
		"Design targets", "+20% expert utilization", "−15% escalation loop time", `id="latency-cdf"`, `id="utilization"`, `id="timeline"`,
		`id="per-priority"`, `id="per-group"`, `id="glossary"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}

	screenshot(t, "file://"+filepath.Join(dir, "report.html"), filepath.Join(dir, "report.png"), "SHADOWQ_SCREENSHOT", 1280, 2000)
}

// The multi-day report in a real browser: the per-day and hour-of-week
// tables of scenarios/tier3-week.yaml render with one row per day (28,
// Sundays without figures) and per hour of week with arrivals, in the
// scenario's time zone. A screenshot of the per-day table is taken; set
// SHADOWQ_WEEK_SCREENSHOT=FILE to keep it.
func TestWeekReportInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not installed (apt-get install -y chromium): the browser check of report.html is skipped", chromium)
	}
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "sim", "../../scenarios/tier3-week.yaml", "--replications", "2", "--records", "none", "--out", dir)
	if code == exitBadInput {
		t.Fatalf("sim: exit %d\n%s", code, stderr)
	}
	dom := string(browse(t, "--virtual-time-budget=5000", "--dump-dom", "file://"+filepath.Join(dir, "report.html")))
	section := func(id string) string {
		i := strings.Index(dom, `<section id="`+id+`">`)
		if i < 0 {
			t.Fatalf("rendered page lacks section %q", id)
		}
		j := strings.Index(dom[i:], "</section>")
		return dom[i : i+j]
	}
	days := section("per-day")
	if n := strings.Count(days, "<tr>") - 1; n != 28 {
		t.Errorf("per-day table has %d rows, want 28", n)
	}
	for _, want := range []string{"<h2>Per day</h2>", "1 Mon", "2026-03-09", "7 Sun", "2026-04-05", "shadowq SL", "today util."} {
		if !strings.Contains(days, want) {
			t.Errorf("per-day table lacks %q", want)
		}
	}
	sunday := regexp.MustCompile(`<tr><td>7 Sun</td>.*?</tr>`).FindString(days)
	if strings.Count(sunday, "–") != 9 { // SL, p95 and utilization of 3 arms
		t.Errorf("Sunday row %q: want – for every service level, p95 and utilization", sunday)
	}
	hours := section("hour-of-week")
	for _, want := range []string{"<h2>By hour of week</h2>", "Europe/Berlin", "Mon 08:00", "Sat 16:00", "shadowq arrivals/h"} {
		if !strings.Contains(hours, want) {
			t.Errorf("hour-of-week table lacks %q", want)
		}
	}
	if strings.Contains(hours, "Sun ") || strings.Contains(hours, "Mon 07:00") {
		t.Error("hour-of-week table lists an hour without arrivals")
	}
	// The screenshot: the page's head (its styles) with the two tables
	// only (headless Chromium does not scroll to a #fragment before it
	// shoots). It must show something: some pixels far from white.
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(page), "<body")
	tables := filepath.Join(dir, "tables.html")
	if err := os.WriteFile(tables, []byte(head+"<body>"+days+"</section>"+hours+"</section></body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "week.png")
	if s := os.Getenv("SHADOWQ_WEEK_SCREENSHOT"); s != "" {
		shot = s
	}
	browse(t, "--hide-scrollbars", "--window-size=1280,1400", "--screenshot="+shot, "file://"+tables)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 1280 {
		t.Fatalf("screenshot: %v", err)
	}
	ink := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0xc000 {
				ink++
			}
		}
	}
	if ink < 2000 {
		t.Errorf("screenshot is nearly blank: %d dark pixels sampled", ink)
	}
}
