package strictyaml

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Priority is a test Unmarshaler: "P1".."P5".
type Priority int

func (p *Priority) UnmarshalYAMLNode(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && len(n.Value) == 2 && n.Value[0] == 'P' && n.Value[1] >= '1' && n.Value[1] <= '5' {
		*p = Priority(n.Value[1] - '0')
		return nil
	}
	return errors.New("must be one of P1..P5")
}

type Meta struct {
	Owner string `yaml:"owner"`
}

type Presence struct {
	ID          string   `yaml:"id,required"`
	MinPriority Priority `yaml:"minPriority"`
	Queues      []string `yaml:"queues"`
	Weight      float64  `yaml:"weight,omitempty"`
}

type Route struct {
	Target string `yaml:"target"`
	Hops   []int  `yaml:"hops"`
}

type Policy struct {
	Meta      `yaml:",inline"`
	Name      string            `yaml:"name,required"`
	Enabled   bool              `yaml:"enabled"`
	Retries   uint8             `yaml:"retries"`
	Offset    int16             `yaml:"offset"`
	Timeout   time.Duration     `yaml:"timeout"`
	Start     time.Time         `yaml:"start"`
	Presences []Presence        `yaml:"presences"`
	Limits    map[string]int    `yaml:"limits"`
	Routes    map[string]*Route `yaml:"routes"`
	Extra     any               `yaml:"extra"`
	Fallback  *Presence         `yaml:"fallback"`
	Ratio     float32           `yaml:"ratio"`
	Internal  string            `yaml:"-"`
	MaxDepth  int               // untagged: decoded from "maxDepth"
	secret    int               // unexported: never decoded
}

const knownPolicy = "owner, name, enabled, retries, offset, timeout, start, presences, limits, routes, extra, fallback, ratio, maxDepth"

