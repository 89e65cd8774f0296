package live

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// Start-up with the shipped config reports the definitions the policy does
// not name by GUID in one WARN line that lists them all (it was one line
// per definition), and a refresh that finds the same set says nothing.
func TestUnnamedDefinitionsOneSummaryLine(t *testing.T) {
	f := startFake(t, genesys.Options{})
	cfg, err := serve.LoadConfig("../shadowq.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHADOWQ_API_TOKEN", apiTok)
	var logs bytes.Buffer
	srv, err := New(context.Background(), cfg, Env{Region: f.BaseURL(), ClientID: genesys.DemoClientID, ClientSecret: genesys.DemoClientSecret},
		slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	unnamed := 0
	for _, c := range srv.Definitions() {
		if !strings.HasPrefix(c.Rule, "guid") {
			unnamed++
		}
	}
	if unnamed == 0 {
		t.Fatal("the demo org has no definition the policy leaves unnamed: nothing to summarise")
	}
	count := func() (warns int, line string) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `"level":"WARN"`) && strings.Contains(l, "not named by the policy") {
				warns, line = warns+1, l
			}
		}
		return
	}
	warns, line := count()
	if warns != 1 {
		t.Fatalf("%d WARN lines about unnamed definitions, want 1:\n%s", warns, logs.String())
	}
	if !strings.Contains(line, `"notNamedByPolicy":`+strconv.Itoa(unnamed)) || strings.Count(line, "fallback: ")+strings.Count(line, ", none)") != unnamed {
		t.Errorf("the summary does not list the %d unnamed definitions:\n%s", unnamed, line)
	}
	if err := srv.loadDefinitions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if warns, _ := count(); warns != 1 {
		t.Errorf("a refresh with the same definitions warned again (%d lines)", warns)
	}
}
