package genesys

import (
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// The fast path for the hot envelope: presence events are nearly every
// frame under load, and encoding/json's reflection, the RawMessage copies
// and the strings it allocates were most of the feed's CPU. fastPresence
// scans a valid JSON presence frame by hand, without reflection, and
// interns the expert and presence-definition ids; anything it does not
// expect (another topic, a string with escapes or non-ASCII bytes, a key
// that only matches case-insensitively, a value of an unexpected type, a
// missing definition) makes it give up, and decodeFrame takes the general
// path. The two agree on every input the fast path accepts
// (FuzzFastPresenceAgrees).

// fastPresence decodes data when it is a presence event it can vouch for;
// ok false means "use the general path", not "invalid".
func fastPresence(data []byte, recv time.Time) (f frame, ok bool) {
	s := scanner{b: data}
	var topic, body, corr []byte
	var haveTopic, haveBody bool
	ok = s.object(func(key []byte) bool {
		switch string(key) {
		case "topicName":
			topic, haveTopic = s.str()
			return haveTopic
		case "eventBody":
			start := s.i
			if !s.skip() {
				return false
			}
			body, haveBody = data[start:s.i], true
			return body[0] == '{'
		case "metadata":
			if s.peek() != '{' {
				return false
			}
			return s.object(func(key []byte) bool {
				if string(key) == "CorrelationId" {
					var ok bool
					corr, ok = s.str()
					return ok
				}
				return !foldsTo(key, "CorrelationId") && s.skip()
			})
		case "result", "message":
			return false // a reply or a ping: the general path
		}
		return !foldsTo(key, "topicName", "eventBody", "metadata", "result", "message") && s.skip()
	})
	if s.peek(); !ok || s.i != len(data) || !haveTopic || !haveBody {
		return frame{}, false
	}
	user, kind, ok := splitUserTopicBytes(topic)
	if !ok || string(kind) != "presence" {
		return frame{}, false
	}
	var def, sys, modified []byte
	haveDef := false
	b := scanner{b: body}
	ok = b.object(func(key []byte) bool {
		switch string(key) {
		case "presenceDefinition":
			if b.peek() != '{' {
				return false
			}
			// A repeated presenceDefinition merges into the first, as
			// encoding/json decodes into the pointer it already set.
			haveDef = true
			return b.object(func(key []byte) bool {
				var ok bool
				switch string(key) {
				case "id":
					def, ok = b.str()
					return ok
				case "systemPresence":
					sys, ok = b.str()
					return ok
				}
				return !foldsTo(key, "id", "systemPresence") && b.skip()
			})
		case "modifiedDate":
			var ok bool
			modified, ok = b.str()
			return ok
		}
		return !foldsTo(key, "presenceDefinition", "modifiedDate") && b.skip()
	})
	if !ok || !haveDef || len(def) == 0 {
		return frame{}, false
	}
	sysP, _ := engine.ParseSystemPresence(string(sys)) // no allocation: the conversion does not escape
	f = frame{kind: frameEvent, hasEvt: true}
	f.key = frameKeyBytes(topic, corr, body)
	f.event = engine.Event{
		Kind:     engine.EvPresence,
		Expert:   engine.ExpertID(intern(user)),
		At:       fastTimeOr(modified, recv),
		Presence: engine.Presence{Def: engine.PresenceDefID(intern(def)), System: sysP},
	}
	return f, true
}

// splitUserTopicBytes is splitUserTopic on bytes.
func splitUserTopicBytes(t []byte) (user, kind []byte, ok bool) {
	const prefix = "v2.users."
	if len(t) <= len(prefix) || string(t[:len(prefix)]) != prefix {
		return nil, nil, false
	}
	rest := t[len(prefix):]
	for i, c := range rest {
		if c == '.' {
			if i == 0 || i == len(rest)-1 {
				return nil, nil, false
			}
			return rest[:i], rest[i+1:], true
		}
	}
	return nil, nil, false
}

// foldsTo reports whether key matches one of names only case-insensitively
// (encoding/json would take it for that field; the fast path gives up).
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if len(key) != len(n) {
			continue
		}
		eq := true
		for i := range key {
			a, b := key[i], n[i]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				eq = false
				break
			}
		}
		if eq {
			return true
		}
	}
	// Non-ASCII keys can fold too (the Kelvin sign matches k): give up.
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// scanner walks JSON strictly: whatever it accepts is valid JSON (it
// gives up on anything it is not sure of, and the general path then
// reports the error), so no separate validation pass is needed.
type scanner struct {
	b     []byte
	i     int
	depth int
}

// maxDepth bounds the nesting the scanner follows.
const maxDepth = 32

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// object calls field for every key, positioned at its value; field must
// consume the value and return true, or return false to give up.
func (s *scanner) object(field func(key []byte) bool) bool {
	if s.peek() != '{' || s.depth >= maxDepth {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.str()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		s.ws()
		if !field(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string without escapes or non-ASCII bytes (anything else:
// false, so the general path unescapes and repairs it).
func (s *scanner) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c >= 0x80 || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// skip passes over one value of any type, checking it.
func (s *scanner) skip() bool {
	switch s.peek() {
	case '"':
		return s.skipString()
	case '{':
		return s.object(func([]byte) bool { return s.skip() })
	case '[':
		return s.array()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

func (s *scanner) array() bool {
	if s.depth >= maxDepth {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	s.i++ // '['
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !s.skip() {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// skipString passes over a string, checking its escapes and that it has
// no control characters (encoding/json accepts any other byte).
func (s *scanner) skipString() bool {
	s.i++ // '"'
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

// internTable keeps the ids the feed sees over and over (experts, presence
// definitions) so a frame allocates none of them; bounded, so
// hostile input cannot grow it without limit.
var internTable = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

const maxInterned = 1 << 17

func intern(b []byte) string {
	internTable.RLock()
	s, ok := internTable.m[string(b)]
	internTable.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	internTable.Lock()
	if len(internTable.m) < maxInterned {
		internTable.m[s] = s
	}
	internTable.Unlock()
	return s
}

// fastTimeOr parses "YYYY-MM-DDTHH:MM:SS[.fff…]Z", Genesys's form, without
// allocating; anything else goes to parseTime. def when unreadable.
func fastTimeOr(b []byte, def time.Time) time.Time {
	if t, ok := fastTime(b); ok {
		return t
	}
	if len(b) == 0 {
		return def
	}
	return timeOr(string(b), def)
}

func fastTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(p []byte) (int, bool) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	frac := b[19 : len(b)-1]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
