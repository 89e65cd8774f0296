package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on a Data Action request's values. Ids and skill names go into
// Redis keys, logs and Genesys API paths; nothing legitimate comes close.
const (
	MaxIDLen     = 128 // conversationId and queue, in characters
	MaxSkills    = 32  // skills per escalation
	MaxSkillLen  = 128 // characters per skill name
	maxValueEcho = 40  // characters of a bad value quoted back in an error
)

// escalationFields are the body's properties, exactly as spelled.
var escalationFields = []string{"conversationId", "skills", "priority", "patienceSeconds", "queue"}

// decodeEscalation decodes a Data Action body strictly, unlike
// encoding/json's defaults: one JSON object, property names matched
// exactly (case-sensitive), no duplicate or unknown property, valid UTF-8
// throughout (encoding/json would silently substitute U+FFFD), bounded ids,
// nothing after the object. A problem is reported with the property path:
// code invalid.property for names, invalid.value for values, bad.request
// for a body that is not one JSON object.
func decodeEscalation(body []byte, req *EscalationRequest) *ErrorResponse {
	if len(bytes.TrimSpace(body)) == 0 {
		return &ErrorResponse{Code: "bad.request", Message: "empty body: send a JSON object"}
	}
	if !utf8.Valid(body) {
		return &ErrorResponse{Code: "bad.request", Message: fmt.Sprintf("the body is not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(body))}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err, body)
	}
	if tok != json.Delim('{') {
		return &ErrorResponse{Code: "bad.request", Message: fmt.Sprintf("the body must be a JSON object, not %s", describeToken(tok))}
	}
	seen := make(map[string]bool, len(escalationFields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err, body)
		}
		name := tok.(string) // inside an object, Token returns keys as strings
		if e := checkProperty(name, seen); e != nil {
			return e
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err, body)
		}
		if e := req.set(name, raw); e != nil {
			return e
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return syntaxError(err, body)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &ErrorResponse{Code: "bad.request", Message: fmt.Sprintf("unexpected data after the JSON object at byte %d", dec.InputOffset())}
	}
	return nil
}

// checkProperty rejects unknown (including wrongly cased) and repeated
// property names.
func checkProperty(name string, seen map[string]bool) *ErrorResponse {
	known := false
	for _, f := range escalationFields {
		if f == name {
			known = true
			break
		}
	}
	field := boundedEcho(name)
	if !known {
		msg := fmt.Sprintf("unknown property %q (known: %s)", field, strings.Join(escalationFields, ", "))
		for _, f := range escalationFields {
			if strings.EqualFold(f, name) {
				msg = fmt.Sprintf("unknown property %q: property names are case-sensitive, did you mean %q?", field, f)
			}
		}
		return &ErrorResponse{Code: "invalid.property", Field: field, Message: msg}
	}
	if seen[name] {
		return &ErrorResponse{Code: "invalid.property", Field: name, Message: fmt.Sprintf("property %q appears twice", name)}
	}
	seen[name] = true
	return nil
}

// set decodes one known property's raw value into q.
func (q *EscalationRequest) set(name string, raw json.RawMessage) *ErrorResponse {
	switch name {
	case "conversationId":
		return decodeID(raw, name, MaxIDLen, &q.ConversationID)
	case "queue":
		return decodeID(raw, name, MaxIDLen, &q.Queue)
	case "skills":
		return q.setSkills(raw)
	case "priority":
		if err := q.Priority.UnmarshalJSON(raw); err != nil {
			return &ErrorResponse{Code: "invalid.value", Field: name, Message: fmt.Sprintf("%s: %v (send \"P1\"..\"P5\" or 1..5)", name, err)}
		}
	case "patienceSeconds":
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil || isNull(raw) {
			return &ErrorResponse{Code: "invalid.value", Field: name, Message: fmt.Sprintf("%s: expected a number of seconds, got %s", name, jsonKind(raw))}
		}
		q.PatienceSeconds = &v
	}
	return nil
}

func (q *EscalationRequest) setSkills(raw json.RawMessage) *ErrorResponse {
	if isNull(raw) {
		q.Skills = nil
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return &ErrorResponse{Code: "invalid.value", Field: "skills", Message: fmt.Sprintf("skills: expected an array of strings, got %s", jsonKind(raw))}
	}
	if len(items) > MaxSkills {
		return &ErrorResponse{Code: "invalid.value", Field: "skills", Message: fmt.Sprintf("skills: %d given, at most %d", len(items), MaxSkills)}
	}
	q.Skills = make([]string, len(items))
	for i, it := range items {
		if e := decodeID(it, fmt.Sprintf("skills[%d]", i), MaxSkillLen, &q.Skills[i]); e != nil {
			return e
		}
	}
	return nil
}

// decodeID decodes a JSON string of at most max characters without
// control characters.
func decodeID(raw json.RawMessage, field string, max int, dst *string) *ErrorResponse {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return &ErrorResponse{Code: "invalid.value", Field: field, Message: fmt.Sprintf("%s: expected a string, got %s", field, jsonKind(raw))}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &ErrorResponse{Code: "invalid.value", Field: field, Message: fmt.Sprintf("%s: %d characters, at most %d", field, n, max)}
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return &ErrorResponse{Code: "invalid.value", Field: field, Message: fmt.Sprintf("%s: control character %U at byte %d", field, []rune(s[i:])[0], i)}
	}
	*dst = s
	return nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// jsonKind names the JSON type of raw for an error message.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func describeToken(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

// syntaxError maps a decoder error to a bad.request naming the offset.
func syntaxError(err error, body []byte) *ErrorResponse {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &ErrorResponse{Code: "bad.request", Message: fmt.Sprintf("malformed JSON: the body ends early (%d bytes)", len(body))}
	case errors.As(err, &syn):
		return &ErrorResponse{Code: "bad.request", Message: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	}
	return &ErrorResponse{Code: "bad.request", Message: "malformed JSON: " + err.Error()}
}

// boundedEcho shortens s for quoting back to the caller.
func boundedEcho(s string) string {
	if utf8.RuneCountInString(s) <= maxValueEcho {
		return s
	}
	return string([]rune(s)[:maxValueEcho]) + "…"
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
