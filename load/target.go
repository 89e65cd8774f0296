package load

import (
	"context"
	"errors"
	"fmt"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TargetOptions drive an existing deployment: serve replicas started on
// their own and a `shadowq fake --experts N` they are configured against
// (shadowq fake --serve-config writes a matching serve configuration).
type TargetOptions struct {
	// Targets are the serve replicas' base URLs (http://host:port);
	// escalations go to them in turn, metrics are read from each.
	Targets []string
	// FakeAdmin is the fake's base URL; AdminToken its admin token.
	FakeAdmin, AdminToken string
	// APIToken is the Data Action bearer token serve expects.
	APIToken             string
	EventsPerSecond      float64       // [5000]
	EscalationsPerSecond float64       // [20]
	Duration             time.Duration // [30 s]
	// Warmup is generated presence changes before the measured phase
	// (no escalations, not measured): the first seconds after ready carry
	// serve's start-up work, such as the presence history reads [0].
	Warmup       time.Duration
	ReadyTimeout time.Duration // [5 min]
	DrainTimeout time.Duration // [20 s]
	Log          *slog.Logger
}

// Validate reports every problem with o at once.
func (o TargetOptions) Validate() error {
	var errs []error
	if len(o.Targets) == 0 {
		errs = append(errs, errors.New("--target: at least one serve URL"))
	}
	for _, t := range o.Targets {
		if !strings.HasPrefix(t, "http://") && !strings.HasPrefix(t, "https://") {
			errs = append(errs, fmt.Errorf("--target %q: want an http:// or https:// URL", t))
		}
	}
	if !strings.HasPrefix(o.FakeAdmin, "http://") && !strings.HasPrefix(o.FakeAdmin, "https://") {
		errs = append(errs, fmt.Errorf("--fake-admin %q: want the fake's http:// URL", o.FakeAdmin))
	}
	if o.AdminToken == "" {
		errs = append(errs, errors.New("the fake's admin token is missing: set SHADOWQ_FAKE_ADMIN_TOKEN or --admin-token"))
	}
	if o.Warmup < 0 {
		errs = append(errs, fmt.Errorf("--warmup %v: want 0 or more", o.Warmup))
	}
	if o.APIToken == "" {
		errs = append(errs, errors.New("the Data Action token is missing: set SHADOWQ_API_TOKEN"))
	}
	return errors.Join(errs...)
}

// RunTarget is Run against an existing deployment. The fake's presence
// generator (POST /_fake/presence/generate) makes the presence changes
// inside the fake's process. Staleness and the ingest rate come from
// serve's own metrics: shadowq_presence_event_lag_seconds, a histogram of
// presence events only (percentiles are read at its bucket bounds, 1 ms
// apart from 1 to 12 ms: an upper estimate; its count is the presence
// events applied — shadowq_presence_events_total also counts routing and
// conversation events),
// read before and after the measured phase and once a second for the
// series; decisions are timed here; delivered comes from the fake's
// delivery log.
func RunTarget(ctx context.Context, o TargetOptions) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	for i, t := range o.Targets {
		o.Targets[i] = strings.TrimSuffix(t, "/")
	}
	w := newAdminWorld(o.FakeAdmin, o.AdminToken)
	st, err := w.state(ctx)
	if err != nil {
		return nil, err
	}
	users := make([]string, len(st.Users))
	for i, u := range st.Users {
		users[i] = u.ID
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("the fake at %s has no users", o.FakeAdmin)
	}
	start := time.Now()
	if err := waitTargetsReady(ctx, o.Targets, o.ReadyTimeout); err != nil {
		return nil, err
	}
	res := &Result{ReadySeconds: time.Since(start).Seconds()}
	// The generator runs through the warm-up and the measured phase.
	end := time.Now().Add(o.Warmup + o.Duration)
	var wg sync.WaitGroup
	wg.Add(1)
	var gen fake.GenerateStatus
	var genErr error
	go func() {
		defer wg.Done()
		gen, genErr = generatePresence(ctx, w, o.EventsPerSecond, o.Warmup+o.Duration, end)
	}()
	if o.Warmup > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Warmup):
		}
	}
	before, err := scrapeAll(ctx, o.Targets)
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	wg.Add(1)
	var snaps []scrape
	go func() { defer wg.Done(); snaps = scrapeEverySecond(ctx, o.Targets, begin, end) }()
	esc := sendEscalations(ctx, w, SkillNames(), o.Targets, o.APIToken, o.EscalationsPerSecond, begin, end)
	wg.Wait()
	if genErr != nil {
		return nil, genErr
	}
	res.Generated = &gen
	time.Sleep(500 * time.Millisecond) // the last events land
	after, err := scrapeAll(ctx, o.Targets)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(begin)
	res.Escalations = esc.counts()
	if res.Escalations.Delivered, res.Escalations.Lost, err = drain(ctx, w, esc, o.DrainTimeout); err != nil {
		return nil, err
	}
	res.Decision = percentiles(esc.latencies)
	res.DecisionByAction = esc.byAction()
	lag := after.lag.minus(before.lag)
	res.Staleness = Percentiles{P50Ms: lag.quantileMs(0.5), P99Ms: lag.quantileMs(0.99)}
	res.EventsPerSecond = ingestRate(before, snaps, after, len(o.Targets), begin, elapsed)
	res.APICalls = map[string]int{}
	for c, n := range after.calls {
		res.APICalls[c] = n
	}
	res.DeliveryBudgetWaits = waitsOf(after.deliveryWait)
	esc.mu.Lock()
	res.Series = targetSeries(int(o.Duration/time.Second), len(o.Targets), before, snaps, esc.records, begin)
	esc.mu.Unlock()
	return res, nil
}

