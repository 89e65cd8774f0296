package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	pol, _ := os.ReadFile("../scenarios/policy.yaml")
	os.WriteFile(filepath.Join(dir, "policy.yaml"), pol, 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("policy: policy.yaml\nexperts:\n  - {id: u1, skills: {db: 5}}\n  - {id: u2, skills: {db: 2}, interruptBudgetPerHour: 2}\n"), 0o644)
	c, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Resync.Interval != time.Minute || c.Delivery.Mode != "assign" || c.PolicyValue.FallbackQueue != "Tier 3 Escalations" || len(c.EngineExperts()) != 2 {
		t.Errorf("defaults: %+v", c)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("policy: nope.yaml\ndelivery: {mode: carrier-pigeon}\nexperts:\n  - {id: u1, skills: {db: 7}}\n  - {id: u1}\ncolour: red\n"), 0o644)
	_, err = LoadConfig(bad)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"bad.yaml:1:9: policy: policy:", "bad.yaml:2:18: delivery.mode: delivery mode \"carrier-pigeon\"",
		"bad.yaml:4:23: experts[0].skills.db: proficiency 7", "bad.yaml:5:10: experts[1].id: expert \"u1\" listed twice (first at line 4)",
		"bad.yaml:6:1: unknown field \"colour\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}
