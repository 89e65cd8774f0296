package load

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/shadowq/shadowq/engine"
	fake "github.com/shadowq/shadowq/fakes/genesys"
	"github.com/shadowq/shadowq/serve"
)

// Org is the load-test org of n experts over 20 skills (skill-00 …
// skill-19, two each), all On Queue in the first queue: what `shadowq
// fake --experts N` serves and `shadowq load` drives.
func Org(n int) fake.Org {
	org, _ := buildOrg(n)
	return org
}

// buildOrg is Org and the serve configuration that knows its experts.
func buildOrg(n int) (fake.Org, *serve.Config) {
	org := fake.DemoOrg()
	org.Users, org.Skills = nil, nil
	for k := range skills {
		org.Skills = append(org.Skills, fake.Skill{ID: fmt.Sprintf("5c000000-0000-4000-8000-%012d", k), Name: fmt.Sprintf("skill-%02d", k)})
	}
	cfg := &serve.Config{Listen: "127.0.0.1:0", PolicyValue: engine.DefaultPolicy()}
	cfg.Delivery.Mode = "assign"
	cfg.Resync.Interval = time.Minute
	cfg.DataAction.TokenEnv = tokenEnv
	members := make([]string, 0, n)
	for i := range n {
		id := fmt.Sprintf("0ad00000-0000-4000-8000-%012d", i)
		a, b := org.Skills[i%skills], org.Skills[(i*7+3)%skills]
		org.Users = append(org.Users, fake.User{ID: id, Name: fmt.Sprintf("expert %d", i), PresenceID: fake.PresenceOnQueue,
			Skills: []fake.UserSkill{{SkillID: a.ID, Proficiency: 3}, {SkillID: b.ID, Proficiency: 4}}})
		members = append(members, id)
		cfg.Experts = append(cfg.Experts, serve.ExpertConfig{ID: id, Skills: map[string]int{a.Name: 3, b.Name: 4}})
	}
	org.Queues[0].Members = members
	return org, cfg
}

// SkillNames are the skills of Org, in order.
func SkillNames() []string {
	out := make([]string, skills)
	for k := range out {
		out[k] = fmt.Sprintf("skill-%02d", k)
	}
	return out
}

// WriteServeConfig writes a serve configuration (YAML) for Org(n):
// listen address, /assign delivery, the Data Action token from the
// environment variable tokenEnv, and every expert with their skills.
func WriteServeConfig(w io.Writer, n int, listen, tokenEnv string) error {
	_, cfg := buildOrg(n)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# serve configuration for `shadowq fake --experts %d` (written by shadowq fake --serve-config)\n", n)
	fmt.Fprintf(bw, "listen: %s\ndelivery: {mode: assign}\nresync: {interval: 60s}\ndataAction: {tokenEnv: %s}\nexperts:\n", listen, tokenEnv)
	for i, x := range cfg.Experts {
		a, b := SkillNames()[i%skills], SkillNames()[(i*7+3)%skills]
		fmt.Fprintf(bw, "  - {id: %s, name: expert %d, skills: {%s: %d, %s: %d}}\n", x.ID, i, a, x.Skills[a], b, x.Skills[b])
	}
	return bw.Flush()
}
