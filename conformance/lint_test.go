package conformance

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// nameSegment is one level of a subtest name: a behaviour in CamelCase ("ResumeAdvances"), a
// number (a level), or a count and what it counts ("3PerPage").
var nameSegment = regexp.MustCompile(`^(\d*[A-Z][A-Za-z0-9]*|\d+)$`)

// ruleLike is a segment that names a rule instead of a behaviour ("Rule27", "S11", "Q4").
var ruleLike = regexp.MustCompile(`^(Rule|Spec|Test)|^[SQW]\d+$`)

// TestSubtestNamesSayTheBehaviour: subtests are named by what they check, as paths of CamelCase
// words and numbers, never by rule number (RulesOf gives the rules), and each name once.
func TestSubtestNamesSayTheBehaviour(t *testing.T) {
	names := Subtests()
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			t.Errorf("subtest %q is defined twice", name)
		}
		seen[name] = true
		segs := strings.Split(name, "/")
		if len(segs) < 2 || !slices.Contains([]string{"Enum", "GetInfo", "Del"}, segs[0]) {
			t.Errorf("subtest %q: want Enum/..., GetInfo/... or Del/... and a behaviour", name)
		}
		for _, s := range segs {
			if !nameSegment.MatchString(s) {
				t.Errorf("subtest %q: segment %q; want a CamelCase word or a number", name, s)
			}
			if ruleLike.MatchString(s) {
				t.Errorf("subtest %q: segment %q names a rule; want the behaviour (RulesOf lists the rules)", name, s)
			}
		}
	}
}

// reportFuncs are the calls whose first argument is a failure message (or its format).
var reportFuncs = map[string]bool{"errorf": true, "fatalf": true, "skipf": true, "Errorf": true, "Fatalf": true, "Skipf": true}

// messageStarts are the capitalised words a message may begin with: the names of what failed.
var messageStarts = regexp.MustCompile(`^(%|NetSession|Harness|sessionapi\.|conformance:|[a-z])`)

// TestFailureMessagesReadLikeTheStandardLibrary: every failure message the suite writes names
// what was called and what came back, then what was wanted ("F(x) = y; want z"): it starts
// with the call or a lower-case word, says "want", never "expected" or "should", and ends
// without a full stop or a newline.
func TestFailureMessagesReadLikeTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	defer func() {
		if checked < 50 {
			t.Errorf("checked %d messages; want the suite's 50 or more (has the report helper been renamed?)", checked)
		}
	}()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !reportFuncs[sel.Sel.Name] {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "fmt" {
				return true // an error value, not a report
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true // a forwarded format
			}
			msg, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			at := fset.Position(lit.Pos())
			checked++
			lower := strings.ToLower(msg)
			switch {
			case !messageStarts.MatchString(msg):
				t.Errorf("%s: message %q starts with %q; want the call that failed or a lower-case word", at, msg, strings.Fields(msg)[0])
			case strings.Contains(lower, "expected") || strings.Contains(lower, "should"):
				t.Errorf("%s: message %q says expected/should; want \"; want ...\"", at, msg)
			case strings.HasSuffix(msg, ".") || strings.HasSuffix(msg, "\n") || strings.HasSuffix(msg, "!"):
				t.Errorf("%s: message %q ends with punctuation; want none", at, msg)
			}
			return true
		})
	}
}
