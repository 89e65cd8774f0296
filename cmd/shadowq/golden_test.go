package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/sim-golden.txt from this tree's simulator (review the diff like code)")

// goldenFile holds, for every shipped scenario, the sha256 and size of each
// file `shadowq sim scenarios/X.yaml --out DIR` writes. It was first
// generated at ce591e8 (before issue 13's fourth pass), so every later
// optimisation of the simulator or the engine is checked against the
// output the project shipped before it.
const goldenFile = "testdata/sim-golden.txt"

// goldenOutputs are the files a sim run writes that must not change.
var goldenOutputs = []string{"results.json", "records.jsonl", "report.md", "report.html"}

// goldenKey names one file of one run: the scenario file, the
// replications ("shipped" for the scenario's own) and the output file.
type goldenKey struct{ scenario, reps, file string }

type goldenSum struct {
	sha  string
	size int64
}

// TestShippedScenariosGolden is the byte-identical check of issue 13: every
// shipped scenario, run as a user runs it from the repository root, writes
// results.json, records.jsonl, report.md and report.html whose sha256 equal
// the reviewed record in testdata/sim-golden.txt. The run uses two workers
// while -update writes from one worker and from two and refuses to write
// when they differ, so a match also proves that neither results nor
// records depend on the number of workers.
//
// The plain run uses each scenario's shipped replications. Under -race
// (CI) the same check runs at goldenRaceReps replications (a full-size
// run is several times slower there), against its own recorded sums.
//
// A failure names the scenario and the file; to see the difference, run
// `go run ./cmd/shadowq sim scenarios/X.yaml --out A` on this tree and on
// the commit that last wrote testdata/sim-golden.txt and diff A and B.
// Update only for an intended, explained change of output:
// `go test ./cmd/shadowq/ -run ShippedScenariosGolden -update`.
func TestShippedScenariosGolden(t *testing.T) {
	t.Chdir("../..") // paths as the user types them: results.json records the scenario's path
	all, err := filepath.Glob("scenarios/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range all {
		if f != "scenarios/policy.yaml" { // the scenarios' routing policy, not a scenario
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no shipped scenarios in scenarios/*.yaml")
	}
	golden := filepath.Join("cmd/shadowq", goldenFile)
	want, err := readGolden(golden)
	if err != nil && !*updateGolden {
		t.Fatalf("%v (create it with go test ./cmd/shadowq/ -run ShippedScenariosGolden -update)", err)
	}
	reps := "shipped"
	if raceEnabled {
		reps = strconv.Itoa(goldenRaceReps)
	}
	got := map[goldenKey]goldenSum{}
	for _, sc := range files {
		name := filepath.Base(sc)
		sums := simSums(t, sc, reps, "2")
		if *updateGolden {
			if one := simSums(t, sc, reps, "1"); !maps.Equal(one, sums) {
				t.Fatalf("%s: --workers 1 and --workers 2 write different files (%v vs %v): output depends on the number of workers; not updating", sc, one, sums)
			}
		}
		for _, f := range goldenOutputs {
			k := goldenKey{name, reps, f}
			got[k] = sums[f]
			if *updateGolden {
				continue
			}
			w, ok := want[k]
			switch {
			case !ok:
				t.Errorf("%s (replications %s): %s has no recorded sum in %s: a new scenario? run with -update and review", sc, reps, f, golden)
			case w != sums[f]:
				t.Errorf("%s (replications %s): %s is not byte-identical to the reviewed record: sha256 %s, %d bytes; want %s, %d bytes (%s)",
					sc, reps, f, sums[f].sha[:16], sums[f].size, w.sha[:16], w.size, golden)
			}
		}
	}
	if t.Failed() && !*updateGolden {
		flag := ""
		if reps != "shipped" {
			flag = " --replications " + reps
		}
		t.Logf("to see the difference, run go run ./cmd/shadowq sim SCENARIO%s --out DIR here and at the commit that last changed %s, and diff the two DIRs; "+
			"for an intended, explained change rerun this test with -update, with and without -race, and review the diff of %s", flag, golden, golden)
	}
	if !*updateGolden {
		for k := range want {
			if k.reps == reps && !slices.Contains(files, filepath.Join("scenarios", k.scenario)) {
				t.Errorf("%s records %s of scenarios/%s, which no longer exists: run with -update", golden, k.file, k.scenario)
			}
		}
		return
	}
	for k, v := range want { // keep the other mode's sums
		if k.reps != reps {
			got[k] = v
		}
	}
	if err := writeGolden(golden, got); err != nil {
		t.Fatal(err)
	}
}

// simSums runs `shadowq sim SC --out DIR --workers W` (with
// --replications reps unless "shipped") and returns each output file's sum.
func simSums(t *testing.T, sc, reps, workers string) map[string]goldenSum {
	t.Helper()
	dir := t.TempDir()
	args := []string{"sim", sc, "--out", dir, "--format", "json", "--workers", workers}
	if reps != "shipped" {
		args = append(args, "--replications", reps)
	}
	// A shipped scenario may fail an expectation (exit 1) at few
	// replications; its files are written either way.
	if code, _, errs := runCLI(t, args...); code != exitOK && code != exitFailed {
		t.Fatalf("shadowq %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	sums := map[string]goldenSum{}
	for _, f := range goldenOutputs {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("shadowq %s: %v", strings.Join(args, " "), err)
		}
		h := sha256.Sum256(b)
		sums[f] = goldenSum{hex.EncodeToString(h[:]), int64(len(b))}
	}
	return sums
}

// readGolden parses lines "scenario replications file sha256 size";
// '#' starts a comment.
func readGolden(path string) (map[goldenKey]goldenSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[goldenKey]goldenSum{}
	s := bufio.NewScanner(f)
	for line := 1; s.Scan(); line++ {
		text := strings.TrimSpace(s.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fs := strings.Fields(text)
		if len(fs) != 5 {
			return nil, fmt.Errorf("%s:%d: want \"scenario replications file sha256 size\", got %q", path, line, text)
		}
		size, err := strconv.ParseInt(fs[4], 10, 64)
		if err != nil || len(fs[3]) != 64 {
			return nil, fmt.Errorf("%s:%d: bad sha256 %q or size %q", path, line, fs[3], fs[4])
		}
		out[goldenKey{fs[0], fs[1], fs[2]}] = goldenSum{fs[3], size}
	}
	return out, s.Err()
}

func writeGolden(path string, sums map[goldenKey]goldenSum) error {
	keys := make([]goldenKey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b goldenKey) int {
		return strings.Compare(a.scenario+" "+a.reps+" "+a.file, b.scenario+" "+b.reps+" "+b.file)
	})
	var b strings.Builder
	b.WriteString("# sha256 and size of the files `shadowq sim scenarios/SCENARIO --out DIR [--replications N]` writes,\n")
	b.WriteString("# checked by TestShippedScenariosGolden (\"shipped\": the scenario's own replications; a number: the -race run).\n")
	b.WriteString("# Rewritten by go test ./cmd/shadowq/ -run ShippedScenariosGolden -update (plain and -race): review the diff like code.\n")
	b.WriteString("# scenario replications file sha256 size\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s %s %s %d\n", k.scenario, k.reps, k.file, sums[k].sha, sums[k].size)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// goldenRaceReps is the replications of every scenario in the -race run,
// which checks the same bytes at a cost CI can afford.
const goldenRaceReps = 2
