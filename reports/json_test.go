package reports

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestWriteJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.json", b.Bytes())
}

func TestJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	r := fixture()
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip changed the results:\n got %+v\nwant %+v", got, r)
	}
	// And writing again gives the same bytes.
	var b2 bytes.Buffer
	if err := WriteJSON(&b2, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("second write differs from the first")
	}
}

func TestWriteJSONNonFinite(t *testing.T) {
	r := fixture()
	r.Policies[0].Metrics[0].Mean = math.NaN()
	r.Policies[1].Metrics[1].Hi = math.Inf(1)
	r.PerExpert[0].Utilization[1] = math.Inf(-1)
	r.LatencyCDF[0].S[3] = math.NaN()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(r.Policies[0].Metrics[0].Mean) {
		t.Error("WriteJSON modified its input")
	}
	got, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Policies[0].Metrics[0].Mean != 0 || got.Policies[1].Metrics[1].Hi != 0 ||
		got.PerExpert[0].Utilization[1] != 0 || got.LatencyCDF[0].S[3] != 0 {
		t.Error("non-finite values were not written as 0")
	}
}

func TestWriteJSONSchema(t *testing.T) {
	r := fixture()
	r.Schema = 0
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "{\n  \"schema\": 3,") {
		t.Errorf("unset schema not stamped: %.40s", b.String())
	}
	r.Schema = SchemaVersion + 1
	var se *SchemaError
	if err := WriteJSON(&b, r); !errors.As(err, &se) {
		t.Errorf("writing schema %d: got %v, want *SchemaError", r.Schema, err)
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		schema int    // want a *SchemaError with this Got
		path   string // else want a *JSONError at this path ...
		line   int    // ... and line
		col    int    // ... and column
		msg    string // substring of the message
	}{
		// A newer file: say which versions, before complaining about fields.
		{name: "newer schema", in: `{"schema": 4, "brandNew": true}`, schema: 4, msg: "schema version 4, but this shadowq reads schemas 2 to 3"},
		// No version at all: probably not our file.
		{name: "no schema", in: `{"scenario": "x"}`, schema: 0, msg: "no \"schema\" version"},
		// Not JSON.
		{name: "syntax", in: "{\"schema\": 2,\n \"policies\": [{\"name\": \"baseline\",}]}", path: "policies[0]", line: 2, col: 35, msg: "invalid character '}'"},
		// Truncated file.
		{name: "truncated", in: "{\"schema\": 2, \"deltas\": [", path: "deltas", line: 1, col: 25, msg: "unexpected end of JSON input"},
		// A string where a number belongs, deep inside.
		{name: "type", in: "{\"schema\": 2,\n\"policies\": [{\"name\": \"baseline\", \"metrics\": []}, {\"name\": \"shadowq\", \"metrics\": [{\"name\": \"a\"}, {\"mean\": \"fast\"}]}]}",
			path: "policies[1].metrics[1].mean", line: 2, col: 107, msg: "cannot unmarshal string"},
		// A typo in a field name.
		{name: "unknown field", in: "{\"schema\": 2,\n  \"perExpert\": [{\"id\": \"e1\"}, {\"id\": \"e2\", \"suspicon\": 0.5}]}", path: "perExpert[1].suspicon", line: 2, col: 44, msg: `unknown field "suspicon"`},
		// A second document after the first.
		{name: "trailing", in: "{\"schema\": 2}\n{}", line: 2, col: 1, msg: "after top-level value"},
		// The schema itself of the wrong type.
		{name: "schema type", in: `{"schema": "1"}`, path: "schema", line: 1, col: 12, msg: "cannot unmarshal string"},
		// Not an object at all.
		{name: "array", in: `[1, 2]`, line: 1, msg: "cannot unmarshal array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			var se *SchemaError
			var je *JSONError
			switch {
			case tc.msg != "" && strings.Contains(tc.msg, "schema"):
				if !errors.As(err, &se) || se.Got != tc.schema {
					t.Errorf("got %#v, want *SchemaError{Got: %d}", err, tc.schema)
				}
			case !errors.As(err, &je):
				t.Errorf("got %T, want *JSONError", err)
			default:
				if je.Path != tc.path || je.Line != tc.line || (tc.col != 0 && je.Column != tc.col) {
					t.Errorf("at %s line %d column %d, want %s line %d column %d (%v)", je.Path, je.Line, je.Column, tc.path, tc.line, tc.col, err)
				}
			}
		})
	}
}

// Schema 2 files (before relative changes, per-priority metrics, arrival
// counts and sweeps) still read and render; what they lack is said so.
func TestReadSchema2(t *testing.T) {
	r := fixture()
	r.Deltas[0].Relative = nil
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(b.String(), `"schema": 3,`, `"schema": 2,`, 1)
	got, err := ReadJSON(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	var md, html bytes.Buffer
	if err := WriteMarkdown(&md, got); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "not measured") || !strings.Contains(html.String(), "lack arrival counts") {
		t.Error("a schema 2 report does not say what it cannot show")
	}
	// Re-saved as the current schema.
	b.Reset()
	if err := WriteJSON(&b, got); err != nil || !strings.HasPrefix(b.String(), "{\n  \"schema\": 3,") {
		t.Errorf("re-saving schema 2: %v %.30s", err, b.String())
	}
}
