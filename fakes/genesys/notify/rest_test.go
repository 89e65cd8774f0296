package notify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

func TestChannelCreateListHead(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, Options{Now: func() time.Time { return now }})

	a1, a2 := f.createChannel("a"), f.createChannel("a")
	b1 := f.createChannel("b")
	for _, ch := range []channelJSON{a1, a2, b1} {
		if !strings.HasPrefix(ch.ID, "streaming-0-") || len(ch.ID) != len("streaming-0-")+26 {
			t.Errorf("channel id %q: want streaming-0-<26 chars>", ch.ID)
		}
		want := "ws://" + strings.TrimPrefix(f.srv.URL, "http://") + "/channels/" + ch.ID
		if ch.ConnectURI != want {
			t.Errorf("connectUri = %q, want %q", ch.ConnectURI, want)
		}
		if ch.Expires != "2025-03-02T12:00:00.000Z" {
			t.Errorf("expires = %q, want 24 h after Now", ch.Expires)
		}
	}

	status, body, hdr := f.do("a", http.MethodGet, "/api/v2/notifications/channels", nil)
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, body)
	}
	if hdr.Get("ININ-Correlation-Id") == "" {
		t.Error("list: no ININ-Correlation-Id header")
	}
	var l listing[channelJSON]
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Entities) != 2 || l.Entities[0] != a1 || l.Entities[1] != a2 {
		t.Errorf("list for a = %+v, want exactly %v and %v", l.Entities, a1, a2)
	}

	tests := []struct {
		name   string
		client string
		id     string
		want   int
	}{
		{"own channel exists", "a", a1.ID, http.StatusOK},
		{"unknown channel", "a", "streaming-0-nope", http.StatusNotFound},
		{"another client's channel is not visible", "a", b1.ID, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, _ := f.do(tc.client, http.MethodHead, "/api/v2/notifications/channels/"+tc.id, nil)
			if status != tc.want {
				t.Errorf("HEAD = %d, want %d", status, tc.want)
			}
		})
	}
}

func TestConnectURIFromBaseURL(t *testing.T) {
	f := newFixture(t, Options{BaseURL: func() string { return "https://api.example.test:8443" }})
	ch := f.createChannel("a")
	if want := "wss://api.example.test:8443/channels/" + ch.ID; ch.ConnectURI != want {
		t.Errorf("connectUri = %q, want %q", ch.ConnectURI, want)
	}
}

func TestAuthFailurePassesThrough(t *testing.T) {
	custom := wire.Error(http.StatusUnauthorized, "bad.credentials", "token tok-x has expired")
	f := newFixture(t, Options{Authorize: func(r *http.Request) (string, *wire.ErrorBody) {
		if r.Header.Get("Authorization") == "Bearer good" {
			return "a", nil
		}
		e := *custom
		return "", &e
	}})
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/api/v2/notifications/channels"},
		{http.MethodGet, "/api/v2/notifications/channels"},
		{http.MethodGet, "/api/v2/notifications/channels/streaming-0-x/subscriptions"},
		{http.MethodPut, "/api/v2/notifications/channels/streaming-0-x/subscriptions"},
	} {
		status, body, hdr := f.do("nobody", tc.method, tc.path, nil)
		if status != http.StatusUnauthorized {
			t.Errorf("%s %s: status %d, want 401", tc.method, tc.path, status)
			continue
		}
		e := decodeError(t, body)
		if e.Code != custom.Code || e.Message != custom.Message || e.Status != 401 {
			t.Errorf("%s %s: body %s, want the authorizer's error", tc.method, tc.path, body)
		}
		if e.ContextID == "" || e.ContextID != hdr.Get("ININ-Correlation-Id") {
			t.Errorf("%s %s: contextId %q vs header %q", tc.method, tc.path, e.ContextID, hdr.Get("ININ-Correlation-Id"))
		}
	}
}

