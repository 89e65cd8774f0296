package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/shadowq/shadowq/audit"
	"github.com/shadowq/shadowq/genesys"
)

// publishedMetrics are the external metrics `shadowq audit --publish`
// writes, one value per expert per day; the definitions are found by
// name (prefix + name) and created when missing.
var publishedMetrics = []struct {
	name, unit, objective string
	precision             int
	value                 func(audit.DailyValue) (float64, bool)
}{
	{"deliveries offered", "Number", "TargetArea", 0, func(v audit.DailyValue) (float64, bool) { return float64(v.Offered), true }},
	{"deliveries declined or not answered", "Number", "LowerIsBetter", 0, func(v audit.DailyValue) (float64, bool) { return float64(v.Refused), true }},
	{"unscheduled meeting minutes", "Number", "LowerIsBetter", 1, func(v audit.DailyValue) (float64, bool) {
		if v.UnscheduledMeetingMin == nil {
			return 0, false
		}
		return *v.UnscheduledMeetingMin, true
	}},
	{"cherry-pick suspicion", "Number", "LowerIsBetter", 2, func(v audit.DailyValue) (float64, bool) {
		if v.Suspicion == nil {
			return 0, false
		}
		return *v.Suspicion, true
	}},
}

// publishAudit writes the window's daily values as external metrics
// (type Total: a day published again is replaced, not added to). Without
// --apply it only prints what it would create and write.
func publishAudit(ctx context.Context, c *genesys.Client, _ *audit.Report, in *audit.Input, f auditFlags, stdout, stderr io.Writer) int {
	defs, err := c.ExternalMetricDefinitions(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq audit --publish: reading external metric definitions: %v\n", err)
		return exitFailed
	}
	byName := map[string]string{}
	for _, d := range defs {
		byName[d.Name] = d.ID
	}
	verb := "would write"
	if f.apply {
		verb = "wrote"
	}
	ids := make([]string, len(publishedMetrics))
	for i, m := range publishedMetrics {
		name := f.metricPrefix + m.name
		if id, ok := byName[name]; ok {
			ids[i] = id
			continue
		}
		if !f.apply {
			ids[i] = "(new: " + name + ")"
			fmt.Fprintf(stdout, "would create external metric definition %q (unit %s, precision %d, %s)\n", name, m.unit, m.precision, m.objective)
			continue
		}
		d, err := c.CreateExternalMetricDefinition(ctx, genesys.ExternalMetricDefinition{Name: name, Unit: m.unit, Precision: m.precision,
			DefaultObjectiveType: m.objective, Enabled: true})
		if err != nil {
			fmt.Fprintf(stderr, "shadowq audit --publish: creating %q: %v\n", name, err)
			return exitFailed
		}
		ids[i] = d.ID
		fmt.Fprintf(stdout, "created external metric definition %q: %s\n", name, d.ID)
	}
	var items []genesys.ExternalMetricItem
	for _, v := range audit.Daily(in) {
		for i, m := range publishedMetrics {
			x, ok := m.value(v)
			if !ok {
				continue
			}
			scale := math.Pow10(m.precision) // the definition's precision
			x = math.Round(x*scale) / scale
			items = append(items, genesys.ExternalMetricItem{UserID: v.User, MetricID: ids[i], DateOccurred: v.Day, Value: x, Type: "Total"})
			fmt.Fprintf(stdout, "%s %s %s %s = %g\n", verb, v.Day, v.User, f.metricPrefix+m.name, x)
		}
	}
	if !f.apply {
		fmt.Fprintf(stdout, "dry run: %d values for %d metrics; nothing written (add --apply to write)\n", len(items), len(publishedMetrics))
		return exitOK
	}
	if err := c.PostExternalMetricData(ctx, items); err != nil {
		fmt.Fprintf(stderr, "shadowq audit --publish: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "published %d values (type Total: publishing the same days again replaces them)\n", len(items))
	return exitOK
}
