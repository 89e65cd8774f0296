package genesys

import (
	"testing"
	"time"
)

// The fake's ACD routes a released conversation to the longest-idle On
// Queue member holding its skills; a refusal re-queues it to the next;
// unreleased conversations are left alone.
func TestACDRoutesReleasedConversations(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	ada, alan := "0d3a1e00-05e0-4e00-8000-000000000001", "0d3a1e00-05e0-4e00-8000-000000000003"
	held, err := s.CreateConversation(NewConversation{Skills: []string{"Databases"}, Priority: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Not released: nobody alerted.
	if d := s.State().Deliveries; len(d) != 0 {
		t.Fatalf("unreleased conversation delivered: %+v", d)
	}
	// Ada declines; Alan (Databases, but Available, not On Queue) is
	// never offered an ACD conversation; it waits for Ada's penalty.
	if err := s.SetAnswer(ada, AnswerModel{Decline: 1}); err != nil {
		t.Fatal(err)
	}
	if res, body := f.admin("POST", "/_fake/conversations/"+held+"/acd", ""); res.StatusCode != 204 {
		t.Fatalf("release over the admin API: %s %s", res.Status, body)
	}
	waitFor(t, "Ada's refusal", func() bool {
		d := s.State().Deliveries
		return len(d) >= 1 && d[0].Outcome == outcomeDeclined
	})
	st := s.State()
	if d := st.Deliveries[0]; d.UserID != ada || d.Kind != deliveryACD {
		t.Fatalf("first ACD delivery %+v, want Ada, kind acd", d)
	}
	for _, d := range st.Deliveries {
		if d.UserID == alan {
			t.Fatalf("the ACD offered to Alan, who is not On Queue: %+v", d)
		}
	}
	// After the penalty Ada is IDLE again and accepts this time.
	if err := s.SetAnswer(ada, AnswerModel{Accept: 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ada accepts after her penalty", func() bool {
		for _, c := range s.State().Conversations {
			if c.ID == held && c.AgentUserID == ada {
				return true
			}
		}
		return false
	})
	res, body := f.admin("POST", "/_fake/conversations/"+held+"/abandon", "")
	checkError(t, res, body, 409, "request.conflict") // Ada has it
	res, body = f.admin("POST", "/_fake/conversations/nope/abandon", "")
	checkError(t, res, body, 404, "not.found")
	if st.RoutingCalls != 0 {
		t.Fatalf("the fake's own ACD counted as %d routing calls", st.RoutingCalls)
	}
}

// OnAgentFree hears of an agent whose conversation ended; SetPresenceIf
// changes a presence only from the one named.
func TestAgentFreeHookAndPresenceCompareAndSet(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	ada := "0d3a1e00-05e0-4e00-8000-000000000001"
	freed := make(chan string, 4)
	s.OnAgentFree(func(u string) { freed <- u })
	s.SetAnswer(ada, AnswerModel{Accept: 1, HandleTime: time.Minute})
	id, _ := s.CreateConversation(NewConversation{Skills: []string{"Databases"}, Priority: 3})
	if err := s.ReleaseToACD(id); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-freed:
		if u != ada {
			t.Fatalf("freed %s, want Ada", u)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no OnAgentFree call after the conversation's handle time")
	}
	if ok, err := s.SetPresenceIf(ada, PresenceAvailable, PresenceMeetingDoNotDisturb); ok || err != nil {
		t.Fatalf("Ada is On Queue, not Available: changed %v, %v", ok, err)
	}
	if ok, err := s.SetPresenceIf(ada, PresenceOnQueue, PresenceMeetingDoNotDisturb); !ok || err != nil {
		t.Fatalf("from On Queue: changed %v, %v", ok, err)
	}
	if p := f.userState(ada).PresenceID; p != PresenceMeetingDoNotDisturb {
		t.Fatalf("Ada's presence %s", p)
	}
}
