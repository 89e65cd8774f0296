package sim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// trace records the order events ran in and the clock each saw.
type trace struct {
	k   *Kernel
	got []string
}

func (tr *trace) add(label string) func() {
	return func() {
		tr.got = append(tr.got, fmt.Sprintf("%s@%v", label, tr.k.Now().Sub(t0)))
	}
}

func TestKernelOrder(t *testing.T) {
	type sched struct {
		after time.Duration
		label string
	}
	tests := []struct {
		name  string
		sched []sched
		want  []string
	}{
		{
			// Scheduled out of order: run by time.
			name:  "by time",
			sched: []sched{{3 * time.Second, "c"}, {1 * time.Second, "a"}, {2 * time.Second, "b"}},
			want:  []string{"a@1s", "b@2s", "c@3s"},
		},
		{
			// Equal times run in scheduling order (FIFO), never by label or id.
			name:  "equal time FIFO",
			sched: []sched{{time.Second, "z"}, {time.Second, "y"}, {time.Second, "x"}, {time.Second, "w"}, {time.Second, "v"}, {time.Second, "u"}},
			want:  []string{"z@1s", "y@1s", "x@1s", "w@1s", "v@1s", "u@1s"},
		},
		{
			// Time first, then insertion order among equals.
			name:  "time then insertion",
			sched: []sched{{2 * time.Second, "b1"}, {time.Second, "a1"}, {2 * time.Second, "b2"}, {time.Second, "a2"}, {0, "now"}},
			want:  []string{"now@0s", "a1@1s", "a2@1s", "b1@2s", "b2@2s"},
		},
		{
			// Nanosecond resolution is kept.
			name:  "nanoseconds",
			sched: []sched{{2, "two"}, {1, "one"}},
			want:  []string{"one@1ns", "two@2ns"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := NewKernel(t0)
			tr := &trace{k: k}
			for _, s := range tt.sched {
				k.After(s.after, tr.add(s.label))
			}
			if got := k.Pending(); got != len(tt.sched) {
				t.Fatalf("Pending() = %d, want %d", got, len(tt.sched))
			}
			n := 0
			for k.Step() {
				n++
			}
			if !slices.Equal(tr.got, tt.want) {
				t.Errorf("ran %v, want %v", tr.got, tt.want)
			}
			if n != len(tt.want) || k.Executed() != uint64(len(tt.want)) || k.Pending() != 0 {
				t.Errorf("Step ran %d, Executed() = %d, Pending() = %d; want %d, %d, 0", n, k.Executed(), k.Pending(), len(tt.want), len(tt.want))
			}
		})
	}
}

// TestKernelMatchesReference drives the kernel hard (thousands of events
// with many ties, cancellations and compactions; with spread, across the
// heap, the ring's slabs and the far heap, run in steps that end between
// events) and checks it against the definition: sort by (time, insertion),
// minus the cancelled.
func TestKernelMatchesReference(t *testing.T) {
	type ref struct {
		at  int64
		seq int
		id  EventID
	}
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		spread := seed > 3
		r := rand.New(rand.NewPCG(seed, 0))
		k := NewKernel(t0)
		var want []ref
		var got []int
		cancelled := map[int]bool{}
		k.handler = func(c call) { got = append(got, int(c.a)) }
		for seq := range 5000 {
			at := r.Int64N(500) // many ties
			if spread && r.IntN(4) > 0 {
				at += r.Int64N(int64(3 * time.Hour)) // most in the ring, some far
			}
			// Odd events are calls (afterCall), which run in the same
			// order as functions.
			var id EventID
			if seq%2 == 0 {
				id = k.At(t0.Add(time.Duration(at)), func() { got = append(got, seq) })
			} else {
				id = k.afterCall(time.Duration(at), call{op: 1, a: int32(seq)})
			}
			want = append(want, ref{at, seq, id})
			if r.IntN(3) == 0 { // cancel a third of the events, most of them old
				v := r.IntN(len(want))
				if ok := k.Cancel(want[v].id); ok == cancelled[v] {
					t.Fatalf("seed %d: Cancel(event %d) = %v after %v earlier cancels of it", seed, v, ok, cancelled[v])
				}
				cancelled[v] = true
			}
		}
		if k.Pending() != len(want)-len(cancelled) {
			t.Fatalf("seed %d: Pending() = %d, want %d", seed, k.Pending(), len(want)-len(cancelled))
		}
		slices.SortFunc(want, func(a, b ref) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
		var wantSeq []int
		for _, w := range want {
			if !cancelled[w.seq] {
				wantSeq = append(wantSeq, w.seq)
			}
		}
		ran := 0
		for end := t0; k.Pending() > 0; {
			end = end.Add(time.Duration(r.Int64N(int64(10 * time.Minute))))
			ran += k.Run(end)
		}
		if ran != len(wantSeq) {
			t.Errorf("seed %d: Run ran %d events, want %d", seed, ran, len(wantSeq))
		}
		if !slices.Equal(got, wantSeq) {
			i := 0
			for i < min(len(got), len(wantSeq)) && got[i] == wantSeq[i] {
				i++
			}
			t.Errorf("seed %d: order diverges from reference at position %d of %d", seed, i, len(wantSeq))
		}
	}
}

