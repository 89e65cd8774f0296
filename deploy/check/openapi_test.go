package check

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/memstore"
	"github.com/shadowq/shadowq/serve"
)

func init() {
	// /status is HTML: decode it as the text it is.
	openapi3filter.RegisterBodyDecoder("text/html", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	})
}

func loadSpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../genesys/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI 3: %v", err)
	}
	doc.Servers = nil // match any host: the test servers listen on random ports
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// exchange is one request made and its response, checked against the spec.
type exchange struct {
	route  *routers.Route
	status int
	body   []byte
	ctype  string
}

// checker sends requests and validates each response against the spec,
// remembering which (route, status) pairs and which properties were seen.
type checker struct {
	t      *testing.T
	router routers.Router
	seen   map[string]bool            // "METHOD path status"
	props  map[string]map[string]bool // "METHOD path status" → JSON property paths seen
	reqs   map[string]bool            // request-body properties sent in an accepted request
}

func (c *checker) send(req *http.Request, body []byte) exchange {
	c.t.Helper()
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return c.check(req, body, resp.StatusCode, resp.Header, rb)
}

func (c *checker) check(req *http.Request, body []byte, status int, h http.Header, rb []byte) exchange {
	c.t.Helper()
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		c.t.Errorf("%s %s answered %d but is not in openapi.yaml: %v", req.Method, req.URL.Path, status, err)
		return exchange{status: status, body: rb}
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	key := fmt.Sprintf("%s %s %d", route.Method, route.Path, status)
	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h, Body: io.NopCloser(bytes.NewReader(rb)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}); err != nil {
		c.t.Errorf("%s: the response does not match openapi.yaml: %v\n%s", key, err, rb)
	}
	c.seen[key] = true
	if strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		var v any
		if json.Unmarshal(rb, &v) == nil {
			if c.props[key] == nil {
				c.props[key] = map[string]bool{}
			}
			collect(v, "", c.props[key])
		}
	}
	if status == 200 && body != nil && route.Method == "POST" {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			for k := range m {
				c.reqs[k] = true
			}
		}
	}
	return exchange{route: route, status: status, body: rb, ctype: h.Get("Content-Type")}
}

// collect adds every object property path of v ("history[].candidates[].score").
func collect(v any, prefix string, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			into[prefix+k] = true
			collect(e, prefix+k+".", into)
		}
	case []any:
		for _, e := range x {
			collect(e, strings.TrimSuffix(prefix, ".")+"[].", into)
		}
	}
}

// documented lists every property path a schema documents.
func documented(s *openapi3.Schema, prefix string, into map[string]bool) {
	if s == nil {
		return
	}
	for name, p := range s.Properties {
		into[prefix+name] = true
		documented(p.Value, prefix+name+".", into)
	}
	if s.Items != nil {
		documented(s.Items.Value, strings.TrimSuffix(prefix, ".")+"[].", into)
	}
}

func newChecker(t *testing.T, router routers.Router) *checker {
	return &checker{t: t, router: router, seen: map[string]bool{}, props: map[string]map[string]bool{}, reqs: map[string]bool{}}
}

func request(t *testing.T, method, url string, auth bool) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// failingStore fails the decision log (GET /v1/escalations/{id} → 503).
type failingStore struct{ engine.Store }

func (failingStore) Decisions(context.Context, string) ([]engine.Decision, error) {
	return nil, errors.New("redis down")
}

