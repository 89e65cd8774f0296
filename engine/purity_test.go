package engine_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The engine must stay a pure core: the simulator and production drive the
// same code, so it may not own I/O, clocks or global randomness.
func TestEngineImportsNothingImpure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"net", "net/http", "crypto/tls", "os/exec", "syscall/js",
		"github.com/redis/", "github.com/alicebob/miniredis", "github.com/gorilla/websocket",
		"github.com/mypurecloud/", "math/rand", "database/sql",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) || strings.HasPrefix(dep, f+"/") {
				t.Errorf("engine depends on %s (forbidden: %s)", dep, f)
			}
		}
	}
	// fmt pulls in os transitively, so "no os" is checked on the engine's
	// own imports; its dependencies must not import it for I/O either.
	direct, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range strings.Fields(string(direct)) {
		if imp == "os" || strings.HasPrefix(imp, "os/") {
			t.Errorf("engine imports %s", imp)
		}
	}
}

// No wall clock, no sleeping, no global randomness in non-test engine code.
func TestEngineNeverReadsTheWallClock(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true, "AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" && banned[sel.Sel.Name] {
				t.Errorf("%s: time.%s", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked only %d files; is the test in the engine directory?", checked)
	}
}