func TestKernelCancel(t *testing.T) {
	tests := []struct {
		name string
		// run builds a scenario on k, recording into tr, and returns what
		// Cancel calls it made reported.
		run         func(k *Kernel, tr *trace) []bool
		wantCancels []bool
		wantRan     []string
	}{
		{
			// A pending event cancelled before the run never runs.
			name: "before run",
			run: func(k *Kernel, tr *trace) []bool {
				k.After(1*time.Second, tr.add("a"))
				b := k.After(2*time.Second, tr.add("b"))
				k.After(3*time.Second, tr.add("c"))
				return []bool{k.Cancel(b), k.Cancel(b)} // second cancel: already cancelled
			},
			wantCancels: []bool{true, false},
			wantRan:     []string{"a@1s", "c@3s"},
		},
		{
			// Cancelling an event that already ran reports false.
			name: "after run",
			run: func(k *Kernel, tr *trace) []bool {
				a := k.After(time.Second, tr.add("a"))
				k.Run(t0.Add(time.Second))
				return []bool{k.Cancel(a)}
			},
			wantCancels: []bool{false},
			wantRan:     []string{"a@1s"},
		},
		{
			// An event cancels a later one, including one at its own time.
			name: "from inside an event",
			run: func(k *Kernel, tr *trace) []bool {
				var res []bool
				var b, c EventID
				k.After(time.Second, func() {
					tr.add("a")()
					res = append(res, k.Cancel(b), k.Cancel(c))
				})
				b = k.After(time.Second, tr.add("b"))
				c = k.After(5*time.Second, tr.add("c"))
				k.After(6*time.Second, tr.add("d"))
				k.Run(t0.Add(time.Minute))
				return res
			},
			wantCancels: []bool{true, true},
			wantRan:     []string{"a@1s", "d@6s"},
		},
		{
			// The running event is no longer pending: cancelling it is a no-op.
			name: "self from inside",
			run: func(k *Kernel, tr *trace) []bool {
				var res []bool
				var a EventID
				a = k.After(time.Second, func() { tr.add("a")(); res = append(res, k.Cancel(a)) })
				k.Run(t0.Add(time.Minute))
				return res
			},
			wantCancels: []bool{false},
			wantRan:     []string{"a@1s"},
		},
		{
			// A stale id must not cancel the event that reused its slot.
			name: "stale id after slot reuse",
			run: func(k *Kernel, tr *trace) []bool {
				a := k.After(time.Second, tr.add("a"))
				first := k.Cancel(a)
				k.After(2*time.Second, tr.add("b")) // reuses a's slot
				return []bool{first, k.Cancel(a)}
			},
			wantCancels: []bool{true, false},
			wantRan:     []string{"b@2s"},
		},
		{
			// The zero EventID and ids the kernel never issued name nothing.
			name: "zero and foreign ids",
			run: func(k *Kernel, tr *trace) []bool {
				k.After(time.Second, tr.add("a"))
				return []bool{
					k.Cancel(0),
					k.Cancel(EventID(3) << 32),   // right slot, future generation
					k.Cancel(EventID(2) << 32),   // right slot, free (even) generation
					k.Cancel(EventID(1)<<32 | 7), // slot never allocated
					k.Cancel(^EventID(0)),
				}
			},
			wantCancels: []bool{false, false, false, false, false},
			wantRan:     []string{"a@1s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := NewKernel(t0)
			tr := &trace{k: k}
			cancels := tt.run(k, tr)
			for k.Step() {
			}
			if !slices.Equal(cancels, tt.wantCancels) {
				t.Errorf("Cancel results %v, want %v", cancels, tt.wantCancels)
			}
			if !slices.Equal(tr.got, tt.wantRan) {
				t.Errorf("ran %v, want %v", tr.got, tt.wantRan)
			}
			if k.Pending() != 0 {
				t.Errorf("Pending() = %d after draining, want 0", k.Pending())
			}
		})
	}
}

