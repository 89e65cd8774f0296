package live

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/fakes/genesys"
)

func status(r *replica, conv string) engine.Status {
	var st engine.Status
	r.srv.loop.Do(context.Background(), func(e *engine.Engine) error { st, _ = e.Status(conv); return nil })
	return st
}

// Issue 12 item 2: Redis killed while delivery outcomes arrive; 2 of 3
// escalations never finished and the third, accepted in Genesys, was
// logged as no-answer and re-assigned. Now every outcome is kept until the
// store takes it: each escalation ends routed to the expert who accepted,
// nobody is assigned twice, and the decision log in Redis ends routed.
func TestOutcomesWhileRedisIsDownAreNotLost(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: 1500 * time.Millisecond}})
	rd := startPrivateRedis(t)
	r := startReplicaPrefix(t, f, rd.url(), "r1", fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano()))
	routed := map[string]string{}
	for _, skill := range []string{"Databases", "Networking", "Security"} {
		conv := newConv(t, f, skill, 2)
		if code, resp := post(t, r, conv, skill, "P2"); code != 200 || resp.Action != "routed" {
			t.Fatalf("%s: %d %+v", skill, code, resp)
		}
		routed[conv] = ""
	}
	rd.kill()
	for conv := range routed {
		waitFor(t, func() bool { d := deliveries(f, conv); return len(d) == 1 && d[0].Outcome == "accepted" }, "the expert to accept while Redis is down")
		routed[conv] = deliveries(f, conv)[0].UserID
	}
	rd.start() // back, empty
	for conv, user := range routed {
		waitFor(t, func() bool { st := status(r, conv); return st.Terminal }, "the escalation to end once Redis is back")
		if st := status(r, conv); st.Action != engine.ActRouted || st.Expert != engine.ExpertID(user) {
			t.Errorf("%s ended %+v, want routed to %s", conv, st, user)
		}
		waitFor(t, func() bool { st := history(t, r, conv); return st.Terminal && st.Action == "routed" }, "the decision log in Redis to end routed")
		if d := deliveries(f, conv); len(d) != 1 {
			t.Errorf("%s delivered %d times: %+v", conv, len(d), d)
		}
	}
}

// Issue 12 item 5, end to end: kill -9 of a replica mid-delivery, then
// (once its ownership ran out) the Data Action's retry on the survivor.
// The survivor takes over from the decision log and reads the conversation
// (GET /api/v2/conversations/{id}) before acting: the expert accepted it,
// so it is not assigned again.
func TestTakeoverAfterKillDoesNotRouteTwice(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: 500 * time.Millisecond}})
	url, prefix := redisURL(t), fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r1 := startReplicaPrefix(t, f, url, "r1", prefix)
	r2 := startReplicaPrefix(t, f, url, "r2", prefix)
	conv := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r1, conv, "Databases", "P3"); resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("r1: %+v", resp)
	}
	waitFor(t, func() bool { d := deliveries(f, conv); return len(d) == 1 }, "the /assign")
	// kill -9: connections cut first, so nothing is drained, settled,
	// released or handed off.
	r1.srv.http.Close()
	r1.srv.rclient.Close()
	r1.stop()
	<-r1.done
	waitFor(t, func() bool { return deliveries(f, conv)[0].Outcome == "accepted" }, "Ada to accept")
	// The ownership TTL runs out (minutes; here the key is removed).
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	if n, err := c.Del(context.Background(), prefix+"conv:"+conv).Result(); err != nil || n != 1 {
		t.Fatalf("removing r1's ownership: %d %v", n, err)
	}
	code, resp := post(t, r2, conv, "Databases", "P3")
	if code != 200 || resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("retry on r2: %d %+v, want routed to Ada", code, resp)
	}
	waitFor(t, func() bool { return status(r2, conv).Terminal }, "r2 to settle the taken-over escalation")
	if st := status(r2, conv); st.Action != engine.ActRouted || st.Expert != ada {
		t.Fatalf("r2 ended it %+v, want routed to Ada", st)
	}
	if d := deliveries(f, conv); len(d) != 1 {
		t.Fatalf("assigned %d times: %+v", len(d), d)
	}
}

// kill -9 with nobody retrying: once the dead replica's ownership ran out,
// a survivor finds the escalation in the in-flight registry, takes it
// over and finishes it (here: the expert had accepted; no second
// assignment).
func TestOrphanTakenOverWithoutRetry(t *testing.T) {
	f := startFake(t, genesys.Options{Answer: genesys.AnswerModel{Accept: 1, Delay: 500 * time.Millisecond}})
	url, prefix := redisURL(t), fmt.Sprintf("e2e:%s:%d:", t.Name(), time.Now().UnixNano())
	r1 := startReplicaPrefix(t, f, url, "r1", prefix)
	r2 := startReplicaPrefix(t, f, url, "r2", prefix)
	conv := newConv(t, f, "Databases", 3)
	if _, resp := post(t, r1, conv, "Databases", "P3"); resp.Action != "routed" || resp.UserID != ada {
		t.Fatalf("r1: %+v", resp)
	}
	waitFor(t, func() bool { d := deliveries(f, conv); return len(d) == 1 }, "the /assign")
	r1.srv.http.Close() // kill -9
	r1.srv.rclient.Close()
	r1.stop()
	<-r1.done
	waitFor(t, func() bool { return deliveries(f, conv)[0].Outcome == "accepted" }, "Ada to accept")
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	if st := status(r2, conv); st.ConversationID != "" {
		t.Fatalf("r2 knows the escalation before the ownership ran out: %+v", st)
	}
	c.Del(context.Background(), prefix+"conv:"+conv) // the ownership TTL runs out
	waitFor(t, func() bool { return status(r2, conv).Terminal }, "r2 to take the orphan over and finish it, with no retry")
	if st := status(r2, conv); st.Action != engine.ActRouted || st.Expert != ada {
		t.Fatalf("r2 ended it %+v, want routed to Ada", st)
	}
	if d := deliveries(f, conv); len(d) != 1 {
		t.Fatalf("assigned %d times: %+v", len(d), d)
	}
	if n, _ := c.HLen(context.Background(), prefix+"inflight").Result(); n != 0 {
		t.Fatalf("%d in-flight entries left after it finished", n)
	}
}
