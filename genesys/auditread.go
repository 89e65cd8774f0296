package genesys

import (
	"context"
	"errors"
	"time"

	"github.com/shadowq/shadowq/audit"
	"github.com/shadowq/shadowq/engine"
)

// Reads for `shadowq audit` (shared/genesys-api.md §6 and §10): what
// Genesys recorded about conversations, users' presence and routing
// status, and WFM schedules, as the audit package's plain values. Plain
// net/http through Client.do (retries, budget, token): the bodies are
// small fixed shapes.

// maxDetailInterval is the analytics details queries' interval limit with
// filters (31 days); longer windows are read in pieces.
const maxDetailInterval = 31 * 24 * time.Hour

func isoInterval(from, to time.Time) string {
	return from.UTC().Format("2006-01-02T15:04:05.000Z") + "/" + to.UTC().Format("2006-01-02T15:04:05.000Z")
}

// pieces splits [from, to) into intervals of at most max.
func pieces(from, to time.Time, max time.Duration) [][2]time.Time {
	var out [][2]time.Time
	for a := from; a.Before(to); a = a.Add(max) {
		out = append(out, [2]time.Time{a, minTime(a.Add(max), to)})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// detailConversation is the part of an analytics conversation record
// that the audit and calibration read.
type detailConversation struct {
	ConversationID    string     `json:"conversationId"`
	ConversationStart time.Time  `json:"conversationStart"`
	ConversationEnd   *time.Time `json:"conversationEnd"`
	Participants      []struct {
		UserID   string `json:"userId"`
		Purpose  string `json:"purpose"`
		Sessions []struct {
			Segments []struct {
				SegmentStart             time.Time  `json:"segmentStart"`
				SegmentEnd               *time.Time `json:"segmentEnd"`
				SegmentType              string     `json:"segmentType"`
				QueueID                  string     `json:"queueId"`
				DisconnectType           string     `json:"disconnectType"`
				RequestedRoutingSkillIDs []string   `json:"requestedRoutingSkillIds"`
			} `json:"segments"`
			Metrics []struct {
				Name  string `json:"name"`
				Value int64  `json:"value"`
			} `json:"metrics"`
		} `json:"sessions"`
	} `json:"participants"`
}

// ConversationDetails reads the conversations that started in [from, to)
// with POST /api/v2/analytics/conversations/details/query, page by page
// (100 a page), in 31-day pieces.
func (c *Client) ConversationDetails(ctx context.Context, from, to time.Time) ([]audit.Conversation, error) {
	var out []audit.Conversation
	for _, iv := range pieces(from, to, maxDetailInterval) {
		err := c.conversationPages(ctx, iv, nil, historyPageSize, func(cv *detailConversation) {
			out = append(out, auditConversation(cv))
		}, nil)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// auditConversation reads offers (agent alert segments: accepted when an
// interact segment follows, not answered on a "timeout" disconnect or a
// tNotResponding metric, declined otherwise), the first answer, an
// abandonment (the acd participant's tAbandon) and transfers.
func auditConversation(d *detailConversation) audit.Conversation {
	c := audit.Conversation{ID: d.ConversationID, Start: d.ConversationStart}
	if d.ConversationEnd != nil {
		c.End = *d.ConversationEnd
	}
	answers := 0
	for _, p := range d.Participants {
		for _, s := range p.Sessions {
			notResponding, interact := false, time.Time{}
			for _, m := range s.Metrics {
				switch m.Name {
				case "tNotResponding":
					notResponding = true
				case "tAbandon":
					if p.Purpose == "acd" {
						c.Abandoned = true
					}
				}
			}
			if p.Purpose != "agent" || p.UserID == "" {
				continue
			}
			for _, g := range s.Segments {
				if g.SegmentType == "interact" && interact.IsZero() {
					interact = g.SegmentStart
				}
			}
			for _, g := range s.Segments {
				if g.SegmentType != "alert" {
					continue
				}
				o := audit.Offer{User: p.UserID, Start: g.SegmentStart}
				switch {
				case g.SegmentEnd == nil:
					o.Result = audit.StillOpen
				case !interact.IsZero():
					o.End, o.Result = *g.SegmentEnd, audit.Accepted
				case notResponding || g.DisconnectType == "timeout":
					o.End, o.Result = *g.SegmentEnd, audit.NotAnswered
				default:
					o.End, o.Result = *g.SegmentEnd, audit.Declined
				}
				c.Offers = append(c.Offers, o)
			}
			if !interact.IsZero() {
				answers++
				if c.AnsweredBy == "" || interact.Before(c.Answered) {
					c.AnsweredBy, c.Answered = p.UserID, interact
				}
			}
		}
	}
	if answers > 1 {
		c.Transfers = answers - 1
	}
	if c.AnsweredBy != "" {
		c.Abandoned = false
	}
	return c
}

// UserStatus reads the users' presence and routing-status segments over
// [from, to) with POST /api/v2/analytics/users/details/query (100 users a
// query, 31-day pieces). Open segments are kept with a zero End.
func (c *Client) UserStatus(ctx context.Context, ids []engine.ExpertID, from, to time.Time) ([]audit.PresenceSegment, []audit.RoutingSegment, error) {
	var ps []audit.PresenceSegment
	var rs []audit.RoutingSegment
	users := make([]string, len(ids))
	for i, id := range ids {
		users[i] = string(id)
	}
	err := c.userDetails(ctx, users, from, to, historyUsersPerQuery, historyPageSize, func(u userDetail) {
		for _, p := range u.PrimaryPresence {
			ps = append(ps, audit.PresenceSegment{User: u.UserID, Start: p.StartTime, End: deref(p.EndTime), System: p.SystemPresence, DefID: p.OrganizationPresenceID})
		}
		for _, r := range u.RoutingStatus {
			rs = append(rs, audit.RoutingSegment{User: u.UserID, Start: r.StartTime, End: deref(r.EndTime), Status: r.RoutingStatus})
		}
	}, nil)
	if err != nil {
		return ps, rs, err
	}
	// A segment spanning two pieces comes back from both: keep one.
	ps = dedupeKeep(ps, func(s audit.PresenceSegment) string { return s.User + "|" + s.Start.String() })
	rs = dedupeKeep(rs, func(s audit.RoutingSegment) string { return s.User + "|" + s.Start.String() })
	return ps, rs, nil
}

// dedupeKeep keeps the last of the elements sharing a key (a later piece
// knows a segment's end), in first-seen order.
func dedupeKeep[T any](xs []T, key func(T) string) []T {
	at := map[string]int{}
	out := xs[:0]
	for _, x := range xs {
		k := key(x)
		if i, ok := at[k]; ok {
			out[i] = x
			continue
		}
		at[k] = len(out)
		out = append(out, x)
	}
	return out
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// ErrNoWFM says the org answered the WFM reads 403 or 404 (no WFM
// licence, or no permission): schedules are unknown, not empty.
var ErrNoWFM = errors.New("genesys: workforce management not available (403/404)")
