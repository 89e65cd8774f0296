package check

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/shadowq/shadowq/serve"
	"github.com/shadowq/shadowq/serve/live"
)

// manifests holds the decoded documents of one or more files.
type manifests struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	deploys    []*appsv1.Deployment
	services   []*corev1.Service
	pdbs       []*policyv1.PodDisruptionBudget
}

// decodeStrict decodes every document of data into its k8s.io/api type:
// an unknown or misspelt field, or a value of the wrong type, is an error.
func decodeStrict(name string, data []byte, m *manifests) error {
	docs := regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1)
	for i, doc := range docs {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return fmt.Errorf("%s document %d: %w", name, i+1, err)
		}
		var obj any
		switch head.APIVersion + " " + head.Kind {
		case "v1 ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1 Secret":
			obj = &corev1.Secret{}
		case "apps/v1 Deployment":
			obj = &appsv1.Deployment{}
		case "v1 Service":
			obj = &corev1.Service{}
		case "policy/v1 PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		default:
			return fmt.Errorf("%s document %d: unexpected %s %s", name, i+1, head.APIVersion, head.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return fmt.Errorf("%s document %d (%s): %w", name, i+1, head.Kind, err)
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			m.configMaps[o.Name] = o
		case *corev1.Secret:
			m.secrets[o.Name] = o
		case *appsv1.Deployment:
			m.deploys = append(m.deploys, o)
		case *corev1.Service:
			m.services = append(m.services, o)
		case *policyv1.PodDisruptionBudget:
			m.pdbs = append(m.pdbs, o)
		}
	}
	return nil
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, f := range []string{"../kubernetes/shadowq.yaml", "../kubernetes/secret.example.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := decodeStrict(f, data, m); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.deploys) != 1 || len(m.services) != 1 || len(m.pdbs) != 1 {
		t.Fatalf("want one Deployment, Service and PodDisruptionBudget: %d %d %d", len(m.deploys), len(m.services), len(m.pdbs))
	}
	return m
}

// The manifests decode strictly into the Kubernetes API types and hang
// together: probes on the served /readyz and /healthz at the container
// port the config listens on, every secret reference resolvable, every
// variable serve requires set, the config and policy accepted by serve's
// loader (the policy equal to scenarios/policy.yaml), the grace period
// longer than the drain, selectors matching the pods, non-root.
func TestKubernetesManifestsValid(t *testing.T) {
	m := loadManifests(t)
	d := m.deploys[0]
	pod := d.Spec.Template
	if sel, err := labels.ValidatedSelectorFromSet(d.Spec.Selector.MatchLabels); err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Deployment's selector does not match its pods: %v", err)
	}
	if !labels.SelectorFromSet(m.services[0].Spec.Selector).Matches(labels.Set(pod.Labels)) {
		t.Error("the Service selects no shadowq pod")
	}
	if !labels.SelectorFromSet(m.pdbs[0].Spec.Selector.MatchLabels).Matches(labels.Set(pod.Labels)) {
		t.Error("the PodDisruptionBudget selects no shadowq pod")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 || m.pdbs[0].Spec.MinAvailable == nil || m.pdbs[0].Spec.MinAvailable.IntValue() < 1 {
		t.Error("want ≥ 2 replicas and a PodDisruptionBudget keeping ≥ 1")
	}
	if sc := pod.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("pods must run as non-root")
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	// Config: the ConfigMap mounted at /etc/shadowq loads with serve's loader.
	cm := m.configMaps["shadowq-config"]
	if cm == nil {
		t.Fatal("no ConfigMap shadowq-config")
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && vm.MountPath == "/etc/shadowq" {
				mounted = true
			}
		}
	}
	if !mounted || strings.Join(c.Args, " ") != "serve --config /etc/shadowq/shadowq.yaml" {
		t.Errorf("the container must run serve with the ConfigMap's shadowq.yaml at /etc/shadowq (args %v)", c.Args)
	}
	dir := t.TempDir()
	for k, v := range cm.Data {
		os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644)
	}
	cfg, err := serve.LoadConfig(filepath.Join(dir, "shadowq.yaml"))
	if err != nil {
		t.Fatalf("the ConfigMap's shadowq.yaml: %v", err)
	}
	if pol, _ := os.ReadFile("../../scenarios/policy.yaml"); !bytes.Equal(pol, []byte(cm.Data["policy.yaml"])) {
		t.Error("the ConfigMap's policy.yaml differs from scenarios/policy.yaml")
	}
	if cfg.Listen != "0.0.0.0:8080" {
		t.Errorf("listen %s: a pod must listen on every interface at the container port", cfg.Listen)
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || float64(*g) <= cfg.Shutdown.Drain.Seconds()+5 {
		t.Errorf("terminationGracePeriodSeconds must exceed shutdown.drain (%v) with room for the hand-off", cfg.Shutdown.Drain)
	}

	// Probes: the served paths, on the container port.
	port := ""
	for _, p := range c.Ports {
		if p.ContainerPort == 8080 {
			port = p.Name
		}
	}
	probes := map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
	wantPath := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}
	for kind, p := range probes {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != wantPath[kind] || (p.HTTPGet.Port.String() != port && p.HTTPGet.Port.IntValue() != 8080) {
			t.Errorf("%s probe must GET %s on port 8080 (%s)", kind, wantPath[kind], port)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("set cpu and memory requests and a memory limit")
	}

	// Environment: everything serve requires, secrets by reference only.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
		if e.Value != "" && (strings.Contains(e.Name, "SECRET") || strings.Contains(e.Name, "TOKEN")) {
			t.Errorf("%s is set in clear: use a secretKeyRef", e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			s := m.secrets[ref.Name]
			if s == nil {
				t.Errorf("%s: no Secret %q in secret.example.yaml", e.Name, ref.Name)
			} else if _, ok := s.StringData[ref.Key]; !ok {
				t.Errorf("%s: Secret %q has no key %q", e.Name, ref.Name, ref.Key)
			}
		}
	}
	for _, v := range live.EnvVars() {
		if _, ok := env[v.Name]; v.Required && !ok {
			t.Errorf("required variable %s is not set", v.Name)
		}
	}
	if _, ok := env[cfg.DataAction.TokenEnv]; !ok {
		t.Errorf("the Data Action secret %s is not set", cfg.DataAction.TokenEnv)
	}
	if _, ok := env["REDIS_URL"]; !ok {
		t.Error("REDIS_URL is not set: replicas must share Redis")
	}
}

// The strict decoding can fail: a misspelt field, a wrong type and an
// unknown kind are refused.
func TestKubernetesCheckCatchesMistakes(t *testing.T) {
	data, err := os.ReadFile("../kubernetes/shadowq.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, broken := range map[string]string{
		"misspelt field": strings.Replace(string(data), "readinessProbe:", "readinesProbe:", 1),
		"wrong type":     strings.Replace(string(data), "replicas: 2", "replicas: two", 1),
		"unknown kind":   strings.Replace(string(data), "kind: PodDisruptionBudget", "kind: PodDisruptionBudgett", 1),
	} {
		if broken == string(data) {
			t.Fatalf("%s: the manifest no longer has the text to break", name)
		}
		m := &manifests{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
		if err := decodeStrict(name, []byte(broken), m); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
