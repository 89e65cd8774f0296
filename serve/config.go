package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shadowq/shadowq/engine"
	"github.com/shadowq/shadowq/internal/strictyaml"
)

// Config is shadowq.yaml, the file `shadowq serve --config` reads.
type Config struct {
	// Listen is the Data Action API address (default 127.0.0.1:8080).
	Listen string `yaml:"listen"`
	// Policy is the routing policy file, relative to the config file.
	Policy string `yaml:"policy"`
	// ReplicaID names this replica in claims and logs (default host-pid).
	ReplicaID string `yaml:"replicaId"`
	// Experts is the pool; QueueID adds the members of a Genesys queue.
	Experts []ExpertConfig `yaml:"experts"`
	QueueID string         `yaml:"queueId"`
	// Delivery.Mode: assign (default), preferred or transfer; or observe:
	// decide and log every escalation, route none, answer fallback.
	Delivery struct {
		Mode string `yaml:"mode"`
	} `yaml:"delivery"`
	Resync struct {
		Interval time.Duration `yaml:"interval"` // default 60s
	} `yaml:"resync"`
	Shutdown struct {
		// Drain bounds how long a stopping replica waits for the
		// escalations it answered to finish before it hands the rest to
		// the other replicas (default 15s; keep it below the orchestrator's
		// grace period, e.g. Kubernetes' 30s).
		Drain time.Duration `yaml:"drain"`
	} `yaml:"shutdown"`
	Redis struct {
		// URL of the shared Redis; REDIS_URL overrides it; empty = an
		// embedded miniredis (one instance only).
		URL    string `yaml:"url"`
		Prefix string `yaml:"prefix"` // default "shadowq:"
	} `yaml:"redis"`
	DataAction struct {
		// Names of environment variables holding the secrets (defaults
		// SHADOWQ_API_TOKEN and SHADOWQ_HMAC_SECRET). Secrets never live
		// in this file.
		TokenEnv      string `yaml:"tokenEnv"`
		HMACSecretEnv string `yaml:"hmacSecretEnv"`
	} `yaml:"dataAction"`

	// Resolved by LoadConfig.
	PolicyValue *engine.Policy `yaml:"-"`
	File        string         `yaml:"-"`
}

// DefaultDrain is shutdown.drain's default.
const DefaultDrain = 15 * time.Second

// ExpertConfig is one expert of the pool.
type ExpertConfig struct {
	ID                     string         `yaml:"id,required"`
	Name                   string         `yaml:"name"`
	Skills                 map[string]int `yaml:"skills"`
	InterruptBudgetPerHour int            `yaml:"interruptBudgetPerHour"`
}

// LoadConfig reads and validates a config file; every problem is reported
// with file:line:column.
func LoadConfig(path string) (*Config, error) {
	data, err := strictyaml.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	doc, err := strictyaml.Decode(path, data, &c)
	var errs strictyaml.Errors
	if err != nil {
		es, ok := err.(strictyaml.Errors)
		if !ok {
			return nil, err
		}
		errs = es
	}
	c.File = path
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Resync.Interval == 0 {
		c.Resync.Interval = 60 * time.Second
	} else if c.Resync.Interval < time.Second {
		doc.Errorf(&errs, &c.Resync.Interval, "resync interval %v: must be at least 1s", c.Resync.Interval)
	}
	if c.Shutdown.Drain == 0 {
		c.Shutdown.Drain = DefaultDrain
	} else if c.Shutdown.Drain < 0 {
		doc.Errorf(&errs, &c.Shutdown.Drain, "shutdown drain %v: must not be negative", c.Shutdown.Drain)
	}
	switch c.Delivery.Mode {
	case "":
		c.Delivery.Mode = "assign"
	case "assign", "preferred", "transfer", "observe":
	default:
		doc.Errorf(&errs, &c.Delivery.Mode, "delivery mode %q: must be assign, preferred, transfer or observe", c.Delivery.Mode)
	}
	if c.Redis.Prefix == "" {
		c.Redis.Prefix = "shadowq:"
	}
	if c.DataAction.TokenEnv == "" {
		c.DataAction.TokenEnv = "SHADOWQ_API_TOKEN"
	}
	if c.DataAction.HMACSecretEnv == "" {
		c.DataAction.HMACSecretEnv = "SHADOWQ_HMAC_SECRET"
	}
	seen := map[string]int{}
	for i := range c.Experts {
		x := &c.Experts[i]
		if j, dup := seen[x.ID]; dup && x.ID != "" {
			pos, _ := doc.Pos(&c.Experts[j].ID)
			doc.Errorf(&errs, &x.ID, "expert %q listed twice (first at line %d)", x.ID, pos.Line)
		}
		seen[x.ID] = i
		for s, p := range x.Skills {
			if p < 0 || p > 5 {
				doc.MapErrorf(&errs, x.Skills, s, "proficiency %d: must be within 0..5", p)
			}
		}
	}
	if len(c.Experts) == 0 && c.QueueID == "" {
		doc.Errorf(&errs, &c.Experts, "no experts: list them under experts or name a queueId")
	}
	if c.Policy == "" {
		c.PolicyValue = engine.DefaultPolicy()
	} else {
		pf := c.Policy
		if !filepath.IsAbs(pf) {
			pf = filepath.Join(filepath.Dir(path), pf)
		}
		pdata, err := strictyaml.ReadFile(pf)
		if err != nil {
			doc.Errorf(&errs, &c.Policy, "policy: %v", err)
		} else if p, err := engine.ParsePolicy(pf, pdata); err != nil {
			if es, ok := err.(strictyaml.Errors); ok {
				errs = append(errs, es...)
			} else {
				doc.Errorf(&errs, &c.Policy, "%v", err)
			}
		} else {
			c.PolicyValue = p
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &c, nil
}

// EngineExperts converts the configured pool.
func (c *Config) EngineExperts() []engine.Expert {
	out := make([]engine.Expert, len(c.Experts))
	for i, x := range c.Experts {
		out[i] = engine.Expert{ID: engine.ExpertID(x.ID), Name: x.Name, Skills: x.Skills, InterruptBudgetPerHour: x.InterruptBudgetPerHour}
	}
	return out
}

// Secrets reads the Data Action secrets from the environment.
func (c *Config) Secrets() (Auth, error) {
	a := Auth{Token: os.Getenv(c.DataAction.TokenEnv), HMACSecret: os.Getenv(c.DataAction.HMACSecretEnv)}
	if a.Token == "" && a.HMACSecret == "" {
		return a, fmt.Errorf("no Data Action secret: set %s (bearer token) or %s (HMAC key)", c.DataAction.TokenEnv, c.DataAction.HMACSecretEnv)
	}
	return a, nil
}
