package genesys

// These tests drive the fake with the official Go SDK, unmodified, the way
// miniredis is kept honest with the real client: any mismatch between what
// the SDK sends or parses and what the fake speaks is a bug of the fake.
// The SDK silently ignores fields it cannot parse (and parses dates that
// do not match its layout as the zero time), so every test checks the
// decoded values, not just the absence of an error.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"

	"github.com/shadowq/shadowq/fakes/genesys/notify"
	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// sdkFixture is a fake on a real loopback listener plus a logged-in SDK
// configuration pointing at it.
type sdkFixture struct {
	*fixture
	base   string
	config *platformclientv2.Configuration
}

func newSDKFixture(t *testing.T, opts Options) *sdkFixture {
	t.Helper()
	f := newFixture(t, opts)
	base, err := f.srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A configuration of its own per test (GetDefaultConfiguration is a
	// process-wide singleton; TestSDKLogin uses it).
	config := platformclientv2.NewConfiguration()
	config.BasePath = base
	if err := config.AuthorizeClientCredentials(DemoClientID, DemoClientSecret); err != nil {
		t.Fatalf("AuthorizeClientCredentials: %v", err)
	}
	return &sdkFixture{fixture: f, base: base, config: config}
}

// recent checks that an SDK-parsed time is set and close to the fake's
// clock (a date in the wrong format parses as the zero time).
func (f *sdkFixture) recent(what string, ts *time.Time) {
	f.t.Helper()
	if ts == nil || ts.IsZero() {
		f.t.Fatalf("%s: no time parsed", what)
	}
	if d := f.srv.Now().Sub(*ts); d < 0 || d > time.Hour {
		f.t.Fatalf("%s = %v, fake clock %v", what, *ts, f.srv.Now())
	}
}

func TestSDKLogin(t *testing.T) {
	f := newFixture(t, Options{})
	base, err := f.srv.Start("")
	if err != nil {
		t.Fatal(err)
	}
	config := platformclientv2.GetDefaultConfiguration()
	config.BasePath = base
	if err := config.AuthorizeClientCredentials(DemoClientID, "wrong"); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := config.AuthorizeClientCredentials(DemoClientID, DemoClientSecret); err != nil {
		t.Fatalf("AuthorizeClientCredentials: %v", err)
	}
	if config.AccessToken == "" || config.AccessTokenExpiresIn != 86399 {
		t.Fatalf("token %q expires in %d", config.AccessToken, config.AccessTokenExpiresIn)
	}
	tokens := platformclientv2.NewTokensApiWithConfig(config)
	info, res, err := tokens.GetTokensMe(false)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GetTokensMe: %v", err)
	}
	if info.OAuthClient == nil || *info.OAuthClient.Id != DemoClientID || *info.Organization.Id != DemoOrgID {
		t.Fatalf("token info %s", res.RawBody)
	}
	if res, err := tokens.HeadTokensMe(); err != nil || res.StatusCode != 200 {
		t.Fatalf("HeadTokensMe: %v", err)
	}
	if res, err := tokens.DeleteTokensMe(); err != nil || res.StatusCode != 200 {
		t.Fatalf("DeleteTokensMe: %v", err)
	}
	_, res, err = tokens.GetTokensMe(false)
	if err == nil || res.StatusCode != 401 || res.Error == nil || res.Error.Code != codeBadCredentials {
		t.Fatalf("after DeleteTokensMe: %v", err)
	}
	config.AccessToken = ""
}

