package check

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/shadowq/shadowq/serve"
)

// dataAction is a Genesys Data Action as its Export writes it (decoded
// strictly: an unknown or misspelt key fails the test).
type dataAction struct {
	Name            string `json:"name"`
	IntegrationType string `json:"integrationType"`
	ActionType      string `json:"actionType"`
	Config          struct {
		Request struct {
			RequestURLTemplate string            `json:"requestUrlTemplate"`
			RequestType        string            `json:"requestType"`
			Headers            map[string]string `json:"headers"`
			RequestTemplate    string            `json:"requestTemplate"`
		} `json:"request"`
		Response struct {
			TranslationMap         map[string]string `json:"translationMap"`
			TranslationMapDefaults map[string]string `json:"translationMapDefaults"`
			SuccessTemplate        string            `json:"successTemplate"`
		} `json:"response"`
	} `json:"config"`
	Contract struct {
		Input struct {
			InputSchema json.RawMessage `json:"inputSchema"`
		} `json:"input"`
		Output struct {
			SuccessSchema json.RawMessage `json:"successSchema"`
		} `json:"output"`
	} `json:"contract"`
	Secure bool `json:"secure"`
}

func loadDataAction(t *testing.T) (*dataAction, *openapi3.Schema, *openapi3.Schema) {
	t.Helper()
	raw, err := os.ReadFile("../genesys/data-action.json")
	if err != nil {
		t.Fatal(err)
	}
	var a dataAction
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("data-action.json: %v", err)
	}
	var in, out openapi3.Schema
	if err := json.Unmarshal(a.Contract.Input.InputSchema, &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(a.Contract.Output.SuccessSchema, &out); err != nil {
		t.Fatal(err)
	}
	return &a, &in, &out
}

func jsonNames(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The Data Action's contract is serve's API: the input schema has exactly
// the request's properties, the output schema and the translation map
// exactly the response's, and the success template uses every one.
func TestDataActionContractMatchesAPI(t *testing.T) {
	a, in, out := loadDataAction(t)
	if a.IntegrationType != "custom-rest-actions" || a.ActionType != "custom" || a.Config.Request.RequestType != "POST" ||
		!strings.HasSuffix(a.Config.Request.RequestURLTemplate, "/v1/escalations") {
		t.Errorf("want a custom REST action POSTing to …/v1/escalations: %+v", a.Config.Request)
	}
	if got, want := keys(in.Properties), jsonNames(serve.EscalationRequest{}); !reflect.DeepEqual(got, want) {
		t.Errorf("input schema properties %v, the API's request %v", got, want)
	}
	if got, want := keys(out.Properties), jsonNames(serve.EscalationResponse{}); !reflect.DeepEqual(got, want) {
		t.Errorf("output schema properties %v, the API's response %v", got, want)
	}
	if got, want := keys(a.Config.Response.TranslationMap), keys(out.Properties); !reflect.DeepEqual(got, want) {
		t.Errorf("translation map %v, output %v", got, want)
	}
	for k := range out.Properties {
		if !strings.Contains(a.Config.Response.SuccessTemplate, "${"+k+"}") {
			t.Errorf("success template does not use ${%s}", k)
		}
	}
	if !strings.Contains(a.Config.Request.Headers["Authorization"], "Bearer ${credentials.") {
		t.Errorf("the request must carry the bearer token from the integration's credentials: %v", a.Config.Request.Headers)
	}
}

// translate does what Genesys does with an answer: each translation-map
// JSONPath (top-level "$.name" here) picked from the body, its default
// when absent, substituted into the success template.
func translate(t *testing.T, a *dataAction, body []byte) map[string]any {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{}
	for k, path := range a.Config.Response.TranslationMap {
		name, ok := strings.CutPrefix(path, "$.")
		if !ok || strings.ContainsAny(name, ".[") {
			t.Fatalf("translation map %s: %s is not a top-level path", k, path)
		}
		if v, ok := raw[name]; ok {
			vals[k] = string(v)
		} else if d, ok := a.Config.Response.TranslationMapDefaults[k]; ok {
			vals[k] = d
		} else {
			t.Fatalf("%s missing from the answer and without a default: %s", k, body)
		}
	}
	out := regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(a.Config.Response.SuccessTemplate, func(m string) string {
		return vals[m[2:len(m)-1]]
	})
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("success template gives invalid JSON: %v\n%s", err, out)
	}
	return res
}

// The Data Action end to end against a running serve: the input validated
// by the action's input contract is sent as its raw request with the
// headers of the action's template; serve's answer, put through the
// translation map and success template, satisfies the output contract —
// for a routed and a fallback answer.
func TestDataActionRoundTrip(t *testing.T) {
	a, in, out := loadDataAction(t)
	r := startServe(t)
	u, err := url.Parse(a.Config.Request.RequestURLTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		skill, want string
	}{{"Databases", "routed"}, {"Cobol", "fallback"}} {
		input := map[string]any{"conversationId": r.conversation(t), "skills": []any{c.skill}, "priority": "P2", "patienceSeconds": 120.0, "queue": "Tier 3"}
		if err := in.VisitJSON(input); err != nil {
			t.Fatalf("input contract refuses %v: %v", input, err)
		}
		body, _ := json.Marshal(input) // ${input.rawRequest}
		if a.Config.Request.RequestTemplate != "${input.rawRequest}" {
			t.Fatalf("requestTemplate %q: this test sends the raw input", a.Config.Request.RequestTemplate)
		}
		req, _ := http.NewRequest(a.Config.Request.RequestType, r.url+u.Path, bytes.NewReader(body))
		for h, v := range a.Config.Request.Headers {
			req.Header.Set(h, strings.ReplaceAll(v, "${credentials.token}", apiToken))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.skill, resp.StatusCode, rb)
		}
		res := translate(t, a, rb)
		if err := out.VisitJSON(res); err != nil {
			t.Errorf("%s: output contract refuses %v: %v", c.skill, res, err)
		}
		if res["action"] != c.want || (c.want == "routed") != (res["userId"] != "") {
			t.Errorf("%s: %v, want %s", c.skill, res, c.want)
		}
		t.Logf("data action %s → %v", c.skill, res)
	}
}
