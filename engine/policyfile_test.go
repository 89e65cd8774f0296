package engine_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/engine"
)

func TestShippedPolicyParses(t *testing.T) {
	data, err := os.ReadFile("../scenarios/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.ParsePolicy("policy.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Presences["3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01"]
	if r.Action != engine.Interrupt || r.MinPriority != engine.P1 || r.Name != "In a Meeting – Interrupt for P1" {
		t.Errorf("interrupt-for-P1 rule = %+v", r)
	}
	if r := p.Routing[engine.RSCommunicating]; r.Action != engine.Interrupt || r.MinPriority != engine.P1 {
		t.Errorf("COMMUNICATING rule = %+v", r)
	}
	if p.Systems[engine.SysMeeting].Action != engine.Never || p.Systems[engine.SysOnQueue].Action != engine.Route {
		t.Errorf("system fallbacks = %+v", p.Systems)
	}
	if p.FallbackQueue != "Tier 3 Escalations" || p.MicroWait.MaxHold != 5*time.Minute || p.ClaimTTL != 35*time.Second {
		t.Errorf("settings: %+v", p)
	}
}

// Every problem is reported at once, each with file:line:column.
func TestBadPolicyReportsEverythingWithPositions(t *testing.T) {
	data, err := os.ReadFile("testdata/bad-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.ParsePolicy("bad-policy.yaml", data)
	if err == nil {
		t.Fatal("bad policy accepted")
	}
	msg := err.Error()
	want := []string{
		"bad-policy.yaml:5:5: presences[1].minPriority: interrupt needs minPriority", // absent: reported at its mapping
		"bad-policy.yaml:7:9: presences[2].id: duplicate presence-definition id \"aaaaaaaa-0000-4000-8000-000000000001\" (first at line 3)",
		"bad-policy.yaml:11:18: presences[3].minPriority: minPriority: priority \"P7\"",
		"bad-policy.yaml:14:5: presences[4]: unknown field \"colour\"",
		"bad-policy.yaml:13:13: presences[4].action: action \"sometimes\"",
		"bad-policy.yaml:16:3: systemPresences.MEETING: interrupt is not allowed",
		"bad-policy.yaml:17:3: systemPresences.LUNCH: unknown system presence",
		"bad-policy.yaml:21:16: delivery.maxAttempts: maxAttempts 0: must be at least 1",
		"bad-policy.yaml:23:14: microWait.threshold: threshold 1.5",
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in:\n%s", w, msg)
		}
	}
}

func TestPolicyRuleForms(t *testing.T) {
	cases := []struct {
		name, yaml string
		ok         bool
	}{
		// scalar and mapping forms of a routing-status rule
		{"scalar", "routingStatus: {IDLE: route}", true},
		{"mapping", "routingStatus: {COMMUNICATING: {action: interrupt, minPriority: P2}}", true},
		{"numeric priority", "routingStatus: {COMMUNICATING: {action: interrupt, minPriority: 2}}", true},
		{"unknown key in rule", "routingStatus: {IDLE: {action: route, when: now}}", false},
		{"minPriority without interrupt", "routingStatus: {IDLE: {action: route, minPriority: P1}}", false},
		{"spelling variants", "systemPresences: {On Queue: route, available: route}", true},
		{"claimTTL not above alert", "delivery: {alertTimeout: 30s, claimTTL: 20s}", false},
		{"bad duration", "delivery: {cooldown: soon}", false},
		{"unknown top-level", "routing: {}", false},
		{"version 2", "version: 2", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := engine.ParsePolicy("p.yaml", []byte(c.yaml))
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "p.yaml:") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

// Values no real policy needs are rejected where they stand, so a typo or a
// hostile file cannot make shadowq score experts NaN, ring everyone, or
// size buffers from an absurd number.
func TestPolicyRejectsAbsurdValues(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"NaN weight", "selection: {weights: {skill: .nan}}", "p.yaml:1:30: selection.weights.skill: weight NaN: must be a number within 0..1000"},
		{"Inf weight", "selection: {weights: {fairness: .inf}}", "p.yaml:1:33: selection.weights.fairness: weight +Inf: must be a number within 0..1000"},
		{"-Inf weight", "selection: {weights: {budget: -.inf}}", "p.yaml:1:31: selection.weights.budget: weight -Inf: must be a number within 0..1000"},
		{"huge weight", "selection: {weights: {skill: 1e300}}", "p.yaml:1:30: selection.weights.skill: weight 1e+300: must be a number within 0..1000"},
		{"all-zero weights", "selection:\n  weights: {skill: 0, presence: 0, fairness: 0, budget: 0}", "p.yaml:2:12: selection.weights: all weights are zero"},
		// zeroing the two non-zero defaults left leaves two defaults in force
		{"some zero weights", "selection: {weights: {skill: 0, presence: 0}}", ""},
		{"NaN threshold", "microWait: {threshold: .nan}", "p.yaml:1:24: microWait.threshold: threshold NaN: a probability must be within 0..1"},
		{"Inf threshold", "microWait: {threshold: .inf}", "p.yaml:1:24: microWait.threshold: threshold +Inf: a probability must be within 0..1"},
		{"empty file", "", "p.yaml:1:1: empty policy: the file sets nothing"},
		{"only comments", "# todo\n\n", "p.yaml:1:1: empty policy"},
		{"explicit null", "~\n", "p.yaml:1:1: empty policy"},
		{"empty mapping", "{}\n", "p.yaml:1:1: empty policy"},
		{"version only", "version: 1\n", ""},
		{"non-GUID presence id", "presences:\n  - {id: dnd, action: never}", `p.yaml:2:10: presences[0].id: id "dnd": must be a presence-definition GUID`},
		{"GUID with a stray character", "presences:\n  - {id: 3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a0g, action: never}", "p.yaml:2:10: presences[0].id: id"},
		{"maxAttempts 1e12", "delivery: {maxAttempts: 1000000000000}", "p.yaml:1:25: delivery.maxAttempts: maxAttempts 1000000000000: must be at most 20"},
		{"maxAttempts float literal", "delivery: {maxAttempts: 1e12}", "p.yaml:1:25: delivery.maxAttempts: expected an integer"},
		{"maxAttempts 21", "delivery: {maxAttempts: 21}", "p.yaml:1:25: delivery.maxAttempts: maxAttempts 21: must be at most 20"},
		{"maxAttempts 20", "delivery: {maxAttempts: 20}", ""},
		{"explainLimit huge", "explainLimit: 1000000000000", "p.yaml:1:15: explainLimit: explainLimit 1000000000000: must be within 0..1000"},
		{"cooldown of a year", "delivery: {cooldown: 8760h}", "p.yaml:1:22: delivery.cooldown: duration 8760h0m0s: must be at most 168h0m0s"},
		{"too many ETA buckets", "microWait: {etaBuckets: [" + ascending(34) + "]}", "p.yaml:1:25: microWait.etaBuckets: 34 etaBuckets: at most 32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := engine.ParsePolicy("p.yaml", []byte(c.yaml))
			if c.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if verr := p.Validate(); verr != nil {
					t.Fatalf("accepted policy does not validate: %v", verr)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want %q", c.want)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error:\n%v\nwant prefix:\n%s", err, c.want)
			}
		})
	}
}

