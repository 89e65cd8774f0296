package live

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
)

// chaosSlot is one replica position: it runs incarnations one after
// another (a restart is a new process with a new replica id, as a new pod
// would be). Starts and stops run in order on the slot's own goroutine.
type chaosSlot struct {
	run  *chaosRun
	idx  int
	inc  int
	cur  atomic.Pointer[chaosReplica] // nil while down
	ops  chan func()
	done chan struct{}
	once sync.Once
}

// chaosReplica is one incarnation.
type chaosReplica struct {
	name   string
	srv    *Server
	proxy  *callerProxy
	url    string
	cancel context.CancelFunc
	done   chan struct{}
}

func newChaosSlot(r *chaosRun, idx int) *chaosSlot {
	s := &chaosSlot{run: r, idx: idx, ops: make(chan func(), 256), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for op := range s.ops {
			op()
		}
	}()
	return s
}

// do queues op behind the slot's earlier starts and stops.
func (s *chaosSlot) do(op func()) { s.ops <- op }

func (s *chaosSlot) startNow(ctx context.Context) error {
	errc := make(chan error, 1)
	s.do(func() { errc <- s.start(ctx) })
	return <-errc
}

// start brings up a new incarnation unless one is up. Redis or Genesys may
// be down at the time (a fault): it keeps trying, as a restarting pod
// would, until ready or a generous deadline.
func (s *chaosSlot) start(ctx context.Context) error {
	if s.cur.Load() != nil {
		return nil
	}
	s.inc++
	name := fmt.Sprintf("r%d.%d", s.idx, s.inc)
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		rep, err := s.boot(ctx, name)
		if err == nil {
			s.cur.Store(rep)
			s.run.note("", "replica %s up at %s", name, rep.url)
			return nil
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	s.run.note("", "replica %s failed to start: %v", name, last)
	return fmt.Errorf("replica %s: %w", name, last)
}

func (s *chaosSlot) boot(ctx context.Context, name string) (*chaosReplica, error) {
	r := s.run
	proxy, err := startCallerProxy(r.fake.BaseURL(), name)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	fail := func(err error) (*chaosReplica, error) {
		cancel()
		proxy.cut()
		return nil, err
	}
	nctx, ncancel := context.WithTimeout(ctx, 20*time.Second)
	defer ncancel()
	srv, err := New(nctx, chaosConfig(name, r.prefix), Env{Region: proxy.url, ClientID: genesys.DemoClientID,
		ClientSecret: genesys.DemoClientSecret, RedisURL: r.redis.URL()}, r.log.With("replica", name))
	if err != nil {
		return fail(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		srv.close()
		return fail(err)
	}
	rep := &chaosReplica{name: name, srv: srv, proxy: proxy, url: "http://" + addr, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(rep.done); srv.Run(rctx) }()
	ready := time.Now().Add(30 * time.Second)
	for !srv.Ready() {
		if time.Now().After(ready) || ctx.Err() != nil {
			rep.kill(true)
			return nil, fmt.Errorf("not ready after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return rep, nil
}

// stop ends the incarnation: abrupt is kill -9 (Genesys and Redis
// connections cut first, nothing drained or released), otherwise SIGTERM
// (the graceful shutdown path).
func (s *chaosSlot) stop(abrupt bool) {
	rep := s.cur.Swap(nil)
	if rep == nil {
		return
	}
	s.run.note("", "replica %s stopping (abrupt=%v)", rep.name, abrupt)
	rep.kill(abrupt)
	s.run.note("", "replica %s stopped", rep.name)
}

func (rep *chaosReplica) kill(abrupt bool) {
	if abrupt {
		rep.proxy.cut()
		rep.srv.http.Close()
		if rep.srv.rclient != nil {
			rep.srv.rclient.Close()
		}
	}
	rep.cancel()
	<-rep.done
	rep.proxy.cut()
}

// close stops the slot for good (graceful) and ends its goroutine.
func (s *chaosSlot) close() {
	s.once.Do(func() {
		s.do(func() { s.stop(false) })
		close(s.ops)
		<-s.done
	})
}
