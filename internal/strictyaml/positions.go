package strictyaml

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"go.yaml.in/yaml/v3"
)

// Pos is a location in a YAML source. Line and Column are 1-based; 0 means
// unknown. Columns count characters, not bytes.
type Pos struct {
	File         string
	Line, Column int
}

// String formats p as "file:line:col". Unknown parts are left out: no
// "file:" when File is empty, no ":col" when Column is 0, and only the
// file when Line is 0.
func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	s := strconv.Itoa(p.Line)
	if p.Column > 0 {
		s += ":" + strconv.Itoa(p.Column)
	}
	if p.File != "" {
		s = p.File + ":" + s
	}
	return s
}

// Doc remembers where each decoded value came from. Values are identified
// by their address and type, so a struct and its first field (same address)
// do not collide. Look-ups stay valid as long as the decoded values are not
// moved (e.g. by appending to a decoded slice, which may reallocate it). A
// Doc keeps the decoded values reachable.
//
// All methods may be called on a nil *Doc; they then know nothing.
type Doc struct {
	file string
	vals map[valKey]valInfo
	maps map[unsafe.Pointer]map[string]mapEntry // keyed by the map's own pointer
}

type valKey struct {
	p unsafe.Pointer
	t reflect.Type
}

type valInfo struct {
	pos    Pos
	path   string
	absent bool // field not in the source; pos is its enclosing mapping
}

type mapEntry struct {
	key, val Pos
	path     string
}

func newDoc(file string) *Doc {
	return &Doc{
		file: file,
		vals: map[valKey]valInfo{},
		maps: map[unsafe.Pointer]map[string]mapEntry{},
	}
}

// record remembers pos and path for the addressable value v. Absent records
// (fields missing from their mapping) never replace present ones.
func (d *Doc) record(v reflect.Value, pos Pos, path string, absent bool) {
	if !v.CanAddr() || v.Type().Size() == 0 {
		return // zero-size values share addresses; nothing sensible to key on
	}
	k := valKey{v.Addr().UnsafePointer(), v.Type()}
	if absent {
		if _, ok := d.vals[k]; ok {
			return
		}
	}
	d.vals[k] = valInfo{pos: pos, path: path, absent: absent}
}

func (d *Doc) mapInfo(p unsafe.Pointer) map[string]mapEntry {
	m := d.maps[p]
	if m == nil {
		m = map[string]mapEntry{}
		d.maps[p] = m
	}
	return m
}

// File returns the file name given to Decode.
func (d *Doc) File() string {
	if d == nil {
		return ""
	}
	return d.file
}

func (d *Doc) lookup(ptr any) (valInfo, bool) {
	if d == nil {
		return valInfo{}, false
	}
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return valInfo{}, false
	}
	info, ok := d.vals[valKey{rv.UnsafePointer(), rv.Type().Elem()}]
	return info, ok
}

// Pos returns where the value ptr points to (a decoded struct, field, slice
// element, or pointee) was decoded from. ok is false if that value did not
// appear in the source (including fields absent from their mapping).
// For map entries, which are not addressable, use MapKeyPos/MapValuePos.
func (d *Doc) Pos(ptr any) (pos Pos, ok bool) {
	info, ok := d.lookup(ptr)
	if !ok || info.absent {
		return Pos{}, false
	}
	return info.pos, true
}

// PathOf returns the field path of the value ptr points to, e.g.
// "presences[3].minPriority", or "" if unknown. It also knows fields of a
// decoded struct that were absent from the source.
func (d *Doc) PathOf(ptr any) string {
	info, _ := d.lookup(ptr)
	return info.path
}

// At returns the position and path of the value ptr points to. For a field
// that was absent from its mapping, the position is that of the enclosing
// mapping (the best place to say "x is missing"). Both are zero if unknown.
func (d *Doc) At(ptr any) (Pos, string) {
	info, _ := d.lookup(ptr)
	return info.pos, info.path
}

// Errorf adds a problem about the value ptr points to, located with At. If
// the value is unknown the problem still names the file.
func (d *Doc) Errorf(es *Errors, ptr any, format string, args ...any) {
	pos, path := d.At(ptr)
	if pos == (Pos{}) {
		pos.File = d.File()
	}
	es.Add(pos, path, format, args...)
}

