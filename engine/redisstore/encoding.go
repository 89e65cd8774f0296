package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Expert state encoding, version 1.
//
// Each value of the {prefix}experts hash is one engine.ExpertState; the
// hash field is the expert ID, so the ID is not repeated in the value.
// uvarint and varint are encoding/binary's (varint is zigzag):
//
//	version       byte = 0x01
//	presenceDef   uvarint length, bytes
//	system        byte (engine.SystemPresence)
//	routing       byte (engine.RoutingStatus)
//	conversation  uvarint length, bytes
//	timeMask      byte: bit i set = fixed time i is present (non-zero):
//	              0 PresenceSince  1 RoutingSince  2 ConfirmedAt  3 BlockEnd
//	              4 LastDelivery   5 LastInterrupt 6 CooldownUntil; bit 7 is 0
//	fixed times   one time per set bit, in bit order
//	interrupts    uvarint count, then count times (oldest first)
//
//	time          varint (unixSeconds - previousUnixSeconds), uvarint nanoseconds (< 1e9)
//
// previousUnixSeconds starts at 0 and is the Unix second of the time encoded
// just before (fixed times, then interrupts), so neighbouring times cost
// 1–3 bytes of seconds; the subtraction wraps, so every time.Time
// round-trips exactly. Times decode in UTC; zero fixed times are omitted via
// timeMask and decode as time.Time{} (a zero interrupt time also decodes
// as time.Time{}). A production-like state (GUID presence and conversation,
// eight times) takes 137 bytes, 72 of them the two GUIDs, and encodes in
// ~50 ns without allocating; its JSON takes 567 bytes and is ~45 times
// slower to encode and ~35 times slower to decode (BenchmarkEncodeState*).
// Strings have no length limit of their own (Redis caps values at 512 MB).
// A decoder meeting another version byte, truncated input, an out-of-range
// field or trailing bytes returns an error.
const encodingVersion = 1

const numFixedTimes = 7

// zeroUnix is time.Time{}.Unix().
var zeroUnix = time.Time{}.Unix()

// typicalEncodedLen estimates len(appendState(nil, st)) for times a few
// hours apart.
func typicalEncodedLen(st *engine.ExpertState) int {
	return 8 + len(st.Presence.Def) + len(st.Conversation) + 8*(numFixedTimes+len(st.Interrupts))
}

func fixedTimes(st *engine.ExpertState) *[numFixedTimes]*time.Time {
	return &[numFixedTimes]*time.Time{
		&st.PresenceSince, &st.RoutingSince, &st.ConfirmedAt, &st.BlockEnd,
		&st.LastDelivery, &st.LastInterrupt, &st.CooldownUntil,
	}
}

func appendTime(b []byte, prev *int64, t time.Time) []byte {
	sec := t.Unix()
	b = binary.AppendVarint(b, sec-*prev) // wraps on overflow; decoding wraps back
	*prev = sec
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// appendState appends the encoding of st (without its ID) to b.
func appendState(b []byte, st *engine.ExpertState) []byte {
	b = append(b, encodingVersion)
	b = binary.AppendUvarint(b, uint64(len(st.Presence.Def)))
	b = append(b, st.Presence.Def...)
	b = append(b, byte(st.Presence.System), byte(st.Routing))
	b = binary.AppendUvarint(b, uint64(len(st.Conversation)))
	b = append(b, st.Conversation...)

	times := fixedTimes(st)
	var mask byte
	for i, t := range times {
		if !t.IsZero() {
			mask |= 1 << i
		}
	}
	b = append(b, mask)
	var prev int64
	for i, t := range times {
		if mask&(1<<i) != 0 {
			b = appendTime(b, &prev, *t)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(st.Interrupts)))
	for _, t := range st.Interrupts {
		b = appendTime(b, &prev, t)
	}
	return b
}

var (
	errTruncated = errors.New("truncated value")
	errOverflow  = errors.New("varint overflows 64 bits")
)

// reader decodes from a string so that decoded strings share the memory of
// the Redis reply instead of being copied.
type reader struct {
	s   string
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.s) {
		return 0, errTruncated
	}
	c := r.s[r.off]
	r.off++
	return c, nil
}

func (r *reader) uvarint() (uint64, error) {
	var x uint64
	var shift uint
	for n := 0; n < binary.MaxVarintLen64; n++ {
		if r.off >= len(r.s) {
			return 0, errTruncated
		}
		c := r.s[r.off]
		r.off++
		if c < 0x80 {
			if n == binary.MaxVarintLen64-1 && c > 1 {
				return 0, errOverflow
			}
			return x | uint64(c)<<shift, nil
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, errOverflow
}

func (r *reader) varint() (int64, error) {
	ux, err := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, err
}

func (r *reader) str() (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(r.s)-r.off) {
		return "", errTruncated
	}
	s := r.s[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

func (r *reader) time(prev *int64) (time.Time, error) {
	d, err := r.varint()
	if err != nil {
		return time.Time{}, err
	}
	ns, err := r.uvarint()
	if err != nil {
		return time.Time{}, err
	}
	if ns >= uint64(time.Second) {
		return time.Time{}, fmt.Errorf("nanoseconds %d out of range", ns)
	}
	sec := *prev + d // wraps like the encoder's subtraction
	*prev = sec
	if sec == zeroUnix && ns == 0 {
		return time.Time{}, nil
	}
	return time.Unix(sec, int64(ns)).UTC(), nil
}

// decodeState decodes v, the hash value stored for expert id.
func decodeState(id string, v string) (engine.ExpertState, error) {
	st := engine.ExpertState{ID: engine.ExpertID(id)}
	r := reader{s: v}
	ver, err := r.byte()
	if err != nil {
		return st, err
	}
	if ver != encodingVersion {
		return st, fmt.Errorf("unsupported encoding version %d", ver)
	}
	def, err := r.str()
	if err != nil {
		return st, err
	}
	st.Presence.Def = engine.PresenceDefID(def)
	sys, err := r.byte()
	if err != nil {
		return st, err
	}
	st.Presence.System = engine.SystemPresence(sys)
	rs, err := r.byte()
	if err != nil {
		return st, err
	}
	st.Routing = engine.RoutingStatus(rs)
	if st.Conversation, err = r.str(); err != nil {
		return st, err
	}
	mask, err := r.byte()
	if err != nil {
		return st, err
	}
	if mask>>numFixedTimes != 0 {
		return st, fmt.Errorf("time mask %#x has unknown bits", mask)
	}
	var prev int64
	for i, t := range fixedTimes(&st) {
		if mask&(1<<i) != 0 {
			if *t, err = r.time(&prev); err != nil {
				return st, err
			}
		}
	}
	n, err := r.uvarint()
	if err != nil {
		return st, err
	}
	// Every time takes at least 2 bytes: refuse counts the value cannot
	// hold before allocating for them.
	if n > uint64(len(r.s)-r.off)/2 {
		return st, fmt.Errorf("%d interrupts: %w", n, errTruncated)
	}
	if n > 0 {
		st.Interrupts = make([]time.Time, n)
		for i := range st.Interrupts {
			if st.Interrupts[i], err = r.time(&prev); err != nil {
				return st, err
			}
		}
	}
	if r.off != len(r.s) {
		return st, fmt.Errorf("%d trailing bytes", len(r.s)-r.off)
	}
	return st, nil
}
