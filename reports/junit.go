package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Suite is one scenario's checks for JUnit XML, so CI systems (GitLab,
// GitHub test reporters, Jenkins) show each expectation as a test.
type Suite struct {
	Name  string // scenario name
	File  string // scenario file
	Cases []Case
	// Err is set when the scenario could not be loaded or run (bad
	// input); the suite then reports it as one errored test case.
	Err error
	// Time is the wall-clock time the scenario took. It is the one
	// non-deterministic input to WriteJUnit; leave it 0 for reproducible
	// output.
	Time time.Duration
}

// Case is one check: an expectation, or the invariants.
type Case struct {
	Name    string
	Passed  bool
	Message string // why it failed (or was skipped); the detail when it passed
	Skipped bool
}

// NewSuite makes the suite of an evaluated scenario: one case per
// expectation (named by its text, at its position) and one "invariants"
// case.
func NewSuite(r *Results) Suite {
	s := Suite{Name: r.Scenario, File: r.File}
	for _, e := range r.Expectation {
		name := e.Text
		if e.Pos != "" {
			name += " (" + e.Pos + ")"
		}
		s.Cases = append(s.Cases, Case{Name: name, Passed: e.Passed, Message: e.Detail})
	}
	inv := Case{Name: "invariants", Passed: len(r.Invariants.Violations) == 0, Message: invariantsDetail(r.Invariants)}
	if !inv.Passed {
		inv.Message += "\n" + strings.Join(r.Invariants.Violations, "\n")
	}
	s.Cases = append(s.Cases, inv)
	return s
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	File     string      `xml:"file,attr,omitempty"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitProblem `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes suites as a JUnit XML <testsuites> document: one
// <testsuite> per scenario, one <testcase> per Case with a <failure> or
// <skipped> as needed, and for a suite with Err a single "load" test case
// with an <error> (bad input, as opposed to a failed expectation). Counts
// are in the attributes of both levels; times are in seconds from
// Suite.Time (per-case times are not measured and written as 0).
func WriteJUnit(w io.Writer, suites []Suite) error {
	doc := junitSuites{Name: "shadowq", Suites: []junitSuite{}}
	var total time.Duration
	for _, s := range suites {
		js := junitSuite{Name: s.Name, File: s.File, Time: seconds(s.Time)}
		if js.Name == "" {
			js.Name = s.File
		}
		total += s.Time
		if s.Err != nil {
			msg := s.Err.Error()
			js.Cases = append(js.Cases, junitCase{
				Name: "load", Classname: js.Name, File: s.File, Time: seconds(0),
				Error: &junitProblem{Message: firstLine(msg), Type: "load", Text: msg},
			})
			js.Errors++
		}
		for _, c := range s.Cases {
			jc := junitCase{Name: c.Name, Classname: js.Name, File: s.File, Time: seconds(0)}
			switch {
			case c.Skipped:
				jc.Skipped = &junitProblem{Message: c.Message}
				js.Skipped++
			case !c.Passed:
				jc.Failure = &junitProblem{Message: firstLine(c.Message), Type: "expectation", Text: c.Message}
				js.Failures++
			default:
				jc.SystemOut = c.Message
			}
			js.Cases = append(js.Cases, jc)
		}
		js.Tests = len(js.Cases)
		doc.Tests += js.Tests
		doc.Failures += js.Failures
		doc.Errors += js.Errors
		doc.Skipped += js.Skipped
		doc.Suites = append(doc.Suites, js)
	}
	doc.Time = seconds(total)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// seconds formats d as JUnit wants it: decimal seconds.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
