package genesys

import "testing"

// Analytics reads are history even when their path names conversations;
// counting them as deliveries made a calibration's conversation pages
// look like escalation load and starve its own history reads.
func TestClassOfAnalytics(t *testing.T) {
	for op, want := range map[string]Class{
		"POST /api/v2/analytics/conversations/details/query": ClassHistory,
		"POST /api/v2/analytics/users/details/query":         ClassHistory,
		"POST /api/v2/conversations/{conversationId}/assign": ClassDelivery,
		"GET /api/v2/users": ClassResync,
	} {
		if got := classOf(op); got != want {
			t.Errorf("classOf(%q) = %v, want %v", op, got, want)
		}
	}
}