func TestSubscriptionsPostPutDeleteGet(t *testing.T) {
	f := newFixture(t, Options{})
	ch := f.createChannel("a")

	got := f.subscribe("a", http.MethodPost, ch.ID, "v2.users.u1?presence&routingStatus", "v2.users.u2.presence")
	want := []topicJSON{
		{ID: "v2.users.u1?presence&routingStatus", State: "Permitted", SelfURI: "/api/v2/users/u1"},
		{ID: "v2.users.u2.presence", State: "Permitted", SelfURI: "/api/v2/users/u2"},
	}
	if fmt.Sprint(got.Entities) != fmt.Sprint(want) {
		t.Errorf("POST entities = %+v, want %+v", got.Entities, want)
	}

	// POST adds (duplicates ignored).
	got = f.subscribe("a", http.MethodPost, ch.ID, "v2.users.u2.presence", "v2.users.u3.conversations")
	if len(got.Entities) != 3 || got.Entities[2].ID != "v2.users.u3.conversations" {
		t.Errorf("POST add = %+v, want the 3 topics", got.Entities)
	}

	// PUT replaces.
	got = f.subscribe("a", http.MethodPut, ch.ID, "v2.users.u9.routingStatus")
	if len(got.Entities) != 1 || got.Entities[0].ID != "v2.users.u9.routingStatus" {
		t.Errorf("PUT = %+v, want only v2.users.u9.routingStatus", got.Entities)
	}
	status, body, _ := f.do("a", http.MethodGet, "/api/v2/notifications/channels/"+ch.ID+"/subscriptions", nil)
	if status != 200 || !strings.Contains(string(body), "v2.users.u9.routingStatus") || strings.Contains(string(body), "u1") {
		t.Errorf("GET after PUT: %d %s", status, body)
	}

	// DELETE clears: nothing is indexed any more.
	status, body, _ = f.do("a", http.MethodDelete, "/api/v2/notifications/channels/"+ch.ID+"/subscriptions", nil)
	if status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	status, body, _ = f.do("a", http.MethodGet, "/api/v2/notifications/channels/"+ch.ID+"/subscriptions", nil)
	if status != 200 || string(body) != "{\"entities\":[]}\n" {
		t.Errorf("GET after DELETE: %d %s", status, body)
	}
	f.hub.mu.Lock()
	n := len(f.hub.index)
	f.hub.mu.Unlock()
	if n != 0 {
		t.Errorf("topic index has %d topics after DELETE, want 0", n)
	}
}