func (o TargetOptions) withDefaults() TargetOptions {
	d := Options{EventsPerSecond: o.EventsPerSecond, EscalationsPerSecond: o.EscalationsPerSecond, Duration: o.Duration,
		ReadyTimeout: o.ReadyTimeout, DrainTimeout: o.DrainTimeout, Log: o.Log}.withDefaults()
	o.EventsPerSecond, o.EscalationsPerSecond, o.Duration = d.EventsPerSecond, d.EscalationsPerSecond, d.Duration
	o.ReadyTimeout, o.DrainTimeout, o.Log = d.ReadyTimeout, d.DrainTimeout, d.Log
	return o
}

// waitTargetsReady polls every target's /readyz until all answer 200.
func waitTargetsReady(ctx context.Context, targets []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 5 * time.Second}
	for {
		var why error
		for _, t := range targets {
			req, err := http.NewRequestWithContext(ctx, "GET", t+"/readyz", nil)
			if err != nil {
				return err
			}
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("%s/readyz: HTTP %d", t, resp.StatusCode)
				}
			}
			if err != nil {
				why = err
				break
			}
		}
		if why == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// histogram is a cumulative Prometheus histogram: counts at upper bounds.
type histogram struct {
	bounds []float64 // seconds, ascending, +Inf excluded
	counts []float64 // cumulative, one per bound
	total  float64
}

func (h histogram) minus(o histogram) histogram {
	if len(o.counts) != len(h.counts) {
		return h
	}
	d := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts)), total: h.total - o.total}
	for i := range h.counts {
		d.counts[i] = h.counts[i] - o.counts[i]
	}
	return d
}

// quantileMs is the upper bound (ms) of the bucket holding quantile q;
// -1 without observations, +Inf's lower bound when past the last bucket.
func (h histogram) quantileMs(q float64) float64 {
	if h.total <= 0 {
		return -1
	}
	rank := q * h.total
	for i, c := range h.counts {
		if c >= rank {
			return h.bounds[i] * 1000
		}
	}
	if len(h.bounds) == 0 {
		return math.Inf(1)
	}
	return h.bounds[len(h.bounds)-1] * 1000
}

// add sums o into h (the same buckets: every replica runs the same build).
func (h *histogram) add(o histogram) {
	if len(h.bounds) == 0 {
		*h = histogram{bounds: o.bounds, counts: slices.Clone(o.counts), total: o.total}
		return
	}
	for i := range min(len(h.counts), len(o.counts)) {
		h.counts[i] += o.counts[i]
	}
	h.total += o.total
}

// scrape is what the targets' metrics said at one moment, summed.
type scrape struct {
	at     time.Time
	events float64
	lag    histogram
	calls  map[string]int
	// deliveryWait: how long delivery-class requests waited for a
	// budget slot (shadowq_genesys_budget_wait_seconds{class="delivery"}).
	deliveryWait histogram
}

func scrapeAll(ctx context.Context, targets []string) (scrape, error) {
	s := scrape{at: time.Now(), calls: map[string]int{}}
	for _, t := range targets {
		one, err := scrapeOne(ctx, t+"/metrics")
		if err != nil {
			return s, err
		}
		s.events += one.events
		s.lag.add(one.lag)
		s.deliveryWait.add(one.deliveryWait)
		for c, n := range one.calls {
			s.calls[c] += n
		}
	}
	return s, nil
}

func scrapeOne(ctx context.Context, url string) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return scrape{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scrape{}, fmt.Errorf("reading %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scrape{}, fmt.Errorf("reading %s: HTTP %d", url, resp.StatusCode)
	}
	s, err := parseMetrics(resp.Body)
	if err != nil {
		return s, fmt.Errorf("reading %s: %w", url, err)
	}
	return s, nil
}

