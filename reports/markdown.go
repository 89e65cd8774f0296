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

	fmt.Fprintf(bw, "\n## Metrics\n\nMean over %d replications with 95%% confidence intervals; each delta is shadowq minus one baseline, paired by replication (common random numbers). Deltas of ratios are in percentage points.\n\n", r.Replications)
	mdTable(bw, metricHeader(r), metricRows(r), metricRight(r))

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
	return bw.Flush()
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
