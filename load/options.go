// Package load is shadowq's load-testing harness (`shadowq load`): it
// starts the fake Genesys Cloud with N experts and K serve replicas
// in-process on loopback, pushes presence changes over the Notification
// API and escalations through the Data Action API at fixed rates, and
// reports what a user needs to size a deployment: time to ready, ingest
// rate, staleness, decision latency, and whether every "routed" answer was
// delivered — counted from the fake's own delivery log, not from serve's
// bookkeeping.
//
// Running and reporting are separate: Run returns a Result, which
// WriteTable and WriteJSON render and Check compares with thresholds.
package load

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	fake "github.com/shadowq/shadowq/fakes/genesys"
)

// Options configures a run. Zero values take the defaults in brackets.
type Options struct {
	Experts              int           // [1000]
	EventsPerSecond      float64       // presence changes a second at the fake [5000]
	EscalationsPerSecond float64       // [20]
	Duration             time.Duration // measured phase, after every replica is ready [30 s]
	Replicas             int           // serve replicas in-process [1]
	// OAuthClients is how many OAuth clients each replica uses [1]; the
	// fake limits requests per token (300 a minute, as Genesys does), so
	// each adds 300 requests a minute to a replica's budget.
	OAuthClients int
	// Faults are the fake's fault knobs (ParseFaults). The per-token rate
	// limit is on unless NoTokenRateLimit is set.
	Faults fake.Faults
	// RedisURL is the shared Redis; empty: one embedded miniredis for all
	// replicas.
	RedisURL string
	// ResyncInterval is the replicas' periodic full resync [1 min, as
	// serve's default].
	ResyncInterval time.Duration
	// Seed seeds the fake [1].
	Seed uint64
	// ReadyTimeout bounds the wait for every replica to be ready [5 min].
	ReadyTimeout time.Duration
	// DrainTimeout bounds the wait, after the run, for routed escalations
	// to show up in the fake's delivery log [20 s].
	DrainTimeout time.Duration
	Log          *slog.Logger // [discard]
}

func (o Options) withDefaults() Options {
	if o.Experts <= 0 {
		o.Experts = 1000
	}
	if o.EventsPerSecond <= 0 {
		o.EventsPerSecond = 5000
	}
	if o.EscalationsPerSecond <= 0 {
		o.EscalationsPerSecond = 20
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.OAuthClients <= 0 {
		o.OAuthClients = 1
	}
	if o.ResyncInterval <= 0 {
		o.ResyncInterval = time.Minute
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 5 * time.Minute
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 20 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Experts < 0 || o.Experts > 100000 {
		errs = append(errs, fmt.Errorf("--experts %d: must be within 1..100000", o.Experts))
	}
	if o.EventsPerSecond < 0 || o.EscalationsPerSecond < 0 {
		errs = append(errs, errors.New("--events-per-second and --escalations-per-second must not be negative"))
	}
	if o.Replicas < 0 || o.Replicas > 16 {
		errs = append(errs, fmt.Errorf("--replicas %d: must be within 1..16", o.Replicas))
	}
	if o.OAuthClients < 0 || o.OAuthClients > 9 {
		errs = append(errs, fmt.Errorf("--oauth-clients %d: must be within 1..9", o.OAuthClients))
	}
	return errors.Join(errs...)
}

// ParseFaults reads --faults: comma-separated name=value pairs naming the
// fake's fault knobs — rateLimitShare, serverErrorShare (0–1), latency,
// latencyJitter, assignDelay (durations), requestsPerMinute (the per-token
// limit, default 300) — and the bare name noTokenRateLimit.
func ParseFaults(s string) (fake.Faults, error) {
	f := fake.Faults{TokenRateLimit: true}
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	var errs []error
	for i, part := range strings.Split(s, ",") {
		name, val, hasVal := strings.Cut(strings.TrimSpace(part), "=")
		bad := func(err error) { errs = append(errs, fmt.Errorf("--faults item %d (%q): %w", i+1, part, err)) }
		dur := func(p *time.Duration) {
			d, err := time.ParseDuration(val)
			if err != nil {
				bad(err)
			}
			*p = d
		}
		share := func(p *float64) {
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || v < 0 || v > 1 {
				bad(errors.New("want a share within 0..1"))
			}
			*p = v
		}
		switch {
		case name == "noTokenRateLimit" && !hasVal:
			f.TokenRateLimit = false
		case !hasVal:
			bad(errors.New("want name=value"))
		case name == "rateLimitShare":
			share(&f.RateLimitShare)
		case name == "serverErrorShare":
			share(&f.ServerErrorShare)
		case name == "latency":
			dur(&f.Latency)
		case name == "latencyJitter":
			dur(&f.LatencyJitter)
		case name == "assignDelay":
			dur(&f.AssignDelay)
		case name == "requestsPerMinute":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				bad(errors.New("want a positive integer"))
			}
			f.RequestsPerMinute = n
		default:
			bad(errors.New("unknown fault; known: rateLimitShare, serverErrorShare, latency, latencyJitter, assignDelay, requestsPerMinute, noTokenRateLimit"))
		}
	}
	return f, errors.Join(errs...)
}
