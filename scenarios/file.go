package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shadowq/shadowq/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// The YAML form of a scenario. Optional sections and settings whose absence
// must be told from a zero value are pointers; maps whose values are structs
// hold pointers so that strictyaml.Doc can locate their fields.

type scenarioFile struct {
	Name          string                   `yaml:"name"`
	Description   string                   `yaml:"description"`
	Seed          *uint64                  `yaml:"seed"`
	Run           runFile                  `yaml:"run,required"`
	Week          *weekFile                `yaml:"week"`
	Policy        *policyRef               `yaml:"policy"`
	Presences     map[string]*presenceFile `yaml:"presences,required"`
	Offline       *string                  `yaml:"offlinePresence"`
	Experts       []expertFile             `yaml:"experts,required"`
	Deliveries    deliveriesFile           `yaml:"deliveries,required"`
	Escalations   escalationsFile          `yaml:"escalations,required"`
	CherryPickers *cherryFile              `yaml:"cherryPickers"`
	Disconnects   []windowFile             `yaml:"disconnects"`
	Resync        *resyncFile              `yaml:"resync"`
	Baseline      *baselineFile            `yaml:"baseline"`
	Baselines     []*baselineFile          `yaml:"baselines"`
	Economics     *economicsFile           `yaml:"economics"`
	Expect        []expectFile             `yaml:"expect"`
	Sweep         []*sweepFile             `yaml:"sweep"`
}

// sweepFile is one entry of `sweep:`: a setting's path and its values.
type sweepFile struct {
	Key    string    `yaml:"key,required"`
	Values []float64 `yaml:"values,required"`
}

type runFile struct {
	Horizon      time.Duration `yaml:"horizon"` // required unless days is given
	Days         *int          `yaml:"days"`
	TimeZone     string        `yaml:"timeZone"`
	Warmup       time.Duration `yaml:"warmup"`
	Drain        time.Duration `yaml:"drain"`
	Replications *int          `yaml:"replications"`
	Start        *time.Time    `yaml:"start"`
}

type presenceFile struct {
	ID      string    `yaml:"id,required"`
	System  string    `yaml:"system,required"`
	Label   string    `yaml:"label"`
	Refocus *distFile `yaml:"refocus"`
}

type expertFile struct {
	ID                     string            `yaml:"id"`
	Group                  string            `yaml:"group"`
	Count                  *int              `yaml:"count"`
	Skills                 map[string]int    `yaml:"skills"`
	InterruptBudgetPerHour int               `yaml:"interruptBudgetPerHour"`
	WorkPresence           string            `yaml:"workPresence"`
	Shift                  *shiftFile        `yaml:"shift"`
	Hours                  map[string]string `yaml:"hours"`
	Meetings               *meetingsFile     `yaml:"meetings"`
	FixedMeetings          []windowFile      `yaml:"fixedMeetings"`
	Breaks                 []windowFile      `yaml:"breaks"`
	Churn                  *churnFile        `yaml:"churn"`
	CherryPicker           bool              `yaml:"cherryPicker"`
}

type shiftFile struct {
	Start time.Duration  `yaml:"start"`
	End   *time.Duration `yaml:"end"`
}

// windowFile is a fixed meeting, a break or a disconnect: a start and
// either an end or a length. Presence is for meetings and breaks,
// BlockResync for disconnects; the loader rejects the other.
type windowFile struct {
	Start       time.Duration  `yaml:"start,required"`
	End         *time.Duration `yaml:"end"`
	Length      *time.Duration `yaml:"length"`
	Presence    *string        `yaml:"presence"`
	BlockResync *bool          `yaml:"blockResync"`
}

type meetingsFile struct {
	PerDay   float64            `yaml:"perDay,required"`
	Length   *distFile          `yaml:"length"`
	Presence map[string]float64 `yaml:"presence"`
	MinGap   time.Duration      `yaml:"minGap"`
}

type churnFile struct {
	RatePerHour float64            `yaml:"ratePerHour,required"`
	Presence    map[string]float64 `yaml:"presence"`
	Length      *distFile          `yaml:"length"`
}

type distFile struct {
	Dist    string          `yaml:"dist,required"`
	Mean    *time.Duration  `yaml:"mean"`
	Median  *time.Duration  `yaml:"median"`
	Sigma   *float64        `yaml:"sigma"`
	Value   *time.Duration  `yaml:"value"`
	Samples []time.Duration `yaml:"samples"`
}

