package genesys

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// userDetail is one user's entry in a users/details/query page.
type userDetail struct {
	UserID          string `json:"userId"`
	PrimaryPresence []struct {
		StartTime              time.Time  `json:"startTime"`
		EndTime                *time.Time `json:"endTime"`
		SystemPresence         string     `json:"systemPresence"`
		OrganizationPresenceID string     `json:"organizationPresenceId"`
	} `json:"primaryPresence"`
	RoutingStatus []struct {
		StartTime     time.Time  `json:"startTime"`
		EndTime       *time.Time `json:"endTime"`
		RoutingStatus string     `json:"routingStatus"`
	} `json:"routingStatus"`
}

// userDetails reads the users' presence and routing-status segments over
// [from, to) with POST /api/v2/analytics/users/details/query: perQuery
// users and ≤ 31 days a query, pageSize a page. each sees every entry in
// order; chunkDone (when set) the number of users read so far after each
// group of perQuery users. Audit and calibration both read through it.
func (c *Client) userDetails(ctx context.Context, ids []string, from, to time.Time, perQuery, pageSize int,
	each func(userDetail), chunkDone func(done int)) error {
	const op = "POST /api/v2/analytics/users/details/query"
	type pred struct {
		Dimension string `json:"dimension"`
		Value     string `json:"value"`
	}
	for lo := 0; lo < len(ids); lo += perQuery {
		chunk := ids[lo:min(lo+perQuery, len(ids))]
		preds := make([]pred, len(chunk))
		for i, id := range chunk {
			preds[i] = pred{Dimension: "userId", Value: id}
		}
		for _, iv := range pieces(from, to, maxDetailInterval) {
			for page := 1; ; page++ {
				body, err := json.Marshal(map[string]any{"interval": isoInterval(iv[0], iv[1]), "order": "asc",
					"userFilters": []map[string]any{{"type": "or", "predicates": preds}},
					"paging":      map[string]int{"pageSize": pageSize, "pageNumber": page}})
				if err != nil {
					return err
				}
				a, err := c.do(ctx, op, c.raw("POST", "/api/v2/analytics/users/details/query", nil, body))
				if err != nil {
					return fmt.Errorf("user details page %d: %w", page, err)
				}
				var r struct {
					UserDetails []userDetail `json:"userDetails"`
				}
				if err := json.Unmarshal(a.body, &r); err != nil {
					return fmt.Errorf("genesys: %s: decoding: %w", op, err)
				}
				for _, u := range r.UserDetails {
					each(u)
				}
				if len(r.UserDetails) < pageSize {
					break
				}
			}
		}
		if chunkDone != nil {
			chunkDone(lo + len(chunk))
		}
	}
	return nil
}
