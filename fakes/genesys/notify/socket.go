package notify

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeTimeout = 10 * time.Second      // a write stuck this long ends the socket
	closeWait    = time.Second           // how long a graceful close waits for the client's close frame
	maxBatch     = 256                   // events written per wake-up before re-checking control messages
	reorderFlush = 50 * time.Millisecond // a held-back event goes out this long after, if no next event comes
	ctrlQueue    = 64                    // control replies (pong, subscribe results, socket_closing)
)

// outMsg is one queued event frame. data is shared between sockets and
// must not be modified.
type outMsg struct {
	data []byte
	due  time.Time // Delay fault: not before this (zero: now)
	hold bool      // Reorder fault: send after the next event
}

type stopMode int

const (
	stopAbort    stopMode = iota // close TCP now, no close frame (client sees 1006)
	stopGraceful                 // write final (if any) and a close frame, then close
)

// socket is one WebSocket on a channel. The reader runs in the HTTP
// handler's goroutine, the writer in its own; they share nothing but the
// channels below and the fields set once by stop.
type socket struct {
	h          *Hub
	ch         *channel
	conn       *websocket.Conn
	bc         *batchConn    // under conn; batches the writer's bursts
	out        chan outMsg   // events, filled by Publish without blocking
	ctrl       chan []byte   // control replies, preferred over events
	quit       chan struct{} // closed by stop
	readerDone chan struct{}
	closeTimer *time.Timer // socket_closing; guarded by Hub.mu

	once      sync.Once
	mode      stopMode // set by stop before quit is closed
	final     []byte
	closeCode int
	closeText string
}

func (s *socket) stop(mode stopMode, final []byte, code int, text string) {
	s.once.Do(func() {
		s.mode, s.final, s.closeCode, s.closeText = mode, final, code, text
		close(s.quit)
		if mode == stopAbort {
			_ = s.conn.NetConn().Close()
		}
	})
}

// deadChannelMsg is the answer on a socket whose channel is gone.
func deadChannelMsg(message string) []byte {
	b, _ := json.Marshal(struct {
		Result  string `json:"result"`
		Message string `json:"message"`
	}{"404", message})
	return b
}

// serveSocket handles GET /channels/{id}. The connectUri is pre-authorised:
// no Authorization header is needed or checked.
func (h *Hub) serveSocket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	hj := &batchHijacker{ResponseWriter: w}
	conn, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	h.mu.Lock()
	ch := h.channels[id]
	if h.closed || ch == nil || !h.liveLocked(ch) {
		h.mu.Unlock()
		refuse(conn, deadChannelMsg("Channel "+id+" does not exist or has expired; create a new channel."))
		return
	}
	s := &socket{
		h:          h,
		ch:         ch,
		conn:       conn,
		bc:         hj.conn,
		out:        make(chan outMsg, h.opts.QueueSize),
		ctrl:       make(chan []byte, ctrlQueue),
		quit:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	if old := ch.sock; old != nil {
		// One WebSocket per channel: the second connection closes the first.
		h.endSocketLocked(old, stopGraceful, nil, websocket.CloseNormalClosure, "another connection was opened for this channel")
	}
	ch.sock = s
	h.tick++
	ch.used = h.tick
	h.sockets[s] = struct{}{}
	h.wg.Add(2)
	h.mu.Unlock()

	go s.writeLoop()
	s.readLoop()
}

// refuse answers a socket on a dead or unknown channel with the documented
// {"result":"404",...}, then a close frame. (Whether the real service
// sends a close frame here is unverified.)
func refuse(conn *websocket.Conn, msg []byte) {
	deadline := time.Now().Add(closeWait)
	_ = conn.SetWriteDeadline(deadline)
	if conn.WriteMessage(websocket.TextMessage, msg) == nil {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "channel not found"), deadline)
		// Give the client a moment to read both and answer the close.
		_ = conn.SetReadDeadline(deadline)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				break
			}
		}
	}
	_ = conn.Close()
}

func (s *socket) readLoop() {
	h := s.h
	defer h.wg.Done()
	defer func() {
		close(s.readerDone)
		h.mu.Lock()
		h.endSocketLocked(s, stopAbort, nil, 0, "")
		h.mu.Unlock()
		s.stop(stopAbort, nil, 0, "")
		_ = s.conn.Close()
	}()
	s.conn.SetReadLimit(maxBodyBytes)
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			return
		}
		var reply []byte
		if typ != websocket.TextMessage {
			reply = errorReply("", "Only JSON text messages are accepted.")
		} else {
			reply = s.handleClientMessage(data)
		}
		if reply == nil {
			continue
		}
		select {
		case s.ctrl <- reply:
		case <-s.quit:
			return
		}
	}
}

