package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrBudget means a request could not start within its deadline
	// because the request budget (Budget) was spent.
	ErrBudget = errors.New("genesys: request budget exhausted")
	// ErrNoCapacity means the Dispatcher refused a delivery because the
	// request budget has no slot for it within DispatcherOptions.AdmitWait.
	ErrNoCapacity = errors.New("genesys: no request budget for a delivery within the admission wait")
	// ErrOutcomeUnknown means a non-idempotent call (/assign, a transfer)
	// may or may not have taken effect: it timed out or failed with a 5xx
	// and the follow-up check could not settle it before the retries ran
	// out. The feed reports the real outcome if there is one.
	ErrOutcomeUnknown = errors.New("genesys: outcome unknown")
	// ErrQueueFull is returned by Dispatcher.Deliver when its queue is full.
	ErrQueueFull = errors.New("genesys: delivery queue full")
	// ErrStopped is returned by Dispatcher.Deliver after the dispatcher
	// stopped.
	ErrStopped = errors.New("genesys: dispatcher stopped")
	// ErrDeliveryExpired: a delivery's claim ran out (engine.Delivery
	// Expires) before a request for it could start; none was sent.
	ErrDeliveryExpired = errors.New("genesys: delivery expired before a request for it could start")
)

// APIError is a non-2xx Platform API response, decoded from the standard
// error body (shared/genesys-api.md §7).
type APIError struct {
	Op        string // method and path template, e.g. "POST /api/v2/conversations/{id}/assign"
	Status    int
	Code      string // e.g. "too.many.requests.retry.after", "feature.not.enabled"
	Message   string
	ContextID string // correlation id: quote it to Genesys support
	// RetryAfter is the Retry-After header of a 429 (or 503), zero if absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "genesys: %s: %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.ContextID != "" {
		b.WriteString(" (contextId " + e.ContextID + ")")
	}
	return b.String()
}

// errorBody is the part of the standard error body we keep.
type errorBody struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	ContextID string `json:"contextId"`
}

// newAPIError decodes body (possibly empty or not JSON) into an APIError.
func newAPIError(op string, status int, body []byte, correlation string) *APIError {
	e := &APIError{Op: op, Status: status, ContextID: correlation}
	var eb errorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil {
		e.Code, e.Message = eb.Code, eb.Message
		if eb.ContextID != "" {
			e.ContextID = eb.ContextID
		}
	} else if len(body) > 0 {
		e.Message = truncate(string(body), 200)
	}
	return e
}

// OAuthError is a failed token request, with the OAuth error body
// ({"error","description","error_description"}). It never holds the
// client secret.
type OAuthError struct {
	Status      int
	Code        string // "error", e.g. "invalid_client"
	Description string // "error_description", else "description", else the raw body
}

func (e *OAuthError) Error() string {
	s := fmt.Sprintf("genesys oauth: token request failed: %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ErrNotTransferable means a blind transfer found no connected agent leg to
// transfer from: the conversation, not the expert, is the problem.
var ErrNotTransferable = errors.New("genesys: conversation has no single connected agent to transfer from")

// Error codes of the delivery calls (shared/genesys-api.md §5, §7) that
// decide whom a failure is about.
const (
	codeInvalidStatus       = "invalid.status"      // the user's routing status forbids the assignment
	codeInvalidID           = "invalid.id"          // not a user of this org
	codeOperationFailed     = "operation.failed"    // e.g. the conversation is not waiting in a queue
	codeFeatureNotEnabled   = "feature.not.enabled" // manual assignment is off on the queue
	codeRequestConflict     = "request.conflict"
	codeMissingDivisionPerm = "missing.division.permission"
	codeTransferNotConn     = "conversations.error.transfer.not.connected"
	codeTransferACD         = "conversations.error.transfer.acd.call.unattended"
	codeTransferSameParty   = "conversations.error.transfer.same.party"
	codeTransferDestination = "conversations.error.transfer.destination.required"
)

// deliveryFault classifies a failed delivery for the engine: expert-level
// (this expert was refused: cool down, try the next), conversation-level
// (nobody can take this conversation: end the escalation, blame nobody),
// uncertain (the request may have taken effect: check the conversation
// before re-routing) or transient (nothing happened: try the next expert
// without blame).
func deliveryFault(err error) engine.Fault {
	var api *APIError
	switch {
	case err == nil:
		return engine.FaultExpert
	case errors.Is(err, ErrOutcomeUnknown):
		return engine.FaultUncertain
	case errors.Is(err, ErrNotTransferable):
		return engine.FaultConversation
	case errors.As(err, &api):
		return apiFault(api)
	}
	// Budget, a full or stopped dispatcher, a cancelled or timed-out
	// context, a token failure, a transport error on an idempotent call:
	// the request did not take effect.
	var (
		oauth *OAuthError
		nerr  net.Error
	)
	switch {
	case errors.Is(err, ErrNoCapacity):
		return engine.FaultCapacity
	case errors.Is(err, ErrBudget), errors.Is(err, ErrQueueFull), errors.Is(err, ErrStopped), errors.Is(err, ErrDeliveryExpired),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &oauth), errors.As(err, &nerr):
		return engine.FaultTransient
	}
	// Unknown: the engine's default reading, as if the expert refused.
	return engine.FaultExpert
}

func apiFault(e *APIError) engine.Fault {
	switch {
	case e.Status == http.StatusNotFound:
		return engine.FaultConversation // the conversation does not exist (any more)
	case e.Status == http.StatusForbidden && e.Code == codeMissingDivisionPerm:
		return engine.FaultExpert // the expert is in a division this client cannot reach
	case e.Status == http.StatusForbidden:
		return engine.FaultConversation // missing permission: every expert would fail alike
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusRequestTimeout,
		e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return engine.FaultTransient
	}
	switch e.Code {
	case codeOperationFailed, codeFeatureNotEnabled, codeTransferNotConn, codeTransferACD,
		codeTransferSameParty, codeTransferDestination:
		return engine.FaultConversation
	case codeRequestConflict:
		return engine.FaultTransient
	case codeInvalidStatus, codeInvalidID:
		return engine.FaultExpert
	}
	// Any other refusal is taken as this expert's: the old, cautious
	// reading (a cool-down) rather than ending the escalation.
	return engine.FaultExpert
}
