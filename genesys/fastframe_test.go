package genesys

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fastSeeds are presence frames and near misses: what the fast path must
// take, and what it must leave to the general path (or agree on).
var fastSeeds = []string{
	`{"topicName":"v2.users.u1.presence","version":"2","eventBody":{"source":"PURECLOUD","presenceDefinition":{"id":"6a3af858-942f-489d-9700-5f9bcdcdae9b","systemPresence":"Available"},"primary":true,"message":"","modifiedDate":"2026-11-30T11:59:58.123Z"},"metadata":{"CorrelationId":"c-1"}}`,
	`{"eventBody":{"modifiedDate":"2026-11-30T11:59:58Z","presenceDefinition":{"systemPresence":"MEETING","id":"d"}},"topicName":"v2.users.u1.presence"}`,
	` { "topicName" : "v2.users.u1.presence" , "eventBody" : { "presenceDefinition" : { "id" : "d" } , "x" : [1, -2.5e3, {"y": [true, false, null]}, "s\"\\u00e9"] } } `,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"a","systemPresence":"AWAY"},"presenceDefinition":{"id":"b"}}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"a"},"presenceDefinition":null}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"PresenceDefinition":{"id":"a"}}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d\u0041"}}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}},"metadata":{"correlationid":"x"}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}},"result":"200"}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}},"x":01}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}}}x`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"}},}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"},"modifiedDate":"2026-02-30T00:00:00Z"}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"},"modifiedDate":"2026-11-30T11:59:58.1234567891Z"}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d"},"modifiedDate":"2026-11-30T11:59:58+01:00"}}`,
	`{"topicName":"v2.users.u1.routingStatus","eventBody":{"routingStatus":{"status":"IDLE"}}}`,
	`{"topicName":"v2.users..presence","eventBody":{"presenceDefinition":{"id":"d"}}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":""}}}`,
	`{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"d","x":[[[[]]]]}}}`,
}

// FuzzFastPresenceAgrees: whenever the fast path decodes a frame, the
// general path (encoding/json) accepts it and decodes the same frame.
func FuzzFastPresenceAgrees(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeEnvelope")
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			// Corpus files hold one []byte("...") line after the header.
			for _, line := range strings.Split(string(b), "\n") {
				if q, ok := strings.CutPrefix(line, "[]byte("); ok {
					if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
						f.Add([]byte(s))
					}
				}
			}
		}
	}
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := fastPresence(data, recv)
		if !ok {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("fast path accepted invalid JSON %q", data)
		}
		slow, err := decodeFrameGeneral(data, recv)
		if err != nil {
			t.Fatalf("fast path accepted %q, the general path says %v", data, err)
		}
		if fast != slow {
			t.Fatalf("%q:\nfast    %+v\ngeneral %+v", data, fast, slow)
		}
	})
}

// The seeds the fast path must take (the frame Genesys sends, reordered,
// with whitespace and skipped values, a repeated definition).
func TestFastPresenceTakesTheHotFrame(t *testing.T) {
	for i, s := range fastSeeds[:4] {
		if _, ok := fastPresence([]byte(s), time.Now()); !ok {
			t.Errorf("seed %d: the fast path gave up on %s", i, s)
		}
	}
	for i, s := range fastSeeds[4:12] {
		if _, ok := fastPresence([]byte(s), time.Now()); ok {
			t.Errorf("seed %d: the fast path took %s; it must leave it to encoding/json", i+4, s)
		}
	}
}