// parseMetrics reads the figures a run needs from serve's Prometheus text
// exposition.
func parseMetrics(r io.Reader) (scrape, error) {
	s := scrape{calls: map[string]int{}}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return s, err
	}
	if f := fams["shadowq_presence_events_total"]; f != nil && len(f.Metric) > 0 {
		s.events = f.Metric[0].GetCounter().GetValue()
	}
	if f := fams["shadowq_presence_event_lag_seconds"]; f != nil && len(f.Metric) > 0 {
		s.lag = histogramOf(f.Metric[0].GetHistogram())
	}
	if f := fams["shadowq_genesys_api_calls_by_class_total"]; f != nil {
		for _, m := range f.Metric {
			if c := label(m, "class"); c != "" {
				s.calls[c] += int(m.GetCounter().GetValue())
			}
		}
	}
	if f := fams["shadowq_genesys_budget_wait_seconds"]; f != nil {
		for _, m := range f.Metric {
			if label(m, "class") == "delivery" {
				s.deliveryWait = histogramOf(m.GetHistogram())
			}
		}
	}
	return s, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// above is how many observations exceeded the bucket bound b (seconds).
func (h histogram) above(b float64) float64 {
	for i, ub := range h.bounds {
		if ub >= b {
			return h.total - h.counts[i]
		}
	}
	return 0
}

func histogramOf(h *dto.Histogram) histogram {
	var out histogram
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			continue
		}
		out.bounds = append(out.bounds, b.GetUpperBound())
		out.counts = append(out.counts, float64(b.GetCumulativeCount()))
	}
	out.total = float64(h.GetSampleCount())
	return out
}

// scrapeEverySecond reads the targets' metrics at each whole second of
// the measured phase; a failed read leaves a gap.
func scrapeEverySecond(ctx context.Context, targets []string, begin, end time.Time) []scrape {
	var out []scrape
	for i := 1; ; i++ {
		at := begin.Add(time.Duration(i) * time.Second)
		if at.After(end) || ctx.Err() != nil {
			return out
		}
		time.Sleep(time.Until(at))
		if s, err := scrapeAll(ctx, targets); err == nil {
			out = append(out, s)
		}
	}
}

// targetSeries turns the once-a-second reads into per-second rates and
// staleness p99 (bucket bounds), and adds the answers.
func targetSeries(n, replicas int, before scrape, snaps []scrape, answers []answer, begin time.Time) Series {
	s := buildSeries(n, replicas, nil, answers, begin)
	for i := range s.StalenessP99Ms {
		s.StalenessP99Ms[i] = -1
	}
	prev := before
	for _, cur := range snaps {
		i := secondOf(begin, cur.at.Add(-500*time.Millisecond))
		if i >= 0 && i < n {
			dt := cur.at.Sub(prev.at).Seconds()
			s.EventsPerSecond[i] = (cur.lag.total - prev.lag.total) / float64(max(1, replicas)) / max(dt, 1e-3)
			s.StalenessP99Ms[i] = cur.lag.minus(prev.lag).quantileMs(0.99)
		}
		prev = cur
	}
	return s
}

// waitsOf summarises the delivery-class budget waits.
func waitsOf(h histogram) BudgetWaits {
	return BudgetWaits{Requests: int(h.total), Over150ms: int(h.above(0.15)), Over1s: int(h.above(1))}
}

// generatePresence has the fake generate presence changes at rate for d
// and returns its count once the run is over (end).
func generatePresence(ctx context.Context, w *adminWorld, rate float64, d time.Duration, end time.Time) (fake.GenerateStatus, error) {
	var st fake.GenerateStatus
	req := fake.GenerateRequest{EventsPerSecond: rate, DurationMs: d.Milliseconds()}
	if err := w.do(ctx, "POST", "/_fake/presence/generate", req, &st); err != nil {
		return st, fmt.Errorf("starting the fake's presence generator: %w", err)
	}
	select {
	case <-ctx.Done():
		return st, ctx.Err()
	case <-time.After(time.Until(end)):
	}
	for {
		if err := w.do(ctx, "GET", "/_fake/presence/generate", nil, &st); err != nil {
			return st, fmt.Errorf("reading the fake's presence generator: %w", err)
		}
		if !st.Running || ctx.Err() != nil {
			return st, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ingestRate is the presence events applied per second and replica within
// the measured phase: up to the last once-a-second read (at its end), else
// up to after (which includes the half second for the last events to land,
// so it under-states the rate a little).
func ingestRate(before scrape, snaps []scrape, after scrape, replicas int, begin time.Time, elapsed time.Duration) float64 {
	last, dt := after, elapsed
	if n := len(snaps); n > 0 {
		last, dt = snaps[n-1], snaps[n-1].at.Sub(begin)
	}
	return (last.lag.total - before.lag.total) / float64(max(1, replicas)) / max(dt.Seconds(), 1e-3)
}
