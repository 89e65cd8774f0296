package genesys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// readBody reads a JSON request body, at most maxBodyBytes of it. An
// explicit non-JSON Content-Type is refused with 415 (a missing one is
// tolerated, as curl users forget it).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *wire.ErrorBody) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, apiError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
				"Content-Type %q is not supported; send application/json.", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apiError(http.StatusRequestEntityTooLarge, codeTooLarge,
				"The request body is larger than the limit of %d bytes.", maxBodyBytes)
		}
		return nil, apiError(http.StatusBadRequest, codeBadRequest, "The request body could not be read: %v", err)
	}
	return body, nil
}

// decodeBody reads and strictly decodes r's JSON body into v (a pointer to
// a struct).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) *wire.ErrorBody {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes body into v the way the Platform API's Jackson
// deserializer does: malformed JSON is 400 bad.request saying where, an
// unknown property is 400 invalid.property naming its path (field names are
// case-sensitive), a value of the wrong type is 400 bad.request naming its
// path.
func decodeJSON(body []byte, v any) *wire.ErrorBody {
	if len(bytes.TrimSpace(body)) == 0 {
		return apiError(http.StatusBadRequest, codeBadRequest, "The request body is empty; a JSON object is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return syntaxError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		line, col := position(body, off)
		return apiError(http.StatusBadRequest, codeBadRequest,
			"Malformed JSON: unexpected data after the top-level value at line %d, column %d.", line, col)
	}
	if e := checkShape("", generic, reflect.TypeOf(v).Elem()); e != nil {
		return e
	}
	if err := json.Unmarshal(body, v); err != nil {
		// checkShape accepts only what Unmarshal can store; this is a
		// backstop, not a path we expect.
		return apiError(http.StatusBadRequest, codeBadRequest, "The request body could not be decoded: %v", err)
	}
	return nil
}

func syntaxError(body []byte, err error) *wire.ErrorBody {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		line, col := position(body, se.Offset)
		return apiError(http.StatusBadRequest, codeBadRequest, "Malformed JSON at line %d, column %d: %s.", line, col, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(http.StatusBadRequest, codeBadRequest, "Malformed JSON: the body ends before the JSON value is complete.")
	default:
		return apiError(http.StatusBadRequest, codeBadRequest, "Malformed JSON: %v.", err)
	}
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, off int64) (line, col int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off < 0 {
		off = 0
	}
	before := body[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// checkShape walks a generically decoded JSON value against the Go type it
// will be stored in, reporting the first unknown property or type mismatch
// with its path (e.g. "requestScoredAgents[1].score").
func checkShape(path string, val any, t reflect.Type) *wire.ErrorBody {
	if val == nil {
		return nil // null leaves the Go value alone, as Jackson leaves a default
	}
	if t == rawMessageType {
		return nil // accepted as is, e.g. fields the fake ignores
	}
	switch t.Kind() {
	case reflect.Pointer:
		return checkShape(path, val, t.Elem())
	case reflect.Interface:
		return nil
	case reflect.Struct:
		obj, ok := val.(map[string]any)
		if !ok {
			return typeMismatch(path, "an object", val)
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys) // report the same field first every time
		for _, k := range keys {
			f, ok := fields[k]
			if !ok {
				p := joinPath(path, k)
				return fieldError(codeInvalidProperty, p, "Unrecognized field %q: it is not a property of this request.", p)
			}
			if e := checkShape(joinPath(path, k), obj[k], f.Type); e != nil {
				return e
			}
		}
		return nil
	case reflect.Slice:
		arr, ok := val.([]any)
		if !ok {
			return typeMismatch(path, "an array", val)
		}
		for i, el := range arr {
			if e := checkShape(fmt.Sprintf("%s[%d]", path, i), el, t.Elem()); e != nil {
				return e
			}
		}
		return nil
	case reflect.Map:
		obj, ok := val.(map[string]any)
		if !ok {
			return typeMismatch(path, "an object", val)
		}
		for k, el := range obj {
			if e := checkShape(joinPath(path, k), el, t.Elem()); e != nil {
				return e
			}
		}
		return nil
	case reflect.String:
		if _, ok := val.(string); !ok {
			return typeMismatch(path, "a string", val)
		}
		return nil
	case reflect.Bool:
		if _, ok := val.(bool); !ok {
			return typeMismatch(path, "true or false", val)
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := val.(json.Number)
		if !ok {
			return typeMismatch(path, "an integer", val)
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || reflect.Zero(t).OverflowInt(i) {
			return fieldError(codeBadRequest, path, "Field %q: %s is not an integer in range.", path, n)
		}
		return nil
	case reflect.Float32, reflect.Float64:
		n, ok := val.(json.Number)
		if !ok {
			return typeMismatch(path, "a number", val)
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return fieldError(codeBadRequest, path, "Field %q: %s is not a number in range.", path, n)
		}
		return nil
	default:
		return fieldError(codeBadRequest, path, "Field %q cannot be decoded.", path)
	}
}

func typeMismatch(path, want string, got any) *wire.ErrorBody {
	name := path
	if name == "" {
		name = "(request body)"
	}
	return fieldError(codeBadRequest, path, "Field %q must be %s, not %s.", name, want, jsonKind(got))
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	default:
		return "null"
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

var fieldCache sync.Map // reflect.Type → map[string]reflect.StructField

// jsonFields maps the exact JSON names of t's fields to the fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.StructField)
	}
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			tagName, _, _ := strings.Cut(tag, ",")
			if tagName == "-" {
				continue
			}
			if tagName != "" {
				name = tagName
			}
		}
		m[name] = f
	}
	fieldCache.Store(t, m)
	return m
}
