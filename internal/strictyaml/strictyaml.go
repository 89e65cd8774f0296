// Package strictyaml decodes user-edited YAML files (routing policies,
// simulation scenarios, ...) strictly, reporting every problem at once with
// file:line:column, and remembers where each decoded value came from so that
// later semantic validation can point at the offending field too.
//
// Why not yaml.v3's own Decoder with KnownFields(true)? It stops at the
// first unknown field, reports only "line N" without a column, mixes syntax
// and type errors into one opaque string, and throws the node positions away
// once the Go value is built, so a validator that later finds
// presences[3].minPriority out of range has no way to say where that was in
// the file. This package walks the yaml.Node tree itself with reflection,
// collects every problem as an [Error] carrying a [Pos] and a field path, and
// returns a [Doc] that maps the address of any decoded field, slice element
// or map entry back to its source position.
//
// Typical use:
//
//	var p Policy
//	doc, err := strictyaml.Decode("policy.yaml", data, &p)
//	if err != nil {
//		return err // every problem, one per line, sorted by position
//	}
//	var errs strictyaml.Errors
//	for i := range p.Presences {
//		if p.Presences[i].MinPriority > 5 {
//			doc.Errorf(&errs, &p.Presences[i].MinPriority, "must be one of P1..P5")
//		}
//	}
//	return errs.Err()
//
// Field names come from the `yaml:"name"` tag (options: ",required",
// ",inline"; ",omitempty" and ",flow" are accepted and ignored); untagged
// exported fields use the field name with its first letter lowercased.
package strictyaml

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxNodes bounds the number of YAML nodes visited while decoding one
// document, counting every expansion of an alias or merge key separately.
// It guards against alias expansion bombs ("billion laughs").
const MaxNodes = 1_000_000

// Error is one problem at one place.
type Error struct {
	Pos  Pos
	Path string // dotted/indexed field path, e.g. "presences[3].minPriority"; "" for the top level
	Msg  string
}

