// Package wire holds what both halves of the fake Genesys Cloud share on the
// wire: the standard Platform API error body, how it is written, and the
// authorizer the REST server lends the notification service.
package wire

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the Platform API's standard error body (ErrorBody in the
// API's swagger; see shared/genesys-api.md §7).
type ErrorBody struct {
	Message           string            `json:"message"`
	Code              string            `json:"code"`
	Status            int               `json:"status"`
	EntityID          string            `json:"entityId,omitempty"`
	EntityName        string            `json:"entityName,omitempty"`
	MessageWithParams string            `json:"messageWithParams,omitempty"`
	MessageParams     map[string]string `json:"messageParams,omitempty"`
	ContextID         string            `json:"contextId"`
	Details           []ErrorDetail     `json:"details"`
	Errors            []ErrorBody       `json:"errors"`
}

// ErrorDetail is one entry of ErrorBody.Details.
type ErrorDetail struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	FieldName  string `json:"fieldName,omitempty"`
	EntityID   string `json:"entityId,omitempty"`
	EntityName string `json:"entityName,omitempty"`
}

// Error makes an ErrorBody with empty (non-nil) detail lists, as Genesys
// sends them.
func Error(status int, code, message string) *ErrorBody {
	return &ErrorBody{Message: message, Code: code, Status: status, Details: []ErrorDetail{}, Errors: []ErrorBody{}}
}

// Write sends e as JSON with its status. contextID, when not empty, is
// echoed as contextId and in the ININ-Correlation-Id header.
func Write(w http.ResponseWriter, e *ErrorBody, contextID string) {
	if contextID != "" {
		e.ContextID = contextID
		w.Header().Set("ININ-Correlation-Id", contextID)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// Authorizer checks a request's bearer token. It returns the OAuth client
// id the token belongs to, or the error body to send (401
// authentication.required / bad.credentials).
type Authorizer func(r *http.Request) (clientID string, err *ErrorBody)

// Publisher receives every change the fake org makes, as Notification API
// topic events: topic is the expanded topic name (e.g.
// "v2.users.{id}.presence") and body the eventBody, marshalled as is.
// Implementations must be safe for concurrent use and must not block.
type Publisher interface {
	Publish(topic string, body any)
}
