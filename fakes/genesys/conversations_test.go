package genesys

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// newConversation creates a waiting escalation through the Go admin API.
func (f *fixture) newConversation(nc NewConversation) string {
	f.t.Helper()
	id, err := f.srv.CreateConversation(nc)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) getConversation(id string) conversationJSON {
	f.t.Helper()
	var c conversationJSON
	f.get("/api/v2/conversations/"+id, &c)
	return c
}

// agentParticipants returns the agent legs of a conversation.
func agentParticipants(c conversationJSON) []participantJSON {
	var out []participantJSON
	for _, p := range c.Participants {
		if p.Purpose == "agent" {
			out = append(out, p)
		}
	}
	return out
}

func byPurpose(c conversationJSON, purpose string) []participantJSON {
	var out []participantJSON
	for _, p := range c.Participants {
		if p.Purpose == purpose {
			out = append(out, p)
		}
	}
	return out
}

func (f *fixture) assign(convID, userID string) (*http.Response, []byte) {
	f.t.Helper()
	return f.do(http.MethodPost, "/api/v2/conversations/"+convID+"/assign", "", `{"id":"`+userID+`"}`)
}

func TestConversationShape(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.newConversation(NewConversation{Skills: []string{"Kubernetes", "0d3a1e00-5c11-4e00-8000-000000000003"}, Priority: 7, CustomerName: "ACME"})
	c := f.getConversation(id)
	if c.ID != id || c.StartTime == "" || c.EndTime != nil || c.SelfURI != "/api/v2/conversations/"+id || c.RecordingState != "NONE" {
		t.Fatalf("conversation %+v", c)
	}
	cust, acd := byPurpose(c, "customer"), byPurpose(c, "acd")
	if len(cust) != 1 || len(acd) != 1 || len(c.Participants) != 2 {
		t.Fatalf("participants %+v", c.Participants)
	}
	if cust[0].Name != "ACME" || cust[0].Calls[0].State != "connected" || cust[0].Calls[0].Direction != "inbound" {
		t.Fatalf("customer %+v", cust[0])
	}
	rd := acd[0].ConversationRoutingData
	if acd[0].QueueID != DemoQueueID || rd == nil || rd.Priority != 7 || len(rd.Skills) != 2 || rd.Queue.ID != DemoQueueID {
		t.Fatalf("acd participant %+v", acd[0])
	}
	// Creation is published on the queue's conversations topic.
	if evs := f.pub.topic("v2.routing.queues." + DemoQueueID + ".conversations"); len(evs) != 1 || !strings.Contains(string(evs[0]), id) {
		t.Fatalf("queue events %s", evs)
	}
	res, body := f.do(http.MethodGet, "/api/v2/conversations/"+unknown, "", "")
	checkError(t, res, body, 404, codeNotFound)

	// Messages carry messages[] instead of calls[].
	mid := f.newConversation(NewConversation{MediaType: "message"})
	m := f.getConversation(mid)
	if len(m.Participants[0].Messages) != 1 || len(m.Participants[0].Calls) != 0 || m.Participants[0].Messages[0].Type != "webmessaging" {
		t.Fatalf("message conversation %+v", m.Participants[0])
	}
}

