package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes report.md: title, run description, the metric
// table, cherry-pick detection, invariants and expectations, as GitHub
// flavoured Markdown (e.g. for a CI job summary or a pull request comment).
func WriteMarkdown(w io.Writer, r *Results) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# shadowq report: %s\n\n", mdEscape(r.Scenario))
	for _, l := range runSummary(r) {
		fmt.Fprintf(bw, "- %s\n", mdEscape(l))
	}

	writeMarkdownVerdict(bw, r)

	fmt.Fprintf(bw, "\n## Metrics\n\nMean over %d replications with 95%% confidence intervals; each delta is shadowq minus one baseline, paired by replication (common random numbers), in percentage points (pp) for shares; rel is shadowq ÷ baseline − 1.\n\n", r.Replications)
	mdTable(bw, metricHeader(r), metricRows(r), metricRight(r))
	if n := omittedNote(r); n != "" {
		fmt.Fprintf(bw, "\n%s\n", mdEscape(n))
	}
	if rows := priorityRows(r); len(rows) > 0 {
		fmt.Fprintf(bw, "\n## Per priority\n\nMeans over replications (CIs in results.json and the CSV). P1 is what interruptible meetings are for.\n\n")
		mdTable(bw, priorityHeader, rows, []bool{false, false, true, true, true, true, true})
	}
	if hasGroups(r) {
		fmt.Fprintf(bw, "\n## Utilization per group\n\nMean of the group's experts' utilization (busy over staffed time) per arm.\n\n")
		h := groupHeader(r)
		right := make([]bool, len(h))
		for i := 1; i < len(h); i++ {
			right[i] = true
		}
		mdTable(bw, h, groupRows(r), right)
	}

	writeDaysMarkdown(bw, r)
	if r.Sweep != nil {
		writeSweepMarkdown(bw, r)
	}

	fmt.Fprintf(bw, "\n## Cherry-pick detection\n\n%s.\n", mdEscape(cherrySummary(r)))
	if rows := cherryRows(r); len(rows) > 0 {
		fmt.Fprintln(bw)
		mdTable(bw, cherryHeader, rows, []bool{false, false, true, false, false, false})
	}

	fmt.Fprintf(bw, "\n## Invariants\n\n%s\n", mdEscape(invariantSummary(r)))
	if vs := r.Invariants.Violations; len(vs) > 0 {
		fmt.Fprintln(bw)
		for _, v := range vs {
			fmt.Fprintf(bw, "- %s\n", mdEscape(v))
		}
	}

	fmt.Fprintf(bw, "\n## Expectations\n\n%s\n", expectSummary(r))
	if ls := expectLines(r); len(ls) > 0 {
		fmt.Fprintln(bw)
		for _, e := range ls {
			fmt.Fprintf(bw, "- **%s** %s", e.Verdict, mdCode(e.Text))
			if e.Pos != "" {
				fmt.Fprintf(bw, " (%s)", mdEscape(e.Pos))
			}
			if e.Detail != "" {
				fmt.Fprintf(bw, ": %s", mdEscape(e.Detail))
			}
			fmt.Fprintln(bw)
		}
	}
	fmt.Fprintf(bw, "\n## Glossary\n\n")
	mdTable(bw, []string{"metric", "unit", "what counts"}, glossaryRows(), nil)
	return bw.Flush()
}

// writeMarkdownVerdict writes the Verdict section.
func writeMarkdownVerdict(w io.Writer, r *Results) {
	vs := verdicts(r)
	if len(vs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Verdict\n\n")
	for _, v := range vs {
		fmt.Fprintf(w, "### Against %s\n\n%s\n\n", mdEscape(v.Baseline), mdEscape(v.Summary))
		mdTable(w, verdictHeader(v), verdictRows(v), []bool{false, true, true, true, true, false})
		if len(v.Regressions) > 0 {
			fmt.Fprintf(w, "\n**Regressions:**\n\n")
			for _, g := range v.Regressions {
				fmt.Fprintf(w, "- %s\n", mdEscape(g))
			}
		}
		fmt.Fprintf(w, "\n**Design targets:**\n\n")
		for _, t := range v.Targets {
			fmt.Fprintf(w, "- %s: **%s** (%s)\n", mdEscape(t.Label), mdEscape(t.Status), mdEscape(t.Detail))
		}
		fmt.Fprintln(w)
	}
}

// glossaryRows is the glossary as table cells.
func glossaryRows() [][]string {
	rows := make([][]string, len(glossary))
	for i, g := range glossary {
		rows[i] = []string{g.Metric, g.Unit, g.Meaning}
	}
	return rows
}

// mdTable writes a pipe table; right marks right-aligned columns.
func mdTable(w io.Writer, header []string, rows [][]string, right []bool) {
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				io.WriteString(w, " ")
			}
			io.WriteString(w, "| "+mdEscape(c))
		}
		io.WriteString(w, " |\n")
	}
	line(header)
	for i := range header {
		sep := "---"
		if i < len(right) && right[i] {
			sep = "--:"
		}
		io.WriteString(w, "|"+sep)
	}
	io.WriteString(w, "|\n")
	for _, r := range rows {
		line(r)
	}
}

// mdEscaper backslash-escapes what Markdown would otherwise interpret
// inside running text and table cells. Newlines become spaces (a table
// cell cannot span lines).
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", `\<`, ">", `\>`,
	"[", `\[`, "]", `\]`, "#", `\#`, "\n", " ", "\r", "",
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// mdCode renders s as inline code, with a fence longer than any run of
// backticks inside it.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
