package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/serve"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line      int
	Cmd, Args string
}

func parseDockerfile(text string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(t, "\\") {
			cur.WriteString(strings.TrimSuffix(t, "\\") + " ")
			continue
		}
		cur.WriteString(t)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// runtime is what the final stage runs: user, entrypoint, command,
// healthcheck, and the files copied into it (destination → source).
type runtime struct {
	User, Healthcheck string
	Entrypoint, Cmd   []string
	Copies            map[string]string
}

// checkDockerfile checks a Dockerfile's final stage against the repository
// (root: where build-context sources resolve; nil exists skips them) and
// returns what it runs.
func checkDockerfile(name, text string, exists func(string) bool) (runtime, []string) {
	var probs []string
	rt := runtime{Copies: map[string]string{}}
	ins := parseDockerfile(text)
	last := 0
	for i, in := range ins {
		if in.Cmd == "FROM" {
			last = i
			rt = runtime{Copies: map[string]string{}}
		}
	}
	for _, in := range ins[last:] {
		switch in.Cmd {
		case "USER":
			rt.User = in.Args
		case "ENTRYPOINT", "CMD":
			var v []string
			if err := json.Unmarshal([]byte(in.Args), &v); err != nil {
				probs = append(probs, fmt.Sprintf("%s:%d: %s is not in exec (JSON) form: %v", name, in.Line, in.Cmd, err))
			}
			if in.Cmd == "CMD" {
				rt.Cmd = v
			} else {
				rt.Entrypoint = v
			}
		case "HEALTHCHECK":
			_, c, ok := strings.Cut(in.Args, " CMD ")
			var v []string
			if !ok || json.Unmarshal([]byte(strings.TrimSpace(c)), &v) != nil {
				probs = append(probs, fmt.Sprintf("%s:%d: HEALTHCHECK must be CMD in exec form (no shell in the image)", name, in.Line))
			}
			rt.Healthcheck = strings.Join(v, " ")
		case "COPY":
			f := strings.Fields(in.Args)
			from := len(f) > 0 && strings.HasPrefix(f[0], "--from=")
			if from {
				f = f[1:]
			}
			if len(f) < 2 {
				probs = append(probs, fmt.Sprintf("%s:%d: COPY needs a source and a destination", name, in.Line))
				continue
			}
			dst := f[len(f)-1]
			for _, src := range f[:len(f)-1] {
				if !from && exists != nil && !exists(src) {
					probs = append(probs, fmt.Sprintf("%s:%d: COPY source %s does not exist in the build context", name, in.Line, src))
				}
				d := dst
				if strings.HasSuffix(dst, "/") {
					d = dst + filepath.Base(src)
				}
				rt.Copies[d] = src
			}
		}
	}
	if rt.User == "" || rt.User == "root" || strings.HasPrefix(rt.User, "0") {
		probs = append(probs, fmt.Sprintf("%s: the final stage must run as a non-root user (USER %q)", name, rt.User))
	}
	if len(rt.Entrypoint) == 0 || rt.Copies[rt.Entrypoint[0]] == "" {
		probs = append(probs, fmt.Sprintf("%s: the ENTRYPOINT %v is not a file copied into the image", name, rt.Entrypoint))
	}
	if len(rt.Cmd) < 3 || rt.Cmd[0] != "serve" || rt.Cmd[1] != "--config" || rt.Copies[rt.Cmd[2]] == "" {
		probs = append(probs, fmt.Sprintf("%s: CMD %v must be serve --config with a config copied into the image", name, rt.Cmd))
	}
	if !strings.Contains(rt.Healthcheck, "healthcheck --url http://127.0.0.1:8080/readyz") {
		probs = append(probs, fmt.Sprintf("%s: HEALTHCHECK %q must run shadowq healthcheck on /readyz", name, rt.Healthcheck))
	}
	return rt, probs
}

// The shipped multi-stage Dockerfile (not buildable here: no registry for
// its base images) and the scratch one built here agree on what they run,
// copy files that exist, run as non-root, health-check with a real
// subcommand, and the config they bake in loads with serve's own loader
// (with the policy beside it) and listens on the exposed port.
func TestDockerfilesConsistent(t *testing.T) {
	root := "../.."
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	inRepo := func(src string) bool {
		if strings.ContainsAny(src, "*$") {
			return false
		}
		_, err := os.Stat(filepath.Join(root, src))
		return err == nil
	}
	multi, probs := checkDockerfile("Dockerfile", read("deploy/docker/Dockerfile"), inRepo)
	for _, p := range probs {
		t.Error(p)
	}
	script := read("deploy/docker/build-local.sh")
	inContext := func(src string) bool { // build-local.sh puts these in its context
		return strings.Contains(script, `"$ctx/`+src+`"`) || strings.Contains(script, "/"+src+" ") || strings.Contains(script, " "+src+" ")
	}
	scratch, probs := checkDockerfile("Dockerfile.scratch", read("deploy/docker/Dockerfile.scratch"), inContext)
	for _, p := range probs {
		t.Error(p)
	}
	if multi.User != scratch.User || !reflect.DeepEqual(multi.Entrypoint, scratch.Entrypoint) || !reflect.DeepEqual(multi.Cmd, scratch.Cmd) || multi.Healthcheck != scratch.Healthcheck {
		t.Errorf("the two images differ in what they run:\n%+v\n%+v", multi, scratch)
	}
	if !strings.Contains(read("cmd/shadowq/main.go"), `{"healthcheck"`) {
		t.Error("shadowq has no healthcheck command")
	}
	if !strings.Contains(read("deploy/docker/Dockerfile"), "CGO_ENABLED=0") || !strings.Contains(script, "CGO_ENABLED=0") {
		t.Error("the binary must be static (CGO_ENABLED=0) for distroless/scratch")
	}
	// The baked-in config, as the image lays it out.
	if len(multi.Cmd) < 3 {
		t.FailNow()
	}
	dir := t.TempDir()
	cfgPath := multi.Cmd[2]
	for dst, src := range multi.Copies {
		if filepath.Dir(dst) == filepath.Dir(cfgPath) {
			os.WriteFile(filepath.Join(dir, filepath.Base(dst)), []byte(read(src)), 0o644)
		}
	}
	cfg, err := serve.LoadConfig(filepath.Join(dir, filepath.Base(cfgPath)))
	if err != nil {
		t.Fatalf("the image's %s: %v", cfgPath, err)
	}
	if cfg.Listen != "0.0.0.0:8080" || !strings.Contains(read("deploy/docker/Dockerfile"), "EXPOSE 8080") {
		t.Errorf("the image's config listens on %s; it must be 0.0.0.0:8080 (EXPOSE 8080, the healthcheck's port)", cfg.Listen)
	}
}

// The Dockerfile check can fail: a missing COPY source, a root user, a
// shell-form healthcheck.
func TestDockerfileCheckCatchesMistakes(t *testing.T) {
	good := "FROM scratch\nCOPY shadowq /shadowq\nCOPY shadowq.yaml /etc/shadowq/\nUSER 65532:65532\n" +
		"HEALTHCHECK --interval=10s \\\n  CMD [\"/shadowq\", \"healthcheck\", \"--url\", \"http://127.0.0.1:8080/readyz\"]\n" +
		"ENTRYPOINT [\"/shadowq\"]\nCMD [\"serve\", \"--config\", \"/etc/shadowq/shadowq.yaml\"]\n"
	all := func(string) bool { return true }
	if _, probs := checkDockerfile("good", good, all); len(probs) != 0 {
		t.Fatalf("a good Dockerfile was refused: %v", probs)
	}
	for name, c := range map[string]struct {
		text   string
		exists func(string) bool
		want   string
	}{
		"missing source": {good, func(s string) bool { return s != "shadowq.yaml" }, "COPY source shadowq.yaml does not exist"},
		"root":           {strings.Replace(good, "USER 65532:65532", "USER root", 1), all, "non-root"},
		"shell health":   {strings.Replace(good, `CMD ["/shadowq", "healthcheck"`, `CMD /shadowq healthcheck ["x"`, 1), all, "exec form"},
		"config not in":  {strings.Replace(good, "/etc/shadowq/shadowq.yaml\"]", "/etc/other.yaml\"]", 1), all, "CMD"},
	} {
		_, probs := checkDockerfile(name, c.text, c.exists)
		if !strings.Contains(strings.Join(probs, "\n"), c.want) {
			t.Errorf("%s: got %v, want a problem containing %q", name, probs, c.want)
		}
	}
}