// Policies built in code are held to the same bounds.
func TestPolicyValidateRejectsAbsurdValues(t *testing.T) {
	cases := map[string]func(p *engine.Policy){
		"NaN weight":         func(p *engine.Policy) { p.Weights.Skill = math.NaN() },
		"Inf weight":         func(p *engine.Policy) { p.Weights.Budget = math.Inf(1) },
		"all-zero weights":   func(p *engine.Policy) { p.Weights = engine.Weights{} },
		"NaN threshold":      func(p *engine.Policy) { p.MicroWait.Threshold = math.NaN() },
		"maxAttempts 1e12":   func(p *engine.Policy) { p.MaxAttempts = 1e12 },
		"explainLimit 1e9":   func(p *engine.Policy) { p.ExplainLimit = 1e9 },
		"cooldown of a year": func(p *engine.Policy) { p.Cooldown = 365 * 24 * time.Hour },
	}
	for name, mutate := range cases {
		p := engine.DefaultPolicy()
		mutate(p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := engine.DefaultPolicy().Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
}

// Ids are matched as Genesys sends them (lower case) whatever case the
// file uses.
func TestPolicyGUIDsNormalised(t *testing.T) {
	p, err := engine.ParsePolicy("p.yaml", []byte("presences:\n  - {id: 3FD5F5E2-7B1C-4A52-9A3E-2F1C0C7D1A01, action: never}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Presences["3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01"]; !ok {
		t.Errorf("presences = %v", p.Presences)
	}
}

// ascending lists n ascending durations "1s, 2s, ...".
func ascending(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%ds", i+1)
	}
	return strings.Join(s, ", ")
}
