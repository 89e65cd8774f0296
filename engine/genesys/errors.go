package genesys

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrBudget means a request could not start within its deadline
	// because the request budget (Budget) was spent.
	ErrBudget = errors.New("genesys: request budget exhausted")
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
