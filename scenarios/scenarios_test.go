package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/internal/strictyaml"
)

// minimal is the smallest valid scenario; tests add to it.
const minimal = `run: {horizon: 8h}
presences:
  available: {id: guid-available, system: AVAILABLE}
experts:
  - id: alice
deliveries:
  handleTime: {dist: fixed, value: 10m}
escalations:
  perHour: 10
`

// files is a readFile over an in-memory file system.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

func parse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("s.yaml", []byte(src), files(nil))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	if bad := invariants(s); len(bad) > 0 {
		t.Fatalf("invariants:\n%s", strings.Join(bad, "\n"))
	}
	return s
}

// errLines returns the problems of a failed Parse, one per line.
func errLines(t *testing.T, src string) []string {
	t.Helper()
	s, err := Parse("s.yaml", []byte(src), files(nil))
	if err == nil {
		t.Fatalf("accepted:\n%s", src)
	}
	if s != nil {
		t.Error("non-nil Scenario with an error")
	}
	var es strictyaml.Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %T is not strictyaml.Errors: %v", err, err)
	}
	return strings.Split(err.Error(), "\n")
}

func TestShippedScenariosLoad(t *testing.T) {
	paths, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aa.yaml", "cherry-pickers.yaml", "disconnect-storm.yaml", "erlang-a.yaml", "erlang-c.yaml", "tier3-meetings.yaml", "tier3-week.yaml"}
	var got []string
	for _, p := range paths {
		if p == "policy.yaml" {
			continue
		}
		got = append(got, p)
		t.Run(p, func(t *testing.T) {
			s, err := Load(p)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			if bad := invariants(s); len(bad) > 0 {
				t.Errorf("invariants:\n%s", strings.Join(bad, "\n"))
			}
			if s.PolicyFile != "policy.yaml" || s.Policy.FallbackQueue != "Tier 3 Escalations" {
				t.Errorf("policy %q %+v", s.PolicyFile, s.Policy)
			}
			if len(s.Expect) == 0 {
				t.Error("no expectations")
			}
		})
	}
	if !slices.Equal(got, want) {
		t.Errorf("shipped scenarios %q, want %q", got, want)
	}
}

// The main scenario must make shadowq look different from an ACD: most
// experts are not On Queue, and most of their day is in meetings.
func TestTier3Meetings(t *testing.T) {
	s, err := Load("tier3-meetings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Experts); n != 60 {
		t.Errorf("%d experts", n)
	}
	onQueue := 0
	var meetingShare float64
	for _, e := range s.Experts {
		if slices.Contains(s.Baselines[0].OnQueue, e.WorkPresence) {
			onQueue++
		}
		busy := e.Meetings.PerDay * float64(e.Meetings.Length.Expected())
		for _, b := range e.FixedMeetings {
			busy += float64(b.End - b.Start)
		}
		meetingShare += busy / float64(e.Shift.End-e.Shift.Start) / float64(len(s.Experts))
	}
	if onQueue*3 > len(s.Experts) {
		t.Errorf("%d of %d experts work On Queue; the ACD should see a minority", onQueue, len(s.Experts))
	}
	if meetingShare < 0.4 {
		t.Errorf("experts spend %.0f%% of the shift in meetings, want most of it", 100*meetingShare)
	}
	// Interruptible and DND meeting variants are both used, by GUID.
	p1 := s.Presences["meeting-p1"]
	dnd := s.Presences["meeting-dnd"]
	if s.Policy.Presences[p1.ID].Action != engine.Interrupt || s.Policy.Presences[dnd.ID].Action != engine.Never {
		t.Errorf("policy rules: p1 %+v dnd %+v", s.Policy.Presences[p1.ID], s.Policy.Presences[dnd.ID])
	}
	if p1.Label != "In a Meeting – Interrupt for P1" {
		t.Errorf("label from policy: %q", p1.Label)
	}
	// ≈ 40 escalations an hour over 8 h.
	var total float64
	for _, r := range s.Escalations.Rates {
		total += r.PerHour * (r.To - r.From).Hours()
	}
	if perHour := total / s.Run.Horizon.Hours(); perHour < 35 || perHour > 45 {
		t.Errorf("%.1f escalations an hour", perHour)
	}
	if got := s.Escalations.Skills[3]; !reflect.DeepEqual(got, SkillCombo{Skills: []string{"database", "sap"}, Weight: 0.05}) {
		t.Errorf("multi-skill combo %+v", got)
	}
	// Expectations keep where they were written.
	src, _ := os.ReadFile("tier3-meetings.yaml")
	lines := strings.Split(string(src), "\n")
	if e := s.Expect[1]; e.Text != "dnd_interruptions == 0" || e.Pos.File != "tier3-meetings.yaml" || e.Pos.Line < 1 || e.Pos.Line > len(lines) ||
		!strings.HasPrefix(lines[e.Pos.Line-1][e.Pos.Column-1:], e.Text) {
		t.Errorf("expect[1] = %+v", e)
	}
}

