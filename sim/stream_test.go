package sim

import (
	"errors"
	"testing"

	"github.com/shadowq/shadowq/reports"
)

// Records arrive as replications finish, in replication order and, within
// one, arms in results order, whatever the number of workers; an error
// from the records callback stops the run and is returned.
func TestRecordsStreamInOrder(t *testing.T) {
	sc := load(t, "tier3-meetings.yaml")
	order := map[string]int{}
	for i, a := range arms(sc) {
		order[a.name] = i
	}
	lastRep, lastArm, n := 0, 0, 0
	_, _, err := Run(sc, Options{Replications: 9, Workers: 3, Records: func(r reports.Record) error {
		a := order[r.Policy]
		if r.Replication < lastRep || r.Replication == lastRep && a < lastArm {
			t.Fatalf("record of replication %d arm %d after replication %d arm %d", r.Replication, a, lastRep, lastArm)
		}
		lastRep, lastArm = r.Replication, a
		n++
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if lastRep != 8 || n == 0 {
		t.Fatalf("last record from replication %d (%d records), want 8", lastRep, n)
	}

	full := errors.New("disk full")
	calls := 0
	_, _, err = Run(sc, Options{Replications: 20, Workers: 2, Records: func(reports.Record) error {
		if calls++; calls == 50 {
			return full
		}
		return nil
	}})
	if !errors.Is(err, full) || calls != 50 {
		t.Fatalf("Run = %v after %d records, want the callback's error after 50", err, calls)
	}
}
