package serve

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// MaxBody is the largest Data Action request accepted.
const MaxBody = 64 << 10

// Auth says how Data Action callers authenticate. With both set, either
// works. Secrets are compared in constant time and never logged.
type Auth struct {
	// Token is the bearer token: "Authorization: Bearer <Token>".
	Token string
	// HMACSecret signs the raw body: "X-Shadowq-Signature: sha256=<hex of
	// HMAC-SHA256(secret, body)>".
	HMACSecret string
}

// API is the Data Action HTTP API.
type API struct {
	Loop    *Loop
	Store   engine.Store
	Auth    Auth
	Metrics *Metrics // HTTP requests and decision time; count decisions with engine.Config.OnDecision
	Log     *slog.Logger
	// Ready says why the replica cannot serve (nil when it can): /readyz
	// answers 503 with the reason. nil Ready means always ready.
	Ready func() error
	// Accepting says why new escalations are refused (nil when they are
	// not), e.g. a shutdown in progress: POST answers 503 with the reason
	// before reading the body. nil means always accepting.
	Accepting func() error
	// Submitted, if set, sees every escalation submitted and the engine's
	// answer, on the engine's goroutine right after Submit (the runtime
	// remembers what it owns, to hand it over at shutdown).
	Submitted func(engine.Escalation, engine.Decision)
	// BodyTimeout bounds reading one request body [DefaultBodyTimeout].
	BodyTimeout time.Duration
	// RoutedWait bounds how long an answer waits for Genesys to accept
	// the /assign of the delivery it would report [DefaultRoutedWait]: see
	// confirm.go.
	RoutedWait time.Duration
}

// DefaultBodyTimeout bounds how long a client may take to send a body.
const DefaultBodyTimeout = 5 * time.Second

// EscalationRequest is the body of POST /v1/escalations, as a Genesys Data
// Action sends it.
type EscalationRequest struct {
	ConversationID  string   `json:"conversationId"`
	Skills          []string `json:"skills"`
	Priority        Priority `json:"priority"`
	PatienceSeconds *float64 `json:"patienceSeconds,omitempty"`
	Queue           string   `json:"queue,omitempty"`
}

// Priority accepts "P1".."P5" or 1..5.
type Priority engine.Priority

// UnmarshalJSON implements json.Unmarshaler.
func (p *Priority) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := engine.ParsePriority(s)
	if err != nil {
		return err
	}
	*p = Priority(v)
	return nil
}

// EscalationResponse is what the Data Action gets back.
type EscalationResponse struct {
	Action               string  `json:"action"` // routed, hold, fallback, abandoned
	UserID               string  `json:"userId"`
	EstimatedWaitSeconds float64 `json:"estimatedWaitSeconds"`
	Message              string  `json:"message"`
	Queue                string  `json:"queue"`
	DecisionID           string  `json:"decisionId"`
}

// ErrorResponse is every 4xx/5xx body of the Data Action API.
type ErrorResponse struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"` // JSON path of the property at fault
	Message string `json:"message"`
}

// Handler serves /v1/escalations, /healthz, /readyz. Mount /metrics with
// promhttp beside it.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/escalations", a.instrument("escalations_post", a.accepting(a.authed(a.postEscalation))))
	mux.HandleFunc("GET /v1/escalations/{id}", a.instrument("escalations_get", a.authed(a.getEscalation)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if a.Ready != nil {
			if err := a.Ready(); err != nil {
				writeJSON(w, 503, ErrorResponse{Code: "not.ready", Message: err.Error()})
				return
			}
		}
		writeJSON(w, 200, map[string]string{"status": "ready"})
	})
	return mux
}

// accepting refuses new work while Accepting reports a reason.
func (a *API) accepting(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.Accepting != nil {
			if err := a.Accepting(); err != nil {
				w.Header().Set("Retry-After", "1")
				writeJSON(w, 503, ErrorResponse{Code: "service.unavailable", Message: err.Error() + "; retry on another replica or use the fallback queue"})
				return
			}
		}
		h(w, r)
	}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(c int) { s.code = c; s.ResponseWriter.WriteHeader(c) }

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *API) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: 200}
		h(sw, r)
		if a.Metrics != nil {
			a.Metrics.HTTPRequests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		}
	}
}

