package genesys

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// historyUsersPerQuery keeps each details query well inside the API's
// limits (predicates per filter); historyPageSize is its page size.
const (
	historyUsersPerQuery = 100
	historyPageSize      = 100
)

// PresenceHistory reads the closed presence segments of the given users
// over [from, to) with POST /api/v2/analytics/users/details/query (an
// interval of at most 31 days with user filters), for the engine's
// micro-wait predictor (engine.PredictorFromHistory). Plain net/http:
// the body is a small fixed shape. The open, current segment of each user
// is skipped.
func (c *Client) PresenceHistory(ctx context.Context, ids []engine.ExpertID, from, to time.Time) ([]engine.PresenceSegment, error) {
	const op = "POST /api/v2/analytics/users/details/query"
	if to.Sub(from) > 31*24*time.Hour {
		return nil, fmt.Errorf("genesys: %s: interval longer than 31 days", op)
	}
	interval := from.UTC().Format("2006-01-02T15:04:05.000Z") + "/" + to.UTC().Format("2006-01-02T15:04:05.000Z")
	var segs []engine.PresenceSegment
	for lo := 0; lo < len(ids); lo += historyUsersPerQuery {
		chunk := ids[lo:min(lo+historyUsersPerQuery, len(ids))]
		type pred struct {
			Dimension string `json:"dimension"`
			Value     string `json:"value"`
		}
		preds := make([]pred, len(chunk))
		for i, id := range chunk {
			preds[i] = pred{Dimension: "userId", Value: string(id)}
		}
		for page := 1; ; page++ {
			body, err := json.Marshal(map[string]any{
				"interval":    interval,
				"order":       "asc",
				"userFilters": []map[string]any{{"type": "or", "predicates": preds}},
				"paging":      map[string]int{"pageSize": historyPageSize, "pageNumber": page},
			})
			if err != nil {
				return nil, err
			}
			a, err := c.do(ctx, op, c.raw("POST", "/api/v2/analytics/users/details/query", nil, body))
			if err != nil {
				return segs, fmt.Errorf("presence history page %d: %w", page, err)
			}
			var resp struct {
				UserDetails []userDetail `json:"userDetails"`
			}
			if err := json.Unmarshal(a.body, &resp); err != nil {
				return segs, fmt.Errorf("genesys: %s: decoding: %w", op, err)
			}
			for _, u := range resp.UserDetails {
				for _, p := range u.PrimaryPresence {
					if p.EndTime == nil {
						continue
					}
					sys, _ := engine.ParseSystemPresence(p.SystemPresence)
					segs = append(segs, engine.PresenceSegment{Def: engine.PresenceDefID(p.OrganizationPresenceID), System: sys,
						Start: p.StartTime, End: *p.EndTime})
				}
			}
			if len(resp.UserDetails) < historyPageSize {
				break
			}
		}
	}
	return segs, nil
}
