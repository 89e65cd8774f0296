package genesys

import (
	"fmt"
	"testing"
)

// The indexed "or" of user ids answers exactly as the predicate-by-predicate
// evaluation: case-insensitive, absent dimension false, non-ASCII values
// through the slow path.
func TestFilterAnyOfAgreesWithPredicates(t *testing.T) {
	var preds []predicate
	var types []*string
	for i := range 10 {
		preds = append(preds, predicate{dim: "userId", op: "matches", value: fmt.Sprintf("0AD00000-0000-4000-8000-%012d", i)})
		types = append(types, nil)
	}
	or := "or"
	f, e := checkFilter("userFilters[0]", &or, preds, types, nil, []string{"userId"})
	if e != nil {
		t.Fatal(e)
	}
	if f.anyOf == nil {
		t.Fatal("an or of 10 user ids was not indexed")
	}
	slow := f
	slow.anyOf = nil
	for _, c := range []struct {
		v  string
		ok bool
	}{
		{"0ad00000-0000-4000-8000-000000000003", true}, // lower case
		{"0AD00000-0000-4000-8000-000000000009", true},
		{"0ad00000-0000-4000-8000-000000000010", false},
		{"", true},  // present but empty
		{"", false}, // absent
		{"0ad00000-0000-4000-8000-00000000000\u212a", true}, // non-ASCII (Kelvin sign): slow path
	} {
		get := func(string) (string, bool) { return c.v, c.ok }
		if got, want := f.match(get), slow.match(get); got != want {
			t.Errorf("%q (present %v): indexed %v, predicates %v", c.v, c.ok, got, want)
		}
	}
	// Other shapes are not indexed.
	and := "and"
	if g, _ := checkFilter("p", &and, preds, types, nil, []string{"userId"}); g.anyOf != nil {
		t.Error("an and filter was indexed")
	}
}
