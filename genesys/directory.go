package genesys

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
	"github.com/shadowq/shadowq/engine"
)

// PresenceDefinition is one organization presence definition: the GUID
// policies are written against and the system presence it maps to.
type PresenceDefinition struct {
	ID engine.PresenceDefID
	// System is the normalised system presence; SysUnknown when Genesys
	// names one the engine does not know (SystemName keeps the spelling).
	System     engine.SystemPresence
	SystemName string
	// Label is the en_US language label, else the name.
	Label       string
	Type        string // "System" or "User" (a custom, secondary presence)
	Deactivated bool
}

// PresenceDefinitions reads GET /api/v2/presence/definitions (active
// definitions, the API's default), sorted by ID. Through the SDK.
func (c *Client) PresenceDefinitions(ctx context.Context) ([]PresenceDefinition, error) {
	const op = "GET /api/v2/presence/definitions"
	var out *platformclientv2.Organizationpresencedefinitionentitylisting
	_, err := c.do(ctx, op, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
		v, res, err := platformclientv2.NewPresenceApiWithConfig(cfg).GetPresenceDefinitions("", nil, "")
		out = v
		return res, err
	}))
	if err != nil {
		return nil, err
	}
	var defs []PresenceDefinition
	if out != nil && out.Entities != nil {
		for _, d := range *out.Entities {
			if d.Id == nil {
				continue
			}
			pd := PresenceDefinition{ID: engine.PresenceDefID(*d.Id), SystemName: str(d.SystemPresence), Type: str(d.VarType)}
			pd.System, _ = engine.ParseSystemPresence(pd.SystemName)
			pd.Label = str(d.Name)
			if d.LanguageLabels != nil {
				if l := (*d.LanguageLabels)["en_US"]; l != "" {
					pd.Label = l
				}
			}
			pd.Deactivated = d.Deactivated != nil && *d.Deactivated
			defs = append(defs, pd)
		}
	}
	slices.SortFunc(defs, func(a, b PresenceDefinition) int { return cmp.Compare(a.ID, b.ID) })
	return defs, nil
}

// User is a Genesys Cloud user.
type User struct {
	ID    engine.ExpertID
	Name  string
	Email string
	State string // "active", "inactive", "deleted"
}

// usersPageSize is the page size for GET /api/v2/users (the API allows
// up to 500; 100 keeps each response small).
const usersPageSize = 100

// Users reads every active user of the organization, page by page
// (GET /api/v2/users?state=active), through the SDK. Pages are read in
// order until one comes back short or pageCount is reached.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	const op = "GET /api/v2/users"
	var users []User
	for page := 1; ; page++ {
		var out *platformclientv2.Userentitylisting
		_, err := c.do(ctx, op, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
			v, res, err := platformclientv2.NewUsersApiWithConfig(cfg).GetUsers(usersPageSize, page, nil, nil, "", nil, "", "active")
			out = v
			return res, err
		}))
		if err != nil {
			return nil, fmt.Errorf("users page %d: %w", page, err)
		}
		n := 0
		if out != nil && out.Entities != nil {
			for _, u := range *out.Entities {
				if u.Id == nil {
					continue
				}
				users = append(users, User{ID: engine.ExpertID(*u.Id), Name: str(u.Name), Email: str(u.Email), State: str(u.State)})
			}
			n = len(*out.Entities)
		}
		if n < usersPageSize || out.PageCount != nil && page >= *out.PageCount {
			return users, nil
		}
	}
}

// QueueMember is a member of a routing queue.
type QueueMember struct {
	User
	// Joined: the member is active on the queue (receives ACD
	// interactions). Unjoined members are listed too.
	Joined bool
}

type queueMemberPage struct {
	Entities []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Joined bool   `json:"joined"`
		User   *struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
			State string `json:"state"`
		} `json:"user"`
	} `json:"entities"`
	PageCount int    `json:"pageCount"`
	NextURI   string `json:"nextUri"`
}

// queueMembersPageSize is the documented maximum for queue members.
const queueMembersPageSize = 100

// QueueMembers reads every member of a queue, joined or not
// (GET /api/v2/routing/queues/{id}/members, pages of 100). Plain
// net/http: the SDK's method always sends joined=<bool>, which filters.
func (c *Client) QueueMembers(ctx context.Context, queueID string) ([]QueueMember, error) {
	const op = "GET /api/v2/routing/queues/{queueId}/members"
	if queueID == "" {
		return nil, fmt.Errorf("genesys: %s: empty queue id", op)
	}
	path := "/api/v2/routing/queues/" + url.PathEscape(queueID) + "/members"
	var members []QueueMember
	for page := 1; ; page++ {
		q := url.Values{"pageSize": {strconv.Itoa(queueMembersPageSize)}, "pageNumber": {strconv.Itoa(page)}}
		a, err := c.do(ctx, op, c.raw("GET", path, q, nil))
		if err != nil {
			return nil, fmt.Errorf("queue %s members page %d: %w", queueID, page, err)
		}
		var p queueMemberPage
		if err := json.Unmarshal(a.body, &p); err != nil {
			return nil, fmt.Errorf("genesys: %s: page %d: decoding: %w", op, page, err)
		}
		for _, e := range p.Entities {
			m := QueueMember{User: User{ID: engine.ExpertID(e.ID), Name: e.Name}, Joined: e.Joined}
			if e.User != nil {
				if e.User.ID != "" {
					m.ID = engine.ExpertID(e.User.ID)
				}
				m.Email, m.State = e.User.Email, e.User.State
				if m.Name == "" {
					m.Name = e.User.Name
				}
			}
			if m.ID != "" {
				members = append(members, m)
			}
		}
		if len(p.Entities) < queueMembersPageSize || p.PageCount > 0 && page >= p.PageCount {
			return members, nil
		}
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