func TestSDKPresenceDefinitions(t *testing.T) {
	f := newSDKFixture(t, Options{})
	api := platformclientv2.NewPresenceApiWithConfig(f.config)
	list, res, err := api.GetPresenceDefinitions("", nil, "")
	if err != nil {
		t.Fatalf("GetPresenceDefinitions: %v", err)
	}
	if list.Entities == nil || *list.Total != 13 || len(*list.Entities) != 13 {
		t.Fatalf("listing %s", res.RawBody)
	}
	got := map[string]platformclientv2.Organizationpresencedefinition{}
	for _, d := range *list.Entities {
		got[*d.Id] = d
	}
	for id, want := range map[string][2]string{
		PresenceAvailable:             {"System", "Available"},
		PresenceOnQueue:               {"System", "OnQueue"},
		PresenceOffline:               {"System", "Offline"},
		PresenceMeetingInterruptP1:    {"User", "Meeting"},
		PresenceResearchInterruptP1P2: {"User", "Busy"},
		PresenceMeetingDoNotDisturb:   {"User", "Meeting"},
	} {
		d, ok := got[id]
		if !ok || *d.VarType != want[0] || *d.SystemPresence != want[1] || d.LanguageLabels == nil || (*d.LanguageLabels)["en_US"] == "" {
			t.Errorf("%s: %+v", id, d)
		}
	}
	one, _, err := api.GetPresenceDefinition(PresenceMeetingDoNotDisturb, "")
	if err != nil || *one.Name != "In a Meeting – Do Not Disturb" || *one.Deactivated {
		t.Fatalf("GetPresenceDefinition: %v %+v", err, one)
	}
	_, res, err = api.GetPresenceDefinition(unknown, "")
	if err == nil || res.StatusCode != 404 || res.Error.Code != codeNotFound {
		t.Fatalf("unknown definition: %v", err)
	}
}

