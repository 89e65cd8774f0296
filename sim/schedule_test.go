package sim

import "testing"

// TestConvIndexInvertsConvID: the shadowq arm finds escalations by
// parsing their conversation IDs, so every ID convID makes (six digits and
// past them) must give its index back, and strings it never makes none.
func TestConvIndexInvertsConvID(t *testing.T) {
	for _, i := range []int{0, 1, 9, 41, 999_998, 999_999, 1_000_000, 12_345_678} {
		if got := convIndex(convID(i)); got != i {
			t.Errorf("convIndex(%q) = %d, want %d", convID(i), got, i)
		}
	}
	for _, id := range []string{"", "esc-", "esc-00001", "esc-000000", "esc-00000x", "ESC-000001", "x-000001", "esc-1234567890123456789"} {
		if got := convIndex(id); got != -1 {
			t.Errorf("convIndex(%q) = %d, want -1", id, got)
		}
	}
}
