package fake_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
)

// minSubtests is the least number of conformance subtests that must run and pass on the fake
// under each built-in profile.
const minSubtests = 60

// TestConformance holds the fake to the conformance suite under each built-in profile, and
// counts what ran and passed: a suite that skipped its way to green would fail here.
//
// go test ./fake -run TestConformance -v | grep 'profile ' shows the counts.
func TestConformance(t *testing.T) {
	for _, name := range fake.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			p, err := fake.ProfileByName(name)
			if err != nil {
				t.Fatal(err)
			}
			sum := conformance.Run(t, conformance.FakeHarness(p))
			assert.Empty(t, sum.Failed, "subtests failed under profile %s", name)
			if sum.Ran() < len(conformance.Subtests()) {
				t.Logf("-run left out %d of %d subtests: the count is not checked", len(conformance.Subtests())-sum.Ran(), len(conformance.Subtests()))
				return
			}
			assert.Equal(t, name, sum.Profile, "the summary's profile")
			assert.Empty(t, sum.Skipped, "subtests skipped under profile %s: the fake harness can do everything", name)
			assert.GreaterOrEqual(t, len(sum.Passed), minSubtests, "subtests passed under profile %s: %s", name, sum)
		})
	}
}

// TestConformanceGetInfoOpenToUsers runs the suite on the one §12 switch that changes who may
// call: W-GET's member-server rule for NetSessionGetInfo levels 1 and 2 (spec rule 55).
func TestConformanceGetInfoOpenToUsers(t *testing.T) {
	p := fake.WindowsLegacy()
	p.GetInfoLevels1And2ForUsers = true
	sum := conformance.Run(t, conformance.FakeHarness(p))
	assert.Empty(t, sum.Failed)
}
