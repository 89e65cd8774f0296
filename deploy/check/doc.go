// Package check validates what deploy/ ships against the code: the
// Grafana dashboard and Prometheus alert rules (PromQL parsed by
// Prometheus' own parser, every metric they use exported by serve), the
// Kubernetes manifests (decoded strictly into k8s.io/api types), and the
// OpenAPI description of the Data Action API (against a running serve). It
// is a module of its own so that the Prometheus and Kubernetes libraries
// stay out of shadowq's build; .ci/run runs its tests.
package check
