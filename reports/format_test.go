package reports

import (
	"math"
	"slices"
	"testing"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		unit   string
		x      float64
		signed bool
		want   string
	}{
		{UnitRatio, 0.834, false, "83.4%"},
		{UnitRatio, 0.12, true, "+12.0 pp"},
		{UnitRatio, -0.0004, true, "0.0 pp"}, // rounds to zero: no sign
		{UnitRel, 0.172, true, "+17.2%"},
		{UnitRel, -0.15, true, "-15.0%"},
		{UnitSeconds, 0.42, false, "0.42s"},
		{UnitSeconds, 1.23, false, "1.2s"},
		{UnitSeconds, 74.24, false, "74.2s"},
		{UnitSeconds, 119.96, false, "2m00s"},
		{UnitSeconds, 184, false, "3m04s"},
		{UnitSeconds, 3599.6, false, "1h00m"},
		{UnitSeconds, 7530, false, "2h06m"},
		{UnitSeconds, -30, true, "-30.0s"},
		{UnitSeconds, 30, true, "+30.0s"},
		{UnitCount, 57.64, false, "57.6"},
		{UnitPerExpertDay, 0.4, false, "0.40"},
		{"widgets", 1234.5, false, "1234.5"},
		{UnitSeconds, math.NaN(), false, "NaN"},
	} {
		if got := formatValue(tc.unit, tc.x, tc.signed); got != tc.want {
			t.Errorf("formatValue(%q, %v, %v) = %q, want %q", tc.unit, tc.x, tc.signed, got, tc.want)
		}
	}
}

func TestCompareIDs(t *testing.T) {
	ids := []string{"e10", "e2", "b", "e1", "e02", "a10", "a9", "e", ""}
	slices.SortFunc(ids, compareIDs)
	want := []string{"", "a9", "a10", "b", "e", "e1", "e02", "e2", "e10"}
	if !slices.Equal(ids, want) {
		t.Errorf("got %q, want %q", ids, want)
	}
	if compareIDs("e2", "e02") == 0 {
		t.Error("e2 and e02 compare equal; the order must be total")
	}
}