// Error formats the problem as "file:line:col: path: msg", leaving out the
// parts that are unknown or empty.
func (e *Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is a list of problems. Decode returns it sorted by position.
type Errors []*Error

// Error joins the messages of the first MaxListedErrors problems with
// newlines and, when there are more, ends with "… and N more errors".
func (es Errors) Error() string {
	n := min(len(es), MaxListedErrors)
	s := make([]string, n, n+1)
	for i, e := range es[:n] {
		s[i] = e.Error()
	}
	if rest := len(es) - n; rest > 0 {
		s = append(s, fmt.Sprintf("… and %s more %s", thousands(rest), plural(rest, "error", "errors")))
	}
	return strings.Join(s, "\n")
}

// thousands formats n with comma thousands separators (873,790).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Add appends a problem at pos. The message is fmt.Sprintf(format, args...).
func (es *Errors) Add(pos Pos, path, format string, args ...any) {
	*es = append(*es, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil if es is empty, otherwise es sorted (stably) by file, line
// and column. Problems without a line sort first.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
	return es
}

// Unmarshaler lets a type decode itself from a node. It is looked up on the
// pointer receiver. Aliases are already resolved for n itself (not for its
// children). A returned error is reported at the node's position with the
// current path; if it is (or wraps) an *Error or Errors, their own positions
// and paths are kept where set.
type Unmarshaler interface {
	UnmarshalYAMLNode(n *yaml.Node) error
}

var (
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
	timeType        = reflect.TypeFor[time.Time]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

// Decode parses data (file is used only in positions and messages) into v,
// which must be a non-nil pointer to a struct. It returns the Doc (always
// non-nil, also on error, so positions of what did decode are available)
// and, when anything is wrong, an error of type Errors listing every problem
// sorted by position.
//
// An empty document (or one that is just null) is not an error and leaves v
// untouched; required fields are only checked in mappings that are present.
func Decode(file string, data []byte, v any) (*Doc, error) {
	doc := newDoc(file)
	d := &decoder{file: file, doc: doc, active: map[*yaml.Node]bool{}}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		d.errs.Add(Pos{File: file}, "", "strictyaml: Decode needs a non-nil pointer to a struct, got %T", v)
		return doc, d.errs.Err()
	}
	if len(data) > MaxFileSize {
		d.errs.Add(Pos{File: file}, "", "%v: %s", ErrTooLarge, sizeProblem(strconv.Itoa(len(data))))
		return doc, d.errs.Err()
	}
	root, second, err := parseDocuments(data)
	if root != nil && len(root.Content) > 0 {
		top := root.Content[0]
		switch {
		case isNull(top):
			// Empty document: nothing to do.
		case top.Kind != yaml.MappingNode:
			d.errorf(top, "", "top level must be a mapping of field names to values, got %s", describe(top))
		default:
			d.unmarshal(top, rv.Elem(), "")
		}
	}
	if second != nil {
		d.errorf(second, "", "unexpected second YAML document: a file holds exactly one document")
	}
	if err != nil {
		d.errs = append(d.errs, syntaxError(file, data, err))
	}
	return doc, d.errs.Err()
}

// parseDocuments parses the first document of data and, if there is one, the
// second (only to report it). A parse error of either is returned as err.
func parseDocuments(data []byte) (first, second *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			// yaml.v3 is not supposed to panic on any input; make sure a
			// bug there cannot take the caller down with it.
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n1 yaml.Node
	if err := dec.Decode(&n1); err != nil {
		if err == io.EOF {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	first = &n1
	var n2 yaml.Node
	if err := dec.Decode(&n2); err != nil {
		if err == io.EOF {
			return first, nil, nil
		}
		return first, nil, err
	}
	return first, &n2, nil
}

type decoder struct {
	file   string
	doc    *Doc
	errs   Errors
	nodes  int
	tooBig bool
	active map[*yaml.Node]bool // containers being decoded (alias cycle guard)
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Column: n.Column} }

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs.Add(d.pos(n), path, format, args...)
}

// visit counts n against MaxNodes and reports false once the budget is
// exhausted (reporting that once).
func (d *decoder) visit(n *yaml.Node) bool {
	if d.tooBig {
		return false
	}
	d.nodes++
	if d.nodes > MaxNodes {
		d.tooBig = true
		d.errorf(n, "", "document too large: more than %d nodes after expanding aliases (alias bomb?); decoding stopped", MaxNodes)
		return false
	}
	return true
}

// follow calls fn with the node alias n points to, refusing aliases to a
// mapping or sequence that is being decoded (which would recurse forever).
func (d *decoder) follow(n *yaml.Node, path string, fn func(target *yaml.Node)) {
	switch {
	case n.Alias == nil:
		d.errorf(n, path, "alias *%s has no anchor", n.Value)
	case d.active[n.Alias]:
		d.errorf(n, path, "alias *%s refers to a value that contains it", n.Value)
	default:
		fn(n.Alias)
	}
}

// enter marks container node n as being decoded; the returned func unmarks it.
func (d *decoder) enter(n *yaml.Node) func() {
	if (n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode) || d.active[n] {
		return func() {}
	}
	d.active[n] = true
	return func() { delete(d.active, n) }
}

// unmarshal decodes n into the addressable value v.
func (d *decoder) unmarshal(n *yaml.Node, v reflect.Value, path string) {
	if !d.visit(n) {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.follow(n, path, func(t *yaml.Node) { d.unmarshal(t, v, path) })
		// The value "comes from" where the alias is used.
		d.doc.record(v, d.pos(n), path, false)
		return
	}
	d.doc.record(v, d.pos(n), path, false)
	defer d.enter(n)()
	d.decodeValue(n, v, path)
}

func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if isNull(n) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := v.Addr().Interface().(Unmarshaler).UnmarshalYAMLNode(n); err != nil {
			d.addUserError(n, path, err)
		}
		return
	}
	switch t {
	case durationType:
		d.decodeDuration(n, v, path)
		return
	case timeType:
		d.decodeTime(n, v, path)
		return
	case nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.doc.record(v.Elem(), d.pos(n), path, false)
		d.decodeValue(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.errorf(n, path, "strictyaml: cannot decode into non-empty interface type %s", t)
			return
		}
		if g := d.generic(n, path); g != nil {
			v.Set(reflect.ValueOf(g))
		} else {
			v.SetZero()
		}
	case reflect.String:
		if s, ok := d.scalarString(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.typeError(n, path, "a boolean (true or false)")
			return
		}
		v.SetBool(strings.EqualFold(n.Value, "true"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		lo, hi := intRange(t.Bits())
		what := fmt.Sprintf("%s (%d..%d)", t, lo, hi)
		neg, mag, ok := d.integer(n, path, what)
		if !ok {
			return
		}
		if (neg && mag > uint64(-(lo+1))+1) || (!neg && mag > uint64(hi)) {
			d.errorf(n, path, "integer %s out of range for %s", n.Value, what)
			return
		}
		i := int64(mag) // wraps for mag == 1<<63, which is what -(1<<63) needs
		if neg {
			i = -i
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		what := fmt.Sprintf("%s (0..%d)", t, uint64(math.MaxUint64)>>(64-t.Bits()))
		neg, mag, ok := d.integer(n, path, what)
		if !ok {
			return
		}
		if (neg && mag != 0) || v.OverflowUint(mag) {
			d.errorf(n, path, "integer %s out of range for %s", n.Value, what)
			return
		}
		v.SetUint(mag)
	case reflect.Float32, reflect.Float64:
		if f, ok := d.float(n, path, t.Bits()); ok {
			v.SetFloat(f)
		}
	default:
		d.errorf(n, path, "strictyaml: cannot decode into Go type %s", t)
	}
}

func intRange(bits int) (lo, hi int64) {
	return -1 << (bits - 1), 1<<(bits-1) - 1
}

// typeError reports that n is not what the target type needs.
func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n, path, "expected %s, got %s", want, describe(n))
}

// addUserError reports an error returned by an Unmarshaler.
func (d *decoder) addUserError(n *yaml.Node, path string, err error) {
	fill := func(e *Error) *Error {
		c := *e
		if c.Pos.Line == 0 {
			c.Pos = d.pos(n)
		} else if c.Pos.File == "" {
			c.Pos.File = d.file
		}
		if c.Path == "" {
			c.Path = path
		}
		return &c
	}
	var es Errors
	var e *Error
	switch {
	case errors.As(err, &es) && len(es) > 0:
		for _, e := range es {
			d.errs = append(d.errs, fill(e))
		}
	case errors.As(err, &e) && e != nil:
		d.errs = append(d.errs, fill(e))
	default:
		d.errorf(n, path, "%s", err.Error())
	}
}

// kv is one key/value pair of a mapping; merged pairs come from "<<" keys
// and are overridden by explicit keys without complaint.
type kv struct {
	key, val *yaml.Node
	merged   bool
}

// entries lists the pairs of mapping n: its own pairs in document order,
// then the pairs merged in through "<<" keys (earlier sources first).
func (d *decoder) entries(n *yaml.Node, path string) []kv {
	var own, merged []kv
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = d.merge(merged, val, path, true)
			continue
		}
		own = append(own, kv{key: k, val: val})
	}
	return append(own, merged...)
}

