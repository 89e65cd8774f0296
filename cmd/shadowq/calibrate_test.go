package main

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/fakes/genesys/playback"
	"github.com/shadowq/shadowq/scenarios"
)

// calibFake serves days of tier-3 history (0: none) on loopback and
// points the GENESYSCLOUD_* variables at it.
func calibFake(t *testing.T, days int, noWFM bool) {
	t.Helper()
	sc, err := scenarios.Load("../../scenarios/tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := genesys.NewHistory()
	if days > 0 {
		if _, err := playback.History(h, sc, days, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	org := playback.Org(sc)
	srv, err := genesys.New(genesys.Options{Org: &org, History: h, NoWFM: noWFM})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GENESYSCLOUD_REGION", base)
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_ID", genesys.DemoClientID)
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", genesys.DemoClientSecret)
}

// Bad input stops before anything is read (exit 2, saying what); an org
// without traffic stops with a clear message (exit 1); an org without WFM
// calibrates from presence and says so.
func TestCalibrateCLI(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "28d"}, "--out FILE is required"},
		{[]string{"--since", "28d", "--from", "2026-11-01", "--to", "2026-11-02", "--out", "x.yaml"}, "not both"},
		{[]string{"--from", "2026-11-05", "--to", "2026-11-02", "--out", "x.yaml"}, "the interval is empty"},
		{[]string{"--since", "four weeks", "--out", "x.yaml"}, "not a number of days"},
		{[]string{"--since", "7d", "--priorities", "P1=lots", "--out", "x.yaml"}, `"P1=lots" is not NAME=WEIGHT`},
		{[]string{"--since", "7d", "--out", "/dev/null/cal.yaml"}, "--out /dev/null/cal.yaml: mkdir /dev/null"},
	} {
		code, _, stderr := runCLI(t, append([]string{"calibrate"}, c.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("calibrate %v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if code, _, stderr := runCLI(t, "calibrate", "--help"); code != exitOK || !strings.Contains(stderr, "--time-zone") {
		t.Errorf("calibrate --help: exit %d\n%s", code, stderr)
	}
	calibFake(t, 0, false)
	out := filepath.Join(t.TempDir(), "cal.yaml")
	code, _, stderr := runCLI(t, "calibrate", "--since", "7d", "--out", out)
	if code != exitFailed || !strings.Contains(stderr, "no conversations in all queues") {
		t.Errorf("empty history: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a scenario was written from no data")
	}
}

// The calibration report in a real browser: headless Chromium renders
// calibration.html of a calibration from the fake (WFM not licensed);
// the page names the fits and the warning, and every plot decodes in Go
// and in the browser. A screenshot is taken; set
// SHADOWQ_CALIBRATION_SCREENSHOT=FILE to keep it.
func TestCalibrationReportInBrowser(t *testing.T) {
	calibFake(t, 7, true)
	dir := filepath.Join(t.TempDir(), "not-yet") // --out's directory is made
	out := filepath.Join(dir, "cal.yaml")
	code, stdout, stderr := runCLI(t, "calibrate", "--since", "7d", "--out", out, "--policy", "../../scenarios/policy.yaml", "--name", "Tier 3 from the fake")
	if code != exitOK || !strings.Contains(stdout, "calibrated ") {
		t.Fatalf("calibrate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	y, _ := os.ReadFile(out)
	if !strings.Contains(string(y), "# WFM: not available (403 not.authorized") {
		t.Errorf("scenario does not say WFM was not available:\n%.600s", y)
	}
	if code, _, stderr := runCLI(t, "sim", out, "--replications", "2", "--records", "none", "--out", filepath.Join(dir, "sim")); code == exitBadInput {
		t.Fatalf("sim of the calibrated scenario: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not installed: the browser check of calibration.html is skipped", chromium)
	}
	page, err := os.ReadFile(filepath.Join(dir, "calibration.html"))
	if err != nil {
		t.Fatal(err)
	}
	imgs := regexp.MustCompile(`src="data:image/png;base64,([^"]*)"`).FindAllSubmatch(page, -1)
	if len(imgs) < 9 { // handle time, response time, meetings and churn of 3 groups (histogram and QQ each), patience
		t.Fatalf("calibration.html has %d images", len(imgs))
	}
	for i, m := range imgs {
		raw, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil || cfg.Width < 100 {
			t.Fatalf("image %d: %v", i, err)
		}
	}
	dom := browseProbed(t, dir, page, len(imgs))
	for _, want := range []string{"Calibration: Tier 3 from the fake", "handle time (tTalk + tHeld)", "after-call work (tAcw)",
		"Fitted against observed", "Kaplan–Meier", "censored MLE", "QQ plot", "WFM schedules: not available (403", "starts per expert-day", "In a Meeting – Do Not Disturb"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	screenshot(t, "file://"+filepath.Join(dir, "calibration.html"), filepath.Join(dir, "calibration.png"), "SHADOWQ_CALIBRATION_SCREENSHOT", 1280, 2400)
}