// The Erlang scenarios are what their comments say, so the analytic
// values there apply.
func TestErlangScenarios(t *testing.T) {
	for _, c := range []struct {
		file     string
		patience time.Duration
	}{{"erlang-c.yaml", 0}, {"erlang-a.yaml", 5 * time.Minute}} {
		s, err := Load(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Experts) != 10 || s.Escalations.MaxRate() != 50 || s.Escalations.RateAt(s.Run.Horizon-1) != 50 ||
			!reflect.DeepEqual(s.Deliveries.HandleTime, Dist{Kind: Exponential, Mean: 10 * time.Minute}) ||
			!reflect.DeepEqual(s.Deliveries.AfterCallWork, Dist{Kind: Fixed}) || !reflect.DeepEqual(s.Deliveries.ResponseTime, Dist{Kind: Fixed}) ||
			s.Baselines[0].VoicemailAfter != 0 || !slices.Equal(s.Baselines[0].OnQueue, []string{"on-queue"}) {
			t.Errorf("%s: not M/M/10 with λ=50/h, 1/μ=10m: %+v", c.file, s)
		}
		for _, e := range s.Experts {
			if e.WorkPresence != "on-queue" || e.Meetings.PerDay != 0 || e.Churn.RatePerHour != 0 || len(e.Breaks)+len(e.FixedMeetings) != 0 ||
				e.Shift != (Shift{0, s.Run.Horizon}) {
				t.Errorf("%s: %s is not always available: %+v", c.file, e.ID, e)
			}
		}
		if s.Deliveries.ByPresence["on-queue"] != (Outcome{Accept: 1}) {
			t.Errorf("%s: deliveries %+v", c.file, s.Deliveries.ByPresence)
		}
		switch {
		case c.patience == 0 && s.Escalations.Patience != nil:
			t.Errorf("%s: patience %+v", c.file, s.Escalations.Patience)
		case c.patience != 0 && !reflect.DeepEqual(s.Escalations.Patience, &Dist{Kind: Exponential, Mean: c.patience}):
			t.Errorf("%s: patience %+v", c.file, s.Escalations.Patience)
		}
	}
}

