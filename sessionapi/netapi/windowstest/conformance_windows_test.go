//go:build windows

package windowstest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi/netapi/windowstest"
)

// TestConformanceWindowsNetapi runs the conformance suite against this machine's SMB server
// through netapi32, with the fake's windows profile. Run it elevated, after
// scripts/windows/setup.ps1 -Dir DIR:
//
//	$env:SESSIONSIM_WINDOWS_ENV = "DIR\env"
//	go test -count=1 -v -timeout 60m -run TestConformanceWindows ./sessionapi/netapi/windowstest/
func TestConformanceWindowsNetapi(t *testing.T) { runSuite(t, windowstest.Netapi) }

// TestConformanceWindowsSrvsvc is the same suite through package srvsvc, dialling this
// machine's SMB server from loopback addresses.
func TestConformanceWindowsSrvsvc(t *testing.T) { runSuite(t, windowstest.Srvsvc) }

func runSuite(t *testing.T, via windowstest.Via) {
	newHarness := windowstest.ForTest(t, via)
	sum := conformance.Run(t, newHarness)
	assert.Equal(t, "windows", sum.Profile)
	assert.NotZero(t, sum.Ran(), "no subtest ran")
	t.Logf("%v: %v", via, sum)
}

// TestGetSmbSessionsSeesASeed checks the observer the harness relies on, without the client
// under test: a session opened from a chosen address with open files is listed by
// Get-SmbSession under that address, the bare user name and that many opens, and is gone
// after it is closed.
func TestGetSmbSessionsSeesASeed(t *testing.T) {
	env := sambaenv.Windows.ForTest(t)
	ctx := t.Context()
	const addr = "127.77.251.1"
	s, err := env.OpenSession(ctx, "alice", addr, 2)
	require.NoError(t, err, "opening a session as alice from %s", addr)
	all, err := windowstest.GetSmbSessions(ctx)
	require.NoError(t, err)
	var listed []string
	for _, x := range all {
		o := x.Observed()
		listed = append(listed, fmt.Sprintf("%s/%s/%d", o.ClientName, o.UserName, o.OpenFiles))
		t.Logf("Get-SmbSession: %+v", x)
	}
	assert.Contains(t, listed, addr+"/alice/2", "Get-SmbSession (client/user/opens)")

	require.NoError(t, s.Close(ctx))
	gone := func() bool {
		all, err := windowstest.GetSmbSessions(context.WithoutCancel(ctx))
		require.NoError(t, err)
		return !slices.ContainsFunc(all, func(x windowstest.SmbSession) bool { return x.ClientComputerName == addr })
	}
	assert.Eventually(t, gone, 30*time.Second, 500*time.Millisecond, "the session from %s is still listed after logoff", addr)
}
