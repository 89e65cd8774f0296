package genesys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
	"github.com/shadowq/shadowq/engine"
)

// Mode is how a delivery hands a conversation to the expert.
type Mode uint8

// Delivery modes (shared/genesys-api.md §5).
const (
	// ModeAssign: POST /api/v2/conversations/{id}/assign, a hard assignment
	// of a queued conversation (the default).
	ModeAssign Mode = iota
	// ModePreferred: PATCH /api/v2/routing/conversations/{id} with
	// requestScoredAgents [{id: expert, score: 100}], a soft preference
	// that follows the queue's Preferred Agent Routing rules.
	ModePreferred
	// ModeTransfer: POST /api/v2/conversations/{id}/participants/{pid}/replace/agent,
	// an unattended transfer of the connected agent's leg to the expert.
	ModeTransfer
)

var modeNames = [...]string{"assign", "preferred", "transfer"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// ParseMode accepts "assign" (or ""), "preferred" and "transfer".
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return ModeAssign, nil
	}
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("genesys: delivery mode %q: want assign, preferred or transfer", s)
}

// preferredScore is the score given to the one requested agent.
const preferredScore = 100

// Deliver starts the delivery d in the given mode and returns when Genesys
// accepted the request (202/200), not when the expert answered: the
// outcome arrives later on the expert's conversations topic (Feed).
//
// Retries follow the Client's policy, with one rule for the
// non-idempotent calls (/assign, replace/agent): after a try whose effect
// is unknown (a 5xx, a 408, a transport error or timeout) the conversation
// is read first (GET /api/v2/conversations/{id}), and the request is
// re-issued only if the expert is not already among its participants (in
// any state: a participant that already ended means the delivery happened
// and the Feed carries its outcome). If the retries run out in that state,
// the error wraps ErrOutcomeUnknown. A 429 is rejected before processing
// and simply retried after Retry-After.
//
// The re-check cannot see an assignment Genesys accepted but has not yet
// materialised as a participant; the backoff before it (≥
// RetryPolicy.InitialInterval) is what makes that unlikely. If ctx ends
// while a non-idempotent request is in flight, the error wraps
// ErrOutcomeUnknown too: there is no time left to check.
//
// No request starts for d at or after d.Expires (its claim ran out and the
// engine settles it without this call): not the first, and not a
// re-issue, whatever the retry policy would allow; the error then wraps
// ErrDeliveryExpired (and ErrOutcomeUnknown if an earlier try's effect is
// still unknown). A request already in flight is not cut short.
func (c *Client) Deliver(ctx context.Context, d engine.Delivery, mode Mode) error {
	if d.ConversationID == "" || d.Expert == "" {
		return fmt.Errorf("genesys: delivery needs a conversation id and an expert (got %q, %q)", d.ConversationID, d.Expert)
	}
	if err := c.current(d); err != nil {
		return err
	}
	switch mode {
	case ModeAssign:
		return c.assign(ctx, d)
	case ModePreferred:
		return c.preferred(ctx, d)
	case ModeTransfer:
		return c.transfer(ctx, d)
	}
	return fmt.Errorf("genesys: unknown delivery mode %v", mode)
}

func (c *Client) assign(ctx context.Context, d engine.Delivery) error {
	const op = "POST /api/v2/conversations/{conversationId}/assign"
	user := string(d.Expert)
	return c.unsafeCall(ctx, op, d, func(ctx context.Context, deadline time.Time, _ *platformclientv2.Conversation) *callError {
		_, ce := c.send(ctx, op, deadline, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
			_, res, err := platformclientv2.NewConversationsApiWithConfig(cfg).PostConversationAssign(d.ConversationID, platformclientv2.Conversationuser{Id: &user})
			return res, err
		}))
		return ce
	}, false)
}

func (c *Client) transfer(ctx context.Context, d engine.Delivery) error {
	const op = "POST /api/v2/conversations/{conversationId}/participants/{participantId}/replace/agent"
	user := string(d.Expert)
	unattended := "Unattended"
	return c.unsafeCall(ctx, op, d, func(ctx context.Context, deadline time.Time, conv *platformclientv2.Conversation) *callError {
		pid, err := transferSource(conv, d.Expert)
		if err != nil {
			return &callError{err: fmt.Errorf("genesys: %s: conversation %s: %w: %w", op, d.ConversationID, ErrNotTransferable, err)}
		}
		_, ce := c.send(ctx, op, deadline, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
			return platformclientv2.NewConversationsApiWithConfig(cfg).PostConversationParticipantReplaceAgent(d.ConversationID, pid,
				platformclientv2.Transfertoagentrequest{UserId: &user, TransferType: &unattended})
		}))
		return ce
	}, true)
}

func (c *Client) preferred(ctx context.Context, d engine.Delivery) error {
	const op = "PATCH /api/v2/routing/conversations/{conversationId}"
	id, score := string(d.Expert), preferredScore
	body := platformclientv2.Routingconversationattributesrequest{
		RequestScoredAgents: &[]platformclientv2.Requestscoredagent{{Id: &id, Score: &score}},
	}
	// A PATCH that sets an attribute is idempotent: plain retries.
	_, err := c.do(ctx, op, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
		_, res, err := platformclientv2.NewRoutingApiWithConfig(cfg).PatchRoutingConversation(d.ConversationID, body)
		return res, err
	}))
	return err
}

