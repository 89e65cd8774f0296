package genesys

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// External metrics (Performance Management, GamificationApi in the SDK;
// shared/genesys-api.md §6, §10): definitions and daily data points,
// kept in memory and shown in /_fake/state. A data point of type Total
// replaces the user's value for that metric and day; Cumulative adds to
// it (so publishing a day twice with Total is idempotent, as on the real
// service).

// ExternalMetricDefinition is a stored definition.
type ExternalMetricDefinition struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Unit                 string `json:"unit"`
	Precision            int    `json:"precision"`
	DefaultObjectiveType string `json:"defaultObjectiveType"`
	Enabled              bool   `json:"enabled"`
}

// ExternalMetricValue is one stored data point (after Total/Cumulative).
type ExternalMetricValue struct {
	UserID       string  `json:"userId"`
	MetricID     string  `json:"metricId"`
	DateOccurred string  `json:"dateOccurred"`
	Value        float64 `json:"value"`
	Writes       int     `json:"writes"` // data items received for this key
}

type externalMetrics struct {
	mu     sync.Mutex
	defs   []ExternalMetricDefinition
	values map[[3]string]*ExternalMetricValue // user, metric, date
}

type metricDefinitionBody struct {
	Name                 *string `json:"name"`
	Unit                 *string `json:"unit"`
	Precision            *int    `json:"precision"`
	DefaultObjectiveType *string `json:"defaultObjectiveType"`
	Enabled              *bool   `json:"enabled"`
}

type metricDataBody struct {
	Items []struct {
		UserID       *string  `json:"userId"`
		UserEmail    *string  `json:"userEmail"`
		MetricID     *string  `json:"metricId"`
		DateOccurred *string  `json:"dateOccurred"`
		Value        *float64 `json:"value"`
		Count        *int     `json:"count"`
		Type         *string  `json:"type"`
	} `json:"items"`
}

func (s *Server) handleMetricDefinitions(w http.ResponseWriter, r *http.Request, c *call) {
	s.xm.mu.Lock()
	defs := slices.Clone(s.xm.defs)
	s.xm.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"entities": defs, "pageSize": 100, "pageNumber": 1, "total": len(defs), "pageCount": 1})
}

func (s *Server) handleCreateMetricDefinition(w http.ResponseWriter, r *http.Request, c *call) {
	var b metricDefinitionBody
	if e := decodeBody(w, r, &b); e != nil {
		writeError(w, c, e)
		return
	}
	switch {
	case b.Name == nil || *b.Name == "":
		writeError(w, c, fieldError(codeBadRequest, "name", "name is required."))
		return
	case b.Unit == nil || !slices.Contains([]string{"Seconds", "Percent", "Number", "Currency"}, *b.Unit):
		writeError(w, c, fieldError(codeInvalidValue, "unit", "unit must be Seconds, Percent, Number or Currency."))
		return
	case b.Precision != nil && (*b.Precision < 0 || *b.Precision > 5):
		writeError(w, c, fieldError(codeInvalidValue, "precision", "precision must be within 0..5."))
		return
	}
	d := ExternalMetricDefinition{ID: s.ids.uuid(), Name: *b.Name, Unit: *b.Unit, DefaultObjectiveType: "HigherIsBetter", Enabled: true}
	if b.Precision != nil {
		d.Precision = *b.Precision
	}
	if b.DefaultObjectiveType != nil {
		d.DefaultObjectiveType = *b.DefaultObjectiveType
	}
	if b.Enabled != nil {
		d.Enabled = *b.Enabled
	}
	s.xm.mu.Lock()
	defer s.xm.mu.Unlock()
	for _, x := range s.xm.defs {
		if x.Name == d.Name {
			writeError(w, c, apiError(http.StatusConflict, "request.conflict", "An external metric definition named %q exists.", d.Name))
			return
		}
	}
	s.xm.defs = append(s.xm.defs, d)
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleMetricData(w http.ResponseWriter, r *http.Request, c *call) {
	var b metricDataBody
	if e := decodeBody(w, r, &b); e != nil {
		writeError(w, c, e)
		return
	}
	if len(b.Items) == 0 || len(b.Items) > 100 {
		writeError(w, c, fieldError(codeInvalidValue, "items", "%d items: between 1 and 100 are allowed.", len(b.Items)))
		return
	}
	s.xm.mu.Lock()
	defer s.xm.mu.Unlock()
	known := map[string]bool{}
	for _, d := range s.xm.defs {
		known[d.ID] = true
	}
	for i, it := range b.Items {
		field := func(f string) string { return fmt.Sprintf("items[%d].%s", i, f) }
		switch {
		case it.UserID == nil && it.UserEmail == nil:
			writeError(w, c, fieldError(codeBadRequest, field("userId"), "userId or userEmail is required."))
			return
		case it.MetricID == nil || !known[*it.MetricID]:
			writeError(w, c, fieldError(codeInvalidValue, field("metricId"), "metricId does not name an external metric definition."))
			return
		case it.DateOccurred == nil:
			writeError(w, c, fieldError(codeBadRequest, field("dateOccurred"), "dateOccurred is required (yyyy-MM-dd)."))
			return
		case it.Value == nil:
			writeError(w, c, fieldError(codeBadRequest, field("value"), "value is required."))
			return
		}
		if _, err := time.Parse("2006-01-02", *it.DateOccurred); err != nil {
			writeError(w, c, fieldError(codeInvalidValue, field("dateOccurred"), "dateOccurred %q is not a date (yyyy-MM-dd).", *it.DateOccurred))
			return
		}
		if it.Type != nil && *it.Type != "Total" && *it.Type != "Cumulative" {
			writeError(w, c, fieldError(codeInvalidValue, field("type"), "type must be Total or Cumulative."))
			return
		}
	}
	// Validated as a whole: all items are stored, or none.
	if s.xm.values == nil {
		s.xm.values = map[[3]string]*ExternalMetricValue{}
	}
	for _, it := range b.Items {
		user := ""
		if it.UserID != nil {
			user = *it.UserID
		} else {
			user = *it.UserEmail
		}
		k := [3]string{user, *it.MetricID, *it.DateOccurred}
		v := s.xm.values[k]
		if v == nil {
			v = &ExternalMetricValue{UserID: user, MetricID: *it.MetricID, DateOccurred: *it.DateOccurred}
			s.xm.values[k] = v
		}
		if it.Type != nil && *it.Type == "Cumulative" {
			v.Value += *it.Value
		} else {
			v.Value = *it.Value
		}
		v.Writes++
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(b.Items), "entities": b.Items})
}

// ExternalMetrics returns the stored definitions and values, values
// sorted by date, metric, user.
func (s *Server) ExternalMetrics() ([]ExternalMetricDefinition, []ExternalMetricValue) {
	s.xm.mu.Lock()
	defer s.xm.mu.Unlock()
	vals := make([]ExternalMetricValue, 0, len(s.xm.values))
	for _, v := range s.xm.values {
		vals = append(vals, *v)
	}
	slices.SortFunc(vals, func(a, b ExternalMetricValue) int {
		for _, p := range [][2]string{{a.DateOccurred, b.DateOccurred}, {a.MetricID, b.MetricID}, {a.UserID, b.UserID}} {
			if p[0] != p[1] {
				if p[0] < p[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
	return slices.Clone(s.xm.defs), vals
}
