package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Streams derives independent random streams from one seed, one per named
// subsystem ("arrivals", "handle", "presence/expert-17", ...). The same
// (seed, name) always gives the same stream, whatever other streams were
// created or in what order.
//
// Derivation (part of the reproducibility contract: changing it changes
// every simulation's output for a given seed): the name is hashed with
// 64-bit FNV-1a, and the two PCG seeds are SplitMix64 outputs over the
// stream seed and that hash. A Streams is immutable and safe for concurrent
// use; the generators it returns are not.
type Streams struct {
	seed uint64
}

// NewStreams returns the streams of seed.
func NewStreams(seed uint64) *Streams { return &Streams{seed: seed} }

// Seed returns the seed the streams derive from (log it: it reproduces the
// run).
func (s *Streams) Seed() uint64 { return s.seed }

// Domain separators, so that a replication's seed can never coincide with
// a stream derivation of the parent.
const (
	golden      = 0x9e3779b97f4a7c15 // SplitMix64 increment
	domainName  = 0x73747265616d3a00 // "stream:\0"
	domainRepl  = 0x7265706c69636100 // "replica\0"
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// Stream returns a new generator positioned at the start of the named
// stream. Each call returns an independent copy of the same sequence, so a
// subsystem should ask once and keep its generator; two subsystems must not
// share a name.
func (s *Streams) Stream(name string) *rand.Rand {
	h := fnv1a64(name)
	s1 := mix64(s.seed ^ mix64(h^domainName))
	s2 := mix64(s1 + golden)
	return rand.New(rand.NewPCG(s1, s2))
}

// Replication returns the streams of replication i, derived from (seed, i):
// they depend on nothing else and share no stream with s or with any other
// replication.
func (s *Streams) Replication(i int) *Streams {
	return &Streams{seed: mix64(mix64(s.seed^domainRepl) + uint64(i)*golden)}
}

func fnv1a64(s string) uint64 {
	h := uint64(fnvOffset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// mix64 is the SplitMix64 finaliser: a bijection with full avalanche.
func mix64(z uint64) uint64 {
	z += golden
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// The helpers below are what behaviour models draw from. Each consumes the
// same number of values from r whatever its parameters (Exp and LogNormal
// excepted, whose samplers reject a variable number of times), so that
// changing a probability or a weight does not shift every later draw of the
// stream: runs that differ only in parameters keep common random numbers.

// Exp returns an exponentially distributed duration with the given mean,
// rounded to the nanosecond and capped at the largest Duration. A negative
// mean panics.
func Exp(r *rand.Rand, mean time.Duration) time.Duration {
	if mean < 0 {
		panic(fmt.Sprintf("sim: Exp(mean=%v): negative mean", mean))
	}
	return duration(r.ExpFloat64() * float64(mean))
}

// LogNormal returns a log-normally distributed duration: median·e^(σZ) with
// Z standard normal, so sigma is the standard deviation of ln(duration).
// A negative median or sigma panics.
func LogNormal(r *rand.Rand, median time.Duration, sigma float64) time.Duration {
	if median < 0 || !(sigma >= 0) || math.IsInf(sigma, 0) {
		panic(fmt.Sprintf("sim: LogNormal(median=%v, sigma=%v): median and sigma must be finite and non-negative", median, sigma))
	}
	return duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
}

// Bernoulli returns true with probability p (false for p <= 0, true for
// p >= 1). It always consumes exactly one value. A NaN p panics.
func Bernoulli(r *rand.Rand, p float64) bool {
	if math.IsNaN(p) {
		panic("sim: Bernoulli(p=NaN)")
	}
	return r.Float64() < p
}

// Choose returns index i with probability weights[i]/sum(weights). Weights
// need not sum to 1; a zero weight is never chosen. It always consumes
// exactly one value. No weights, a negative, NaN or infinite weight, or all
// weights zero panics.
func Choose(r *rand.Rand, weights []float64) int {
	var total float64
	last := -1
	for i, w := range weights {
		if !(w >= 0) || math.IsInf(w, 1) {
			panic(fmt.Sprintf("sim: Choose: weights[%d] = %v; weights must be finite and non-negative", i, w))
		}
		if w > 0 {
			total += w
			last = i
		}
	}
	if last < 0 {
		panic(fmt.Sprintf("sim: Choose: no positive weight among %d", len(weights)))
	}
	if math.IsInf(total, 1) {
		panic("sim: Choose: weights sum to +Inf")
	}
	u := float64(r.Float64() * total) // explicit rounding: no fused multiply-add on any platform
	for i, w := range weights {
		if w > 0 {
			u -= w
			if u < 0 {
				return i
			}
		}
	}
	return last // rounding left u >= 0 after the last weight
}

// duration converts nanoseconds to a Duration, rounding to nearest and
// saturating instead of overflowing.
func duration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(math.Round(ns))
}
