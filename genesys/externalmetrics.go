package genesys

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// External metrics (Performance Management; shared/genesys-api.md §6 and
// §10): how `shadowq audit --publish` feeds per-expert daily values back
// into Genesys' own performance views.

// ExternalMetricDefinition is a metric definition (only the fields used).
type ExternalMetricDefinition struct {
	ID                   string `json:"id,omitempty"`
	Name                 string `json:"name"`
	Unit                 string `json:"unit"` // Seconds, Percent, Number, Currency
	Precision            int    `json:"precision"`
	DefaultObjectiveType string `json:"defaultObjectiveType"` // HigherIsBetter, LowerIsBetter, TargetArea
	Enabled              bool   `json:"enabled"`
}

// ExternalMetricItem is one value: a user's metric on one day.
type ExternalMetricItem struct {
	UserID       string  `json:"userId"`
	MetricID     string  `json:"metricId"`
	DateOccurred string  `json:"dateOccurred"` // yyyy-MM-dd
	Value        float64 `json:"value"`
	Count        int     `json:"count,omitempty"`
	// Type "Total" sets the day's value (publishing the same day again
	// replaces it: idempotent); "Cumulative" would add to it.
	Type string `json:"type"`
}

// maxMetricItems is the data endpoint's limit per request.
const maxMetricItems = 100

// ExternalMetricDefinitions lists the org's definitions (every page).
func (c *Client) ExternalMetricDefinitions(ctx context.Context) ([]ExternalMetricDefinition, error) {
	const op = "GET /api/v2/employeeperformance/externalmetrics/definitions"
	var out []ExternalMetricDefinition
	for page := 1; ; page++ {
		q := url.Values{"pageSize": {"100"}, "pageNumber": {fmt.Sprint(page)}}
		a, err := c.do(ctx, op, c.raw("GET", "/api/v2/employeeperformance/externalmetrics/definitions", q, nil))
		if err != nil {
			return out, err
		}
		var resp struct {
			Entities  []ExternalMetricDefinition `json:"entities"`
			PageCount int                        `json:"pageCount"`
		}
		if err := json.Unmarshal(a.body, &resp); err != nil {
			return out, fmt.Errorf("genesys: %s: decoding: %w", op, err)
		}
		out = append(out, resp.Entities...)
		if page >= resp.PageCount || len(resp.Entities) == 0 {
			return out, nil
		}
	}
}

// CreateExternalMetricDefinition creates d and returns it with its id.
func (c *Client) CreateExternalMetricDefinition(ctx context.Context, d ExternalMetricDefinition) (ExternalMetricDefinition, error) {
	const op = "POST /api/v2/employeeperformance/externalmetrics/definitions"
	body, _ := json.Marshal(d)
	a, err := c.do(ctx, op, c.raw("POST", "/api/v2/employeeperformance/externalmetrics/definitions", nil, body))
	if err != nil {
		return d, err
	}
	var got ExternalMetricDefinition
	if err := json.Unmarshal(a.body, &got); err != nil || got.ID == "" {
		return d, fmt.Errorf("genesys: %s: no id in the answer (%v)", op, err)
	}
	return got, nil
}

// PostExternalMetricData writes items, 100 a request. It stops at the
// first failure; the items before it were written.
func (c *Client) PostExternalMetricData(ctx context.Context, items []ExternalMetricItem) error {
	const op = "POST /api/v2/employeeperformance/externalmetrics/data"
	for lo := 0; lo < len(items); lo += maxMetricItems {
		body, _ := json.Marshal(map[string]any{"items": items[lo:min(lo+maxMetricItems, len(items))]})
		if _, err := c.do(ctx, op, c.raw("POST", "/api/v2/employeeperformance/externalmetrics/data", nil, body)); err != nil {
			return fmt.Errorf("items %d–%d: %w", lo, min(lo+maxMetricItems, len(items))-1, err)
		}
	}
	return nil
}
