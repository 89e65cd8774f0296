package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/audit"
)

// checkAuditInBrowser renders dir/audit.html in headless Chromium: the
// page has the mode, the headline totals, the cherry-pick table with one
// highlighted row per flagged expert, the escalations and the
// definitions; and a screenshot is taken (SHADOWQ_AUDIT_SCREENSHOT=FILE
// keeps it).
func checkAuditInBrowser(t *testing.T, dir string, rep *audit.Report) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Logf("%s not installed: the browser check of audit.html is skipped", chromium)
		return
	}
	page := "file://" + filepath.Join(dir, "audit.html")
	dom := string(browse(t, "--virtual-time-budget=3000", "--dump-dom", page))
	want := []string{`<span class="mode" id="mode">` + rep.Mode + `</span>`, `<table id="cherry">`, `<table id="escalations">`,
		`<dl id="definitions">`, "Expert utilization:", "Transfer reject rate:", "<dt>suspicion</dt>"}
	if rep.Counterfactual != nil {
		want = append(want, "sooner (expected)", "Assumption: Had shadowq rung")
	}
	for _, w := range want {
		if !strings.Contains(dom, w) {
			t.Errorf("rendered audit.html lacks %q", w)
		}
	}
	if n := strings.Count(dom, `<tr class="flagged">`); n != len(rep.CherryPick.Flagged) {
		t.Errorf("audit.html highlights %d rows, %d experts are flagged", n, len(rep.CherryPick.Flagged))
	}
	if n := strings.Count(dom, "<tr>") - 2; n != len(rep.Rows)+len(rep.CherryPick.Experts)-len(rep.CherryPick.Flagged) {
		t.Errorf("audit.html has %d plain body rows; want %d escalations + %d unflagged experts", n, len(rep.Rows), len(rep.CherryPick.Experts)-len(rep.CherryPick.Flagged))
	}
	screenshot(t, page, filepath.Join(dir, "audit.png"), "SHADOWQ_AUDIT_SCREENSHOT", 1280, 1600)
}