// TestKernelRingCancel cancels events of the ring's slabs (an hour ahead
// at most, past the near slab) at the head, middle and tail of a slab's
// list and all of another slab's: each is unlinked at once, its slot is
// the next one taken, and the rest run in order.
func TestKernelRingCancel(t *testing.T) {
	k := NewKernel(t0)
	tr := &trace{k: k}
	at := func(d time.Duration, label string) EventID { return k.At(t0.Add(d), tr.add(label)) }
	// Slab of t0+10m: a list of five (head is the last scheduled).
	var ids []EventID
	for i, d := range []time.Duration{1, 2, 3, 4, 5} {
		ids = append(ids, at(10*time.Minute+d*time.Millisecond, fmt.Sprint("a", i)))
	}
	// Slab of t0+20m: two, both cancelled; slab of t0+30m: one, kept.
	x, y := at(20*time.Minute, "x"), at(20*time.Minute+time.Millisecond, "y")
	at(30*time.Minute, "z")
	for _, id := range []EventID{ids[4], ids[2], ids[0], x, y} { // head, middle, tail
		if !k.Cancel(id) {
			t.Fatalf("Cancel(%v) = false for a pending event", id)
		}
		if k.Cancel(id) {
			t.Fatalf("Cancel(%v) = true twice", id)
		}
	}
	if k.Pending() != 3 || k.entries() != 3 || k.ring.n != 3 {
		t.Fatalf("Pending() = %d, entries() = %d, ring holds %d; want 3, 3, 3 (ring events unlinked at once)", k.Pending(), k.entries(), k.ring.n)
	}
	// The last slot cancelled is the next one taken.
	if id := at(40*time.Minute, "w"); uint32(id) != uint32(y) {
		t.Errorf("new event took slot %d, want %d (the cancelled y's)", uint32(id), uint32(y))
	}
	for k.Step() {
	}
	want := []string{"a1@10m0.002s", "a3@10m0.004s", "z@30m0s", "w@40m0s"}
	if !slices.Equal(tr.got, want) {
		t.Errorf("ran %v, want %v", tr.got, want)
	}
	if k.Pending() != 0 || k.ring.n != 0 {
		t.Errorf("Pending() = %d, ring holds %d after draining; want 0, 0", k.Pending(), k.ring.n)
	}
}

// Cancelled events must not pin memory: after mass cancellation the heap
// shrinks to the live events and drops the cancelled closures.
func TestKernelCancelCompacts(t *testing.T) {
	k := NewKernel(t0)
	ids := make([]EventID, 10000)
	for i := range ids {
		ids[i] = k.After(time.Duration(i+1)*time.Millisecond, func() {})
	}
	for _, id := range ids[:9900] {
		if !k.Cancel(id) {
			t.Fatalf("Cancel(%v) = false for a pending event", id)
		}
	}
	if k.Pending() != 100 {
		t.Fatalf("Pending() = %d, want 100", k.Pending())
	}
	if n := k.entries(); n > 2*k.Pending()+64 {
		t.Errorf("the kernel holds %d entries for %d pending events; cancelled entries are not compacted", n, k.Pending())
	}
	checkClosuresReleased(t, k, "cancelled")
	if ran := k.Run(t0.Add(time.Minute)); ran != 100 {
		t.Errorf("Run ran %d, want 100", ran)
	}
}

func TestKernelScheduleFromEvents(t *testing.T) {
	k := NewKernel(t0)
	tr := &trace{k: k}
	k.After(time.Second, func() {
		tr.add("a")()
		k.After(0, tr.add("a+0"))            // same time: after everything already at 1s
		k.After(time.Second, tr.add("a+1s")) // 2s: before c, scheduled earlier
		k.At(k.Now(), tr.add("a@now"))
	})
	k.After(time.Second, tr.add("b")) // at 1s like a, scheduled before a runs
	k.After(3*time.Second, tr.add("c"))
	// A chain: each event schedules the next, 3 deep.
	var chain func(n int) func()
	chain = func(n int) func() {
		return func() {
			tr.add(fmt.Sprint("chain", n))()
			if n < 3 {
				k.After(time.Second, chain(n+1))
			}
		}
	}
	k.After(4*time.Second, chain(1))

	if ran := k.Run(t0.Add(time.Minute)); ran != 9 {
		t.Errorf("Run ran %d, want 9", ran)
	}
	want := []string{"a@1s", "b@1s", "a+0@1s", "a@now@1s", "a+1s@2s", "c@3s", "chain1@4s", "chain2@5s", "chain3@6s"}
	if !slices.Equal(tr.got, want) {
		t.Errorf("ran %v\nwant %v", tr.got, want)
	}
}

