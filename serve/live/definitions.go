package live

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/genesys"
)

// definitionsRefresh is how often the org's presence definitions are read
// again (new custom presences appear without a restart).
const definitionsRefresh = 10 * time.Minute

// Coverage is how the policy treats one presence definition of the org.
type Coverage struct {
	ID     engine.PresenceDefID
	Label  string
	System engine.SystemPresence
	// Rule is "guid: <action>", "fallback: <action>" (by system presence
	// only) or "none" (never routed).
	Rule string
}

// coverage classifies every active definition against the policy.
func coverage(pol *engine.Policy, defs []genesys.PresenceDefinition) []Coverage {
	out := make([]Coverage, 0, len(defs))
	for _, d := range defs {
		if d.Deactivated {
			continue
		}
		c := Coverage{ID: d.ID, Label: d.Label, System: d.System, Rule: "none"}
		if r, ok := pol.Presences[d.ID]; ok {
			c.Rule = "guid: " + r.Action.String()
		} else if r, ok := pol.Rule(engine.Presence{Def: d.ID, System: d.System}); ok {
			c.Rule = "fallback: " + r.Action.String()
		}
		out = append(out, c)
	}
	return out
}

// loadDefinitions reads the org's presence definitions and reports those
// the policy does not name by GUID (they are routed only by a system
// fallback rule, or never) in one summary line, when that set changes:
// at start-up and when a refresh finds a different one.
func (s *Server) loadDefinitions(ctx context.Context) error {
	defs, err := s.client.PresenceDefinitions(ctx)
	if err != nil {
		return err
	}
	cov := coverage(s.cfg.PolicyValue, defs)
	prev := s.defs.Swap(&cov)
	summary, n := unnamedSummary(cov)
	if old, _ := unnamedSummaryOf(prev); prev == nil || old != summary {
		if n == 0 {
			s.log.Info("presence definitions loaded", "definitions", len(cov), "notNamedByPolicy", 0)
		} else {
			s.log.Warn("presence definitions not named by the policy (routed by their system presence's fallback rule, or never)",
				"definitions", len(cov), "notNamedByPolicy", n, "unnamed", summary)
		}
	}
	return nil
}

// unnamedSummary lists the definitions the policy does not name by GUID,
// "label (system, rule)" separated by "; ", in the org's order.
func unnamedSummary(cov []Coverage) (string, int) {
	var b strings.Builder
	n := 0
	for _, c := range cov {
		if strings.HasPrefix(c.Rule, "guid") {
			continue
		}
		if n++; n > 1 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s, %s, %s)", c.Label, c.ID, c.System.String(), c.Rule)
	}
	return b.String(), n
}

func unnamedSummaryOf(cov *[]Coverage) (string, int) {
	if cov == nil {
		return "", 0
	}
	return unnamedSummary(*cov)
}

// Definitions returns the last coverage report.
func (s *Server) Definitions() []Coverage {
	if p := s.defs.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Server) refreshDefinitions(ctx context.Context) {
	t := time.NewTicker(definitionsRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.loadDefinitions(ctx); err != nil {
				s.log.Warn("refreshing presence definitions", "err", err)
			}
		}
	}
}
