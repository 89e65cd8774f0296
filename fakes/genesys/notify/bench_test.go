package notify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkPublishOneSocket measures end to end: from the first Publish to
// the moment a gorilla client has read and decoded b.N presence envelopes
// from one WebSocket. The publisher keeps at most window events in flight
// (Publish never blocks, so an unpaced publisher would only measure the
// slow-consumer path).
//
//	go test -run '^$' -bench BenchmarkPublishOneSocket -benchtime 1000000x ./fakes/genesys/notify/
func BenchmarkPublishOneSocket(b *testing.B) {
	const window = DefaultQueueSize / 2
	h := New(Options{Authorize: testAuth, Seed: 1})
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer h.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v2/notifications/channels", nil)
	req.Header.Set("Authorization", "Bearer tok-a")
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var ch channelJSON
	if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	const topic = "v2.users.8b0d8c4e-1d5b-4bd0-a1a6-0e9f1c7c2a11.presence"
	req, _ = http.NewRequest(http.MethodPut, srv.URL+"/api/v2/notifications/channels/"+ch.ID+"/subscriptions",
		strings.NewReader(`[{"id":"`+topic+`"}]`))
	req.Header.Set("Authorization", "Bearer tok-a")
	if resp, err = srv.Client().Do(req); err != nil || resp.StatusCode != 200 {
		b.Fatalf("subscribe: %v", err)
	}
	resp.Body.Close()

	ws, _, err := websocket.DefaultDialer.Dial(ch.ConnectURI, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	for h.Stats().Sockets == 0 {
		time.Sleep(time.Millisecond)
	}

	var received atomic.Int64
	progress := make(chan struct{}, 1)
	readerDone := make(chan error, 1)
	n := b.N
	go func() {
		type envelope struct {
			TopicName string   `json:"topicName"`
			Version   string   `json:"version"`
			EventBody presence `json:"eventBody"`
			Metadata  struct {
				CorrelationID string `json:"CorrelationId"`
			} `json:"metadata"`
		}
		var env envelope
		for i := 0; i < n; {
			_, data, err := ws.ReadMessage()
			if err != nil {
				readerDone <- err
				return
			}
			env = envelope{}
			if err := json.Unmarshal(data, &env); err != nil {
				readerDone <- err
				return
			}
			if env.TopicName != topic {
				continue // a heartbeat
			}
			i++
			received.Store(int64(i))
			if i%64 == 0 {
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}
		readerDone <- nil
	}()

	body := presenceBody("AVAILABLE", 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range n {
		for int64(i)-received.Load() >= window {
			select {
			case <-progress:
			case <-time.After(time.Millisecond):
			}
		}
		h.Publish(topic, body)
	}
	if err := <-readerDone; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	if st := h.Stats(); st.SlowConsumers != 0 || st.Dropped != 0 {
		b.Fatalf("events were dropped: %+v", st)
	}
}
