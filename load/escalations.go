package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shadowq/shadowq/serve"
)

// escalations is what was sent and answered.
type escalations struct {
	mu        sync.Mutex
	answers   map[string]string // conversation id → action ("" when the request failed)
	latencies []time.Duration
	records   []answer // every answer received, for the time series
}

// byAction is the latency percentiles of the answers, per action.
func (e *escalations) byAction() map[string]Percentiles {
	e.mu.Lock()
	defer e.mu.Unlock()
	by := map[string][]time.Duration{}
	for _, a := range e.records {
		by[a.action] = append(by[a.action], a.latency)
	}
	out := make(map[string]Percentiles, len(by))
	for a, xs := range by {
		out[a] = percentiles(xs)
	}
	return out
}

// answer is one Data Action answer: when it arrived, what, after how long.
type answer struct {
	at      time.Time
	action  string
	latency time.Duration
}

func (e *escalations) counts() Escalations {
	e.mu.Lock()
	defer e.mu.Unlock()
	var c Escalations
	for _, a := range e.answers {
		c.Sent++
		switch a {
		case "routed":
			c.Routed++
		case "hold":
			c.Hold++
		default:
			c.Fallback++
		}
	}
	return c
}

// sendEscalations creates a conversation at the fake and posts it to the
// targets (serve base URLs) in turn, rate per second between begin and
// end; it returns once every request has been answered.
func sendEscalations(ctx context.Context, w world, skills []string, targets []string, token string, rate float64, begin, end time.Time) *escalations {
	e := &escalations{answers: map[string]string{}}
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for i := 0; ctx.Err() == nil; i++ {
		at := begin.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if !at.Before(end) {
			break
		}
		time.Sleep(time.Until(at))
		skill := skills[i%len(skills)]
		target := targets[i%len(targets)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			conv, err := w.CreateConversation(ctx, skill)
			if err != nil {
				return
			}
			action, el := post(ctx, client, target, token, conv, skill)
			e.mu.Lock()
			e.answers[conv] = action
			if action != "" {
				e.latencies = append(e.latencies, el)
				e.records = append(e.records, answer{at: time.Now(), action: action, latency: el})
			}
			e.mu.Unlock()
		}()
	}
	wg.Wait()
	return e
}

// post sends one escalation; the action is "" when no answer came.
func post(ctx context.Context, c *http.Client, base, token, conv, skill string) (string, time.Duration) {
	body := fmt.Sprintf(`{"conversationId":%q,"skills":[%q],"priority":"P3"}`, conv, skill)
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/escalations", strings.NewReader(body))
	if err != nil {
		return "", 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := c.Do(req)
	el := time.Since(t0)
	if err != nil {
		return "", el
	}
	defer resp.Body.Close()
	var out serve.EscalationResponse
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return "", el
	}
	return out.Action, el
}

// drain waits up to timeout for every escalation answered "routed" to
// show a delivery in the fake's log, then counts delivered escalations
// (any answer) and lost ones (routed, no delivery).
func drain(ctx context.Context, w world, e *escalations, timeout time.Duration) (delivered, lost int, err error) {
	e.mu.Lock()
	answers := make(map[string]string, len(e.answers))
	for k, v := range e.answers {
		answers[k] = v
	}
	e.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		got, err := w.Delivered(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("reading the fake's delivery log: %w", err)
		}
		delivered, lost = 0, 0
		for conv, a := range answers {
			switch {
			case got[conv]:
				delivered++
			case a == "routed":
				lost++
			}
		}
		if lost == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return delivered, lost, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
}