// Every problem is reported at once, each with file:line:column.
func TestBadScenarioReportsEverything(t *testing.T) {
	_, err := Load("testdata/bad.yaml")
	if err == nil {
		t.Fatal("bad scenario accepted")
	}
	var es strictyaml.Errors
	if !errors.As(err, &es) {
		t.Fatalf("%T is not strictyaml.Errors", err)
	}
	want := []string{
		`testdata/bad.yaml:2:1: unknown field "desciption", did you mean "description"? (known: name, description, seed, run, week, policy, presences, offlinePresence, experts, deliveries, escalations, cherryPickers, disconnects, resync, baseline, baselines, economics, expect, sweep)`,
		`testdata/bad.yaml:3:7: seed: integer -1 out of range for uint64 (0..18446744073709551615)`,
		`testdata/bad.yaml:4:28: run.warmup: warmup 4h: must be shorter than the horizon (4h)`,
		`testdata/bad.yaml:9:61: presences.lunch.system: unknown system presence "LUNCH" (AVAILABLE, AWAY, BUSY, OFFLINE, IDLE, ON_QUEUE, MEAL, TRAINING, MEETING, BREAK)`,
		`testdata/bad.yaml:13:5: experts[0]: unknown field "colour" (known: id, group, count, skills, interruptBudgetPerHour, workPresence, shift, hours, meetings, fixedMeetings, breaks, churn, cherryPicker)`,
		`testdata/bad.yaml:14:14: experts[0].skills.database: proficiency 7: must be within 0..5`,
		`testdata/bad.yaml:18:15: experts[0].meetings.length.median: dist lognormal needs median`,
		`testdata/bad.yaml:18:39: experts[0].meetings.length.mean: mean does not apply to dist lognormal (it takes median and sigma)`,
		`testdata/bad.yaml:19:18: experts[0].meetings.presence.meeting-p3: unknown presence "meeting-p3", did you mean "meeting-p1"? (known: available, lunch, meeting-p1)`,
		`testdata/bad.yaml:21:9: experts[0].fixedMeetings[0]: meeting 3h30m–4h30m is outside the shift 0s–4h`,
		`testdata/bad.yaml:24:25: deliveries.byPresence.available.accept: accept 1.2: a probability must be within 0..1`,
		`testdata/bad.yaml:25:17: deliveries.byPresence.meeting-p1: accept + decline + noAnswer = 1.1: must not exceed 1`,
		`testdata/bad.yaml:30:35: escalations.rates[1].perHour: perHour -5: must be within 0..1000000`,
		`testdata/bad.yaml:31:12: escalations.skills.databse: no expert has skill "databse", did you mean "database"? (experts' skills: database)`,
		`testdata/bad.yaml:32:25: escalations.priorities.P7: unknown priority "P7": must be one of P1, P2, P3, P4, P5`,
		`testdata/bad.yaml:35:5: expect[1]: expected an expectation string like "dnd_interruptions == 0", got integer 5 (quote it if it is meant as text)`,
	}
	got := strings.Split(err.Error(), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProblems(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(minimal, old) {
			t.Fatalf("minimal has no %q", old)
		}
		return strings.Replace(minimal, old, new, 1)
	}
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"s.yaml:1:1: empty scenario: expected a mapping with at least run, presences, experts, deliveries and escalations"}},
		{"not a mapping", "- a\n", []string{"s.yaml:1:1: top level must be a mapping of field names to values, got a sequence"}},
		{"missing sections", "name: x\n", []string{
			`s.yaml:1:1: missing required field "run"`,
			`s.yaml:1:1: missing required field "presences"`,
			`s.yaml:1:1: missing required field "experts"`,
			`s.yaml:1:1: missing required field "deliveries"`,
			`s.yaml:1:1: missing required field "escalations"`,
		}},
		{"warmup = horizon", replace("{horizon: 8h}", "{horizon: 8h, warmup: 8h}"),
			[]string{"s.yaml:1:28: run.warmup: warmup 8h: must be shorter than the horizon (8h)"}},
		{"warmup > horizon", replace("{horizon: 8h}", "{horizon: 1h, warmup: 90m}"),
			[]string{"s.yaml:1:28: run.warmup: warmup 1h30m: must be shorter than the horizon (1h)"}},
		{"no horizon", replace("{horizon: 8h}", "{warmup: 1m}"),
			[]string{`s.yaml:1:6: run: missing required field "horizon"`}},
		{"meeting after shift", replace("  - id: alice\n", "  - id: alice\n    shift: {start: 1h, end: 5h}\n    fixedMeetings: [{start: 4h30m, length: 1h, presence: available}]\n"),
			[]string{"s.yaml:7:21: experts[0].fixedMeetings[0]: meeting 4h30m–5h30m is outside the shift 1h–5h"}},
		{"meeting before shift", replace("  - id: alice\n", "  - id: alice\n    shift: {start: 1h}\n    breaks: [{start: 30m, end: 45m, presence: available}]\n"),
			[]string{"s.yaml:7:14: experts[0].breaks[0]: break 30m–45m is outside the shift 1h–8h"}},
		{"overlapping blocks", replace("  - id: alice\n", "  - id: alice\n    fixedMeetings: [{start: 1h, end: 2h, presence: available}]\n    breaks: [{start: 1h30m, length: 15m, presence: available}]\n"),
			[]string{"s.yaml:7:14: experts[0].breaks[0]: overlaps fixedMeetings[0] (1h–2h)"}},
		{"probability above 1", replace("  handleTime", "  default: {accept: 1.5}\n  handleTime"),
			[]string{"s.yaml:7:21: deliveries.default.accept: accept 1.5: a probability must be within 0..1"}},
		{"negative probability", replace("  handleTime", "  default: {accept: 0.5, noAnswer: -0.1}\n  handleTime"),
			[]string{"s.yaml:7:36: deliveries.default.noAnswer: noAnswer -0.1: a probability must be within 0..1"}},
		{"accept+decline above 1", replace("  handleTime", "  default: {accept: 0.7, decline: 0.4}\n  handleTime"),
			[]string{"s.yaml:7:12: deliveries.default: accept + decline = 1.1: must not exceed 1"}},
		{"sum below 1", replace("  handleTime", "  default: {accept: 0.7, decline: 0.1, noAnswer: 0.1}\n  handleTime"),
			[]string{"s.yaml:7:12: deliveries.default: accept + decline + noAnswer = 0.9: must be 1 (leave noAnswer out to make it the remainder)"}},
		{"negative rate", replace("perHour: 10", "perHour: -1"),
			[]string{"s.yaml:9:12: escalations.perHour: perHour -1: must be within 0..1000000"}},
		{"rates and perHour", replace("perHour: 10", "perHour: 10\n  rates: [{from: 0h, perHour: 1}]"),
			[]string{"s.yaml:9:12: escalations.perHour: give perHour (a constant rate) or rates (by time of day), not both"}},
		{"no arrivals", replace("  perHour: 10\n", "  patience: {dist: exponential, mean: 1m}\n"),
			[]string{"s.yaml:9:3: escalations: needs perHour (a constant rate) or rates (by time of day)"}},
		{"overlapping rates", replace("perHour: 10", "rates: [{from: 0h, to: 2h, perHour: 1}, {from: 1h, perHour: 2}]"),
			[]string{"s.yaml:9:50: escalations.rates[1].from: from 1h: overlaps the previous window 0s–2h (list windows in time order)"}},
		{"unknown presence", replace("  - id: alice\n", "  - id: alice\n    workPresence: avialable\n"),
			[]string{`s.yaml:6:19: experts[0].workPresence: unknown presence "avialable", did you mean "available"? (known: available)`}},
		{"unknown byPresence", replace("  handleTime", "  byPresence: {away: {accept: 1}}\n  handleTime"),
			[]string{`s.yaml:7:16: deliveries.byPresence.away: unknown presence "away" (known: available)`}},
		{"duplicate presence id", replace("presences:\n", "presences:\n  other: {id: GUID-AVAILABLE, system: AWAY}\n"),
			[]string{`s.yaml:4:19: presences.available.id: presence-definition id guid-available is also presence "other"`}},
		{"bad dist", replace("{dist: fixed, value: 10m}", "{dist: gamma, value: 10m}"),
			[]string{`s.yaml:7:22: deliveries.handleTime.dist: unknown dist "gamma" (exponential, lognormal, fixed, empirical)`}},
		{"zero handle time", replace("value: 10m", "value: 0s"),
			[]string{`s.yaml:7:36: deliveries.handleTime.value: value 0s: must be positive`}},
		{"empirical without samples", replace("{dist: fixed, value: 10m}", "{dist: empirical, samples: []}"),
			[]string{`s.yaml:7:42: deliveries.handleTime.samples: samples: give at least one value`}},
		{"group and id", replace("  - id: alice\n", "  - id: alice\n    group: x\n    count: 2\n"),
			[]string{`s.yaml:6:12: experts[0].group: give id (one expert) or group and count, not both`}},
		{"group without count", replace("  - id: alice\n", "  - group: x\n"),
			[]string{`s.yaml:5:5: experts[0]: group "x" needs count`}},
		{"duplicate ids", replace("  - id: alice\n", "  - id: alice\n  - {group: alice, count: 1}\n  - id: alice-01\n"),
			[]string{`s.yaml:7:9: experts[2].id: expert id "alice-01" is also defined by experts[1]`}},
		{"too many", replace("  - id: alice\n", "  - {group: a, count: 10001}\n"),
			[]string{`s.yaml:5:23: experts[0].count: count 10001: must be within 1..10000`}},
		{"meetings do not fit", replace("  - id: alice\n", "  - id: alice\n    meetings: {perDay: 9, length: {dist: fixed, value: 1h}, presence: {available: 1}}\n"),
			[]string{`s.yaml:6:24: experts[0].meetings.perDay: perDay 9 meetings of 1h on average plus 0s of fixed meetings and breaks do not fit in the 8h shift`}},
		{"off shift without offline presence", replace("  - id: alice\n", "  - id: alice\n    shift: {end: 4h}\n"),
			[]string{`s.yaml:1:1: offlinePresence: offlinePresence is required: expert alice is off shift during the run and there is no single presence with system OFFLINE to default to (found 0)`}},
		{"no skill", replace("perHour: 10", "perHour: 10\n  skills: [{skills: [db], weight: 1}]"),
			[]string{`s.yaml:10:22: escalations.skills[0]: no expert has skill "db" (no expert has any skill)`}},
		{"skill combination nobody has", replace("  - id: alice\n", "  - {id: alice, skills: {db: 1}}\n  - {id: bob, skills: {sap: 1}}\n") + "  skills: [{skills: [sap, db], weight: 1}]\n",
			[]string{`s.yaml:11:12: escalations.skills[0]: no expert has all of db, sap`}},
		{"priorities", replace("perHour: 10", "perHour: 10\n  priorities: {P1: 1, '1': 1}"),
			[]string{`s.yaml:10:23: escalations.priorities.1: 1 is the same priority as P1`}},
		{"cherry-pickers without presence", replace("  - id: alice\n", "  - {id: alice, cherryPicker: true}\n"),
			[]string{`s.yaml:5:31: experts[0].cherryPicker: cherry-pickers need cherryPickers.presence (what they show when hiding)`}},
		{"cherry share", minimal + "cherryPickers: {share: 1.5, mode: stretch, presence: available}\n",
			[]string{
				`s.yaml:10:24: cherryPickers.share: share 1.5: must be within 0..1`,
				`s.yaml:10:54: cherryPickers.presence: presence applies to mode hide`,
			}},
		{"overlapping disconnects", minimal + "disconnects: [{start: 1h, length: 1h}, {start: 90m, end: 3h}]\n",
			[]string{`s.yaml:10:40: disconnects[1]: overlaps disconnects[0] (1h–2h)`}},
		{"disconnect with end and length", minimal + "disconnects: [{start: 1h, end: 2h, length: 1h}]\n",
			[]string{`s.yaml:10:44: disconnects[0].length: give end or length, not both`}},
		{"disconnect after horizon", minimal + "disconnects: [{start: 9h, length: 1h}]\n",
			[]string{`s.yaml:10:23: disconnects[0].start: start 9h: at or after the horizon (8h)`}},
		{"expectations must be strings", minimal + "expect: [ok, {a: b}, true, ~]\n",
			[]string{
				`s.yaml:10:14: expect[1]: expected an expectation string like "dnd_interruptions == 0", got a mapping (quote it if it is meant as text)`,
				`s.yaml:10:22: expect[2]: expected an expectation string like "dnd_interruptions == 0", got boolean true (quote it if it is meant as text)`,
				`s.yaml:10:28: expect[3]: expected an expectation string, got null`,
			}},
		{"inline policy", minimal + "policy: {version: 1}\n",
			[]string{`s.yaml:10:9: policy: inline policies are not supported: put the policy in its own file and give its path, e.g. policy: policy.yaml`}},
		{"missing policy file", minimal + "policy: nope.yaml\n",
			[]string{`s.yaml:10:9: policy: cannot read policy file: open nope.yaml: file does not exist`}},
		// A value that does not decode is reported once; checks that
		// depend on it stay quiet.
		{"horizon does not decode", strings.NewReplacer("{horizon: 8h}", "{horizon: soon}", "perHour: 10", "rates: [{from: 1h, perHour: 1}]",
			"  - id: alice\n", "  - {id: alice, shift: {start: 1h}, breaks: [{start: 2h, length: 10m, presence: available}]}\n").Replace(minimal) +
			"disconnects: [{start: 1h, length: 1m}]\n",
			[]string{`s.yaml:1:16: run.horizon: expected a duration like "30s" or "1h30m", got string "soon"`}},
		{"presences do not decode", replace("  available: {id: guid-available, system: AVAILABLE}\n", "  - available\n"),
			[]string{`s.yaml:3:3: presences: expected a mapping, got a sequence`}},
		{"expert does not decode", replace("  - id: alice\n", "  - 5\n") + "  skills: {db: 1}\n",
			[]string{`s.yaml:5:5: experts[0]: expected a mapping, got integer 5`}},
		{"dist value does not decode", replace("value: 10m", "value: soon"),
			[]string{`s.yaml:7:36: deliveries.handleTime.value: expected a duration like "30s" or "1h30m", got string "soon"`}},
		{"bad YAML", minimal + "expect: [\n",
			[]string{`s.yaml:10:9: invalid YAML: did not find expected node content`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errLines(t, tt.src); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n%s\n\nwant:\n%s\n\nsource:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), tt.src)
			}
		})
	}
}