// Every route and status in openapi.yaml happens, against a running serve
// (and, for the 503s of a replica that is shutting down or has lost Redis,
// against the same API handler with those parts failing); every response
// matches the spec; every documented property was sent by the server at
// least once, and every request property was accepted; every route the
// server registers is documented.
func TestOpenAPIMatchesRunningServer(t *testing.T) {
	doc, router := loadSpec(t)
	c := newChecker(t, router)
	r := startServe(t)

	// POST /v1/escalations: routed, then a repeat; a hold is not forced
	// here (it depends on the predictor), so estimatedWaitSeconds is checked
	// for presence, not value.
	conv := r.conversation(t)
	body := fmt.Sprintf(`{"conversationId":%q,"skills":["Databases"],"priority":"P1","patienceSeconds":120,"queue":"Tier 3"}`, conv)
	ex := c.send(request(t, "POST", r.url+"/v1/escalations", true), []byte(body))
	if ex.status != 200 || !strings.Contains(string(ex.body), `"action":"routed"`) {
		t.Fatalf("escalation: %d %s", ex.status, ex.body)
	}
	c.send(request(t, "POST", r.url+"/v1/escalations", true), []byte(fmt.Sprintf(`{"conversationId":%q,"skills":["Cobol"],"priority":2}`, r.conversation(t))))
	c.send(request(t, "POST", r.url+"/v1/escalations", true), []byte(`{"conversationId":"c","priority":"P1","colour":"red"}`))
	c.send(request(t, "POST", r.url+"/v1/escalations", false), []byte(`{}`))
	c.send(request(t, "POST", r.url+"/v1/escalations", true), bytes.Repeat([]byte(" "), serve.MaxBody+1))
	code, h, b := slowBody(t, r.url)
	c.check(request(t, "POST", r.url+"/v1/escalations", true), nil, code, h, b)

	// GET /v1/escalations/{id}: a known one (waiting until its history has
	// candidates and a routed end), an unknown one, no credentials.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		resp := r.do(t, "GET", "/v1/escalations/"+conv, "", true)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), `"terminal":true`) || time.Now().After(deadline) {
			break
		}
	}
	c.send(request(t, "GET", r.url+"/v1/escalations/"+conv, true), nil)
	c.send(request(t, "GET", r.url+"/v1/escalations/nope", true), nil)
	c.send(request(t, "GET", r.url+"/v1/escalations/"+conv, false), nil)
	c.send(request(t, "GET", r.url+"/healthz", false), nil)
	c.send(request(t, "GET", r.url+"/readyz", false), nil)
	c.send(request(t, "GET", r.url+"/metrics", false), nil)
	c.send(request(t, "GET", r.url+"/status", true), nil)
	c.send(request(t, "GET", r.url+"/status", false), nil)

	// The 503s, from the same handler with its parts failing.
	eng, err := engine.New(engine.Config{Clock: engine.ClockFunc(time.Now), Store: memstore.New(engine.ClockFunc(time.Now)), Dispatcher: nopDispatcher{}, Policy: engine.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	down := &serve.API{Loop: serve.NewLoop(eng), Store: failingStore{}, Auth: serve.Auth{Token: apiToken},
		Ready:     func() error { return errors.New("store: redis unreachable: connection refused") },
		Accepting: func() error { return errors.New("shutting down") }}
	ts := httptest.NewServer(down.Handler())
	defer ts.Close()
	c.send(request(t, "POST", ts.URL+"/v1/escalations", true), []byte(`{"conversationId":"c","priority":"P1"}`))
	c.send(request(t, "GET", ts.URL+"/v1/escalations/c", true), nil)
	c.send(request(t, "GET", ts.URL+"/readyz", false), nil)

	// Every documented (route, status) happened, and every property a
	// response schema documents was sent at least once by some response
	// using that schema (the Error schema is shared by every error status).
	sent := map[string]map[string]bool{}
	wants := map[string]map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				key := fmt.Sprintf("%s %s %s", method, path, code)
				if !c.seen[key] {
					t.Errorf("%s is documented but no request produced it", key)
					continue
				}
				for _, mt := range resp.Value.Content {
					id := mt.Schema.Ref
					if id == "" {
						id = key
					}
					if wants[id] == nil {
						wants[id], sent[id] = map[string]bool{}, map[string]bool{}
						documented(mt.Schema.Value, "", wants[id])
					}
					for p := range c.props[key] {
						sent[id][p] = true
					}
				}
			}
		}
	}
	for id, want := range wants {
		var missing []string
		for p := range want {
			if !sent[id][p] && !optionalNeverSent[p] {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s documents properties the server never sent: %v", id, missing)
		}
	}
	reqProps := map[string]bool{}
	documented(doc.Components.Schemas["EscalationRequest"].Value, "", reqProps)
	for p := range reqProps {
		if !c.reqs[p] {
			t.Errorf("request property %s was never sent in an accepted request", p)
		}
	}
	checkRoutesDocumented(t, doc)
}