// lines splits a decode error into its per-problem lines (nil for nil).
func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // exact error lines, in order; nil means success
	}{
		// An unknown top-level key is reported at the key with the list of known keys.
		{"unknown field", "name: p\ncolour: red\n", []string{
			`t.yaml:2:1: unknown field "colour" (known: ` + knownPolicy + `)`,
		}},
		// A near-miss of a known key (nested in a slice element) gets a suggestion and the element path.
		{"unknown nested field with suggestion", "name: p\npresences:\n  - id: a\n    minPriorty: P1\n", []string{
			`t.yaml:4:5: presences[0]: unknown field "minPriorty", did you mean "minPriority"? (known: id, minPriority, queues, weight)`,
		}},
		// Fields tagged "-" and unexported fields are not settable from YAML.
		{"skipped fields are unknown", "name: p\nInternal: x\nsecret: 1\n", []string{
			`t.yaml:2:1: unknown field "Internal" (known: ` + knownPolicy + `)`,
			`t.yaml:3:1: unknown field "secret" (known: ` + knownPolicy + `)`,
		}},
		// A repeated key is reported at the second occurrence, naming the first line.
		{"duplicate key", "name: p\nenabled: true\nname: q\n", []string{
			`t.yaml:3:1: duplicate key "name" (first at line 1)`,
		}},
		// Duplicate keys inside a map field are caught too.
		{"duplicate map key", "name: p\nlimits:\n  cpu: 1\n  cpu: 2\n", []string{
			`t.yaml:4:3: limits: duplicate key "cpu" (first at line 3)`,
		}},
		// A string where an integer belongs.
		{"wrong type int", "name: p\nretries: abc\n", []string{
			`t.yaml:2:10: retries: expected an integer, got string "abc"`,
		}},
		// A quoted number is a string, not an integer.
		{"quoted int", "name: p\nretries: \"3\"\n", []string{
			`t.yaml:2:10: retries: expected an integer, got string "3"`,
		}},
		// YAML 1.1 booleans like "yes" are strings in YAML 1.2 and rejected for bool fields.
		{"wrong type bool", "name: p\nenabled: yes\n", []string{
			`t.yaml:2:10: enabled: expected a boolean (true or false), got string "yes"`,
		}},
		// A mapping where a string belongs (through an inline struct).
		{"wrong type string", "name: p\nowner: {a: 1}\n", []string{
			`t.yaml:2:8: owner: expected a string, got a mapping`,
		}},
		// A word where a float belongs.
		{"wrong type float", "name: p\nratio: high\n", []string{
			`t.yaml:2:8: ratio: expected a number, got string "high"`,
		}},
		// A scalar where a sequence belongs.
		{"wrong type slice", "name: p\npresences: none\n", []string{
			`t.yaml:2:12: presences: expected a sequence, got string "none"`,
		}},
		// Integers are range-checked against the field type.
		{"int out of range", "name: p\nretries: 300\noffset: -40000\nmaxDepth: 99999999999999999999\n", []string{
			`t.yaml:2:10: retries: integer 300 out of range for uint8 (0..255)`,
			`t.yaml:3:9: offset: integer -40000 out of range for int16 (-32768..32767)`,
			`t.yaml:4:11: maxDepth: integer 99999999999999999999 out of range for int (-9223372036854775808..9223372036854775807)`,
		}},
		// YAML 1.1 leading-zero octal is refused rather than silently read as 8.
		{"leading zero", "name: p\nretries: 010\nmaxDepth: 09\nratio: 010\n", []string{
			`t.yaml:2:10: retries: ambiguous integer 010: drop the leading zero for decimal, or write 0o... for octal`,
			`t.yaml:3:11: maxDepth: ambiguous integer 09: drop the leading zero for decimal, or write 0o... for octal`,
			`t.yaml:4:8: ratio: ambiguous integer 010: drop the leading zero for decimal, or write 0o... for octal`,
		}},
		// A bare non-zero integer is not a duration (the unit is missing).
		{"duration without unit", "name: p\ntimeout: 30\n", []string{
			`t.yaml:2:10: timeout: expected a duration like "30s" or "1h30m", got integer 30 (add a unit, e.g. "30s")`,
		}},
		// Text that time.ParseDuration rejects.
		{"duration garbage", "name: p\ntimeout: soon\n", []string{
			`t.yaml:2:10: timeout: expected a duration like "30s" or "1h30m", got string "soon"`,
		}},
		// A date without a time is not RFC 3339.
		{"time not rfc3339", "name: p\nstart: 2024-01-02\n", []string{
			`t.yaml:2:8: start: expected an RFC 3339 time like "2006-01-02T15:04:05Z", got timestamp 2024-01-02`,
		}},
		// A missing required field is reported at the enclosing mapping.
		{"required missing", "owner: x\n", []string{
			`t.yaml:1:1: missing required field "name"`,
		}},
		// A required key with no value is reported at the (empty) value.
		{"required null", "name:\n", []string{
			`t.yaml:1:6: name: required field "name" must have a value`,
		}},
		// Required fields of slice elements are checked per element, at the element.
		{"required missing nested", "name: p\npresences:\n  - id: a\n  - minPriority: P1\n", []string{
			`t.yaml:4:5: presences[1]: missing required field "id"`,
		}},
		// An Unmarshaler's error is reported at its node with the field path.
		{"unmarshaler error", "name: p\npresences:\n  - id: a\n    minPriority: P9\n", []string{
			`t.yaml:4:18: presences[0].minPriority: must be one of P1..P5`,
		}},
		// Unmarshalers behind pointers are found too.
		{"unmarshaler behind pointer", "name: p\nfallback: {id: x, minPriority: [1]}\n", []string{
			`t.yaml:2:32: fallback.minPriority: must be one of P1..P5`,
		}},
		// Every problem is reported in one pass, sorted by line and column even
		// though "missing name" and "missing id" are found after the problems inside.
		{"multiple errors sorted", "retries: abc\npresences:\n  - minPriority: P7\n    bogus: 1\nenabled: 3\n", []string{
			`t.yaml:1:1: missing required field "name"`,
			`t.yaml:1:10: retries: expected an integer, got string "abc"`,
			`t.yaml:3:5: presences[0]: missing required field "id"`,
			`t.yaml:3:18: presences[0].minPriority: must be one of P1..P5`,
			`t.yaml:4:5: presences[0]: unknown field "bogus" (known: id, minPriority, queues, weight)`,
			`t.yaml:5:10: enabled: expected a boolean (true or false), got integer 3`,
		}},
		// Errors inside map values carry the key in the path; odd keys are quoted.
		{"map value errors", "name: p\nlimits:\n  cpu: lots\n  \"mem x\": [1]\nroutes:\n  eu: {target: x, hops: [1, two]}\n", []string{
			`t.yaml:3:8: limits.cpu: expected an integer, got string "lots"`,
			`t.yaml:4:12: limits["mem x"]: expected an integer, got a sequence`,
			`t.yaml:6:29: routes.eu.hops[1]: expected an integer, got string "two"`,
		}},
		// Map keys must be scalars.
		{"non-scalar map key", "name: p\nlimits:\n  ? [a]\n  : 1\n", []string{
			`t.yaml:3:5: limits: mapping keys must be plain strings, got a sequence`,
		}},
		// A merge key needs a mapping.
		{"bad merge", "name: p\nfallback:\n  <<: 3\n  id: x\n", []string{
			`t.yaml:3:7: fallback: merge key "<<" needs a mapping or a sequence of mappings, got integer 3`,
		}},
		// A YAML syntax error gets the line and (best effort) column of the problem.
		{"syntax error", "name: p\nowner: a: b\n", []string{
			`t.yaml:2:9: invalid YAML: mapping values are not allowed in this context`,
		}},
		// yaml.v3 omits the line for problems on line 1 and reports the wrong
		// line for bad indentation; both are located by re-parsing.
		{"syntax error relocated", "presences:\n  - id: a\n bad: 1\n", []string{
			`t.yaml:3:2: invalid YAML: did not find expected key`,
		}},
		// An alias without an anchor is a parse error located at the alias.
		{"unknown anchor", "name: p\nextra: *nope\n", []string{
			`t.yaml:2:8: invalid YAML: unknown anchor 'nope' referenced`,
		}},
		// A sequence at the top level.
		{"top-level sequence", "- a\n- b\n", []string{
			`t.yaml:1:1: top level must be a mapping of field names to values, got a sequence`,
		}},
		// A scalar at the top level.
		{"top-level scalar", "hello\n", []string{
			`t.yaml:1:1: top level must be a mapping of field names to values, got string "hello"`,
		}},
		// A second document is reported at its "---"; the first is still decoded.
		{"multiple documents", "name: a\nretries: x\n---\nname: b\n", []string{
			`t.yaml:2:10: retries: expected an integer, got string "x"`,
			`t.yaml:3:1: unexpected second YAML document: a file holds exactly one document`,
		}},
		// An alias to a value containing itself does not recurse forever.
		{"alias cycle", "name: p\nextra: &a [*a]\n", []string{
			`t.yaml:2:12: extra[0]: alias *a refers to a value that contains it`,
		}},
		// Empty input is fine (required fields are only checked in present mappings).
		{"empty", "", nil},
		// Only comments is an empty document.
		{"comments only", "# nothing here\n", nil},
		// An explicit empty document.
		{"explicit empty document", "---\n", nil},
		// An explicit null document.
		{"null document", "~\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Policy
			doc, err := Decode("t.yaml", []byte(tt.src), &p)
			if doc == nil {
				t.Fatal("Decode returned a nil *Doc")
			}
			if err != nil {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("error is %T, want Errors", err)
				}
			}
			if got := lines(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	src := `owner: ops
name: main
enabled: true
retries: 0x10
offset: -1_2
timeout: 1h30m
start: 2024-05-06T07:08:09+02:00
ratio: .5
maxDepth: 0o17
presences:
  - &base {id: a, minPriority: P2, queues: [q1, q2]}
  - <<: *base
    id: b
limits: {cpu: 4}
routes:
  eu: &eu {target: x, hops: [1]}
  us: *eu
extra: {k: [1, 2.5, true, null, s, 2024-01-01], big: 18446744073709551615, "n": -7}
fallback: ~
`
	var p Policy
	p.Fallback = &Presence{ID: "old"} // null resets pointers
	p.Internal = "kept"
	_, err := Decode("v.yaml", []byte(src), &p)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	start, _ := time.Parse(time.RFC3339, "2024-05-06T07:08:09+02:00")
	eu := &Route{Target: "x", Hops: []int{1}}
	want := Policy{
		Meta:     Meta{Owner: "ops"},
		Name:     "main",
		Enabled:  true,
		Retries:  16,
		Offset:   -12,
		Timeout:  90 * time.Minute,
		Start:    start,
		Ratio:    0.5,
		MaxDepth: 15,
		Presences: []Presence{
			{ID: "a", MinPriority: 2, Queues: []string{"q1", "q2"}},
			{ID: "b", MinPriority: 2, Queues: []string{"q1", "q2"}}, // merged from base, id overridden
		},
		Limits: map[string]int{"cpu": 4},
		Routes: map[string]*Route{"eu": eu, "us": eu},
		Extra: map[string]any{
			"k":   []any{1, 2.5, true, nil, "s", "2024-01-01"},
			"big": uint64(math.MaxUint64),
			"n":   -7,
		},
		Internal: "kept",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded:\n got %+v\nwant %+v", p, want)
	}

	// Plain 0 is accepted as a duration.
	var q Policy
	if _, err := Decode("v.yaml", []byte("name: x\ntimeout: 0\n"), &q); err != nil || q.Timeout != 0 {
		t.Errorf("timeout 0: err=%v timeout=%v", err, q.Timeout)
	}
}

func TestPositions(t *testing.T) {
	src := `name: main
presences:
  - id: a
    minPriority: P1
  - id: b
    minPriority: P3
    queues: [q1, q2]
limits:
  cpu: 4
  "mem x": 8
routes:
  eu: {target: x, hops: [1, 2]}
`
	var p Policy
	doc, err := Decode("pos.yaml", []byte(src), &p)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	at := func(line, col int) Pos { return Pos{File: "pos.yaml", Line: line, Column: col} }
	tests := []struct {
		name     string
		ptr      any
		wantPos  Pos
		wantOK   bool
		wantPath string
	}{
		// The root struct is the top-level mapping.
		{"root", &p, at(1, 1), true, ""},
		// A nested field of the second slice element: the value "P3".
		{"nested field", &p.Presences[1].MinPriority, at(6, 18), true, "presences[1].minPriority"},
		// The element struct shares its address with its first field but is keyed separately.
		{"element struct", &p.Presences[1], at(5, 5), true, "presences[1]"},
		// ... and the first field is the value "b".
		{"first field", &p.Presences[1].ID, at(5, 9), true, "presences[1].id"},
		// The slice field is the sequence.
		{"slice field", &p.Presences, at(3, 3), true, "presences"},
		// An element of a nested flow sequence.
		{"nested slice element", &p.Presences[1].Queues[1], at(7, 18), true, "presences[1].queues[1]"},
		// Values reached through map values that are pointers stay addressable.
		{"through map pointer", &p.Routes["eu"].Hops[1], at(12, 29), true, "routes.eu.hops[1]"},
		// A field absent from its mapping: not in the source, but the path is known.
		{"absent field", &p.Presences[0].Queues, Pos{}, false, "presences[0].queues"},
		// A value that was never decoded.
		{"unknown", new(int), Pos{}, false, ""},
		// Not a pointer at all.
		{"non-pointer", p.Name, Pos{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pos, ok := doc.Pos(tt.ptr)
			if pos != tt.wantPos || ok != tt.wantOK {
				t.Errorf("Pos = %v, %v; want %v, %v", pos, ok, tt.wantPos, tt.wantOK)
			}
			if path := doc.PathOf(tt.ptr); path != tt.wantPath {
				t.Errorf("PathOf = %q, want %q", path, tt.wantPath)
			}
		})
	}

	// At falls back to the enclosing mapping for absent fields.
	if pos, path := doc.At(&p.Presences[0].Queues); pos != at(3, 5) || path != "presences[0].queues" {
		t.Errorf("At(absent) = %v, %q", pos, path)
	}

	// Errorf collects validation problems with positions; Err sorts them.
	var errs Errors
	doc.Errorf(&errs, &p.Presences[1].MinPriority, "P%d is too low", p.Presences[1].MinPriority)
	doc.Errorf(&errs, &p.Presences[0].Queues, "needs at least one queue")
	doc.Errorf(&errs, new(int), "no idea where")
	doc.MapErrorf(&errs, p.Limits, "mem x", "unknown resource")
	doc.MapErrorf(&errs, &p.Limits, "gpu", "not there")
	wantErrs := []string{
		"pos.yaml: no idea where",
		"pos.yaml: not there",
		"pos.yaml:3:5: presences[0].queues: needs at least one queue",
		"pos.yaml:6:18: presences[1].minPriority: P3 is too low",
		`pos.yaml:10:3: limits["mem x"]: unknown resource`,
	}
	if got := lines(errs.Err()); !reflect.DeepEqual(got, wantErrs) {
		t.Errorf("validation errors:\n got: %q\nwant: %q", got, wantErrs)
	}

	// Map key and value positions, via a pointer to the map or the map itself.
	mapTests := []struct {
		name    string
		m       any
		key     string
		wantKey Pos
		wantVal Pos
		wantOK  bool
	}{
		// A plain key through a pointer to the map.
		{"pointer", &p.Limits, "cpu", at(9, 3), at(9, 8), true},
		// A quoted key through a copy of the map value.
		{"map value", p.Limits, "mem x", at(10, 3), at(10, 12), true},
		// A map of pointers.
		{"routes", p.Routes, "eu", at(12, 3), at(12, 7), true},
		// A key that is not there.
		{"missing key", p.Limits, "gpu", Pos{}, Pos{}, false},
		// A map that was not decoded.
		{"other map", map[string]int{"cpu": 1}, "cpu", Pos{}, Pos{}, false},
		// Not a map.
		{"not a map", &p.Name, "cpu", Pos{}, Pos{}, false},
	}
	for _, tt := range mapTests {
		t.Run("map/"+tt.name, func(t *testing.T) {
			kp, kok := doc.MapKeyPos(tt.m, tt.key)
			vp, vok := doc.MapValuePos(tt.m, tt.key)
			if kp != tt.wantKey || vp != tt.wantVal || kok != tt.wantOK || vok != tt.wantOK {
				t.Errorf("MapKeyPos = %v, %v; MapValuePos = %v, %v; want %v, %v, %v", kp, kok, vp, vok, tt.wantKey, tt.wantVal, tt.wantOK)
			}
		})
	}

	// A nil *Doc knows nothing but does not panic.
	var nilDoc *Doc
	if _, ok := nilDoc.Pos(&p); ok || nilDoc.PathOf(&p) != "" {
		t.Error("nil Doc reported a position")
	}
	if _, ok := nilDoc.MapKeyPos(p.Limits, "cpu"); ok {
		t.Error("nil Doc reported a map key position")
	}
}

func TestAliasPositions(t *testing.T) {
	src := `name: main
presences:
  - &first {id: a, minPriority: P2}
fallback: *first
extra: {m: {x: 1}}
`
	var p Policy
	doc, err := Decode("a.yaml", []byte(src), &p)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// The aliased field comes from where the alias is used ...
	if pos, ok := doc.Pos(&p.Fallback); !ok || pos != (Pos{"a.yaml", 4, 11}) {
		t.Errorf("Pos(&Fallback) = %v, %v", pos, ok)
	}
	// ... and its contents from the anchored node.
	if pos, ok := doc.Pos(&p.Fallback.MinPriority); !ok || pos != (Pos{"a.yaml", 3, 33}) || doc.PathOf(&p.Fallback.MinPriority) != "fallback.minPriority" {
		t.Errorf("Pos(&Fallback.MinPriority) = %v, %v, path %q", pos, ok, doc.PathOf(&p.Fallback.MinPriority))
	}
	// Generic maps (interface{} fields) know their key positions too.
	inner := p.Extra.(map[string]any)["m"]
	if pos, ok := doc.MapKeyPos(inner, "x"); !ok || pos != (Pos{"a.yaml", 5, 13}) {
		t.Errorf("MapKeyPos(extra.m, x) = %v, %v", pos, ok)
	}
}

func TestAliasBomb(t *testing.T) {
	// Classic "billion laughs": nine levels of ten aliases each, once via
	// sequences and once via merge keys. Both must stop at MaxNodes with one
	// error instead of expanding 10^9 nodes.
	var seqs, merges strings.Builder
	seqs.WriteString("name: bomb\nextra:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	merges.WriteString("name: bomb\nextra:\n  a: &a {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1, k9: 1}\n")
	for c := 'b'; c <= 'i'; c++ {
		prev := "*" + string(c-1)
		ten := strings.TrimSuffix(strings.Repeat(prev+", ", 10), ", ")
		fmt.Fprintf(&seqs, "  %c: &%c [%s]\n", c, c, ten)
		fmt.Fprintf(&merges, "  %c: &%c {<<: [%s]}\n", c, c, ten)
	}
	tests := []struct {
		name string
		src  string
	}{
		// Exponential sequence aliases.
		{"sequences", seqs.String()},
		// Exponential merge keys.
		{"merges", merges.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			var p Policy
			_, err := Decode("bomb.yaml", []byte(tt.src), &p)
			got := lines(err)
			if len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("more than %d nodes", MaxNodes)) {
				t.Errorf("errors = %q, want one alias bomb error", got)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// Stamp is an Unmarshaler that returns positioned errors of its own.
type Stamp struct{ Parts []string }

func (s *Stamp) UnmarshalYAMLNode(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return errors.New("must be a list")
	}
	var es Errors
	for _, c := range n.Content {
		if c.Value == "bad" {
			es.Add(Pos{Line: c.Line, Column: c.Column}, "", "bad part")
		}
		s.Parts = append(s.Parts, c.Value)
	}
	return es.Err()
}

func TestUnmarshalerPositionedErrors(t *testing.T) {
	type T struct {
		Stamp Stamp `yaml:"stamp"`
		Other Stamp `yaml:"other"`
	}
	var v T
	_, err := Decode("s.yaml", []byte("stamp: [ok, bad, bad]\nother: 1\n"), &v)
	want := []string{
		// Positions from the Unmarshaler are kept, file and path filled in.
		"s.yaml:1:13: stamp: bad part",
		"s.yaml:1:18: stamp: bad part",
		// Plain errors go to the node.
		"s.yaml:2:8: other: must be a list",
	}
	if got := lines(err); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got: %q\nwant: %q", got, want)
	}
}

func TestDecodeBadTarget(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		// Not a pointer.
		{"struct value", Policy{}},
		// A nil pointer.
		{"nil pointer", (*Policy)(nil)},
		// A pointer to a non-struct.
		{"pointer to map", &map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode("x.yaml", []byte("a: 1\n"), tt.v)
			if doc == nil || err == nil || !strings.Contains(err.Error(), "needs a non-nil pointer to a struct") {
				t.Errorf("Decode = %v, %v", doc, err)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		// Everything known.
		{"full", &Error{Pos{"policy.yaml", 12, 5}, "presences[3].minPriority", "must be one of P1..P5"}, "policy.yaml:12:5: presences[3].minPriority: must be one of P1..P5"},
		// No file name.
		{"no file", &Error{Pos{"", 12, 5}, "a", "m"}, "12:5: a: m"},
		// No column (e.g. a syntax error that could not be located exactly).
		{"no column", &Error{Pos{"f", 3, 0}, "", "m"}, "f:3: m"},
		// No position at all.
		{"no position", &Error{Pos{}, "", "m"}, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}

	// Err is nil for no errors and sorts otherwise.
	var es Errors
	if es.Err() != nil {
		t.Error("empty Errors.Err() != nil")
	}
	es.Add(Pos{"f", 2, 1}, "", "second")
	es.Add(Pos{"f", 1, 9}, "", "first %s", "b")
	es.Add(Pos{"f", 1, 2}, "", "first a")
	if got, want := es.Err().Error(), "f:1:2: first a\nf:1:9: first b\nf:2:1: second"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
}
