package reports

import (
	"bytes"
	"math"
	"testing"
)

func testRecords() []Record {
	return []Record{
		{Replication: 0, Policy: Shadowq, ID: "x1", ArrivalS: 12.5, Priority: "P1", Skills: []string{"billing", "de"},
			Outcome: "routed", Expert: "e2", LatencyS: 8.25, Attempts: 2, HoldS: 4, Interrupt: true},
		{Replication: 1, Policy: Baseline, ID: "x2, \"quoted\"", ArrivalS: 30, Priority: "P3", Skills: nil,
			Outcome: "abandoned", LatencyS: math.NaN(), Attempts: 0, Stale: true},
	}
}

func TestRecordWriterGolden(t *testing.T) {
	for _, tc := range []struct {
		format Format
		file   string
	}{
		{FormatJSONL, "records.jsonl"},
		{FormatCSV, "records.csv"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			var b bytes.Buffer
			rw := NewRecordWriter(&b, tc.format)
			for _, r := range testRecords() {
				if err := rw.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := rw.Flush(); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

// A CSV file without records still has its header, so tools reading it
// know the columns.
func TestRecordWriterEmptyCSV(t *testing.T) {
	var b bytes.Buffer
	rw := NewRecordWriter(&b, FormatCSV)
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "rep,policy,id,arrival,priority,skills,outcome,expert,latency,attempts,hold,interrupt,staleMisroute\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"jsonl": FormatJSONL, "JSON": FormatJSONL, "csv": FormatCSV} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
}
