package engine_test

import (
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
		"bad-policy.yaml:7:9: presences[2].id: duplicate presence-definition id \"aaaa\" (first at line 3)",
		"bad-policy.yaml:11:18: presences[3].minPriority: minPriority: priority \"P7\"",
		"bad-policy.yaml:14:5: presences[4]: unknown field \"colour\"",
		"bad-policy.yaml:13:13: presences[4].action: action \"sometimes\"",
		"bad-policy.yaml:16:3: systemPresences.MEETING: interrupt is not allowed",
		"bad-policy.yaml:17:3: systemPresences.LUNCH: unknown system presence",
		"bad-policy.yaml:21:16: delivery.maxAttempts: maxAttempts 0",
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
