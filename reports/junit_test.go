package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"testing"
	"time"
)

func TestWriteJUnitGolden(t *testing.T) {
	suites := []Suite{
		// An evaluated scenario: one passing and one failing expectation,
		// and a failed invariants case.
		NewSuite(fixture()),
		// A scenario that did not load: one errored case, the full
		// multi-line message in the body.
		{Name: "broken", File: "scenarios/broken.yaml", Err: errors.New("scenarios/broken.yaml:3:1: unknown field \"expertz\"\nscenarios/broken.yaml:9:5: expect: unknown metric \"latency.p96\"")},
		// Skipped and passing cases, a measured time, and XML-hostile text.
		{Name: "quick <&> \"quoted\"", Time: 1500 * time.Millisecond, Cases: []Case{
			{Name: "latency.p95 < 90s", Passed: true, Message: "ok"},
			{Name: "utilization > 50%", Skipped: true, Message: "no experts scheduled"},
		}},
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, suites); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml", b.Bytes())

	// The document parses and its counts add up.
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 1 || doc.Skipped != 1 || doc.Time != "1.500" {
		t.Errorf("totals: tests=%d failures=%d errors=%d skipped=%d time=%s", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, doc.Time)
	}
}

func TestWriteJUnitEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, nil); err != nil {
		t.Fatal(err)
	}
	want := xml.Header + `<testsuites name="shadowq" tests="0" failures="0" errors="0" skipped="0" time="0.000"></testsuites>` + "\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
