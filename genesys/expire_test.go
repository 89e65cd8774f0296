package genesys

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	fake "github.com/shadowq/shadowq/fakes/genesys"
)

// hookMetrics calls onCall after every HTTP exchange, on the caller's
// goroutine, before the retry policy decides what to do next.
type hookMetrics struct {
	NopMetrics
	onCall func(op string, status int)
}

func (m *hookMetrics) APICall(op string, status int) { m.onCall(op, status) }

// Issue 12 (chaos seed 187): a 503'd /assign must not be re-issued once
// the delivery's claim ran out. The schedule is fixed: the first /assign
// answers 503; while the client decides on its retry, the clock passes the
// claim's expiry and the expert goes Do-Not-Disturb. The retry policy
// alone (5 s, 6 tries) would re-issue the /assign and ring her in DND; it
// must stop instead and report the delivery's outcome as unknown.
func TestExpiredDeliveryNeverReissued(t *testing.T) {
	env := newFakeEnv(t, fake.Options{})
	const assignOp = "POST /api/v2/conversations/{conversationId}/assign"
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	var (
		mu       sync.Mutex
		assigns  []int
		flipErr  error
		flipOnce sync.Once
	)
	m := &hookMetrics{onCall: func(op string, status int) {
		if op != assignOp {
			return
		}
		mu.Lock()
		assigns = append(assigns, status)
		mu.Unlock()
		if status == 503 {
			flipOnce.Do(func() {
				skew.Store(int64(4 * time.Second)) // past the 3 s claim
				err := env.srv.SetPresence(fAda, fake.PresenceMeetingDoNotDisturb, "")
				mu.Lock()
				flipErr = err
				mu.Unlock()
			})
		}
	}}
	api, err := BaseURL(env.url)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := NewTokenManager(TokenOptions{Login: LoginURL(api), ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Options{API: api, Tokens: tm, Retry: fastRetry, Metrics: m, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.srv.SetAnswer(fAda, fake.AnswerModel{Accept: 1, HandleTime: -1}); err != nil {
		t.Fatal(err)
	}
	conv, err := env.srv.CreateConversation(fake.NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.srv.SetFaults(fake.Faults{PathPrefix: "/api/v2/conversations/", ServerErrorBurst: 1}); err != nil {
		t.Fatal(err)
	}
	var oc outcomes
	disp, err := NewDispatcher(DispatcherOptions{Client: c, OnOutcome: oc.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go disp.Run(ctx)

	start := now()
	d := engine.Delivery{ConversationID: conv, Expert: fAda, Attempt: 1, Holder: "h1", At: start, Expires: start.Add(3 * time.Second)}
	if err := disp.Deliver(d); err != nil {
		t.Fatal(err)
	}
	delivered := func() bool {
		for _, x := range env.srv.State().Deliveries {
			if x.ConversationID == conv {
				return true
			}
		}
		return false
	}
	// Either the dispatcher gives up (fixed) or the retry lands (the bug).
	eventually(t, "an outcome or a delivery", func() bool { return len(oc.list()) > 0 || delivered() })
	snapshot := func() ([]int, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), assigns...), flipErr
	}
	got, ferr := snapshot()
	if ferr != nil {
		t.Fatal(ferr)
	}
	if delivered() {
		t.Fatalf("the /assign was re-issued after the claim expired and rang the expert in DND (assign statuses %v)", got)
	}
	if len(got) != 1 || got[0] != 503 {
		t.Errorf("assign statuses %v, want exactly one 503", got)
	}
	out := oc.list()
	if len(out) != 1 {
		t.Fatalf("%d outcomes, want 1: %+v", len(out), out)
	}
	o := out[0]
	if o.Result != engine.DeliveryError || o.Fault != engine.FaultUncertain || o.Holder != "h1" ||
		!strings.Contains(o.Detail, ErrDeliveryExpired.Error()) {
		t.Errorf("outcome %v fault %v holder %q (%s); want an uncertain error naming the expiry", o.Result, o.Fault, o.Holder, o.Detail)
	}
	// A delivery already expired when its worker picks it up sends nothing.
	err = c.Deliver(ctx, engine.Delivery{ConversationID: conv, Expert: fGrace, Expires: start}, ModeAssign)
	if !errors.Is(err, ErrDeliveryExpired) || deliveryFault(err) != engine.FaultTransient {
		t.Errorf("expired before the first try: %v (fault %v)", err, deliveryFault(err))
	}
	if got, _ := snapshot(); len(got) != 1 {
		t.Errorf("an /assign was sent for an expired delivery: %v", got)
	}
}
