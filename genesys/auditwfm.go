package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/shadowq/shadowq/audit"
	"github.com/shadowq/shadowq/engine"
)

// Schedules reads the users' scheduled WFM activities over [from, to):
// the business unit (buID, or the org's first), its activity codes (for
// each activity's category: Meeting, Break, ...), then
// POST .../agentschedules/search (100 users, 31 days a search). An org
// without WFM answers 403 or 404: the error then wraps ErrNoWFM. A search
// answered asynchronously (status other than Complete) is an error: this
// reader does not poll downloadUrl yet.
func (c *Client) Schedules(ctx context.Context, buID string, ids []engine.ExpertID, from, to time.Time) ([]audit.Activity, error) {
	noWFM := func(err error) error {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound) {
			return fmt.Errorf("%w: %v", ErrNoWFM, err)
		}
		return err
	}
	if buID == "" {
		a, err := c.do(ctx, "GET /api/v2/workforcemanagement/businessunits", c.raw("GET", "/api/v2/workforcemanagement/businessunits", nil, nil))
		if err != nil {
			return nil, noWFM(err)
		}
		var bus struct {
			Entities []struct{ ID string } `json:"entities"`
		}
		if err := json.Unmarshal(a.body, &bus); err != nil || len(bus.Entities) == 0 {
			return nil, fmt.Errorf("%w: no business unit (%v)", ErrNoWFM, err)
		}
		buID = bus.Entities[0].ID
	}
	base := "/api/v2/workforcemanagement/businessunits/" + url.PathEscape(buID)
	a, err := c.do(ctx, "GET /api/v2/workforcemanagement/businessunits/{buId}/activitycodes", c.raw("GET", base+"/activitycodes", nil, nil))
	if err != nil {
		return nil, noWFM(err)
	}
	var codes struct {
		Entities []struct{ ID, Category string } `json:"entities"`
	}
	if err := json.Unmarshal(a.body, &codes); err != nil {
		return nil, fmt.Errorf("genesys: activity codes: decoding: %w", err)
	}
	category := map[string]string{}
	for _, e := range codes.Entities {
		category[e.ID] = e.Category
	}
	var out []audit.Activity
	for _, iv := range pieces(from, to, maxDetailInterval) {
		for lo := 0; lo < len(ids); lo += historyUsersPerQuery {
			acts, err := c.scheduleActivities(ctx, base, ids[lo:min(lo+historyUsersPerQuery, len(ids))], iv[0], iv[1], category)
			if err != nil {
				return out, noWFM(err)
			}
			out = append(out, acts...)
		}
	}
	return out, nil
}

func (c *Client) scheduleActivities(ctx context.Context, base string, ids []engine.ExpertID, from, to time.Time, category map[string]string) ([]audit.Activity, error) {
	op := scheduleSearchOp
	users := make([]string, len(ids))
	for i, id := range ids {
		users[i] = string(id)
	}
	a, err := c.scheduleSearch(ctx, base, users, from, to)
	if err != nil {
		return nil, err
	}
	var resp scheduleSearchAnswer
	if err := json.Unmarshal(a.body, &resp); err != nil {
		return nil, fmt.Errorf("genesys: %s: decoding: %w", op, err)
	}
	if resp.Result == nil {
		return nil, fmt.Errorf("genesys: %s: answered %q without a result (asynchronous searches are not read yet)", op, resp.Status)
	}
	var out []audit.Activity
	for _, s := range resp.Result.AgentSchedules {
		for _, sh := range s.Shifts {
			// The shift itself: the audit scores only experts with one.
			out = append(out, audit.Activity{User: s.User.ID, Start: sh.StartDate, End: sh.StartDate.Add(time.Duration(sh.LengthMinutes) * time.Minute),
				Category: audit.CategoryShift})
			for _, x := range sh.Activities {
				out = append(out, audit.Activity{User: s.User.ID, Start: x.StartDate, End: x.StartDate.Add(time.Duration(x.LengthMinutes) * time.Minute),
					Category: category[x.ActivityCodeID]})
			}
		}
	}
	return out, nil
}
