package genesys

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkFeedIngest is the feed's ingest ceiling on one socket: a
// loopback WebSocket server sends b.N presence frames (10,000 experts,
// pre-encoded, as fast as it can) and the session reader decodes them and
// hands the events on, as in production. frames/s is the ceiling; the
// server's encoding is not in it (frames are prepared before the timer).
//
//	go test -run '^$' -bench FeedIngest -benchtime 200000x -count 5 ./genesys/
func BenchmarkFeedIngest(b *testing.B) {
	const experts = 10000
	frames := make([][]byte, experts)
	defs := []string{"6a3af858-942f-489d-9700-5f9bcdcdae9b", "e08eaf1b-ee47-4fa9-a231-1200e284798f"}
	for i := range frames {
		frames[i] = []byte(fmt.Sprintf(`{"topicName":"v2.users.0ad00000-0000-4000-8000-%012d.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":%q,"systemPresence":"Available"},"primary":true,"message":"","modifiedDate":"2026-11-30T11:59:58.%03dZ"},"metadata":{"CorrelationId":"290034f4-1b6e-4c5e-9d2b-%012d"}}`,
			i, defs[i%2], i%1000, i))
	}
	up := websocket.Upgrader{}
	start := make(chan int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		n := <-start
		for i := range n {
			if err := c.WriteMessage(websocket.TextMessage, frames[i%experts]); err != nil {
				return
			}
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	f := &Feed{in: make(chan item, 4096), log: slog.New(slog.DiscardHandler)}
	s := &session{ch: channelInfo{id: "bench"}, conn: conn, closing: make(chan struct{}), dead: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	start <- b.N
	go f.read(ctx, s)
	for range b.N {
		<-f.in
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	conn.Close()
	<-s.done
}
