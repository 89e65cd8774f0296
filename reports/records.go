package reports

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Format is how a RecordWriter writes records.
type Format string

const (
	// FormatJSONL writes one JSON object per line (records.jsonl).
	FormatJSONL Format = "jsonl"
	// FormatCSV writes a header row, then one row per record.
	FormatCSV Format = "csv"
)

// ParseFormat accepts "jsonl" (or "json") and "csv", e.g. from a flag.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "jsonl", "json":
		return FormatJSONL, nil
	case "csv":
		return FormatCSV, nil
	}
	return "", fmt.Errorf("unknown record format %q: use jsonl or csv", s)
}

// recordHeader is the CSV header, named like the JSON fields.
var recordHeader = []string{"rep", "policy", "id", "arrival", "priority", "skills", "outcome",
	"expert", "latency", "attempts", "hold", "interrupt", "staleMisroute"}

// RecordWriter streams Records to an io.Writer as JSON lines or CSV. It
// buffers: call Flush when done (it also writes the CSV header if no record
// was written). Not safe for concurrent use. As in results.json, non-finite
// floats are written as 0.
type RecordWriter struct {
	format Format
	bw     *bufio.Writer
	enc    *json.Encoder
	cw     *csv.Writer
	header bool // CSV header written
	row    []string
}

// NewRecordWriter returns a writer of records to w in format f. An unknown
// format is treated as JSON lines; use ParseFormat to validate user input.
func NewRecordWriter(w io.Writer, f Format) *RecordWriter {
	rw := &RecordWriter{format: f, bw: bufio.NewWriter(w)}
	if f == FormatCSV {
		rw.cw = csv.NewWriter(rw.bw)
	} else {
		rw.format = FormatJSONL
		rw.enc = json.NewEncoder(rw.bw)
		rw.enc.SetEscapeHTML(false)
	}
	return rw
}

// Write writes one record.
func (rw *RecordWriter) Write(rec Record) error {
	rec.ArrivalS, rec.LatencyS, rec.HoldS = finiteOr0(rec.ArrivalS), finiteOr0(rec.LatencyS), finiteOr0(rec.HoldS)
	if rw.format == FormatJSONL {
		if rec.Skills == nil {
			rec.Skills = []string{} // "skills": [] rather than null
		}
		return rw.enc.Encode(&rec)
	}
	if err := rw.writeHeader(); err != nil {
		return err
	}
	rw.row = append(rw.row[:0],
		strconv.Itoa(rec.Replication), rec.Policy, rec.ID, csvFloat(rec.ArrivalS), rec.Priority,
		strings.Join(rec.Skills, "+"), rec.Outcome, rec.Expert, csvFloat(rec.LatencyS),
		strconv.Itoa(rec.Attempts), csvFloat(rec.HoldS), strconv.FormatBool(rec.Interrupt), strconv.FormatBool(rec.Stale))
	return rw.cw.Write(rw.row)
}

func (rw *RecordWriter) writeHeader() error {
	if rw.header {
		return nil
	}
	rw.header = true
	return rw.cw.Write(recordHeader)
}

// Flush writes out everything buffered. It does not close the underlying
// writer.
func (rw *RecordWriter) Flush() error {
	if rw.cw != nil {
		if err := rw.writeHeader(); err != nil {
			return err
		}
		rw.cw.Flush()
		if err := rw.cw.Error(); err != nil {
			return err
		}
	}
	return rw.bw.Flush()
}

func finiteOr0(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