// merge appends the pairs of the merge source src (a mapping, an alias of
// one, or - if seqOK - a sequence of those).
func (d *decoder) merge(dst []kv, src *yaml.Node, path string, seqOK bool) []kv {
	if !d.visit(src) {
		return dst
	}
	switch {
	case src.Kind == yaml.AliasNode:
		d.follow(src, path, func(t *yaml.Node) { dst = d.merge(dst, t, path, seqOK) })
	case src.Kind == yaml.MappingNode:
		defer d.enter(src)()
		for _, e := range d.entries(src, path) {
			if !d.visit(e.key) {
				break
			}
			e.merged = true
			dst = append(dst, e)
		}
	case src.Kind == yaml.SequenceNode && seqOK:
		for _, item := range src.Content {
			dst = d.merge(dst, item, path, false)
		}
	default:
		d.errorf(src, path, "merge key \"<<\" needs a mapping or a sequence of mappings, got %s", describe(src))
	}
	return dst
}

// keyString returns the text of a mapping key, which must be a scalar.
func (d *decoder) keyString(k *yaml.Node, path string) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "mapping keys must be plain strings, got %s", describe(k))
		return "", false
	}
	return k.Value, true
}

// pairs walks the entries of mapping n, reporting bad and duplicate keys,
// and calls fn for each usable pair.
func (d *decoder) pairs(n *yaml.Node, path string, fn func(name string, e kv)) map[string]*yaml.Node {
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for _, e := range d.entries(n, path) {
		if d.tooBig {
			break
		}
		name, ok := d.keyString(e.key, path)
		if !ok {
			continue
		}
		if first, dup := seen[name]; dup {
			if !e.merged {
				d.errorf(e.key, path, "duplicate key %q (first at line %d)", name, first.Line)
			}
			continue
		}
		seen[name] = e.key
		fn(name, e)
	}
	return seen
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return
	}
	si := structInfoOf(v.Type())
	if si.err != "" {
		d.errorf(n, path, "%s", si.err)
		return
	}
	for _, idx := range si.inlines {
		d.doc.record(v.FieldByIndex(idx), d.pos(n), path, false)
	}
	seen := d.pairs(n, path, func(name string, e kv) {
		f := si.byName[name]
		if f == nil {
			d.errorf(e.key, path, "%s", unknownField(name, si))
			return
		}
		fp := joinPath(path, name)
		if f.required && isNull(resolveAlias(e.val)) {
			d.errorf(e.val, fp, "required field %q must have a value", name)
		}
		d.unmarshal(e.val, v.FieldByIndex(f.index), fp)
	})
	for i := range si.fields {
		f := &si.fields[i]
		if _, ok := seen[f.name]; ok {
			continue
		}
		if f.required && !d.tooBig {
			d.errorf(n, path, "missing required field %q", f.name)
		}
		d.doc.record(v.FieldByIndex(f.index), d.pos(n), joinPath(path, f.name), true)
	}
}

