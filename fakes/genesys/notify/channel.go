package notify

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys/wire"
)

// channel is one notification channel. All fields are guarded by Hub.mu.
type channel struct {
	id      string
	seq     uint64 // creation order; orders index lists and seeds faults
	client  string // owning OAuth client
	expires time.Time
	used    uint64              // Hub.tick when last used (created, subscribed, connected)
	subs    []string            // subscription entries, in the order added
	parts   map[string][]string // entry → expanded topics
	topics  map[string]int      // expanded topic → number of entries delivering it
	sock    *socket
	timer   *time.Timer // real-time expiry
	faults  *rand.Rand  // per-channel fault stream
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// createLocked makes a channel for client, first removing the least
// recently used channel (unconnected ones first) when the client is at
// MaxChannels.
func (h *Hub) createLocked(client string) *channel {
	for len(h.byClient[client]) >= h.opts.MaxChannels {
		h.removeLocked(victim(h.byClient[client]), "replaced")
	}
	var id [26]byte
	for {
		for i := range id {
			id[i] = idAlphabet[h.idRand.IntN(len(idAlphabet))]
		}
		if h.channels["streaming-0-"+string(id[:])] == nil {
			break
		}
	}
	h.seq++
	h.tick++
	ch := &channel{
		id:      "streaming-0-" + string(id[:]),
		seq:     h.seq,
		client:  client,
		expires: h.opts.Now().Add(ChannelLifetime),
		used:    h.tick,
		parts:   map[string][]string{},
		topics:  map[string]int{},
		faults:  newFaultStream(h.faults.Seed, h.seq),
	}
	chID := ch.id
	ch.timer = time.AfterFunc(h.opts.scale(ChannelLifetime), func() { h.ExpireChannel(chID) })
	h.channels[ch.id] = ch
	h.byClient[client] = append(h.byClient[client], ch)
	return ch
}

// victim picks the channel a new one replaces: "the one with the oldest
// last-used date, unconnected channels first".
func victim(list []*channel) *channel {
	var best *channel
	for _, ch := range list {
		switch {
		case best == nil:
			best = ch
		case (ch.sock == nil) != (best.sock == nil):
			if ch.sock == nil {
				best = ch
			}
		case ch.used < best.used:
			best = ch
		}
	}
	return best
}

// removeLocked deletes a channel (expired or replaced). A connected socket
// is told {"result":"404"} and closed.
func (h *Hub) removeLocked(ch *channel, why string) {
	if h.channels[ch.id] != ch {
		return
	}
	delete(h.channels, ch.id)
	list := slices.DeleteFunc(h.byClient[ch.client], func(c *channel) bool { return c == ch })
	if len(list) == 0 {
		delete(h.byClient, ch.client)
	} else {
		h.byClient[ch.client] = list
	}
	h.applyLocked(ch, nil, nil)
	ch.timer.Stop()
	if s := ch.sock; s != nil {
		msg := fmt.Sprintf("Channel %s has %s; create a new channel and subscribe again.", ch.id, why)
		h.endSocketLocked(s, stopGraceful, deadChannelMsg(msg), 1000, "channel "+why)
	}
}

// liveLocked reports whether ch is still alive on the Options.Now clock,
// removing it when that clock has passed its expiry (a virtual clock may
// run ahead of the real-time timer).
func (h *Hub) liveLocked(ch *channel) bool {
	if h.channels[ch.id] != ch {
		return false
	}
	if !h.opts.Now().Before(ch.expires) {
		h.removeLocked(ch, "expired")
		return false
	}
	return true
}

// lookupLocked finds a live channel owned by client.
func (h *Hub) lookupLocked(client, id string) *channel {
	ch := h.channels[id]
	if ch == nil || ch.client != client || !h.liveLocked(ch) {
		return nil
	}
	return ch
}

// endSocketLocked detaches s from its channel and the hub and stops it. It
// is a no-op for a socket already ended.
func (h *Hub) endSocketLocked(s *socket, mode stopMode, final []byte, code int, text string) {
	if _, ok := h.sockets[s]; !ok {
		return
	}
	delete(h.sockets, s)
	if s.ch.sock == s {
		s.ch.sock = nil
		h.tick++
		s.ch.used = h.tick
	}
	if s.closeTimer != nil {
		s.closeTimer.Stop()
	}
	s.stop(mode, final, code, text)
}

type subOp int

const (
	opAdd     subOp = iota // REST POST, socket subscribe
	opReplace              // REST PUT
	opRemove               // socket unsubscribe
	opClear                // REST DELETE
	opNone    subOp = -1   // REST GET: read only
)

type rejection struct{ entry, reason string }

// changeLocked validates entries and applies op to ch's subscriptions.
// Invalid entries fail the whole request with notification.invalid.topic,
// or come back as rejections when ignoreErrors is set. Exceeding MaxTopics
// always fails and changes nothing.
func (h *Hub) changeLocked(ch *channel, op subOp, entries []string, ignoreErrors bool) ([]rejection, *wire.ErrorBody) {
	var rejected []rejection
	valid := make([]string, 0, len(entries))
	parts := make(map[string][]string, len(entries))
	for _, e := range entries {
		if _, dup := parts[e]; dup {
			continue
		}
		if op == opRemove {
			parts[e] = nil
			valid = append(valid, e)
			continue
		}
		ps, err := parseTopic(e)
		if err == nil {
			for _, p := range ps {
				if !h.known(p) {
					err = fmt.Errorf("topic %s does not exist or is not available to this client", p)
					break
				}
			}
		}
		if err != nil {
			if !ignoreErrors {
				return nil, wire.Error(http.StatusBadRequest, "notification.invalid.topic",
					fmt.Sprintf("Invalid topic %q: %v.", e, err))
			}
			rejected = append(rejected, rejection{e, err.Error()})
			continue
		}
		parts[e] = ps
		valid = append(valid, e)
	}

	var next []string
	switch op {
	case opAdd:
		next = slices.Clone(ch.subs)
		for _, e := range valid {
			if _, ok := ch.parts[e]; !ok {
				next = append(next, e)
			}
		}
	case opReplace:
		next = valid
	case opRemove:
		next = slices.DeleteFunc(slices.Clone(ch.subs), func(e string) bool {
			_, drop := parts[e]
			return drop
		})
	case opClear:
	}
	nextParts := make(map[string][]string, len(next))
	count := 0
	for _, e := range next {
		ps, ok := parts[e]
		if !ok || op == opRemove {
			ps = ch.parts[e]
		}
		nextParts[e] = ps
		if h.opts.CombinedCountsPerPart {
			count += len(ps)
		} else {
			count++
		}
	}
	if count > h.opts.MaxTopics {
		how := "a combined topic counts once"
		if h.opts.CombinedCountsPerPart {
			how = "each part of a combined topic counts"
		}
		e := wire.Error(http.StatusBadRequest, "notification.subscription.too.many.subscriptions",
			fmt.Sprintf("Channel %s would have %d topics; the limit is %d topics per channel (%s).", ch.id, count, h.opts.MaxTopics, how))
		e.MessageParams = map[string]string{"limit": fmt.Sprint(h.opts.MaxTopics), "count": fmt.Sprint(count)}
		return nil, e
	}
	h.applyLocked(ch, next, nextParts)
	h.tick++
	ch.used = h.tick
	if h.opts.ExtendOnSubscribe && (op == opAdd || op == opReplace) {
		ch.expires = h.opts.Now().Add(ChannelLifetime)
		ch.timer.Reset(h.opts.scale(ChannelLifetime))
	}
	return rejected, nil
}

// applyLocked installs a new subscription list and updates the topic index
// by difference.
func (h *Hub) applyLocked(ch *channel, subs []string, parts map[string][]string) {
	topics := make(map[string]int, len(ch.topics))
	for _, e := range subs {
		for _, p := range parts[e] {
			topics[p]++
		}
	}
	for t := range ch.topics {
		if topics[t] == 0 {
			list := slices.DeleteFunc(h.index[t], func(c *channel) bool { return c == ch })
			if len(list) == 0 {
				delete(h.index, t)
			} else {
				h.index[t] = list
			}
		}
	}
	for t := range topics {
		if ch.topics[t] == 0 {
			list := h.index[t]
			i, _ := slices.BinarySearchFunc(list, ch.seq, func(c *channel, seq uint64) int {
				return cmp.Compare(c.seq, seq)
			})
			h.index[t] = slices.Insert(list, i, ch)
		}
	}
	if parts == nil {
		parts = map[string][]string{}
	}
	ch.subs, ch.parts, ch.topics = subs, parts, topics
}
