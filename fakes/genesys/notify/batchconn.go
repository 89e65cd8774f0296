package notify

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// batchConn sits under the gorilla Conn so that a burst of event frames
// leaves in one write syscall instead of one per frame. gorilla flushes
// every message to the net.Conn as soon as it is complete; between begin
// and end those writes are collected here and sent together at end (or
// when the buffer fills). Outside a batch writes go straight through, so
// frames gorilla writes on its own (pong answers to RFC 6455 pings, the
// close echo) are never held back.
//
// Only the writer goroutine calls begin and end; Write may be called by
// any goroutine (gorilla serialises frames itself), hence the mutex.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
}

const batchBytes = 64 << 10

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.batching {
		return c.Conn.Write(p)
	}
	if len(c.buf)+len(p) > cap(c.buf) {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= cap(c.buf) {
			return c.Conn.Write(p)
		}
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *batchConn) begin() {
	c.mu.Lock()
	c.batching = true
	c.mu.Unlock()
}

// end stops batching and writes what was collected.
func (c *batchConn) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batching = false
	return c.flushLocked()
}

func (c *batchConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// batchHijacker hands the upgrader a batchConn instead of the raw
// connection.
type batchHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c, buf: make([]byte, 0, batchBytes)}
	return h.conn, rw, nil
}
