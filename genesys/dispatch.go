package genesys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Deliverer starts deliveries; *Client implements it.
type Deliverer interface {
	Deliver(ctx context.Context, d engine.Delivery, mode Mode) error
}

// DeliveryChecker reads a delivery's conversation for the engine's
// conversation checks; *Client implements it. The answer always has
// Checked set (a read failure is a DeliveryError answer).
type DeliveryChecker interface {
	CheckDelivery(ctx context.Context, d engine.Delivery) engine.Outcome
}

// ErrChecksUnsupported is returned by Dispatcher.Check when its Client
// cannot read conversations (the engine then settles as without checks).
var ErrChecksUnsupported = errors.New("genesys: the dispatcher's client cannot read conversations")

// DispatcherOptions configures a Dispatcher. Client and OnOutcome are
// required.
type DispatcherOptions struct {
	Client Deliverer
	// Mode is how every delivery is made (default ModeAssign).
	Mode Mode
	// Workers is how many deliveries run at once [4]; keep it at or below
	// the Client's SDKConns.
	Workers int
	// QueueSize bounds the deliveries waiting for a worker [256]; Deliver
	// fails with ErrQueueFull beyond it.
	QueueSize int
	// AdmitWait is the admission bound [DefaultAdmitWait]: Deliver
	// accepts a delivery only when the Client's request budget has a
	// delivery slot for it, and for every job queued or running ahead of
	// it, within AdmitWait; otherwise it refuses at once with
	// ErrNoCapacity (FaultCapacity), so the engine never answers "routed"
	// for a delivery that cannot start promptly. When Slots is also a
	// SlotEstimator the refusal carries the estimate (RetryAfter: when its
	// slot would come), so the engine holds the escalation until then
	// instead of falling back. Admission needs Slots (or a Client that is
	// itself a SlotCounter); without one every delivery is admitted.
	AdmitWait time.Duration
	// SlotWait bounds how long a delivery, once a worker starts it, waits
	// for its request slot [3 × AdmitWait]: admission counted one within
	// AdmitWait, but a conversation check or a 429 pause may take it
	// meanwhile. Past SlotWait the delivery fails (ErrBudget) as
	// FaultCapacity with the time until a slot, so the engine holds the
	// escalation (or falls back) and the Data Action's "routed" never
	// waits on the budget.
	SlotWait time.Duration
	// Slots counts the request budget's delivery slots for admission;
	// default: Client, when it is a SlotCounter (*Client is). Set it when
	// Client wraps the *Client.
	Slots SlotCounter
	// Timeout bounds one delivery, retries included [15 s]. Keep it well
	// below the engine's claim TTL, so a failure is reported while the
	// claim still stands. Whatever it is, no request for a delivery
	// starts after its claim expired (engine.Delivery Expires, re-anchored
	// on Now when Deliver is called); one in flight may finish.
	Timeout time.Duration
	// OnOutcome receives a DeliveryError outcome for every delivery that
	// failed or could not be attempted, and the answer to every Check
	// (Checked set). It is called from worker
	// goroutines, possibly concurrently, never from the goroutine that
	// called Deliver; it may wait for the engine's owner
	// (serve.Loop.HandleOutcome) but must not call the engine itself.
	// Accepted, declined and unanswered deliveries are not reported here:
	// they arrive as conversation events on the Feed.
	OnOutcome func(engine.Outcome)
	// Now stamps outcomes [time.Now]; Logger [discard].
	Now    func() time.Time
	Logger *slog.Logger
}

// SlotCounter says how many delivery-class requests can start within d,
// and hears of deliveries refused for want of them; *Client implements it
// over all its OAuth clients' budgets.
type SlotCounter interface {
	DeliverySlotsWithin(d time.Duration) int
	NoteDeliveryRefused()
}

// SlotEstimator says how long until the k-th next delivery-class request
// could start (ok false: not within one budget period); *Client
// implements it.
type SlotEstimator interface {
	DeliverySlotWait(k int) (time.Duration, bool)
}

