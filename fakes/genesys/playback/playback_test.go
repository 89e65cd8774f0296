package playback

import (
	"context"
	"testing"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/scenarios"
	"github.com/shadowq/shadowq/sim"
)

// A played-back day is the simulator's day: every planned presence change
// and escalation reaches the fake, and everyone ends the day offline.
func TestPlayTier3Day(t *testing.T) {
	sc, err := scenarios.Load("../../../scenarios/tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	org := Org(sc)
	srv, err := genesys.New(genesys.Options{Org: &org, TimeScale: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	plan := sim.MakePlan(sc, 0)
	st, err := Play(context.Background(), srv, sc, 0, 1e6)
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors != 0 || st.Escalations != len(plan.Arrivals) || st.PresenceChanges < 2*len(sc.Experts) {
		t.Fatalf("stats %+v for %d arrivals, %d experts", st, len(plan.Arrivals), len(sc.Experts))
	}
	state := srv.State()
	if len(state.Conversations) != len(plan.Arrivals) {
		t.Errorf("%d conversations in the fake, %d planned", len(state.Conversations), len(plan.Arrivals))
	}
	offline := string(sc.Presences[sc.OfflinePresence].ID)
	for _, u := range state.Users {
		if u.PresenceID != offline {
			t.Errorf("%s ends the day in %s", u.Name, u.PresenceName)
		}
	}
	if UserID("dba-01") != UserID("dba-01") || UserID("dba-01") == UserID("dba-02") || len(UserID("x")) != 36 {
		t.Error("user ids are not stable GUIDs")
	}
}
