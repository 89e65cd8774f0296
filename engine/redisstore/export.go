package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shadowq/shadowq/engine"
)

// ExportDecisions calls fn with every decision of every escalation whose
// log has a decision in [from, to), log by log, each oldest first (logs
// in SCAN order: sort downstream if order matters). It SCANs the
// {prefix}dec:* keys, so it walks the keyspace once without blocking
// Redis; logs written meanwhile may or may not be seen. A log that fails
// to decode stops the export with an error naming its key.
func (s *Store) ExportDecisions(ctx context.Context, from, to time.Time, fn func(engine.Decision) error) error {
	iter := s.c.Scan(ctx, 0, s.prefix+"dec:*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		vals, err := s.c.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return storeErr("export "+key, err)
		}
		log := make([]engine.Decision, len(vals))
		in := false
		for i, v := range vals {
			if err := json.Unmarshal([]byte(v), &log[i]); err != nil {
				return storeErr(fmt.Sprintf("decode %s item %d", key, i), err)
			}
			if at := log[i].At; !at.Before(from) && at.Before(to) {
				in = true
			}
		}
		if !in {
			continue
		}
		for _, d := range log {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return storeErr("scan decision logs", err)
	}
	return nil
}
