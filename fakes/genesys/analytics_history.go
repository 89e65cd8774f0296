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

// conversationQuery is the request of POST
// /api/v2/analytics/conversations/details/query ([S] ConversationQuery).
type conversationQuery struct {
	Interval            *string           `json:"interval"`
	ConversationFilters []detailFilter    `json:"conversationFilters"`
	SegmentFilters      []detailFilter    `json:"segmentFilters"`
	EvaluationFilters   []json.RawMessage `json:"evaluationFilters"`
	SurveyFilters       []json.RawMessage `json:"surveyFilters"`
	Order               *string           `json:"order"`
	OrderBy             *string           `json:"orderBy"`
	Aggregations        []json.RawMessage `json:"aggregations"`
	Paging              *pagingSpec       `json:"paging"`
}

type conversationQueryResponse struct {
	Conversations []AnalyticsConversation `json:"conversations,omitempty"`
	TotalHits     int                     `json:"totalHits"`
}

// maxConversationInterval is the details query's interval limit
// (shared/genesys-api.md §10).
const maxConversationInterval = 31 * 24 * time.Hour

var (
	conversationDims = []string{"conversationId", "originatingDirection", "divisionId"}
	segmentDims      = []string{"queueId", "userId", "purpose", "mediaType", "segmentType", "direction", "disconnectType", "requestedRoutingSkillId"}
)