func unknownField(name string, si *structInfo) string {
	known := "none"
	if len(si.names) > 0 {
		known = strings.Join(si.names, ", ")
	}
	if s := suggest(name, si.names); s != "" {
		return fmt.Sprintf("unknown field %q, did you mean %q? (known: %s)", name, s, known)
	}
	return fmt.Sprintf("unknown field %q (known: %s)", name, known)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errorf(n, path, "strictyaml: cannot decode into Go type %s: map keys must be strings", t)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	info := d.doc.mapInfo(v.UnsafePointer())
	d.pairs(n, path, func(name string, e kv) {
		p := mapPath(path, name)
		elem := reflect.New(t.Elem()).Elem()
		d.unmarshal(e.val, elem, p)
		v.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), elem)
		info[name] = mapEntry{key: d.pos(e.key), val: d.pos(e.val), path: p}
	})
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.typeError(n, path, "a sequence")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		if d.tooBig {
			break
		}
		d.unmarshal(c, s.Index(i), indexPath(path, i))
	}
	v.Set(s)
}

// generic decodes n into map[string]any, []any, string, bool, int,
// uint64 (for integers beyond int64), float64 or nil. Timestamps stay
// strings.
func (d *decoder) generic(n *yaml.Node, path string) any {
	if !d.visit(n) {
		return nil
	}
	defer d.enter(n)()
	switch n.Kind {
	case yaml.AliasNode:
		var out any
		d.follow(n, path, func(t *yaml.Node) { out = d.generic(t, path) })
		return out
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		info := d.doc.mapInfo(reflect.ValueOf(m).UnsafePointer())
		d.pairs(n, path, func(name string, e kv) {
			p := mapPath(path, name)
			m[name] = d.generic(e.val, p)
			info[name] = mapEntry{key: d.pos(e.key), val: d.pos(e.val), path: p}
		})
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			if d.tooBig {
				break
			}
			s[i] = d.generic(c, indexPath(path, i))
		}
		return s
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool":
			return strings.EqualFold(n.Value, "true")
		case "!!int":
			neg, mag, ok := d.integer(n, path, "int64 or uint64")
			switch {
			case !ok:
				return nil
			case !neg && mag <= math.MaxInt64:
				return intOrInt64(int64(mag))
			case !neg:
				return mag
			case mag <= 1<<63:
				return intOrInt64(-int64(mag)) // -int64(1<<63) wraps to MinInt64, as it should
			}
			d.errorf(n, path, "integer %s out of range for int64 or uint64", n.Value)
			return nil
		case "!!float":
			f, _ := d.float(n, path, 64)
			return f
		}
		s, _ := d.scalarString(n, path)
		return s
	}
	d.errorf(n, path, "unexpected YAML node kind %d", n.Kind)
	return nil
}