func TestKernelRunUntil(t *testing.T) {
	k := NewKernel(t0)
	tr := &trace{k: k}
	for _, s := range []int{1, 2, 3, 4, 5} {
		k.After(time.Duration(s)*time.Second, tr.add(fmt.Sprint(s)))
	}
	// An event exactly at until runs; later ones stay pending.
	if ran := k.Run(t0.Add(3 * time.Second)); ran != 3 {
		t.Errorf("Run(3s) ran %d, want 3", ran)
	}
	if got := k.Now(); !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("Now() = %v after Run(3s)", got)
	}
	if k.Pending() != 2 || k.Executed() != 3 {
		t.Errorf("Pending() = %d, Executed() = %d; want 2, 3", k.Pending(), k.Executed())
	}
	// Run to a time with no events still moves the clock there.
	if ran := k.Run(t0.Add(3500 * time.Millisecond)); ran != 0 {
		t.Errorf("Run(3.5s) ran %d, want 0", ran)
	}
	if got := k.Now().Sub(t0); got != 3500*time.Millisecond {
		t.Errorf("Now() = t0+%v after Run(3.5s), want t0+3.5s", got)
	}
	// After is relative to the advanced clock.
	k.After(time.Second, tr.add("late"))
	k.Run(t0.Add(time.Hour))
	want := []string{"1@1s", "2@2s", "3@3s", "4@4s", "late@4.5s", "5@5s"}
	if !slices.Equal(tr.got, want) {
		t.Errorf("ran %v, want %v", tr.got, want)
	}
	if got := k.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("Now() = %v, want %v", got, t0.Add(time.Hour))
	}
}

func TestKernelNow(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	start := time.Date(2025, 6, 1, 8, 0, 0, 0, loc)
	k := NewKernel(start)
	if got := k.Now(); !got.Equal(start) || got.Location() != loc {
		t.Errorf("Now() = %v, want %v in %v", got, start, loc)
	}
	var seen time.Time
	k.After(90*time.Minute, func() { seen = k.Now() })
	k.Step()
	if want := start.Add(90 * time.Minute); !seen.Equal(want) || seen.Location() != loc {
		t.Errorf("Now() inside event = %v, want %v", seen, want)
	}
	// A wall-clock start's monotonic reading is dropped: virtual times
	// compare by wall time only.
	wall := time.Now()
	if got := NewKernel(wall).Now(); got.String() != wall.Round(0).String() {
		t.Errorf("Now() = %q, want %q (no monotonic reading)", got, wall.Round(0))
	}
}

func TestKernelPanics(t *testing.T) {
	tests := []struct {
		name string
		do   func(k *Kernel)
		want string // substring of the panic message
	}{
		// Scheduling into the past is a model bug.
		{"At before Now", func(k *Kernel) { k.At(t0.Add(-time.Nanosecond), func() {}) }, "before Now"},
		{"At before Now after Run", func(k *Kernel) { k.Run(t0.Add(time.Hour)); k.At(t0.Add(time.Minute), func() {}) }, "into the past"},
		{"After negative", func(k *Kernel) { k.After(-time.Second, func() {}) }, "negative delay"},
		{"After overflow", func(k *Kernel) { k.After(time.Duration(1<<63-1), func() {}) }, "overflows"},
		{"At beyond range", func(k *Kernel) { k.At(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), func() {}) }, "outside the kernel's range"},
		{"nil fn", func(k *Kernel) { k.After(0, nil) }, "nil event function"},
		// The clock never goes back.
		{"Run until before Now", func(k *Kernel) { k.Run(t0.Add(-time.Second)) }, "cannot go back"},
		// Nesting Run/Step would run events out of order.
		{"Run inside event", func(k *Kernel) { k.After(0, func() { k.Run(k.Now()) }); k.Step() }, "inside an event"},
		{"Step inside event", func(k *Kernel) { k.After(0, func() { k.Step() }); k.Run(t0) }, "inside an event"},
		{"NewKernel zero time", func(*Kernel) { NewKernel(time.Time{}) }, "outside the kernel's range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := NewKernel(t0)
			msg := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg = fmt.Sprint(r)
					}
				}()
				tt.do(k)
				return ""
			}()
			if msg == "" {
				t.Fatalf("did not panic")
			}
			if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "sim: ") {
				t.Errorf("panic %q, want it to start with \"sim: \" and contain %q", msg, tt.want)
			}
		})
	}
}

