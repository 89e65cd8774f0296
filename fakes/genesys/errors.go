package genesys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Error codes of the standard error body (shared/genesys-api.md §7 and the
// x-inin-error-codes of the API's swagger).
const (
	codeBadRequest          = "bad.request"
	codeInvalidValue        = "invalid.value"
	codeInvalidProperty     = "invalid.property"
	codeInvalidQueryParam   = "invalid.query.param.value"
	codeInvalidDate         = "invalid.date"
	codeAuthRequired        = "authentication.required"
	codeBadCredentials      = "bad.credentials"
	codeNotFound            = "not.found"
	codeResourceNotFound    = "resource.not.found"
	codeMethodNotAllowed    = "method.not.allowed" // unverified: the swagger lists no 405 code
	codeConflict            = "request.conflict"
	codeTooLarge            = "request.entity.too.large"
	codeUnsupportedMedia    = "unsupported.media.type"
	codeInternal            = "internal.server.error"
	codeUnavailable         = "service.unavailable"
	codeTooManyRequests     = "too.many.requests.retry.after"
	codeMaxUserPresences    = "max.user.presences"
	codeMaxUserIDs          = "max.user.ids"
	codeInvalidStatus       = "invalid.status"
	codeFeatureNotEnabled   = "feature.not.enabled"
	codeOperationFailed     = "operation.failed"
	codeInvalidID           = "invalid.id"
	codeTransferNotConn     = "conversations.error.transfer.not.connected"
	codeTransferACD         = "conversations.error.transfer.acd.call.unattended"
	codeTransferSameParty   = "conversations.error.transfer.same.party"
	codeTransferDestination = "conversations.error.transfer.destination.required"
	codeParticipantNotFound = "conversation.error.participant.not.found"
)

// maxBodyBytes is request.bytes.max (shared/genesys-api.md §7).
const maxBodyBytes = 512000

func apiError(status int, code, format string, args ...any) *wire.ErrorBody {
	return wire.Error(status, code, fmt.Sprintf(format, args...))
}

// fieldError is a 400 naming the offending field in details, the way
// Genesys reports validation failures.
func fieldError(code, field, format string, args ...any) *wire.ErrorBody {
	e := apiError(http.StatusBadRequest, code, format, args...)
	e.Details = []wire.ErrorDetail{{ErrorCode: code, FieldName: field}}
	return e
}

func notFound(kind, id string) *wire.ErrorBody {
	e := apiError(http.StatusNotFound, codeNotFound, "The %s %s could not be found.", kind, id)
	e.EntityID = id
	return e
}

func tooManyRequests(retryAfter int) *wire.ErrorBody {
	return apiError(http.StatusTooManyRequests, codeTooManyRequests,
		"Rate limit exceeded the maximum. Retry the request in [%d] seconds", retryAfter)
}

// writeError sends e with the call's correlation id.
func writeError(w http.ResponseWriter, c *call, e *wire.ErrorBody) {
	id := ""
	if c != nil {
		id = c.contextID
	}
	wire.Write(w, e, id)
}

// writeJSON sends v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled here; failing is a bug.
		panic(fmt.Sprintf("genesys: marshal %T: %v", v, err))
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