func (d *decoder) scalarString(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a string")
		return "", false
	}
	if n.ShortTag() == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			d.errorf(n, path, "invalid base64 in !!binary value")
			return "", false
		}
		return string(b), true
	}
	return n.Value, true
}

func intOrInt64(i int64) any {
	if int64(int(i)) == i {
		return int(i)
	}
	return i
}

// integer parses an !!int scalar into sign and magnitude. what names the
// target type in out-of-range messages.
func (d *decoder) integer(n *yaml.Node, path, what string) (neg bool, mag uint64, ok bool) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "an integer")
		return false, 0, false
	}
	switch n.ShortTag() {
	case "!!int":
		neg, mag, err := parseInt(n.Value)
		if err == nil {
			return neg, mag, true
		}
		if d.intSyntaxError(n, path, err, what) {
			return false, 0, false
		}
	case "!!float":
		// Integers beyond uint64, and "08"/"09", resolve as floats.
		digits := strings.TrimLeft(strings.ReplaceAll(n.Value, "_", ""), "+-")
		if digits != "" && strings.Trim(digits, "0123456789") == "" {
			if len(digits) > 1 && digits[0] == '0' {
				d.intSyntaxError(n, path, errLeadingZero, what)
			} else {
				d.intSyntaxError(n, path, strconv.ErrRange, what)
			}
			return false, 0, false
		}
	}
	d.typeError(n, path, "an integer")
	return false, 0, false
}

// intSyntaxError reports the parseInt errors that deserve their own
// message, and says whether it did.
func (d *decoder) intSyntaxError(n *yaml.Node, path string, err error, what string) bool {
	switch {
	case errors.Is(err, strconv.ErrRange):
		d.errorf(n, path, "integer %s out of range for %s", n.Value, what)
	case errors.Is(err, errLeadingZero):
		d.errorf(n, path, "ambiguous integer %s: drop the leading zero for decimal, or write 0o... for octal", n.Value)
	default:
		return false
	}
	return true
}

// errLeadingZero rejects YAML 1.1 octal like "010", which yaml.v3 would
// silently read as 8 and a person editing a file almost never means.
var errLeadingZero = errors.New("leading zero")

// parseInt parses YAML integer syntax: optional sign, "_" separators and
// 0x/0o/0b prefixes. Leading-zero octal ("010") is refused with
// errLeadingZero.
func parseInt(s string) (neg bool, mag uint64, err error) {
	s = strings.ReplaceAll(s, "_", "")
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
	case len(s) > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'):
		base, s = 8, s[2:]
	case len(s) > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'):
		base, s = 2, s[2:]
	case len(s) > 1 && s[0] == '0':
		return false, 0, errLeadingZero
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return false, 0, strconv.ErrSyntax
	}
	mag, err = strconv.ParseUint(s, base, 64)
	return neg, mag, err
}

func (d *decoder) float(n *yaml.Node, path string, bits int) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a number")
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int":
		neg, mag, err := parseInt(n.Value)
		if err == nil {
			f := float64(mag)
			if neg {
				f = -f
			}
			return f, true
		}
		if errors.Is(err, errLeadingZero) {
			d.intSyntaxError(n, path, err, "")
			return 0, false
		}
	case "!!float":
		s := strings.ReplaceAll(n.Value, "_", "")
		switch strings.ToLower(s) {
		case ".inf", "+.inf":
			return math.Inf(1), true
		case "-.inf":
			return math.Inf(-1), true
		case ".nan":
			return math.NaN(), true
		}
		f, err := strconv.ParseFloat(s, bits)
		if err == nil {
			return f, true
		}
		if errors.Is(err, strconv.ErrRange) {
			d.errorf(n, path, "number %s out of range for float%d", n.Value, bits)
			return 0, false
		}
	}
	d.typeError(n, path, "a number")
	return 0, false
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	const want = `a duration like "30s" or "1h30m"`
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, want)
		return
	}
	switch n.ShortTag() {
	case "!!int":
		if _, mag, err := parseInt(n.Value); err == nil && mag == 0 {
			v.SetInt(0)
			return
		}
		d.errorf(n, path, "expected %s, got integer %s (add a unit, e.g. \"%ss\")", want, n.Value, n.Value)
		return
	case "!!str":
		if dur, err := time.ParseDuration(n.Value); err == nil {
			v.SetInt(int64(dur))
			return
		}
	}
	d.typeError(n, path, want)
}

