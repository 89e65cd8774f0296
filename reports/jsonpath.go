package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// encoding/json reports a syntax or type error with a byte offset and a
// dotted Go-ish field path without slice indices, and an unknown field with
// neither. locate recovers the JSON path ("policies[1].metrics[4].mean") by
// re-reading the input token by token alongside the Go type.

// locate turns a decoding error for data (decoded into a value of type t)
// into a *JSONError with offset, line, column and path.
func locate(data []byte, err error, t reflect.Type) error {
	w := &pathWalker{dec: json.NewDecoder(bytes.NewReader(data)), data: data, target: -1}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		w.walk(t, "")
		// syn.Offset counts the bytes read, including the offending one.
		return newJSONError(data, syn.Offset-1, w.errPath, err)
	case errors.As(err, &typ):
		w.target = typ.Offset
		w.walk(t, "")
		// typ.Offset is the end of the offending value; point at its start.
		if !w.foundSet {
			return newJSONError(data, typ.Offset, typ.Field, err)
		}
		return newJSONError(data, w.foundOff, w.found, err)
	}
	// The only other error DisallowUnknownFields produces is an unknown
	// field; find the first one the way the decoder would have.
	w.walk(t, "")
	if w.unknownSet {
		return newJSONError(data, w.unknownOff, w.unknownPath, err)
	}
	return newJSONError(data, 0, "", err)
}

// pathWalker reads one JSON value, tracking the path of every value.
type pathWalker struct {
	dec  *json.Decoder
	data []byte

	// target is an offset to find the innermost value around (-1: none).
	target   int64
	found    string
	foundOff int64
	foundSet bool

	// The first key the Go type has no field for.
	unknownPath string
	unknownOff  int64
	unknownSet  bool

	// Where tokenizing failed.
	errPath string
}

// walk consumes one value of Go type t (nil: unknown, anything goes) at
// path. It returns false once the input cannot be tokenized.
func (w *pathWalker) walk(t reflect.Type, path string) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		w.errPath = path
		return false
	}
	switch tok {
	case json.Delim('{'):
		for w.dec.More() {
			ktok, err := w.dec.Token()
			if err != nil {
				w.errPath = path
				return false
			}
			key, _ := ktok.(string)
			keyPath := joinPath(path, key)
			var ft reflect.Type
			switch {
			case t != nil && t.Kind() == reflect.Struct:
				var ok bool
				if ft, ok = jsonField(t, key); !ok && !w.unknownSet {
					w.unknownSet, w.unknownPath, w.unknownOff = true, keyPath, w.keyStart(w.dec.InputOffset())
				}
			case t != nil && t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if !w.walk(ft, keyPath) {
				return false
			}
		}
		if _, err := w.dec.Token(); err != nil {
			w.errPath = path
			return false
		}
	case json.Delim('['):
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if !w.walk(et, path+"["+strconv.Itoa(i)+"]") {
				return false
			}
		}
		if _, err := w.dec.Token(); err != nil {
			w.errPath = path
			return false
		}
	}
	// Children are visited first, so the innermost value wins.
	if end := w.dec.InputOffset(); !w.foundSet && w.target > start && w.target <= end {
		// start is where the previous token ended: skip to this value.
		for start < end && bytes.IndexByte([]byte(" \t\r\n:,"), w.data[start]) >= 0 {
			start++
		}
		w.found, w.foundOff, w.foundSet = path, start, true
	}
	return true
}

// keyStart finds the opening quote of the key whose closing quote ends
// just before end.
func (w *pathWalker) keyStart(end int64) int64 {
	for i := end - 2; i >= 0; i-- {
		if w.data[i] != '"' {
			continue
		}
		backslashes := 0
		for j := i - 1; j >= 0 && w.data[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i
		}
	}
	return end
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonField finds the field encoding/json would decode key into: the
// json tag name or Go field name, exact match first, then case-insensitive;
// embedded structs' fields are promoted.
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	foldOK := false
	var visit func(t reflect.Type) (reflect.Type, bool)
	visit = func(t reflect.Type) (reflect.Type, bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				et := f.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					if ft, ok := visit(et); ok {
						return ft, true
					}
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if name == key {
				return f.Type, true
			}
			if !foldOK && strings.EqualFold(name, key) {
				fold, foldOK = f.Type, true
			}
		}
		return nil, false
	}
	if ft, ok := visit(t); ok {
		return ft, true
	}
	return fold, foldOK
}
