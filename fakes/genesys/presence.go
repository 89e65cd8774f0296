package genesys

import (
	"net/http"
	"strconv"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// presenceDefinitionJSON is [S] OrganizationPresenceDefinition.
type presenceDefinitionJSON struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	LanguageLabels map[string]string `json:"languageLabels"`
	SystemPresence string            `json:"systemPresence"`
	DivisionID     string            `json:"divisionId,omitempty"`
	Deactivated    bool              `json:"deactivated"`
	SelfURI        string            `json:"selfUri"`
}

type presenceDefinitionListing struct {
	Total    int                      `json:"total"`
	Entities []presenceDefinitionJSON `json:"entities"`
	SelfURI  string                   `json:"selfUri"`
}

func (s *Server) presenceDefinitionJSON(d *PresenceDefinition) presenceDefinitionJSON {
	j := presenceDefinitionJSON{
		ID: d.ID, Name: d.Name, Type: d.Type,
		LanguageLabels: map[string]string{"en_US": d.Name},
		SystemPresence: d.SystemPresence, Deactivated: d.Deactivated,
		SelfURI: "/api/v2/presence/definitions/" + d.ID,
	}
	if d.Type == "User" {
		// Custom presences belong to a division; system ones carry none
		// here (unverified).
		j.DivisionID = s.org.DivisionID
	}
	return j
}

// handlePresenceDefinitions is GET /api/v2/presence/definitions
// ?deactivated=&divisionId=&localeCode= (every label is en_US here).
func (s *Server) handlePresenceDefinitions(w http.ResponseWriter, r *http.Request, c *call) {
	deactivated := false
	if v := r.URL.Query().Get("deactivated"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, c, fieldError(codeInvalidValue, "deactivated", "deactivated %q is not true or false.", v))
			return
		}
		deactivated = b
	}
	divisions := multiParam(r, "divisionId")
	out := presenceDefinitionListing{Entities: []presenceDefinitionJSON{}, SelfURI: "/api/v2/presence/definitions"}
	for _, d := range s.defOrder {
		if d.Deactivated != deactivated {
			continue
		}
		if len(divisions) > 0 && d.Type == "User" && !contains(divisions, s.org.DivisionID) {
			continue
		}
		out.Entities = append(out.Entities, s.presenceDefinitionJSON(d))
	}
	out.Total = len(out.Entities)
	writeJSON(w, http.StatusOK, out)
}

// handlePresenceDefinition is GET /api/v2/presence/definitions/{definitionId}.
func (s *Server) handlePresenceDefinition(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("definitionId")
	d := s.defs[id]
	if d == nil {
		writeError(w, c, notFound("presence definition", id))
		return
	}
	writeJSON(w, http.StatusOK, s.presenceDefinitionJSON(d))
}

// presenceRefJSON is [S] PresenceDefinition as embedded in a user presence;
// systemPresence is title case here ("On Queue" is reported, not verified).
type presenceRefJSON struct {
	ID             string `json:"id"`
	SystemPresence string `json:"systemPresence"`
	SelfURI        string `json:"selfUri"`
}

// userPresenceJSON is [S] UserPresence. The id, name and sourceId values of
// the Genesys Cloud source are the fake's guess (unverified).
type userPresenceJSON struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Source             string          `json:"source"`
	SourceID           string          `json:"sourceId"`
	Primary            bool            `json:"primary"`
	PresenceDefinition presenceRefJSON `json:"presenceDefinition"`
	Message            string          `json:"message"`
	ModifiedDate       string          `json:"modifiedDate"`
	SelfURI            string          `json:"selfUri"`
}

// bulkPresenceJSON is [S] UcUserPresence, one entry of the bulk read.
type bulkPresenceJSON struct {
	UserID             string          `json:"userId"`
	Source             string          `json:"source"`
	SourceID           string          `json:"sourceId"`
	PresenceDefinition presenceRefJSON `json:"presenceDefinition"`
	Message            string          `json:"message"`
	ModifiedDate       string          `json:"modifiedDate"`
	SelfURI            string          `json:"selfUri"`
}

const purecloudSource = "PURECLOUD"

func presenceRef(d *PresenceDefinition) presenceRefJSON {
	return presenceRefJSON{ID: d.ID, SystemPresence: systemPresenceTitle(d.SystemPresence), SelfURI: "/api/v2/presencedefinitions/" + d.ID}
}

// userPresenceJSON renders u's presence. Callers hold s.mu (read).
func (s *Server) userPresenceJSON(u *userState) userPresenceJSON {
	return userPresenceJSON{
		ID: purecloudSource, Name: "Genesys Cloud", Source: purecloudSource, SourceID: purecloudSource,
		Primary: true, PresenceDefinition: presenceRef(u.presence), Message: u.message,
		ModifiedDate: isoTime(u.presenceModified), SelfURI: "/api/v2/users/" + u.ID + "/presences/purecloud",
	}
}

