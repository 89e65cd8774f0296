package serve

import (
	"context"
	"crypto/subtle"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// StatusPage is what GET /status shows on-call: health, the pool by
// presence and eligibility, escalations in flight and held, and the last
// decisions with their explanations. The runtime fills it.
type StatusPage struct {
	Replica, Version string
	Now              time.Time
	Ready            string // "ready" or why not
	FeedConnected    bool
	RedisUp          bool
	ResyncAge        time.Duration
	Stalest          time.Duration
	ByPresence       []Count
	EligibleBy       []Count        // by priority
	Experts          []StatusExpert // the first rows of the pool
	PoolSize         int
	InFlight         []StatusEscalation
	Decisions        []StatusDecision
}

// Count is one labelled number.
type Count struct {
	Label string
	N     int
}

// StatusExpert is one expert's row.
type StatusExpert struct {
	ID, Name, Presence, System, Routing string
	Eligible                            string // priorities the policy lets reach them, "P1 P2" or "–"
	Staleness                           time.Duration
}

// StatusEscalation is one escalation this replica is routing.
type StatusEscalation struct {
	ConversationID, Priority, Action, Expert, Why string
	Since, HeldSince                              time.Duration // ago; HeldSince 0 = never held
}

// StatusDecision is one recent decision.
type StatusDecision struct {
	At                                            time.Time
	ConversationID, Action, Priority, Expert, Why string
	Eligible, SkillHolders                        int
	Candidates                                    string // ranked, "name 0.83, …"
}

// StatusHandler serves the page. It is read-only and behind the Data
// Action's secrets: a bearer token, or HTTP Basic auth (any user name)
// whose password is the bearer token or the HMAC key, so that a browser
// can open it.
func StatusHandler(auth Auth, page func(context.Context) (*StatusPage, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !statusAuthed(auth, r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="shadowq status", charset="UTF-8"`)
			http.Error(w, "authentication required: the Data Action token (or HMAC key) as the password", http.StatusUnauthorized)
			return
		}
		p, err := page(r.Context())
		if err != nil {
			http.Error(w, "status unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		if err := statusTmpl.Execute(w, p); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}

func statusAuthed(a Auth, r *http.Request) bool {
	eq := func(got, want string) bool {
		return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return eq(tok, a.Token)
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return eq(pw, a.Token) || eq(pw, a.HMACSecret)
	}
	return false
}

func ago(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

var statusTmpl = template.Must(template.New("status").Funcs(template.FuncMap{"ago": ago,
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") }}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shadowq status – {{.Replica}}</title>
<meta http-equiv="refresh" content="10">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse;margin-bottom:.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.ok{color:#06702a;font-weight:600}.bad{color:#b00020;font-weight:600}
.muted{color:#777}.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:9em}
.card b{display:block;font-size:1.3em}td.why{max-width:40em;font-size:12px}
</style></head><body>
<h1>shadowq status</h1>
<p class="muted">replica {{.Replica}} · version {{.Version}} · {{clock .Now}} UTC · refreshes every 10 s · read-only</p>
<section id="health"><h2>Health</h2><div class="cards">
<div class="card">readiness <b class="{{if eq .Ready "ready"}}ok{{else}}bad{{end}}">{{.Ready}}</b></div>
<div class="card">notification feed <b class="{{if .FeedConnected}}ok">connected{{else}}bad">disconnected{{end}}</b></div>
<div class="card">Redis <b class="{{if .RedisUp}}ok">up{{else}}bad">unreachable{{end}}</b></div>
<div class="card">last full resync <b>{{ago .ResyncAge}} ago</b></div>
<div class="card">stalest presence <b>{{ago .Stalest}}</b></div>
</div></section>
<section id="pool"><h2>Experts by presence</h2>
<table><tr>{{range .ByPresence}}<th>{{.Label}}</th>{{end}}</tr><tr>{{range .ByPresence}}<td>{{.N}}</td>{{end}}</tr></table>
<h2>Eligible by priority</h2>
<table><tr>{{range .EligibleBy}}<th>{{.Label}}</th>{{end}}</tr><tr>{{range .EligibleBy}}<td>{{.N}}</td>{{end}}</tr></table>
</section>
<section id="inflight"><h2>Escalations in flight ({{len .InFlight}})</h2>
{{if .InFlight}}<table><tr><th>conversation</th><th>priority</th><th>state</th><th>expert</th><th>since</th><th>held for</th><th>why</th></tr>
{{range .InFlight}}<tr><td>{{.ConversationID}}</td><td>{{.Priority}}</td><td>{{.Action}}</td><td>{{.Expert}}</td><td>{{ago .Since}}</td><td>{{ago .HeldSince}}</td><td class="why">{{.Why}}</td></tr>
{{end}}</table>{{else}}<p class="muted">none</p>{{end}}</section>
<section id="decisions"><h2>Last decisions</h2>
{{if .Decisions}}<table><tr><th>time (UTC)</th><th>conversation</th><th>priority</th><th>action</th><th>expert</th><th>eligible / skill holders</th><th>ranked candidates</th><th>why</th></tr>
{{range .Decisions}}<tr><td>{{clock .At}}</td><td>{{.ConversationID}}</td><td>{{.Priority}}</td><td>{{.Action}}</td><td>{{.Expert}}</td><td>{{.Eligible}} / {{.SkillHolders}}</td><td class="why">{{.Candidates}}</td><td class="why">{{.Why}}</td></tr>
{{end}}</table>{{else}}<p class="muted">no decision yet</p>{{end}}</section>
<section id="experts"><h2>Experts ({{.PoolSize}}{{if lt (len .Experts) .PoolSize}}, the first {{len .Experts}} shown{{end}})</h2>
<table><tr><th>name</th><th>user id</th><th>presence</th><th>system presence</th><th>routing status</th><th>eligible for</th><th>confirmed</th></tr>
{{range .Experts}}<tr><td>{{.Name}}</td><td>{{.ID}}</td><td>{{.Presence}}</td><td>{{.System}}</td><td>{{.Routing}}</td><td>{{.Eligible}}</td><td>{{ago .Staleness}} ago</td></tr>
{{end}}</table></section>
</body></html>
`))
