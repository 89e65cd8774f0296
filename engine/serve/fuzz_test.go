package serve

import "testing"

// FuzzDecodeEscalation: the Data Action body decoder never panics, and an
// accepted request always has a conversation id and a valid priority.
func FuzzDecodeEscalation(f *testing.F) {
	f.Add([]byte(`{"conversationId":"c1","skills":["db"],"priority":"P1"}`))
	f.Add([]byte(`{"conversationId":"c1","priority":3,"patienceSeconds":60.5,"queue":"q"}`))
	f.Add([]byte(`{"conversationId":"c","priority":"P1","colour":"red"}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req EscalationRequest
		if e := decodeStrict(body, &req); e != nil {
			if e.Message == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if e := req.validate(); e != nil {
			return
		}
		if req.ConversationID == "" || req.Priority < 1 || req.Priority > 5 {
			t.Fatalf("accepted invalid request %+v", req)
		}
	})
}