// A problem in the policy file is reported with the policy file's own
// positions, together with the scenario's problems.
func TestPolicyErrorsKeepTheirPositions(t *testing.T) {
	scenario := strings.Replace(minimal, "{horizon: 8h}", "{horizon: 8h, warmup: 9h}", 1) + "policy: ../policies/p.yaml\n"
	policy := "version: 1\ndelivery:\n  maxAttempts: 0\nmicroWait: {threshold: 2}\n"
	_, err := Parse("dir/s.yaml", []byte(scenario), files(map[string]string{"policies/p.yaml": policy}))
	want := []string{
		"dir/s.yaml:1:28: run.warmup: warmup 9h: must be shorter than the horizon (8h)",
		"policies/p.yaml:3:16: delivery.maxAttempts: maxAttempts 0: must be at least 1",
		"policies/p.yaml:4:24: microWait.threshold: threshold 2: a probability must be within 0..1",
	}
	if err == nil {
		t.Fatal("accepted")
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPolicyPath(t *testing.T) {
	pol, err := os.ReadFile("policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("/etc/shadowq/policy.yaml")
	for _, c := range []struct{ file, ref, want string }{
		{"s.yaml", "policy.yaml", "policy.yaml"},
		{"scenarios/s.yaml", "policy.yaml", "scenarios/policy.yaml"},
		{"a/b/s.yaml", "../p/policy.yaml", "a/p/policy.yaml"},
		{"a/s.yaml", abs, abs},
	} {
		s, err := Parse(c.file, []byte(minimal+"policy: "+c.ref+"\n"), files(map[string]string{c.want: string(pol)}))
		if err != nil {
			t.Errorf("%s + %s: %v", c.file, c.ref, err)
			continue
		}
		if s.PolicyFile != c.want || s.Policy.FallbackQueue != "Tier 3 Escalations" {
			t.Errorf("%s + %s: PolicyFile %q", c.file, c.ref, s.PolicyFile)
		}
	}
	// No policy: the engine's default.
	s := parse(t, minimal)
	if s.PolicyFile != "" || !reflect.DeepEqual(s.Policy, engine.DefaultPolicy()) {
		t.Errorf("default policy: %q %+v", s.PolicyFile, s.Policy)
	}
}

func TestDefaults(t *testing.T) {
	s := parse(t, minimal)
	want := &Scenario{
		Name:          "s",
		File:          "s.yaml",
		Seed:          1,
		Run:           Run{Start: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), Horizon: 8 * time.Hour, Replications: 30},
		Policy:        engine.DefaultPolicy(),
		Presences:     map[string]Presence{"available": {Name: "available", ID: "guid-available", System: engine.SysAvailable, Label: "available"}},
		PresenceNames: []string{"available"},
		Experts: []Expert{{
			ID: "alice", Skills: map[string]int{}, WorkPresence: "available",
			Shift: Shift{Start: 0, End: 8 * time.Hour}, Shifts: []Shift{{Start: 0, End: 8 * time.Hour}},
		}},
		Deliveries: Deliveries{
			AlertTimeout:  20 * time.Second,
			ResponseTime:  Dist{Kind: Fixed, Value: 5 * time.Second},
			ByPresence:    map[string]Outcome{"available": {0.9, 0.05, 0.05}},
			Default:       Outcome{0.9, 0.05, 0.05},
			HandleTime:    Dist{Kind: Fixed, Value: 10 * time.Minute},
			AfterCallWork: Dist{Kind: Fixed},
		},
		Escalations: Escalations{
			Rates:      []Rate{{From: 0, To: 8 * time.Hour, PerHour: 10}},
			Skills:     []SkillCombo{{Weight: 1}},
			Priorities: []PriorityWeight{{Priority: engine.P3, Weight: 1}},
		},
		CherryPickers: CherryPickers{Mode: Hide, HideLength: Dist{Kind: Exponential, Mean: 20 * time.Minute}},
		Resync:        Resync{Interval: 60 * time.Second, OnReconnect: true},
		Baselines:     []Baseline{{Name: DefaultBaselineName, Select: SelectLongestIdle}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", s, want)
	}

	// Defaults by system presence: work (AVAILABLE), breaks (BREAK), off
	// shift (OFFLINE), baseline (ON_QUEUE); noAnswer as the remainder;
	// rate windows ending where the next starts.
	s = parse(t, `run: {horizon: 8h}
presences:
  free: {id: g1, system: Available}
  queue: {id: g2, system: On Queue}
  queue2: {id: g3, system: ON_QUEUE}
  pause: {id: g4, system: BREAK}
  gone: {id: g5, system: offline}
experts:
  - id: a
    shift: {start: 1h}
    breaks: [{start: 2h, length: 10m}]
deliveries:
  default: {accept: 0.8, decline: 0.15}
  handleTime: {dist: exponential, mean: 5m}
escalations:
  rates: [{from: 1h, perHour: 1}, {from: 3h, perHour: 2}, {from: 5h, to: 6h, perHour: 3}]
`)
	e := s.Experts[0]
	if e.WorkPresence != "free" || e.Breaks[0] != (Block{2 * time.Hour, 2*time.Hour + 10*time.Minute, "pause"}) || s.OfflinePresence != "gone" ||
		e.Shift != (Shift{time.Hour, 8 * time.Hour}) {
		t.Errorf("system defaults: %+v offline %q", e, s.OfflinePresence)
	}
	if !slices.Equal(s.Baselines[0].OnQueue, []string{"queue", "queue2"}) {
		t.Errorf("baseline.onQueue %q", s.Baselines[0].OnQueue)
	}
	if s.Deliveries.Default != (Outcome{0.8, 0.15, 0.05}) || s.Deliveries.ByPresence["gone"] != s.Deliveries.Default {
		t.Errorf("outcomes %+v", s.Deliveries)
	}
	wantRates := []Rate{{time.Hour, 3 * time.Hour, 1}, {3 * time.Hour, 5 * time.Hour, 2}, {5 * time.Hour, 6 * time.Hour, 3}}
	if !slices.Equal(s.Escalations.Rates, wantRates) {
		t.Errorf("rates %+v", s.Escalations.Rates)
	}
	for at, want := range map[time.Duration]float64{0: 0, time.Hour: 1, 4 * time.Hour: 2, 5*time.Hour + 59*time.Minute: 3, 6 * time.Hour: 0} {
		if got := s.Escalations.RateAt(at); got != want {
			t.Errorf("RateAt(%v) = %v, want %v", at, got, want)
		}
	}
}

func TestGroupExpansion(t *testing.T) {
	s := parse(t, `run: {horizon: 8h}
presences:
  available: {id: g1, system: AVAILABLE}
  meeting: {id: g2, system: MEETING}
experts:
  - group: net
    count: 3
    skills: {network: 4}
    interruptBudgetPerHour: 2
    fixedMeetings: [{start: 1h, end: 2h, presence: meeting}]
    meetings: {perDay: 2, length: {dist: empirical, samples: [30m, 1h]}, presence: {meeting: 2, available: 2}}
  - id: zoe
    skills: {network: 5, db: 1}
  - group: big
    count: 120
deliveries:
  handleTime: {dist: fixed, value: 10m}
escalations:
  perHour: 10
  skills: {network: 3, db: 1}
`)
	if len(s.Experts) != 124 {
		t.Fatalf("%d experts", len(s.Experts))
	}
	var ids []string
	for _, e := range s.Experts {
		ids = append(ids, string(e.ID))
	}
	if ids[0] != "big-001" || ids[119] != "big-120" || !slices.Equal(ids[120:], []string{"net-01", "net-02", "net-03", "zoe"}) {
		t.Errorf("ids %q ... %q", ids[:2], ids[118:])
	}
	net1, net2, zoe := s.Expert("net-01"), s.Expert("net-02"), s.Expert("zoe")
	if net1 == nil || net2 == nil || zoe == nil || s.Expert("net-04") != nil {
		t.Fatal("Expert lookup")
	}
	if net1.Group != "net" || zoe.Group != "" || s.Experts[0].Group != "big" {
		t.Errorf("groups %q %q %q", net1.Group, zoe.Group, s.Experts[0].Group)
	}
	if net1.InterruptBudgetPerHour != 2 || net1.Skills["network"] != 4 || len(net1.FixedMeetings) != 1 ||
		!reflect.DeepEqual(net1.Meetings.Presence, PresenceMix{{"available", 0.5}, {"meeting", 0.5}}) {
		t.Errorf("net-01 %+v", net1)
	}
	// Each expert owns its maps and slices.
	net1.Skills["network"] = 0
	net1.FixedMeetings[0].Presence = "x"
	net1.Meetings.Presence[0].Weight = 9
	net1.Meetings.Length.Samples[0] = 0
	if net2.Skills["network"] != 4 || net2.FixedMeetings[0].Presence != "meeting" || net2.Meetings.Presence[0].Weight != 0.5 || net2.Meetings.Length.Samples[0] != 30*time.Minute {
		t.Errorf("experts share state: %+v", net2)
	}
	if got := zoe.Engine(); got.ID != "zoe" || got.Skills["db"] != 1 {
		t.Errorf("Engine() = %+v", got)
	}
	if !reflect.DeepEqual(s.Escalations.Skills, []SkillCombo{{[]string{"network"}, 0.75}, {[]string{"db"}, 0.25}}) {
		t.Errorf("skills %+v", s.Escalations.Skills)
	}
}

func TestCherryPickers(t *testing.T) {
	src := `seed: 5
run: {horizon: 8h}
presences:
  available: {id: g1, system: AVAILABLE}
  dnd: {id: g2, system: MEETING}
experts:
  - {group: a, count: 4, cherryPicker: true}
  - {group: b, count: 36}
deliveries:
  handleTime: {dist: fixed, value: 10m}
escalations:
  perHour: 10
cherryPickers: {share: 0.25, presence: dnd}
`
	picked := func(s *Scenario) (ids []engine.ExpertID) {
		for _, e := range s.Experts {
			if e.CherryPicker {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	s1, s2 := parse(t, src), parse(t, src)
	ids := picked(s1)
	if len(ids) != 4+10 || !slices.Equal(ids, picked(s2)) || !slices.Equal(ids[:4], []engine.ExpertID{"a-01", "a-02", "a-03", "a-04"}) {
		t.Errorf("cherry-pickers %q / %q", ids, picked(s2))
	}
	other := picked(parse(t, strings.Replace(src, "seed: 5", "seed: 6", 1)))
	if slices.Equal(ids, other) {
		t.Errorf("the seed does not change the choice: %q", other)
	}
	if cp := s1.CherryPickers; cp.Mode != Hide || cp.Presence != "dnd" || cp.Share != 0.25 || cp.Stretch != 0 {
		t.Errorf("%+v", cp)
	}
	s := parse(t, strings.Replace(src, "{share: 0.25, presence: dnd}", "{mode: stretch}", 1))
	if cp := s.CherryPickers; cp.Mode != Stretch || cp.Stretch != 20*time.Minute || cp.HideLength.Kind != "" || len(picked(s)) != 4 {
		t.Errorf("stretch: %+v", cp)
	}
}

func TestDistSample(t *testing.T) {
	dists := []Dist{
		{Kind: Exponential, Mean: 10 * time.Minute},
		{Kind: Lognormal, Median: 12 * time.Minute, Sigma: 0.5},
		{Kind: Lognormal, Median: 7 * time.Minute},
		{Kind: Fixed, Value: 2 * time.Minute},
		{Kind: Fixed},
		{Kind: Empirical, Samples: []time.Duration{time.Minute, 2 * time.Minute, 6 * time.Minute}},
	}
	const n = 200_000
	for _, d := range dists {
		r1 := rand.New(rand.NewPCG(1, 2))
		r2 := rand.New(rand.NewPCG(1, 2))
		var sum float64
		for range n {
			a, b := d.Sample(r1), d.Sample(r2)
			if a != b {
				t.Fatalf("%+v: not deterministic: %v != %v", d, a, b)
			}
			if a < 0 {
				t.Fatalf("%+v: negative sample %v", d, a)
			}
			sum += float64(a)
		}
		mean := time.Duration(sum / n)
		exp := d.Expected()
		if math.Abs(float64(mean-exp)) > 0.01*float64(exp) {
			t.Errorf("%+v: sample mean %v, expected %v", d, mean, exp)
		}
	}
	// Known values.
	if got := (Dist{Kind: Lognormal, Median: 10 * time.Minute, Sigma: 0.5}).Expected(); got.Round(time.Millisecond) != 11*time.Minute+19889*time.Millisecond {
		t.Errorf("lognormal mean %v", got)
	}
	// The sequence itself is pinned: a simulator's results must not change
	// with this package.
	r := rand.New(rand.NewPCG(42, 42))
	var got []time.Duration
	for _, d := range dists {
		got = append(got, d.Sample(r).Round(time.Millisecond))
	}
	want := pinnedSamples
	if !slices.Equal(got, want) {
		t.Errorf("samples %v, want %v", got, want)
	}
	// Huge parameters clamp instead of overflowing.
	huge := Dist{Kind: Lognormal, Median: time.Duration(math.MaxInt64 / 2), Sigma: 10}
	r = rand.New(rand.NewPCG(3, 3))
	for range 1000 {
		if huge.Sample(r) < 0 {
			t.Fatal("overflow")
		}
	}
	if (Dist{}).Sample(r) != 0 || (Dist{}).Expected() != 0 {
		t.Error("zero Dist")
	}
}

func TestMixes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	m := PresenceMix{{"a", 0.2}, {"b", 0}, {"c", 0.8}}
	e := Escalations{
		Skills:     []SkillCombo{{nil, 0.5}, {[]string{"db"}, 0.5}},
		Priorities: []PriorityWeight{{engine.P1, 0.1}, {engine.P4, 0.9}},
	}
	o := Outcome{Accept: 0.7, Decline: 0.2, NoAnswer: 0.1}
	counts := map[string]int{}
	const n = 100_000
	for range n {
		counts["presence "+m.Pick(r)]++
		counts["skills "+strings.Join(e.PickSkills(r), "+")]++
		counts["priority "+e.PickPriority(r).String()]++
		counts["outcome "+o.Draw(r).String()]++
	}
	for k, want := range map[string]float64{
		"presence a": 0.2, "presence b": 0, "presence c": 0.8,
		"skills ": 0.5, "skills db": 0.5,
		"priority P1": 0.1, "priority P4": 0.9,
		"outcome accepted": 0.7, "outcome declined": 0.2, "outcome no-answer": 0.1,
	} {
		if got := float64(counts[k]) / n; math.Abs(got-want) > 0.01 {
			t.Errorf("%s: %.3f, want %.2f", k, got, want)
		}
	}
	if (PresenceMix{}).Pick(r) != "" || (&Escalations{}).PickPriority(r) != engine.P3 || (&Escalations{}).PickSkills(r) != nil {
		t.Error("empty mixes")
	}
}

// FuzzParse: Parse never panics; what it accepts keeps every promise of
// the Scenario type; what it rejects it explains with positioned errors.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"tier3-meetings.yaml", "cherry-pickers.yaml", "testdata/bad.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(minimal))
	f.Add([]byte(week)) // a multi-day world (week_test.go)
	noFiles := func(string) ([]byte, error) { return nil, errors.New("no files while fuzzing") }
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, noFiles)
		if err == nil {
			if s == nil {
				t.Fatal("nil Scenario without error")
			}
			if bad := invariants(s); len(bad) > 0 {
				t.Fatalf("accepted a scenario that breaks invariants:\n%s", strings.Join(bad, "\n"))
			}
			return
		}
		if s != nil {
			t.Fatal("Scenario with an error")
		}
		var es strictyaml.Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("%T %v is not a non-empty strictyaml.Errors", err, err)
		}
		for _, e := range es {
			if e.Msg == "" || e.Pos.File != "fuzz.yaml" {
				t.Fatalf("bad error %#v", e)
			}
		}
	})
}

