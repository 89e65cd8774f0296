package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// chaosRedis is the Redis a chaos run owns and can hurt: a private
// redis-server process on a Unix socket of its own (a TCP port could be
// taken by someone else while the server is down) when the binary exists
// (kill -9, SIGTERM, SIGSTOP/SIGCONT), else an in-process miniredis (kill
// and restart only; it cannot be frozen).
type chaosRedis interface {
	URL() string
	Real() bool
	Kill() error    // abrupt: SIGKILL (miniredis: close)
	Start() error   // start again after Kill; the data survives (AOF)
	Restart() error // SIGTERM, then start again
	Freeze() error  // SIGSTOP
	Thaw() error    // SIGCONT
	Close()
}

// startChaosRedis starts redis-server when it is on PATH, else miniredis.
func startChaosRedis() (chaosRedis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return startMiniChaosRedis()
	}
	dir, err := os.MkdirTemp("", "shadowq-chaos-redis-")
	if err != nil {
		return nil, err
	}
	r := &procRedis{bin: bin, dir: dir, sock: filepath.Join(dir, "redis.sock")}
	if err := r.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// procRedis is a redis-server child process. Every write is fsynced to an
// append-only file, so a killed server comes back with its data, as a
// production Redis with persistence does.
type procRedis struct {
	bin, dir, sock string
	mu             sync.Mutex
	cmd            *exec.Cmd
	exited         chan struct{}
	frozen         bool
}

func (r *procRedis) URL() string { return "unix://" + r.sock + "?db=0" }
func (r *procRedis) Real() bool  { return true }

func (r *procRedis) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return nil
	}
	cmd := exec.Command(r.bin, "--port", "0", "--unixsocket", r.sock, "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--auto-aof-rewrite-percentage", "0",
		"--daemonize", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	r.cmd, r.exited, r.frozen = cmd, exited, false
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: r.sock})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			r.cmd = nil
			return fmt.Errorf("redis-server on %s exited at start", r.sock)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s: not answering: %w", r.sock, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *procRedis) stop(sig syscall.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return nil
	}
	if r.frozen {
		r.cmd.Process.Signal(syscall.SIGCONT)
	}
	if err := r.cmd.Process.Signal(sig); err != nil {
		return err
	}
	<-r.exited
	r.cmd = nil
	return nil
}

func (r *procRedis) Kill() error { return r.stop(syscall.SIGKILL) }

func (r *procRedis) Restart() error {
	if err := r.stop(syscall.SIGTERM); err != nil {
		return err
	}
	return r.Start()
}

func (r *procRedis) signal(sig syscall.Signal, frozen bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return errors.New("redis-server is not running")
	}
	r.frozen = frozen
	return r.cmd.Process.Signal(sig)
}

func (r *procRedis) Freeze() error { return r.signal(syscall.SIGSTOP, true) }
func (r *procRedis) Thaw() error   { return r.signal(syscall.SIGCONT, false) }

// Close kills the server and removes its directory. (No background
// rewrite is configured, so no child process writes there afterwards.)
func (r *procRedis) Close() {
	r.stop(syscall.SIGKILL)
	for range 10 {
		if os.RemoveAll(r.dir) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// miniRedis is the fallback: miniredis keeps its data across Close and
// Restart. Its clock is moved from the wall clock so claims expire.
type miniRedis struct {
	mr   *miniredis.Miniredis
	stop chan struct{}
	wg   sync.WaitGroup
}

func startMiniChaosRedis() (chaosRedis, error) {
	mr, err := miniredis.Run()
	if err != nil {
		return nil, err
	}
	m := &miniRedis{mr: mr, stop: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-m.stop:
				return
			case now := <-t.C:
				m.mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return m, nil
}

func (m *miniRedis) URL() string    { return "redis://" + m.mr.Addr() + "/0" }
func (m *miniRedis) Real() bool     { return false }
func (m *miniRedis) Kill() error    { m.mr.Close(); return nil }
func (m *miniRedis) Start() error   { return m.mr.Restart() }
func (m *miniRedis) Restart() error { m.mr.Close(); return m.mr.Restart() }
func (m *miniRedis) Freeze() error  { return errors.New("miniredis cannot be frozen") }
func (m *miniRedis) Thaw() error    { return nil }
func (m *miniRedis) Close() {
	close(m.stop)
	m.wg.Wait()
	m.mr.Close()
}
