package engine_test

import (
	"os"
	"testing"

	"github.com/shadowq/shadowq/engine"
)

// FuzzParsePolicy: any input gives a valid policy or an error, never a
// panic, and an accepted policy always validates.
func FuzzParsePolicy(f *testing.F) {
	for _, name := range []string{"../scenarios/policy.yaml", "testdata/bad-policy.yaml"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("routingStatus: {COMMUNICATING: {action: interrupt, minPriority: P1}}"))
	f.Add([]byte("presences: [{id: 3fd5f5e2-7b1c-4a52-9a3e-2f1c0c7d1a01, action: interrupt, minPriority: 3}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := engine.ParsePolicy("fuzz.yaml", data)
		if err != nil {
			return
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("accepted policy does not validate: %v", verr)
		}
	})
}
