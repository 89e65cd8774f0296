package genesys

import "strings"

// KnownTopic reports whether an expanded topic names something this org
// publishes on: v2.users.{id}.presence, .routingStatus or .conversations
// of one of its users, or v2.routing.queues.{id}.conversations of one of
// its queues. It fits notify.Options.KnownTopic.
func (s *Server) KnownTopic(topic string) bool {
	if rest, ok := strings.CutPrefix(topic, "v2.users."); ok {
		id, kind, ok := strings.Cut(rest, ".")
		if !ok {
			return false
		}
		switch kind {
		case "presence", "routingStatus", "conversations":
			_, known := s.users[id] // never written after New
			return known
		}
		return false
	}
	if rest, ok := strings.CutPrefix(topic, "v2.routing.queues."); ok {
		id, ok := strings.CutSuffix(rest, ".conversations")
		return ok && s.queues[id] != nil
	}
	return false
}