// pinnedSamples are the first draws of each test distribution from
// PCG(42, 42), one distribution after the other.
var pinnedSamples = []time.Duration{
	20*time.Minute + 45273*time.Millisecond, // exponential, mean 10m
	7*time.Minute + 2799*time.Millisecond,   // lognormal, median 12m, sigma 0.5
	7 * time.Minute,                         // lognormal, sigma 0
	2 * time.Minute,                         // fixed
	0,                                       // fixed 0
	2 * time.Minute,                         // empirical
}

// testdata/kitchen-sink.yaml uses every key once.
func TestKitchenSink(t *testing.T) {
	s, err := Load("testdata/kitchen-sink.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if bad := invariants(s); len(bad) > 0 {
		t.Fatalf("invariants:\n%s", strings.Join(bad, "\n"))
	}
	if s.Name != "all keys" || s.Seed != 3 || s.Run != (Run{time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), 8 * time.Hour, 30 * time.Minute, 15 * time.Minute, 5}) ||
		s.PolicyFile != "policy.yaml" || s.OfflinePresence != "off" {
		t.Errorf("top: %+v", s)
	}
	a := s.Expert("a-02")
	if a.WorkPresence != "queue" || a.Shift != (Shift{0, 7 * time.Hour}) || !a.CherryPicker ||
		!reflect.DeepEqual(a.Breaks, []Block{{3 * time.Hour, 3*time.Hour + 15*time.Minute, "pause"}}) ||
		!reflect.DeepEqual(a.Churn, Churn{0.5, PresenceMix{{"away", 1}}, Dist{Kind: Empirical, Samples: []time.Duration{time.Minute, 5 * time.Minute}}}) ||
		!reflect.DeepEqual(a.Meetings, s.Expert("solo").Meetings) {
		t.Errorf("a-02: %+v", a)
	}
	if o := s.Deliveries.ByPresence; o["available"] != (Outcome{0.9, 0.1, 0}) || o["meet"] != (Outcome{0.5, 0, 0.5}) || o["dnd"] != (Outcome{0.8, 0.1, 0.1}) {
		t.Errorf("outcomes %+v", o)
	}
	e := s.Escalations
	if !reflect.DeepEqual(e.Skills, []SkillCombo{{[]string{"db"}, 0.6}, {[]string{"db", "sap"}, 0.2}, {nil, 0.2}}) ||
		!reflect.DeepEqual(e.Priorities, []PriorityWeight{{engine.P1, 0.25}, {engine.P2, 0.25}, {engine.P3, 0.5}}) ||
		!slices.Equal(e.Rates, []Rate{{0, 2 * time.Hour, 5}, {2 * time.Hour, 8 * time.Hour, 8}}) {
		t.Errorf("escalations %+v", e)
	}
	if !slices.Equal(s.Disconnects, []Disconnect{{time.Hour, time.Hour + 5*time.Minute, false}, {2 * time.Hour, 2*time.Hour + 10*time.Minute, true}}) ||
		s.Resync != (Resync{30 * time.Second, false}) || s.Baselines[0].VoicemailAfter != 5*time.Minute {
		t.Errorf("outages %+v %+v", s.Disconnects, s.Resync)
	}
	if len(s.Expect) != 2 || s.Expect[1].Text != "x > 1" || s.Expect[1].Pos != (strictyaml.Pos{File: "testdata/kitchen-sink.yaml", Line: 44, Column: 36}) {
		t.Errorf("expect %+v", s.Expect)
	}
}

