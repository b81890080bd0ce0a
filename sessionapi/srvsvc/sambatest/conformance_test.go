package sambatest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc/sambatest"
)

// TestConformanceSamba runs the conformance suite against the live Samba with the fake's
// samba profile:
//
//	scripts/samba/start.sh /tmp/ssim-samba
//	SESSIONSIM_SAMBA_ENV=/tmp/ssim-samba/env go test ./sessionapi/srvsvc/sambatest/ -v
func TestConformanceSamba(t *testing.T) {
	newHarness := sambatest.ForTest(t)
	sum := conformance.Run(t, newHarness)
	assert.Equal(t, "samba", sum.Profile)
	assert.NotZero(t, sum.Ran(), "no subtest ran")
}
