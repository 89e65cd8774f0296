package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Config wires an Engine to its ports.
type Config struct {
	Clock      Clock
	Store      Store
	Dispatcher Dispatcher
	// Checker reads conversations to settle deliveries whose outcome was
	// not observed; nil uses the Dispatcher if it implements
	// ConversationChecker, else such deliveries count as unanswered.
	Checker   ConversationChecker
	Predictor Predictor // nil disables micro-wait
	Policy    *Policy   // nil means DefaultPolicy()
	Experts   []Expert
	// ReplicaID prefixes claim holders so replicas never mint the same one.
	ReplicaID string
	// OnDecision, if set, sees every decision after it is logged. The
	// decision must not be retained or modified.
	OnDecision func(*Decision)
	// RecentDone is how many finished escalations the engine remembers in
	// memory for idempotent Submit (default 10,000); older ones are found
	// in the store's decision log.
	RecentDone int
	// Observe decides every escalation without acting on it (see
	// observe.go): the would-be decision is logged with Observed set, the
	// answer is a fallback, and the Dispatcher is never called.
	Observe bool
}

// Engine is the routing core. It is a synchronous state machine and is not
// safe for concurrent use: one goroutine owns it (the simulator's event
// loop, or the serve loop that serialises HTTP requests and feed events).
type Engine struct {
	clock Clock
	store Store
	disp  Dispatcher
	check ConversationChecker // nil: no checks
	pred  Predictor
	pol   *Policy
	// ic is store's IndexedClaims once it accepted the experts in index
	// order (see claimsAt); icAsked says it was asked.
	ic      IndexedClaims
	icAsked bool
	// routing caches pol.Routing as an array: the hot path indexes it.
	routing [RSNotResponding + 1]Rule
	replic  string
	onDec   func(*Decision)
	observe bool

	experts  []expertRec
	hot      []hot
	gates    []gate // the scan's first test, 4 bytes per expert
	blk      []blockSrc
	blkRun   []uint64 // bit i: blk[i] equals blk[i-1] (see setBlk)
	blkStale []uint64 // bit i: blkRun's bit i is to be recomputed (see runWord)
	// prov is each expert's provenance (see presence.go), apart from its
	// record: a periodic resync confirms every expert's, and at 10,000
	// experts reading it from the end of each 408-byte record was the
	// largest part of the resync.
	prov     []provenances
	profs    []int8 // experts × skills: proficiency 0..5, or -1 when not held
	nSkills  int
	index    map[ExpertID]int32
	skillIDs map[string]int32 // skill name → dense id
	bySkill  [][]int32        // per skill id: expert indexes, sorted by expert ID
	skillOf  [][]int8         // per skill id, aligned with bySkill: the experts' proficiency

	// synced[i]: re-reading the entry of expert i in the last snapshot
	// (one with Changed, at syncedAt) would only confirm it, and would
	// leave its provenance as it is. noteDirty clears it; nil until a
	// snapshot carries Changed (see ApplySnapshot).
	synced   []bool
	syncedAt time.Time
	// confFloor is a time every expert's state was confirmed at or after:
	// a tracked snapshot (Changed) covers every expert, so it sets the
	// floor instead of each one's ConfirmedAt (at 10,000 experts that
	// write was a cache miss per expert per resync). An expert's
	// ConfirmedAt is the later of its own and the floor (see confirmedAt);
	// its hot.confirmed likewise, against confFloorNs (never while the
	// floor is zero). Load writes the floor into every record and clears
	// it.
	confFloor   time.Time
	confFloorNs int64

	escs      map[string]*esc  // in flight
	done      map[string]int32 // recently finished, for idempotent Submit: its slot in doneOrder and doneEnds
	doneOrder []string         // FIFO of done, bounded by doneKeep (a ring from doneNext once full)
	doneEnds  []ending         // aligned with doneOrder: how each ended
	doneNext  int
	doneKeep  int
	held      []*esc // sorted by priority, arrival, conversation id
	byHolder  map[string]*esc
	deadlines deadlineHeap

	all      []int32 // 0..n-1, the pool for escalations without skills
	dirty    []int32 // experts to write through (kept until the store takes them)
	isDirty  []bool
	wakeHeld bool // an expert may have become eligible

	unlogged []Decision // decisions the store's log has not taken yet, oldest first
	storeErr error      // last store failure while the backlog is not empty
	retryAt  time.Time  // when to retry the backlog

	// logBuf is the copy logDecision hands to log, so that the caller's
	// decision stays on its stack (see logDecision); logBusy says it is in
	// use.
	logBuf  Decision
	logBusy bool
	// acceptedWhy[i] is "accepted by " + expert i's ID, made the first
	// time i accepts (see acceptedBy); nil until then.
	acceptedWhy []string

	unknown map[PresenceDefID]*UnknownPresence
	rank    rankFunc // e.presenceRank, bound once

	scratch scratch

	// Eligibility index by skill set (see eligindex.go).
	groups   []*group
	groupKey map[string]int32
	memberOf memberships // per expert: its groups
	// allRecs is the time-index records of a group holding every expert
	// (a member's position is then its index), nil if none: Prefetch
	// reaches an expert's records through it without reading anything.
	allRecs *countRecs
}