// authed checks the caller and passes the body on. A bearer token is
// checked from the headers before a byte of the body is read, and a
// request with neither a valid token nor a signature header is refused
// unread, so an unauthenticated client cannot make the server wait on or
// buffer a body. Only an HMAC signature needs the body: it is read
// bounded in size (MaxBody) and in time (BodyTimeout) first.
func (a *API) authed(h func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		bearer := a.bearerOK(r)
		sig, signed := strings.CutPrefix(r.Header.Get("X-Shadowq-Signature"), "sha256=")
		signed = signed && a.Auth.HMACSecret != ""
		if !bearer && !signed {
			unauthorized(w)
			return
		}
		body, e := a.readBody(w, r)
		if e != nil {
			writeJSON(w, e.status, e.ErrorResponse)
			return
		}
		if !bearer && !a.signatureOK(sig, body) {
			unauthorized(w)
			return
		}
		h(w, r, body)
	}
}

func unauthorized(w http.ResponseWriter) {
	writeJSON(w, 401, ErrorResponse{Code: "authentication.required", Message: "send Authorization: Bearer <token> or X-Shadowq-Signature: sha256=<hmac of the body>"})
}

type statusError struct {
	status int
	ErrorResponse
}

// readBody reads the whole body, at most MaxBody bytes and within
// BodyTimeout of now (the server's ReadTimeout bounds it too; this bound
// holds whatever server the handler is mounted on).
func (a *API) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *statusError) {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(a.bodyTimeout())) == nil
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err == nil {
		if deadline {
			_ = rc.SetReadDeadline(time.Time{}) // the server's own timeouts apply again
		}
		return body, nil
	}
	// The connection is not reused: the rest of the body is not worth
	// waiting for (the expired deadline also stops net/http draining it).
	w.Header().Set("Connection", "close")
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		return nil, &statusError{http.StatusRequestEntityTooLarge, ErrorResponse{Code: "request.entity.too.large", Message: fmt.Sprintf("body over %d bytes", MaxBody)}}
	case errors.As(err, &ne) && ne.Timeout():
		return nil, &statusError{http.StatusRequestTimeout, ErrorResponse{Code: "request.timeout", Message: fmt.Sprintf("the body did not arrive within %v", a.bodyTimeout())}}
	}
	return nil, &statusError{400, ErrorResponse{Code: "bad.request", Message: "reading body: " + err.Error()}}
}

func (a *API) bodyTimeout() time.Duration {
	if a.BodyTimeout > 0 {
		return a.BodyTimeout
	}
	return DefaultBodyTimeout
}

func (a *API) bearerOK(r *http.Request) bool {
	if a.Auth.Token == "" {
		return false
	}
	got, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return found && subtle.ConstantTimeCompare([]byte(got), []byte(a.Auth.Token)) == 1
}

func (a *API) signatureOK(sig string, body []byte) bool {
	mac := hmac.New(sha256.New, []byte(a.Auth.HMACSecret))
	mac.Write(body)
	got, err := hex.DecodeString(sig)
	return err == nil && hmac.Equal(got, mac.Sum(nil))
}

