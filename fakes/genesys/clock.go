package genesys

import (
	"math"
	"time"
)

// clock is the fake's time: the wall clock sped up by scale, or a clock the
// caller drives (Options.Now).
type clock struct {
	now       func() time.Time
	scale     float64
	realStart time.Time // carries the monotonic reading
	fakeStart time.Time
}

func newClock(now func() time.Time, scale float64) *clock {
	start := time.Now()
	return &clock{now: now, scale: scale, realStart: start, fakeStart: start.UTC().Truncate(time.Millisecond)}
}

// Now is the current fake time, in UTC.
func (c *clock) Now() time.Time {
	if c.now != nil {
		return c.now().UTC()
	}
	elapsed := time.Since(c.realStart)
	return c.fakeStart.Add(time.Duration(float64(elapsed) * c.scale))
}

// realDuration is how long a fake-clock span lasts on the wall clock.
func (c *clock) realDuration(fake time.Duration) time.Duration {
	if fake <= 0 {
		return 0
	}
	return time.Duration(float64(fake) / c.scale)
}

// realSeconds rounds a fake-clock span up to whole wall-clock seconds, at
// least 1: what Retry-After and inin-ratelimit-reset tell a client that
// runs on the wall clock.
func (c *clock) realSeconds(fake time.Duration) int {
	s := int(math.Ceil(c.realDuration(fake).Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// isoTime formats t the way the Platform API does (millisecond precision,
// "Z"); the Go SDK parses dates with the layout
// "2006-01-02T15:04:05.999999Z", so the zone must be a literal Z.
func isoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// isoPtr is isoTime for optional fields: the zero time is absent.
func isoPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := isoTime(t)
	return &s
}
