package genesys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
)

// channelLifetime is how long a notification channel lives when the API
// does not say (shared/genesys-api.md §2).
const channelLifetime = 24 * time.Hour

// channelInfo is a notification channel and what bounds its life.
type channelInfo struct {
	id         string
	connectURI string
	created    time.Time
	expires    time.Time // from the API, else created + 24 h
	// tokenExpires is when the token the channel was created with expires
	// (zero: unknown). The channel dies with it (reported), so the feed
	// rolls over before.
	tokenExpires time.Time
}

// errChannelGone: the channel no longer exists (404 on connect, or
// {"result":"404"} on the socket).
var errChannelGone = errors.New("notification channel gone")

// createChannel makes a channel (POST /api/v2/notifications/channels,
// SDK). A token that expires within minValidity is refreshed first, so a
// new channel never starts with a token about to die. Retried like any
// call; a retried creation may leave an unused channel behind, which
// Genesys evicts first when the 20-channel limit is reached.
func (c *Client) createChannel(ctx context.Context, minValidity time.Duration) (channelInfo, error) {
	const op = "POST /api/v2/notifications/channels"
	tok, err := c.tokens.AccessToken(ctx)
	if err != nil {
		return channelInfo{}, err
	}
	if !tok.Expires.IsZero() && tok.Expires.Sub(c.now()) < minValidity {
		c.tokens.Invalidate(tok.Value)
		if tok, err = c.tokens.AccessToken(ctx); err != nil {
			return channelInfo{}, err
		}
	}
	created := c.now()
	var ch *platformclientv2.Channel
	_, err = c.do(ctx, op, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
		v, res, err := platformclientv2.NewNotificationsApiWithConfig(cfg).PostNotificationsChannels()
		ch = v
		return res, err
	}))
	if err != nil {
		return channelInfo{}, err
	}
	if ch == nil || ch.Id == nil || ch.ConnectUri == nil || *ch.ConnectUri == "" {
		return channelInfo{}, fmt.Errorf("genesys: %s: response has no id or connectUri", op)
	}
	info := channelInfo{id: *ch.Id, connectURI: *ch.ConnectUri, created: created, expires: created.Add(channelLifetime), tokenExpires: tok.Expires}
	if ch.Expires != nil && !ch.Expires.IsZero() {
		info.expires = *ch.Expires
	}
	return info, nil
}

// subscribe adds topics to a channel in batches
// (POST /api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true,
// SDK). With ignoreErrors one unknown user does not fail the batch; the
// topics Genesys rejected are returned. Adding a topic twice is harmless,
// so batches are retried freely.
func (c *Client) subscribe(ctx context.Context, channelID string, topics []string, batch int) (rejected []string, err error) {
	const op = "POST /api/v2/notifications/channels/{channelId}/subscriptions"
	for start := 0; start < len(topics); start += batch {
		part := topics[start:min(start+batch, len(topics))]
		body := make([]platformclientv2.Channeltopic, len(part))
		for i := range part {
			body[i].Id = &part[i]
		}
		var out *platformclientv2.Channeltopicentitylisting
		_, err := c.do(ctx, op, c.sdk(func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error) {
			v, res, err := platformclientv2.NewNotificationsApiWithConfig(cfg).PostNotificationsChannelSubscriptions(channelID, body, true)
			out = v
			return res, err
		}))
		if err != nil {
			return rejected, fmt.Errorf("subscribing %d topics to channel %s: %w", len(part), channelID, err)
		}
		if out == nil || out.Entities == nil {
			continue
		}
		for _, e := range *out.Entities {
			if str(e.State) == "Rejected" {
				rejected = append(rejected, str(e.Id)+" ("+str(e.RejectionReason)+")")
			}
		}
	}
	return rejected, nil
}

// session is one WebSocket connection to a channel. The slot goroutine
// that opened it owns it (watch, ping, close); its reader goroutine only
// reads, timestamps and forwards.
type session struct {
	ch      channelInfo
	conn    *websocket.Conn
	started time.Time

	last     atomic.Int64 // unix nanos of the last message (or of connecting)
	lastPing time.Time    // slot goroutine only

	closing     chan struct{} // v2.system.socket_closing received
	closingOnce sync.Once
	closingSeen bool          // slot goroutine only: the rollover it asked for was handled
	dead        chan struct{} // {"result":"404"} received
	deadOnce    sync.Once
	done        chan struct{} // reader exited; err is set
	err         error         // written by the reader; read only after done
	pingErr     error         // slot goroutine only

	retryRollAt time.Time // slot goroutine only: next rollover try after a failed one
}

// dial connects to ch's connectUri (pre-authorised: no auth header) and
// starts the reader.
func (f *Feed) dial(ctx context.Context, ch channelInfo) (*session, error) {
	conn, res, err := f.dialer.DialContext(ctx, ch.connectURI, nil)
	if err != nil {
		if res != nil && res.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("connecting to channel %s: %w", ch.id, errChannelGone)
		}
		return nil, fmt.Errorf("connecting to channel %s: %w", ch.id, err)
	}
	conn.SetReadLimit(maxFrame)
	s := &session{ch: ch, conn: conn, started: time.Now(), closing: make(chan struct{}), dead: make(chan struct{}), done: make(chan struct{})}
	s.last.Store(time.Now().UnixNano())
	go f.read(ctx, s)
	return s, nil
}

// read is the session's reader goroutine: it decodes every message,
// forwards events to the merge goroutine in arrival order, and signals
// control messages to the slot goroutine. It exits when the connection
// fails or is closed.
func (f *Feed) read(ctx context.Context, s *session) {
	defer close(s.done)
	// One buffer for every message of the session: decodeFrame keeps no
	// reference to its input (the fast path interns, the general path
	// copies), so the reader allocates nothing per message.
	var buf bytes.Buffer
	for {
		_, r, err := s.conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			s.err = err
			return
		}
		data := buf.Bytes()
		now := time.Now()
		s.last.Store(now.UnixNano())
		fr, err := decodeFrame(data, now)
		if err != nil {
			f.log.Debug("genesys feed: unusable notification", "channel", s.ch.id, "err", err)
		}
		switch fr.kind {
		case frameEvent:
			if !fr.hasEvt {
				continue
			}
			select {
			case f.in <- item{key: fr.key, ev: fr.event}:
			case <-ctx.Done():
				return
			}
		case frameSocketClosing:
			f.log.Info("genesys feed: socket closing announced", "channel", s.ch.id, "msg", fr.msg)
			s.closingOnce.Do(func() { close(s.closing) })
		case frameDead:
			f.log.Warn("genesys feed: channel reported gone", "channel", s.ch.id, "msg", fr.msg)
			s.deadOnce.Do(func() { close(s.dead) })
		}
	}
}

// ping sends the application-level health check {"message":"ping"} (not
// an RFC 6455 ping frame); the answer is a channel.metadata "pong".
func (s *session) ping() error {
	s.lastPing = time.Now()
	_ = s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return s.conn.WriteMessage(websocket.TextMessage, []byte(`{"message":"ping"}`))
}

// close ends the connection and waits for the reader to exit.
func (s *session) close() {
	_ = s.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = s.conn.Close()
	<-s.done
}
