package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Slices of the results: per priority, per expert group, and the metrics
// the main table leaves out because they carry nothing in this run.

// priorityHeader is the header of the per-priority table.
var priorityHeader = []string{"priority", "arm", "latency.mean", "latency.p95", "service_level", "routed_rate", "abandonment"}

// priorityRows is one row per priority and arm (means over replications;
// the CIs are in results.json and the CSV).
func priorityRows(r *Results) [][]string {
	var rows [][]string
	for _, prio := range []string{"P1", "P2", "P3", "P4", "P5"} {
		for _, p := range r.Policies {
			row := []string{prio, p.Name}
			any := false
			for _, m := range priorityHeader[2:] {
				mm := findMetric(p.Metrics, PriorityMetric(m, prio))
				if mm == nil {
					row = append(row, "–")
					continue
				}
				any = true
				row = append(row, formatArm(*mm))
			}
			if any {
				rows = append(rows, row)
			}
		}
	}
	return rows
}

// groupHeader is the header of the per-group utilization table.
func groupHeader(r *Results) []string {
	h := []string{"group", "experts"}
	for _, p := range r.Policies {
		h = append(h, p.Name)
	}
	return h
}

// groupRows is the mean utilization of each group's experts per arm,
// groups in order of first appearance.
func groupRows(r *Results) [][]string {
	var groups []string
	byGroup := map[string][]ExpertResult{}
	for _, e := range r.PerExpert {
		g := e.Group
		if g == "" {
			g = "(no group)"
		}
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], e)
	}
	var rows [][]string
	for _, g := range groups {
		es := byGroup[g]
		row := []string{g, fmt.Sprint(len(es))}
		for pi := range r.Policies {
			sum, n := 0.0, 0
			for _, e := range es {
				if pi < len(e.Utilization) && !math.IsNaN(e.Utilization[pi]) {
					sum += e.Utilization[pi]
					n++
				}
			}
			if n == 0 {
				row = append(row, "n/a")
				continue
			}
			row = append(row, formatShare(sum/float64(n)))
		}
		rows = append(rows, row)
	}
	return rows
}

// constantLine reports whether a metric line carries no information: the
// same value in every arm and every replication (SD 0, equal means), or
// no value in any arm.
func constantLine(l metricLine) bool {
	var first *Metric
	for _, m := range l.Arms {
		if m == nil {
			return false
		}
		if m.N > 0 && m.SD != 0 {
			return false
		}
		if first == nil {
			first = m
			continue
		}
		if m.N != first.N || m.Mean != first.Mean {
			return false
		}
	}
	return first != nil
}

// omittedNote lists the metrics left out of the main table as constant.
func omittedNote(r *Results) string {
	var parts []string
	for _, l := range metricLines(r) {
		if isPriorityMetric(l.Name) || !constantLine(l) {
			continue
		}
		v := "no value in any arm"
		if l.Arms[0].N > 0 {
			v = formatValue(l.Unit, l.Arms[0].Mean, false) + " in every arm and replication"
		}
		parts = append(parts, l.Name+" ("+v+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return "Left out of the table because they carry no information in this run: " + strings.Join(parts, "; ") + "."
}

func isPriorityMetric(name string) bool {
	_, _, ok := SplitPriority(name)
	return ok
}

// hasGroups reports whether the experts come in more than one group.
func hasGroups(r *Results) bool {
	var gs []string
	for _, e := range r.PerExpert {
		if !slices.Contains(gs, e.Group) {
			gs = append(gs, e.Group)
		}
	}
	return len(gs) > 1
}