func TestAssignAccepted(t *testing.T) {
	// The handle time (15 min fake = 900 ms) leaves room to inspect the
	// connected conversation on a loaded machine.
	f := newFixture(t, Options{Answer: AnswerModel{HandleTime: 15 * time.Minute}})
	id := f.newConversation(NewConversation{})
	res, body := f.assign(id, alan) // Available, OFF_QUEUE: assignable
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("assign: %s %s", res.Status, body)
	}
	var s string
	mustJSON(t, body, &s)

	// Right after the 202 the agent is alerting (answer delay 2 s fake = 2 ms).
	first := f.pub.topic("v2.users." + alan + ".conversations")
	if len(first) == 0 {
		t.Fatal("no conversations event for the agent")
	}
	var ev conversationEvent
	mustJSON(t, first[0], &ev)
	ag := agentParticipants(conversationJSON{Participants: ev.Participants})
	if ev.ID != id || len(ag) != 1 || ag[0].UserID != alan || ag[0].Calls[0].State != "alerting" || ag[0].ConnectedTime != nil || ag[0].AlertingTimeoutMs != 8000 {
		t.Fatalf("first event %s", first[0])
	}

	waitFor(t, "the agent to connect", func() bool { return f.conversationState(id).State == convConnected })
	c := f.getConversation(id)
	ag = agentParticipants(c)
	if len(ag) != 1 || ag[0].Calls[0].State != "connected" || ag[0].ConnectedTime == nil {
		t.Fatalf("agent leg %+v", ag)
	}
	if acd := byPurpose(c, "acd"); acd[0].EndTime == nil || acd[0].Calls[0].DisconnectType != "transfer" {
		t.Fatalf("the ACD leg should end when the agent connects: %+v", acd[0])
	}
	var rs routingStatusJSON
	f.get("/api/v2/users/"+alan+"/routingstatus", &rs)
	if rs.Status != "INTERACTING" {
		t.Fatalf("routing status %s, want INTERACTING", rs.Status)
	}
	st := f.srv.State()
	if len(st.Deliveries) != 1 || st.Deliveries[0].Outcome != outcomeAccepted || st.Deliveries[0].Kind != deliveryAssign || st.Deliveries[0].UserID != alan {
		t.Fatalf("deliveries %+v", st.Deliveries)
	}
	// A connected conversation cannot be assigned again.
	res, body = f.assign(id, ada)
	checkError(t, res, body, 400, codeOperationFailed)

	// After the handle time the customer hangs up
	// and the agent is free again.
	waitFor(t, "the conversation to end", func() bool { return f.conversationState(id).State == convEnded })
	if u := f.userState(alan); u.RoutingStatus != "OFF_QUEUE" {
		t.Fatalf("after the end: %s", u.RoutingStatus)
	}
	c = f.getConversation(id)
	if c.EndTime == nil {
		t.Fatal("ended conversation without endTime")
	}
	for _, p := range c.Participants {
		if p.EndTime == nil {
			t.Fatalf("participant %s still up", p.ID)
		}
	}
}

