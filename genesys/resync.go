package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
	"github.com/shadowq/shadowq/engine"
)

// DefaultResyncInterval is how often the caller should Resync when nothing
// else prompts it (every gap the Feed reports prompts one too).
const DefaultResyncInterval = 60 * time.Second

// Chunk sizes: bulk presence takes at most 50 ids (400 max.user.presences
// beyond); GET /api/v2/users takes a page of ids.
const (
	presenceChunk = 50
	routingChunk  = 100
)

// resyncInFlight is how many chunk reads of each kind run at once: enough
// that the whole allowance is spent in seconds (a 10,000-expert resync is
// 200 bulk presence and 100 user reads), few enough not to swamp the
// connection pool.
const resyncInFlight = 8

// pacedInFlight is resyncInFlight for a periodic resync (Resyncer's
// ticker: nothing is known to be wrong): two chunk reads of each kind at
// a time instead of eight, so its CPU (decoding 300 responses at 10,000
// experts) is spread out instead of starving the engine's loop and the
// feed — in shadowq load the decisions' tail came from that burst. A
// triggered resync (start-up, a gap) still goes at full speed.
const pacedInFlight = 2

type inFlightKey struct{}

// withInFlight makes Resync with ctx read at most n chunks of each kind at
// once.
func withInFlight(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, inFlightKey{}, n)
}

