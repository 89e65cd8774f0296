package redisstore

import (
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Embedded is an in-process miniredis for a single shadowq instance
// without REDIS_URL. miniredis expires keys only when its clock is moved,
// and claims rely on TTLs, so Embedded drives that clock from the wall
// clock every tick.
type Embedded struct {
	mr     *miniredis.Miniredis
	Client *redis.Client
	stop   chan struct{}
	wg     sync.WaitGroup
}

// StartEmbedded starts the server and its clock; tick ≤ 0 means 50ms.
func StartEmbedded(tick time.Duration) (*Embedded, error) {
	if tick <= 0 {
		tick = 50 * time.Millisecond
	}
	mr, err := miniredis.Run()
	if err != nil {
		return nil, err
	}
	e := &Embedded{mr: mr, Client: redis.NewClient(&redis.Options{Addr: mr.Addr()}), stop: make(chan struct{})}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-e.stop:
				return
			case now := <-t.C:
				e.mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return e, nil
}

// Close stops the clock, the client and the server.
func (e *Embedded) Close() {
	close(e.stop)
	e.wg.Wait()
	e.Client.Close()
	e.mr.Close()
}
