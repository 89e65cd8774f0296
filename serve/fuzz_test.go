package serve

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeEscalation: the Data Action body decoder never panics; an
// error always has a code and a message; an accepted request is bounded,
// valid UTF-8, and what encoding/json decodes from the same body (the
// strict decoder only ever rejects more).
func FuzzDecodeEscalation(f *testing.F) {
	f.Add([]byte(`{"conversationId":"c1","skills":["db"],"priority":"P1"}`))
	f.Add([]byte(`{"conversationId":"c1","priority":3,"patienceSeconds":60.5,"queue":"q"}`))
	f.Add([]byte(`{"conversationId":"c","priority":"P1","colour":"red"}`))
	f.Add([]byte(`{"ConversationID":"c","priority":"P1"}`))
	f.Add([]byte(`{"conversationId":"c","priority":"P1","conversationId":"d"}`))
	f.Add([]byte("{\"conversationId\":\"\xff\",\"priority\":\"P1\"}"))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req EscalationRequest
		if e := decodeEscalation(body, &req); e != nil {
			if e.Code == "" || e.Message == "" {
				t.Fatalf("error without a code or message: %+v", e)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8 %q", body)
		}
		if utf8.RuneCountInString(req.ConversationID) > MaxIDLen || utf8.RuneCountInString(req.Queue) > MaxIDLen || len(req.Skills) > MaxSkills {
			t.Fatalf("accepted unbounded values %+v", req)
		}
		var loose EscalationRequest
		if err := json.Unmarshal(body, &loose); err != nil {
			t.Fatalf("strict accepted what encoding/json rejects (%v): %q", err, body)
		}
		if !reflect.DeepEqual(normal(req), normal(loose)) {
			t.Fatalf("strict %+v, encoding/json %+v for %q", req, loose, body)
		}
		if e := req.validate(); e != nil {
			return
		}
		if strings.TrimSpace(req.ConversationID) == "" || req.Priority < 1 || req.Priority > 5 {
			t.Fatalf("accepted invalid request %+v", req)
		}
	})
}

// normal makes an empty skills list and a nil one compare equal.
func normal(r EscalationRequest) EscalationRequest {
	if len(r.Skills) == 0 {
		r.Skills = nil
	}
	return r
}