// forChunks calls read for every chunk of ids, at most resyncInFlight (or
// ctx's withInFlight) at once, and joins their errors; it stops starting
// chunks once ctx ends.
func forChunks(ctx context.Context, ids []engine.ExpertID, size int, read func(chunk []engine.ExpertID) error) error {
	n := resyncInFlight
	if v, ok := ctx.Value(inFlightKey{}).(int); ok && v > 0 {
		n = v
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, n)
	)
	for chunk := range slices.Chunk(ids, size) {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := read(chunk); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil && len(errs) == 0 {
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// Resync reads the current presence and routing status of ids and returns
// them as one engine.Snapshot (At is when the read started).
//
// Sources, chosen for being per-user, current and cheap:
//
//   - presence: GET /api/v2/users/presences/purecloud/bulk, ≤ 50 ids a
//     request (net/http, repeated id parameters); PresenceSince is the
//     presence's modifiedDate.
//   - routing status: GET /api/v2/users?id=…&expand=routingStatus, ≤ 100
//     ids a request (SDK); RoutingSince is routingStatus.startTime. The
//     analytics activity query would give both at once, but it is an
//     analytics read (other permission, documented as a snapshot with its
//     own paging), while these are the plain user resources.
//
// The two reads run concurrently, up to resyncInFlight chunks of each at
// once, each request under the Client's budget (class resync) and retry
// policy. An expert appears in the
// snapshot only if its presence was read (a snapshot entry without a
// presence would clear it); one whose routing status was not read has a
// zero RoutingSince, meaning "no routing status in this snapshot".
//
// On error Resync still returns what it read, with an error joining every
// failure: applying a partial snapshot is safe, since it replaces only what
// it covers. ids may hold duplicates; the input is not modified.
func (c *Client) Resync(ctx context.Context, ids []engine.ExpertID) (engine.Snapshot, error) {
	snap := engine.Snapshot{At: c.now()}
	uniq := slices.Clone(ids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	if len(uniq) > 0 && uniq[0] == "" {
		uniq = uniq[1:]
	}
	if len(uniq) == 0 {
		return snap, nil
	}

	var (
		wg                  sync.WaitGroup
		presence            []presenceRead
		routing             map[engine.ExpertID]routingRead
		presErr, routingErr error
	)
	wg.Add(2)
	go func() { defer wg.Done(); presence, presErr = c.bulkPresence(ctx, uniq) }()
	go func() { defer wg.Done(); routing, routingErr = c.routingStatus(ctx, uniq) }()
	wg.Wait()

	snap.Entries = make([]engine.SnapshotEntry, 0, len(presence))
	for _, p := range presence {
		e := engine.SnapshotEntry{Expert: p.id, Presence: p.presence, PresenceSince: p.since}
		if r, ok := routing[p.id]; ok {
			e.Routing, e.RoutingSince = r.status, r.since
		}
		snap.Entries = append(snap.Entries, e)
	}
	slices.SortFunc(snap.Entries, func(a, b engine.SnapshotEntry) int {
		switch {
		case a.Expert < b.Expert:
			return -1
		case a.Expert > b.Expert:
			return 1
		}
		return 0
	})
	return snap, errors.Join(presErr, routingErr)
}

type presenceRead struct {
	id       engine.ExpertID
	presence engine.Presence
	since    time.Time
}

type bulkPresenceItem struct {
	UserID             string `json:"userId"`
	PresenceDefinition *struct {
		ID             string `json:"id"`
		SystemPresence string `json:"systemPresence"`
	} `json:"presenceDefinition"`
	ModifiedDate string `json:"modifiedDate"`
}

// bulkPresence reads presences in chunks; on a failed chunk it carries on
// with the others and reports every failure.
func (c *Client) bulkPresence(ctx context.Context, ids []engine.ExpertID) ([]presenceRead, error) {
	const op = "GET /api/v2/users/presences/purecloud/bulk"
	var (
		mu  sync.Mutex
		out = make([]presenceRead, 0, len(ids))
	)
	err := forChunks(ctx, ids, presenceChunk, func(chunk []engine.ExpertID) error {
		q := url.Values{}
		for _, id := range chunk {
			q.Add("id", string(id))
		}
		a, err := c.do(ctx, op, c.raw("GET", "/api/v2/users/presences/purecloud/bulk", q, nil))
		if err != nil {
			return fmt.Errorf("presence of %d users from %s: %w", len(chunk), chunk[0], err)
		}
		var items []bulkPresenceItem
		if err := json.Unmarshal(a.body, &items); err != nil {
			return fmt.Errorf("genesys: %s: decoding: %w", op, err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			if it.UserID == "" || it.PresenceDefinition == nil || it.PresenceDefinition.ID == "" {
				continue
			}
			sys, _ := engine.ParseSystemPresence(it.PresenceDefinition.SystemPresence)
			out = append(out, presenceRead{
				id:       engine.ExpertID(it.UserID),
				presence: engine.Presence{Def: engine.PresenceDefID(it.PresenceDefinition.ID), System: sys},
				since:    parseTime(it.ModifiedDate),
			})
		}
		return nil
	})
	return out, err
}

type routingRead struct {
	status engine.RoutingStatus
	since  time.Time
}

// routingStatus reads routing statuses through GET /api/v2/users with
// expand=routingStatus (SDK) in chunks.
func (c *Client) routingStatus(ctx context.Context, ids []engine.ExpertID) (map[engine.ExpertID]routingRead, error) {
	const op = "GET /api/v2/users"
	var mu sync.Mutex
	out := make(map[engine.ExpertID]routingRead, len(ids))
	err := forChunks(ctx, ids, routingChunk, func(chunk []engine.ExpertID) error {
		sids := make([]string, len(chunk))
		for i, id := range chunk {
			sids[i] = string(id)
		}
		var page *platformclientv2.Userentitylisting
		_, err := c.do(ctx, op, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
			v, res, err := platformclientv2.NewUsersApiWithConfig(cfg).GetUsers(len(sids), 1, sids, nil, "", []string{"routingStatus"}, "", "")
			page = v
			return res, err
		}))
		if err != nil {
			return fmt.Errorf("routing status of %d users from %s: %w", len(chunk), chunk[0], err)
		}
		if page == nil || page.Entities == nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		for _, u := range *page.Entities {
			if u.Id == nil || u.RoutingStatus == nil || u.RoutingStatus.Status == nil {
				continue
			}
			st, ok := engine.ParseRoutingStatus(*u.RoutingStatus.Status)
			if !ok {
				continue
			}
			r := routingRead{status: st}
			if u.RoutingStatus.StartTime != nil {
				r.since = *u.RoutingStatus.StartTime
			}
			out[engine.ExpertID(*u.Id)] = r
		}
		return nil
	})
	return out, err
}

// parseTime reads the ISO-8601 timestamps Genesys sends
// ("2024-05-01T10:00:00.000Z", with or without fraction or zone offset).
// Zero when empty or unreadable.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
