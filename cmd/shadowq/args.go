package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// cli is one command's flags, parsed so that nothing the user typed is
// ignored: flags may come before or after the positional arguments, an
// unknown flag or an extra argument is a one-line error (exit 2), and
// --help/-h prints every flag with its default on stdout (exit 0).
type cli struct {
	fs             *flag.FlagSet
	name, synopsis string // "sim"; "shadowq sim SCENARIO.yaml [flags]"
	summary        string
	minPos, maxPos int // positional arguments allowed (maxPos < 0: any number)
	stdout, stderr io.Writer
}

func newCLI(name, synopsis, summary string, minPos, maxPos int, stdout, stderr io.Writer) *cli {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by parse
	return &cli{fs: fs, name: name, synopsis: synopsis, summary: summary, minPos: minPos, maxPos: maxPos, stdout: stdout, stderr: stderr}
}

// errUsage is a bad command line; its message is the one-line reason.
var errUsage = errors.New("usage")

// parse returns the positional arguments. On --help it prints the help and
// returns (nil, exitOK, false); on bad input it prints one line and
// returns (nil, exitBadInput, false).
func (c *cli) parse(args []string) ([]string, int, bool) {
	var pos []string
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(c.stdout)
			return nil, exitOK, false
		}
		if err != nil {
			return nil, c.fail("%v", err), false
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is positional
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < c.minPos:
		want := strings.Fields(c.synopsis)
		if len(want) > 2+len(pos) {
			return nil, c.fail("missing %s", want[2+len(pos)]), false
		}
		return nil, c.fail("missing argument"), false
	case c.maxPos >= 0 && len(pos) > c.maxPos:
		return nil, c.fail("unexpected argument %q", pos[c.maxPos]), false
	}
	return pos, exitOK, true
}

// fail prints "shadowq NAME: REASON (see shadowq NAME --help)" and returns
// exitBadInput.
func (c *cli) fail(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "shadowq %s: %s\nusage: %s (shadowq %s --help for every flag)\n", c.name, fmt.Sprintf(format, args...), c.synopsis, c.name)
	return exitBadInput
}

// set reports whether the flag was given on the command line.
func (c *cli) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// help prints the synopsis, the summary and every flag with its default.
func (c *cli) help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.synopsis, c.summary)
	first := true
	c.fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nflags (before or after the arguments):")
			first = false
		}
		kind, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if kind != "" {
			name += " " + kind
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "0" {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "  %-24s %s%s\n", name, usage, def)
	})
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}