type deliveriesFile struct {
	AlertTimeout  *time.Duration          `yaml:"alertTimeout"`
	ResponseTime  *distFile               `yaml:"responseTime"`
	ByPresence    map[string]*outcomeFile `yaml:"byPresence"`
	Default       *outcomeFile            `yaml:"default"`
	HandleTime    *distFile               `yaml:"handleTime,required"`
	AfterCallWork *distFile               `yaml:"afterCallWork"`
}

type outcomeFile struct {
	Accept   *float64 `yaml:"accept"`
	Decline  *float64 `yaml:"decline"`
	NoAnswer *float64 `yaml:"noAnswer"`
}

type escalationsFile struct {
	PerHour    *float64           `yaml:"perHour"`
	Rates      []rateFile         `yaml:"rates"`
	ByDay      map[string]float64 `yaml:"byDay"`
	ByHour     map[string]float64 `yaml:"byHour"`
	Skills     *skillMixFile      `yaml:"skills"`
	Priorities map[string]float64 `yaml:"priorities"`
	Patience   *distFile          `yaml:"patience"`
}

type rateFile struct {
	From    time.Duration  `yaml:"from,required"`
	To      *time.Duration `yaml:"to"`
	PerHour float64        `yaml:"perHour,required"`
}

type cherryFile struct {
	Share      float64        `yaml:"share"`
	Mode       string         `yaml:"mode"`
	Stretch    *time.Duration `yaml:"stretch"`
	Presence   string         `yaml:"presence"`
	HideLength *distFile      `yaml:"hideLength"`
}

type resyncFile struct {
	Interval    *time.Duration `yaml:"interval"`
	OnReconnect *bool          `yaml:"onReconnect"`
}

type baselineFile struct {
	Name           string        `yaml:"name"`
	Select         string        `yaml:"select"`
	VoicemailAfter time.Duration `yaml:"voicemailAfter"`
	OnQueue        []string      `yaml:"onQueue"`
}

type economicsFile struct {
	Currency          string   `yaml:"currency"`
	ExpertCostPerHour *float64 `yaml:"expertCostPerHour"`
	WaitCostPerMinute *float64 `yaml:"waitCostPerMinute"`
	AbandonmentCost   *float64 `yaml:"abandonmentCost"`
	VoicemailCost     *float64 `yaml:"voicemailCost"`
	UnfinishedCost    *float64 `yaml:"unfinishedCost"`
	ShadowqCostPerDay *float64 `yaml:"shadowqCostPerDay"`
}

// policyRef is `policy: path/to/policy.yaml`.
type policyRef struct{ Path string }

// UnmarshalYAMLNode implements strictyaml.Unmarshaler.
func (p *policyRef) UnmarshalYAMLNode(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.MappingNode:
		return fmt.Errorf("inline policies are not supported: put the policy in its own file and give its path, e.g. policy: policy.yaml")
	case n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str":
		return fmt.Errorf("expected the path of a policy file, got %s", describe(n))
	case strings.TrimSpace(n.Value) == "":
		return fmt.Errorf("empty policy path (leave policy out to use the default policy)")
	}
	p.Path = n.Value
	return nil
}

// expectFile is one line of `expect:`; it must be a string.
type expectFile struct{ Text string }

// UnmarshalYAMLNode implements strictyaml.Unmarshaler.
func (e *expectFile) UnmarshalYAMLNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Errorf(`expected an expectation string like "dnd_interruptions == 0", got %s (quote it if it is meant as text)`, describe(n))
	}
	if strings.TrimSpace(n.Value) == "" {
		return fmt.Errorf("empty expectation")
	}
	e.Text = n.Value
	return nil
}

// skillsPath is where skillMixFile is used, for its error paths.
const skillsPath = "escalations.skills"

// skillMixFile is escalations.skills in either form:
//
//	skills: {database: 0.6, sap: 0.4}
//	skills: [{skills: [database], weight: 0.6}, {skills: [database, sap], weight: 0.1}]
type skillMixFile struct {
	Entries []skillMixEntry
	Empty   bool // {} or []
}

type skillMixEntry struct {
	Skills    []string
	SkillPos  []strictyaml.Pos // without File
	Path      string           // e.g. escalations.skills[1]
	Pos       strictyaml.Pos   // the entry (map key, or list item)
	Weight    float64
	WeightPos strictyaml.Pos
}

func nodePos(n *yaml.Node) strictyaml.Pos { return strictyaml.Pos{Line: n.Line, Column: n.Column} }

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 100 && n != nil && n.Kind == yaml.AliasNode; i++ {
		n = n.Alias
	}
	return n
}