func TestSubscriptionErrors(t *testing.T) {
	f := newFixture(t, Options{KnownTopic: func(topic string) bool {
		return defaultKnownTopic(topic) && !strings.Contains(topic, ".ghost.")
	}})
	ch := f.createChannel("a")
	path := "/api/v2/notifications/channels/" + ch.ID + "/subscriptions"

	tests := []struct {
		name       string // why this case matters
		method     string
		path       string
		body       any
		wantStatus int
		wantCode   string
		wantInMsg  string
	}{
		{"malformed topic fails the request", http.MethodPost, path, topicsBody("v2.users.u1.presence", "users.u1.presence"), 400, "notification.invalid.topic", `"users.u1.presence"`},
		{"unknown topic kind", http.MethodPost, path, topicsBody("v2.users.u1.station"), 400, "notification.invalid.topic", "does not exist"},
		{"KnownTopic rejects a user", http.MethodPut, path, topicsBody("v2.users.ghost.presence"), 400, "notification.invalid.topic", "v2.users.ghost.presence"},
		{"combined part unknown", http.MethodPost, path, topicsBody("v2.users.u1?presence&bogus"), 400, "notification.invalid.topic", "v2.users.u1.bogus"},
		{"combined topic over 200 characters", http.MethodPost, path, topicsBody("v2.users." + strings.Repeat("x", 180) + "?presence&routingStatus"), 400, "notification.invalid.topic", "limit is 200"},
		{"body is not JSON", http.MethodPost, path, "[{", 400, "bad.request", "not valid JSON"},
		{"body is an object", http.MethodPost, path, `{"id":"v2.users.u1.presence"}`, 400, "bad.request", "JSON array"},
		{"id of wrong type names the element", http.MethodPost, path, `[{"id":"v2.users.u1.presence"},{"id":7}]`, 400, "bad.request", "body[1].id must be a string"},
		{"missing id", http.MethodPut, path, `[{"topic":"x"}]`, 400, "bad.request", "body[0].id is missing"},
		{"empty body", http.MethodPost, path, "", 400, "bad.request", "empty"},
		{"trailing data", http.MethodPost, path, `[] []`, 400, "bad.request", "after the JSON array"},
		{"unknown channel", http.MethodPost, "/api/v2/notifications/channels/streaming-0-nope/subscriptions", topicsBody("v2.users.u1.presence"), 404, "entity.not.found", "streaming-0-nope"},
		{"unknown channel on GET", http.MethodGet, "/api/v2/notifications/channels/streaming-0-nope/subscriptions", nil, 404, "entity.not.found", "streaming-0-nope"},
		{"unknown path", http.MethodGet, "/api/v2/notifications/nothing", nil, 404, "not.found", "/api/v2/notifications/nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := f.do("a", tc.method, tc.path, tc.body)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", status, tc.wantStatus, body)
			}
			e := decodeError(t, body)
			if e.Code != tc.wantCode || e.Status != tc.wantStatus || !strings.Contains(e.Message, tc.wantInMsg) {
				t.Errorf("error = %s; want code %s, message containing %q", body, tc.wantCode, tc.wantInMsg)
			}
			if e.Details == nil || e.Errors == nil {
				t.Errorf("details/errors must be [] not null: %s", body)
			}
		})
	}
	// None of the failed requests changed anything.
	if l := f.subscribe("a", http.MethodGet, ch.ID); len(l.Entities) != 0 {
		t.Errorf("failed requests left subscriptions: %+v", l.Entities)
	}

	// With ignoreErrors, valid topics are applied and invalid ones come back Rejected.
	status, body, _ := f.do("a", http.MethodPost, path+"?ignoreErrors=true", topicsBody("v2.users.u1.presence", "nonsense", "v2.users.ghost.presence"))
	if status != 200 {
		t.Fatalf("ignoreErrors: %d %s", status, body)
	}
	var l listing[topicJSON]
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Entities) != 3 ||
		l.Entities[0].ID != "v2.users.u1.presence" || l.Entities[0].State != "Permitted" ||
		l.Entities[1].ID != "nonsense" || l.Entities[1].State != "Rejected" || l.Entities[1].RejectionReason == "" ||
		l.Entities[2].ID != "v2.users.ghost.presence" || l.Entities[2].State != "Rejected" {
		t.Errorf("ignoreErrors entities = %+v", l.Entities)
	}
}

func TestTopicLimit(t *testing.T) {
	f := newFixture(t, Options{})
	ch := f.createChannel("a")
	topics := make([]string, DefaultMaxTopics)
	for i := range topics {
		topics[i] = fmt.Sprintf("v2.users.u%04d.presence", i)
	}
	if l := f.subscribe("a", http.MethodPut, ch.ID, topics...); len(l.Entities) != DefaultMaxTopics {
		t.Fatalf("PUT 1000 topics: %d entities", len(l.Entities))
	}
	status, body, _ := f.do("a", http.MethodPost, "/api/v2/notifications/channels/"+ch.ID+"/subscriptions", topicsBody("v2.users.extra.presence"))
	if status != http.StatusBadRequest {
		t.Fatalf("1001st topic: status %d, want 400 (%s)", status, body)
	}
	e := decodeError(t, body)
	if e.Code != "notification.subscription.too.many.subscriptions" || e.Status != 400 ||
		!strings.Contains(e.Message, "1001") || !strings.Contains(e.Message, "1000") || e.ContextID == "" {
		t.Errorf("error body = %s", body)
	}
	// Even ignoreErrors cannot go over the limit, and nothing changed.
	status, _, _ = f.do("a", http.MethodPost, "/api/v2/notifications/channels/"+ch.ID+"/subscriptions?ignoreErrors=true", topicsBody("v2.users.extra.presence"))
	if status != http.StatusBadRequest {
		t.Errorf("1001st topic with ignoreErrors: status %d, want 400", status)
	}
	if l := f.subscribe("a", http.MethodGet, ch.ID); len(l.Entities) != DefaultMaxTopics {
		t.Errorf("after the failed POST: %d topics, want 1000", len(l.Entities))
	}
}