// DefaultAdmitWait is the admission bound: a delivery whose request slot
// is further away than this is refused, so that "routed" (answered once
// the /assign is accepted) is never slow for want of budget. Long enough
// to cover the gap between two slots of a saturated 300-a-minute budget
// (200 ms) at two OAuth clients.
const DefaultAdmitWait = 150 * time.Millisecond

// Dispatcher is the engine.Dispatcher of production: Deliver admits
// (budget and queue, see AdmitWait), queues and returns at once; Run's
// workers make the Platform API calls.
//
// Admission design: Deliver returns before /assign is sent (the engine
// must not block on the network); the Data Action answers "routed" only
// once the /assign was accepted (serve/confirm.go, bounded: hold if it is
// still in flight). So that this wait stays short, Deliver checks
// synchronously, in memory, that the budget will have a slot for this
// delivery and everything ahead of it within AdmitWait. Deliveries go first in the budget (ClassDelivery), so
// the estimate holds unless Genesys answers 429 (another user of the same
// token); such a delivery then fails through OnOutcome and the engine
// moves on or falls back (reconciled, not lost).
//
// Ordering: deliveries start in queue order; with several workers they
// may finish in any order. Concurrency: Deliver is safe to call from any
// goroutine, including the engine's while it decides.
type Dispatcher struct {
	o       DispatcherOptions
	queue   chan job
	pending atomic.Int64 // jobs queued or running

	mu      sync.Mutex
	stopped bool
	running bool

	// promised are the slot times given to refused deliveries as their
	// RetryAfter and not yet reached: each takes one slot, so that the
	// next refusal is told a later one, not the same.
	pmu      sync.Mutex
	promised []time.Time
}

// job is a delivery to start, or a delivery whose conversation to check.
type job struct {
	d     engine.Delivery
	check bool
}

var (
	_ engine.Dispatcher          = (*Dispatcher)(nil)
	_ engine.ConversationChecker = (*Dispatcher)(nil)
)

// NewDispatcher checks o and returns an idle dispatcher; call Run.
func NewDispatcher(o DispatcherOptions) (*Dispatcher, error) {
	switch {
	case o.Client == nil:
		return nil, errors.New("genesys: DispatcherOptions.Client is required")
	case o.OnOutcome == nil:
		return nil, errors.New("genesys: DispatcherOptions.OnOutcome is required (failed deliveries must reach the engine)")
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.AdmitWait <= 0 {
		o.AdmitWait = DefaultAdmitWait
	}
	if o.SlotWait <= 0 {
		o.SlotWait = 3 * o.AdmitWait
	}
	if sc, ok := o.Client.(SlotCounter); ok && o.Slots == nil {
		o.Slots = sc
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{o: o, queue: make(chan job, o.QueueSize)}, nil
}

// Deliver admits d and queues it without blocking. An error wrapping
// ErrNoCapacity or ErrQueueFull (FaultCapacity: the engine falls back) or
// ErrStopped (FaultTransient) means it was not queued; nil means a worker
// will start it within about AdmitWait and report a failure through
// OnOutcome.
func (p *Dispatcher) Deliver(d engine.Delivery) error {
	if sc := p.o.Slots; sc != nil {
		ahead := int(p.pending.Load())
		if slots := sc.DeliverySlotsWithin(p.o.AdmitWait); ahead >= slots {
			sc.NoteDeliveryRefused()
			f := &engine.DeliveryFailure{Fault: engine.FaultCapacity,
				Err: fmt.Errorf("%w: %d API requests free within %v, %d deliveries and checks ahead", ErrNoCapacity, slots, p.o.AdmitWait, ahead)}
			if se, ok := sc.(SlotEstimator); ok {
				f.RetryAfter = p.promise(se, ahead)
			}
			return f
		}
	}
	if !d.Expires.IsZero() && !d.At.IsZero() {
		// Expires is on the engine's clock (virtual in tests and the
		// simulator): re-anchor the claim's remaining life on ours, from
		// now, the moment the engine decided.
		d.Expires = p.o.Now().Add(d.Expires.Sub(d.At))
	}
	return p.enqueue(job{d: d})
}

// promise estimates when a refused delivery, with ahead jobs queued or
// running, would get its request slot — after every slot promised to an
// earlier refusal — and records it; 0 when not within one budget period.
// At least AdmitWait: that is why it was refused.
func (p *Dispatcher) promise(se SlotEstimator, ahead int) time.Duration {
	p.pmu.Lock()
	defer p.pmu.Unlock()
	now := p.o.Now()
	live := p.promised[:0]
	for _, t := range p.promised {
		if t.After(now) {
			live = append(live, t)
		}
	}
	p.promised = live
	w, ok := se.DeliverySlotWait(ahead + len(live) + 1)
	if !ok {
		return 0
	}
	w = max(w, p.o.AdmitWait)
	p.promised = append(p.promised, now.Add(w))
	return w
}

// Check implements engine.ConversationChecker: it queues a read of d's
// conversation (Client.CheckDelivery) and returns without blocking; the
// answer arrives through OnOutcome. Errors are as for Deliver, or
// ErrChecksUnsupported.
func (p *Dispatcher) Check(d engine.Delivery) error {
	if _, ok := p.o.Client.(DeliveryChecker); !ok {
		return ErrChecksUnsupported
	}
	return p.enqueue(job{d: d, check: true})
}

func (p *Dispatcher) enqueue(j job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: ErrStopped}
	}
	p.pending.Add(1)
	select {
	case p.queue <- j:
		return nil
	default:
		p.pending.Add(-1)
		return &engine.DeliveryFailure{Fault: engine.FaultCapacity, Err: ErrQueueFull}
	}
}

