package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/audit"
	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/redisstore"
	"github.com/shadowq/shadowq/genesys"
	"github.com/shadowq/shadowq/serve"
	"github.com/shadowq/shadowq/serve/live"
)

const auditSynopsis = "shadowq audit [--since 14d | --from T --to T] [--out DIR] [--decisions FILE | REDIS_URL] [--config shadowq.yaml] [--export-decisions FILE] [--wfm-business-unit ID | --no-wfm] [--publish [--apply]]"

// auditFlags are `shadowq audit`'s flags.
type auditFlags struct {
	since, from, to        string
	out, decisions, config string
	prefix, export, bu     string
	noWFM, publish, apply  bool
	metricPrefix           string
}

// runAudit implements `shadowq audit`: read the decision log (Redis or an
// exported file) and Genesys' records for the window, write audit.json,
// audit.md and audit.html.
func runAudit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f auditFlags
	fs.StringVar(&f.since, "since", "14d", "window: the last DURATION (e.g. 14d, 36h); ignored with --from")
	fs.StringVar(&f.from, "from", "", "window start (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&f.to, "to", "", "window end (RFC 3339 or YYYY-MM-DD; default now)")
	fs.StringVar(&f.out, "out", "audit", "directory for audit.json, audit.md, audit.html")
	fs.StringVar(&f.decisions, "decisions", "", "decision-log export (JSON lines of decisions); default: read Redis (REDIS_URL or the config's redis.url)")
	fs.StringVar(&f.config, "config", "", "serve's config: its experts, queueId, redis url and prefix")
	fs.StringVar(&f.prefix, "prefix", "", "Redis key prefix (default the config's, else shadowq:)")
	fs.StringVar(&f.export, "export-decisions", "", "also write the decisions read to FILE (JSON lines), e.g. to archive them past Redis' retention")
	fs.StringVar(&f.bu, "wfm-business-unit", "", "WFM business unit id (default the org's first)")
	fs.BoolVar(&f.noWFM, "no-wfm", false, "do not read WFM schedules (scheduled meeting time unknown; nobody is scored)")
	fs.BoolVar(&f.publish, "publish", false, "write per-expert daily values as Genesys external metrics (dry run unless --apply)")
	fs.BoolVar(&f.apply, "apply", false, "with --publish: really write")
	fs.StringVar(&f.metricPrefix, "metric-prefix", "shadowq ", "with --publish: name prefix of the external metric definitions")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\nreads GENESYSCLOUD_REGION, GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET and REDIS_URL (unless --decisions)\n", auditSynopsis)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	from, to, err := auditWindow(f, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "shadowq audit: %v\n", err)
		return exitBadInput
	}
	if err := preflightAudit(f); err != nil {
		fmt.Fprintf(stderr, "shadowq audit: %v\n", err)
		return exitBadInput
	}
	ctx, stop := runContext()
	defer stop()
	in, client, err := gatherAudit(ctx, f, from, to, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq audit: %v\n", err)
		return exitFailed
	}
	rep := audit.Build(in)
	if err := audit.WriteFiles(f.out, rep); err != nil {
		fmt.Fprintf(stderr, "shadowq audit: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "shadowq audit: %d escalations (%d in Genesys' details), mode %s, %d experts, %d flagged → %s\n",
		rep.Escalations, rep.Joined, rep.Mode, len(rep.CherryPick.Experts), len(rep.CherryPick.Flagged), filepath.Join(f.out, "audit.{json,md,html}"))
	if f.publish {
		return publishAudit(ctx, client, rep, in, f, stdout, stderr)
	}
	return exitOK
}

// preflightAudit reports bad input before anything connects: missing
// credentials, no decision source, an unreadable decision file.
func preflightAudit(f auditFlags) error {
	var missing []string
	for _, v := range []string{"GENESYSCLOUD_REGION", "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET"} {
		if os.Getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("set %s", strings.Join(missing, ", "))
	}
	if f.decisions != "" {
		fh, err := os.Open(f.decisions)
		if err != nil {
			return fmt.Errorf("--decisions: %w", err)
		}
		return fh.Close()
	}
	if os.Getenv("REDIS_URL") == "" && f.config == "" {
		return errors.New("no decision log: set REDIS_URL (or name a config with redis.url), or pass --decisions FILE")
	}
	return nil
}

// auditWindow resolves --since / --from / --to.
func auditWindow(f auditFlags, now time.Time) (time.Time, time.Time, error) {
	to := now
	if f.to != "" {
		t, err := parseWhen(f.to)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--to: %w", err)
		}
		to = t
	}
	if f.from != "" {
		from, err := parseWhen(f.from)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--from: %w", err)
		}
		if !to.After(from) {
			return time.Time{}, time.Time{}, fmt.Errorf("--from %s is not before --to %s", f.from, to.Format(time.RFC3339))
		}
		return from, to, nil
	}
	d, err := parseSince(f.since)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--since: %w", err)
	}
	return to.Add(-d), to, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-11-30T09:00:00Z) or a date (2026-11-30)", s)
	}
	return t, nil
}

// parseSince reads a duration with an optional day suffix ("14d").
func parseSince(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days, e.g. 14d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration, e.g. 14d or 36h", s)
	}
	return d, nil
}

