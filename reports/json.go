package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
)

// WriteJSON writes r as indented JSON (two spaces, fields in struct order,
// a trailing newline), the results.json that `shadowq report` reads back.
//
// JSON has no NaN or ±Inf and encoding/json refuses to write them, so every
// non-finite float is written as 0. r itself is not modified. Where a value
// can be missing (a metric no replication produced), Metric.N == 0 says so;
// readers must look at N rather than at a 0 mean.
//
// Schema 0 (unset) is written as SchemaVersion; any other version is an
// error, since this binary only knows how to write its own.
func WriteJSON(w io.Writer, r *Results) error {
	if r.Schema != 0 && (r.Schema < OldestSchema || r.Schema > SchemaVersion) {
		return &SchemaError{Got: r.Schema}
	}
	clean := finite(reflect.ValueOf(*r)).Interface().(Results)
	clean.Schema = SchemaVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Keep "<" readable in expectation texts such as "latency.p95 < 90s".
	enc.SetEscapeHTML(false)
	return enc.Encode(&clean)
}

// finite returns a deep copy of v with every non-finite float replaced by
// 0. Unexported struct fields are not copied (encoding/json ignores them).
func finite(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return reflect.Zero(v.Type())
		}
		return v
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(finite(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(finite(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(finite(v.Index(i)))
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(finite(v.Elem()))
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), finite(iter.Value()))
		}
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(finite(v.Elem()))
		return out
	}
	return v
}

// SchemaError is returned for a results file of a schema version this
// binary does not read (Got 0: the file has no version at all).
type SchemaError struct {
	Got int
}

func (e *SchemaError) Error() string {
	if e.Got == 0 {
		return fmt.Sprintf("results have no \"schema\" version (not a shadowq results.json?); this shadowq reads schema %d", SchemaVersion)
	}
	return fmt.Sprintf("results are schema version %d, but this shadowq reads schemas %d to %d: re-run `shadowq sim` with this binary, or report with the shadowq that wrote them", e.Got, OldestSchema, SchemaVersion)
}

// JSONError is a results file that is not valid JSON, has a value of the
// wrong type, or has a field the schema does not know. It says where.
type JSONError struct {
	Offset       int64  // 0-based byte offset of the offending token
	Line, Column int    // 1-based, Column in bytes
	Path         string // e.g. "policies[1].metrics[4].mean"; "" for the top level
	Err          error  // the underlying encoding/json error
}

func (e *JSONError) Error() string {
	path := e.Path
	if path == "" {
		path = "(top level)"
	}
	return fmt.Sprintf("results JSON at byte offset %d (line %d, column %d), %s: %v", e.Offset, e.Line, e.Column, path, e.Err)
}

func (e *JSONError) Unwrap() error { return e.Err }

// ReadJSON reads results written by WriteJSON. It is strict: a field the
// schema does not know is an error (a typo or a newer writer must not be
// silently ignored), as is anything after the results object. A schema
// version other than SchemaVersion gives a *SchemaError before any field is
// looked at; malformed input gives a *JSONError naming the byte offset,
// line, column and field path.
func ReadJSON(r io.Reader) (*Results, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}

	// The version decides how to read the rest, so check it on its own:
	// a newer file should say "version 2", not "unknown field".
	var probe struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, locate(data, err, reflect.TypeFor[Results]())
	}
	if probe.Schema == nil {
		return nil, &SchemaError{}
	}
	var version int
	if err := json.Unmarshal(probe.Schema, &version); err == nil && (version < OldestSchema || version > SchemaVersion) {
		return nil, &SchemaError{Got: version}
	}

	// The probe's json.Unmarshal has already rejected anything after the
	// object, so one Decode reads the whole input.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var res Results
	if err := dec.Decode(&res); err != nil {
		return nil, locate(data, err, reflect.TypeFor[Results]())
	}
	return &res, nil
}

// newJSONError fills in line and column for offset.
func newJSONError(data []byte, offset int64, path string, err error) *JSONError {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return &JSONError{Offset: offset, Line: line, Column: col, Path: path, Err: err}
}
