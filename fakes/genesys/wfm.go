package genesys

import (
	"fmt"
	"net/http"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// The fake's one Workforce Management business unit and its activity
// codes (ids are the fake's; categories are the real enum's values).
const (
	BusinessUnitID      = "5ce4a710-0b00-4000-8000-000000000001"
	ActivityCodeOnQueue = "5ce4a710-ac00-4000-8000-000000000001"
	ActivityCodeMeeting = "5ce4a710-ac00-4000-8000-000000000002"
	ActivityCodeBreak   = "5ce4a710-ac00-4000-8000-000000000003"
	ActivityCodeMeal    = "5ce4a710-ac00-4000-8000-000000000004"
	ActivityCodeTrain   = "5ce4a710-ac00-4000-8000-000000000005"
)

type activityCodeJSON struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Active           bool   `json:"active"`
	DefaultCode      bool   `json:"defaultCode"`
	Category         string `json:"category"`
	LengthInMinutes  int    `json:"lengthInMinutes"`
	CountsAsPaidTime bool   `json:"countsAsPaidTime"`
}

var activityCodes = []activityCodeJSON{
	{ID: ActivityCodeOnQueue, Name: "On Queue Work", Active: true, DefaultCode: true, Category: "OnQueueWork", LengthInMinutes: 60, CountsAsPaidTime: true},
	{ID: ActivityCodeMeeting, Name: "Meeting", Active: true, DefaultCode: true, Category: "Meeting", LengthInMinutes: 30, CountsAsPaidTime: true},
	{ID: ActivityCodeBreak, Name: "Break", Active: true, DefaultCode: true, Category: "Break", LengthInMinutes: 15, CountsAsPaidTime: true},
	{ID: ActivityCodeMeal, Name: "Meal", Active: true, DefaultCode: true, Category: "Meal", LengthInMinutes: 30},
	{ID: ActivityCodeTrain, Name: "Training", Active: true, DefaultCode: true, Category: "Training", LengthInMinutes: 60, CountsAsPaidTime: true},
}

// wfmGate answers 403 when the org has no WFM licence (Options.NoWFM).
func (s *Server) wfmGate(w http.ResponseWriter, c *call) bool {
	if !s.opts.NoWFM {
		return true
	}
	writeError(w, c, apiError(http.StatusForbidden, "not.authorized",
		"This organization is not licensed for Workforce Management (the fake runs with NoWFM)."))
	return false
}

func (s *Server) checkBU(w http.ResponseWriter, r *http.Request, c *call) bool {
	if !s.wfmGate(w, c) {
		return false
	}
	if id := r.PathValue("buId"); id != BusinessUnitID {
		writeError(w, c, notFound("business unit", id))
		return false
	}
	return true
}

// handleBusinessUnits is GET /api/v2/workforcemanagement/businessunits.
func (s *Server) handleBusinessUnits(w http.ResponseWriter, r *http.Request, c *call) {
	if !s.wfmGate(w, c) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entities": []map[string]string{
		{"id": BusinessUnitID, "name": "Tier 3", "selfUri": "/api/v2/workforcemanagement/businessunits/" + BusinessUnitID}}})
}

// handleActivityCodes is GET
// /api/v2/workforcemanagement/businessunits/{buId}/activitycodes.
func (s *Server) handleActivityCodes(w http.ResponseWriter, r *http.Request, c *call) {
	if !s.checkBU(w, r, c) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entities": activityCodes})
}

type scheduleSearch struct {
	StartDate *string  `json:"startDate"`
	EndDate   *string  `json:"endDate"`
	UserIDs   []string `json:"userIds"`
}

type agentScheduleJSON struct {
	User                  map[string]string `json:"user"`
	Shifts                []shiftJSON       `json:"shifts"`
	FullDayTimeOffMarkers []any             `json:"fullDayTimeOffMarkers"`
}

type shiftJSON struct {
	ID            string         `json:"id"`
	StartDate     string         `json:"startDate"`
	LengthMinutes int            `json:"lengthMinutes"`
	Activities    []activityJSON `json:"activities"`
}

