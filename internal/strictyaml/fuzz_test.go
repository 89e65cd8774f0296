package strictyaml

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// fuzzTarget exercises every supported kind of field.
type fuzzTarget struct {
	Meta   `yaml:",inline"`
	Name   string                    `yaml:"name,required"`
	B      bool                      `yaml:"b"`
	I8     int8                      `yaml:"i8"`
	U      uint                      `yaml:"u"`
	I      int64                     `yaml:"i"`
	F32    float32                   `yaml:"f32"`
	F      float64                   `yaml:"f"`
	D      time.Duration             `yaml:"d"`
	T      time.Time                 `yaml:"t"`
	P      *Priority                 `yaml:"p"`
	Ps     []Presence                `yaml:"ps"`
	M      map[string]*Route         `yaml:"m"`
	MM     map[string]map[string]int `yaml:"mm"`
	Any    any                       `yaml:"any"`
	Node   yaml.Node                 `yaml:"node"`
	Stamp  Stamp                     `yaml:"stamp"`
	Nested *fuzzTarget               `yaml:"nested"`
	Seq    [][]string                `yaml:"seq"`
}

// FuzzDecode checks that Decode never panics, always returns a Doc, and
// reports problems as sorted, non-empty, deterministic Errors.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var v fuzzTarget
		doc, err := Decode("fuzz.yaml", data, &v)
		if doc == nil {
			t.Fatal("nil Doc")
		}
		doc.Pos(&v)
		doc.PathOf(&v.Name)
		doc.At(&v.Ps)
		doc.MapKeyPos(v.M, "x")
		if err == nil {
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error %T %v is not a non-empty Errors", err, err)
		}
		for _, e := range es {
			if e.Msg == "" || e.Pos.File != "fuzz.yaml" {
				t.Fatalf("bad error %#v", e)
			}
		}
		if !slices.IsSortedFunc(es, func(a, b *Error) int {
			if a.Pos.Line != b.Pos.Line {
				return a.Pos.Line - b.Pos.Line
			}
			return a.Pos.Column - b.Pos.Column
		}) {
			t.Fatalf("errors not sorted:\n%v", err)
		}
		var again fuzzTarget
		if _, err2 := Decode("fuzz.yaml", data, &again); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("not deterministic:\n%v\n---\n%v", err, err2)
		}
	})
}