// hot is the part of an expert's state the selection scan reads, packed
// so a scan over thousands of experts stays in cache. It is derived from
// expertRec by refresh after every change (markDirty calls it).
type hot struct {
	known     bool // a presence is known
	ruleOK    bool
	pending   bool
	action    RuleAction
	minPrio   Priority
	routing   RoutingStatus // effective: INTERACTING while on a conversation
	budget    uint16        // interruption budget per hour, 0 = none
	confirmed int64         // unix ns; the later of it and Engine.confFloorNs counts (see ApplySnapshot)
	cooldown  int64         // unix ns, never if none
	lastTouch int64         // max(LastDelivery, LastInterrupt) in unix ns, never if none
	// budgetFull is when the interruption budget stops being used up
	// (unix ns; never when it is not used up). Interruptions only change
	// through refresh, so the count in the window can only fall until then.
	budgetFull int64
}

// never is the unix-ns sentinel for a zero time.
const never = int64(-1 << 63)

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return never
	}
	return t.UnixNano()
}

// expertRec is an expert's full state. Its fields are ordered by when
// they are read, and it is padded to 6 cache lines (384 bytes; the slice
// of 10,000 is page-aligned, so every record starts a line): an event
// (refreshState) and a resync's confirmation read and write the presence
// rule and the first 160 bytes of st, lines 0–2, and a confirmation only
// lines 0–1. The delivery times, pending and the static Expert, which only
// deliveries and outcomes read, come after. At 10,000 experts the records
// do not fit a core's L2, so each line an event touches is a miss.
type expertRec struct {
	rule   Rule // cached presence rule for st.Presence
	ruleOK bool // a rule was found
	byGUID bool // the rule names the GUID
	// st.ID is Expert.ID: ApplyAt checks it here, on the line an event
	// reads anyway.
	st      ExpertState
	pending *esc // delivery in flight to this expert (this engine only)
	Expert
	_ [expertRecPad]byte
}

// expertRecPad pads expertRec to 384 bytes on 64-bit platforms (see
// TestExpertRecLayout).
const expertRecPad = 40

type escState uint8

const (
	escDeciding escState = iota
	escDelivering
	escHeld
)

type esc struct {
	Escalation
	skillIDs     []int32
	skillBuf     [2]int32 // skillIDs' array for up to two skills: esc stays in the 384-byte size class
	unknownSkill bool
	state        escState
	seq          int
	attempts     int
	refused      int   // attempts the dispatcher refused for want of capacity (not counted against MaxAttempts)
	grp          int32 // its group in Engine.groups + 1; -1 none; 0 not looked up
	tried        []int32
	skip         []int32 // held in the store by others, during one decide
	expert       int32   // delivering: the expert
	holder       string
	assigned     string // the holder whose /assign Genesys accepted (NoteAssigned)
	interrupt    bool
	observed     bool // decided in observe mode: nothing is delivered
	lastRes      string
	holdStart    time.Time
	holdUntil    time.Time
	gen          uint64 // deadline generation; stale heap entries are skipped
	// unsettled is the outcome of the pending delivery when the store
	// failed to take it; Tick settles it (see HandleOutcome).
	unsettled *Outcome
	// Conversation checks of the pending delivery (see check.go).
	checking bool     // a check is in flight
	checks   int      // checks started for the pending delivery
	checkFor *Outcome // what triggered them: settled with it if they fail
	routedTo ExpertID // the agent a checked conversation turned out to be with
}

