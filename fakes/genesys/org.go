package genesys

import (
	"errors"
	"fmt"
	"time"
)

// GUIDs of the system presence definitions. Available, On Queue and Offline
// are the ids reported to be the same in every org (shared/genesys-api.md
// §4); the other seven are chosen by the fake — a real org has its own, so
// clients must resolve them from GET /api/v2/presence/definitions.
const (
	PresenceAvailable = "6a3af858-942f-489d-9700-5f9bcdcdae9b"
	PresenceOnQueue   = "e08eaf1b-ee47-4fa9-a231-1200e284798f"
	PresenceOffline   = "ccf3c10a-aa2c-4845-8e8d-f59fa48c58e5"
	PresenceAway      = "f1a5e000-0000-4000-8000-000000000001"
	PresenceBusy      = "f1a5e000-0000-4000-8000-000000000002"
	PresenceBreak     = "f1a5e000-0000-4000-8000-000000000003"
	PresenceMeal      = "f1a5e000-0000-4000-8000-000000000004"
	PresenceMeeting   = "f1a5e000-0000-4000-8000-000000000005"
	PresenceTraining  = "f1a5e000-0000-4000-8000-000000000006"
	PresenceIdle      = "f1a5e000-0000-4000-8000-000000000007"
)

// GUIDs of the demo org's custom ("User" type) presence definitions; they
// match scenarios/policy.yaml.
const (
	PresenceMeetingInterruptP1    = "3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01"
	PresenceResearchInterruptP1P2 = "3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a02"
	PresenceMeetingDoNotDisturb   = "3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a03"
)

// Org is the seed data a Server starts from. Ids are GUID strings chosen by
// the caller; New checks that every reference resolves.
type Org struct {
	ID         string
	Name       string
	DivisionID string // the home division every user and queue belongs to

	PresenceDefinitions []PresenceDefinition // empty means SystemPresenceDefinitions()
	Skills              []Skill
	Queues              []Queue
	Users               []User
}

// PresenceDefinition is an organization presence definition.
type PresenceDefinition struct {
	ID   string
	Name string // the en_US label
	// Type is "System" for the ten built-in definitions and "User" for
	// custom (secondary) presences.
	Type string
	// SystemPresence in the spelling of /api/v2/presence/definitions:
	// Available, Away, Busy, Offline, Idle, OnQueue, Meal, Training,
	// Meeting or Break.
	SystemPresence string
	Deactivated    bool
}

// Skill is an ACD routing skill.
type Skill struct {
	ID   string
	Name string
}

// Queue is an ACD queue. Conversations wait in a queue until they are
// assigned, or offered to a preferred agent (requestScoredAgents); the
// fake's queues do not route by themselves.
type Queue struct {
	ID      string
	Name    string
	Members []string // user ids; only members count for preferred-agent routing
	// ManualAssignmentDisabled makes POST .../assign answer 400
	// feature.not.enabled, as a queue with enableManualAssignment=false.
	ManualAssignmentDisabled bool
	// AlertTimeout is how long a delivery alerts before it counts as not
	// answered; zero means Options.AlertTimeout.
	AlertTimeout time.Duration
}

// User is one agent or expert.
type User struct {
	ID     string
	Name   string
	Email  string
	Title  string
	State  string // "active" (default), "inactive" or "deleted"
	Skills []UserSkill
	// PresenceID is the initial presence definition; empty means Available.
	PresenceID string
	// Answer overrides Options.Answer for this user.
	Answer *AnswerModel
}

// UserSkill is a skill a user holds, with proficiency 0–5.
type UserSkill struct {
	SkillID     string
	Proficiency float64
}

// systemPresences lists the ten system presences in the spelling of
// /api/v2/presence/definitions, with the UPPER_SNAKE spelling analytics and
// notifications use and the title case of REST user-presence reads
// ("On Queue" is reported, not verified; shared/genesys-api.md §4).
var systemPresences = []struct {
	def, upper, title, id string
}{
	{"Available", "AVAILABLE", "Available", PresenceAvailable},
	{"Away", "AWAY", "Away", PresenceAway},
	{"Busy", "BUSY", "Busy", PresenceBusy},
	{"Offline", "OFFLINE", "Offline", PresenceOffline},
	{"Idle", "IDLE", "Idle", PresenceIdle},
	{"OnQueue", "ON_QUEUE", "On Queue", PresenceOnQueue},
	{"Meal", "MEAL", "Meal", PresenceMeal},
	{"Training", "TRAINING", "Training", PresenceTraining},
	{"Meeting", "MEETING", "Meeting", PresenceMeeting},
	{"Break", "BREAK", "Break", PresenceBreak},
}

func systemPresenceUpper(def string) string {
	for _, p := range systemPresences {
		if p.def == def {
			return p.upper
		}
	}
	return ""
}

func systemPresenceTitle(def string) string {
	for _, p := range systemPresences {
		if p.def == def {
			return p.title
		}
	}
	return ""
}

// SystemPresenceDefinitions returns the ten system presence definitions
// with the GUIDs above.
func SystemPresenceDefinitions() []PresenceDefinition {
	defs := make([]PresenceDefinition, 0, len(systemPresences))
	for _, p := range systemPresences {
		defs = append(defs, PresenceDefinition{ID: p.id, Name: p.title, Type: "System", SystemPresence: p.def})
	}
	return defs
}

// Demo org ids, fixed so that tests, docs and scenarios can name them.
const (
	DemoOrgID      = "0d3a1e00-5ad0-4e00-8000-000000000001"
	DemoDivisionID = "0d3a1e00-5ad0-4e00-8000-000000000002"
	DemoQueueID    = "0d3a1e00-9e0e-4e00-8000-000000000001" // "Tier 3 Escalations"
)

