package serve

import (
	"strings"
	"testing"
)

// The Data Action body is decoded strictly; each case is one way
// encoding/json's defaults would have accepted a body they should not.
func TestDecodeEscalationStrict(t *testing.T) {
	cases := []struct {
		name, body  string
		code, field string
		text        string
	}{
		// encoding/json matches property names case-insensitively.
		{"wrong case", `{"ConversationId":"c","priority":"P1"}`, "invalid.property", "ConversationId", "case-sensitive"},
		{"wrong case of a later field", `{"conversationId":"c","PRIORITY":"P1"}`, "invalid.property", "PRIORITY", `did you mean "priority"`},
		// encoding/json keeps the last of duplicate keys.
		{"duplicate key", `{"conversationId":"c","priority":"P1","conversationId":"d"}`, "invalid.property", "conversationId", "twice"},
		// encoding/json replaces invalid UTF-8 with U+FFFD.
		{"invalid UTF-8 in a value", "{\"conversationId\":\"c\xff\",\"priority\":\"P1\"}", "bad.request", "", "not valid UTF-8 (first bad byte at offset 20)"},
		{"invalid UTF-8 in a key", "{\"conv\xc3\":\"c\",\"priority\":\"P1\"}", "bad.request", "", "not valid UTF-8"},
		// Unbounded ids.
		{"60 KB id", `{"conversationId":"` + strings.Repeat("x", 60<<10) + `","priority":"P1"}`, "invalid.value", "conversationId", "at most 128"},
		{"long queue", `{"conversationId":"c","priority":"P1","queue":"` + strings.Repeat("q", 129) + `"}`, "invalid.value", "queue", "129 characters, at most 128"},
		{"too many skills", `{"conversationId":"c","priority":"P1","skills":[` + strings.Repeat(`"s",`, 32) + `"s"]}`, "invalid.value", "skills", "33 given, at most 32"},
		{"long skill", `{"conversationId":"c","priority":"P1","skills":["db","` + strings.Repeat("s", 200) + `"]}`, "invalid.value", "skills[1]", "at most 128"},
		{"skill not a string", `{"conversationId":"c","priority":"P1","skills":["db",7]}`, "invalid.value", "skills[1]", "expected a string, got a number"},
		{"control character in an id", `{"conversationId":"c\u0000d","priority":"P1"}`, "invalid.value", "conversationId", "control character U+0000"},
		{"null id", `{"conversationId":null,"priority":"P1"}`, "invalid.value", "conversationId", "got null"},
		{"not an object", `["conversationId"]`, "bad.request", "", "must be a JSON object, not an array"},
		{"trailing data", `{"conversationId":"c","priority":"P1"}x`, "bad.request", "", "after the JSON object"},
		{"priority as an object", `{"conversationId":"c","priority":{"p":1}}`, "invalid.value", "priority", "P1"},
		{"patience as a string", `{"conversationId":"c","priority":"P1","patienceSeconds":"60"}`, "invalid.value", "patienceSeconds", "expected a number"},
		{"unknown key is bounded in the echo", `{"` + strings.Repeat("k", 500) + `":1}`, "invalid.property", strings.Repeat("k", 40) + "…", "unknown property"},
	}
	for _, c := range cases {
		var req EscalationRequest
		e := decodeEscalation([]byte(c.body), &req)
		if e == nil {
			t.Errorf("%s: accepted %+v", c.name, req)
			continue
		}
		if e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.text) {
			t.Errorf("%s: %+v; want code %s field %q message containing %q", c.name, e, c.code, c.field, c.text)
		}
	}
}

func TestDecodeEscalationAcceptsTheDocumentedShapes(t *testing.T) {
	for _, body := range []string{
		`{"conversationId":"c1","skills":["db"],"priority":"P1"}`,
		`{"conversationId":"c1","priority":3,"patienceSeconds":60.5,"queue":"q"}`,
		` {"conversationId":"` + strings.Repeat("é", MaxIDLen) + `","skills":null,"priority":"P5"} ` + "\n",
	} {
		var req EscalationRequest
		if e := decodeEscalation([]byte(body), &req); e != nil {
			t.Errorf("%.60q: %+v", body, e)
		}
	}
}
