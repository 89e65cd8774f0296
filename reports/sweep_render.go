package reports

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter/tw"
)

// sweepMetricTitle is the heading of one sweep table.
func sweepMetricTitle(m string) string {
	if m == MNetValue {
		return m + " (shadowq's saving per day against each baseline)"
	}
	return m + " per arm, and shadowq's delta"
}

// writeSweepText writes the sweep to the terminal: a table per metric,
// the break-even lines and the staffing table.
func writeSweepText(w io.Writer, r *Results) error {
	s := r.Sweep
	fmt.Fprintf(w, "\nSweep: %s\n", sweepSummary(r))
	for _, m := range sweepTableMetrics(s) {
		fmt.Fprintf(w, "\n%s\n", sweepMetricTitle(m))
		h := sweepHeader(s, m)
		align := make([]tw.Align, len(h))
		for i := range align {
			align[i] = tw.AlignRight
		}
		if err := renderTable(w, h, sweepRows(s, m), align); err != nil {
			return err
		}
	}
	if bs := breakEvens(s); len(bs) > 0 {
		fmt.Fprintln(w, "\nBreak-even")
		for _, b := range bs {
			fmt.Fprintln(w, "  "+b)
		}
	}
	if rows := staffingRows(s, r.ServiceLevelS); len(rows) > 0 {
		fmt.Fprintf(w, "\nStaffing (%s needed, per arm: fewest swept whose mean service level meets the target; in brackets, whose whole 95%% CI does)\n", s.Keys[0])
		h := staffingHeader(s)
		align := make([]tw.Align, len(h))
		align[0] = tw.AlignLeft
		for i := 1; i < len(align); i++ {
			align[i] = tw.AlignRight
		}
		if err := renderTable(w, h, rows, align); err != nil {
			return err
		}
	}
	if n := sweepViolations(s); n > 0 {
		fmt.Fprintf(w, "\nSweep invariants: FAIL: %d violations across the points\n", n)
	}
	return nil
}

// writeSweepMarkdown writes the sweep section of report.md.
func writeSweepMarkdown(w io.Writer, r *Results) {
	s := r.Sweep
	fmt.Fprintf(w, "\n## Sweep\n\n%s\n", mdEscape(sweepSummary(r)))
	for _, m := range sweepTableMetrics(s) {
		fmt.Fprintf(w, "\n### %s\n\n", mdEscape(sweepMetricTitle(m)))
		h := sweepHeader(s, m)
		right := make([]bool, len(h))
		for i := range right {
			right[i] = true
		}
		mdTable(w, h, sweepRows(s, m), right)
	}
	if bs := breakEvens(s); len(bs) > 0 {
		fmt.Fprintf(w, "\n### Break-even\n\n")
		for _, b := range bs {
			fmt.Fprintf(w, "- %s\n", mdEscape(b))
		}
	}
	if rows := staffingRows(s, r.ServiceLevelS); len(rows) > 0 {
		fmt.Fprintf(w, "\n### Staffing\n\n%s needed per arm: the fewest swept whose mean service level meets the target; in brackets, whose whole 95%% CI does.\n\n", mdEscape(s.Keys[0]))
		h := staffingHeader(s)
		right := make([]bool, len(h))
		for i := 1; i < len(right); i++ {
			right[i] = true
		}
		mdTable(w, h, rows, right)
	}
	if n := sweepViolations(s); n > 0 {
		fmt.Fprintf(w, "\nSweep invariants: FAIL: %d violations across the points.\n", n)
	}
}