// optionalNeverSent are documented Decision properties this test's
// scenario does not produce (a hold, a decline, an interruption, observe
// mode); they are real fields of engine.Decision, checked by
// TestOpenAPIDecisionFieldsAreReal instead.
var optionalNeverSent = map[string]bool{
	"history[].attempt": true, "history[].interrupt": true, "history[].result": true, "history[].waitNs": true, "history[].etaNs": true,
	"history[].etaMessage": true, "history[].holdUntil": true, "history[].holdProbability": true, "history[].holdExpert": true,
	"history[].duplicate": true, "history[].observed": true, "history[].excludedCounts": true, "history[].excluded": true,
	"history[].excluded[].expert": true, "history[].excluded[].reason": true, "history[].excluded[].detail": true,
	"history[].candidates[].interrupt": true, "history[].queue": true, "history[].holder": true, "history[].expert": true,
}

// The Decision schema's properties are exactly engine.Decision's JSON
// fields (so the optional ones above are real, and none is missing).
func TestOpenAPIDecisionFieldsAreReal(t *testing.T) {
	doc, _ := loadSpec(t)
	full := engine.Decision{ConversationID: "c", Seq: 1, At: time.Now(), Action: engine.ActHold, Priority: engine.P1, Expert: "e", Attempt: 1,
		Holder: "h", Interrupt: true, Queue: "q", Result: "declined", Wait: 1, ETA: 1, ETAMessage: "m", HoldUntil: time.Now(), HoldProb: 0.5,
		HoldExpert: "x", Why: "w", Duplicate: true, Observed: true, SkillHolders: 1, EligibleCount: 1,
		Candidates: []engine.Candidate{{Expert: "e", Interrupt: true}}, Excluded: []engine.Exclusion{{Expert: "x", Detail: "d"}}}
	full.ExcludedCounts[0] = 1
	b, _ := json.Marshal(full)
	var v map[string]any
	json.Unmarshal(b, &v)
	got := map[string]bool{}
	collect(v, "", got)
	want := map[string]bool{}
	documented(doc.Components.Schemas["Decision"].Value, "", want)
	for p := range got {
		if !want[p] && !strings.HasPrefix(p, "excludedCounts.") {
			t.Errorf("engine.Decision sends %s, openapi.yaml does not document it", p)
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("openapi.yaml documents %s, engine.Decision has no such field", p)
		}
	}
}

// checkRoutesDocumented reads the routes serve registers from its source
// (mux.Handle/HandleFunc patterns) and checks each is in the spec.
func checkRoutesDocumented(t *testing.T, doc *openapi3.T) {
	pat := regexp.MustCompile(`mux\.Handle(?:Func)?\("(?:(GET|POST|PUT|PATCH|DELETE) )?(/[^"]*)"`)
	n := 0
	for _, f := range []string{"../../serve/api.go", "../../serve/live/live.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pat.FindAllStringSubmatch(string(src), -1) {
			method, path := m[1], m[2]
			if path == "/" {
				continue // the API's own mux, mounted at the root
			}
			n++
			if method == "" {
				method = "GET"
			}
			item := doc.Paths.Value(path)
			if item == nil || item.GetOperation(method) == nil {
				t.Errorf("%s: serve registers %s %s, openapi.yaml does not document it", f, method, path)
			}
		}
	}
	if n < 6 {
		t.Errorf("found only %d routes in the source: the pattern no longer matches", n)
	}
}

// slowBody sends a POST whose body never finishes and returns the status
// (the server gives up after serve.DefaultBodyTimeout: 408).
func slowBody(t *testing.T, base string) (int, http.Header, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/escalations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"conv", apiToken)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type nopDispatcher struct{}

func (nopDispatcher) Deliver(engine.Delivery) error { return nil }