func TestAssignDeclinedAndNoAnswer(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.srv.SetAnswer(ada, AnswerModel{Decline: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.SetAnswer(grace, AnswerModel{NoAnswer: 1}); err != nil {
		t.Fatal(err)
	}
	id := f.newConversation(NewConversation{})
	if res, body := f.assign(id, ada); res.StatusCode != 202 {
		t.Fatalf("assign: %s %s", res.Status, body)
	}
	waitFor(t, "the decline", func() bool { return f.userState(ada).RoutingStatus == "NOT_RESPONDING" })
	c := f.getConversation(id)
	ag := agentParticipants(c)
	if len(ag) != 1 || ag[0].Calls[0].State != "disconnected" || ag[0].ConnectedTime != nil || ag[0].Calls[0].DisconnectType != "client" {
		t.Fatalf("declined leg %+v", ag)
	}
	if st := f.conversationState(id); st.State != convWaiting {
		t.Fatalf("declined conversation is %s, want back in queue", st.State)
	}
	// NOT_RESPONDING users cannot be assigned.
	res, body := f.assign(id, ada)
	checkError(t, res, body, 400, codeInvalidStatus)

	// Grace never answers: the alert times out after 8 s (fake).
	start := time.Now()
	if res, body := f.assign(id, grace); res.StatusCode != 202 {
		t.Fatalf("assign: %s %s", res.Status, body)
	}
	waitFor(t, "the alert timeout", func() bool { return f.userState(grace).RoutingStatus == "NOT_RESPONDING" })
	if time.Since(start) < 7*time.Millisecond {
		t.Fatal("no answer came before the alert timeout")
	}
	ag = agentParticipants(f.getConversation(id))
	if len(ag) != 2 || ag[1].UserID != grace || ag[1].Calls[0].DisconnectType != "timeout" {
		t.Fatalf("timed-out leg %+v", ag)
	}
	st := f.srv.State()
	if st.Deliveries[0].Outcome != outcomeDeclined || st.Deliveries[1].Outcome != outcomeNoAnswer {
		t.Fatalf("deliveries %+v", st.Deliveries)
	}
	// NOT_RESPONDING is published, and cleared by going On Queue again.
	if evs := f.pub.topic("v2.users." + ada + ".routingStatus"); len(evs) != 1 || !strings.Contains(string(evs[0]), "NOT_RESPONDING") {
		t.Fatalf("routing events %s", evs)
	}
	if err := f.srv.SetPresence(ada, PresenceOnQueue, ""); err != nil {
		t.Fatal(err)
	}
	if u := f.userState(ada); u.RoutingStatus != "IDLE" {
		t.Fatalf("after going On Queue again: %s", u.RoutingStatus)
	}
}

func TestAssignErrors(t *testing.T) {
	org := DemoOrg()
	org.Queues = append(org.Queues, Queue{ID: "0d3a1e00-9e0e-4e00-8000-000000000002", Name: "No Manual", Members: []string{ada}, ManualAssignmentDisabled: true})
	f := newFixture(t, Options{Org: &org, AlertTimeout: time.Hour})
	waiting := f.newConversation(NewConversation{})
	noManual := f.newConversation(NewConversation{QueueID: "0d3a1e00-9e0e-4e00-8000-000000000002"})
	tests := []struct {
		name   string
		conv   string
		body   string
		status int
		code   string
	}{
		// Unknown conversation.
		{"unknown conversation", unknown, `{"id":"` + ada + `"}`, 404, codeResourceNotFound},
		// No user id.
		{"no id", waiting, `{}`, 400, codeBadRequest},
		// An id that is no user.
		{"unknown user", waiting, `{"id":"` + unknown + `"}`, 400, codeInvalidID},
		// Extra properties are rejected.
		{"unknown field", waiting, `{"id":"` + ada + `","force":true}`, 400, codeInvalidProperty},
		// Offline users cannot take interactions.
		{"offline user", waiting, `{"id":"` + radia + `"}`, 400, codeInvalidStatus},
		// The queue does not allow manual assignment.
		{"manual assignment off", noManual, `{"id":"` + ada + `"}`, 400, codeFeatureNotEnabled},
		// Malformed JSON.
		{"malformed", waiting, `{"id":`, 400, codeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodPost, "/api/v2/conversations/"+tc.conv+"/assign", "", tc.body)
			checkError(t, res, body, tc.status, tc.code)
		})
	}
	if n := len(f.srv.State().Deliveries); n != 0 {
		t.Fatalf("%d deliveries from rejected assigns", n)
	}
	// While alerting, a second assign is refused.
	if err := f.srv.SetAnswer(ada, AnswerModel{Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if res, body := f.assign(waiting, ada); res.StatusCode != 202 {
		t.Fatalf("assign: %s %s", res.Status, body)
	}
	res, body := f.assign(waiting, grace)
	checkError(t, res, body, 400, codeOperationFailed)
}

func TestPreferredAgentRouting(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.newConversation(NewConversation{})
	// Barbara (in a meeting) scores highest but is not IDLE; Grace is the
	// best available agent.
	body := `{"priority":10,"skillIds":["0d3a1e00-5c11-4e00-8000-000000000002"],"requestScoredAgents":[` +
		`{"id":"` + barbara + `","score":100},{"id":"` + grace + `","score":80},{"id":"` + ada + `","score":50}]}`
	res, raw := f.do(http.MethodPatch, "/api/v2/routing/conversations/"+id, "", body)
	if res.StatusCode != 200 {
		t.Fatalf("PATCH: %s %s", res.Status, raw)
	}
	var resp routingAttributesResponse
	mustJSON(t, raw, &resp)
	if resp.Priority != 10 || len(resp.Skills) != 1 || resp.Skills[0].Name != "Networking" || len(resp.ScoredAgents) != 3 || resp.ScoredAgents[0].Agent.ID != barbara || resp.ScoredAgents[0].Score != 100 {
		t.Fatalf("response %s", raw)
	}
	st := f.srv.State()
	if len(st.Deliveries) != 1 || st.Deliveries[0].UserID != grace || st.Deliveries[0].Kind != deliveryPreferred {
		t.Fatalf("deliveries %+v", st.Deliveries)
	}
	acd := byPurpose(f.getConversation(id), "acd")[0]
	if rd := acd.ConversationRoutingData; rd.Priority != 10 || len(rd.ScoredAgents) != 3 {
		t.Fatalf("routing data %+v", rd)
	}
	waitFor(t, "grace to connect", func() bool { return f.conversationState(id).AgentUserID == grace })

	// A second conversation waits for Barbara alone; it is offered the
	// moment she goes On Queue.
	id2 := f.newConversation(NewConversation{})
	res, raw = f.do(http.MethodPatch, "/api/v2/routing/conversations/"+id2, "", `{"requestScoredAgents":[{"id":"`+barbara+`","score":90}]}`)
	if res.StatusCode != 200 {
		t.Fatalf("PATCH: %s %s", res.Status, raw)
	}
	if st := f.conversationState(id2); st.State != convWaiting {
		t.Fatalf("conversation for an unavailable agent is %s", st.State)
	}
	if err := f.srv.SetPresence(barbara, PresenceOnQueue, ""); err != nil {
		t.Fatal(err)
	}
	if st := f.conversationState(id2); st.AlertingUserID != barbara && st.AgentUserID != barbara {
		t.Fatalf("after Barbara went On Queue: %+v", st)
	}
}

func TestRoutingConversationErrors(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.newConversation(NewConversation{})
	tests := []struct {
		name   string
		conv   string
		body   string
		status int
		code   string
		field  string
	}{
		{"unknown conversation", unknown, `{}`, 404, codeNotFound, ""},
		{"priority too high", id, `{"priority":25000001}`, 400, codeInvalidValue, "priority"},
		{"unknown skill", id, `{"skillIds":["` + unknown + `"]}`, 400, codeInvalidValue, "skillIds[0]"},
		{"unknown agent", id, `{"requestScoredAgents":[{"id":"` + unknown + `","score":1}]}`, 400, codeInvalidValue, "requestScoredAgents[0].id"},
		{"score over 100", id, `{"requestScoredAgents":[{"id":"` + ada + `","score":101}]}`, 400, codeInvalidValue, "requestScoredAgents[0].score"},
		{"unknown nested field", id, `{"requestScoredAgents":[{"id":"` + ada + `","weight":1}]}`, 400, codeInvalidProperty, "requestScoredAgents[0].weight"},
		{"score not a number", id, `{"requestScoredAgents":[{"id":"` + ada + `","score":"high"}]}`, 400, codeBadRequest, "requestScoredAgents[0].score"},
		{"fractional priority", id, `{"priority":1.5}`, 400, codeBadRequest, "priority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodPatch, "/api/v2/routing/conversations/"+tc.conv, "", tc.body)
			e := checkError(t, res, body, tc.status, tc.code)
			if tc.field != "" && (len(e.Details) == 0 || e.Details[0].FieldName != tc.field) {
				t.Fatalf("details %+v, want field %s", e.Details, tc.field)
			}
		})
	}
	// Empty lists and strings clear.
	res, body := f.do(http.MethodPatch, "/api/v2/routing/conversations/"+id, "", `{"skillIds":[],"languageId":"","requestScoredAgents":[]}`)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"skills":[]`) {
		t.Fatalf("clearing PATCH: %s %s", res.Status, body)
	}
	// Once connected the conversation has left the queue.
	if res, body := f.assign(id, ada); res.StatusCode != 202 {
		t.Fatalf("assign: %s %s", res.Status, body)
	}
	waitFor(t, "connected", func() bool { return f.conversationState(id).State == convConnected })
	res, body = f.do(http.MethodPatch, "/api/v2/routing/conversations/"+id, "", `{"priority":1}`)
	checkError(t, res, body, 400, codeBadRequest)
}

// connected makes a conversation connected to userID and returns it with
// the agent's participant id.
func (f *fixture) connected(userID string) (string, string) {
	f.t.Helper()
	id := f.newConversation(NewConversation{})
	if res, body := f.assign(id, userID); res.StatusCode != 202 {
		f.t.Fatalf("assign: %s %s", res.Status, body)
	}
	waitFor(f.t, "connected", func() bool { return f.conversationState(id).AgentUserID == userID })
	return id, agentParticipants(f.getConversation(id))[0].ID
}

func TestReplaceAgent(t *testing.T) {
	f := newFixture(t, Options{Answer: AnswerModel{HandleTime: time.Hour}, AlertTimeout: time.Hour})
	id, pid := f.connected(ada)
	res, body := f.do(http.MethodPost, "/api/v2/conversations/"+id+"/participants/"+pid+"/replace/agent", "", `{"userId":"`+grace+`"}`)
	if res.StatusCode != http.StatusAccepted || len(body) != 0 {
		t.Fatalf("replace: %s %q", res.Status, body)
	}
	// Unattended: Ada's leg ends at once with disconnectType transfer.
	c := f.getConversation(id)
	ag := agentParticipants(c)
	if ag[0].Calls[0].State != "disconnected" || ag[0].Calls[0].DisconnectType != "transfer" || ag[1].UserID != grace {
		t.Fatalf("agent legs %+v", ag)
	}
	if u := f.userState(ada); u.RoutingStatus != "IDLE" {
		t.Fatalf("Ada after the transfer: %s", u.RoutingStatus)
	}
	waitFor(t, "grace to connect", func() bool { return f.conversationState(id).AgentUserID == grace })
	if d := f.srv.State().Deliveries; d[1].Kind != deliveryTransfer || d[1].Outcome != outcomeAccepted {
		t.Fatalf("deliveries %+v", d)
	}

	// Attended: Grace stays connected until Alan accepts.
	if err := f.srv.SetAnswer(alan, AnswerModel{Delay: 5 * time.Minute, HandleTime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	gpid := agentParticipants(f.getConversation(id))[1].ID
	res, body = f.do(http.MethodPost, "/api/v2/conversations/"+id+"/participants/"+gpid+"/replace/agent", "", `{"userName":"alan@shadowq.example","transferType":"Attended"}`)
	if res.StatusCode != 202 {
		t.Fatalf("attended replace: %s %s", res.Status, body)
	}
	if st := f.conversationState(id); st.AgentUserID != grace || st.AlertingUserID != alan {
		t.Fatalf("during the attended transfer: %+v", st)
	}
	waitFor(t, "alan to connect", func() bool { return f.conversationState(id).AgentUserID == alan })
	if u := f.userState(grace); u.RoutingStatus != "IDLE" {
		t.Fatalf("Grace after the attended transfer: %s", u.RoutingStatus)
	}
}

func TestReplaceAgentDeclinedGoesBackToQueue(t *testing.T) {
	f := newFixture(t, Options{Answer: AnswerModel{HandleTime: time.Hour}})
	id, pid := f.connected(ada)
	if err := f.srv.SetAnswer(grace, AnswerModel{Decline: 1}); err != nil {
		t.Fatal(err)
	}
	if res, body := f.do(http.MethodPost, "/api/v2/conversations/"+id+"/participants/"+pid+"/replace/agent", "", `{"userId":"`+grace+`"}`); res.StatusCode != 202 {
		t.Fatalf("replace: %s %s", res.Status, body)
	}
	waitFor(t, "back in queue", func() bool { return f.conversationState(id).State == convWaiting })
	acd := byPurpose(f.getConversation(id), "acd")
	if len(acd) != 2 || acd[1].EndTime != nil {
		t.Fatalf("a new ACD leg should hold the conversation: %+v", acd)
	}
}

func TestReplaceAgentErrors(t *testing.T) {
	f := newFixture(t, Options{Answer: AnswerModel{HandleTime: time.Hour}})
	id, pid := f.connected(ada)
	c := f.getConversation(id)
	acdID := byPurpose(c, "acd")[0].ID
	custID := byPurpose(c, "customer")[0].ID
	waiting := f.newConversation(NewConversation{})
	waitingACD := byPurpose(f.getConversation(waiting), "acd")[0].ID
	path := func(conv, p string) string {
		return "/api/v2/conversations/" + conv + "/participants/" + p + "/replace/agent"
	}
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		code   string
	}{
		{"unknown conversation", path(unknown, pid), `{"userId":"` + grace + `"}`, 404, codeNotFound},
		{"unknown participant", path(id, unknown), `{"userId":"` + grace + `"}`, 404, codeParticipantNotFound},
		{"no destination", path(id, pid), `{}`, 400, codeTransferDestination},
		{"unknown user", path(id, pid), `{"userId":"` + unknown + `"}`, 400, codeInvalidValue},
		{"same party", path(id, pid), `{"userId":"` + ada + `"}`, 400, codeTransferSameParty},
		{"acd participant", path(waiting, waitingACD), `{"userId":"` + grace + `"}`, 400, codeTransferACD},
		{"ended acd leg", path(id, acdID), `{"userId":"` + grace + `"}`, 400, codeTransferACD},
		{"customer", path(id, custID), `{"userId":"` + grace + `"}`, 400, codeBadRequest},
		{"bad transfer type", path(id, pid), `{"userId":"` + grace + `","transferType":"Blind"}`, 400, codeInvalidValue},
		{"unknown field", path(id, pid), `{"userId":"` + grace + `","queueId":"x"}`, 400, codeInvalidProperty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(http.MethodPost, tc.path, "", tc.body)
			checkError(t, res, body, tc.status, tc.code)
		})
	}
	// A participant that is no longer connected.
	if err := f.srv.SetAnswer(grace, AnswerModel{Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if res, body := f.do(http.MethodPost, path(id, pid), "", `{"userId":"`+grace+`"}`); res.StatusCode != 202 {
		t.Fatalf("replace: %s %s", res.Status, body)
	}
	res, body := f.do(http.MethodPost, path(id, pid), "", `{"userId":"`+alan+`"}`)
	checkError(t, res, body, 400, codeTransferNotConn)
}

func TestConversationEventsReachEveryAgent(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.srv.SetAnswer(ada, AnswerModel{Decline: 1}); err != nil {
		t.Fatal(err)
	}
	id := f.newConversation(NewConversation{})
	f.assign(id, ada)
	waitFor(t, "decline", func() bool { return f.conversationState(id).State == convWaiting })
	f.assign(id, grace)
	waitFor(t, "accept", func() bool { return f.conversationState(id).State == convConnected })
	// Ada saw her alert and her disconnect; Grace's events show the whole
	// conversation.
	evs := f.pub.topic("v2.users." + ada + ".conversations")
	if len(evs) < 2 {
		t.Fatalf("Ada got %d events", len(evs))
	}
	var last conversationEvent
	if err := json.Unmarshal(evs[1], &last); err != nil {
		t.Fatal(err)
	}
	if ag := agentParticipants(conversationJSON{Participants: last.Participants}); ag[0].Calls[0].State != "disconnected" {
		t.Fatalf("Ada's second event %s", evs[1])
	}
	if len(f.pub.topic("v2.users."+grace+".conversations")) < 2 {
		t.Fatal("Grace should see alerting and connected")
	}
}

func TestSameSeedSameIDs(t *testing.T) {
	run := func() []string {
		f := newFixture(t, Options{Seed: 42, Answer: AnswerModel{Accept: 1, Decline: 1, NoAnswer: 1, Delay: time.Millisecond}, AlertTimeout: 2 * time.Millisecond})
		var out []string
		for i := 0; i < 5; i++ {
			id := f.newConversation(NewConversation{})
			f.assign(id, grace)
			waitFor(t, "outcome", func() bool { return f.conversationState(id).State != convAlerting })
			if err := f.srv.SetPresence(grace, PresenceOnQueue, ""); err != nil {
				t.Fatal(err)
			}
			c := f.getConversation(id)
			for _, p := range c.Participants {
				out = append(out, p.ID)
			}
			out = append(out, id, f.srv.State().Deliveries[i].Outcome)
			f.srv.mu.Lock()
			f.srv.endConversation(f.srv.convs[id])
			f.srv.mu.Unlock()
		}
		return out
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed, different runs:\n%v\n%v", a, b)
	}
}