func (a *API) postEscalation(w http.ResponseWriter, r *http.Request, body []byte) {
	var req EscalationRequest
	if e := decodeEscalation(body, &req); e != nil {
		writeJSON(w, 400, e)
		return
	}
	if e := req.validate(); e != nil {
		writeJSON(w, 400, e)
		return
	}
	x := engine.Escalation{ConversationID: req.ConversationID, Skills: req.Skills, Priority: engine.Priority(req.Priority), Queue: req.Queue}
	if req.PatienceSeconds != nil {
		x.Patience = time.Duration(*req.PatienceSeconds * float64(time.Second))
	}
	start := time.Now()
	var d engine.Decision
	err := a.Loop.Do(r.Context(), func(e *engine.Engine) error {
		var err error
		d, err = e.Submit(r.Context(), x)
		if err == nil && a.Submitted != nil {
			a.Submitted(x, d)
		}
		return err
	})
	if a.Metrics != nil {
		a.Metrics.DecisionTime.Observe(time.Since(start).Seconds())
	}
	if err != nil {
		if errors.Is(err, engine.ErrInvalid) {
			writeJSON(w, 400, ErrorResponse{Code: "invalid.value", Message: err.Error()})
			return
		}
		a.log().Error("escalation failed", "conversationId", req.ConversationID, "err", err)
		writeJSON(w, 503, ErrorResponse{Code: "service.unavailable", Message: "routing is unavailable; use the fallback queue"})
		return
	}
	if d.Action == engine.ActDeliver {
		d = a.confirm(r.Context(), d)
	}
	a.log().Info("escalation", "conversationId", d.ConversationID, "action", d.Action.String(), "userId", d.Expert, "priority", d.Priority.String())
	writeJSON(w, 200, response(d))
}

// response maps an engine decision to the Data Action's flat output.
func response(d engine.Decision) EscalationResponse {
	r := EscalationResponse{UserID: string(d.Expert), Queue: d.Queue, DecisionID: d.ID()}
	switch d.Action {
	case engine.ActRouted:
		r.Action, r.Message = "routed", "Connecting you to an expert now."
	case engine.ActHold:
		r.Action = "hold"
		r.EstimatedWaitSeconds = d.ETA.Seconds()
		r.Message = "An expert will be with you in " + d.ETAMessage + "."
		if d.ETAMessage == "" {
			r.Message = "An expert will be with you shortly."
		}
	case engine.ActAbandoned:
		r.Action, r.Message = "abandoned", "The caller hung up."
	default:
		r.Action, r.Message = "fallback", "All experts are busy; transferring to the queue."
		if d.Observed {
			// Observe mode: nobody was found busy; the queue routes it.
			r.Message = "Transferring you to the queue."
		}
	}
	return r
}

func (q *EscalationRequest) validate() *ErrorResponse {
	switch {
	case strings.TrimSpace(q.ConversationID) == "":
		return &ErrorResponse{Code: "invalid.value", Field: "conversationId", Message: "conversationId is required"}
	case q.Priority == 0:
		return &ErrorResponse{Code: "invalid.value", Field: "priority", Message: "priority is required: P1..P5"}
	case q.PatienceSeconds != nil && (*q.PatienceSeconds < 0 || *q.PatienceSeconds > 86400):
		return &ErrorResponse{Code: "invalid.value", Field: "patienceSeconds", Message: "must be within 0..86400 (it must not be negative)"}
	}
	for i, s := range q.Skills {
		if strings.TrimSpace(s) == "" {
			return &ErrorResponse{Code: "invalid.value", Field: fmt.Sprintf("skills[%d]", i), Message: "empty skill name"}
		}
	}
	return nil
}

// EscalationState is GET /v1/escalations/{id}.
type EscalationState struct {
	ConversationID string            `json:"conversationId"`
	Action         string            `json:"action"`
	UserID         string            `json:"userId,omitempty"`
	Terminal       bool              `json:"terminal"`
	History        []engine.Decision `json:"history"`
}

func (a *API) getEscalation(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("id")
	hist, err := a.Store.Decisions(r.Context(), id)
	if err != nil {
		writeJSON(w, 503, ErrorResponse{Code: "service.unavailable", Message: "decision log unavailable"})
		return
	}
	if len(hist) == 0 {
		writeJSON(w, 404, ErrorResponse{Code: "not.found", Field: "id", Message: fmt.Sprintf("no escalation %q", id)})
		return
	}
	last := hist[len(hist)-1]
	st := EscalationState{ConversationID: id, Action: last.Action.String(), UserID: string(last.Expert), Terminal: last.Action.Terminal(), History: hist}
	writeJSON(w, 200, st)
}

func (a *API) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
