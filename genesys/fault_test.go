package genesys

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/shadowq/shadowq/engine"
	fake "github.com/shadowq/shadowq/fakes/genesys"
)

func TestDeliveryFaultClassification(t *testing.T) {
	api := func(status int, code string) error {
		return fmt.Errorf("genesys: call: %w", &APIError{Op: "POST /api/v2/conversations/{conversationId}/assign", Status: status, Code: code})
	}
	cases := []struct {
		name string
		err  error
		want engine.Fault
	}{
		{"404 unknown conversation", api(404, "resource.not.found"), engine.FaultConversation},
		{"400 not waiting in a queue", api(400, "operation.failed"), engine.FaultConversation},
		{"400 manual assignment disabled", api(400, "feature.not.enabled"), engine.FaultConversation},
		{"403 missing permission", api(403, "missing.any.permissions"), engine.FaultConversation},
		{"403 the expert's division", api(403, "missing.division.permission"), engine.FaultExpert},
		{"400 transfer of a call that is not connected", api(400, "conversations.error.transfer.not.connected"), engine.FaultConversation},
		{"no leg to transfer from", fmt.Errorf("x: %w: y", ErrNotTransferable), engine.FaultConversation},
		{"400 routing status forbids", api(400, "invalid.status"), engine.FaultExpert},
		{"400 unknown user", api(400, "invalid.id"), engine.FaultExpert},
		{"400 anything else", api(400, "bad.request"), engine.FaultExpert},
		{"429", api(429, "too.many.requests.retry.after"), engine.FaultTransient},
		{"503 on an idempotent call", api(503, "service.unavailable"), engine.FaultTransient},
		{"409 conflict", api(409, "request.conflict"), engine.FaultTransient},
		{"401", api(401, "authentication.required"), engine.FaultTransient},
		{"5xx on /assign: outcome unknown", fmt.Errorf("%w: %w", ErrOutcomeUnknown, api(503, "service.unavailable")), engine.FaultUncertain},
		{"budget", ErrBudget, engine.FaultTransient},
		{"no capacity at admission", ErrNoCapacity, engine.FaultCapacity},
		{"queue full", ErrQueueFull, engine.FaultTransient},
		{"dispatcher stopped", ErrStopped, engine.FaultTransient},
		{"deadline", context.DeadlineExceeded, engine.FaultTransient},
		{"token", &OAuthError{Status: 401, Code: "invalid_client"}, engine.FaultTransient},
		{"transport", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, engine.FaultTransient},
		{"unknown error", errors.New("something else"), engine.FaultExpert},
	}
	for _, c := range cases {
		if got := deliveryFault(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Deliver's own refusals carry their fault for the engine.
	p, err := NewDispatcher(DispatcherOptions{Client: &fakeDeliverer{}, QueueSize: 1, OnOutcome: func(engine.Outcome) {}})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Deliver(engine.Delivery{ConversationID: "a"})
	if err := p.Deliver(engine.Delivery{ConversationID: "b"}); !errors.Is(err, ErrQueueFull) || engine.FaultOf(err) != engine.FaultCapacity {
		t.Errorf("queue full: %v (fault %v)", err, engine.FaultOf(err))
	}
}

// Against the fake: an unknown conversation (404) and a conversation no
// longer waiting in a queue (400) are conversation-level; an expert the
// fake refuses (offline: 400 invalid.status) is expert-level.
func TestFakeAssignErrorsClassified(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	c := env.client(t, nil)
	var oc outcomes
	disp, err := NewDispatcher(DispatcherOptions{Client: c, OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go disp.Run(ctx)

	if err := env.srv.SetAnswer(fAda, fake.AnswerModel{Accept: 1, HandleTime: -1}); err != nil {
		t.Fatal(err)
	}
	taken, err := env.srv.CreateConversation(fake.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Deliver(ctx, engine.Delivery{ConversationID: taken, Expert: fAda}, ModeAssign); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Ada connected", func() bool {
		for _, cs := range env.srv.State().Conversations {
			if cs.ID == taken {
				return cs.AgentUserID == fAda && cs.State == "connected"
			}
		}
		return false
	})
	queued, err := env.srv.CreateConversation(fake.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.Fault{
		"unknown": engine.FaultConversation, // 404
		"taken":   engine.FaultConversation, // 400: not waiting in a queue
		"offline": engine.FaultExpert,       // 400 invalid.status
	}
	for holder, d := range map[string]engine.Delivery{
		"unknown": {ConversationID: "5e1f0000-0000-4000-8000-00000000dead", Expert: fGrace},
		"taken":   {ConversationID: taken, Expert: fGrace},
		"offline": {ConversationID: queued, Expert: fRadia},
	} {
		d.Holder = holder
		if err := disp.Deliver(d); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "three refusals", func() bool { return len(oc.list()) == 3 })
	for _, o := range oc.list() {
		if o.Result != engine.DeliveryError || o.Fault != want[o.Holder] {
			t.Errorf("%s: result %v fault %v, want error %v (%s)", o.Holder, o.Result, o.Fault, want[o.Holder], o.Detail)
		}
	}
}

// Conversation checks against the fake: what GET /api/v2/conversations/{id}
// says about a delivery, read through the official SDK.
func TestFakeCheckDelivery(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	c := env.client(t, nil)
	ctx := context.Background()
	newConv := func() string {
		id, err := env.srv.CreateConversation(fake.NewConversation{})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	settled := func(conv string) {
		eventually(t, "the delivery of "+conv+" to end", func() bool {
			for _, d := range env.srv.State().Deliveries {
				if d.ConversationID == conv && d.Outcome != "alerting" {
					return true
				}
			}
			return false
		})
	}
	check := func(conv string, who engine.ExpertID) engine.Outcome {
		t.Helper()
		o := c.CheckDelivery(ctx, engine.Delivery{ConversationID: conv, Expert: who, Holder: "h"})
		if !o.Checked || o.Holder != "h" || o.ConversationID != conv || o.Expert != who {
			t.Errorf("answer does not identify the delivery: %+v", o)
		}
		return o
	}
	for u, m := range map[string]fake.AnswerModel{
		fAda:   {Accept: 1, HandleTime: -1},
		fGrace: {Decline: 1},
		fAlan:  {NoAnswer: 1},
	} {
		if err := env.srv.SetAnswer(u, m); err != nil {
			t.Fatal(err)
		}
	}
	accepted, declined, unanswered, waiting := newConv(), newConv(), newConv(), newConv()
	for conv, u := range map[string]string{accepted: fAda, declined: fGrace, unanswered: fAlan} {
		if err := c.Deliver(ctx, engine.Delivery{ConversationID: conv, Expert: engine.ExpertID(u)}, ModeAssign); err != nil {
			t.Fatal(err)
		}
	}
	// While it rings, the expert is still being alerted.
	if o := check(unanswered, fAlan); o.Result != engine.StillAlerting && o.Result != engine.NoAnswer {
		t.Errorf("ringing: %v (%s)", o.Result, o.Detail)
	}
	for _, conv := range []string{accepted, declined, unanswered} {
		settled(conv)
	}
	cases := []struct {
		name string
		conv string
		who  engine.ExpertID
		want engine.DeliveryResult
		to   engine.ExpertID
	}{
		{"connected to the expert", accepted, fAda, engine.Accepted, ""},
		{"connected to another agent", accepted, fGrace, engine.Gone, fAda},
		{"declined", declined, fGrace, engine.Declined, ""},
		{"alert timed out", unanswered, fAlan, engine.NoAnswer, ""},
		{"never alerted, still waiting", waiting, fGrace, engine.NotDelivered, ""},
		{"unknown conversation", "5e1f0000-0000-4000-8000-00000000dead", fGrace, engine.Gone, ""},
	}
	for _, tc := range cases {
		if o := check(tc.conv, tc.who); o.Result != tc.want || o.ConnectedTo != tc.to {
			t.Errorf("%s: %v connected to %q (%s); want %v %q", tc.name, o.Result, o.ConnectedTo, o.Detail, tc.want, tc.to)
		}
	}
}

// The dispatcher runs checks on its workers and reports the answers through
// OnOutcome; a client that cannot read conversations refuses checks.
func TestDispatcherCheck(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	var oc outcomes
	p, err := NewDispatcher(DispatcherOptions{Client: env.client(t, nil), OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	conv, _ := env.srv.CreateConversation(fake.NewConversation{})
	if err := p.Check(engine.Delivery{ConversationID: conv, Expert: fGrace, Holder: "h"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the answer", func() bool { return len(oc.list()) == 1 })
	if o := oc.list()[0]; !o.Checked || o.Result != engine.NotDelivered || o.Holder != "h" {
		t.Errorf("answer %+v", o)
	}
	q, _ := NewDispatcher(DispatcherOptions{Client: &fakeDeliverer{}, OnOutcome: oc.add})
	if err := q.Check(engine.Delivery{ConversationID: conv}); !errors.Is(err, ErrChecksUnsupported) {
		t.Errorf("Check without a reader: %v", err)
	}
}