// UnknownPresence is a presence-definition GUID seen in events that the
// policy does not name. Such experts are routed only by a system-presence
// fallback rule (route or never), never interrupted.
type UnknownPresence struct {
	Def      PresenceDefID
	System   SystemPresence
	Fallback string // the fallback action applied, or "none (never routed)"
	Events   int
	LastSeen time.Time
}

// New builds an engine. Experts are copied.
func New(cfg Config) (*Engine, error) {
	if cfg.Clock == nil || cfg.Store == nil || cfg.Dispatcher == nil {
		return nil, errors.New("engine: Clock, Store and Dispatcher are required")
	}
	pol := cfg.Policy
	if pol == nil {
		pol = DefaultPolicy()
	}
	if err := pol.Validate(); err != nil {
		return nil, fmt.Errorf("engine: policy: %w", err)
	}
	e := &Engine{
		clock: cfg.Clock, store: cfg.Store, disp: cfg.Dispatcher, pred: cfg.Predictor,
		pol: pol, replic: cfg.ReplicaID, onDec: cfg.OnDecision, observe: cfg.Observe,
		index:    make(map[ExpertID]int32, len(cfg.Experts)),
		skillIDs: map[string]int32{},
		escs:     map[string]*esc{},
		done:     map[string]int32{},
		byHolder: map[string]*esc{},
		unknown:  map[PresenceDefID]*UnknownPresence{},
		doneKeep: cfg.RecentDone,

		confFloorNs: never,
	}
	if e.doneKeep <= 0 {
		e.doneKeep = 10_000
	}
	e.check = cfg.Checker
	if c, ok := cfg.Dispatcher.(ConversationChecker); ok && e.check == nil {
		e.check = c
	}
	e.rank = e.presenceRank
	e.cacheRouting()
	sorted := slices.Clone(cfg.Experts)
	slices.SortFunc(sorted, func(a, b Expert) int { return cmp.Compare(a.ID, b.ID) })
	e.experts = make([]expertRec, 0, len(sorted))
	for i, x := range sorted {
		if err := x.Validate(); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		if i > 0 && sorted[i-1].ID == x.ID {
			return nil, fmt.Errorf("engine: expert %s listed twice", x.ID)
		}
		e.index[x.ID] = int32(i)
		e.experts = append(e.experts, expertRec{Expert: x, st: ExpertState{ID: x.ID}})
		e.experts[i].refreshRule(pol)
		for _, s := range slices.Sorted(maps.Keys(x.Skills)) {
			id, ok := e.skillIDs[s]
			if !ok {
				id = int32(len(e.bySkill))
				e.skillIDs[s] = id
				e.bySkill = append(e.bySkill, nil)
				e.skillOf = append(e.skillOf, nil)
			}
			e.bySkill[id] = append(e.bySkill[id], int32(i))
			e.skillOf[id] = append(e.skillOf[id], int8(x.Skills[s]))
		}
	}
	// A dense proficiency table: a skill check on the hot path is an index,
	// not a string-keyed map lookup.
	e.nSkills = len(e.bySkill)
	e.profs = make([]int8, len(e.experts)*e.nSkills)
	for k := range e.profs {
		e.profs[k] = -1
	}
	e.hot = make([]hot, len(e.experts))
	e.gates = make([]gate, len(e.experts))
	e.blk = make([]blockSrc, len(e.experts))
	e.blkRun = allRuns(len(e.experts))
	e.blkStale = make([]uint64, len(e.blkRun))
	e.prov = make([]provenances, len(e.experts))
	for i := range e.experts {
		for s, p := range e.experts[i].Skills {
			e.profs[i*e.nSkills+int(e.skillIDs[s])] = int8(p)
		}
		e.refresh(int32(i))
	}
	e.isDirty = make([]bool, len(e.experts))
	return e, nil
}

// Policy returns the policy in force.
func (e *Engine) Policy() *Policy { return e.pol }