func TestSDKUsers(t *testing.T) {
	f := newSDKFixture(t, Options{})
	api := platformclientv2.NewUsersApiWithConfig(f.config)
	list, res, err := api.GetUsers(25, 1, nil, nil, "", []string{"presence", "routingStatus", "skills"}, "", "")
	if err != nil {
		t.Fatalf("GetUsers: %v", err)
	}
	if *list.Total != 8 || len(*list.Entities) != 8 || *list.PageCount != 1 {
		t.Fatalf("listing %s", res.RawBody)
	}
	u := (*list.Entities)[0]
	if *u.Id != ada || *u.State != "active" || *u.Presence.PresenceDefinition.Id != PresenceOnQueue ||
		*u.RoutingStatus.Status != "IDLE" || len(*u.Skills) != 2 || *(*u.Skills)[1].Proficiency != 5 {
		t.Fatalf("first user %+v", u)
	}
	f.recent("presence.modifiedDate", u.Presence.ModifiedDate)
	f.recent("routingStatus.startTime", u.RoutingStatus.StartTime)

	// The SDK sends id=a,b.
	list, _, err = api.GetUsers(25, 1, []string{grace, radia}, nil, "", nil, "", "")
	if err != nil || len(*list.Entities) != 2 || *(*list.Entities)[0].Id != grace {
		t.Fatalf("GetUsers by id: %v", err)
	}
	one, _, err := api.GetUser(barbara, []string{"skills"}, "", "")
	if err != nil || *one.Name != "Barbara Liskov" || len(*one.Skills) != 2 {
		t.Fatalf("GetUser: %v %+v", err, one)
	}
	skills, _, err := api.GetUserRoutingskills(edsger, 25, 1, "")
	if err != nil || *skills.Total != 2 || *(*skills.Entities)[0].Name != "Databases" {
		t.Fatalf("GetUserRoutingskills: %v %+v", err, skills)
	}
	rs, _, err := api.GetUserRoutingstatus(alan)
	if err != nil || *rs.Status != "OFF_QUEUE" || *rs.UserId != alan {
		t.Fatalf("GetUserRoutingstatus: %v %+v", err, rs)
	}
	f.recent("routing status startTime", rs.StartTime)
	_, res, err = api.GetUser(unknown, nil, "", "")
	if err == nil || res.StatusCode != 404 || res.Error.Code != codeNotFound || res.CorrelationID == "" {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestSDKBulkPresence(t *testing.T) {
	f := newSDKFixture(t, Options{})
	api := platformclientv2.NewPresenceApiWithConfig(f.config)
	got, res, err := api.GetUsersPresencesPurecloudBulk([]string{ada, barbara, radia})
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if !strings.Contains(res.Response.Request.URL.RawQuery, "%2C") {
		t.Fatalf("the SDK should send id=a,b, sent %q", res.Response.Request.URL.RawQuery)
	}
	if len(got) != 3 {
		t.Fatalf("bulk %s", res.RawBody)
	}
	want := []string{PresenceOnQueue, PresenceMeetingInterruptP1, PresenceOffline}
	for i, p := range got {
		if *p.UserId != []string{ada, barbara, radia}[i] || *p.PresenceDefinition.Id != want[i] {
			t.Errorf("entry %d: %+v", i, p)
		}
		f.recent("bulk modifiedDate", p.ModifiedDate)
	}
	var many []string
	for i := 0; i < 51; i++ {
		many = append(many, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	_, res, err = api.GetUsersPresencesPurecloudBulk(many)
	if err == nil || res.StatusCode != 400 || res.Error.Code != codeMaxUserPresences {
		t.Fatalf("51 ids: %v", err)
	}
}

func TestSDKPresencePatch(t *testing.T) {
	f := newSDKFixture(t, Options{})
	api := platformclientv2.NewPresenceApiWithConfig(f.config)
	body := platformclientv2.Userpresence{
		PresenceDefinition: &platformclientv2.Presencedefinition{Id: ptr(PresenceMeetingDoNotDisturb)},
		Message:            ptr("board meeting"),
	}
	p, res, err := api.PatchUserPresencesPurecloud(ada, body)
	if err != nil {
		t.Fatalf("PatchUserPresencesPurecloud: %v", err)
	}
	if *p.PresenceDefinition.Id != PresenceMeetingDoNotDisturb || *p.Message != "board meeting" || !*p.Primary {
		t.Fatalf("answer %s", res.RawBody)
	}
	f.recent("modifiedDate", p.ModifiedDate)
	p, _, err = api.GetUserPresencesPurecloud(ada)
	if err != nil || *p.PresenceDefinition.Id != PresenceMeetingDoNotDisturb || *p.PresenceDefinition.SystemPresence != "Meeting" {
		t.Fatalf("GetUserPresencesPurecloud: %v %+v", err, p)
	}
	// The SetField form of the model (PATCH semantics) works too.
	var patch platformclientv2.Userpresence
	patch.SetField("PresenceDefinition", &platformclientv2.Presencedefinition{Id: ptr(PresenceOnQueue)})
	if _, _, err := api.PatchUserPresencesPurecloud(ada, patch); err != nil {
		t.Fatalf("SetField PATCH: %v", err)
	}
	if evs := f.pub.topic("v2.users." + ada + ".presence"); len(evs) != 2 {
		t.Fatalf("presence events %s", evs)
	}
	// Ada went off queue and back: OFF_QUEUE then IDLE.
	rs, _, err := platformclientv2.NewUsersApiWithConfig(f.config).GetUserRoutingstatus(ada)
	if err != nil || *rs.Status != "IDLE" {
		t.Fatalf("routing status: %v %+v", err, rs)
	}
	if n := len(f.pub.topic("v2.users." + ada + ".routingStatus")); n != 2 {
		t.Fatalf("%d routing status events", n)
	}
	_, res, err = api.PatchUserPresencesPurecloud(ada, platformclientv2.Userpresence{PresenceDefinition: &platformclientv2.Presencedefinition{Id: ptr(unknown)}})
	if err == nil || res.StatusCode != 400 || res.Error.Code != codeInvalidValue {
		t.Fatalf("unknown definition: %v", err)
	}
}

func TestSDKConversations(t *testing.T) {
	f := newSDKFixture(t, Options{Answer: AnswerModel{HandleTime: time.Hour}})
	conv := platformclientv2.NewConversationsApiWithConfig(f.config)
	id := f.newConversation(NewConversation{Skills: []string{"Databases"}, Priority: 2})

	c, res, err := conv.GetConversation(id)
	if err != nil {
		t.Fatalf("GetConversation: %v", err)
	}
	if *c.Id != id || len(*c.Participants) != 2 {
		t.Fatalf("conversation %s", res.RawBody)
	}
	f.recent("startTime", c.StartTime)
	acd := (*c.Participants)[1]
	if *acd.Purpose != "acd" || *acd.QueueId != DemoQueueID || *acd.ConversationRoutingData.Priority != 2 || len(*acd.ConversationRoutingData.Skills) != 1 {
		t.Fatalf("acd participant %+v", acd)
	}

	_, res, err = conv.PostConversationAssign(id, platformclientv2.Conversationuser{Id: ptr(radia)})
	if err == nil || res.StatusCode != 400 || res.Error.Code != codeInvalidStatus {
		t.Fatalf("assign to an Offline user: %v", err)
	}
	s, res, err := conv.PostConversationAssign(id, platformclientv2.Conversationuser{Id: ptr(alan)})
	if err != nil || res.StatusCode != http.StatusAccepted || s == nil {
		t.Fatalf("PostConversationAssign: %v", err)
	}
	waitFor(t, "Alan to connect", func() bool { return f.conversationState(id).State == convConnected })
	c, _, err = conv.GetConversation(id)
	if err != nil {
		t.Fatal(err)
	}
	var agent *platformclientv2.Participant
	for i, p := range *c.Participants {
		if *p.Purpose == "agent" {
			agent = &(*c.Participants)[i]
		}
	}
	if agent == nil || *agent.UserId != alan || *(*agent.Calls)[0].State != "connected" {
		t.Fatalf("agent participant %+v", agent)
	}
	f.recent("agent connectedTime", agent.ConnectedTime)
	rs, _, err := platformclientv2.NewUsersApiWithConfig(f.config).GetUserRoutingstatus(alan)
	if err != nil || *rs.Status != "INTERACTING" {
		t.Fatalf("routing status after accepting: %v %+v", err, rs)
	}

	// Blind transfer of the connected agent.
	res, err = conv.PostConversationParticipantReplaceAgent(id, *agent.Id, platformclientv2.Transfertoagentrequest{UserId: ptr(grace), TransferType: ptr("Unattended")})
	if err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("PostConversationParticipantReplaceAgent: %v", err)
	}
	waitFor(t, "Grace to connect", func() bool { return f.conversationState(id).AgentUserID == grace })

	_, res, err = conv.PostConversationAssign(unknown, platformclientv2.Conversationuser{Id: ptr(alan)})
	if err == nil || res.StatusCode != 404 || res.Error.Code != codeResourceNotFound {
		t.Fatalf("assign an unknown conversation: %v", err)
	}
}

func TestSDKRoutingConversation(t *testing.T) {
	f := newSDKFixture(t, Options{})
	api := platformclientv2.NewRoutingApiWithConfig(f.config)
	id := f.newConversation(NewConversation{})
	resp, res, err := api.PatchRoutingConversation(id, platformclientv2.Routingconversationattributesrequest{
		Priority: ptr(20),
		RequestScoredAgents: &[]platformclientv2.Requestscoredagent{
			{Id: ptr(margaret), Score: ptr(95)}, {Id: ptr(ada), Score: ptr(70)},
		},
	})
	if err != nil {
		t.Fatalf("PatchRoutingConversation: %v", err)
	}
	if *resp.Priority != 20 || len(*resp.ScoredAgents) != 2 || *(*resp.ScoredAgents)[0].Agent.Id != margaret || *(*resp.ScoredAgents)[0].Score != 95 {
		t.Fatalf("response %s", res.RawBody)
	}
	// Margaret is in Do Not Disturb: Ada, the best available, is offered it.
	if d := f.srv.State().Deliveries; len(d) != 1 || d[0].UserID != ada || d[0].Kind != deliveryPreferred {
		t.Fatalf("deliveries %+v", d)
	}
	_, res, err = api.PatchRoutingConversation(unknown, platformclientv2.Routingconversationattributesrequest{Priority: ptr(1)})
	if err == nil || res.StatusCode != 404 {
		t.Fatalf("unknown conversation: %v", err)
	}
}

func TestSDKAnalytics(t *testing.T) {
	f := newSDKFixture(t, Options{})
	if err := f.srv.SetPresence(ken, PresenceOnQueue, ""); err != nil {
		t.Fatal(err)
	}
	now := f.srv.Now()
	interval := now.Add(-time.Hour).UTC().Format(time.RFC3339) + "/" + now.Add(time.Hour).UTC().Format(time.RFC3339)
	users := platformclientv2.NewUsersApiWithConfig(f.config)
	details, res, err := users.PostAnalyticsUsersDetailsQuery(platformclientv2.Userdetailsquery{
		Interval: &interval,
		UserFilters: &[]platformclientv2.Userdetailqueryfilter{{
			VarType:    ptr("or"),
			Predicates: &[]platformclientv2.Userdetailquerypredicate{{Dimension: ptr("userId"), Value: ptr(ken)}},
		}},
		Order: ptr("asc"),
	})
	if err != nil {
		t.Fatalf("PostAnalyticsUsersDetailsQuery: %v", err)
	}
	if *details.TotalHits != 1 || len(*details.UserDetails) != 1 {
		t.Fatalf("details %s", res.RawBody)
	}
	pp := *(*details.UserDetails)[0].PrimaryPresence
	if len(pp) != 2 || *pp[0].SystemPresence != "BUSY" || *pp[1].SystemPresence != "ON_QUEUE" || pp[0].EndTime == nil || pp[1].EndTime != nil {
		t.Fatalf("presence segments %s", res.RawBody)
	}
	f.recent("segment start", pp[1].StartTime)

	analytics := platformclientv2.NewAnalyticsApiWithConfig(f.config)
	act, res, err := analytics.PostAnalyticsUsersActivityQuery(platformclientv2.Useractivityquery{
		Metrics: &[]platformclientv2.Useractivityquerymetric{{Metric: ptr("oActiveQueues"), Details: ptr(true)}},
		GroupBy: &[]string{"userId"},
		Filter: &platformclientv2.Useractivityqueryfilter{
			VarType:    ptr("and"),
			Predicates: &[]platformclientv2.Useractivityquerypredicate{{Dimension: ptr("routingStatus"), Value: ptr("IDLE")}},
		},
	}, 25, 1)
	if err != nil {
		t.Fatalf("PostAnalyticsUsersActivityQuery: %v", err)
	}
	var ids []string
	for _, r := range *act.Results {
		ids = append(ids, (*r.Group)["userId"])
		e := (*r.Entities)[0]
		f.recent("activity presenceDate", e.PresenceDate)
	}
	slices.Sort(ids)
	if strings.Join(ids, ",") != strings.Join([]string{ada, grace, ken}, ",") {
		t.Fatalf("IDLE users %v (%s)", ids, res.RawBody)
	}
}

func TestSDKErrorsAndRetries(t *testing.T) {
	f := newSDKFixture(t, Options{})
	users := platformclientv2.NewUsersApiWithConfig(f.config)

	// Without retries (the SDK default) an injected 429 reaches the caller:
	// retryablehttp gives up after one attempt and returns no response.
	if err := f.srv.SetFaults(Faults{RateLimitBurst: 1}); err != nil {
		t.Fatal(err)
	}
	_, _, err := users.GetUsers(25, 1, nil, nil, "", nil, "", "")
	if err == nil || !strings.Contains(err.Error(), "giving up after 1 attempt") {
		t.Fatalf("429 without retries: %v", err)
	}

	// With retries, two 503s are retried away (no Retry-After: backoff
	// from RetryWaitMin) and one 429 after its Retry-After of 1 s.
	f.config.RetryConfiguration = &platformclientv2.RetryConfiguration{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond, RetryMax: 3}
	if err := f.srv.SetFaults(Faults{ServerErrorBurst: 2}); err != nil {
		t.Fatal(err)
	}
	list, _, err := users.GetUsers(25, 1, nil, nil, "", nil, "", "")
	if err != nil || *list.Total != 8 {
		t.Fatalf("after retried 503s: %v", err)
	}
	if err := f.srv.SetFaults(Faults{RateLimitBurst: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := users.GetUsers(25, 1, nil, nil, "", nil, "", ""); err != nil {
		t.Fatalf("after a retried 429: %v", err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("the SDK did not honour Retry-After")
	}
	if st := f.srv.State(); st.Injected429 != 2 || st.Injected503 != 2 {
		t.Fatalf("injected %d 429s and %d 503s", st.Injected429, st.Injected503)
	}

	// Revoked tokens: 401 bad.credentials, which the SDK hands back as is
	// (client credentials have no refresh token).
	f.srv.RevokeTokens()
	_, res, err := users.GetUsers(25, 1, nil, nil, "", nil, "", "")
	if err == nil || res.StatusCode != 401 || res.Error.Code != codeBadCredentials || res.Error.ContextID == "" {
		t.Fatalf("after revocation: %v", err)
	}
	if err := f.config.AuthorizeClientCredentials(DemoClientID, DemoClientSecret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.GetUsers(25, 1, nil, nil, "", nil, "", ""); err != nil {
		t.Fatalf("after logging in again: %v", err)
	}
}

// envelope is a Notification API WebSocket message.
type envelope struct {
	TopicName string          `json:"topicName"`
	EventBody json.RawMessage `json:"eventBody"`
}

// TestSDKNotificationsEndToEnd wires the whole twin — this server and the
// notify hub — as `shadowq fake` does, creates a channel and subscribes
// with the SDK, and reads the events a presence change and an assignment
// cause from the WebSocket at connectUri.
func TestSDKNotificationsEndToEnd(t *testing.T) {
	var srv atomic.Pointer[Server]
	hub := notify.New(notify.Options{
		Authorize:  func(r *http.Request) (string, *wire.ErrorBody) { return srv.Load().Authorize(r) },
		BaseURL:    func() string { return srv.Load().BaseURL() },
		Now:        func() time.Time { return srv.Load().Now() },
		TimeScale:  1000,
		KnownTopic: func(topic string) bool { return srv.Load().KnownTopic(topic) },
		Seed:       7,
	})
	s, err := New(Options{Publisher: hub, Notifications: hub.Handler(), TimeScale: 1000, Answer: AnswerModel{HandleTime: -1}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Store(s)
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		hub.Close()
	})
	config := platformclientv2.NewConfiguration()
	config.BasePath = base
	if err := config.AuthorizeClientCredentials(DemoClientID, DemoClientSecret); err != nil {
		t.Fatal(err)
	}
	notifications := platformclientv2.NewNotificationsApiWithConfig(config)
	ch, _, err := notifications.PostNotificationsChannels()
	if err != nil {
		t.Fatalf("PostNotificationsChannels: %v", err)
	}
	if ch.ConnectUri == nil || !strings.HasPrefix(*ch.ConnectUri, "ws://127.0.0.1:") || ch.Expires == nil || ch.Expires.IsZero() {
		t.Fatalf("channel %+v", ch)
	}
	subs, res, err := notifications.PostNotificationsChannelSubscriptions(*ch.Id, []platformclientv2.Channeltopic{
		{Id: ptr("v2.users." + ada + "?presence&routingStatus&conversations")},
		{Id: ptr("v2.routing.queues." + DemoQueueID + ".conversations")},
	}, false)
	if err != nil {
		t.Fatalf("PostNotificationsChannelSubscriptions: %v", err)
	}
	for _, e := range *subs.Entities {
		if *e.State != "Permitted" {
			t.Fatalf("subscriptions %s", res.RawBody)
		}
	}
	// A user the org does not have is not a known topic.
	_, res, err = notifications.PostNotificationsChannelSubscriptions(*ch.Id, []platformclientv2.Channeltopic{{Id: ptr("v2.users." + unknown + ".presence")}}, false)
	if err == nil || res.StatusCode != 400 {
		t.Fatalf("unknown user topic: %v", err)
	}

	conn, _, err := websocket.DefaultDialer.Dial(*ch.ConnectUri, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", *ch.ConnectUri, err)
	}
	defer conn.Close()
	events := make(chan envelope, 256)
	go func() {
		defer close(events)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var e envelope
			if json.Unmarshal(data, &e) == nil && e.TopicName != "channel.metadata" {
				events <- e
			}
		}
	}()
	// next returns the first event on topic not returned yet, keeping
	// events of other topics for later calls.
	var held []envelope
	next := func(topic string) json.RawMessage {
		t.Helper()
		for i, e := range held {
			if e.TopicName == topic {
				held = append(held[:i], held[i+1:]...)
				return e.EventBody
			}
		}
		timeout := time.After(30 * time.Second)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("socket closed while waiting for %s", topic)
				}
				if e.TopicName == topic {
					return e.EventBody
				}
				held = append(held, e)
			case <-timeout:
				t.Fatalf("no %s event", topic)
			}
		}
	}

	presence := platformclientv2.NewPresenceApiWithConfig(config)
	if _, _, err := presence.PatchUserPresencesPurecloud(ada, platformclientv2.Userpresence{
		PresenceDefinition: &platformclientv2.Presencedefinition{Id: ptr(PresenceMeetingInterruptP1)},
	}); err != nil {
		t.Fatal(err)
	}
	var pe presenceEvent
	mustJSON(t, next("v2.users."+ada+".presence"), &pe)
	if pe.PresenceDefinition.ID != PresenceMeetingInterruptP1 || pe.PresenceDefinition.SystemPresence != "MEETING" {
		t.Fatalf("presence event %+v", pe)
	}
	var re routingStatusEvent
	mustJSON(t, next("v2.users."+ada+".routingStatus"), &re)
	if re.ID != ada || re.RoutingStatus.Status != "OFF_QUEUE" {
		t.Fatalf("routing status event %+v", re)
	}

	id := ""
	if id, err = s.CreateConversation(NewConversation{Priority: 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(next("v2.routing.queues."+DemoQueueID+".conversations")), id) {
		t.Fatal("queue event for another conversation")
	}
	if _, _, err := platformclientv2.NewConversationsApiWithConfig(config).PostConversationAssign(id, platformclientv2.Conversationuser{Id: ptr(ada)}); err != nil {
		t.Fatal(err)
	}
	states := []string{}
	for len(states) < 2 {
		var ce conversationEvent
		mustJSON(t, next("v2.users."+ada+".conversations"), &ce)
		ag := agentParticipants(conversationJSON{Participants: ce.Participants})
		if ce.ID != id || len(ag) != 1 {
			t.Fatalf("conversation event %+v", ce)
		}
		states = append(states, ag[0].Calls[0].State)
	}
	if strings.Join(states, ",") != "alerting,connected" {
		t.Fatalf("agent states %v", states)
	}
	mustJSON(t, next("v2.users."+ada+".routingStatus"), &re)
	if re.RoutingStatus.Status != "INTERACTING" {
		t.Fatalf("routing status after accepting %+v", re)
	}
}
