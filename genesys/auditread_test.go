package genesys

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shadowq/shadowq/audit"
	"github.com/shadowq/shadowq/engine"
	fake "github.com/shadowq/shadowq/fakes/genesys"
)

// The audit's reads against the fake: a live conversation the fake's ACD
// offered (one decline, one acceptance) and one abandoned come back from
// the conversation details query with their offers and outcome; user
// details carry presence and routing segments; schedules read what WFM
// holds, and an org without WFM is ErrNoWFM.
func TestAuditReadsFromTheFake(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	c := env.client(t, nil)
	ctx := context.Background()
	from := env.srv.Now().Add(-time.Minute)
	const ada, edsger = "0d3a1e00-05e0-4e00-8000-000000000001", "0d3a1e00-05e0-4e00-8000-000000000005"
	if err := env.srv.SetAnswer(ada, fake.AnswerModel{Decline: 1}); err != nil {
		t.Fatal(err)
	}
	answered, _ := env.srv.CreateConversation(fake.NewConversation{Skills: []string{"Databases"}, Priority: 3})
	abandoned, _ := env.srv.CreateConversation(fake.NewConversation{Skills: []string{"Billing"}, Priority: 3})
	if err := env.srv.ReleaseToACD(answered); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "Ada's refusal", func() bool {
		return len(env.srv.State().Deliveries) > 0 && env.srv.State().Deliveries[0].Outcome == "declined"
	})
	env.srv.SetAnswer(ada, fake.AnswerModel{Accept: 1, HandleTime: time.Minute})
	waitUntil(t, "Ada accepts", func() bool {
		for _, cs := range env.srv.State().Conversations {
			if cs.ID == answered && cs.AgentUserID == ada {
				return true
			}
		}
		return false
	})
	if ok, err := env.srv.AbandonConversation(abandoned); !ok || err != nil {
		t.Fatalf("abandon: %v %v", ok, err)
	}
	if err := env.srv.EndConversation(answered); err != nil {
		t.Fatal(err)
	}
	to := env.srv.Now().Add(time.Minute)
	convs, err := c.ConversationDetails(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]audit.Conversation{}
	for _, cv := range convs {
		by[cv.ID] = cv
	}
	a, b := by[answered], by[abandoned]
	if len(a.Offers) != 2 || a.Offers[0].Result != audit.Declined || a.Offers[1].Result != audit.Accepted || a.AnsweredBy != ada || a.Abandoned {
		t.Fatalf("answered conversation %+v, want Ada declining then accepting", a)
	}
	if !b.Abandoned || len(b.Offers) != 0 || b.AnsweredBy != "" {
		t.Fatalf("abandoned conversation %+v", b)
	}
	ps, rs, err := c.UserStatus(ctx, []engine.ExpertID{ada, edsger}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	interacting := false
	for _, r := range rs {
		interacting = interacting || (r.User == ada && r.Status == "INTERACTING")
	}
	if len(ps) < 2 || !interacting {
		t.Fatalf("user status: %d presence segments, Ada interacting %v; routing %+v", len(ps), interacting, rs)
	}
	if _, err := c.Schedules(ctx, "", []engine.ExpertID{ada}, from, to); err != nil {
		t.Fatalf("schedules: %v", err)
	}
	noWFM := newFakeEnv(t, fake.Options{NoWFM: true})
	if _, err := noWFM.client(t, nil).Schedules(ctx, "", []engine.ExpertID{ada}, from, to); !errors.Is(err, ErrNoWFM) {
		t.Fatalf("schedules without WFM: %v, want ErrNoWFM", err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