// SetPredictor replaces the micro-wait predictor (nil disables new
// holds); holds already decided keep their deadlines. Production starts
// with the defaults and swaps in one trained on presence history once the
// history is read, after the service is ready.
func (e *Engine) SetPredictor(p Predictor) { e.pred = p }

// SetPolicy swaps the policy (a reload). Cached rules are recomputed.
func (e *Engine) SetPolicy(p *Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	e.pol = p
	e.cacheRouting()
	for i := range e.experts {
		e.experts[i].refreshRule(p)
		e.refresh(int32(i))
	}
	return nil
}

// refresh recomputes the hot record of expert i from its full state.
func (e *Engine) refresh(i int32) {
	r := &e.experts[i]
	old := e.hot[i]
	e.hot[i] = r.hotOf()
	e.setBlk(i, r.blockSrc())
	e.retime(i, &old, &e.hot[i])
	e.setGate(i, &e.hot[i])
}

// hotOf derives the hot record from the full state.
func (r *expertRec) hotOf() hot {
	st := &r.st
	last := st.LastDelivery
	if st.LastInterrupt.After(last) {
		last = st.LastInterrupt
	}
	h := hot{
		known:      r.known(),
		ruleOK:     r.ruleOK,
		pending:    r.pending != nil,
		action:     r.rule.Action,
		minPrio:    r.rule.MinPriority,
		routing:    st.effRouting(),
		budget:     uint16(min(r.InterruptBudgetPerHour, 1<<16-1)),
		confirmed:  unixNano(st.ConfirmedAt),
		cooldown:   unixNano(st.CooldownUntil),
		lastTouch:  unixNano(last),
		budgetFull: never,
	}
	if b := r.InterruptBudgetPerHour; b > 0 && len(st.Interrupts) >= b {
		h.budgetFull = st.Interrupts[len(st.Interrupts)-b].Add(time.Hour).UnixNano()
	}
	return h
}

// refreshState is refresh after an event or a bulk read changed expert
// i's presence (and its rule), routing status, conversation or calendar
// block. The rest of the hot record (pending, the budget, the cool-down,
// the last touch and when the budget is used up) comes from the delivery
// times, the interruptions and pending, which only deliveries and
// outcomes change, and they call refresh: it is kept, so the record's
// lines after the first three (see expertRec) are not read, and the time
// index, which reads only that rest, is not told (retime would find
// nothing changed).
func (e *Engine) refreshState(i int32) {
	r := &e.experts[i]
	h := &e.hot[i]
	h.known, h.ruleOK, h.action, h.minPrio = r.known(), r.ruleOK, r.rule.Action, r.rule.MinPriority
	h.routing = r.st.effRouting()
	h.confirmed = unixNano(r.st.ConfirmedAt)
	e.setBlk(i, r.blockSrc())
	e.setGate(i, h)
}

// known reports whether a presence is known.
func (r *expertRec) known() bool { return !(r.st.PresenceSince.IsZero() && r.st.Presence.Def == "") }

// effRouting is the routing status the engine acts on: INTERACTING while
// connected to a conversation, whatever the feed says yet.
func (st *ExpertState) effRouting() RoutingStatus {
	if st.Conversation != "" && st.Routing != RSCommunicating {
		return RSInteracting
	}
	return st.Routing
}

// setGate derives expert i's gate from its refreshed hot record h and
// moves it in the eligibility index if it changed.
func (e *Engine) setGate(i int32, h *hot) {
	g := e.gateOf(h)
	old := e.gates[i]
	e.gates[i] = g
	e.regate(i, old, g)
}

// gateOf derives a gate from a hot record.
func (e *Engine) gateOf(h *hot) gate {
	g := gate{rout: allowance(e.routing[h.routing])}
	switch {
	case !h.known:
		g.why = uint8(ExNoPresence)
	case !h.ruleOK:
		g.why = uint8(ExUnknownPresence)
	case h.action == Never:
		g.why = uint8(ExPresenceNever)
	default:
		g.pres = allowance(Rule{Action: h.action, MinPriority: h.minPrio})
	}
	return g
}

