package genesys

// Metrics receives the adapter's counters. The caller implements it (for
// example with Prometheus counters); embed NopMetrics to implement only
// some methods.
//
// Concurrency: methods are called from many goroutines at once and must
// not block.
type Metrics interface {
	// APICall counts one HTTP exchange with the Platform API or the login
	// service; status is 0 when no response arrived. op is the method and
	// path template ("GET /api/v2/users/presences/purecloud/bulk").
	APICall(op string, status int)
	// APIRetry counts a retry of op; reason is "429", "5xx", "401",
	// "transport" or "check" (an /assign re-check before re-issuing).
	APIRetry(op, reason string)
	// FeedEvents counts engine events handed to the feed's callback.
	FeedEvents(n int)
	// FeedDuplicates counts notification frames dropped as duplicates
	// (overlapping channels during a rollover, duplicated deliveries).
	FeedDuplicates(n int)
	// FeedReconnect counts a lost socket replaced by a new connection.
	FeedReconnect()
	// FeedRollover counts a planned move to a new channel (24 h, token
	// expiry, v2.system.socket_closing).
	FeedRollover()
	// FeedGap counts OnGap calls.
	FeedGap()
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) APICall(string, int)     {}
func (NopMetrics) APIRetry(string, string) {}
func (NopMetrics) FeedEvents(int)          {}
func (NopMetrics) FeedDuplicates(int)      {}
func (NopMetrics) FeedReconnect()          {}
func (NopMetrics) FeedRollover()           {}
func (NopMetrics) FeedGap()                {}
