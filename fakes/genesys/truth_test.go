package genesys

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A flip publishes every change with one modifiedDate, and the truth log
// records each one in order.
func TestFlipPresenceSameMillisecond(t *testing.T) {
	f := newFixture(t, Options{Truth: true})
	if err := f.srv.FlipPresence(alan, PresenceAvailable, PresenceMeetingDoNotDisturb); err != nil {
		t.Fatal(err)
	}
	evs := f.pub.topic("v2.users." + alan + ".presence")
	if len(evs) != 2 {
		t.Fatalf("%d presence events, want 2", len(evs))
	}
	var a, b presenceEvent
	mustJSON(t, evs[0], &a)
	mustJSON(t, evs[1], &b)
	if a.ModifiedDate != b.ModifiedDate || a.PresenceDefinition.ID != PresenceAvailable || b.PresenceDefinition.ID != PresenceMeetingDoNotDisturb {
		t.Fatalf("events %s / %s: want Available then DND at one modifiedDate", evs[0], evs[1])
	}
	if u := f.userState(alan); u.PresenceID != PresenceMeetingDoNotDisturb {
		t.Fatalf("truth after the flip: %s", u.PresenceID)
	}
	tr := f.srv.Truth()
	if n := len(tr.Presence); n != 2 || tr.Presence[0].At != tr.Presence[1].At || tr.Presence[1].PresenceID != PresenceMeetingDoNotDisturb || tr.Presence[1].Seq != 1 {
		t.Fatalf("truth presence log %+v", tr.Presence)
	}
	if err := f.srv.FlipPresence(alan, "nope"); err == nil {
		t.Fatal("an unknown definition was accepted")
	}
}

// The truth log names the caller of every /assign and bulk read, records
// /assign arrivals before injected faults, and the presence each delivery
// alerted into.
func TestTruthLogsAssignsAndReads(t *testing.T) {
	f := newFixture(t, Options{Truth: true})
	conv := f.newConversation(NewConversation{Priority: 2})
	f.srv.SetFaults(Faults{RateLimitBurst: 1, PathPrefix: "/api/v2/conversations/"})
	call := func() int {
		req, _ := http.NewRequest(http.MethodPost, f.http.URL+"/api/v2/conversations/"+conv+"/assign", strings.NewReader(`{"id":"`+alan+`"}`))
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set(CallerHeader, "r1")
		res, _ := f.send(req)
		return res.StatusCode
	}
	if code := call(); code != 429 {
		t.Fatalf("first /assign %d, want the injected 429", code)
	}
	if code := call(); code != 202 {
		t.Fatalf("second /assign %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/api/v2/users/presences/purecloud/bulk?id="+alan+","+ada, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set(CallerHeader, "r2")
	f.send(req)
	tr := f.srv.Truth()
	if len(tr.Arrivals) != 2 || tr.Arrivals[0].Caller != "r1" || tr.Arrivals[0].ConversationID != conv || tr.Arrivals[0].UserID != alan {
		t.Fatalf("arrivals %+v", tr.Arrivals)
	}
	if len(tr.Assigns) != 1 || tr.Assigns[0].Status != 202 || tr.Assigns[0].UserID != alan || tr.Assigns[0].Caller != "r1" {
		t.Fatalf("assigns %+v", tr.Assigns)
	}
	if len(tr.BulkReads) != 1 || tr.BulkReads[0].Caller != "r2" || len(tr.BulkReads[0].UserIDs) != 2 {
		t.Fatalf("bulk reads %+v", tr.BulkReads)
	}
	if len(tr.Deliveries) != 1 || tr.Deliveries[0].PresenceID != PresenceAvailable || tr.Deliveries[0].Priority != 2 || tr.Deliveries[0].SystemPresence != "AVAILABLE" {
		t.Fatalf("deliveries %+v", tr.Deliveries)
	}
	waitFor(t, "the delivery to be accepted", func() bool { return f.srv.Truth().Accepted[conv] == alan })
	res, body := f.admin(http.MethodGet, "/_fake/truth", "")
	var wireTruth Truth
	if res.StatusCode != 200 || json.Unmarshal(body, &wireTruth) != nil || len(wireTruth.Assigns) != 1 {
		t.Fatalf("GET /_fake/truth: %s %s", res.Status, body)
	}
}

// Without Options.Truth nothing is recorded.
func TestTruthOffByDefault(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.SetPresence(alan, PresenceBusy, "")
	if tr := f.srv.Truth(); len(tr.Presence) != 0 {
		t.Fatalf("recorded %+v without Options.Truth", tr.Presence)
	}
}

// A slow /assign is held for AssignDelay before it is processed.
func TestAssignDelay(t *testing.T) {
	f := newFixture(t, Options{Truth: true})
	conv := f.newConversation(NewConversation{})
	if err := f.srv.SetFaults(Faults{AssignDelay: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.SetFaults(Faults{AssignDelay: 2 * time.Minute}); err == nil {
		t.Fatal("an assign delay over a minute was accepted")
	}
	f.srv.SetFaults(Faults{AssignDelay: 300 * time.Millisecond})
	if res, body := f.assign(conv, alan); res.StatusCode != 202 {
		t.Fatalf("%s %s", res.Status, body)
	}
	tr := f.srv.Truth()
	if len(tr.Arrivals) != 1 || len(tr.Assigns) != 1 {
		t.Fatalf("truth %+v", tr)
	}
	// The fake clock runs 1000× here: 300 ms of wall clock is 300 s.
	if held := tr.Assigns[0].At.Sub(tr.Arrivals[0].At); held < 300*time.Second {
		t.Fatalf("held %v on the fake clock, want ≥ 300 s (300 ms × 1000)", held)
	}
}
