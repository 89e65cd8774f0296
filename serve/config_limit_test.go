package serve

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Issue 12 item 6: a policy (or config) that is not a small file, such as
// /dev/zero, is refused at the size cap instead of read into memory.
func TestLoadConfigSizeCap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /dev/zero")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "serve.yaml")
	if err := os.WriteFile(cfg, []byte("policy: /dev/zero\nexperts:\n  - {id: u1, skills: {db: 5}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(cfg)
	if err == nil || !strings.Contains(err.Error(), "serve.yaml:1:9: policy: policy: /dev/zero: file too large") {
		t.Errorf("LoadConfig with policy /dev/zero: %v", err)
	}
	if _, err := LoadConfig("/dev/zero"); err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("LoadConfig(/dev/zero): %v", err)
	}
}
