package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/shadowq/shadowq/engine"
)

// Open escalations: {prefix}open is a hash, field = conversation id, value =
// the JSON engine.Escalation, holding every escalation a replica took on and
// has not seen end. A replica killed outright (kill -9) hands nothing over;
// the others adopt its escalations from here once its ownership of the
// conversation ({prefix}conv:{id}) has run out. Entries are closed lazily:
// whoever finds one whose log ends in a terminal decision deletes it.

// MarkOpen records x as open (HSET; overwrites the same conversation).
func (s *Store) MarkOpen(ctx context.Context, x engine.Escalation) error {
	b, err := json.Marshal(x)
	if err != nil {
		return storeErr("encode open escalation "+x.ConversationID, err)
	}
	if err := s.c.HSet(ctx, s.prefix+"open", x.ConversationID, b).Err(); err != nil {
		return storeErr("mark open "+x.ConversationID, err)
	}
	return nil
}

// MarkClosed forgets an open escalation (HDEL).
func (s *Store) MarkClosed(ctx context.Context, conv string) error {
	if err := s.c.HDel(ctx, s.prefix+"open", conv).Err(); err != nil {
		return storeErr("mark closed "+conv, err)
	}
	return nil
}

// OpenEscalations returns every open escalation, by conversation id.
func (s *Store) OpenEscalations(ctx context.Context) ([]engine.Escalation, error) {
	m, err := s.c.HGetAll(ctx, s.prefix+"open").Result()
	if err != nil {
		return nil, storeErr("open escalations", err)
	}
	out := make([]engine.Escalation, 0, len(m))
	for _, conv := range slices.Sorted(maps.Keys(m)) {
		var x engine.Escalation
		if err := json.Unmarshal([]byte(m[conv]), &x); err != nil {
			return nil, storeErr(fmt.Sprintf("decode open escalation %q", conv), err)
		}
		out = append(out, x)
	}
	return out, nil
}

// ConversationOwner returns the replica that owns a conversation now, ""
// when nobody does (never claimed, released, or the claim ran out).
func (s *Store) ConversationOwner(ctx context.Context, conv string) (string, error) {
	owner, err := s.c.Get(ctx, s.prefix+"conv:"+conv).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", storeErr("owner of "+conv, err)
	}
	return owner, nil
}