// gate packs what decides most exclusions into 4 bytes per expert, so the
// selection scan rejects the many experts who cannot take anything now
// without touching their larger hot record.
type gate struct {
	pres uint8 // presence allowance (see allowance); 0 = none, reason in why
	rout uint8 // routing-status allowance
	why  uint8 // Reason when pres == 0
	_    uint8
}

// allowIntr marks an allowance that interrupts.
const allowIntr = 0x80

// allowance encodes a rule as the least urgent priority it admits (1..5,
// 0 for none) plus allowIntr when delivering interrupts.
func allowance(r Rule) uint8 {
	switch r.Action {
	case Route:
		return uint8(P5)
	case Interrupt:
		return uint8(r.MinPriority) | allowIntr
	}
	return 0
}

func (e *Engine) cacheRouting() {
	for s := range e.routing {
		e.routing[s] = e.pol.Routing[RoutingStatus(s)]
	}
}

func (r *expertRec) refreshRule(p *Policy) {
	r.rule, r.byGUID, r.ruleOK = p.presenceRule(r.st.Presence)
}

// Load replaces the engine's expert states with those persisted in the
// store (a replica starting, or a restart). Experts the engine does not know
// are ignored.
func (e *Engine) Load(ctx context.Context) error {
	states, err := e.store.LoadExperts(ctx)
	if err != nil {
		return err
	}
	// A loaded state's ConfirmedAt replaces the expert's, floor or not.
	e.lowerFloor()
	for _, st := range states {
		if i, ok := e.index[st.ID]; ok {
			e.experts[i].st = st
			e.experts[i].refreshRule(e.pol)
			e.refresh(i)
		}
	}
	e.synced = nil
	return nil
}

// State returns the engine's view of one expert.
func (e *Engine) State(id ExpertID) (ExpertState, bool) {
	i, ok := e.index[id]
	if !ok {
		return ExpertState{}, false
	}
	st := e.experts[i].st
	st.ConfirmedAt = e.confirmedAt(&st)
	st.Interrupts = slices.Clone(st.Interrupts)
	return st, true
}

// confirmedAt is st's ConfirmedAt as it stands: its own, unless the
// confirmation floor is later (see Engine.confFloor). Whatever reads or
// hands out a ConfirmedAt goes through it.
func (e *Engine) confirmedAt(st *ExpertState) time.Time {
	if e.confFloor.After(st.ConfirmedAt) {
		return e.confFloor
	}
	return st.ConfirmedAt
}

// lowerFloor writes the confirmation floor into every expert's
// ConfirmedAt that is older and clears it.
func (e *Engine) lowerFloor() {
	if e.confFloor.IsZero() {
		return
	}
	for i := range e.experts {
		st := &e.experts[i].st
		st.ConfirmedAt = e.confirmedAt(st)
		if h := &e.hot[i]; h.confirmed < e.confFloorNs {
			h.confirmed = e.confFloorNs
		}
	}
	e.confFloor, e.confFloorNs = time.Time{}, never
}

// Staleness is the time since the expert's state was last confirmed by an
// event or snapshot; ok is false for unknown experts or ones never heard of.
func (e *Engine) Staleness(id ExpertID) (time.Duration, bool) {
	i, ok := e.index[id]
	if !ok {
		return 0, false
	}
	c := e.confirmedAt(&e.experts[i].st)
	if c.IsZero() {
		return 0, false
	}
	return e.clock.Now().Sub(c), true
}

// UnknownPresences lists the GUIDs seen that the policy does not name,
// sorted by GUID.
func (e *Engine) UnknownPresences() []UnknownPresence {
	out := make([]UnknownPresence, 0, len(e.unknown))
	for _, u := range e.unknown {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b UnknownPresence) int { return cmp.Compare(a.Def, b.Def) })
	return out
}

