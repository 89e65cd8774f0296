package genesys

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// userJSON is [S] User, with the expands the fake supports.
type userJSON struct {
	ID            string             `json:"id"`
	Name          string             `json:"name"`
	Division      namedEntity        `json:"division"`
	Chat          chatJSON           `json:"chat"`
	Email         string             `json:"email,omitempty"`
	State         string             `json:"state"`
	Title         string             `json:"title,omitempty"`
	Username      string             `json:"username,omitempty"`
	Version       int                `json:"version"`
	AcdAutoAnswer bool               `json:"acdAutoAnswer"`
	RoutingStatus *routingStatusJSON `json:"routingStatus,omitempty"`
	Presence      *userPresenceJSON  `json:"presence,omitempty"`
	Skills        *[]userSkillJSON   `json:"skills,omitempty"`
	SelfURI       string             `json:"selfUri"`
}

type chatJSON struct {
	JabberID string `json:"jabberId"`
}

// routingStatusJSON is [S] RoutingStatus.
type routingStatusJSON struct {
	UserID    string `json:"userId"`
	Status    string `json:"status"`
	StartTime string `json:"startTime"`
}

// userSkillJSON is [S] UserRoutingSkill.
type userSkillJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Proficiency float64 `json:"proficiency"`
	State       string  `json:"state"`
	SkillURI    string  `json:"skillUri"`
	SelfURI     string  `json:"selfUri"`
}

// listing is the Platform API's paged entity listing.
type listing[T any] struct {
	Entities    []T    `json:"entities"`
	PageSize    int    `json:"pageSize"`
	PageNumber  int    `json:"pageNumber"`
	Total       int    `json:"total"`
	FirstURI    string `json:"firstUri"`
	SelfURI     string `json:"selfUri"`
	NextURI     string `json:"nextUri,omitempty"`
	PreviousURI string `json:"previousUri,omitempty"`
	LastURI     string `json:"lastUri"`
	PageCount   int    `json:"pageCount"`
}