// Run runs the workers until ctx ends. Deliveries in flight then end with
// their context's error; deliveries still queued are reported as
// DeliveryError ("dispatcher stopped") and Deliver returns ErrStopped from
// then on. Run returns nil; it must be called once.
func (p *Dispatcher) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running || p.stopped {
		p.mu.Unlock()
		return errors.New("genesys: Dispatcher.Run called twice")
	}
	p.running = true
	p.mu.Unlock()

	var wg sync.WaitGroup
	for range p.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-p.queue:
					p.run(ctx, j)
				}
			}
		}()
	}
	wg.Wait()

	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	for {
		select {
		case j := <-p.queue:
			p.fail(j, ErrStopped)
		default:
			return nil
		}
	}
}

func (p *Dispatcher) run(ctx context.Context, j job) {
	defer p.pending.Add(-1)
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	if j.check {
		p.o.OnOutcome(p.o.Client.(DeliveryChecker).CheckDelivery(ctx, j.d))
		return
	}
	if err := p.o.Client.Deliver(WithSlotDeadline(ctx, time.Now().Add(p.o.SlotWait)), j.d, p.o.Mode); err != nil {
		p.fail(j, err)
	}
}

// fail reports a failed delivery with its engine.Fault (see deliveryFault),
// so a conversation-level error never penalises the expert.
func (p *Dispatcher) fail(j job, err error) {
	d := j.d
	if j.check {
		p.o.OnOutcome(engine.Outcome{ConversationID: d.ConversationID, Expert: d.Expert, Holder: d.Holder,
			Result: engine.DeliveryError, Checked: true, At: p.o.Now(), Detail: "check: " + err.Error()})
		return
	}
	fault := deliveryFault(err)
	var retry time.Duration
	if errors.Is(err, ErrBudget) && !errors.Is(err, ErrOutcomeUnknown) {
		// No request slot in time (SlotWait, or a 429's pause): the next
		// expert would wait alike. Capacity, with the time until a slot,
		// so the engine holds the escalation instead of trying another
		// expert at the cost of another SlotWait.
		fault = engine.FaultCapacity
		if se, ok := p.o.Slots.(SlotEstimator); ok {
			retry = p.promise(se, int(p.pending.Load()))
		}
	}
	p.o.Logger.Warn("genesys: delivery failed", "conversation", d.ConversationID, "expert", d.Expert,
		"attempt", d.Attempt, "mode", p.o.Mode, "fault", fault, "err", err)
	p.o.OnOutcome(engine.Outcome{
		ConversationID: d.ConversationID,
		Expert:         d.Expert,
		Holder:         d.Holder,
		Result:         engine.DeliveryError,
		Fault:          fault,
		RetryAfter:     retry,
		At:             p.o.Now(),
		Detail:         err.Error(),
	})
}
