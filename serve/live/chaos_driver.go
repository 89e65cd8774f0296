package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// chaosEsc is one escalation as the Data Action saw it.
type chaosEsc struct {
	step    Step
	conv    string
	created time.Time
	sent    time.Time            // first Data Action call (fake clock); guarded by chaosRun.mu
	sentTo  map[string]time.Time // first call to each replica; guarded by chaosRun.mu
	answers []chaosAnswer        // guarded by chaosRun.mu
}

// chaosAnswer is one 200 answer of POST /v1/escalations.
type chaosAnswer struct {
	At      time.Time
	Replica string
	serve.EscalationResponse
}

type httpClient struct{ c *http.Client }

func newHTTPClient() *httpClient {
	return &httpClient{c: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
}

func (h *httpClient) do(ctx context.Context, method, url, body string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+chaosToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

// escalate puts a conversation in the queue and calls the Data Action as
// Architect would: once, retried on errors and 5xx against the next
// replica, and, when the step says so, once more later with the same body
// (a retry after a timeout the flow saw).
func (r *chaosRun) escalate(ctx context.Context, st Step) {
	conv, err := r.fake.CreateConversation(genesys.NewConversation{Skills: []string{st.Skill}, Priority: st.Priority})
	if err != nil {
		r.note("", "escalation not created: %v", err)
		return
	}
	e := &chaosEsc{step: st, conv: conv, created: r.fake.Now()}
	r.mu.Lock()
	r.escs = append(r.escs, e)
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.callDataAction(ctx, e)
		if st.Retry > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(st.Retry):
			}
			r.callDataAction(ctx, e)
		}
	}()
}

func (r *chaosRun) callDataAction(ctx context.Context, e *chaosEsc) {
	body := fmt.Sprintf(`{"conversationId":%q,"skills":[%q],"priority":"P%d"}`, e.conv, e.step.Skill, e.step.Priority)
	backoff := 100 * time.Millisecond
	for attempt := 0; attempt < 60 && ctx.Err() == nil; attempt++ {
		slot := r.slots[(e.step.Replica+attempt)%len(r.slots)]
		rep := slot.cur.Load()
		if rep != nil {
			r.mu.Lock()
			now := r.fake.Now()
			if e.sent.IsZero() {
				e.sent = now
			}
			if e.sentTo == nil {
				e.sentTo = map[string]time.Time{}
			}
			if _, ok := e.sentTo[rep.name]; !ok {
				e.sentTo[rep.name] = now
			}
			r.mu.Unlock()
			var out serve.EscalationResponse
			code, err := r.http.do(ctx, "POST", rep.url+"/v1/escalations", body, &out)
			if err == nil && code == 200 {
				r.mu.Lock()
				e.answers = append(e.answers, chaosAnswer{At: r.fake.Now(), Replica: rep.name, EscalationResponse: out})
				r.mu.Unlock()
				r.note(e.conv, "Data Action ← %s: %s %s", rep.name, out.Action, userName(out.UserID))
				return
			}
			if code >= 400 && code < 500 {
				r.note(e.conv, "Data Action ← %s: HTTP %d (not retried)", rep.name, code)
				return
			}
			r.note(e.conv, "Data Action ← %s: HTTP %d %v (retrying)", rep.name, code, err)
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// terminal says whether an escalation has ended, in Genesys and in serve
// alike: some replica's GET /v1/escalations/{id} reports it terminal, and
// its final answer matches the fake's truth: routed to the user whose
// delivery the fake saw accepted, or, when none was, fallen back (the
// queue takes it) or abandoned.
func (r *chaosRun) terminal(ctx context.Context, e *chaosEsc, accepted map[string]string) bool {
	for _, s := range r.slots {
		rep := s.cur.Load()
		if rep == nil {
			continue
		}
		var st serve.EscalationState
		code, err := r.http.do(ctx, "GET", rep.url+"/v1/escalations/"+e.conv, "", &st)
		if err != nil || code != 200 || !st.Terminal {
			continue
		}
		if user := accepted[e.conv]; user != "" {
			if st.Action == engine.ActRouted.String() && st.UserID == user {
				return true
			}
		} else if st.Action == engine.ActFallback.String() || st.Action == engine.ActAbandoned.String() {
			return true
		}
	}
	return false
}

// settle waits, up to the policy's bound, for every escalation to end, and
// returns those that did not.
func (r *chaosRun) settle(ctx context.Context) []*chaosEsc {
	deadline := time.Now().Add(chaosBound(ChaosPolicy()))
	r.mu.Lock()
	pending := append([]*chaosEsc(nil), r.escs...)
	r.mu.Unlock()
	for len(pending) > 0 && ctx.Err() == nil {
		accepted := r.fake.Truth().Accepted
		var still []*chaosEsc
		for _, e := range pending {
			if !r.terminal(ctx, e, accepted) {
				still = append(still, e)
			}
		}
		pending = still
		if len(pending) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return pending
}

// cacheDiff is one expert whose presence in a replica's cache differs
// from the fake's truth after the faults stopped and two bulk reads.
type cacheDiff struct {
	Replica, User string
	Cached, True  string
}

// compareCaches waits until every replica has made two bulk presence reads
// after healAt (the first one then has been applied: the resyncer applies
// a snapshot before it reads again) and compares each replica's cache with
// the fake's truth. Presence changes stopped with the schedule, so nothing
// newer can be in flight.
func (r *chaosRun) compareCaches(ctx context.Context, healAt time.Time) []cacheDiff {
	var out []cacheDiff
	truth := map[string]string{}
	for _, u := range r.fake.State().Users {
		truth[u.ID] = u.PresenceID
	}
	for _, s := range r.slots {
		rep := s.cur.Load()
		if rep == nil {
			continue
		}
		deadline := time.Now().Add(60 * time.Second)
		for ctx.Err() == nil && time.Now().Before(deadline) && bulkReadsSince(r.fake.Truth(), rep.name, healAt) < 2 {
			time.Sleep(100 * time.Millisecond)
		}
		cached := map[string]string{}
		err := rep.srv.loop.Do(ctx, func(e *engine.Engine) error {
			for id := range truth {
				st, _ := e.State(engine.ExpertID(id))
				cached[id] = string(st.Presence.Def)
			}
			return nil
		})
		if err != nil {
			continue
		}
		for id, want := range truth {
			if cached[id] != want {
				out = append(out, cacheDiff{Replica: rep.name, User: id, Cached: cached[id], True: want})
			}
		}
	}
	return out
}

func bulkReadsSince(t genesys.Truth, caller string, since time.Time) int {
	n := 0
	for _, b := range t.BulkReads {
		if b.Caller == caller && b.At.After(since) {
			n++
		}
	}
	return n
}
