package genesys

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The asynchronous conversation details jobs API (shared/genesys-api.md
// §10: "larger pulls go through the async jobs API: poll, then page
// results"):
//
//	POST /api/v2/analytics/conversations/details/jobs          → 202 {jobId}
//	GET  /api/v2/analytics/conversations/details/jobs/{jobId}  → {state: FULFILLED, expirationDate}
//	GET  …/jobs/{jobId}/results?cursor=&pageSize=              → {conversations, cursor}
//
// The fake runs the query when the job is submitted (the same checks and
// filters as the synchronous query, which it shares) and reports it
// FULFILLED at once; results come in pages of up to 1,000 (default
// 1,000; the real limits are unverified) with an opaque cursor, absent on
// the last page. Jobs expire after a day.

type detailsJob struct {
	convs   []AnalyticsConversation
	expires time.Time
}

type jobStore struct {
	mu   sync.Mutex
	jobs map[string]*detailsJob
}

const (
	jobPageDefault = 1000
	jobPageMax     = 1000
	jobTTL         = 24 * time.Hour
)

func (s *Server) handleDetailsJobCreate(w http.ResponseWriter, r *http.Request, c *call) {
	var q conversationQuery
	if e := decodeBody(w, r, &q); e != nil {
		writeError(w, c, e)
		return
	}
	// The job returns every match: paging belongs to the results.
	if q.Paging != nil {
		writeError(w, c, fieldError(codeInvalidValue, "paging", "paging is not allowed on a details job; page its results with cursor and pageSize."))
		return
	}
	resp, e := s.conversationDetailsAll(&q)
	if e != nil {
		writeError(w, c, e)
		return
	}
	id := s.ids.uuid()
	s.jobs.mu.Lock()
	if s.jobs.jobs == nil {
		s.jobs.jobs = map[string]*detailsJob{}
	}
	s.jobs.jobs[id] = &detailsJob{convs: resp, expires: s.clock.Now().Add(jobTTL)}
	s.jobs.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]string{"jobId": id})
}

func (s *Server) job(w http.ResponseWriter, r *http.Request, c *call) *detailsJob {
	id := r.PathValue("jobId")
	s.jobs.mu.Lock()
	j := s.jobs.jobs[id]
	if j != nil && s.clock.Now().After(j.expires) {
		delete(s.jobs.jobs, id)
		j = nil
	}
	s.jobs.mu.Unlock()
	if j == nil {
		writeError(w, c, notFound("analytics job", id))
	}
	return j
}

func (s *Server) handleDetailsJobStatus(w http.ResponseWriter, r *http.Request, c *call) {
	if j := s.job(w, r, c); j != nil {
		writeJSON(w, http.StatusOK, map[string]string{"state": "FULFILLED", "expirationDate": isoTime(j.expires)})
	}
}

func (s *Server) handleDetailsJobResults(w http.ResponseWriter, r *http.Request, c *call) {
	j := s.job(w, r, c)
	if j == nil {
		return
	}
	size, from := jobPageDefault, 0
	if v := r.URL.Query().Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > jobPageMax {
			writeError(w, c, fieldError(codeInvalidQueryParam, "pageSize", "pageSize %q is not a number in 1–%d.", v, jobPageMax))
			return
		}
		size = n
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 36, 64)
		if err != nil || n < 0 || int(n) > len(j.convs) {
			writeError(w, c, fieldError(codeInvalidQueryParam, "cursor", "cursor %q is not one this job gave out.", v))
			return
		}
		from = int(n)
	}
	to := min(from+size, len(j.convs))
	out := map[string]any{"conversations": j.convs[from:to]}
	if to < len(j.convs) {
		out["cursor"] = strconv.FormatInt(int64(to), 36)
	}
	writeJSON(w, http.StatusOK, out)
}