// unsafeIssue sends a non-idempotent request once. conv is the
// conversation read just before (nil unless one was read).
type unsafeIssue func(ctx context.Context, deadline time.Time, conv *platformclientv2.Conversation) *callError

// unsafeCall runs a non-idempotent delivery under the retry policy with
// the check-before-reissue rule (see Deliver). needConv reads the
// conversation before the first try too (a transfer needs the connected
// agent's participant id).
func (c *Client) unsafeCall(ctx context.Context, op string, d engine.Delivery, issue unsafeIssue, needConv bool) error {
	uncertain := false
	err := c.run(ctx, op, func(ctx context.Context, deadline time.Time) error {
		var conv *platformclientv2.Conversation
		if uncertain || needConv {
			if uncertain {
				c.metrics.APIRetry(op, "check")
			}
			cv, err := c.conversation(ctx, deadline, d.ConversationID)
			if err != nil {
				// Could not settle it now; the check is retried, never the
				// request itself.
				var ce *callError
				if errors.As(err, &ce) {
					return ce
				}
				return err
			}
			if uncertain && hasParticipant(cv, d.Expert) {
				uncertain = false
				return nil
			}
			conv = cv
		}
		// Every (re)issue is a new request: none once the claim ran out
		// (the engine has moved on; the expert may be in DND by now).
		if err := c.current(d); err != nil {
			return err
		}
		ce := issue(ctx, deadline, conv)
		if ce == nil {
			uncertain = false
			return nil
		}
		uncertain = ce.uncertain
		return ce
	})
	if err != nil && uncertain {
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// current refuses a delivery whose claim ran out (d.Expires): the engine
// no longer wants it, so no request may start for it.
func (c *Client) current(d engine.Delivery) error {
	if now := c.now(); !d.Expires.IsZero() && !now.Before(d.Expires) {
		return fmt.Errorf("%w: conversation %s, expert %s, claim expired %v ago",
			ErrDeliveryExpired, d.ConversationID, d.Expert, now.Sub(d.Expires).Round(time.Millisecond))
	}
	return nil
}

// conversation reads GET /api/v2/conversations/{id} (SDK) once (the
// enclosing run retries). The error is a *callError so a retryable failure
// stays retryable.
func (c *Client) conversation(ctx context.Context, deadline time.Time, id string) (*platformclientv2.Conversation, error) {
	const op = "GET /api/v2/conversations/{conversationId}"
	var conv *platformclientv2.Conversation
	_, ce := c.send(ctx, op, deadline, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
		v, res, err := platformclientv2.NewConversationsApiWithConfig(cfg).GetConversation(id)
		conv = v
		return res, err
	}))
	if ce != nil {
		return nil, ce
	}
	if conv == nil {
		return nil, &callError{err: fmt.Errorf("genesys: %s: empty response", op)}
	}
	return conv, nil
}

// hasParticipant reports whether user is among conv's participants.
func hasParticipant(conv *platformclientv2.Conversation, user engine.ExpertID) bool {
	if conv == nil || conv.Participants == nil {
		return false
	}
	for _, p := range *conv.Participants {
		if p.UserId != nil && *p.UserId == string(user) {
			return true
		}
	}
	return false
}

// transferSource finds the participant to transfer from: the one agent
// participant (other than the target) that is connected and has not ended.
func transferSource(conv *platformclientv2.Conversation, target engine.ExpertID) (string, error) {
	if conv == nil || conv.Participants == nil {
		return "", errors.New("no participants")
	}
	var found []string
	for _, p := range *conv.Participants {
		if p.Id == nil || str(p.Purpose) != "agent" || str(p.UserId) == string(target) || p.EndTime != nil {
			continue
		}
		if participantConnected(&p) {
			found = append(found, *p.Id)
		}
	}
	switch len(found) {
	case 0:
		return "", errors.New("no connected agent participant to transfer from (replace/agent needs a connected call)")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d connected agent participants; cannot tell which one transfers", len(found))
}

// participantConnected: some media of p is connected; with no media
// listed, a connectedTime and no endTime.
func participantConnected(p *platformclientv2.Participant) bool {
	var states []*string
	if p.Calls != nil {
		for _, m := range *p.Calls {
			states = append(states, m.State)
		}
	}
	if p.Callbacks != nil {
		for _, m := range *p.Callbacks {
			states = append(states, m.State)
		}
	}
	if p.Chats != nil {
		for _, m := range *p.Chats {
			states = append(states, m.State)
		}
	}
	if p.Emails != nil {
		for _, m := range *p.Emails {
			states = append(states, m.State)
		}
	}
	if p.Messages != nil {
		for _, m := range *p.Messages {
			states = append(states, m.State)
		}
	}
	if len(states) == 0 {
		return p.ConnectedTime != nil && p.EndTime == nil
	}
	for _, s := range states {
		if str(s) == "connected" {
			return true
		}
	}
	return false
}