// handleConversationDetailsQuery is POST
// /api/v2/analytics/conversations/details/query: the stored conversation
// detail records whose conversationStart lies in the interval (at most 31
// days), filtered, ordered by conversationStart and paged (pageSize ≤ 100,
// default 25). The real service matches conversations that started on a
// day the interval touches; the fake matches the interval exactly, so
// contiguous intervals never return a conversation twice.
func (s *Server) handleConversationDetailsQuery(w http.ResponseWriter, r *http.Request, c *call) {
	var q conversationQuery
	if e := decodeBody(w, r, &q); e != nil {
		writeError(w, c, e)
		return
	}
	resp, e := s.conversationDetails(&q)
	if e != nil {
		writeError(w, c, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) conversationDetails(q *conversationQuery) (*conversationQueryResponse, *wire.ErrorBody) {
	desc, e := parseOrder(q.Order)
	if e != nil {
		return nil, e
	}
	if ob := deref(q.OrderBy); ob != "" && ob != "conversationStart" {
		return nil, fieldError(codeInvalidValue, "orderBy", "orderBy %q is not supported by the fake; only conversationStart is.", ob)
	}
	size, number, e := bodyPaging(q.Paging)
	if e != nil {
		return nil, e
	}
	hits, e := s.conversationDetailsAll(q)
	if e != nil {
		return nil, e
	}
	if desc {
		slices.Reverse(hits)
	}
	resp := &conversationQueryResponse{TotalHits: len(hits)}
	lo := min((number-1)*size, len(hits))
	hi := min(lo+size, len(hits))
	resp.Conversations = hits[lo:hi]
	return resp, nil
}

// conversationDetailsAll checks a query's interval and filters and
// returns every match in start order (paging is the caller's).
func (s *Server) conversationDetailsAll(q *conversationQuery) ([]AnalyticsConversation, *wire.ErrorBody) {
	start, end, e := parseInterval(q.Interval)
	if e != nil {
		return nil, e
	}
	if end.Sub(start) > maxConversationInterval {
		return nil, fieldError(codeInvalidValue, "interval", "The interval spans %.1f days; a conversation details query may span at most 31 days (split it).",
			end.Sub(start).Hours()/24)
	}
	var convF, segF []filter
	for i, f := range q.ConversationFilters {
		cf, e := f.check(fmt.Sprintf("conversationFilters[%d]", i), conversationDims)
		if e != nil {
			return nil, e
		}
		convF = append(convF, cf)
	}
	for i, f := range q.SegmentFilters {
		cf, e := f.check(fmt.Sprintf("segmentFilters[%d]", i), segmentDims)
		if e != nil {
			return nil, e
		}
		segF = append(segF, cf)
	}
	var hits []AnalyticsConversation
	for _, cv := range s.history.conversationsStarting(start, end) {
		if matchConversation(&cv, convF, segF, s.org.DivisionID) {
			hits = append(hits, cv)
		}
	}
	return hits, nil
}

// bodyPaging reads a body's paging block: pageSize 1–100 (default 25),
// pageNumber ≥ 1.
func bodyPaging(p *pagingSpec) (size, number int, e *wire.ErrorBody) {
	size, number = 25, 1
	if p == nil {
		return size, number, nil
	}
	if v := p.PageSize; v != nil {
		if *v < 1 || *v > 100 {
			return 0, 0, fieldError(codeInvalidValue, "paging.pageSize", "paging.pageSize %d is outside 1–100.", *v)
		}
		size = *v
	}
	if v := p.PageNumber; v != nil {
		if *v < 1 {
			return 0, 0, fieldError(codeInvalidValue, "paging.pageNumber", "paging.pageNumber %d must be at least 1.", *v)
		}
		number = *v
	}
	return size, number, nil
}

// matchConversation: every conversation filter matches the conversation,
// and every segment filter matches some segment (with its session's and
// participant's dimensions).
func matchConversation(cv *AnalyticsConversation, convF, segF []filter, division string) bool {
	for _, f := range convF {
		if !f.match(func(dim string) (string, bool) {
			switch dim {
			case "conversationId":
				return cv.ConversationID, true
			case "originatingDirection":
				return cv.OriginatingDirection, cv.OriginatingDirection != ""
			case "divisionId":
				return division, true
			}
			return "", false
		}) {
			return false
		}
	}
	for _, f := range segF {
		if !anySegment(cv, f) {
			return false
		}
	}
	return true
}

func anySegment(cv *AnalyticsConversation, f filter) bool {
	for _, p := range cv.Participants {
		for _, ss := range p.Sessions {
			for _, g := range ss.Segments {
				get := func(dim string) (string, bool) {
					var v string
					switch dim {
					case "queueId":
						v = g.QueueID
					case "userId":
						v = p.UserID
					case "purpose":
						v = p.Purpose
					case "mediaType":
						v = ss.MediaType
					case "segmentType":
						v = g.SegmentType
					case "direction":
						v = ss.Direction
					case "disconnectType":
						v = g.DisconnectType
					case "requestedRoutingSkillId":
						v = strings.Join(g.RequestedRoutingSkillIDs, ",")
					}
					return v, v != ""
				}
				if f.match(get) {
					return true
				}
			}
		}
	}
	return false
}

// mergeHistory adds the stored history's segments to the user details
// query's answer (before paging): users only in history (deleted since)
// are included, as the real service keeps their records.
func (s *Server) mergeHistory(details []userDetailJSON, start, end time.Time, userF, presF, routF []filter) []userDetailJSON {
	byUser := map[string]int{}
	for i, d := range details {
		byUser[d.UserID] = i
	}
	all := func(fs []filter, get func(string) (string, bool)) bool {
		for _, f := range fs {
			if !f.match(get) {
				return false
			}
		}
		return true
	}
	for _, id := range s.history.userIDs() {
		if !all(userF, func(string) (string, bool) { return id, true }) {
			continue
		}
		ps, rs := s.history.segments(id, start, end)
		var d userDetailJSON
		for _, p := range ps {
			if !all(presF, func(dim string) (string, bool) {
				if dim == "systemPresence" {
					return p.SystemPresence, true
				}
				return p.OrganizationPresenceID, true
			}) {
				continue
			}
			d.PrimaryPresence = append(d.PrimaryPresence, presenceRecordJSON{StartTime: isoTime(p.Start), EndTime: isoPtr(p.End),
				SystemPresence: p.SystemPresence, OrganizationPresenceID: p.OrganizationPresenceID})
		}
		for _, r := range rs {
			if !all(routF, func(string) (string, bool) { return r.Status, true }) {
				continue
			}
			d.RoutingStatus = append(d.RoutingStatus, routingRecordJSON{StartTime: isoTime(r.Start), EndTime: isoPtr(r.End), RoutingStatus: r.Status})
		}
		if len(d.PrimaryPresence) == 0 && len(d.RoutingStatus) == 0 {
			continue
		}
		if i, ok := byUser[id]; ok {
			// History comes before what the fake recorded live.
			details[i].PrimaryPresence = append(d.PrimaryPresence, details[i].PrimaryPresence...)
			details[i].RoutingStatus = append(d.RoutingStatus, details[i].RoutingStatus...)
			continue
		}
		d.UserID = id
		byUser[id] = len(details)
		details = append(details, d)
	}
	return details
}
