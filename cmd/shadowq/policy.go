package main

import (
	"fmt"
	"io"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/internal/strictyaml"
)

// runPolicy implements `shadowq policy check FILE...`.
func runPolicy(args []string, stdout, stderr io.Writer) int {
	c := newCLI("policy", "shadowq policy check FILE...",
		"Validate routing policy files: every problem, each with file:line:column. Exit 0 when all are valid, 2 otherwise.", 2, -1, stdout, stderr)
	pos, code, ok := c.parse(args)
	if !ok {
		return code
	}
	if pos[0] != "check" {
		return c.fail("unknown subcommand %q: the only one is check", pos[0])
	}
	for _, file := range pos[1:] {
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
