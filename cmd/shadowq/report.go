package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/shadowq/shadowq/reports"
)

// reportFormats are the formats `shadowq report --format` writes.
var reportFormats = []string{"table", "json", "csv", "md", "html"}

// runReport implements `shadowq report results.json [--format F] [--out DIR]`:
// re-render a saved run without simulating again.
func runReport(args []string, stdout, stderr io.Writer) int {
	c := newCLI("report", "shadowq report results.json [--format table|json|csv|md|html] [--out DIR]",
		"Re-render a saved run (results.json of schema 2 or 3) without simulating again.", 1, 1, stdout, stderr)
	format := c.fs.String("format", "table", "stdout format: "+strings.Join(reportFormats, ", "))
	out := c.fs.String("out", "", "also write results.json, report.html and report.md into DIR")
	pos, code, ok := c.parse(args)
	if !ok {
		return code
	}
	if !slices.Contains(reportFormats, *format) {
		return c.fail("--format %q: want one of %s", *format, strings.Join(reportFormats, ", "))
	}
	file := pos[0]
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq report: %v\n", err)
		return exitBadInput
	}
	defer f.Close()
	res, err := reports.ReadJSON(f)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq report: %s: %v\n", file, err)
		return exitBadInput
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintf(stderr, "shadowq report: %v\n", err)
			return exitBadInput
		}
		if err := writeArtifacts(*out, res); err != nil {
			fmt.Fprintf(stderr, "shadowq report: %v\n", err)
			return exitFailed
		}
	}
	if err := render(stdout, *format, res); err != nil {
		fmt.Fprintf(stderr, "shadowq report: %v\n", err)
		return exitBadInput
	}
	return exitOK
}
