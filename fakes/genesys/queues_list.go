package genesys

import (
	"net/http"
	"slices"
	"strings"
)

type queueListJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	MemberCount int    `json:"memberCount"`
	SelfURI     string `json:"selfUri"`
}

// handleQueues is GET /api/v2/routing/queues?name=&pageSize=&pageNumber=:
// the org's queues sorted by name, paged (pageSize ≤ 500, default 25);
// name matches case-insensitively, with a leading or trailing * as a
// wildcard (the real parameter allows both).
func (s *Server) handleQueues(w http.ResponseWriter, r *http.Request, c *call) {
	size, number, e := pageParams(r, 25, 500)
	if e != nil {
		writeError(w, c, e)
		return
	}
	name := strings.ToLower(r.URL.Query().Get("name"))
	match := func(n string) bool {
		n = strings.ToLower(n)
		switch {
		case name == "":
			return true
		case strings.HasPrefix(name, "*") && strings.HasSuffix(name, "*") && len(name) > 1:
			return strings.Contains(n, name[1:len(name)-1])
		case strings.HasPrefix(name, "*"):
			return strings.HasSuffix(n, name[1:])
		case strings.HasSuffix(name, "*"):
			return strings.HasPrefix(n, name[:len(name)-1])
		}
		return n == name
	}
	var all []queueListJSON
	for _, q := range s.org.Queues {
		if match(q.Name) {
			all = append(all, queueListJSON{ID: q.ID, Name: q.Name, MemberCount: len(q.Members), SelfURI: "/api/v2/routing/queues/" + q.ID})
		}
	}
	slices.SortFunc(all, func(a, b queueListJSON) int { return strings.Compare(a.Name, b.Name) })
	lo := min((number-1)*size, len(all))
	hi := min(lo+size, len(all))
	writeJSON(w, http.StatusOK, map[string]any{"entities": all[lo:hi], "pageSize": size, "pageNumber": number, "total": len(all),
		"pageCount": (len(all) + size - 1) / size})
}
