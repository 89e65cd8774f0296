package genesys

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// AdminHandle serves h at pattern (under /_fake/) behind the admin token,
// like the built-in admin routes. Register before serving.
func (s *Server) AdminHandle(pattern string, h http.HandlerFunc) {
	s.admin(pattern, func(w http.ResponseWriter, r *http.Request, _ *call) { h(w, r) })
}

// Full is the whole fake Genesys Cloud: the REST server with the
// Notification API hub mounted and publishing, plus admin routes for the
// hub's fault knobs under /_fake/notifications/.
type Full struct {
	*Server
	Hub *notify.Hub
}

// NewFull builds the REST server and the hub and wires them together. The
// hub's Authorize, BaseURL, Now, KnownTopic and TimeScale come from the
// server; other hub options are taken from hubOpts.
func NewFull(opts Options, hubOpts notify.Options) (*Full, error) {
	var srv atomic.Pointer[Server]
	hubOpts.Authorize = func(r *http.Request) (string, *wire.ErrorBody) { return srv.Load().Authorize(r) }
	hubOpts.BaseURL = func() string { return srv.Load().BaseURL() }
	hubOpts.Now = func() time.Time { return srv.Load().Now() }
	hubOpts.KnownTopic = func(t string) bool { return srv.Load().KnownTopic(t) }
	if hubOpts.TimeScale == 0 {
		hubOpts.TimeScale = opts.TimeScale
	}
	hub := notify.New(hubOpts)
	opts.Publisher, opts.Notifications = hub, hub.Handler()
	s, err := New(opts)
	if err != nil {
		hub.Close()
		return nil, err
	}
	srv.Store(s)
	f := &Full{Server: s, Hub: hub}
	s.AdminHandle("POST /_fake/notifications/drop-sockets", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]int{"dropped": hub.DropSockets()})
	})
	s.AdminHandle("POST /_fake/notifications/pause", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Paused bool `json:"paused"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeJSON(w, 400, wire.Error(400, "bad.request", "body: "+err.Error()))
			return
		}
		hub.Pause(body.Paused)
		writeJSON(w, 200, body)
	})
	s.AdminHandle("POST /_fake/notifications/faults", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Drop, Duplicate, Reorder float64
			DelayMs                  int
			Seed                     uint64
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			writeJSON(w, 400, wire.Error(400, "bad.request", "body: "+err.Error()))
			return
		}
		hub.SetFaults(notify.Faults{Drop: body.Drop, Duplicate: body.Duplicate, Reorder: body.Reorder,
			Delay: time.Duration(body.DelayMs) * time.Millisecond, Seed: body.Seed})
		writeJSON(w, 200, body)
	})
	s.AdminHandle("POST /_fake/notifications/channels/{id}/socket-closing", func(w http.ResponseWriter, r *http.Request) {
		hub.SendSocketClosing(r.PathValue("id"))
		writeJSON(w, 202, map[string]string{"channelId": r.PathValue("id")})
	})
	s.AdminHandle("POST /_fake/notifications/channels/{id}/expire", func(w http.ResponseWriter, r *http.Request) {
		hub.ExpireChannel(r.PathValue("id"))
		writeJSON(w, 202, map[string]string{"channelId": r.PathValue("id")})
	})
	s.AdminHandle("GET /_fake/notifications/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, hub.Stats())
	})
	return f, nil
}

// Close stops the server and the hub.
func (f *Full) Close() {
	f.Server.Close()
	f.Hub.Close()
}
