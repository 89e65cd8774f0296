package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/internal/strictyaml"
)

// Scenarios too big to simulate fail with a clear error before anything
// is allocated for them, never with an out-of-memory crash.
func TestResourceBounds(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// a horizon of 228 years
		{strings.Replace(minimal, "horizon: 8h", "horizon: 2000000h", 1), "s.yaml:1:16: run.horizon: horizon 2000000h: at most 8784h (366 days)"},
		// a rate that would generate billions of arrivals in a year
		{strings.Replace(strings.Replace(minimal, "horizon: 8h", "horizon: 8000h", 1), "perHour: 10", "perHour: 1000000", 1), "an estimated 64,000,480,002 events per replication (8,000,000,000 arrivals, 0 churn excursions, 480,000 resyncs)"},
		// fine per replication, too many over all replications
		{strings.Replace(strings.Replace(minimal, "horizon: 8h", "horizon: 8h, replications: 100000", 1), "perHour: 10", "perHour: 1000", 1), "run.replications: an estimated 800,000,000 arrivals over 100000 replications"},
	} {
		_, err := Parse("s.yaml", []byte(c.src), files(nil))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant %q", err, c.want)
		}
	}
}

// Files are read with a size cap: an endless policy file and a 10 MB
// scenario fail fast with ErrTooLarge.
func TestFileSizeCap(t *testing.T) {
	dir := t.TempDir()
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := Parse("s.yaml", []byte(minimal+"policy: /dev/zero\n"), nil)
		if err == nil || !strings.Contains(err.Error(), "s.yaml:10:9: policy: cannot read policy file: /dev/zero: file too large") {
			t.Errorf("policy /dev/zero: %v", err)
		}
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(minimal+strings.Repeat("colour: red\n", 10<<20/12)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); !errors.Is(err, strictyaml.ErrTooLarge) {
		t.Errorf("10 MB scenario: %v", err)
	}
}

// Thousands of problems print as the first few and a count.
func TestManyErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal)
	for i := range 20000 {
		b.WriteString("unknown" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "_" + strconv.Itoa(i) + ": 1\n")
	}
	_, err := Parse("s.yaml", []byte(b.String()), files(nil))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > strictyaml.MaxListedErrors+1 || !strings.Contains(lines[len(lines)-1], "… and 19,950 more errors") {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}
