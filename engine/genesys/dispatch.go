package genesys

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// Deliverer starts deliveries; *Client implements it.
type Deliverer interface {
	Deliver(ctx context.Context, d engine.Delivery, mode Mode) error
}

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
	// Timeout bounds one delivery, retries included [15 s]. Keep it well
	// below the engine's claim TTL, so a failure is reported while the
	// claim still stands.
	Timeout time.Duration
	// OnOutcome receives a DeliveryError outcome for every delivery that
	// failed or could not be attempted. It is called from worker
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

// Dispatcher is the engine.Dispatcher of production: Deliver queues and
// returns at once; Run's workers make the Platform API calls.
//
// Ordering: deliveries start in queue order; with several workers they
// may finish in any order. Concurrency: Deliver is safe to call from any
// goroutine, including the engine's while it decides.
type Dispatcher struct {
	o     DispatcherOptions
	queue chan engine.Delivery

	mu      sync.Mutex
	stopped bool
	running bool
}

var _ engine.Dispatcher = (*Dispatcher)(nil)

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
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{o: o, queue: make(chan engine.Delivery, o.QueueSize)}, nil
}

// Deliver queues d and returns without blocking. An error wrapping
// ErrQueueFull or ErrStopped (as a transient engine.DeliveryFailure) means
// it was not queued (the engine then treats it as a DeliveryError at once,
// blaming nobody); nil means a worker will attempt it and report a failure
// through OnOutcome.
func (p *Dispatcher) Deliver(d engine.Delivery) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: ErrStopped}
	}
	select {
	case p.queue <- d:
		return nil
	default:
		return &engine.DeliveryFailure{Fault: engine.FaultTransient, Err: ErrQueueFull}
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
				case d := <-p.queue:
					p.deliver(ctx, d)
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
		case d := <-p.queue:
			p.fail(d, ErrStopped)
		default:
			return nil
		}
	}
}

func (p *Dispatcher) deliver(ctx context.Context, d engine.Delivery) {
	ctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	if err := p.o.Client.Deliver(ctx, d, p.o.Mode); err != nil {
		p.fail(d, err)
	}
}

// fail reports a failed delivery with its engine.Fault (see deliveryFault),
// so a conversation-level error never penalises the expert.
func (p *Dispatcher) fail(d engine.Delivery, err error) {
	fault := deliveryFault(err)
	p.o.Logger.Warn("genesys: delivery failed", "conversation", d.ConversationID, "expert", d.Expert,
		"attempt", d.Attempt, "mode", p.o.Mode, "fault", fault, "err", err)
	p.o.OnOutcome(engine.Outcome{
		ConversationID: d.ConversationID,
		Expert:         d.Expert,
		Holder:         d.Holder,
		Result:         engine.DeliveryError,
		Fault:          fault,
		At:             p.o.Now(),
		Detail:         err.Error(),
	})
}
