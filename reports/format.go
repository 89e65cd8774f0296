package reports

import (
	"fmt"
	"math"
	"strconv"
)

// formatValue renders x in unit for people: ratios as percentages
// ("83.4%"), seconds as "0.42s", "74.2s", "3m04s" or "2h05m", counts with
// one decimal, per-expert-day rates with two. signed adds a "+" to positive
// values, for deltas; negative values always get an ASCII "-" so the text
// can be pasted back into an expectation. Deltas of ratios (signed) are
// differences in percentage points and say so ("+2.2 pp", never "%");
// relative changes (UnitRel) are percentages ("+17.2%").
func formatValue(unit string, x float64, signed bool) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	} else if signed && x > 0 {
		sign = "+"
	}
	var s string
	switch unit {
	case UnitRatio:
		s = strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
		if signed { // a difference of two shares: percentage points
			s = strconv.FormatFloat(x*100, 'f', 1, 64) + " pp"
		}
	case UnitSeconds:
		s = formatSeconds(x)
	case UnitCount:
		s = strconv.FormatFloat(x, 'f', 1, 64)
	case UnitPerExpertDay:
		s = strconv.FormatFloat(x, 'f', 2, 64)
	case UnitMinPerExpert:
		s = strconv.FormatFloat(x, 'f', 1, 64) + " min"
	case UnitMoney:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case UnitRel:
		s = strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	default:
		// Unknown units (from a newer simulator) get the bare number;
		// formatMetric names the unit once after the interval.
		s = strconv.FormatFloat(x, 'g', 6, 64)
	}
	// A value that rounds to zero carries no sign ("-0.0%" reads as a bug).
	if isZeroText(s) {
		sign = ""
	}
	return sign + s
}

// isZeroText reports whether a formatted number has no non-zero digit.
func isZeroText(s string) bool {
	for _, r := range s {
		if r >= '1' && r <= '9' {
			return false
		}
	}
	return true
}

// formatSeconds renders a non-negative duration: below 1s with two
// decimals, below 2 minutes with one (so "74.2s", not "1m14s", for typical
// latencies), below an hour as minutes and seconds, else hours and minutes.
func formatSeconds(s float64) string {
	switch {
	case s < 0.995:
		return strconv.FormatFloat(s, 'f', 2, 64) + "s"
	case s < 119.95:
		return strconv.FormatFloat(s, 'f', 1, 64) + "s"
	}
	total := int64(math.Round(s))
	if total < 3600 {
		return fmt.Sprintf("%dm%02ds", total/60, total%60)
	}
	minutes := int64(math.Round(s / 60))
	return fmt.Sprintf("%dh%02dm", minutes/60, minutes%60)
}

// formatMetric renders "mean (lo..hi)", the mean alone for a single
// replication (no interval to speak of), or "n/a" without any value.
func formatMetric(m Metric, signed bool) string {
	var s string
	switch {
	case m.N == 0:
		return "n/a"
	case m.N == 1:
		s = formatValue(m.Unit, m.Mean, signed) + " (n=1)"
	default:
		s = formatValue(m.Unit, m.Mean, signed) + " (" + formatCI(m, signed) + ")"
	}
	if !knownUnit(m.Unit) && m.Unit != "" {
		s += " " + m.Unit
	}
	return s
}

func knownUnit(u string) bool {
	switch u {
	case UnitRatio, UnitSeconds, UnitCount, UnitPerExpertDay, UnitMinPerExpert, UnitMoney, UnitRel:
		return true
	}
	return false
}

// formatCI renders the interval as "lo..hi".
func formatCI(m Metric, signed bool) string {
	return formatValue(m.Unit, m.Lo, signed) + ".." + formatValue(m.Unit, m.Hi, signed)
}

// formatShare renders a ratio as a percentage with one decimal.
func formatShare(x float64) string { return formatValue(UnitRatio, x, false) }
