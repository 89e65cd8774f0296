package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Paths the handler serves; the REST half mounts Handler on both prefixes.
const (
	APIPrefix    = "/api/v2/notifications/"
	SocketPrefix = "/channels/"
)

func (h *Hub) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v2/notifications/channels", h.rest(h.channelsHandler))
	mux.HandleFunc("/api/v2/notifications/channels/{id}", h.rest(h.channelHandler))
	mux.HandleFunc("/api/v2/notifications/channels/{id}/subscriptions", h.rest(h.subscriptionsHandler))
	mux.HandleFunc("/api/v2/notifications/availabletopics", h.rest(h.availableTopicsHandler))
	mux.HandleFunc("/api/v2/notifications/", h.rest(func(w http.ResponseWriter, r *http.Request, _ string) {
		writeError(w, r, wire.Error(http.StatusNotFound, "not.found", "No resource at "+r.URL.Path+"."))
	}))
	mux.HandleFunc("GET /channels/{id}", h.serveSocket)
	return mux
}

// rest authenticates a Platform API request and hands the OAuth client id
// to next. Every answer carries ININ-Correlation-Id.
func (h *Hub) rest(next func(w http.ResponseWriter, r *http.Request, client string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cid := r.Header.Get("ININ-Correlation-Id")
		if cid == "" {
			u := h.correlationID()
			cid = string(u[:])
		}
		r.Header.Set("ININ-Correlation-Id", cid)
		w.Header().Set("ININ-Correlation-Id", cid)
		client, e := h.opts.Authorize(r)
		if e != nil {
			wire.Write(w, e, cid)
			return
		}
		h.mu.Lock()
		closed := h.closed
		h.mu.Unlock()
		if closed {
			writeError(w, r, wire.Error(http.StatusServiceUnavailable, "service.unavailable", "The notification service is shut down."))
			return
		}
		next(w, r, client)
	}
}

