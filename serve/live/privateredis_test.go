package live

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// privateRedis is a Redis only this test uses, so it can be killed and
// restarted (never the shared one on 6379): a redis-server on a free port
// when the binary is installed, else a miniredis. A restart comes back
// empty, like a Redis without persistence.
type privateRedis struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	mr   *miniredis.Miniredis
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	p := &privateRedis{t: t}
	if _, err := exec.LookPath("redis-server"); err != nil {
		p.mr = miniredis.RunT(t)
		p.addr = p.mr.Addr()
		return p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	ln.Close()
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *privateRedis) url() string { return "redis://" + p.addr + "/0" }

func (p *privateRedis) start() {
	p.t.Helper()
	if p.mr != nil {
		if err := p.mr.Restart(); err != nil {
			p.t.Fatal(err)
		}
		p.mr.FlushAll()
		return
	}
	_, port, _ := net.SplitHostPort(p.addr)
	p.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", p.t.TempDir())
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: p.addr})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			p.t.Fatalf("private redis-server on %s did not come up", p.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill stops the server at once (SIGKILL: nothing is saved).
func (p *privateRedis) kill() {
	if p.mr != nil {
		p.mr.Close()
		return
	}
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		p.cmd = nil
	}
}

// restart brings an empty server back on the same address.
func (p *privateRedis) restart() { p.kill(); p.start() }

func (p *privateRedis) String() string { return fmt.Sprintf("private redis %s", p.addr) }
