package check

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// scrapeLabels runs serve (one escalation answered, so that every labelled
// family has a series) and returns each series name its /metrics exposes
// with the label names it carries. Histograms and summaries expose
// NAME_bucket, NAME_sum and NAME_count.
func scrapeLabels(t *testing.T) map[string]map[string]bool {
	t.Helper()
	r := startServe(t)
	conv := r.conversation(t)
	resp := r.do(t, "POST", "/v1/escalations", fmt.Sprintf(`{"conversationId":%q,"skills":["Databases"],"priority":"P3"}`, conv), true)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("escalation: %d", resp.StatusCode)
	}
	resp = r.do(t, "GET", "/metrics", "", false)
	defer resp.Body.Close()
	tp := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := tp.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, l := range m.GetLabel() {
			out[name][l.GetName()] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(name+"_bucket", m, "le")
				add(name+"_sum", m)
				add(name+"_count", m)
			case dto.MetricType_SUMMARY:
				add(name, m, "quantile")
				add(name+"_sum", m)
				add(name+"_count", m)
			default:
				add(name, m)
			}
		}
	}
	return out
}

// scrapeAdded are labels Prometheus adds to every scraped series.
var scrapeAdded = map[string]bool{"job": true, "instance": true}

// checkExpr parses expr with Prometheus' PromQL parser and checks that
// every metric it selects exists with every label it matches on.
func checkExpr(where, expr string, have map[string]map[string]bool) []string {
	p := parser.NewParser(parser.Options{})
	e, err := p.ParseExpr(expr)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", where, err)}
	}
	var probs []string
	n := 0
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		n++
		labels, ok := have[vs.Name]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s: metric %q is not exported by serve", where, vs.Name))
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != "__name__" && !labels[m.Name] && !scrapeAdded[m.Name] {
				probs = append(probs, fmt.Sprintf("%s: metric %s has no label %q", where, vs.Name, m.Name))
			}
		}
		return nil
	})
	if n == 0 {
		probs = append(probs, fmt.Sprintf("%s: selects no metric", where))
	}
	return probs
}

type dashboard struct {
	Title  string
	Panels []struct {
		ID      int
		Title   string
		Type    string
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		}
	}
}

// Every panel of deploy/grafana's dashboard has a query; every query
// parses and uses only metrics (and labels) serve exports. The issue's
// health questions each have a panel.
func TestDashboardMetricsExist(t *testing.T) {
	raw, err := os.ReadFile("../grafana/shadowq-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	have := scrapeLabels(t)
	used := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %d %q has no query", p.ID, p.Title)
		}
		for _, q := range p.Targets {
			for _, prob := range checkExpr(fmt.Sprintf("panel %d %q query %s", p.ID, p.Title, q.RefID), q.Expr, have) {
				t.Error(prob)
			}
			for name := range have {
				if strings.Contains(q.Expr, name) {
					used[name] = true
				}
			}
		}
	}
	for _, m := range []string{"shadowq_ready", "shadowq_build_info", "shadowq_experts", "shadowq_experts_eligible", "shadowq_escalations_total",
		"shadowq_delivery_outcomes_total", "shadowq_hold_seconds_bucket", "shadowq_presence_staleness_max_seconds", "shadowq_notification_reconnects_total",
		"shadowq_notification_gaps_total", "shadowq_resync_age_seconds", "shadowq_genesys_api_calls_total", "shadowq_genesys_budget_left", "shadowq_redis_errors_total"} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}

// deploy/prometheus/alerts.yaml is a valid rule file by Prometheus' own
// loader (strict fields, PromQL parsed, templates checked), has the
// alerts the issue asks for, and uses only metrics and labels serve
// exports.
func TestAlertRulesValidAndMetricsExist(t *testing.T) {
	groups, errs := rulefmt.ParseFile("../prometheus/alerts.yaml", false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	have := scrapeLabels(t)
	var names []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			for _, prob := range checkExpr("alert "+r.Alert, r.Expr, have) {
				t.Error(prob)
			}
		}
	}
	sort.Strings(names)
	for _, want := range []string{"ShadowqFeedDown", "ShadowqResyncStale", "ShadowqFallbackShareHigh", "ShadowqForbiddenDeliveryAttempted",
		"ShadowqGenesysRateLimited", "ShadowqDeliveryBudgetExhausted", "ShadowqNotReady", "ShadowqRedisErrors"} {
		if i := sort.SearchStrings(names, want); i == len(names) || names[i] != want {
			t.Errorf("no alert %s (have %v)", want, names)
		}
	}
}

// The checks can fail: a misspelt metric, a label the metric lacks and a
// syntax error are each reported.
func TestAlertCheckCatchesMistakes(t *testing.T) {
	have := map[string]map[string]bool{"shadowq_ready": {}, "shadowq_escalations_total": {"outcome": true}}
	for expr, want := range map[string]string{
		`shadowq_redy == 0`: `metric "shadowq_redy" is not exported`,
		`rate(shadowq_escalations_total{outcom="fallback"}[5m])`: `has no label "outcom"`,
		`sum(rate(shadowq_escalations_total[5m])`:                "unclosed",
		`vector(1)`: "selects no metric",
	} {
		probs := checkExpr("test", expr, have)
		if len(probs) == 0 || !strings.Contains(strings.Join(probs, "\n"), want) {
			t.Errorf("%s: got %v, want a problem containing %q", expr, probs, want)
		}
	}
	if probs := checkExpr("test", `shadowq_ready{job="x"} == 0`, have); len(probs) != 0 {
		t.Errorf("a valid expression was refused: %v", probs)
	}
	_, errs := rulefmt.Parse([]byte("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    fro: 5m\n"), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(errs) == 0 {
		t.Error("rulefmt accepted a misspelt field (fro)")
	}
}