// UnmarshalYAMLNode implements strictyaml.Unmarshaler.
func (m *skillMixFile) UnmarshalYAMLNode(n *yaml.Node) error {
	var errs strictyaml.Errors
	m.Empty = len(n.Content) == 0
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
			if k == nil || v == nil {
				continue
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				errs.Add(nodePos(k), skillsPath, "expected a skill name, got %s", describe(k))
				continue
			}
			path := skillsPath + "." + k.Value
			if line, dup := seen[k.Value]; dup {
				errs.Add(nodePos(k), path, "duplicate skill %q (first at line %d)", k.Value, line)
				continue
			}
			seen[k.Value] = k.Line
			if k.Value == "" {
				errs.Add(nodePos(k), path, "empty skill name")
				continue
			}
			w, ok := number(v, path, &errs)
			if !ok {
				continue
			}
			m.Entries = append(m.Entries, skillMixEntry{
				Skills: []string{k.Value}, SkillPos: []strictyaml.Pos{nodePos(k)},
				Path: path, Pos: nodePos(k), Weight: w, WeightPos: nodePos(v),
			})
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			item = resolve(item)
			if item == nil {
				continue
			}
			path := fmt.Sprintf("%s[%d]", skillsPath, i)
			if item.Kind != yaml.MappingNode {
				errs.Add(nodePos(item), path, "expected a mapping {skills: [...], weight: ...}, got %s", describe(item))
				continue
			}
			e := skillMixEntry{Path: path, Pos: nodePos(item)}
			var haveSkills, haveWeight, ok = false, false, true
			for j := 0; j+1 < len(item.Content); j += 2 {
				k, v := resolve(item.Content[j]), resolve(item.Content[j+1])
				if k == nil || v == nil {
					continue
				}
				switch {
				case k.Kind == yaml.ScalarNode && k.Value == "skills" && k.ShortTag() != "!!merge":
					if haveSkills {
						errs.Add(nodePos(k), path, "duplicate key \"skills\"")
						ok = false
						continue
					}
					haveSkills = true
					if v.Kind != yaml.SequenceNode {
						errs.Add(nodePos(v), path+".skills", "expected a list of skill names, got %s", describe(v))
						ok = false
						continue
					}
					for si, s := range v.Content {
						s = resolve(s)
						if s == nil {
							continue
						}
						if s.Kind != yaml.ScalarNode || s.ShortTag() != "!!str" || s.Value == "" {
							errs.Add(nodePos(s), fmt.Sprintf("%s.skills[%d]", path, si), "expected a skill name, got %s", describe(s))
							ok = false
							continue
						}
						e.Skills = append(e.Skills, s.Value)
						e.SkillPos = append(e.SkillPos, nodePos(s))
					}
				case k.Kind == yaml.ScalarNode && k.Value == "weight" && k.ShortTag() != "!!merge":
					if haveWeight {
						errs.Add(nodePos(k), path, "duplicate key \"weight\"")
						ok = false
						continue
					}
					haveWeight = true
					w, wok := number(v, path+".weight", &errs)
					e.Weight, e.WeightPos = w, nodePos(v)
					ok = ok && wok
				default:
					errs.Add(nodePos(k), path, "unknown field %s (known: skills, weight)", describe(k))
					ok = false
				}
			}
			if !haveSkills {
				errs.Add(nodePos(item), path, "missing required field \"skills\" (a list; [] for escalations any expert can take)")
				ok = false
			}
			if !haveWeight {
				errs.Add(nodePos(item), path, "missing required field \"weight\"")
				ok = false
			}
			if ok {
				m.Entries = append(m.Entries, e)
			}
		}
	default:
		return fmt.Errorf("expected a mapping of skill to weight, or a list of {skills, weight}, got %s", describe(n))
	}
	return errs.Err()
}

// number reads an int or float scalar.
func number(n *yaml.Node, path string, errs *strictyaml.Errors) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int", "!!float":
			f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, true
			}
			if n.ShortTag() == "!!int" {
				if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
					return float64(i), true
				}
			}
			errs.Add(nodePos(n), path, "expected a finite number, got %s", describe(n))
			return 0, false
		}
	}
	errs.Add(nodePos(n), path, "expected a number, got %s", describe(n))
	return 0, false
}

// describe is strictyaml.Describe after resolving aliases.
func describe(n *yaml.Node) string { return strictyaml.Describe(resolve(n)) }