// Files built to be expensive are refused (or loaded) quickly, with short
// messages.
func TestPathologicalInputs(t *testing.T) {
	var breaks, presences, refs strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&breaks, "{start: %dm, length: 1m}, ", 2*i)
	}
	for i := range 2000 {
		fmt.Fprintf(&presences, "  p%d: {id: g%d, system: BREAK}\n", i, i)
		fmt.Fprintf(&refs, "q%d: 1, ", i)
	}
	tests := []struct {
		name, src, want string
	}{
		{"expansion", `run: {horizon: 100h}
presences: {a: {id: g, system: AVAILABLE}, b: {id: h, system: BREAK}}
experts:
  - {group: x, count: 10000, breaks: [` + breaks.String() + `]}
deliveries: {handleTime: {dist: fixed, value: 1m}}
escalations: {perHour: 1}
`, "s.yaml:4:13: experts[0].group: scenario too large: more than 2000000 expert settings after expanding groups"},
		{"many unknown names", "run: {horizon: 8h}\npresences:\n  a: {id: g, system: AVAILABLE}\n" + presences.String() +
			"experts:\n  - {id: x, churn: {ratePerHour: 1, length: {dist: fixed, value: 1m}, presence: {" + refs.String() + "}}}\n" +
			"deliveries: {handleTime: {dist: fixed, value: 1m}}\nescalations: {perHour: 1}\n",
			`s.yaml:2005:82: experts[0].churn.presence.q0: unknown presence "q0" (known: 2001 names)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("s.yaml", []byte(tt.src), files(nil))
			// Logged, not asserted: a wall-clock limit can fail on a
			// loaded machine under -race; the work is bounded by
			// MaxExpanded and the error list by its cap.
			t.Logf("parsed in %v", time.Since(start))
			if err == nil {
				t.Fatal("accepted")
			}
			if got := strings.Split(err.Error(), "\n")[0]; got != tt.want {
				t.Errorf("first error %q, want %q", got, tt.want)
			}
			if len(err.Error()) > 1<<20 {
				t.Errorf("%d bytes of errors", len(err.Error()))
			}
		})
	}
}
