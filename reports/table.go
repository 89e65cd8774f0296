package reports

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteTables writes the terminal report: the run header, the metric table
// (mean and 95% CI per policy, and the paired difference), the cherry-pick
// table, the invariants and the expectations.
func WriteTables(w io.Writer, r *Results) error {
	bw := bufio.NewWriter(w)
	for _, l := range runSummary(r) {
		fmt.Fprintln(bw, l)
	}

	if vs := verdictText(r); len(vs) > 0 {
		fmt.Fprintln(bw, "\nVerdict (report.html and report.md have the figures)")
		for _, l := range vs {
			fmt.Fprintln(bw, l)
		}
	}

	fmt.Fprintln(bw, "\nMetrics (mean over replications, 95% CI; deltas of shares in percentage points, pp; rel = shadowq ÷ baseline − 1)")
	align := []tw.Align{tw.AlignLeft}
	for range metricRight(r)[1:] {
		align = append(align, tw.AlignRight)
	}
	if err := renderTable(bw, metricHeader(r), metricRows(r), align); err != nil {
		return err
	}
	if n := omittedNote(r); n != "" {
		fmt.Fprintln(bw, n)
	}
	if rows := priorityRows(r); len(rows) > 0 {
		fmt.Fprintln(bw, "\nPer priority (means over replications)")
		pa := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
		if err := renderTable(bw, priorityHeader, rows, pa); err != nil {
			return err
		}
	}
	if hasGroups(r) {
		fmt.Fprintln(bw, "\nUtilization per group (mean of the group's experts)")
		ga := []tw.Align{tw.AlignLeft}
		for range groupHeader(r)[1:] {
			ga = append(ga, tw.AlignRight)
		}
		if err := renderTable(bw, groupHeader(r), groupRows(r), ga); err != nil {
			return err
		}
	}

	if r.Sweep != nil {
		if err := writeSweepText(bw, r); err != nil {
			return err
		}
	}

	fmt.Fprintln(bw, "\nCherry-pick detection: "+cherrySummary(r))
	if rows := cherryRows(r); len(rows) > 0 {
		if err := renderTable(bw, cherryHeader, rows, []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft}); err != nil {
			return err
		}
	}

	fmt.Fprintln(bw, "\nInvariants: "+invariantSummary(r))
	for _, v := range r.Invariants.Violations {
		fmt.Fprintln(bw, "  - "+v)
	}

	fmt.Fprintln(bw, "\nExpectations: "+expectSummary(r))
	for _, e := range expectLines(r) {
		fmt.Fprintf(bw, "  %s  %s%s\n", e.Verdict, posPrefix(e.Pos), e.Text)
		if e.Detail != "" {
			fmt.Fprintf(bw, "        %s\n", e.Detail)
		}
	}
	return bw.Flush()
}

func posPrefix(pos string) string {
	if pos == "" {
		return ""
	}
	return pos + ": "
}

// renderTable draws one table with tablewriter's default (Unicode box)
// renderer. Headers are kept as written: tablewriter would upper-case them
// and mangle "delta shadowq−baseline" and the metric names.
func renderTable(w io.Writer, header []string, rows [][]string, align []tw.Align) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
	)
	t.Header(toAny(header)...)
	for _, row := range rows {
		if err := t.Append(toAny(row)...); err != nil {
			return fmt.Errorf("table row %q: %w", row[0], err)
		}
	}
	return t.Render()
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// WriteCSV writes the metric table for machines: one row per metric with
// the unformatted mean, sd, lo, hi and n of every arm (columns prefixed
// with its name) and of shadowq's delta against each baseline (prefixed
// "delta_<baseline>"), in the metric's unit: ratios as fractions,
// durations in seconds. A metric an arm lacks has empty cells.
func WriteCSV(w io.Writer, r *Results) error {
	cw := csv.NewWriter(w)
	header := []string{"metric", "unit"}
	var prefixes []string
	for _, p := range r.Policies {
		prefixes = append(prefixes, p.Name)
	}
	for _, d := range r.Deltas {
		prefixes = append(prefixes, "delta_"+d.Baseline)
	}
	for _, d := range r.Deltas {
		if d.Relative != nil {
			prefixes = append(prefixes, "rel_"+d.Baseline)
		}
	}
	for _, p := range prefixes {
		header = append(header, p+"_mean", p+"_sd", p+"_lo", p+"_hi", p+"_n")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, l := range metricLines(r) {
		row := []string{l.Name, l.Unit}
		for _, m := range append(append(slices.Clone(l.Arms), l.Deltas...), l.Rels...) {
			if m == nil {
				row = append(row, "", "", "", "", "")
				continue
			}
			row = append(row, csvFloat(m.Mean), csvFloat(m.SD), csvFloat(m.Lo), csvFloat(m.Hi), strconv.Itoa(m.N))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvFloat is the shortest representation that reads back exactly.
func csvFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