// page cuts one page out of all and fills the listing's URIs.
func page[T any](r *http.Request, all []T, size, number int) listing[T] {
	total := len(all)
	count := (total + size - 1) / size
	lo := min((number-1)*size, total)
	hi := min(lo+size, total)
	uri := func(n int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("pageSize", strconv.Itoa(size))
		q.Set("pageNumber", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	l := listing[T]{
		Entities: append([]T{}, all[lo:hi]...), PageSize: size, PageNumber: number, Total: total,
		FirstURI: uri(1), SelfURI: uri(number), LastURI: uri(max(count, 1)), PageCount: count,
	}
	if number < count {
		l.NextURI = uri(number + 1)
	}
	if number > 1 && number <= count+1 {
		l.PreviousURI = uri(number - 1)
	}
	return l
}

// userExpands are the expand values of GET /api/v2/users in the API's
// swagger; the fake fills presence, routingStatus and skills and accepts
// (and ignores) the rest.
var userExpands = []string{
	"routingStatus", "presence", "integrationPresence", "conversationSummary", "outOfOffice",
	"geolocation", "station", "authorization", "lasttokenissued", "authorization.unusedRoles", "team",
	"workPlanBidRanks", "externalContactsSettings", "profileSkills", "certifications", "locations",
	"groups", "skills", "languages", "languagePreference", "employerInfo", "biography", "dateLastLogin",
}

type expandSet struct{ presence, routingStatus, skills bool }

func parseExpand(r *http.Request) (expandSet, *wire.ErrorBody) {
	var x expandSet
	for _, e := range multiParam(r, "expand") {
		if !slices.Contains(userExpands, e) {
			return x, fieldError(codeInvalidValue, "expand", "expand value %q is not one of %s.", e, strings.Join(userExpands, ", "))
		}
		switch e {
		case "presence":
			x.presence = true
		case "routingStatus":
			x.routingStatus = true
		case "skills":
			x.skills = true
		}
	}
	return x, nil
}

// userJSON renders u. Callers hold s.mu (read).
func (s *Server) userJSON(u *userState, x expandSet) userJSON {
	j := userJSON{
		ID: u.ID, Name: u.Name,
		Division: namedEntity{ID: s.org.DivisionID, Name: "Home", SelfURI: "/api/v2/authorization/divisions/" + s.org.DivisionID},
		Chat:     chatJSON{JabberID: u.ID + "@conference.fake.shadowq"},
		Email:    u.Email, State: u.State, Title: u.Title, Username: u.Email, Version: 1,
		SelfURI: "/api/v2/users/" + u.ID,
	}
	if x.routingStatus {
		rs := s.routingStatusJSON(u)
		j.RoutingStatus = &rs
	}
	if x.presence {
		p := s.userPresenceJSON(u)
		j.Presence = &p
	}
	if x.skills {
		sk := s.userSkills(u)
		j.Skills = &sk
	}
	return j
}

func (s *Server) routingStatusJSON(u *userState) routingStatusJSON {
	return routingStatusJSON{UserID: u.ID, Status: u.routing, StartTime: isoTime(u.routingStart)}
}

// userSkills lists u's skills by name.
func (s *Server) userSkills(u *userState) []userSkillJSON {
	out := make([]userSkillJSON, 0, len(u.Skills))
	for _, us := range u.Skills {
		sk := s.skills[us.SkillID]
		out = append(out, userSkillJSON{
			ID: sk.ID, Name: sk.Name, Proficiency: us.Proficiency, State: "active",
			SkillURI: "/api/v2/routing/skills/" + sk.ID,
			SelfURI:  "/api/v2/users/" + u.ID + "/routingskills/" + sk.ID,
		})
	}
	slices.SortFunc(out, func(a, b userSkillJSON) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func sortOrder(r *http.Request) (desc bool, e *wire.ErrorBody) {
	switch v := strings.ToLower(r.URL.Query().Get("sortOrder")); v {
	case "", "asc", "ascending":
		return false, nil
	case "desc", "descending":
		return true, nil
	default:
		return false, fieldError(codeInvalidValue, "sortOrder", "sortOrder %q is not ascending or descending.", r.URL.Query().Get("sortOrder"))
	}
}

// maxUserIDs caps id=… on GET /api/v2/users (unverified limit; the swagger
// lists the max.user.ids code without a number).
const maxUserIDs = 100

// handleUsers is GET /api/v2/users.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, c *call) {
	size, number, e := pageParams(r, 25, 500)
	if e != nil {
		writeError(w, c, e)
		return
	}
	x, e := parseExpand(r)
	if e != nil {
		writeError(w, c, e)
		return
	}
	desc, e := sortOrder(r)
	if e != nil {
		writeError(w, c, e)
		return
	}
	state := r.URL.Query().Get("state")
	switch state {
	case "":
		state = "active"
	case "active", "inactive", "deleted", "any":
	default:
		writeError(w, c, fieldError(codeInvalidValue, "state", "state %q is not active, inactive, deleted or any.", state))
		return
	}
	ids := multiParam(r, "id")
	if len(ids) > maxUserIDs {
		writeError(w, c, fieldError(codeMaxUserIDs, "id", "At most %d user ids may be requested at once; got %d.", maxUserIDs, len(ids)))
		return
	}
	var want map[string]bool
	if len(ids) > 0 {
		want = make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
	}
	s.mu.RLock()
	all := make([]userJSON, 0, len(s.userOrder))
	for _, u := range s.userOrder {
		if want != nil && !want[u.ID] {
			continue
		}
		if state != "any" && u.State != state {
			continue
		}
		all = append(all, s.userJSON(u, x))
	}
	s.mu.RUnlock()
	if desc {
		slices.Reverse(all)
	}
	writeJSON(w, http.StatusOK, page(r, all, size, number))
}

// handleUser is GET /api/v2/users/{userId}.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request, c *call) {
	x, e := parseExpand(r)
	if e != nil {
		writeError(w, c, e)
		return
	}
	id := r.PathValue("userId")
	s.mu.RLock()
	u := s.users[id]
	var j userJSON
	if u != nil {
		j = s.userJSON(u, x)
	}
	s.mu.RUnlock()
	if u == nil {
		writeError(w, c, notFound("user", id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// handleUserSkills is GET /api/v2/users/{userId}/routingskills.
func (s *Server) handleUserSkills(w http.ResponseWriter, r *http.Request, c *call) {
	size, number, e := pageParams(r, 25, 500)
	if e != nil {
		writeError(w, c, e)
		return
	}
	desc, e := sortOrder(r)
	if e != nil {
		writeError(w, c, e)
		return
	}
	id := r.PathValue("userId")
	s.mu.RLock()
	u := s.users[id]
	var sk []userSkillJSON
	if u != nil {
		sk = s.userSkills(u)
	}
	s.mu.RUnlock()
	if u == nil {
		writeError(w, c, notFound("user", id))
		return
	}
	if desc {
		slices.Reverse(sk)
	}
	writeJSON(w, http.StatusOK, page(r, sk, size, number))
}

// handleRoutingStatus is GET /api/v2/users/{userId}/routingstatus.
func (s *Server) handleRoutingStatus(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("userId")
	s.mu.RLock()
	u := s.users[id]
	var j routingStatusJSON
	if u != nil {
		j = s.routingStatusJSON(u)
	}
	s.mu.RUnlock()
	if u == nil {
		writeError(w, c, notFound("user", id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}