// mapEntry looks up key in the map m (a map, or a pointer to one) that was
// filled by Decode.
func (d *Doc) mapEntry(m any, key string) (mapEntry, bool) {
	if d == nil {
		return mapEntry{}, false
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Map || rv.IsNil() {
		return mapEntry{}, false
	}
	e, ok := d.maps[rv.UnsafePointer()][key]
	return e, ok
}

// MapKeyPos returns the position of key within the mapping that was decoded
// into the map m. m may be the map itself or a pointer to it (any copy of
// the map value works, since maps are references).
func (d *Doc) MapKeyPos(m any, key string) (Pos, bool) {
	e, ok := d.mapEntry(m, key)
	return e.key, ok
}

// MapValuePos returns the position of the value of key within the mapping
// that was decoded into the map m (a map or a pointer to one).
func (d *Doc) MapValuePos(m any, key string) (Pos, bool) {
	e, ok := d.mapEntry(m, key)
	return e.val, ok
}

// MapErrorf adds a problem about the entry key of map m (a map or a pointer
// to one), located at the key, with the entry's path (e.g. `routes.eu`).
func (d *Doc) MapErrorf(es *Errors, m any, key string, format string, args ...any) {
	e, ok := d.mapEntry(m, key)
	if !ok {
		e.key.File = d.File()
	}
	es.Add(e.key, e.path, format, args...)
}

// Locating syntax errors.
//
// yaml.v3 reports syntax errors as "yaml: line N: message", where N is
// sometimes the 1-based line of the problem, sometimes the 0-based line of
// the enclosing construct, and absent altogether for problems on the first
// line or for some errors (unknown anchors, bad UTF-8). There is never a
// column. As a best effort, locate re-parses prefixes of the input: the
// first line-aligned prefix (from line N-1 on) that fails with the same
// message gives the line, the shortest prefix within that line the column.
// The work is bounded by locateBudget bytes re-parsed in total; when that
// runs out we fall back to N and column 0.

const (
	locateBudget   = 8 << 20
	locateMaxLines = 200
	locateMaxCols  = 500
)

var (
	lineMsgRE       = regexp.MustCompile(`^line (\d+): `)
	unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// syntaxError turns a yaml.v3 parse error into an *Error with the best
// position we can find.
func syntaxError(file string, data []byte, err error) *Error {
	msg, hint := splitYAMLError(err)
	line, col := locate(data, msg, hint)
	return &Error{Pos: Pos{File: file, Line: line, Column: col}, Msg: "invalid YAML: " + msg}
}

// splitYAMLError strips "yaml: " and "line N: " from a yaml.v3 message.
func splitYAMLError(err error) (msg string, line int) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineMsgRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return msg, line
}

func locate(data []byte, msg string, hint int) (line, col int) {
	budget := locateBudget
	fails := func(n int) bool { // does data[:n] fail with msg?
		budget -= n
		return budget >= 0 && sameError(data[:n], msg)
	}
	starts := lineStarts(data)
	lineEnd := func(l int) int { // exclusive end of line l, including its break
		if l < len(starts) {
			return starts[l]
		}
		return len(data)
	}
	first := max(1, hint-1)
	for l := first; l <= len(starts) && l < first+locateMaxLines && budget > 0; l++ {
		if fails(lineEnd(l)) {
			line = l
			break
		}
	}
	if line == 0 {
		return hint, 0
	}
	start, end := starts[line-1], lineEnd(line)
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data[start:end], []byte("*"+m[1])); i >= 0 {
			return line, utf8.RuneCount(data[start:start+i]) + 1
		}
	}
	for k := start + 1; k <= end && k-start <= locateMaxCols && budget > 0; k++ {
		if fails(k) {
			return line, utf8.RuneCount(data[start:k])
		}
	}
	return line, 0
}

// lineStarts returns the byte offset of the start of each line, using the
// line breaks yaml.v3 counts: \n, \r, \r\n, NEL, LS and PS.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == '\r' && i+1 < len(data) && data[i+1] == '\n':
			size = 2
			fallthrough
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			if i+size < len(data) {
				starts = append(starts, i+size)
			}
		}
		i += size
	}
	return starts
}

// sameError reports whether parsing prefix fails with message msg.
func sameError(prefix []byte, msg string) bool {
	err := parseAll(prefix)
	if err == nil {
		return false
	}
	m, _ := splitYAMLError(err)
	return m == msg
}

// parseAll parses every document in data and returns the first error.
func parseAll(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
