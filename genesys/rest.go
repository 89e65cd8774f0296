package genesys

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configures a Client. API and Tokens are required.
type Options struct {
	// API is the Platform API base URL (see BaseURL).
	API string
	// Tokens supplies bearer tokens (a *TokenManager, or a StaticToken).
	Tokens TokenSource
	// Budget is the request budget of Tokens' token; default
	// DefaultBudget(). Share it with anything else using the same token.
	Budget *Budget
	// MoreClients are further OAuth clients: each adds its token's
	// allowance, and every request goes to the client whose budget has
	// the earliest slot (notification channels stay on Tokens).
	MoreClients []OAuthClient
	// HTTPClient sends the requests that bypass the SDK (bulk presence,
	// queue members); default: a client with the SDK's 16 s timeout.
	HTTPClient *http.Client
	// SDKConns is how many SDK configurations the Client keeps, that is
	// how many SDK calls may run at once (default 4). See sdk.go for why
	// one configuration cannot serve concurrent calls.
	SDKConns int
	// Retry is the retry policy for every call.
	Retry RetryPolicy
	// Metrics receives request and retry counts; default NopMetrics.
	Metrics Metrics
	// Logger receives retries and rejected subscriptions; default discards.
	Logger *slog.Logger
	// Now stamps snapshots and outcomes; default time.Now.
	Now func() time.Time
}

// RetryPolicy bounds the retries of one call. Zero fields take defaults.
type RetryPolicy struct {
	// InitialInterval, MaxInterval, Multiplier and Jitter shape the
	// exponential backoff after a 5xx or a transport error (defaults
	// 250 ms, 10 s, 2 and 0.5: each wait is drawn from ±50 % of the
	// current interval). A 429 waits its Retry-After instead.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Multiplier      float64
	Jitter          float64
	// MaxElapsed is how long after its first try a call may still start a
	// new one, budget waits included (default 30 s).
	MaxElapsed time.Duration
	// MaxTries caps the tries of one call, 401 refreshes not counted
	// (default 6).
	MaxTries int
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.InitialInterval <= 0 {
		p.InitialInterval = 250 * time.Millisecond
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 10 * time.Second
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	if p.Jitter <= 0 || p.Jitter > 1 {
		p.Jitter = 0.5
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Second
	}
	if p.MaxTries <= 0 {
		p.MaxTries = 6
	}
	return p
}

// Client is the REST side of the adapter: presence definitions, users,
// queue members, resync reads, deliveries, and the notification channels
// the Feed uses. Every call draws from the Budget and follows one retry
// policy (retry.go).
//
// Which transport each call uses:
//
//   - the official SDK (platformclientv2): presence definitions, users
//     (also the routing-status half of a resync), conversations, /assign,
//     the routing PATCH, replace/agent, notification channels and
//     subscriptions;
//   - plain net/http to the same paths: bulk presence (the SDK joins ids
//     into one comma-separated parameter, id=a%2Cb; the API documents a
//     repeated id parameter, and this is the hot resync path, which
//     benefits from request contexts and connection reuse the SDK lacks)
//     and queue members (the SDK always sends joined=<bool>, which filters;
//     we want every member in one walk).
//
// Safe for concurrent use.
type Client struct {
	api     string
	tokens  TokenSource // lanes[0]'s
	lanes   []*lane
	budgets []*Budget // the lanes' budgets, in lane order
	hc      *http.Client
	pool    chan *sdkConn
	retry   RetryPolicy
	metrics Metrics
	log     *slog.Logger
	now     func() time.Time
}

// NewClient checks o and builds a Client. It makes no request.
func NewClient(o Options) (*Client, error) {
	if o.API == "" {
		return nil, errors.New("genesys: Options.API is required (see BaseURL)")
	}
	if u, err := url.Parse(o.API); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("genesys: Options.API %q is not an http(s) base URL", o.API)
	}
	if o.Tokens == nil {
		return nil, errors.New("genesys: Options.Tokens is required")
	}
	c := &Client{
		api: strings.TrimRight(o.API, "/"), tokens: o.Tokens, hc: o.HTTPClient,
		retry: o.Retry.withDefaults(), metrics: o.Metrics, log: o.Logger, now: o.Now,
	}
	for i, oc := range append([]OAuthClient{{Tokens: o.Tokens, Budget: o.Budget}}, o.MoreClients...) {
		if oc.Tokens == nil {
			return nil, fmt.Errorf("genesys: Options.MoreClients[%d].Tokens is required", i-1)
		}
		if oc.Budget == nil {
			oc.Budget = DefaultBudget()
		}
		for _, l := range c.lanes {
			if l.budget == oc.Budget {
				return nil, errors.New("genesys: two OAuth clients share one Budget; each token has its own allowance")
			}
		}
		c.lanes = append(c.lanes, &lane{tokens: oc.Tokens, budget: oc.Budget})
		c.budgets = append(c.budgets, oc.Budget)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 16 * time.Second}
	}
	if c.metrics == nil {
		c.metrics = NopMetrics{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	n := o.SDKConns
	if n <= 0 {
		n = 4
	}
	c.pool = make(chan *sdkConn, n)
	for range n {
		c.pool <- newSDKConn(c.api)
	}
	return c, nil
}

// API returns the base URL the client talks to.
func (c *Client) API() string { return c.api }
