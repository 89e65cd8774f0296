package live

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// Serve in observe mode against the fake: every Data Action answer is
// fallback, the decision log holds the would-be decision marked observed,
// /metrics says observe mode, and the fake counts ZERO requests to any
// routing endpoint (/assign, the routing PATCH, replace/agent).
func TestObserveModeMakesNoRoutingCalls(t *testing.T) {
	f := startFake(t, genesys.Options{})
	r := startReplicaWith(t, f, redisURL(t), "r1", fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano()),
		func(c *serve.Config) { c.Delivery.Mode = ModeObserve })

	var convs []string
	for i := range 6 {
		skill := []string{"Databases", "Kubernetes", "Networking"}[i%3]
		conv := newConv(t, f, skill, 3)
		convs = append(convs, conv)
		code, resp := post(t, r, conv, skill, "P3")
		if code != 200 || resp.Action != "fallback" || resp.Message != "Transferring you to the queue." {
			t.Fatalf("%s: %d %+v, want fallback, transferring to the queue", conv, code, resp)
		}
	}
	// The first Databases escalation would have gone to Ada (On Queue,
	// Databases 4), as it does in assign mode (TestEscalationAssignedAndAccepted).
	h := history(t, r, convs[0])
	if len(h.History) != 2 || h.History[0].Action != engine.ActDeliver || h.History[0].Expert != ada ||
		!h.History[0].Observed || len(h.History[0].Candidates) == 0 || h.History[1].Action != engine.ActFallback || !h.History[1].Observed {
		t.Fatalf("%s history %+v, want an observed deliver to Ada, then an observed fallback", convs[0], h.History)
	}
	for _, c := range convs {
		if h := history(t, r, c); !h.Terminal || h.Action != "fallback" {
			t.Errorf("%s: %+v, want terminal fallback", c, h)
		}
	}

	// Give a wrongly made delivery time to show, then count.
	time.Sleep(200 * time.Millisecond)
	st := f.State()
	if st.RoutingCalls != 0 || len(st.Deliveries) != 0 {
		t.Fatalf("observe mode: %d routing calls, %d deliveries on the fake; want 0 and 0", st.RoutingCalls, len(st.Deliveries))
	}

	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"shadowq_observe_mode 1", `shadowq_observed_decisions_total{action="deliver"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// The counter counts: one /assign anyone makes (here an unauthorised
	// one) shows.
	req, _ := http.NewRequest("POST", f.BaseURL()+"/api/v2/conversations/"+convs[0]+"/assign", strings.NewReader(`{"id":"x"}`))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if n := f.State().RoutingCalls; n != 1 {
		t.Fatalf("the fake counted %d routing calls after one /assign", n)
	}
}
