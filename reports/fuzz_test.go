package reports

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/internal/strictyaml"
)

// ReadJSON reads files from disk: it must never panic, must fail with one
// of its typed errors, and what it accepts must write back and read again.
func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixture()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema": 1}`))
	f.Add([]byte(`{"schema": 2}`))
	f.Add([]byte(`{"schema": 1, "policies": [{"name": "x", "metrics": [{"mean": "a"}]}]}`))
	f.Add([]byte(`{"schema": 1, "perExpert": [{"id": "e", "bogus": 1}]}`))
	f.Add([]byte(`{"schema": 1, "delta": [`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			var je *JSONError
			var se *SchemaError
			if !errors.As(err, &je) && !errors.As(err, &se) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if je != nil && (je.Offset < 0 || je.Offset > int64(len(data)) || je.Line < 1 || je.Column < 1) {
				t.Fatalf("bad position in %v", je)
			}
			return
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, r); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadJSON(&out); err != nil {
			t.Fatalf("re-reading what was written: %v", err)
		}
		// The text renderers take whatever the reader accepts.
		if err := WriteTables(&out, r); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&out, r); err != nil {
			t.Fatal(err)
		}
	})
}

// ParseExpectation reads user-written text: it must never panic, errors
// must be *strictyaml.Error at the given position, and what it accepts
// must evaluate.
func FuzzParseExpectation(f *testing.F) {
	for _, s := range []string{
		"shadowq.latency.p95 < 90s", "delta.utilization > 0.15 at 95%", "dnd_interruptions == 0",
		"delta.latency.mean < -30s at 95%", "baseline.abandonment <= 20%", "invariants == 0",
		"latency.p95 =< 1e3ms", "x", "", "utilization > .5 at 95 %", "hold.mean<2h at 95%",
	} {
		f.Add(s)
	}
	r := fixture()
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseExpectation(text, testPos)
		if err != nil {
			var se *strictyaml.Error
			if !errors.As(err, &se) || se.Pos != testPos || !strings.Contains(se.Msg, "column ") {
				t.Fatalf("error %T %v lacks position or column", err, err)
			}
			return
		}
		res := e.Evaluate(r)
		if res.Text != text || res.Detail == "" {
			t.Fatalf("evaluation %+v", res)
		}
	})
}
