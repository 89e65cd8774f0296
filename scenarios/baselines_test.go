package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// baselines: lists named ACD configurations in file order; baseline: is the
// one-entry shorthand named "baseline".
func TestBaselines(t *testing.T) {
	s := parse(t, minimal+`baselines:
  - {name: today, voicemailAfter: 10m}
  - {name: available-on-queue, onQueue: [available], select: best-skill}
`)
	if len(s.Baselines) != 2 {
		t.Fatalf("baselines %+v", s.Baselines)
	}
	a, b := s.Baselines[0], s.Baselines[1]
	if a.Name != "today" || a.Select != SelectLongestIdle || a.VoicemailAfter != 10*time.Minute || len(a.OnQueue) != 0 {
		t.Errorf("first %+v", a)
	}
	if b.Name != "available-on-queue" || b.Select != SelectBestSkill || !slices.Equal(b.OnQueue, []string{"available"}) {
		t.Errorf("second %+v", b)
	}
	s = parse(t, minimal+"baseline: {voicemailAfter: 1m, select: best-skill}\n")
	if len(s.Baselines) != 1 || s.Baselines[0].Name != DefaultBaselineName || s.Baselines[0].Select != SelectBestSkill {
		t.Errorf("shorthand %+v", s.Baselines)
	}
}

func TestBaselinesErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// both forms at once
		{"baseline: {}\nbaselines: [{name: a}]\n", "s.yaml:10:11: baseline: give baseline: or baselines:, not both"},
		// an entry needs a name
		{"baselines: [{voicemailAfter: 1m}]\n", "missing name"},
		// names are unique
		{"baselines: [{name: a}, {name: a}]\n", `baseline "a" is listed twice`},
		// a reserved name
		{"baselines: [{name: shadowq}]\n", `name "shadowq" is reserved`},
		// names cannot hold dots (they prefix metric names)
		{"baselines: [{name: a.b}]\n", `name "a.b": use letters`},
		// an unknown agent selection
		{"baselines: [{name: a, select: random}]\n", `unknown select "random" (longest-idle, best-skill)`},
		// the shorthand has no name
		{"baseline: {name: x}\n", "name applies to entries of baselines:"},
		// an empty list
		{"baselines: []\n", "list at least one baseline"},
	} {
		_, err := Parse("s.yaml", []byte(minimal+c.src), files(nil))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

func TestEconomics(t *testing.T) {
	s := parse(t, minimal+"economics: {expertCostPerHour: 90, waitCostPerMinute: 1.5, abandonmentCost: 50, voicemailCost: 30, unfinishedCost: 50, shadowqCostPerDay: 80}\n")
	want := Economics{Currency: "EUR", ExpertCostPerHour: 90, WaitCostPerMinute: 1.5, AbandonmentCost: 50, VoicemailCost: 30, UnfinishedCost: 50, ShadowqCostPerDay: 80}
	if s.Economics == nil || *s.Economics != want {
		t.Errorf("economics %+v", s.Economics)
	}
	if s := parse(t, minimal); s.Economics != nil {
		t.Errorf("economics without the key: %+v", s.Economics)
	}
	_, err := Parse("s.yaml", []byte(minimal+"economics: {expertCostPerHour: -5, currency: GBP, colour: red}\n"), files(nil))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:10:32: economics.expertCostPerHour: -5: must be an amount") || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Errorf("got %v", err)
	}
}
