package genesys

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
)

// Random streams derived from Options.Seed, one per subsystem, so that a
// change in how often one subsystem draws does not shift the others.
const (
	streamIDs = iota + 1
	streamAnswers
	streamFaults
)

func newStream(seed uint64, stream uint64) *mrand.Rand {
	return mrand.New(mrand.NewPCG(seed, stream))
}

// idSource makes GUIDs for entities (seeded) and correlation ids (a seeded
// prefix and a counter, cheap enough for every request).
type idSource struct {
	mu     sync.Mutex
	r      *mrand.Rand
	prefix string
	n      atomic.Uint64
}

func newIDSource(seed uint64) *idSource {
	g := &idSource{r: newStream(seed, streamIDs)}
	g.prefix = g.uuid()[:24] // "xxxxxxxx-xxxx-4xxx-yxxx-"
	return g
}

// uuid returns a random (version 4 layout) GUID from the seeded stream.
func (g *idSource) uuid() string {
	g.mu.Lock()
	hi, lo := g.r.Uint64(), g.r.Uint64()
	g.mu.Unlock()
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// contextID is a correlation id for one request.
func (g *idSource) contextID() string {
	return fmt.Sprintf("%s%012x", g.prefix, g.n.Add(1)&0xffffffffffff)
}

// secret returns an unguessable token; secrets come from crypto/rand, not
// from the seed, because they guard the API.
func secret(nbytes int) string {
	b := make([]byte, nbytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
