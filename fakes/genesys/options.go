package genesys

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// Demo OAuth client credentials, used when Options leaves them empty.
const (
	DemoClientID     = "shadowq-demo-client"
	DemoClientSecret = "shadowq-demo-secret"
)

// Options configures a Server. The zero value serves DemoOrg with the demo
// credentials on a real-time clock.
type Options struct {
	ClientID     string // default DemoClientID
	ClientSecret string // default DemoClientSecret
	// AdminToken protects /_fake/; random when empty (see Server.AdminToken).
	AdminToken string
	// TokenTTL is the access-token lifetime reported as expires_in and
	// enforced on the fake clock; default 86399 s.
	TokenTTL time.Duration
	// TimeScale makes the fake clock run TimeScale× faster than the wall
	// clock: token expiry, answer delays, alert timeouts and handle times
	// all follow it. Default 1.
	TimeScale float64
	// Now, when set, is the fake clock (tests drive it by hand); TimeScale
	// then only shortens the real timers behind answer delays and alert
	// timeouts.
	Now func() time.Time
	// Org is the seed data; nil means DemoOrg().
	Org *Org
	// Answer is how users answer deliveries unless their User.Answer says
	// otherwise; the zero value means always accept after 2 s.
	Answer AnswerModel
	// AlertTimeout is how long a delivery alerts before it counts as not
	// answered, for queues that set none. Default 8 s, the Genesys default
	// for ACD alerting (unverified).
	AlertTimeout time.Duration
	// Faults are the fault knobs in force from the start.
	Faults Faults
	// Publisher receives every change as Notification API topic events;
	// nil publishes nothing.
	Publisher wire.Publisher
	// Notifications, when not nil, serves /api/v2/notifications/ (behind
	// the same bearer check, faults and rate limit as the rest of
	// /api/v2) and /channels/ (the pre-authorised WebSocket connectUri).
	Notifications http.Handler
	// Truth records the truth log (Server.Truth, GET /_fake/truth): every
	// presence change, /assign and bulk presence read with its time.
	Truth bool
	// History is the analytics store the conversation and user details
	// queries and the WFM schedule search read; nil means a new, empty
	// one (Server.History returns it either way).
	History *History
	// NoWFM makes the Workforce Management endpoints answer 403, as in an
	// org without a WFM licence.
	NoWFM bool
	// Seed drives every id and every random draw (answer outcomes, fault
	// shares); 0 means 1. Same seed and same calls, same ids.
	Seed uint64
}

// AnswerModel is how a user answers a delivery: the outcome is drawn with
// weights Accept, Decline and NoAnswer (all zero means always accept).
// Accept and decline happen Delay after the alert starts; no answer at the
// alert timeout. An accepted conversation stays connected for HandleTime,
// then ends. AnswerJSON is its wire form in the admin API.
type AnswerModel struct {
	Accept   float64
	Decline  float64
	NoAnswer float64
	// Delay until the user accepts or declines; zero means 2 s.
	Delay time.Duration
	// HandleTime an accepted conversation lasts; zero means 5 min, a
	// negative value means until the fake is closed.
	HandleTime time.Duration
}

const (
	defaultAnswerDelay  = 2 * time.Second
	defaultHandleTime   = 5 * time.Minute
	defaultAlertTimeout = 8 * time.Second
	defaultTokenTTL     = 86399 * time.Second
)

func (m AnswerModel) validate() error {
	for _, w := range []struct {
		name string
		v    float64
	}{{"accept", m.Accept}, {"decline", m.Decline}, {"noAnswer", m.NoAnswer}} {
		if w.v < 0 || math.IsNaN(w.v) || math.IsInf(w.v, 0) {
			return fmt.Errorf("answer weight %s = %v: must be a finite number ≥ 0", w.name, w.v)
		}
	}
	if m.Delay < 0 {
		return errors.New("answer delay must not be negative")
	}
	return nil
}

func (m AnswerModel) withDefaults() AnswerModel {
	if m.Delay == 0 {
		m.Delay = defaultAnswerDelay
	}
	if m.HandleTime == 0 {
		m.HandleTime = defaultHandleTime
	}
	return m
}

// normalize fills defaults and checks values; it returns a copy.
func (o Options) normalize() (Options, error) {
	if o.ClientID == "" {
		o.ClientID = DemoClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DemoClientSecret
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = defaultTokenTTL
	}
	if o.TokenTTL < time.Second {
		return o, fmt.Errorf("genesys: token TTL %v is under a second", o.TokenTTL)
	}
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	if o.TimeScale < 0 || math.IsNaN(o.TimeScale) || math.IsInf(o.TimeScale, 0) {
		return o, fmt.Errorf("genesys: time scale %v must be a finite number > 0", o.TimeScale)
	}
	if o.AlertTimeout == 0 {
		o.AlertTimeout = defaultAlertTimeout
	}
	if o.AlertTimeout < 0 {
		return o, errors.New("genesys: negative alert timeout")
	}
	if err := o.Answer.validate(); err != nil {
		return o, fmt.Errorf("genesys: %w", err)
	}
	if err := o.Faults.validate(); err != nil {
		return o, fmt.Errorf("genesys: %w", err)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Org == nil {
		demo := DemoOrg()
		o.Org = &demo
	}
	return o, nil
}