// A panicking event must not leave the kernel believing it is still inside
// an event.
func TestKernelUsableAfterEventPanic(t *testing.T) {
	k := NewKernel(t0)
	k.After(time.Second, func() { panic("model bug") })
	ran := false
	k.After(2*time.Second, func() { ran = true })
	func() {
		defer func() { _ = recover() }()
		k.Run(t0.Add(time.Minute))
	}()
	if k.Run(t0.Add(time.Minute)) != 1 || !ran {
		t.Errorf("kernel unusable after a recovered event panic")
	}
}

// Steady-state scheduling must not allocate beyond the caller's closure.
func TestKernelNoAllocs(t *testing.T) {
	k := NewKernel(t0)
	var tick func()
	tick = func() { k.After(time.Millisecond, tick) }
	for range 1000 {
		k.After(time.Millisecond, tick)
	}
	for range 10000 { // grow heap, slots and free list to steady state
		k.Step()
	}
	if a := testing.AllocsPerRun(1000, func() { k.Step() }); a != 0 {
		t.Errorf("Step+After allocates %v times per event, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, func() { k.Cancel(k.After(time.Second, tick)) }); a != 0 {
		t.Errorf("After+Cancel allocates %v times, want 0", a)
	}
}

// Events that ran must not be kept alive by the kernel: a closure often
// holds a whole conversation's state.
func TestKernelReleasesClosures(t *testing.T) {
	k := NewKernel(t0)
	for i := range 100 {
		k.After(time.Duration(i)*time.Second, func() {})
	}
	k.Run(t0.Add(time.Minute))
	if k.Pending() != 39 { // events at 61s..99s
		t.Errorf("Pending() = %d, want 39", k.Pending())
	}
	checkClosuresReleased(t, k, "finished")
}

// checkClosuresReleased fails unless the kernel holds a function for each
// pending event and no more: a finished or cancelled event's closure must
// be dropped so that what it captured can be collected.
func checkClosuresReleased(t *testing.T, k *Kernel, gone string) {
	t.Helper()
	held := 0
	for _, s := range k.slots {
		if s.fn != nil {
			held++
		}
	}
	if held != k.Pending() {
		t.Fatalf("the kernel holds %d closures for %d pending events; %s ones are kept alive", held, k.Pending(), gone)
	}
}

// TestKernelSideStream checks the exogenous stream's events (reserve and
// atSeq: one pending at a time, beside the heap) against the definition:
// with the heap's events, in order of time, then sequence, the stream's
// sequence numbers being those reserve set aside before the others.
func TestKernelSideStream(t *testing.T) {
	type ref struct {
		at  int64
		seq uint64
		tag string
	}
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 0))
		k := NewKernel(t0)
		var want []ref
		var got []string
		// The stream: 2000 events at non-decreasing times over 3 hours,
		// many tied with each other and with heap events (whole seconds).
		const n = 2000
		base := k.reserve(n)
		ats := make([]int64, n)
		for i := range ats {
			ats[i] = r.Int64N(3 * 3600)
		}
		slices.Sort(ats)
		for i, at := range ats {
			want = append(want, ref{at * int64(time.Second), base + uint64(i), fmt.Sprint("s", i)})
		}
		pos := 0
		var next func()
		next = func() {
			i := pos
			if pos++; pos < n {
				k.atSeq(t0.Add(time.Duration(ats[pos])*time.Second), base+uint64(pos), next)
			}
			got = append(got, fmt.Sprint("s", i))
		}
		k.atSeq(t0.Add(time.Duration(ats[0])*time.Second), base, next)
		// The heap's events, some cancelled.
		seq := base + n
		for i := range 3000 {
			at := r.Int64N(3*3600) * int64(time.Second)
			id := k.At(t0.Add(time.Duration(at)), func() { got = append(got, fmt.Sprint("h", i)) })
			if r.IntN(4) == 0 {
				k.Cancel(id)
			} else {
				want = append(want, ref{at, seq, fmt.Sprint("h", i)})
			}
			seq++
		}
		slices.SortFunc(want, func(a, b ref) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
		for end := t0; k.Pending() > 0; {
			end = end.Add(time.Duration(r.Int64N(int64(10 * time.Minute))))
			k.Run(end)
		}
		wantTags := make([]string, len(want))
		for i, w := range want {
			wantTags[i] = w.tag
		}
		if !slices.Equal(got, wantTags) {
			i := 0
			for i < min(len(got), len(wantTags)) && got[i] == wantTags[i] {
				i++
			}
			t.Errorf("seed %d: order diverges from reference at position %d of %d (got %d events)", seed, i, len(wantTags), len(got))
		}
	}
}
