package scenarios

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestWith(t *testing.T) {
	s, err := Load("tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	count := func(sc *Scenario, g string) int {
		n := 0
		for _, x := range sc.Experts {
			if x.Group == g {
				n++
			}
		}
		return n
	}
	// More experts: copies of the last one, named on; everyone else keeps
	// their id; the original is untouched.
	up, err := s.With("experts[platform].count", 20)
	if err != nil {
		t.Fatal(err)
	}
	if count(up, "platform") != 20 || count(s, "platform") != 16 || len(up.Experts) != 64 {
		t.Fatalf("platform %d (original %d), experts %d", count(up, "platform"), count(s, "platform"), len(up.Experts))
	}
	x := up.Expert("platform-20")
	if x == nil || x.Skills["network"] != 5 || x.InterruptBudgetPerHour != 3 {
		t.Fatalf("platform-20: %+v", x)
	}
	x.Skills["network"] = 1
	if up.Expert("platform-16").Skills["network"] != 5 {
		t.Error("a new expert shares its skills map with the one it copies")
	}
	for i := 1; i < len(up.Experts); i++ {
		if up.Experts[i-1].ID >= up.Experts[i].ID {
			t.Fatalf("experts not sorted by id at %d", i)
		}
	}
	// Fewer: the highest ids go.
	down, _ := s.With("experts[platform].count", 4)
	if count(down, "platform") != 4 || down.Expert("platform-04") == nil || down.Expert("platform-05") != nil {
		t.Errorf("down to 4: %d platform experts", count(down, "platform"))
	}
	// Every group's meetings; one group's budget.
	m, _ := s.With("experts[*].meetings.perDay", 2)
	b, _ := s.With("experts[dba].interruptBudgetPerHour", 0)
	for _, x := range m.Experts {
		if x.Meetings.PerDay != 2 {
			t.Errorf("%s: perDay %v", x.ID, x.Meetings.PerDay)
		}
	}
	if b.Expert("dba-01").InterruptBudgetPerHour != 0 || b.Expert("sap-01").InterruptBudgetPerHour != 2 || s.Expert("dba-01").InterruptBudgetPerHour != 2 {
		t.Error("interruptBudgetPerHour not set on dba only")
	}
	// The rate profile keeps its shape and reaches the asked mean.
	r, _ := s.With("escalations.perHour", 20)
	if got := r.Escalations.meanRate(r.Run.Horizon.Hours()); math.Abs(got-20) > 1e-9 {
		t.Errorf("mean rate %v, want 20", got)
	}
	if r.Escalations.Rates[0].PerHour/r.Escalations.Rates[1].PerHour != s.Escalations.Rates[0].PerHour/s.Escalations.Rates[1].PerHour {
		t.Error("the profile's shape changed")
	}
	if s.Escalations.meanRate(8) == 20 {
		t.Error("the original's rates changed")
	}
	for _, c := range []struct {
		key  string
		v    float64
		want string
	}{
		{"experts[platfrom].count", 4, `no expert group "platfrom" (groups: dba, platform, sap)`},
		{"experts[*].count", 4, "count needs a group's name"},
		{"experts[sap].count", 2.5, "want a whole number of experts"},
		{"experts[sap].count", 0, "want a whole number of experts"},
		{"experts[sap].colour", 1, `unknown field "colour"`},
		{"escalations.perHour", -1, "want a rate above 0"},
		{"run.horizon", 1, "unknown key; sweepable keys"},
		{"experts[dba].interruptBudgetPerHour", -1, "want a whole number, 0 or more"},
	} {
		if _, err := s.With(c.key, c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("With(%s, %v): %v, want %q", c.key, c.v, err, c.want)
		}
	}
	if _, err := s.ParseSweep("experts[platform].count=4,x"); err == nil || !strings.Contains(err.Error(), `value "x" is not a number`) {
		t.Errorf("ParseSweep: %v", err)
	}
	if _, err := s.ParseSweep("experts[platform].count=4,4"); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("ParseSweep: %v", err)
	}
}

// A scenario's sweep: block is checked when it loads, with file:line:column.
func TestSweepBlock(t *testing.T) {
	data, err := os.ReadFile("tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pol, _ := os.ReadFile("policy.yaml")
	os.WriteFile(filepath.Join(dir, "policy.yaml"), pol, 0o644)
	write := func(block string) string {
		p := filepath.Join(dir, "s.yaml")
		os.WriteFile(p, append(append([]byte{}, data...), []byte(block)...), 0o644)
		return p
	}
	s, err := Load(write("sweep:\n  - {key: \"experts[platform].count\", values: [8, 16]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sweep) != 1 || s.Sweep[0].Key != "experts[platform].count" || len(s.Sweep[0].Values) != 2 {
		t.Errorf("sweep %+v", s.Sweep)
	}
	lines := strings.Count(string(data), "\n")
	_, err = Load(write("sweep:\n  - {key: \"experts[platfrom].count\", values: [8, 16]}\n"))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:"+strconv.Itoa(lines+2)+":") || !strings.Contains(err.Error(), `no expert group "platfrom"`) {
		t.Errorf("bad sweep key: %v", err)
	}
	_, err = Load(write("sweep:\n  - {key: escalations.perHour, values: [8, 16]}\n  - {key: escalations.perHour, values: [1]}\n"))
	if err == nil || !strings.Contains(err.Error(), "s.yaml:"+strconv.Itoa(lines+2)+":") || !strings.Contains(err.Error(), "swept twice") {
		t.Errorf("a key swept twice: %v", err)
	}
}
