package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/shadowq/shadowq/reports"
)

// runReport implements `shadowq report results.json [--format F] [--out DIR]`:
// re-render a saved run without simulating again.
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "table", "table, json, csv, md or html")
	out := fs.String("out", "", "also write results.json, report.html and report.md into DIR")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq report results.json [--format table|json|csv|md|html] [--out DIR]")
		fs.PrintDefaults()
	}
	file, ok := parseFileArgs(fs, args)
	if !ok {
		return exitBadInput
	}
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
