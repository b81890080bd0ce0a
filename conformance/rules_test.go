package conformance

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the README's fidelity table from conformance.Rules")

const (
	readmePath    = "../README.md"
	behaviourPath = "../BEHAVIOUR.md"
	fidelityBegin = "<!-- fidelity:begin -->\n"
	fidelityEnd   = "<!-- fidelity:end -->"
)

// TestFidelityTable: the README's table between the fidelity markers is FidelityTable().
func TestFidelityTable(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	i := bytes.Index(readme, []byte(fidelityBegin))
	j := bytes.Index(readme, []byte(fidelityEnd))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q region", readmePath, strings.TrimSpace(fidelityBegin), fidelityEnd)
	}
	start := i + len(fidelityBegin)
	want := FidelityTable()
	if string(readme[start:j]) == want {
		return
	}
	if *update {
		out := slices.Concat(readme[:start], []byte(want), readme[j:])
		require.NoError(t, os.WriteFile(readmePath, out, 0o644))
		t.Logf("rewrote the fidelity table in %s", readmePath)
		return
	}
	t.Errorf("%s: the fidelity table differs from conformance.Rules; regenerate it with\n\tgo test ./conformance -run TestFidelityTable -update\nwant:\n%s", readmePath, want)
}

// ruleDef matches a rule's definition in BEHAVIOUR.md: "12. ", "Q3. ", "S11. ", "W6. " at the
// start of a line.
var ruleDef = regexp.MustCompile(`(?m)^([QSW]?)(\d+)\. `)

// behaviourRules reads the rule ids BEHAVIOUR.md defines, in order.
func behaviourRules(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile(behaviourPath)
	require.NoError(t, err)
	var ids []string
	for _, m := range ruleDef.FindAllStringSubmatch(string(text), -1) {
		ids = append(ids, m[1]+m[2])
	}
	return ids
}

// TestBehaviourNumbering: BEHAVIOUR.md defines rules 1-84, Q1-Q13, S1-S17 and W1-W6, each
// once and in that order: the numbers the code cites never move.
func TestBehaviourNumbering(t *testing.T) {
	var want []string
	for _, s := range []struct {
		prefix string
		n      int
	}{{"", 84}, {"Q", 13}, {"S", 17}, {"W", 6}} {
		for i := 1; i <= s.n; i++ {
			want = append(want, s.prefix+strconv.Itoa(i))
		}
	}
	assert.Equal(t, want, behaviourRules(t), "%s: the rules it defines", behaviourPath)
}

// TestRulesExist: every rule the fidelity table and the subtests cite is in BEHAVIOUR.md.
func TestRulesExist(t *testing.T) {
	defined := behaviourRules(t)
	for _, r := range Rules {
		for _, id := range r.Rules {
			if !slices.Contains(defined, id) {
				t.Errorf("conformance.Rules[%q] cites rule %s; %s has no rule %s", r.ID, id, behaviourPath, id)
			}
		}
	}
	for _, name := range Subtests() {
		ids := RulesOf(name)
		if len(ids) == 0 {
			t.Errorf("RulesOf(%q) = none; want the rules the subtest checks", name)
		}
		for _, id := range ids {
			if !slices.Contains(defined, id) {
				t.Errorf("RulesOf(%q) cites rule %s; %s has no rule %s", name, id, behaviourPath, id)
			}
		}
	}
}

// TestVerifiedOnSambaIsChecked: a behaviour the table claims verified live on Samba is checked
// by some subtest (which the live run, TestConformanceSamba, runs against Samba).
func TestVerifiedOnSambaIsChecked(t *testing.T) {
	cited := map[string]bool{}
	for _, name := range Subtests() {
		for _, id := range RulesOf(name) {
			cited[id] = true
		}
	}
	for _, r := range Rules {
		if r.OnSamba.Tier != VerifiedLive {
			continue
		}
		if !slices.ContainsFunc(r.Rules, func(id string) bool { return cited[id] }) {
			t.Errorf("conformance.Rules[%q] is verified live on Samba, but no subtest checks any of rules %v", r.ID, r.Rules)
		}
	}
}

// citation matches what the code and docs cite: "spec rule 27", "spec rules 17-20", "§12 Q4".
var citation = regexp.MustCompile(`spec rules? (\d+)(?:\s*[-–]\s*(\d+))?|§12 (Q\d+)|spec (§\d+)`)

// TestCitedRulesExist: every "spec rule N" and "§12 QN" in the module's Go and Markdown files
// names a rule of BEHAVIOUR.md.
func TestCitedRulesExist(t *testing.T) {
	defined := behaviourRules(t)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md")) {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range citation.FindAllStringSubmatch(string(text), -1) {
			if m[4] != "" {
				if n, _ := strconv.Atoi(m[4][len("§"):]); n > 14 {
					t.Errorf("%s: %q cites a section %s has not (§0-§14)", path, m[0], behaviourPath)
				}
				continue
			}
			ids := []string{m[3]}
			if m[3] == "" {
				lo, _ := strconv.Atoi(m[1])
				hi := lo
				if m[2] != "" {
					hi, _ = strconv.Atoi(m[2])
				}
				ids = nil
				for n := lo; n <= hi && n-lo < 100; n++ {
					ids = append(ids, strconv.Itoa(n))
				}
			}
			for _, id := range ids {
				if !slices.Contains(defined, id) {
					t.Errorf("%s: %q cites rule %s; %s has no rule %s", path, m[0], id, behaviourPath, id)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
}

func ExampleRulesOf() {
	fmt.Println(RulesOf("Enum/Resume/AfterSuccess"))
	// Output:
	// [23 24 25 26 27 32 Q4 S10 S11 W6]
}
