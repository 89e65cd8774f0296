package genesys

import (
	"context"
	"encoding/json"
	"time"
)

// The WFM agent schedule search, shared by the audit (Schedules) and
// calibrate (calSchedules): one request shape, one answer shape.
const scheduleSearchOp = "POST /api/v2/workforcemanagement/businessunits/{buId}/agentschedules/search"

// scheduleSearchAnswer is the search's answer. A synchronous answer holds
// the schedules in result; an asynchronous one only a status and a
// downloadUrl (not read yet), so result is absent.
type scheduleSearchAnswer struct {
	Status string `json:"status"`
	Result *struct {
		AgentSchedules []struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			Shifts []struct {
				StartDate     time.Time `json:"startDate"`
				LengthMinutes int       `json:"lengthMinutes"`
				Activities    []struct {
					StartDate      time.Time `json:"startDate"`
					LengthMinutes  int       `json:"lengthMinutes"`
					ActivityCodeID string    `json:"activityCodeId"`
				} `json:"activities"`
			} `json:"shifts"`
		} `json:"agentSchedules"`
	} `json:"result"`
}

// scheduleSearch posts one search (at most 100 users, 31 days) to the
// business unit at base (/api/v2/workforcemanagement/businessunits/{buId})
// and returns the raw answer for the caller to decode as it needs.
func (c *Client) scheduleSearch(ctx context.Context, base string, users []string, from, to time.Time) (attempt, error) {
	body, _ := json.Marshal(map[string]any{"startDate": from.UTC().Format("2006-01-02T15:04:05.000Z"),
		"endDate": to.UTC().Format("2006-01-02T15:04:05.000Z"), "userIds": users})
	return c.do(ctx, scheduleSearchOp, c.raw("POST", base+"/agentschedules/search", nil, body))
}