// Apply ingests a batch of events: each is applied in event-time order per
// expert and kind (older ones are ignored), changed experts are written
// through to the store in one call, conversation events complete pending
// deliveries, and held escalations are re-decided if anyone may have become
// eligible. Events for unknown experts are ignored.
func (e *Engine) Apply(ctx context.Context, evs ...Event) error {
	now := e.clock.Now()
	var errs []error
	for k := range evs {
		ev := &evs[k]
		if i, ok := e.index[ev.Expert]; ok {
			if err := e.applyOne(ctx, i, ev, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joinErrs(errs, e.settle(ctx))
}

// IndexOf is the engine's index of an expert: 0..n-1 in expert id order,
// the same for the engine's life. A caller that applies many events for
// the same experts resolves each id once and passes the index to ApplyAt.
func (e *Engine) IndexOf(id ExpertID) (int32, bool) {
	i, ok := e.index[id]
	return i, ok
}

// ApplyAt is Apply for one event whose expert the caller resolved with
// IndexOf: it skips the id lookup, which at 10,000 experts was a quarter
// of the cost of an event in the simulator. The result is Apply's. It
// panics if i is not ev.Expert's index (a caller's bug, never the feed's).
func (e *Engine) ApplyAt(ctx context.Context, i int32, ev Event) error {
	if e.experts[i].st.ID != ev.Expert {
		panic(fmt.Sprintf("engine: ApplyAt(%d) for expert %q, but %d is %q", i, ev.Expert, i, e.experts[i].ID))
	}
	return join2(e.applyOne(ctx, i, &ev, e.clock.Now()), e.settle(ctx))
}

// applyOne applies ev to expert i (see Apply); the caller settles.
func (e *Engine) applyOne(ctx context.Context, i int32, ev *Event, now time.Time) error {
	r := &e.experts[i]
	res := applyEvent(&r.st, &e.prov[i], ev, now, e.rank)
	if res == applyIgnored {
		return nil
	}
	e.afterApply(i, res, ev.Kind == EvPresence, now)
	if ev.Kind == EvConversation && r.pending != nil && r.pending.ConversationID == ev.Conversation {
		if o, ok := conversationOutcome(r, ev); ok {
			// A failure leaves the delivery pending (see
			// HandleOutcome); the rest of the batch still applies.
			return e.handleOutcome(ctx, o)
		}
	}
	return nil
}

// afterApply follows an apply to expert i: a change marks the expert dirty
// (the store write and the indexes follow at settle), takes a new presence
// rule when the presence may have changed, and may wake a held escalation;
// a confirmation without change only refreshes (see Store).
func (e *Engine) afterApply(i int32, res applyResult, presence bool, now time.Time) {
	if res != applyChanged {
		e.refresh(i)
		return
	}
	if presence {
		r := &e.experts[i]
		r.refreshRule(e.pol)
		e.noteUnknown(r, now)
	}
	e.refreshState(i)
	e.noteDirty(i)
	e.wakeHeld = e.wakeHeld || e.mayServe(i)
}

// ApplySnapshot merges a bulk presence read (see Snapshot and the ordering
// rules in presence.go): it is authoritative for every value not newer than
// it, so a resync always converges to what Genesys reports.
func (e *Engine) ApplySnapshot(ctx context.Context, s Snapshot) error {
	now := e.clock.Now()
	nowNs := now.UnixNano()
	ordered := s.InEngineOrder && len(s.Entries) == len(e.experts)
	// With Changed, an expert whose entry did not change and whose state
	// nothing changed since the last snapshot (synced) is only confirmed:
	// neither its entry nor its record is read (see Snapshot.Changed).
	tracked := ordered && len(s.Changed) == len(s.Entries)
	if tracked && now.Before(e.confFloor) {
		// The clock went back: the floor would confirm experts later
		// than now. Not with Changed (see Snapshot), but stay exact.
		e.lowerFloor()
		tracked = false
	}
	switch {
	case !tracked:
		e.synced = nil
	case e.synced == nil || s.At.Before(e.syncedAt):
		e.synced = make([]bool, len(e.experts))
	}
	var changed, synced []bool
	if tracked {
		e.syncedAt = s.At
		changed, synced = s.Changed, e.synced[:len(s.Changed)]
		// The snapshot covers every expert: each is confirmed now, through
		// the floor (see Engine.confFloor), and a synced one is not
		// touched at all.
		e.confFloor, e.confFloorNs = now, nowNs
	}
	for k := range s.Entries {
		if tracked && !changed[k] && synced[k] {
			continue
		}
		en := &s.Entries[k]
		// A bulk read lists experts in the engine's order more often than
		// not (the simulator's always does): try the position before the map.
		i, ok := int32(k), ordered || k < len(e.experts) && e.experts[k].st.ID == en.Expert
		if !ok {
			if i, ok = e.index[en.Expert]; !ok {
				continue
			}
		}
		r := &e.experts[i]
		if st := &r.st; onlyConfirms(en, st) {
			// Nothing new: the common case of a periodic resync.
			if !tracked {
				st.ConfirmedAt = now
				e.hot[i].confirmed = nowNs
			}
			pv := &e.prov[i]
			pv.pres.confirmedByRead(s.At)
			if hasRouting(en) {
				pv.rout.confirmedByRead(s.At)
			}
		} else {
			e.afterApply(i, applySnapshotEntry(&r.st, &e.prov[i], en, now, s.At), true, now)
		}
		if tracked {
			e.synced[i] = onlyConfirms(en, &r.st) && e.prov[i].settledBy(en, s.At)
		}
	}
	return e.settle(ctx)
}

func conversationOutcome(r *expertRec, ev *Event) (Outcome, bool) {
	o := Outcome{ConversationID: ev.Conversation, Expert: r.ID, Holder: r.pending.holder, At: ev.At}
	switch {
	case ev.ConvState == ConvConnected:
		o.Result = Accepted
	case ev.ConvState == ConvDisconnected && ev.NeverAnswered && ev.TimedOut:
		o.Result = NoAnswer
	case ev.ConvState == ConvDisconnected && ev.NeverAnswered:
		o.Result = Declined
	default:
		return o, false
	}
	return o, true
}

func (e *Engine) noteUnknown(r *expertRec, now time.Time) {
	if r.byGUID || r.st.Presence.Def == "" {
		return
	}
	u := e.unknown[r.st.Presence.Def]
	if u == nil {
		u = &UnknownPresence{Def: r.st.Presence.Def, System: r.st.Presence.System}
		if r.ruleOK {
			u.Fallback = "systemPresences." + r.st.Presence.System.String() + ": " + r.rule.Action.String()
		} else {
			u.Fallback = "none (never routed)"
		}
		e.unknown[r.st.Presence.Def] = u
	}
	u.Events++
	u.LastSeen = now
}

// mayServe reports whether expert i could take some escalation now, so
// that held escalations are re-decided only when it is worth it.
func (e *Engine) mayServe(i int32) bool {
	h := &e.hot[i]
	return h.known && h.ruleOK && h.action != Never && !h.pending && e.routing[h.routing].Action != Never
}

// markDirty records that expert i changed: its hot record is refreshed now
// and its state is written through at the end of the call.
func (e *Engine) markDirty(i int32) {
	e.refresh(i)
	e.noteDirty(i)
}

// noteDirty queues expert i's state to be written through at the end of
// the call, and notes that the last snapshot no longer only confirms it
// (synced).
func (e *Engine) noteDirty(i int32) {
	if e.synced != nil {
		e.synced[i] = false
	}
	if !e.isDirty[i] {
		e.isDirty[i] = true
		e.dirty = append(e.dirty, i)
	}
}

// settle re-decides held escalations and writes the backlog through (see
// backlog.go). Both run even if one fails.
func (e *Engine) settle(ctx context.Context) error {
	var err error
	if e.wakeHeld && len(e.held) > 0 {
		e.wakeHeld = false
		err = e.redecideHeld(ctx)
	}
	e.wakeHeld = false
	return join2(err, e.flush(ctx))
}

// SetCalendar records the scheduled end of the calendar block an expert is
// in (zero clears it); the predictor uses it for micro-wait.
func (e *Engine) SetCalendar(ctx context.Context, id ExpertID, blockEnd time.Time) error {
	return e.Apply(ctx, Event{Kind: EvCalendar, Expert: id, BlockEnd: blockEnd})
}

// presenceRank orders presences by how much the policy lets through, for
// same-timestamp event ties: 0 for never (or no rule), the least urgent
// priority allowed for interrupt (1..5), 6 for route. Lower is more
// restrictive.
func (e *Engine) presenceRank(p Presence) int {
	r, _, found := e.pol.presenceRule(p)
	if !found {
		return 0
	}
	switch r.Action {
	case Route:
		return int(P5) + 1
	case Interrupt:
		return int(r.MinPriority)
	}
	return 0
}