func writeError(w http.ResponseWriter, r *http.Request, e *wire.ErrorBody) {
	wire.Write(w, e, r.Header.Get("ININ-Correlation-Id"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	// The Platform API's exact code for a wrong method is not documented.
	writeError(w, r, wire.Error(http.StatusMethodNotAllowed, "method.not.allowed",
		fmt.Sprintf("%s is not supported on %s; use %s.", r.Method, r.URL.Path, allow)))
}

func channelNotFound(w http.ResponseWriter, r *http.Request, id string) {
	e := wire.Error(http.StatusNotFound, "entity.not.found", "Channel "+id+" was not found; it may have expired or been replaced.")
	e.EntityID = id
	writeError(w, r, e)
}

// channelJSON is the Channel model.
type channelJSON struct {
	ConnectURI string `json:"connectUri"`
	ID         string `json:"id"`
	Expires    string `json:"expires"`
}

// topicJSON is the ChannelTopic model.
type topicJSON struct {
	ID              string `json:"id"`
	State           string `json:"state,omitempty"`
	RejectionReason string `json:"rejectionReason,omitempty"`
	SelfURI         string `json:"selfUri,omitempty"`
}

type listing[T any] struct {
	Entities []T `json:"entities"`
}

func (h *Hub) channelJSON(r *http.Request, ch *channel) channelJSON {
	return channelJSON{
		ConnectURI: h.connectURI(r, ch.id),
		ID:         ch.id,
		Expires:    ch.expires.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
}

func (h *Hub) connectURI(r *http.Request, id string) string {
	scheme, host := "ws", r.Host
	if r.TLS != nil {
		scheme = "wss"
	}
	if h.opts.BaseURL != nil {
		// A server bound to every interface (0.0.0.0, [::]) cannot be
		// dialled at that address: the Host the client used reaches it.
		if u, err := url.Parse(h.opts.BaseURL()); err == nil && u.Host != "" && !unspecified(u.Hostname()) {
			host = u.Host
			scheme = "ws"
			if u.Scheme == "https" || u.Scheme == "wss" {
				scheme = "wss"
			}
		}
	}
	return scheme + "://" + host + "/channels/" + id
}

func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// channelsHandler: POST creates a channel (no body), GET lists the
// client's channels. ?includechannels=token|oauthclient is accepted; the
// fake knows only the client, so both list the client's channels.
func (h *Hub) channelsHandler(w http.ResponseWriter, r *http.Request, client string) {
	switch r.Method {
	case http.MethodPost:
		h.mu.Lock()
		ch := h.createLocked(client)
		out := h.channelJSON(r, ch)
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case http.MethodGet, http.MethodHead:
		h.mu.Lock()
		out := listing[channelJSON]{Entities: []channelJSON{}}
		for _, ch := range append([]*channel(nil), h.byClient[client]...) {
			if h.liveLocked(ch) {
				out.Entities = append(out.Entities, h.channelJSON(r, ch))
			}
		}
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	default:
		methodNotAllowed(w, r, "GET, POST")
	}
}

// channelHandler: HEAD answers 200 when the channel exists, 404 when not.
func (h *Hub) channelHandler(w http.ResponseWriter, r *http.Request, client string) {
	if r.Method != http.MethodHead {
		methodNotAllowed(w, r, "HEAD")
		return
	}
	id := r.PathValue("id")
	h.mu.Lock()
	ch := h.lookupLocked(client, id)
	h.mu.Unlock()
	if ch == nil {
		channelNotFound(w, r, id)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// subscriptionsHandler: GET lists, POST adds, PUT replaces, DELETE clears.
// POST and PUT answer with every subscription of the channel (Permitted)
// followed by the entries rejected by this request when ?ignoreErrors=true.
func (h *Hub) subscriptionsHandler(w http.ResponseWriter, r *http.Request, client string) {
	var op subOp
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		op = opNone
	case http.MethodPost:
		op = opAdd
	case http.MethodPut:
		op = opReplace
	case http.MethodDelete:
		op = opClear
	default:
		methodNotAllowed(w, r, "GET, POST, PUT, DELETE")
		return
	}
	var entries []string
	if op == opAdd || op == opReplace {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, r, wire.Error(http.StatusRequestEntityTooLarge, "request.entity.too.large",
					fmt.Sprintf("The request body is larger than %d bytes.", maxBodyBytes)))
				return
			}
			writeError(w, r, wire.Error(http.StatusBadRequest, "bad.request", "Reading the request body failed: "+err.Error()))
			return
		}
		entries, err = decodeSubscriptionsBody(data)
		if err != nil {
			writeError(w, r, wire.Error(http.StatusBadRequest, "bad.request", err.Error()))
			return
		}
	}
	ignoreErrors := strings.EqualFold(r.URL.Query().Get("ignoreErrors"), "true")

	id := r.PathValue("id")
	h.mu.Lock()
	ch := h.lookupLocked(client, id)
	if ch == nil {
		h.mu.Unlock()
		channelNotFound(w, r, id)
		return
	}
	var rejected []rejection
	if op != opNone {
		var e *wire.ErrorBody
		rejected, e = h.changeLocked(ch, op, entries, ignoreErrors)
		if e != nil {
			h.mu.Unlock()
			writeError(w, r, e)
			return
		}
	}
	out := listing[topicJSON]{Entities: make([]topicJSON, 0, len(ch.subs)+len(rejected))}
	for _, e := range ch.subs {
		out.Entities = append(out.Entities, topicJSON{ID: e, State: "Permitted", SelfURI: selfURI(e)})
	}
	h.mu.Unlock()
	if op == opClear {
		w.WriteHeader(http.StatusOK)
		return
	}
	for _, rj := range rejected {
		out.Entities = append(out.Entities, topicJSON{ID: rj.entry, State: "Rejected", RejectionReason: rj.reason})
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeSubscriptionsBody parses [{"id":"topic"},...]. It never panics; its
// errors say what is wrong and where (body[i].id), for a 400 bad.request.
// Unknown fields of an element are ignored, as a Jackson service would by
// default; an empty array is allowed (PUT [] clears).
func decodeSubscriptionsBody(data []byte) ([]string, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, fmt.Errorf(`the request body is empty; expected a JSON array such as [{"id":"v2.users.{id}.presence"}]`)
	}
	var items []json.RawMessage
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&items); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return nil, fmt.Errorf(`the request body must be a JSON array of {"id":"<topic>"} objects, not a JSON %s`, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return nil, fmt.Errorf("the request body is not valid JSON: %v (at byte %d)", syntaxErr, syntaxErr.Offset)
		}
		return nil, fmt.Errorf("the request body is not valid JSON: %v", err)
	}
	if items == nil {
		return nil, fmt.Errorf(`the request body must be a JSON array of {"id":"<topic>"} objects, not null`)
	}
	if dec.More() {
		return nil, fmt.Errorf("the request body has data after the JSON array (at byte %d)", dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("the request body has data after the JSON array (at byte %d)", dec.InputOffset())
	}
	out := make([]string, len(items))
	for i, it := range items {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(it, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf(`body[%d] must be an object like {"id":"<topic>"}`, i)
		}
		v, ok := obj["id"]
		if !ok || isNull(v) {
			return nil, fmt.Errorf("body[%d].id is missing", i)
		}
		if err := json.Unmarshal(v, &out[i]); err != nil {
			return nil, fmt.Errorf("body[%d].id must be a string", i)
		}
		if out[i] == "" {
			return nil, fmt.Errorf("body[%d].id is empty", i)
		}
	}
	return out, nil
}

// availableTopic is a minimal AvailableTopic: the three user topics the
// fake serves by default. Schemas are not modelled.
type availableTopic struct {
	ID                  string   `json:"id"`
	Description         string   `json:"description"`
	RequiresPermissions []string `json:"requiresPermissions"`
	Transports          []string `json:"transports"`
}

func (h *Hub) availableTopicsHandler(w http.ResponseWriter, r *http.Request, _ string) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	writeJSON(w, http.StatusOK, listing[availableTopic]{Entities: []availableTopic{
		{ID: "v2.users.{id}.presence", Description: "Presence changes for a user", RequiresPermissions: []string{}, Transports: []string{"All"}},
		{ID: "v2.users.{id}.routingStatus", Description: "Routing status changes for a user", RequiresPermissions: []string{}, Transports: []string{"All"}},
		{ID: "v2.users.{id}.conversations", Description: "Conversation changes for a user", RequiresPermissions: []string{"conversation:communication:view"}, Transports: []string{"All"}},
	}})
}