// gatherAudit reads everything the audit needs.
func gatherAudit(ctx context.Context, f auditFlags, from, to time.Time, stderr io.Writer) (*audit.Input, *genesys.Client, error) {
	var cfg *serve.Config
	if f.config != "" {
		c, err := serve.LoadConfig(f.config)
		if err != nil {
			return nil, nil, err
		}
		cfg = c
	}
	decs, err := readDecisions(ctx, f, cfg, from, to)
	if err != nil {
		return nil, nil, err
	}
	if f.export != "" {
		if err := writeDecisions(f.export, decs); err != nil {
			return nil, nil, fmt.Errorf("--export-decisions: %w", err)
		}
	}
	client, err := auditClient(live.EnvFromOS())
	if err != nil {
		return nil, nil, err
	}
	in := &audit.Input{From: from, To: to, Decisions: decs, Names: map[string]string{}, PresenceNames: map[string]string{}}
	if in.Conversations, err = client.ConversationDetails(ctx, from, to); err != nil {
		return nil, nil, err
	}
	pool := auditPool(ctx, client, cfg, in, stderr)
	if in.Presence, in.Routing, err = client.UserStatus(ctx, pool, from, to); err != nil {
		return nil, nil, err
	}
	// Names for the report: the org's users (the config's names win).
	if users, err := client.Users(ctx); err == nil {
		for _, u := range users {
			if in.Names[string(u.ID)] == "" && u.Name != "" {
				in.Names[string(u.ID)] = u.Name
			}
		}
	} else {
		fmt.Fprintf(stderr, "shadowq audit: users unavailable, experts shown by id: %v\n", err)
	}
	if defs, err := client.PresenceDefinitions(ctx); err == nil {
		for _, d := range defs {
			in.PresenceNames[string(d.ID)] = d.Label
		}
	} else {
		fmt.Fprintf(stderr, "shadowq audit: presence definitions unavailable, presences shown by system presence: %v\n", err)
	}
	if !f.noWFM {
		in.Schedules, err = client.Schedules(ctx, f.bu, pool, from, to)
		switch {
		case errors.Is(err, genesys.ErrNoWFM):
			fmt.Fprintf(stderr, "shadowq audit: no WFM schedules (%v): scheduled meeting time unknown, nobody scored\n", err)
		case err != nil:
			return nil, nil, err
		default:
			in.SchedulesKnown = true
		}
	}
	return in, client, nil
}

// auditPool is the experts to read: the config's (and its queue's
// members), everyone named in the decisions, everyone offered a
// conversation.
func auditPool(ctx context.Context, c *genesys.Client, cfg *serve.Config, in *audit.Input, stderr io.Writer) []engine.ExpertID {
	set := map[engine.ExpertID]bool{}
	if cfg != nil {
		for _, x := range cfg.Experts {
			set[engine.ExpertID(x.ID)] = true
			if x.Name != "" {
				in.Names[x.ID] = x.Name
			}
		}
		if cfg.QueueID != "" {
			ms, err := c.QueueMembers(ctx, cfg.QueueID)
			if err != nil {
				fmt.Fprintf(stderr, "shadowq audit: queue %s members: %v\n", cfg.QueueID, err)
			}
			for _, m := range ms {
				set[m.ID] = true
				in.Names[string(m.ID)] = m.Name
			}
		}
	}
	for _, d := range in.Decisions {
		for _, x := range []engine.ExpertID{d.Expert, d.HoldExpert} {
			if x != "" {
				set[x] = true
			}
		}
		for _, cd := range d.Candidates {
			set[cd.Expert] = true
		}
	}
	for _, cv := range in.Conversations {
		for _, o := range cv.Offers {
			set[engine.ExpertID(o.User)] = true
		}
	}
	out := make([]engine.ExpertID, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func auditClient(env live.Env) (*genesys.Client, error) {
	if env.Region == "" || env.ClientID == "" || env.ClientSecret == "" {
		return nil, errors.New("set GENESYSCLOUD_REGION, GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET")
	}
	api, err := genesys.BaseURL(env.Region)
	if err != nil {
		return nil, fmt.Errorf("GENESYSCLOUD_REGION: %w", err)
	}
	tm, err := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(api), ClientID: env.ClientID, ClientSecret: env.ClientSecret})
	if err != nil {
		return nil, err
	}
	return genesys.NewClient(genesys.Options{API: api, Tokens: tm})
}

// readDecisions reads the window's decisions from --decisions or Redis.
func readDecisions(ctx context.Context, f auditFlags, cfg *serve.Config, from, to time.Time) ([]engine.Decision, error) {
	if f.decisions != "" {
		return readDecisionFile(f.decisions, from, to)
	}
	url, prefix := os.Getenv("REDIS_URL"), "shadowq:"
	if cfg != nil {
		if url == "" {
			url = cfg.Redis.URL
		}
		prefix = cfg.Redis.Prefix
	}
	if f.prefix != "" {
		prefix = f.prefix
	}
	if url == "" {
		return nil, errors.New("no decision log: set REDIS_URL (or the config's redis.url), or pass --decisions FILE")
	}
	opt, err := redisstore.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	var out []engine.Decision
	err = redisstore.New(rc, prefix).ExportDecisions(ctx, from, to, func(d engine.Decision) error { out = append(out, d); return nil })
	return out, err
}

// readDecisionFile reads JSON lines of decisions, keeping the logs with a
// decision in [from, to); a bad line is an error naming file:line.
func readDecisionFile(path string, from, to time.Time) ([]engine.Decision, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var all []engine.Decision
	in := map[string]bool{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var d engine.Decision
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if !d.At.Before(from) && d.At.Before(to) {
			in[d.ConversationID] = true
		}
		all = append(all, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := all[:0]
	for _, d := range all {
		if in[d.ConversationID] {
			out = append(out, d)
		}
	}
	return out, nil
}

func writeDecisions(path string, ds []engine.Decision) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(fh)
	enc := json.NewEncoder(w)
	for i := range ds {
		if err := enc.Encode(&ds[i]); err != nil {
			fh.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
