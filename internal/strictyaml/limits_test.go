package strictyaml

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A file of hundreds of thousands of unknown keys prints the first
// MaxListedErrors problems and a count of the rest, not a line per problem.
func TestErrorsListCapped(t *testing.T) {
	var b strings.Builder
	const n = 120_000
	for i := range n {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	var v struct {
		Name string `yaml:"name"`
	}
	_, err := Decode("big.yaml", []byte(b.String()), &v)
	var es Errors
	if !errors.As(err, &es) || len(es) != n {
		t.Fatalf("got %d errors (%T), want %d, all kept in the slice", len(es), err, n)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != MaxListedErrors+1 {
		t.Fatalf("%d lines printed, want %d", len(lines), MaxListedErrors+1)
	}
	if !strings.HasPrefix(lines[0], "big.yaml:1:1: unknown field \"k0\"") {
		t.Errorf("first line %q", lines[0])
	}
	if want := "… and 119,950 more errors"; lines[MaxListedErrors] != want {
		t.Errorf("last line %q, want %q", lines[MaxListedErrors], want)
	}
}

func TestErrorsListCountFormatting(t *testing.T) {
	for _, c := range []struct {
		extra int
		want  string
	}{
		{0, ""},
		{1, "… and 1 more error"},
		{999, "… and 999 more errors"},
		{873_790, "… and 873,790 more errors"},
		{1_234_567, "… and 1,234,567 more errors"},
	} {
		es := make(Errors, MaxListedErrors+c.extra)
		for i := range es {
			es[i] = &Error{Msg: "m"}
		}
		lines := strings.Split(es.Error(), "\n")
		got := ""
		if len(lines) > MaxListedErrors {
			got = lines[MaxListedErrors]
		}
		if got != c.want || len(lines) > MaxListedErrors+1 {
			t.Errorf("%d extra: summary %q (%d lines), want %q", c.extra, got, len(lines), c.want)
		}
	}
}

// ReadFile stops at the cap: an endless source fails fast with a clear
// error instead of exhausting memory.
func TestReadFileSizeCap(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(small, []byte("name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(small); err != nil || string(data) != "name: x\n" {
		t.Fatalf("ReadFile(small) = %q, %v", data, err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(big)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "4 MiB") {
		t.Errorf("ReadFile(big) error = %v", err)
	}
	if exact := filepath.Join(dir, "exact.yaml"); os.WriteFile(exact, make([]byte, MaxFileSize), 0o644) == nil {
		if _, err := ReadFile(exact); err != nil {
			t.Errorf("a file of exactly MaxFileSize bytes: %v", err)
		}
	}
	if runtime.GOOS == "linux" {
		if _, err := ReadFile("/dev/zero"); !errors.Is(err, ErrTooLarge) {
			t.Errorf("ReadFile(/dev/zero) = %v, want ErrTooLarge", err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// Decode refuses oversized input up front, with one positioned error.
func TestDecodeSizeCap(t *testing.T) {
	var v struct {
		Name string `yaml:"name"`
	}
	_, err := Decode("huge.yaml", make([]byte, MaxFileSize+1), &v)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || !strings.HasPrefix(es[0].Error(), "huge.yaml: file too large: 4194305 bytes") {
		t.Fatalf("Decode(huge) = %v", err)
	}
}