// DemoOrg is a small org: eight experts with skills and a spread of
// presences (On Queue, Available, the three custom meeting/research
// presences, Busy, Offline), the system presence definitions plus the
// custom ones of scenarios/policy.yaml, and one queue, "Tier 3
// Escalations", that everyone is a member of.
func DemoOrg() Org {
	skill := func(n int, name string) Skill {
		return Skill{ID: fmt.Sprintf("0d3a1e00-5c11-4e00-8000-%012d", n), Name: name}
	}
	skills := []Skill{
		skill(1, "Kubernetes"), skill(2, "Networking"), skill(3, "Databases"),
		skill(4, "Security"), skill(5, "Billing"),
	}
	us := func(n int, p float64) UserSkill { return UserSkill{SkillID: skills[n-1].ID, Proficiency: p} }
	user := func(n int, name, email, presence string, sk ...UserSkill) User {
		return User{
			ID: fmt.Sprintf("0d3a1e00-05e0-4e00-8000-%012d", n), Name: name, Email: email,
			Title: "Tier 3 Engineer", Skills: sk, PresenceID: presence,
		}
	}
	users := []User{
		user(1, "Ada Lovelace", "ada@shadowq.example", PresenceOnQueue, us(1, 5), us(3, 4)),
		user(2, "Grace Hopper", "grace@shadowq.example", PresenceOnQueue, us(2, 4), us(4, 3)),
		user(3, "Alan Turing", "alan@shadowq.example", PresenceAvailable, us(4, 5), us(3, 3)),
		user(4, "Barbara Liskov", "barbara@shadowq.example", PresenceMeetingInterruptP1, us(1, 4), us(2, 3)),
		user(5, "Edsger Dijkstra", "edsger@shadowq.example", PresenceResearchInterruptP1P2, us(2, 5), us(3, 5)),
		user(6, "Margaret Hamilton", "margaret@shadowq.example", PresenceMeetingDoNotDisturb, us(1, 3), us(4, 4)),
		user(7, "Ken Thompson", "ken@shadowq.example", PresenceBusy, us(5, 4), us(2, 2)),
		user(8, "Radia Perlman", "radia@shadowq.example", PresenceOffline, us(2, 5), us(5, 3)),
	}
	members := make([]string, len(users))
	for i, u := range users {
		members[i] = u.ID
	}
	defs := append(SystemPresenceDefinitions(),
		PresenceDefinition{ID: PresenceMeetingInterruptP1, Name: "In a Meeting – Interrupt for P1", Type: "User", SystemPresence: "Meeting"},
		PresenceDefinition{ID: PresenceResearchInterruptP1P2, Name: "Research – Interrupt for P1/P2", Type: "User", SystemPresence: "Busy"},
		PresenceDefinition{ID: PresenceMeetingDoNotDisturb, Name: "In a Meeting – Do Not Disturb", Type: "User", SystemPresence: "Meeting"},
	)
	return Org{
		ID: DemoOrgID, Name: "shadowq demo", DivisionID: DemoDivisionID,
		PresenceDefinitions: defs,
		Skills:              skills,
		Queues:              []Queue{{ID: DemoQueueID, Name: "Tier 3 Escalations", Members: members}},
		Users:               users,
	}
}

// validate reports every broken reference or duplicate id at once.
func (o *Org) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	ids := map[string]string{}
	claim := func(kind, id string) {
		if id == "" {
			bad("org: a %s has an empty id", kind)
			return
		}
		if prev, ok := ids[id]; ok {
			bad("org: id %q is used by a %s and a %s", id, prev, kind)
			return
		}
		ids[id] = kind
	}
	defs := map[string]bool{}
	for _, d := range o.PresenceDefinitions {
		claim("presence definition", d.ID)
		defs[d.ID] = true
		if systemPresenceUpper(d.SystemPresence) == "" {
			bad("org: presence definition %s: system presence %q is not one of Available, Away, Busy, Offline, Idle, OnQueue, Meal, Training, Meeting, Break", d.ID, d.SystemPresence)
		}
		if d.Type != "System" && d.Type != "User" {
			bad("org: presence definition %s: type %q is not System or User", d.ID, d.Type)
		}
	}
	if !defs[PresenceOnQueue] {
		bad("org: the On Queue presence definition %s is missing", PresenceOnQueue)
	}
	skills := map[string]bool{}
	for _, s := range o.Skills {
		claim("skill", s.ID)
		skills[s.ID] = true
	}
	users := map[string]bool{}
	for _, u := range o.Users {
		claim("user", u.ID)
		users[u.ID] = true
		for _, us := range u.Skills {
			if !skills[us.SkillID] {
				bad("org: user %s: unknown skill %q", u.ID, us.SkillID)
			}
			if us.Proficiency < 0 || us.Proficiency > 5 {
				bad("org: user %s: proficiency %v of skill %s is outside 0–5", u.ID, us.Proficiency, us.SkillID)
			}
		}
		if u.PresenceID != "" && !defs[u.PresenceID] {
			bad("org: user %s: unknown presence definition %q", u.ID, u.PresenceID)
		}
		switch u.State {
		case "", "active", "inactive", "deleted":
		default:
			bad("org: user %s: state %q is not active, inactive or deleted", u.ID, u.State)
		}
		if u.Answer != nil {
			if err := u.Answer.validate(); err != nil {
				bad("org: user %s: %w", u.ID, err)
			}
		}
	}
	for _, q := range o.Queues {
		claim("queue", q.ID)
		for _, m := range q.Members {
			if !users[m] {
				bad("org: queue %s: unknown member %q", q.ID, m)
			}
		}
		if q.AlertTimeout < 0 {
			bad("org: queue %s: negative alert timeout", q.ID)
		}
	}
	return errors.Join(errs...)
}
