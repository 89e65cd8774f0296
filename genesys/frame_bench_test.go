package genesys

import (
	"testing"
	"time"
)

// hotPresenceFrame is a presence notification as Genesys (and the fake) send it.
var hotPresenceFrame = []byte(`{"topicName":"v2.users.0ad00000-0000-4000-8000-000000000042.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":"6a3af858-942f-489d-9700-5f9bcdcdae9b","systemPresence":"Available"},"primary":true,"message":"","modifiedDate":"2026-11-30T11:59:58.123Z"},"metadata":{"CorrelationId":"290034f4-1b6e-4c5e-9d2b-7f1c1d0a1e11"}}`)

// BenchmarkDecodePresenceFrame is the hot envelope: one presence frame decoded to
// an engine event (the ingest ceiling's dominant cost).
//
//	go test -run '^$' -bench DecodePresenceFrame -benchmem -count 5 ./genesys/
func BenchmarkDecodePresenceFrame(b *testing.B) {
	recv := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(hotPresenceFrame)))
	for b.Loop() {
		fr, err := decodeFrame(hotPresenceFrame, recv)
		if err != nil || !fr.hasEvt {
			b.Fatal(err)
		}
	}
}
