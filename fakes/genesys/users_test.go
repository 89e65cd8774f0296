package genesys

import (
	"net/http"
	"slices"
	"testing"
)

func TestUsersList(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name      string
		query     string
		wantIDs   []string // in order; nil = only check count
		wantCount int
		total     int
		pageCount int
	}{
		// Defaults: page 1 of 25, sorted by name.
		{"all", "", []string{ada, alan, barbara, edsger, grace, ken, margaret, radia}, 8, 8, 1},
		// Paging: the second page of three.
		{"page 2", query("pageSize", "3", "pageNumber", "2"), []string{edsger, grace, ken}, 3, 8, 3},
		// Past the last page: empty entities, same totals.
		{"past the end", query("pageSize", "3", "pageNumber", "9"), []string{}, 0, 8, 3},
		// The Go SDK sends 0 for an unset int: treated as the default.
		{"zero paging", query("pageSize", "0", "pageNumber", "0"), nil, 8, 8, 1},
		// id=a&id=b.
		{"ids repeated", query("id", grace, "id", ada), []string{ada, grace}, 2, 2, 1},
		// id=a,b as the SDK sends it; unknown ids are skipped.
		{"ids comma", query("id", grace+","+unknown+","+radia), []string{grace, radia}, 2, 2, 1},
		// Descending by name.
		{"descending", query("sortOrder", "descending", "pageSize", "2"), []string{radia, margaret}, 2, 8, 4},
		// Every demo user is active.
		{"inactive", query("state", "inactive"), []string{}, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l listing[userJSON]
			f.get("/api/v2/users?"+tc.query, &l)
			var ids []string
			for _, u := range l.Entities {
				ids = append(ids, u.ID)
				if u.Name == "" || u.State != "active" || u.SelfURI != "/api/v2/users/"+u.ID {
					t.Errorf("entity %+v", u)
				}
				if u.Presence != nil || u.RoutingStatus != nil || u.Skills != nil {
					t.Errorf("unexpanded entity carries expansions: %+v", u)
				}
			}
			if len(l.Entities) != tc.wantCount || l.Total != tc.total || l.PageCount != tc.pageCount {
				t.Fatalf("got %d entities, total %d, pageCount %d; want %d, %d, %d", len(l.Entities), l.Total, l.PageCount, tc.wantCount, tc.total, tc.pageCount)
			}
			if tc.wantIDs != nil && !slices.Equal(ids, tc.wantIDs) && !(len(ids) == 0 && len(tc.wantIDs) == 0) {
				t.Fatalf("ids %v, want %v", ids, tc.wantIDs)
			}
			if l.Entities == nil {
				t.Fatal("entities must be a list, not null")
			}
		})
	}
}

func TestUsersExpand(t *testing.T) {
	f := newFixture(t, Options{})
	var l listing[userJSON]
	f.get("/api/v2/users?"+query("id", ada, "expand", "presence,routingStatus", "expand", "skills"), &l)
	if len(l.Entities) != 1 {
		t.Fatalf("entities %+v", l.Entities)
	}
	u := l.Entities[0]
	if u.Presence == nil || u.Presence.PresenceDefinition.ID != PresenceOnQueue || u.Presence.PresenceDefinition.SystemPresence != "On Queue" {
		t.Fatalf("presence %+v", u.Presence)
	}
	if u.RoutingStatus == nil || u.RoutingStatus.Status != "IDLE" || u.RoutingStatus.UserID != ada {
		t.Fatalf("routing status %+v", u.RoutingStatus)
	}
	if u.Skills == nil || len(*u.Skills) != 2 || (*u.Skills)[0].Name != "Databases" || (*u.Skills)[1].Proficiency != 5 {
		t.Fatalf("skills %+v", u.Skills)
	}
}

func TestUsersErrors(t *testing.T) {
	f := newFixture(t, Options{})
	many := ""
	for i := 0; i <= maxUserIDs; i++ {
		if i > 0 {
			many += ","
		}
		many += unknown
	}
	tests := []struct {
		name   string
		path   string
		status int
		code   string
	}{
		// An expand the API does not know.
		{"bad expand", "/api/v2/users?expand=everything", 400, codeInvalidValue},
		// A page size that is not a number.
		{"bad pageSize", "/api/v2/users?pageSize=ten", 400, codeInvalidQueryParam},
		// Over the page-size maximum.
		{"huge pageSize", "/api/v2/users?pageSize=501", 400, codeInvalidValue},
		// An unknown state.
		{"bad state", "/api/v2/users?state=asleep", 400, codeInvalidValue},
		// An unknown sort order.
		{"bad sortOrder", "/api/v2/users?sortOrder=sideways", 400, codeInvalidValue},
		// Too many ids.
		{"too many ids", "/api/v2/users?id=" + many, 400, codeMaxUserIDs},
		// An unknown user.
		{"unknown user", "/api/v2/users/" + unknown, 404, codeNotFound},
		// Routing skills of an unknown user.
		{"unknown user skills", "/api/v2/users/" + unknown + "/routingskills", 404, codeNotFound},
		// Routing status of an unknown user.
		{"unknown user routing", "/api/v2/users/" + unknown + "/routingstatus", 404, codeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodGet, tc.path, "", "")
			checkError(t, res, body, tc.status, tc.code)
		})
	}
}

func TestUser(t *testing.T) {
	f := newFixture(t, Options{})
	var u userJSON
	f.get("/api/v2/users/"+barbara+"?expand=presence", &u)
	if u.ID != barbara || u.Name != "Barbara Liskov" || u.Email != "barbara@shadowq.example" || u.Division.ID != DemoDivisionID {
		t.Fatalf("user %+v", u)
	}
	if u.Presence == nil || u.Presence.PresenceDefinition.ID != PresenceMeetingInterruptP1 || u.Presence.PresenceDefinition.SystemPresence != "Meeting" {
		t.Fatalf("presence %+v", u.Presence)
	}
}

func TestUserRoutingSkills(t *testing.T) {
	f := newFixture(t, Options{})
	var l listing[userSkillJSON]
	f.get("/api/v2/users/"+edsger+"/routingskills?sortOrder=descending", &l)
	if l.Total != 2 || len(l.Entities) != 2 {
		t.Fatalf("listing %+v", l)
	}
	if l.Entities[0].Name != "Networking" || l.Entities[1].Name != "Databases" || l.Entities[0].Proficiency != 5 || l.Entities[0].State != "active" {
		t.Fatalf("skills %+v", l.Entities)
	}
}

func TestRoutingStatus(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		user, status string
	}{
		{ada, "IDLE"},        // On Queue and free
		{alan, "OFF_QUEUE"},  // Available is not on queue
		{radia, "OFF_QUEUE"}, // Offline
	}
	for _, tc := range tests {
		var rs routingStatusJSON
		f.get("/api/v2/users/"+tc.user+"/routingstatus", &rs)
		if rs.UserID != tc.user || rs.Status != tc.status || rs.StartTime == "" {
			t.Errorf("%s: routing status %+v, want %s", tc.user, rs, tc.status)
		}
	}
}