// handleUserPresence is GET /api/v2/users/{userId}/presences/purecloud.
func (s *Server) handleUserPresence(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("userId")
	s.mu.RLock()
	u := s.users[id]
	var j userPresenceJSON
	if u != nil {
		j = s.userPresenceJSON(u)
	}
	s.mu.RUnlock()
	if u == nil {
		writeError(w, c, notFound("user", id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// patchPresenceRequest is [S] UserPresence as a PATCH body: every property
// the SDK's Userpresence model can send is accepted, only presenceDefinition
// .id, message and primary are used.
type patchPresenceRequest struct {
	ID                 *string             `json:"id"`
	Name               *string             `json:"name"`
	Source             *string             `json:"source"`
	SourceID           *string             `json:"sourceId"`
	Primary            *bool               `json:"primary"`
	PresenceDefinition *presenceRefRequest `json:"presenceDefinition"`
	Message            *string             `json:"message"`
	ModifiedDate       *string             `json:"modifiedDate"`
	SelfURI            *string             `json:"selfUri"`
}

type presenceRefRequest struct {
	ID             *string `json:"id"`
	SystemPresence *string `json:"systemPresence"`
	SelfURI        *string `json:"selfUri"`
}

// resolve checks the request against the org and returns the definition
// to set (nil keeps the current one).
func (s *Server) resolvePresencePatch(req *patchPresenceRequest) (*PresenceDefinition, *wire.ErrorBody) {
	if req.PresenceDefinition == nil && req.Message == nil && req.Primary == nil {
		return nil, apiError(http.StatusBadRequest, codeBadRequest,
			"Nothing to change: set presenceDefinition.id, message or primary.")
	}
	if req.PresenceDefinition == nil {
		return nil, nil
	}
	if req.PresenceDefinition.ID == nil || *req.PresenceDefinition.ID == "" {
		return nil, fieldError(codeInvalidValue, "presenceDefinition.id", "presenceDefinition.id is required.")
	}
	id := *req.PresenceDefinition.ID
	d := s.defs[id]
	if d == nil {
		return nil, fieldError(codeInvalidValue, "presenceDefinition.id", "Presence definition %s does not exist in this org.", id)
	}
	if d.Deactivated {
		return nil, fieldError(codeInvalidValue, "presenceDefinition.id", "Presence definition %s is deactivated.", id)
	}
	return d, nil
}

// handlePatchUserPresence is PATCH /api/v2/users/{userId}/presences/purecloud
// with {"presenceDefinition":{"id":…}} (message and primary optional).
func (s *Server) handlePatchUserPresence(w http.ResponseWriter, r *http.Request, c *call) {
	var req patchPresenceRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, c, e)
		return
	}
	def, e := s.resolvePresencePatch(&req)
	if e != nil {
		writeError(w, c, e)
		return
	}
	id := r.PathValue("userId")
	s.mu.Lock()
	u := s.users[id]
	var j userPresenceJSON
	if u != nil {
		if def == nil {
			def = u.presence
		}
		msg := u.message
		if req.Message != nil {
			msg = *req.Message
		}
		s.setPresence(u, def, msg)
		j = s.userPresenceJSON(u)
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, c, notFound("user", id))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// maxBulkPresences is the bulk read's limit (max.user.presences).
const maxBulkPresences = 50

// handleBulkPresence is GET /api/v2/users/presences/purecloud/bulk. It
// takes id=a&id=b and id=a,b alike, at most 50 distinct ids, skips unknown
// ones, and answers a bare array.
func (s *Server) handleBulkPresence(w http.ResponseWriter, r *http.Request, c *call) {
	ids := dedupe(multiParam(r, "id"))
	if len(ids) > maxBulkPresences {
		writeError(w, c, fieldError(codeMaxUserPresences, "id",
			"A maximum of %d user presences can be requested at once; %d were requested.", maxBulkPresences, len(ids)))
		return
	}
	out := make([]bulkPresenceJSON, 0, len(ids))
	s.mu.RLock()
	for _, id := range ids {
		u := s.users[id]
		if u == nil {
			continue
		}
		out = append(out, bulkPresenceJSON{
			UserID: u.ID, Source: purecloudSource, SourceID: purecloudSource,
			PresenceDefinition: presenceRef(u.presence), Message: u.message,
			ModifiedDate: isoTime(u.presenceModified), SelfURI: "/api/v2/users/" + u.ID + "/presences/purecloud",
		})
	}
	s.mu.RUnlock()
	if s.truth != nil {
		read := make([]string, len(out))
		for i := range out {
			read[i] = out[i].UserID
		}
		s.truth.bulkRead(s.clock.Now(), r.Header.Get(CallerHeader), read)
	}
	writeJSON(w, http.StatusOK, out)
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