// handleClientMessage answers one message from the client: ping, or a
// socket-level subscribe/unsubscribe (which changes the channel's
// subscriptions, as the REST endpoints do).
func (s *socket) handleClientMessage(data []byte) []byte {
	m, err := decodeClientMessage(data)
	if err != nil {
		return errorReply(m.CorrelationID, err.Error())
	}
	switch m.Message {
	case msgPing:
		return pongMsg
	case msgSubscribe, msgUnsubscribe:
		op, status := opAdd, "subscribed"
		if m.Message == msgUnsubscribe {
			op, status = opRemove, "unsubscribed"
		}
		h := s.h
		h.mu.Lock()
		var msg string
		if h.channels[s.ch.id] != s.ch || s.ch.sock != s {
			msg = "Channel " + s.ch.id + " is no longer connected to this socket."
		} else if _, e := h.changeLocked(s.ch, op, m.Topics, false); e != nil {
			msg = e.Message
		}
		h.mu.Unlock()
		if msg != "" {
			return errorReply(m.CorrelationID, msg)
		}
		return resultReply(m.CorrelationID, m.Topics, status)
	}
	return nil
}

func (s *socket) writeLoop() {
	h := s.h
	defer h.wg.Done()
	hb := time.NewTicker(h.opts.Heartbeat)
	defer hb.Stop()
	w := writer{s: s}
	// Every way out of the loop has stopped the socket first (quit, or a
	// failed write, which stops it with stopAbort).
	defer func() {
		s.shutdown()
		if n := len(s.out); n > 0 {
			h.st.discarded.Add(uint64(n))
		}
		if w.held != nil {
			h.st.discarded.Add(1)
		}
		w.stopTimer()
	}()
	for {
		var reorderC <-chan time.Time
		if w.timer != nil && w.held != nil {
			reorderC = w.timer.C
		}
		select {
		case <-s.quit:
			return
		case b := <-s.ctrl:
			if !w.write(b) {
				return
			}
		case m := <-s.out:
			if !w.batch(m) {
				return
			}
		case <-reorderC:
			if !w.flushHeld() {
				return
			}
		case <-hb.C:
			if !w.write(heartbeatMsg) {
				return
			}
			h.st.heartbeats.Add(1)
			h.mu.Lock()
			h.liveLocked(s.ch) // a virtual clock may have passed expiry
			h.mu.Unlock()
		}
	}
}

// shutdown finishes a stopped socket: nothing more for an abort; for a
// graceful stop, the final message and a close frame, then the TCP close
// once the client has answered (or closeWait has passed).
func (s *socket) shutdown() {
	<-s.quit // s.mode is set
	if err := s.bc.end(); err != nil || s.mode == stopAbort {
		return
	}
	deadline := time.Now().Add(closeWait)
	_ = s.conn.SetWriteDeadline(deadline)
	if s.final != nil {
		_ = s.conn.WriteMessage(websocket.TextMessage, s.final)
	}
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(s.closeCode, s.closeText), deadline)
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-s.readerDone:
	case <-t.C:
	}
	_ = s.conn.Close()
}

// writer is the writer goroutine's state.
type writer struct {
	s     *socket
	held  *outMsg     // Reorder fault: the event waiting for the next one
	timer *time.Timer // fires reorderFlush after an event is held
}

func (w *writer) stopTimer() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// write sends one frame with a fresh write deadline.
func (w *writer) write(b []byte) bool {
	_ = w.s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.frame(b)
}

// frame sends one frame under the current write deadline; on failure it
// stops the socket and reports false.
func (w *writer) frame(b []byte) bool {
	if err := w.s.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		w.s.stop(stopAbort, nil, 0, "")
		return false
	}
	return true
}

// batch writes m and then whatever else is already queued, up to maxBatch
// frames, without going back through select for each one.
func (w *writer) batch(m outMsg) bool {
	s := w.s
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	s.bc.begin()
	for i := 0; ; i++ {
		if !w.event(m) {
			return false
		}
		if i == maxBatch {
			break
		}
		var more bool
		select {
		case m, more = <-s.out:
		default:
		}
		if !more {
			break
		}
	}
	return w.flush()
}

// flush sends the frames batched so far.
func (w *writer) flush() bool {
	if err := w.s.bc.end(); err != nil {
		w.s.stop(stopAbort, nil, 0, "")
		return false
	}
	return true
}

// event writes one event frame, applying its Delay and Reorder faults.
func (w *writer) event(m outMsg) bool {
	s := w.s
	if !m.due.IsZero() {
		if d := time.Until(m.due); d > 0 {
			if !w.flush() { // do not hold earlier frames while waiting
				return false
			}
			s.bc.begin()
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.quit:
				t.Stop()
				s.h.st.discarded.Add(1)
				return false
			}
			_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		}
	}
	if m.hold && w.held == nil {
		w.held = &m
		if w.timer == nil {
			w.timer = time.NewTimer(reorderFlush)
		} else {
			w.timer.Reset(reorderFlush)
		}
		return true
	}
	if !w.frame(m.data) {
		s.h.st.discarded.Add(1)
		return false
	}
	s.h.st.delivered.Add(1)
	if w.held != nil {
		return w.flushHeld()
	}
	return true
}

func (w *writer) flushHeld() bool {
	m := w.held
	w.held = nil
	if m == nil {
		return true
	}
	if !w.write(m.data) {
		w.s.h.st.discarded.Add(1)
		return false
	}
	w.s.h.st.delivered.Add(1)
	return true
}
