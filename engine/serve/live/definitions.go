package live

import (
	"context"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/engine/genesys"
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
// the policy does not name by GUID: they are routed only by a system
// fallback rule, or never.
func (s *Server) loadDefinitions(ctx context.Context) error {
	defs, err := s.client.PresenceDefinitions(ctx)
	if err != nil {
		return err
	}
	cov := coverage(s.cfg.PolicyValue, defs)
	s.defs.Store(&cov)
	unnamed := 0
	for _, c := range cov {
		if c.Rule[:4] != "guid" {
			unnamed++
			s.log.Warn("presence definition not named by the policy", "id", c.ID, "label", c.Label, "system", c.System.String(), "rule", c.Rule)
		}
	}
	s.log.Info("presence definitions loaded", "definitions", len(cov), "notNamedByPolicy", unnamed)
	return nil
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
