package notify

import (
	"fmt"
	"strings"
)

// A subscription entry is either a plain topic (v2.users.{id}.presence) or a
// combined one (v2.users.{id}?presence&routingStatus), which is delivered
// as its parts under their expanded names (v2.users.{id}.presence, ...).
// The syntax accepted here is deliberately narrow: "v2" then dot-separated
// segments of letters, digits, '-' and '_'. Existence is a separate
// question answered by Options.KnownTopic.

// parseTopic checks an entry's syntax and returns the topics it delivers.
// It never panics and allocates only for valid input.
func parseTopic(entry string) ([]string, error) {
	prefix, query, combined := strings.Cut(entry, "?")
	if !combined {
		if err := checkPlain(entry); err != nil {
			return nil, err
		}
		return []string{entry}, nil
	}
	if len(entry) > MaxCombinedTopicLen {
		return nil, fmt.Errorf("combined topic is %d characters long; the limit is %d", len(entry), MaxCombinedTopicLen)
	}
	if err := checkPlain(prefix); err != nil {
		return nil, err
	}
	if strings.Count(prefix, ".") < 2 {
		return nil, fmt.Errorf("combined topic needs an entity and id before '?', as in v2.users.{id}?presence")
	}
	if query == "" {
		return nil, fmt.Errorf("combined topic has no parts after '?'")
	}
	parts := strings.Split(query, "&")
	out := make([]string, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("combined topic part %d is empty", i+1)
		}
		if err := checkSegments(p); err != nil {
			return nil, fmt.Errorf("combined topic part %q: %v", p, err)
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, prefix+"."+p)
	}
	return out, nil
}

func checkPlain(t string) error {
	if t == "" {
		return fmt.Errorf("topic is empty")
	}
	if !strings.HasPrefix(t, "v2.") {
		return fmt.Errorf("topic must start with \"v2.\"")
	}
	return checkSegments(t[len("v2."):])
}

// checkSegments accepts dot-separated non-empty segments of [A-Za-z0-9_-].
func checkSegments(s string) error {
	if s == "" {
		return fmt.Errorf("topic has an empty segment")
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if i == start {
				return fmt.Errorf("topic has an empty segment")
			}
			start = i + 1
			continue
		}
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("topic has an invalid character %q at offset %d", rune(c), i)
		}
	}
	return nil
}

// defaultKnownTopic accepts v2.users.{id}.presence|routingStatus|conversations.
func defaultKnownTopic(t string) bool {
	rest, ok := strings.CutPrefix(t, "v2.users.")
	if !ok {
		return false
	}
	id, kind, ok := strings.Cut(rest, ".")
	if !ok || id == "" {
		return false
	}
	switch kind {
	case "presence", "routingStatus", "conversations":
		return true
	}
	return false
}

// selfURI is the resource a topic is about, for ChannelTopic.selfUri.
func selfURI(entry string) string {
	rest, ok := strings.CutPrefix(entry, "v2.users.")
	if !ok {
		return ""
	}
	end := strings.IndexAny(rest, ".?")
	if end <= 0 {
		return ""
	}
	return "/api/v2/users/" + rest[:end]
}
