package main

import (
	"fmt"
	"io"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/internal/strictyaml"
)

// runPolicy implements `shadowq policy check FILE...`.
func runPolicy(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: shadowq policy check FILE...")
		return exitBadInput
	}
	code := exitOK
	for _, file := range args[1:] {
		data, err := strictyaml.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "shadowq: %v\n", err)
			code = exitBadInput
			continue
		}
		p, err := engine.ParsePolicy(file, data)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d presence rules, %d system fallbacks, %d routing-status rules, fallback queue %q)\n",
			file, len(p.Presences), len(p.Systems), len(p.Routing), p.FallbackQueue)
	}
	return code
}
