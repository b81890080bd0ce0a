package conformance

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Summary is what one Run did: the names of the subtests that ran, by outcome (relative to
// the test that called Run, e.g. "Enum/Level10/MoreData/ResumeAdvances"). Subtests that
// -run left out are in none of the lists.
type Summary struct {
	Profile string
	Passed  []string
	Failed  []string
	Skipped []string
}

// Ran is the number of subtests that ran.
func (s Summary) Ran() int { return len(s.Passed) + len(s.Failed) + len(s.Skipped) }

// String reads "profile windows: 131 subtests, 131 passed, 0 failed, 0 skipped".
func (s Summary) String() string {
	return fmt.Sprintf("profile %s: %d subtests, %d passed, %d failed, %d skipped",
		s.Profile, s.Ran(), len(s.Passed), len(s.Failed), len(s.Skipped))
}

// subtest is one behaviour to check.
type subtest struct {
	name string
	run  func(e *env)
}

// subtests lists the suite, in the order it runs.
func subtests() []subtest {
	var all []subtest
	all = append(all, enumSubtests()...)
	all = append(all, getInfoSubtests()...)
	all = append(all, delSubtests()...)
	return all
}

// Subtests returns the names of the suite's subtests, in the order Run runs them.
func Subtests() []string {
	var names []string
	for _, st := range subtests() {
		names = append(names, st.name)
	}
	return names
}

// Run runs the suite against the servers newHarness makes: one fresh harness per subtest,
// closed when the subtest ends. It returns what ran, passed, failed and was skipped; a
// subtest that fails has already reported through t, so callers may ignore the summary.
//
// Subtests run one after another: a real server is shared by every harness made on it, and
// one subtest's sessions must be gone before the next observes the server.
func Run(t *testing.T, newHarness NewHarness) Summary {
	t.Helper()
	var sum Summary
	for _, st := range subtests() {
		ran, skipped := false, false
		passed := t.Run(st.name, func(t *testing.T) {
			ran = true
			// Registered first, so it runs last, after the harness is closed.
			t.Cleanup(func() { skipped = t.Skipped() })
			e := newEnv(t, newHarness)
			if sum.Profile == "" {
				sum.Profile = e.p.Name
			}
			defer func() {
				if t.Failed() || len(e.problems) > 0 {
					// Where to read what the server got wrong: BEHAVIOUR.md, by rule.
					t.Logf("%s checks BEHAVIOUR.md rules %s", st.name, strings.Join(RulesOf(st.name), ", "))
				}
			}()
			defer e.flush()
			st.run(e)
		})
		name := st.name
		switch {
		case !ran:
			// Left out by -run: neither passed nor failed, so not counted.
		case !passed:
			sum.Failed = append(sum.Failed, name)
		case skipped:
			sum.Skipped = append(sum.Skipped, name)
		default:
			sum.Passed = append(sum.Passed, name)
		}
	}
	t.Log(sum.String())
	if len(sum.Failed) > 0 {
		t.Logf("failed: %s", strings.Join(sum.Failed, " "))
	}
	if err := appendReport(t.Name() + ": " + sum.String()); err != nil {
		t.Errorf("conformance report: %v", err)
	}
	return sum
}

// ReportEnv names a file to which every Run appends its summary line, so that a CI script can
// print how many subtests ran where `go test ./...` shows only "ok" for a passing package.
const ReportEnv = "SESSIONSIM_CONFORMANCE_REPORT"

func appendReport(line string) error {
	path := os.Getenv(ReportEnv)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	// One write of one line: appends from test binaries running side by side do not interleave.
	_, err = f.WriteString(line + "\n")
	return errors.Join(err, f.Close())
}
