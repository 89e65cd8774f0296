package genesys

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// presenceEvents counts the presence events published so far.
func (r *recorder) presenceEvents() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if strings.HasSuffix(e.Topic, ".presence") {
			n++
		}
	}
	return n
}

func (f *fixture) generatorStatus() GenerateStatus {
	f.t.Helper()
	res, body := f.admin("GET", "/_fake/presence/generate", "")
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("GET /_fake/presence/generate: %d %s", res.StatusCode, body)
	}
	var st GenerateStatus
	mustJSON(f.t, body, &st)
	return st
}

// waitGenerator polls until the generator has stopped (generous: the
// machine may be loaded).
func (f *fixture) waitGenerator() GenerateStatus {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := f.generatorStatus()
		if !st.Running {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("generator still running: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A timed run makes exactly rate × duration changes, each a real one: the
// fake's state moves and one presence event per change is published; the
// last change of each user is the state it is left in.
func TestPresenceGeneratorTimedRun(t *testing.T) {
	f := newFixture(t, Options{})
	res, body := f.admin("POST", "/_fake/presence/generate", `{"eventsPerSecond":500,"durationMs":300}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
	st := f.waitGenerator()
	if st.Generated != 150 || st.Due != 150 || st.EventsPerSecond != 500 {
		t.Fatalf("status %+v: want 150 of 150 at 500/s", st)
	}
	if n := f.pub.presenceEvents(); n != 150 {
		t.Fatalf("%d presence events published, want 150", n)
	}
	users := f.srv.userOrder
	last := map[string]string{}
	for n := range 150 {
		last[users[(n*37)%len(users)].ID] = GenerateDefinitions[n%len(GenerateDefinitions)]
	}
	for id, def := range last {
		if got := f.userState(id).PresenceID; got != def {
			t.Errorf("user %s left in %s, want %s (its last generated change)", id, got, def)
		}
	}
}

// An open-ended run stops on DELETE and publishes nothing afterwards.
func TestPresenceGeneratorStop(t *testing.T) {
	f := newFixture(t, Options{})
	if res, body := f.admin("POST", "/_fake/presence/generate", `{"eventsPerSecond":200}`); res.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for f.pub.presenceEvents() < 10 {
		if time.Now().After(deadline) {
			t.Fatal("no presence events from the generator")
		}
		time.Sleep(5 * time.Millisecond)
	}
	res, body := f.admin("DELETE", "/_fake/presence/generate", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d %s", res.StatusCode, body)
	}
	var st GenerateStatus
	mustJSON(t, body, &st)
	n := f.pub.presenceEvents()
	if st.Running || st.Generated < 10 || st.Generated > st.Due || int(st.Generated) != n {
		t.Fatalf("after stop %+v with %d events published: want stopped, ≥ 10 generated, all published, ≤ due", st, n)
	}
	time.Sleep(50 * time.Millisecond)
	if m := f.pub.presenceEvents(); m != n {
		t.Fatalf("%d presence events after stop, %d at stop", m, n)
	}
}

// Bad requests name the field.
func TestPresenceGeneratorBadInput(t *testing.T) {
	f := newFixture(t, Options{})
	for body, field := range map[string]string{
		`{"eventsPerSecond":0}`:                   "eventsPerSecond",
		`{"eventsPerSecond":-5}`:                  "eventsPerSecond",
		`{"eventsPerSecond":100,"durationMs":-1}`: "durationMs",
	} {
		res, b := f.admin("POST", "/_fake/presence/generate", body)
		e := checkError(t, res, b, http.StatusBadRequest, codeInvalidValue)
		if len(e.Details) != 1 || e.Details[0].FieldName != field {
			t.Errorf("%s: details %+v, want field %s", body, e.Details, field)
		}
	}
	if res, _ := f.do("POST", "/_fake/presence/generate", "not-the-admin-token", `{"eventsPerSecond":1}`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the admin token: %d, want 401", res.StatusCode)
	}
	if st := f.generatorStatus(); st.Running || st.Generated != 0 {
		t.Errorf("a refused request started the generator: %+v", st)
	}
}
