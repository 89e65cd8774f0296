package engine

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/shadowq/shadowq/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// policyFile is the YAML form of a Policy. Every section is optional; what
// is given overrides DefaultPolicy. Maps given (systemPresences,
// routingStatus) replace the default maps entirely, so a rule can be removed.
type policyFile struct {
	Version         int                 `yaml:"version"`
	FallbackQueue   *string             `yaml:"fallbackQueue"`
	Presences       []presenceRuleFile  `yaml:"presences"`
	SystemPresences map[string]ruleSpec `yaml:"systemPresences"`
	RoutingStatus   map[string]ruleSpec `yaml:"routingStatus"`
	Selection       *struct {
		Weights *struct {
			Skill    *float64 `yaml:"skill"`
			Presence *float64 `yaml:"presence"`
			Fairness *float64 `yaml:"fairness"`
			Budget   *float64 `yaml:"budget"`
		} `yaml:"weights"`
		FairnessHorizon *time.Duration `yaml:"fairnessHorizon"`
	} `yaml:"selection"`
	Delivery *struct {
		MaxAttempts  *int           `yaml:"maxAttempts"`
		AlertTimeout *time.Duration `yaml:"alertTimeout"`
		ClaimTTL     *time.Duration `yaml:"claimTTL"`
		Cooldown     *time.Duration `yaml:"cooldown"`
		BusyHold     *time.Duration `yaml:"busyHold"`
	} `yaml:"delivery"`
	MaxStaleness *time.Duration `yaml:"maxStaleness"`
	MicroWait    *struct {
		Enabled    *bool           `yaml:"enabled"`
		Threshold  *float64        `yaml:"threshold"`
		MaxHold    *time.Duration  `yaml:"maxHold"`
		ETABuckets []time.Duration `yaml:"etaBuckets"`
	} `yaml:"microWait"`
	ExplainLimit *int `yaml:"explainLimit"`
}

type presenceRuleFile struct {
	ID          string `yaml:"id,required"`
	Name        string `yaml:"name"`
	Action      string `yaml:"action,required"`
	MinPriority string `yaml:"minPriority"`
}

// ruleSpec is `route`, `never`, or {action: interrupt, minPriority: P1}.
type ruleSpec struct {
	Action      string
	MinPriority string
}

// UnmarshalYAMLNode implements strictyaml.Unmarshaler.
func (r *ruleSpec) UnmarshalYAMLNode(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		r.Action = n.Value
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%d:%d: %s: expected a string", v.Line, v.Column, k.Value)
			}
			switch k.Value {
			case "action":
				r.Action = v.Value
			case "minPriority":
				r.MinPriority = v.Value
			default:
				return fmt.Errorf("unknown field %q at %d:%d (known: action, minPriority)", k.Value, k.Line, k.Column)
			}
		}
		return nil
	}
	return fmt.Errorf("expected an action (route, interrupt, never) or a mapping {action, minPriority}")
}