type activityJSON struct {
	StartDate      string `json:"startDate"`
	LengthMinutes  int    `json:"lengthMinutes"`
	ActivityCodeID string `json:"activityCodeId"`
	Description    string `json:"description,omitempty"`
	Paid           bool   `json:"paid"`
}

// Limits of the schedule search the fake enforces (the real limits are
// not in shared/genesys-api.md: unverified).
const (
	maxScheduleRange = 31 * 24 * time.Hour
	maxScheduleUsers = 100
)

// handleScheduleSearch is POST
// /api/v2/workforcemanagement/businessunits/{buId}/agentschedules/search:
// the stored shifts starting in [startDate, endDate) of the listed users
// (every scheduled user when userIds is empty), answered synchronously
// with status Complete and the result inline (the real service may answer
// Processing with an operationId and a downloadUrl instead).
func (s *Server) handleScheduleSearch(w http.ResponseWriter, r *http.Request, c *call) {
	if !s.checkBU(w, r, c) {
		return
	}
	var q scheduleSearch
	if e := decodeBody(w, r, &q); e != nil {
		writeError(w, c, e)
		return
	}
	resp, e := s.scheduleSearch(&q)
	if e != nil {
		writeError(w, c, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) scheduleSearch(q *scheduleSearch) (map[string]any, *wire.ErrorBody) {
	parse := func(name string, v *string) (time.Time, *wire.ErrorBody) {
		if v == nil || *v == "" {
			return time.Time{}, fieldError(codeBadRequest, name, "%s is required, e.g. 2025-01-01T00:00:00.000Z.", name)
		}
		t, err := time.Parse(time.RFC3339Nano, *v)
		if err != nil {
			return time.Time{}, fieldError(codeInvalidDate, name, "%s %q is not an ISO-8601 date-time.", name, *v)
		}
		return t, nil
	}
	from, e := parse("startDate", q.StartDate)
	if e != nil {
		return nil, e
	}
	to, e := parse("endDate", q.EndDate)
	if e != nil {
		return nil, e
	}
	if !to.After(from) {
		return nil, fieldError(codeInvalidValue, "endDate", "endDate must be after startDate.")
	}
	if to.Sub(from) > maxScheduleRange {
		return nil, fieldError(codeInvalidValue, "endDate", "The range spans %.1f days; at most 31 are allowed.", to.Sub(from).Hours()/24)
	}
	if len(q.UserIDs) > maxScheduleUsers {
		return nil, fieldError(codeInvalidValue, "userIds", "%d userIds; at most %d are allowed.", len(q.UserIDs), maxScheduleUsers)
	}
	users := q.UserIDs
	if len(users) == 0 {
		users = s.history.scheduledUsers()
	}
	scheds := []agentScheduleJSON{}
	for _, u := range users {
		as := agentScheduleJSON{User: map[string]string{"id": u}, Shifts: []shiftJSON{}, FullDayTimeOffMarkers: []any{}}
		for i, sh := range s.history.shiftsIn(u, from, to) {
			sj := shiftJSON{ID: fmt.Sprintf("%s-%s-%d", u[:min(8, len(u))], sh.Start.Format("20060102"), i), StartDate: isoTime(sh.Start),
				LengthMinutes: int(sh.Length / time.Minute), Activities: []activityJSON{}}
			for _, a := range sh.Activities {
				sj.Activities = append(sj.Activities, activityJSON{StartDate: isoTime(a.Start), LengthMinutes: int(a.Length / time.Minute),
					ActivityCodeID: a.ActivityCodeID, Description: a.Description, Paid: a.Paid})
			}
			as.Shifts = append(as.Shifts, sj)
		}
		scheds = append(scheds, as)
	}
	return map[string]any{"status": "Complete", "operationId": nil, "result": map[string]any{
		"startDate": isoTime(from), "endDate": isoTime(to), "agentSchedules": scheds, "businessUnitTimeZone": "UTC",
	}}, nil
}
