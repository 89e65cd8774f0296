package reports

import (
	"bytes"
	"testing"
)

func TestWriteTablesGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTables(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "tables.txt", b.Bytes())
}

func TestWriteCSVGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "metrics.csv", b.Bytes())
}

// An empty Results must render without panicking: the reporter is fed
// files from disk, so it cannot assume a complete simulator run.
func TestWriteTablesEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTables(&b, &Results{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&b, &Results{}); err != nil {
		t.Fatal(err)
	}
}