// ParsePolicy decodes a policy file strictly. file names the source in
// messages. All problems are returned at once as a strictyaml.Errors, each
// with file:line:column.
func ParsePolicy(file string, data []byte) (*Policy, error) {
	var f policyFile
	doc, err := strictyaml.Decode(file, data, &f)
	var errs strictyaml.Errors
	if err != nil {
		if es, ok := err.(strictyaml.Errors); ok {
			errs = es
		} else {
			return nil, err
		}
	}
	if len(errs) == 0 && reflect.ValueOf(f).IsZero() {
		// An empty file is far more likely a truncated copy or the wrong
		// path than a wish for every default.
		errs.Add(strictyaml.Pos{File: file, Line: 1, Column: 1}, "",
			"empty policy: the file sets nothing; write at least `version: 1` (every other setting then takes its default)")
		return nil, errs.Err()
	}
	p := DefaultPolicy()
	if f.Version != 0 && f.Version != 1 {
		doc.Errorf(&errs, &f.Version, "unsupported version %d (this shadowq reads version 1)", f.Version)
	}
	if f.FallbackQueue != nil {
		p.FallbackQueue = *f.FallbackQueue
	}
	if f.Presences != nil {
		p.Presences = map[PresenceDefID]Rule{}
		first := map[string]int{}
		for i := range f.Presences {
			pr := &f.Presences[i]
			if pr.ID == "" {
				continue // reported as missing by the decoder
			}
			if !IsGUID(pr.ID) {
				doc.Errorf(&errs, &pr.ID, "id %q: must be a presence-definition GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, from GET /api/v2/presence/definitions)", pr.ID)
				continue
			}
			if j, dup := first[strings.ToLower(pr.ID)]; dup {
				pos, _ := doc.Pos(&f.Presences[j].ID)
				doc.Errorf(&errs, &pr.ID, "duplicate presence-definition id %q (first at line %d)", pr.ID, pos.Line)
				continue
			}
			first[strings.ToLower(pr.ID)] = i
			r, ok := parseRule(doc, &errs, pr.Action, pr.MinPriority, &pr.Action, &pr.MinPriority)
			if !ok {
				continue
			}
			r.Name = pr.Name
			// Genesys sends GUIDs in lower case; the cache compares exactly.
			p.Presences[PresenceDefID(strings.ToLower(pr.ID))] = r
		}
	}
	if f.SystemPresences != nil {
		p.Systems = map[SystemPresence]Rule{}
		for _, k := range slices.Sorted(maps.Keys(f.SystemPresences)) {
			s, ok := ParseSystemPresence(k)
			if !ok {
				doc.MapErrorf(&errs, f.SystemPresences, k, "unknown system presence %q (AVAILABLE, AWAY, BUSY, OFFLINE, IDLE, ON_QUEUE, MEAL, TRAINING, MEETING, BREAK)", k)
				continue
			}
			spec := f.SystemPresences[k]
			if spec.Action == "interrupt" {
				doc.MapErrorf(&errs, f.SystemPresences, k, "interrupt is not allowed as a system-presence fallback: list the interruptible presence definition by id under presences")
				continue
			}
			r, ok := parseRuleAt(doc, &errs, f.SystemPresences, k, spec)
			if !ok {
				continue
			}
			r.Name = s.String()
			p.Systems[s] = r
		}
	}
	if f.RoutingStatus != nil {
		p.Routing = map[RoutingStatus]Rule{}
		for _, k := range slices.Sorted(maps.Keys(f.RoutingStatus)) {
			s, ok := ParseRoutingStatus(k)
			if !ok && !strings.EqualFold(k, "UNKNOWN") {
				doc.MapErrorf(&errs, f.RoutingStatus, k, "unknown routing status %q (OFF_QUEUE, IDLE, INTERACTING, COMMUNICATING, NOT_RESPONDING, UNKNOWN)", k)
				continue
			}
			r, ok := parseRuleAt(doc, &errs, f.RoutingStatus, k, f.RoutingStatus[k])
			if ok {
				r.Name = s.String()
				p.Routing[s] = r
			}
		}
	}
	if s := f.Selection; s != nil {
		if w := s.Weights; w != nil {
			for _, x := range []struct {
				v   *float64
				dst *float64
			}{{w.Skill, &p.Weights.Skill}, {w.Presence, &p.Weights.Presence}, {w.Fairness, &p.Weights.Fairness}, {w.Budget, &p.Weights.Budget}} {
				if x.v == nil {
					continue
				}
				if !(*x.v >= 0 && *x.v <= MaxWeight) {
					doc.Errorf(&errs, x.v, "weight %v: must be a number within 0..%v", *x.v, MaxWeight)
				}
				*x.dst = *x.v
			}
			if ww := p.Weights; ww.Skill == 0 && ww.Presence == 0 && ww.Fairness == 0 && ww.Budget == 0 {
				doc.Errorf(&errs, w, "all weights are zero: every expert would score 0 and the choice would fall to the expert id; give at least one weight > 0")
			}
		}
		setDur(doc, &errs, s.FairnessHorizon, &p.FairnessHorizon, false)
	}
	if d := f.Delivery; d != nil {
		if d.MaxAttempts != nil {
			switch {
			case *d.MaxAttempts < 1:
				doc.Errorf(&errs, d.MaxAttempts, "maxAttempts %d: must be at least 1", *d.MaxAttempts)
			case *d.MaxAttempts > MaxAttemptsLimit:
				doc.Errorf(&errs, d.MaxAttempts, "maxAttempts %d: must be at most %d (each attempt rings another expert)", *d.MaxAttempts, MaxAttemptsLimit)
			}
			p.MaxAttempts = *d.MaxAttempts
		}
		setDur(doc, &errs, d.AlertTimeout, &p.AlertTimeout, false)
		setDur(doc, &errs, d.ClaimTTL, &p.ClaimTTL, false)
		setDur(doc, &errs, d.Cooldown, &p.Cooldown, true)
		setDur(doc, &errs, d.BusyHold, &p.BusyHold, true)
		if d.ClaimTTL != nil && p.ClaimTTL <= p.AlertTimeout {
			doc.Errorf(&errs, d.ClaimTTL, "claimTTL %v must exceed alertTimeout %v (the claim must outlive the alert)", p.ClaimTTL, p.AlertTimeout)
		} else if d.ClaimTTL == nil && d.AlertTimeout != nil && p.ClaimTTL <= p.AlertTimeout {
			p.ClaimTTL = p.AlertTimeout + 15*time.Second
		}
	}
	setDur(doc, &errs, f.MaxStaleness, &p.MaxStaleness, true)
	if m := f.MicroWait; m != nil {
		if m.Enabled != nil {
			p.MicroWait.Enabled = *m.Enabled
		}
		if m.Threshold != nil {
			if !(*m.Threshold >= 0 && *m.Threshold <= 1) {
				doc.Errorf(&errs, m.Threshold, "threshold %v: a probability must be within 0..1", *m.Threshold)
			}
			p.MicroWait.Threshold = *m.Threshold
		}
		setDur(doc, &errs, m.MaxHold, &p.MicroWait.MaxHold, false)
		if m.ETABuckets != nil {
			if len(m.ETABuckets) > maxETABuckets {
				doc.Errorf(&errs, &m.ETABuckets, "%d etaBuckets: at most %d", len(m.ETABuckets), maxETABuckets)
			}
			for i := range m.ETABuckets {
				if m.ETABuckets[i] <= 0 || m.ETABuckets[i] > MaxPolicyDuration || (i > 0 && m.ETABuckets[i] <= m.ETABuckets[i-1]) {
					doc.Errorf(&errs, &m.ETABuckets[i], "etaBuckets must be positive and ascending")
				}
			}
			p.MicroWait.ETABuckets = m.ETABuckets
		}
	}
	if f.ExplainLimit != nil {
		if *f.ExplainLimit < 0 || *f.ExplainLimit > MaxExplainLimit {
			doc.Errorf(&errs, f.ExplainLimit, "explainLimit %d: must be within 0..%d", *f.ExplainLimit, MaxExplainLimit)
		}
		p.ExplainLimit = *f.ExplainLimit
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

func setDur(doc *strictyaml.Doc, errs *strictyaml.Errors, v *time.Duration, dst *time.Duration, zeroOK bool) {
	if v == nil {
		return
	}
	switch {
	case *v < 0 || (*v == 0 && !zeroOK):
		doc.Errorf(errs, v, "duration %v: must be positive", *v)
	case *v > MaxPolicyDuration:
		doc.Errorf(errs, v, "duration %v: must be at most %v", *v, MaxPolicyDuration)
	}
	*dst = *v
}

func parseRuleAt(doc *strictyaml.Doc, errs *strictyaml.Errors, m map[string]ruleSpec, key string, spec ruleSpec) (Rule, bool) {
	var r Rule
	switch spec.Action {
	case "route":
		r.Action = Route
	case "never":
		r.Action = Never
	case "interrupt":
		r.Action = Interrupt
	default:
		doc.MapErrorf(errs, m, key, "action %q: must be route, interrupt or never", spec.Action)
		return r, false
	}
	return finishRule(r, spec.MinPriority, func(format string, args ...any) { doc.MapErrorf(errs, m, key, format, args...) })
}

func parseRule(doc *strictyaml.Doc, errs *strictyaml.Errors, action, minPrio string, actionPtr, prioPtr *string) (Rule, bool) {
	var r Rule
	switch action {
	case "route":
		r.Action = Route
	case "never":
		r.Action = Never
	case "interrupt":
		r.Action = Interrupt
	case "":
		return r, false // missing: reported by the decoder
	default:
		doc.Errorf(errs, actionPtr, "action %q: must be route, interrupt or never", action)
		return r, false
	}
	return finishRule(r, minPrio, func(format string, args ...any) { doc.Errorf(errs, prioPtr, format, args...) })
}

func finishRule(r Rule, minPrio string, fail func(string, ...any)) (Rule, bool) {
	switch {
	case r.Action == Interrupt && minPrio == "":
		fail("interrupt needs minPriority (P1..P5): the least urgent priority allowed to interrupt")
		return r, false
	case r.Action != Interrupt && minPrio != "":
		fail("minPriority applies only to action interrupt")
		return r, false
	case minPrio != "":
		p, err := ParsePriority(minPrio)
		if err != nil {
			fail("minPriority: %v", err)
			return r, false
		}
		r.MinPriority = p
	}
	return r, true
}
