package live

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/serve"
)

// yamlKeys lists every key of t as docs/config.md writes it: dotted paths,
// "[]" for list elements.
func yamlKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || name == "" {
			continue
		}
		key, ft := prefix+name, f.Type
		if ft.Kind() != reflect.Struct { // a struct's keys are its fields
			out = append(out, key)
		}
		if ft.Kind() == reflect.Slice {
			ft, key = ft.Elem(), key+"[]"
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, yamlKeys(ft, key+".")...)
		}
	}
	return out
}

// Every config key and every environment variable serve reads is in
// docs/config.md's tables.
func TestConfigDocumentsEveryKeyAndVariable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	keys := yamlKeys(reflect.TypeOf(serve.Config{}), "")
	if len(keys) < 15 {
		t.Fatalf("found only %d config keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !documented[k] {
			t.Errorf("config key %s is not documented in docs/config.md", k)
		}
	}
	// Variables: those EnvVars lists, and every literal the runtime and
	// the CLI read (os.Getenv("X") or a prefix "X_"+n).
	names := map[string]bool{}
	for _, v := range EnvVars() {
		names[v.Name] = true
	}
	lit := regexp.MustCompile(`"((?:GENESYSCLOUD|SHADOWQ|REDIS)_[A-Z0-9_]*[A-Z0-9])_?"`)
	for _, f := range []string{"live.go", "check.go", "../config.go", "../../cmd/shadowq/serve.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
	}
	for n := range names {
		if !documented[n] {
			t.Errorf("environment variable %s is not documented in docs/config.md", n)
		}
	}
}
