package genesys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Request shapes of the two user analytics queries ([S] UserDetailsQuery,
// UserActivityQuery and their filters). Aggregations are accepted and not
// computed: the response carries no aggregations.

type userDetailsQuery struct {
	Interval                  *string           `json:"interval"`
	UserFilters               []detailFilter    `json:"userFilters"`
	PresenceFilters           []detailFilter    `json:"presenceFilters"`
	RoutingStatusFilters      []detailFilter    `json:"routingStatusFilters"`
	Order                     *string           `json:"order"`
	PresenceAggregations      []json.RawMessage `json:"presenceAggregations"`
	RoutingStatusAggregations []json.RawMessage `json:"routingStatusAggregations"`
	Paging                    *pagingSpec       `json:"paging"`
}

type detailFilter struct {
	Type       *string           `json:"type"`
	Clauses    []detailClause    `json:"clauses"`
	Predicates []detailPredicate `json:"predicates"`
}

type detailClause struct {
	Type       *string           `json:"type"`
	Predicates []detailPredicate `json:"predicates"`
}

type detailPredicate struct {
	Type      *string         `json:"type"`
	Dimension *string         `json:"dimension"`
	Operator  *string         `json:"operator"`
	Value     *string         `json:"value"`
	Range     json.RawMessage `json:"range"`
}

type pagingSpec struct {
	PageSize   *int `json:"pageSize"`
	PageNumber *int `json:"pageNumber"`
}

type userActivityQuery struct {
	Metrics []activityMetric `json:"metrics"`
	GroupBy []string         `json:"groupBy"`
	Filter  *activityFilter  `json:"filter"`
	Order   *string          `json:"order"`
}

type activityMetric struct {
	Metric  *string `json:"metric"`
	Details *bool   `json:"details"`
}

type activityFilter struct {
	Type       *string             `json:"type"`
	Clauses    []activityClause    `json:"clauses"`
	Predicates []activityPredicate `json:"predicates"`
}

type activityClause struct {
	Type       *string             `json:"type"`
	Predicates []activityPredicate `json:"predicates"`
}

type activityPredicate struct {
	Type      *string `json:"type"`
	Dimension *string `json:"dimension"`
	Operator  *string `json:"operator"`
	Value     *string `json:"value"`
}

// filter is the checked form of any analytics filter: predicates and
// clauses combined with and/or.
type filter struct {
	and     bool
	preds   []predicate
	clauses []filter
	// anyOf indexes an "or" of matches predicates on one dimension (anyDim)
	// by lower-cased value, the shape of a details query over 100 user
	// ids: match is then one lookup instead of up to 100 comparisons for
	// each of an org's users. Nil for other shapes.
	anyOf  map[string]struct{}
	anyDim string
}

type predicate struct {
	dim, op, value string
}

// match evaluates f; get returns a dimension's value and whether it exists.
func (f filter) match(get func(dim string) (string, bool)) bool {
	if len(f.preds) == 0 && len(f.clauses) == 0 {
		return true
	}
	if f.anyOf != nil {
		v, ok := get(f.anyDim)
		if !ok {
			return false
		}
		if _, hit := f.anyOf[strings.ToLower(v)]; hit || isASCII(v) {
			return hit // for ASCII, lower-casing is exactly EqualFold
		}
	}
	results := make([]bool, 0, len(f.preds)+len(f.clauses))
	for _, p := range f.preds {
		v, ok := get(p.dim)
		switch p.op {
		case "exists":
			results = append(results, ok)
		case "notExists":
			results = append(results, !ok)
		default:
			results = append(results, ok && strings.EqualFold(v, p.value))
		}
	}
	for _, c := range f.clauses {
		results = append(results, c.match(get))
	}
	if f.and {
		return !slices.Contains(results, false)
	}
	return slices.Contains(results, true)
}

// checkFilter validates one filter at path against the allowed
// dimensions.
func checkFilter(path string, typ *string, preds []predicate, predTypes []*string, clauses []filter, dims []string) (filter, *wire.ErrorBody) {
	f := filter{clauses: clauses}
	switch {
	case typ == nil:
		return f, fieldError(codeInvalidValue, path+".type", "%s.type is required: and or or.", path)
	case *typ == "and":
		f.and = true
	case *typ == "or":
	default:
		return f, fieldError(codeInvalidValue, path+".type", "%s.type %q is not and or or.", path, *typ)
	}
	for i, p := range preds {
		pp := fmt.Sprintf("%s.predicates[%d]", path, i)
		if t := predTypes[i]; t != nil && *t != "dimension" {
			return f, fieldError(codeInvalidValue, pp+".type", "%s.type %q is not supported; only dimension predicates are.", pp, *t)
		}
		if !slices.Contains(dims, p.dim) {
			return f, fieldError(codeInvalidValue, pp+".dimension", "%s.dimension %q is not one of %s.", pp, p.dim, strings.Join(dims, ", "))
		}
		switch p.op {
		case "", "matches":
			p.op = "matches"
			if p.value == "" {
				return f, fieldError(codeInvalidValue, pp+".value", "%s.value is required with operator matches.", pp)
			}
		case "exists", "notExists":
		default:
			return f, fieldError(codeInvalidValue, pp+".operator", "%s.operator %q is not matches, exists or notExists.", pp, p.op)
		}
		f.preds = append(f.preds, p)
	}
	f.indexAnyOf()
	return f, nil
}

// indexAnyOf sets anyOf when f is an "or" of at least 8 matches
// predicates on one dimension with ASCII values, and nothing else.
func (f *filter) indexAnyOf() {
	if f.and || len(f.clauses) > 0 || len(f.preds) < 8 {
		return
	}
	set := make(map[string]struct{}, len(f.preds))
	for _, p := range f.preds {
		if p.op != "matches" || p.dim != f.preds[0].dim || !isASCII(p.value) {
			return
		}
		set[strings.ToLower(p.value)] = struct{}{}
	}
	f.anyOf, f.anyDim = set, f.preds[0].dim
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (d detailFilter) check(path string, dims []string) (filter, *wire.ErrorBody) {
	var clauses []filter
	for i, c := range d.Clauses {
		cf, e := detailFilter{Type: c.Type, Predicates: c.Predicates}.check(fmt.Sprintf("%s.clauses[%d]", path, i), dims)
		if e != nil {
			return filter{}, e
		}
		clauses = append(clauses, cf)
	}
	preds := make([]predicate, len(d.Predicates))
	types := make([]*string, len(d.Predicates))
	for i, p := range d.Predicates {
		preds[i] = predicate{dim: deref(p.Dimension), op: deref(p.Operator), value: deref(p.Value)}
		types[i] = p.Type
		if len(p.Range) > 0 && string(p.Range) != "null" {
			pp := fmt.Sprintf("%s.predicates[%d]", path, i)
			return filter{}, fieldError(codeInvalidValue, pp+".range", "%s.range is not supported on the dimension %q.", pp, preds[i].dim)
		}
	}
	return checkFilter(path, d.Type, preds, types, clauses, dims)
}

func (a activityFilter) check(path string, dims []string) (filter, *wire.ErrorBody) {
	var clauses []filter
	for i, c := range a.Clauses {
		cf, e := activityFilter{Type: c.Type, Predicates: c.Predicates}.check(fmt.Sprintf("%s.clauses[%d]", path, i), dims)
		if e != nil {
			return filter{}, e
		}
		clauses = append(clauses, cf)
	}
	preds := make([]predicate, len(a.Predicates))
	types := make([]*string, len(a.Predicates))
	for i, p := range a.Predicates {
		preds[i] = predicate{dim: deref(p.Dimension), op: deref(p.Operator), value: deref(p.Value)}
		types[i] = p.Type
	}
	return checkFilter(path, a.Type, preds, types, clauses, dims)
}

// parseInterval reads "start/end" in ISO-8601.
func parseInterval(v *string) (time.Time, time.Time, *wire.ErrorBody) {
	if v == nil || *v == "" {
		return time.Time{}, time.Time{}, fieldError(codeBadRequest, "interval", "interval is required, e.g. 2025-01-01T00:00:00.000Z/2025-01-02T00:00:00.000Z.")
	}
	a, b, ok := strings.Cut(*v, "/")
	if !ok {
		return time.Time{}, time.Time{}, fieldError(codeInvalidDate, "interval", "interval %q is not start/end.", *v)
	}
	start, err1 := time.Parse(time.RFC3339Nano, a)
	end, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, fieldError(codeInvalidDate, "interval", "interval %q: both ends must be ISO-8601 date-times such as 2025-01-01T00:00:00.000Z.", *v)
	}
	if !end.After(start) {
		return time.Time{}, time.Time{}, fieldError(codeInvalidValue, "interval", "interval %q ends before it starts.", *v)
	}
	return start, end, nil
}

func parseOrder(v *string) (desc bool, e *wire.ErrorBody) {
	switch deref(v) {
	case "", "asc", "unordered":
		return false, nil
	case "desc":
		return true, nil
	default:
		return false, fieldError(codeInvalidValue, "order", "order %q is not asc, desc or unordered.", *v)
	}
}

// Response shapes ([S] AnalyticsUserDetailsQueryResponse).

type userDetailsResponse struct {
	UserDetails []userDetailJSON `json:"userDetails,omitempty"`
	TotalHits   int              `json:"totalHits"`
}

type userDetailJSON struct {
	UserID          string               `json:"userId"`
	PrimaryPresence []presenceRecordJSON `json:"primaryPresence,omitempty"`
	RoutingStatus   []routingRecordJSON  `json:"routingStatus,omitempty"`
}

type presenceRecordJSON struct {
	StartTime              string  `json:"startTime"`
	EndTime                *string `json:"endTime,omitempty"`
	SystemPresence         string  `json:"systemPresence"`
	OrganizationPresenceID string  `json:"organizationPresenceId"`
}

type routingRecordJSON struct {
	StartTime     string  `json:"startTime"`
	EndTime       *string `json:"endTime,omitempty"`
	RoutingStatus string  `json:"routingStatus"`
}

// Interval limits of the user details query (developer.genesys.cloud
// user-query): 7 days without filters, 31 with.
const (
	maxIntervalUnfiltered = 7 * 24 * time.Hour
	maxIntervalFiltered   = 31 * 24 * time.Hour
)

// handleUserDetailsQuery is POST /api/v2/analytics/users/details/query:
// each user's primary-presence and routing-status segments overlapping the
// interval (the open segment has no endTime), paged by user.
func (s *Server) handleUserDetailsQuery(w http.ResponseWriter, r *http.Request, c *call) {
	var q userDetailsQuery
	if e := decodeBody(w, r, &q); e != nil {
		writeError(w, c, e)
		return
	}
	resp, e := s.userDetails(&q)
	if e != nil {
		writeError(w, c, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) userDetails(q *userDetailsQuery) (*userDetailsResponse, *wire.ErrorBody) {
	start, end, e := parseInterval(q.Interval)
	if e != nil {
		return nil, e
	}
	desc, e := parseOrder(q.Order)
	if e != nil {
		return nil, e
	}
	size, number := 25, 1
	if q.Paging != nil {
		if p := q.Paging.PageSize; p != nil {
			if *p < 1 || *p > 100 {
				return nil, fieldError(codeInvalidValue, "paging.pageSize", "paging.pageSize %d is outside 1–100.", *p)
			}
			size = *p
		}
		if p := q.Paging.PageNumber; p != nil {
			if *p < 1 {
				return nil, fieldError(codeInvalidValue, "paging.pageNumber", "paging.pageNumber %d must be at least 1.", *p)
			}
			number = *p
		}
	}
	check := func(name string, list []detailFilter, dims []string) ([]filter, *wire.ErrorBody) {
		out := make([]filter, 0, len(list))
		for i, f := range list {
			cf, e := f.check(fmt.Sprintf("%s[%d]", name, i), dims)
			if e != nil {
				return nil, e
			}
			out = append(out, cf)
		}
		return out, nil
	}
	userF, e := check("userFilters", q.UserFilters, []string{"userId"})
	if e != nil {
		return nil, e
	}
	presF, e := check("presenceFilters", q.PresenceFilters, []string{"systemPresence", "organizationPresenceId"})
	if e != nil {
		return nil, e
	}
	routF, e := check("routingStatusFilters", q.RoutingStatusFilters, []string{"routingStatus"})
	if e != nil {
		return nil, e
	}
	limit := maxIntervalUnfiltered
	if len(userF)+len(presF)+len(routF) > 0 {
		limit = maxIntervalFiltered
	}
	if end.Sub(start) > limit {
		with := "without"
		if limit == maxIntervalFiltered {
			with = "with"
		}
		return nil, fieldError(codeInvalidValue, "interval", "The interval spans %.1f days; at most %d days are allowed %s filters.",
			end.Sub(start).Hours()/24, int(limit.Hours()/24), with)
	}
	all := func(fs []filter, get func(string) (string, bool)) bool {
		for _, f := range fs {
			if !f.match(get) {
				return false
			}
		}
		return true
	}
	overlaps := func(a, b time.Time) bool { return a.Before(end) && (b.IsZero() || b.After(start)) }

	var details []userDetailJSON
	s.mu.RLock()
	for _, u := range s.userOrder {
		if !all(userF, func(d string) (string, bool) { return u.ID, true }) {
			continue
		}
		d := userDetailJSON{UserID: u.ID}
		for _, seg := range u.presenceHist {
			if !overlaps(seg.start, seg.end) {
				continue
			}
			if !all(presF, func(dim string) (string, bool) {
				if dim == "systemPresence" {
					return seg.systemPresence, true
				}
				return seg.orgPresenceID, true
			}) {
				continue
			}
			d.PrimaryPresence = append(d.PrimaryPresence, presenceRecordJSON{
				StartTime: isoTime(seg.start), EndTime: isoPtr(seg.end),
				SystemPresence: seg.systemPresence, OrganizationPresenceID: seg.orgPresenceID,
			})
		}
		for _, seg := range u.routingHist {
			if !overlaps(seg.start, seg.end) {
				continue
			}
			if !all(routF, func(string) (string, bool) { return seg.status, true }) {
				continue
			}
			d.RoutingStatus = append(d.RoutingStatus, routingRecordJSON{
				StartTime: isoTime(seg.start), EndTime: isoPtr(seg.end), RoutingStatus: seg.status,
			})
		}
		if len(d.PrimaryPresence) > 0 || len(d.RoutingStatus) > 0 {
			details = append(details, d)
		}
	}
	s.mu.RUnlock()
	details = s.mergeHistory(details, start, end, userF, presF, routF)
	slices.SortFunc(details, func(a, b userDetailJSON) int { return strings.Compare(a.UserID, b.UserID) })
	if desc {
		slices.Reverse(details)
	}
	resp := &userDetailsResponse{TotalHits: len(details)}
	lo := min((number-1)*size, len(details))
	hi := min(lo+size, len(details))
	resp.UserDetails = details[lo:hi]
	return resp, nil
}

// Response shapes ([S] UserActivityResponse, UserActivityData,
// UserActivityEntityData, UserActivityMetricValue).

type userActivityResponse struct {
	Results           []activityResultJSON `json:"results,omitempty"`
	EntityIDDimension string               `json:"entityIdDimension"`
}

type activityResultJSON struct {
	Group     map[string]string    `json:"group"`
	Data      []activityMetricJSON `json:"data"`
	Truncated bool                 `json:"truncated"`
	Entities  []activityEntityJSON `json:"entities,omitempty"`
}

type activityMetricJSON struct {
	Metric string `json:"metric"`
	Count  int    `json:"count"`
}

type activityEntityJSON struct {
	ActivityDate           string `json:"activityDate"`
	UserID                 string `json:"userId"`
	QueueID                string `json:"queueId,omitempty"`
	QueueMembershipStatus  string `json:"queueMembershipStatus,omitempty"`
	RoutingStatus          string `json:"routingStatus"`
	RoutingStatusDate      string `json:"routingStatusDate"`
	SystemPresence         string `json:"systemPresence"`
	OrganizationPresenceID string `json:"organizationPresenceId"`
	PresenceDate           string `json:"presenceDate"`
}

var (
	activityMetrics = []string{"oActiveQueues", "oMemberQueues"}
	activityDims    = []string{"organizationPresenceId", "presenceDate", "queueId", "queueMembershipStatus",
		"routingStatus", "routingStatusDate", "systemPresence", "teamId", "userId"}
)

// handleUserActivityQuery is POST /api/v2/analytics/users/activity/query
// ?pageSize&pageNumber: a snapshot of every matching user's presence and
// routing status, one entity per queue membership (one without queueId for
// a user in no queue). Every member is counted as an active member of its
// queues (queue joining is not modelled).
func (s *Server) handleUserActivityQuery(w http.ResponseWriter, r *http.Request, c *call) {
	size, number, e := pageParams(r, 25, 100)
	if e != nil {
		writeError(w, c, e)
		return
	}
	var q userActivityQuery
	if e := decodeBody(w, r, &q); e != nil {
		writeError(w, c, e)
		return
	}
	resp, e := s.userActivity(&q, size, number)
	if e != nil {
		writeError(w, c, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) userActivity(q *userActivityQuery, size, number int) (*userActivityResponse, *wire.ErrorBody) {
	if len(q.Metrics) == 0 {
		return nil, fieldError(codeInvalidValue, "metrics", "metrics is required: one or more of %s.", strings.Join(activityMetrics, ", "))
	}
	details := false
	for i, m := range q.Metrics {
		if m.Metric == nil || !slices.Contains(activityMetrics, *m.Metric) {
			return nil, fieldError(codeInvalidValue, fmt.Sprintf("metrics[%d].metric", i), "metrics[%d].metric %q is not one of %s.", i, deref(m.Metric), strings.Join(activityMetrics, ", "))
		}
		if m.Details != nil && *m.Details {
			details = true
		}
	}
	if len(q.GroupBy) == 0 {
		return nil, fieldError(codeInvalidValue, "groupBy", "groupBy is required: [\"userId\"].")
	}
	for i, g := range q.GroupBy {
		if g != "userId" {
			return nil, fieldError(codeInvalidValue, fmt.Sprintf("groupBy[%d]", i), "groupBy[%d] %q is not userId.", i, g)
		}
	}
	desc, e := parseOrder(q.Order)
	if e != nil {
		return nil, e
	}
	f := filter{}
	if q.Filter != nil {
		if f, e = q.Filter.check("filter", activityDims); e != nil {
			return nil, e
		}
	}
	now := isoTime(s.clock.Now())
	var results []activityResultJSON
	s.mu.RLock()
	for _, u := range s.userOrder {
		base := activityEntityJSON{
			ActivityDate: now, UserID: u.ID, RoutingStatus: u.routing, RoutingStatusDate: isoTime(u.routingStart),
			SystemPresence: systemPresenceUpper(u.presence.SystemPresence), OrganizationPresenceID: u.presence.ID,
			PresenceDate: isoTime(u.presenceModified),
		}
		candidates := []activityEntityJSON{base}
		if len(u.queues) > 0 {
			candidates = candidates[:0]
			for _, qq := range u.queues {
				e := base
				e.QueueID, e.QueueMembershipStatus = qq.ID, "active"
				candidates = append(candidates, e)
			}
		}
		var matched []activityEntityJSON
		for _, ent := range candidates {
			if f.match(ent.dimension) {
				matched = append(matched, ent)
			}
		}
		if len(matched) == 0 {
			continue
		}
		queues := 0
		for _, ent := range matched {
			if ent.QueueID != "" {
				queues++
			}
		}
		res := activityResultJSON{Group: map[string]string{"userId": u.ID}}
		for _, m := range q.Metrics {
			res.Data = append(res.Data, activityMetricJSON{Metric: *m.Metric, Count: queues})
		}
		if details {
			res.Entities = matched
		}
		results = append(results, res)
	}
	s.mu.RUnlock()
	slices.SortFunc(results, func(a, b activityResultJSON) int { return strings.Compare(a.Group["userId"], b.Group["userId"]) })
	if desc {
		slices.Reverse(results)
	}
	lo := min((number-1)*size, len(results))
	hi := min(lo+size, len(results))
	return &userActivityResponse{Results: results[lo:hi], EntityIDDimension: "userId"}, nil
}

// dimension reads one filter dimension of an activity entity.
func (e activityEntityJSON) dimension(dim string) (string, bool) {
	var v string
	switch dim {
	case "userId":
		v = e.UserID
	case "queueId":
		v = e.QueueID
	case "queueMembershipStatus":
		v = e.QueueMembershipStatus
	case "routingStatus":
		v = e.RoutingStatus
	case "routingStatusDate":
		v = e.RoutingStatusDate
	case "systemPresence":
		v = e.SystemPresence
	case "organizationPresenceId":
		v = e.OrganizationPresenceID
	case "presenceDate":
		v = e.PresenceDate
	}
	return v, v != ""
}
