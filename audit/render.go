package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WriteFiles writes audit.json, audit.md and audit.html into dir.
func WriteFiles(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer, *Report) error{
		"audit.json": WriteJSON, "audit.md": WriteMarkdown, "audit.html": WriteHTML,
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := write(f, r); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// table is a rendered table: header and rows of text.
type table struct {
	Header []string
	Rows   [][]string
}

// totals is the headline lines of the report.
func totals(r *Report) []string {
	out := []string{fmt.Sprintf("Window %s – %s; %d escalations in the decision log, %d found in Genesys' conversation details; mode: %s.",
		r.From.UTC().Format("2006-01-02 15:04"), r.To.UTC().Format("2006-01-02 15:04"), r.Escalations, r.Joined, r.Mode)}
	if cf := r.Counterfactual; cf != nil {
		out = append(out,
			fmt.Sprintf("Would have delivered %d, held %d, fallen back %d.", cf.WouldDeliver, cf.WouldHold, cf.WouldFallback),
			fmt.Sprintf("Escalations shadowq would have connected at least %v sooner (expected): %.1f (95%% interval %.1f–%.1f).", SoonerMargin, cf.SoonerExpected, cf.SoonerLo, cf.SoonerHi),
			fmt.Sprintf("Expected latency saved: %s per escalation (95%% CI %s – %s, n=%d); %s in total.",
				dur(cf.SavingPerEscalation.Mean), dur(cf.SavingPerEscalation.Lo), dur(cf.SavingPerEscalation.Hi), cf.SavingPerEscalation.N, dur(cf.SavingTotalS)),
			fmt.Sprintf("Interruptions it would have caused, by presence: %s.", countsText(cf.InterruptionsByPresence)),
			fmt.Sprintf("Experts it would have rung who took no queue call: %s.", listText(cf.UnusedExperts)),
			"Assumption: "+cf.Assumption)
	}
	if d := r.Deliveries; d != nil {
		out = append(out, fmt.Sprintf("Delivered %d (accepted %d, declined %d, not answered %d, failed %d, pending %d); routed %d, fell back %d; Genesys recorded %d offers on these conversations.",
			d.Delivered, d.Accepted, d.Declined, d.NotAnswered, d.Errors, d.Pending, d.Routed, d.Fallback, d.OffersInGenesys))
	}
	roi := r.ROI
	out = append(out,
		fmt.Sprintf("Expert utilization: %.1f%%.", 100*roi.ExpertUtilization),
		fmt.Sprintf("Escalation latency: median %s, p95 %s (n=%d answered); abandoned %.1f%%.", dur(roi.LatencyMedianS), dur(roi.LatencyP95S), roi.LatencyN, 100*roi.AbandonedShare),
		fmt.Sprintf("Transfer reject rate: %.1f%% of %d offers.", 100*roi.TransferRejectRate, roi.TransferOffers))
	return out
}

func countsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func listText(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func escalationTable(r *Report) table {
	t := table{Header: []string{"conversation", "arrival", "would / did", "expert", "presence", "p(accept)", "actual", "expected saving", "summary"}}
	for _, row := range r.Rows {
		act := "—"
		switch {
		case row.AnsweredBy != "":
			act = row.AnsweredBy + " after " + dur(row.ActualWaitS)
		case row.Abandoned:
			act = "abandoned after " + dur(row.ActualWaitS)
		case !row.InGenesys:
			act = "not in details"
		}
		p := ""
		if row.Observed && row.Action == "deliver" {
			p = fmt.Sprintf("%.2f", row.PAccept)
		}
		t.Rows = append(t.Rows, []string{row.ConversationID, row.Arrival.UTC().Format("01-02 15:04:05"), row.Action, row.Expert, row.Presence, p, act, dur(row.ExpectedSaveS), row.Summary})
	}
	return t
}

func cherryTable(r *Report) table {
	t := table{Header: []string{"expert", "suspicion", "flagged", "shift", "meeting presence", "scheduled meeting", "unscheduled meeting", "offers by presence (offered/accepted/declined/not answered)", "utilization", "evidence"}}
	na := func(p *float64) string {
		if p == nil {
			return "n/a"
		}
		return dur(*p)
	}
	for _, x := range r.CherryPick.Experts {
		var offers []string
		for _, p := range sortedKeys(x.Offers) {
			n := x.Offers[p]
			offers = append(offers, fmt.Sprintf("%s %d/%d/%d/%d", p, n.Offered, n.Accepted, n.Declined, n.NotAnswered))
		}
		name := x.ID
		if x.Name != "" {
			name = x.Name + " (" + x.ID + ")"
		}
		flag := ""
		if x.Flagged {
			flag = "yes"
		}
		t.Rows = append(t.Rows, []string{name, fmt.Sprintf("%.2f", x.Suspicion), flag, dur(x.ShiftS), dur(x.MeetingPresenceS),
			na(x.ScheduledMeetingS), na(x.UnscheduledMeetingS), strings.Join(offers, "; "), fmt.Sprintf("%.1f%%", 100*x.Utilization), x.Evidence})
	}
	return t
}

// WriteMarkdown writes audit.md.
func WriteMarkdown(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# shadowq audit\n\n")
	for _, l := range totals(r) {
		fmt.Fprintf(bw, "- %s\n", mdCell(l))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "- Note: %s\n", mdCell(n))
	}
	fmt.Fprintf(bw, "\n## Cherry-pick report\n\nMost suspicious first; flagged at suspicion ≥ %.2f.", r.CherryPick.Threshold)
	if !r.CherryPick.SchedulesKnown {
		fmt.Fprintf(bw, " No WFM schedules were read: scheduled and unscheduled meeting time are unknown and nobody is scored.")
	}
	fmt.Fprintf(bw, "\n\n")
	mdTable(bw, cherryTable(r))
	fmt.Fprintf(bw, "\n## Escalations\n\n")
	mdTable(bw, escalationTable(r))
	fmt.Fprintf(bw, "\n## Definitions\n\n")
	for _, k := range sortedKeys(r.Definitions) {
		fmt.Fprintf(bw, "- **%s**: %s\n", k, mdCell(r.Definitions[k]))
	}
	return bw.Flush()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func mdTable(w io.Writer, t table) {
	fmt.Fprintf(w, "| %s |\n|", strings.Join(t.Header, " | "))
	for range t.Header {
		fmt.Fprint(w, " --- |")
	}
	fmt.Fprintln(w)
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdCell(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

var page = template.Must(template.New("audit").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shadowq audit</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
tr.flagged td{background:#fde8e8}
.mode{display:inline-block;padding:2px 8px;border-radius:4px;background:#333;color:#fff}
dt{font-weight:bold}
</style></head><body>
<h1>shadowq audit <span class="mode" id="mode">{{.R.Mode}}</span></h1>
<ul id="totals">{{range .Totals}}<li>{{.}}</li>{{end}}{{range .R.Notes}}<li>Note: {{.}}</li>{{end}}</ul>
<h2>Cherry-pick report</h2>
<p>Most suspicious first; flagged at suspicion ≥ {{printf "%.2f" .R.CherryPick.Threshold}}.{{if not .R.CherryPick.SchedulesKnown}} No WFM schedules were read: nobody is scored.{{end}}</p>
<table id="cherry"><thead><tr>{{range .Cherry.Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Cherry.Rows}}<tr{{if eq (index . 2) "yes"}} class="flagged"{{end}}>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
<h2>Escalations</h2>
<table id="escalations"><thead><tr>{{range .Esc.Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Esc.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
<h2>Definitions</h2>
<dl id="definitions">{{range .Defs}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>
</body></html>
`))

// WriteHTML writes audit.html: one self-contained page.
func WriteHTML(w io.Writer, r *Report) error {
	var defs [][2]string
	for _, k := range sortedKeys(r.Definitions) {
		defs = append(defs, [2]string{k, r.Definitions[k]})
	}
	return page.Execute(w, map[string]any{"R": r, "Totals": totals(r), "Cherry": cherryTable(r), "Esc": escalationTable(r), "Defs": defs})
}