func TestCombinedTopicCounting(t *testing.T) {
	body := []string{"v2.users.u1?presence&routingStatus", "v2.users.u2.presence", "v2.users.u3.presence"}
	tests := []struct {
		name    string
		perPart bool
		want    int
	}{
		{"combined counts once (default): 3 entries fit in 3", false, http.StatusOK},
		{"combined counts per part: 4 topics exceed 3", true, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{MaxTopics: 3, CombinedCountsPerPart: tc.perPart})
			ch := f.createChannel("a")
			status, resp, _ := f.do("a", http.MethodPut, "/api/v2/notifications/channels/"+ch.ID+"/subscriptions", topicsBody(body...))
			if status != tc.want {
				t.Errorf("status %d, want %d (%s)", status, tc.want, resp)
			}
		})
	}
}

func TestChannelLimitReplacement(t *testing.T) {
	f := newFixture(t, Options{})
	var chs []channelJSON
	for range DefaultMaxChannels {
		chs = append(chs, f.createChannel("a"))
	}
	other := f.createChannel("b") // another client's channels do not count
	// Channels 0 and 1 are connected; channel 2 was used (subscribed) after
	// channel 3 was created, so channel 3 is the least recently used
	// unconnected channel.
	f.dial(chs[0].ConnectURI)
	f.dial(chs[1].ConnectURI)
	waitFor(t, "2 sockets", func() bool { return f.hub.Stats().Sockets == 2 })
	f.subscribe("a", http.MethodPost, chs[2].ID, "v2.users.u1.presence")

	exists := func(client, id string) bool {
		status, _, _ := f.do(client, http.MethodHead, "/api/v2/notifications/channels/"+id, nil)
		return status == http.StatusOK
	}
	c21 := f.createChannel("a")
	if exists("a", chs[3].ID) {
		t.Errorf("21st channel: channel 3 (oldest unconnected) still exists")
	}
	for _, i := range []int{0, 1, 2, 4, 19} {
		if !exists("a", chs[i].ID) {
			t.Errorf("21st channel removed channel %d", i)
		}
	}
	if !exists("a", c21.ID) || !exists("b", other.ID) {
		t.Error("the new channel or client b's channel is missing")
	}
	if n := f.hub.Stats().Channels; n != DefaultMaxChannels+1 {
		t.Errorf("Stats.Channels = %d, want 21 (20 + client b's)", n)
	}
}

func TestChannelLimitAllConnected(t *testing.T) {
	f := newFixture(t, Options{MaxChannels: 2})
	c0, c1 := f.createChannel("a"), f.createChannel("a")
	ws1 := f.dial(c1.ConnectURI)
	waitFor(t, "socket 1", func() bool { return f.hub.Stats().Sockets == 1 })
	ws0 := f.dial(c0.ConnectURI) // c0 is now the most recently used
	waitFor(t, "socket 0", func() bool { return f.hub.Stats().Sockets == 2 })
	f.createChannel("a")

	// Every channel is connected, so the least recently used (c1) goes, and
	// its socket is told the channel is dead.
	code, frames := expectClose(t, ws1)
	if len(frames) == 0 || frames[len(frames)-1].Result != "404" || !strings.Contains(frames[len(frames)-1].Message, c1.ID) {
		t.Errorf("replaced channel's socket got %+v, want a {\"result\":\"404\"} message", frames)
	}
	if code != 1000 {
		t.Errorf("close code %d, want 1000", code)
	}
	if status, _, _ := f.do("a", http.MethodHead, "/api/v2/notifications/channels/"+c0.ID, nil); status != 200 {
		t.Errorf("c0 was removed")
	}
	_ = ws0
}

func TestClosedHub(t *testing.T) {
	f := newFixture(t, Options{})
	ch := f.createChannel("a")
	ws := f.dial(ch.ConnectURI)
	waitFor(t, "socket", func() bool { return f.hub.Stats().Sockets == 1 })
	f.hub.Close()
	if code, _ := expectClose(t, ws); code != 1006 {
		t.Errorf("close code after Close = %d, want 1006", code)
	}
	status, body, _ := f.do("a", http.MethodPost, "/api/v2/notifications/channels", nil)
	if status != http.StatusServiceUnavailable || decodeError(t, body).Code != "service.unavailable" {
		t.Errorf("REST after Close: %d %s", status, body)
	}
}