func (d *decoder) decodeTime(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode {
		if tag := n.ShortTag(); tag == "!!str" || tag == "!!timestamp" {
			if t, err := time.Parse(time.RFC3339, n.Value); err == nil {
				v.Set(reflect.ValueOf(t))
				return
			}
		}
	}
	d.typeError(n, path, `an RFC 3339 time like "2006-01-02T15:04:05Z"`)
}

func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; i < 100 && n != nil && n.Kind == yaml.AliasNode; i++ {
		n = n.Alias
	}
	return n
}

// Describe says what n is ("string \"abc\"", "a mapping", "integer 5"),
// for "expected X, got Y" messages of Unmarshalers and loaders.
func Describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	return describe(n)
}

// describe says what n is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode {
		if t := resolveAlias(n); t != nil && t.Kind != yaml.AliasNode {
			return describe(t)
		}
		return "an alias"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
	default:
		return "a document"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "..."
	}
	switch tag := n.ShortTag(); tag {
	case "!!null":
		return "null"
	case "!!str":
		return "string " + strconv.Quote(v)
	case "!!int":
		return "integer " + v
	case "!!float":
		return "number " + v
	case "!!bool":
		return "boolean " + v
	case "!!timestamp":
		return "timestamp " + v
	default:
		return tag + " " + strconv.Quote(v)
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// mapPath appends a map key: ".key" (or "key" at the top) for
// identifier-like keys, `["key"]` otherwise.
func mapPath(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			plain = false
			break
		}
	}
	if plain {
		return joinPath(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// structInfo describes how a struct type maps to YAML keys.
type structInfo struct {
	fields  []fieldInfo // in declaration order, inline fields flattened
	byName  map[string]*fieldInfo
	names   []string
	inlines [][]int // index paths of inline embedded structs
	err     string  // a problem with the Go type itself
}

type fieldInfo struct {
	name     string
	index    []int
	required bool
}

var structInfos sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]*fieldInfo{}}
	si.collect(t, nil)
	for i := range si.fields {
		f := &si.fields[i]
		if _, dup := si.byName[f.name]; dup && si.err == "" {
			si.err = fmt.Sprintf("strictyaml: Go type %s has two fields named %q", t, f.name)
		}
		si.byName[f.name] = f
		si.names = append(si.names, f.name)
	}
	actual, _ := structInfos.LoadOrStore(t, si)
	return actual.(*structInfo)
}

func (si *structInfo) collect(t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		var inline, required bool
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "inline":
				inline = true
			case "required":
				required = true
			}
		}
		index := append(slices.Clone(prefix), i)
		if inline {
			if f.Type.Kind() != reflect.Struct {
				si.err = fmt.Sprintf("strictyaml: Go type %s: inline field %s must be a struct", t, f.Name)
				continue
			}
			si.inlines = append(si.inlines, index)
			si.collect(f.Type, index)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			r, size := utf8.DecodeRuneInString(f.Name)
			name = string(unicode.ToLower(r)) + f.Name[size:]
		}
		si.fields = append(si.fields, fieldInfo{name: name, index: index, required: required})
	}
}

// suggest returns the known name closest to name if it is close enough to
// be a likely typo.
// Suggest returns the name in known closest to name when it is close
// enough to be a likely typo ("desciption" → "description"), else "".
// Loaders use it for their own "did you mean" messages.
func Suggest(name string, known []string) string { return suggest(name, known) }

func suggest(name string, known []string) string {
	best, bestDist := "", 3
	ln := strings.ToLower(name)
	for _, k := range known {
		dist := levenshtein(ln, strings.ToLower(k))
		if dist < bestDist && dist*3 <= utf8.RuneCountInString(k) {
			best, bestDist = k, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt32
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
