//go:build windows

package netapi

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// These tests call the real netapi32 of the machine they run on, with servername NULL (this
// computer). Since Windows 10 1607 / Server 2019 even levels 0 and 10 need an administrator
// (spec rule 34): run them elevated, as a GitHub Actions Windows runner does. A non-elevated
// run fails with ERROR_ACCESS_DENIED (5) rather than skipping, so a misconfigured CI shows.

func TestSystemArchMatchesProcess(t *testing.T) {
	assert.Equal(t, nativeArch(), system.arch())
}

func TestSystemEnumLocalEveryLevel(t *testing.T) {
	var api API
	ctx := context.Background()
	for _, l := range sessionapi.Levels() {
		var resume uint32
		res, err := api.NetSessionEnum(ctx, "", "", "", l, sessionapi.MaxPreferredLength, &resume)
		require.NoError(t, err, "NetSessionEnum(NULL, NULL, NULL, %s, MAX_PREFERRED_LENGTH) (elevated?)", l)
		assert.Equal(t, l, res.Level)
		assert.GreaterOrEqual(t, res.TotalEntries, uint32(len(res.Entries)), "NetSessionEnum(%s): totalentries < entriesread", l)
		for i, e := range res.Entries {
			require.NotNil(t, e, "NetSessionEnum(%s) entry %d", l, i)
			assert.Equal(t, l, e.Level(), "NetSessionEnum(%s) entry %d", l, i)
		}
		t.Logf("NetSessionEnum(%s): %d entries, total %d", l, len(res.Entries), res.TotalEntries)
	}
}

// TestSystemGetInfoOfEnumeratedSession reads back, with NetSessionGetInfo, a session that
// NetSessionEnum listed. With no session on the machine there is nothing to read back; the
// Windows workflow opens some first.
func TestSystemGetInfoOfEnumeratedSession(t *testing.T) {
	var api API
	ctx := context.Background()
	res, err := api.NetSessionEnum(ctx, "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err, "NetSessionEnum(level=10)")
	if len(res.Entries) == 0 {
		t.Skip("no SMB session on this machine to read back")
	}
	e := res.Entries[0].(*sessionapi.SessionInfo10)
	client := e.ClientName
	if !strings.HasPrefix(client, `\\`) {
		client = `\\` + client // UncClientName must start with \\ (spec rule 4)
	}
	got, err := api.NetSessionGetInfo(ctx, "", client, e.UserName, sessionapi.Level10)
	require.NoError(t, err, "NetSessionGetInfo(%q, %q, level=10)", client, e.UserName)
	g := got.(*sessionapi.SessionInfo10)
	assert.Equal(t, e.ClientName, g.ClientName)
	assert.Equal(t, e.UserName, g.UserName)
}

func TestSystemGetInfoUnknownClientIsAStatus(t *testing.T) {
	var api API
	_, err := api.NetSessionGetInfo(context.Background(), "", `\\192.0.2.1`, "sessionsim-nobody", sessionapi.Level10)
	require.Error(t, err, "NetSessionGetInfo of a client with no session")
	st, ok := sessionapi.StatusOf(err)
	assert.True(t, ok, "NetSessionGetInfo error %q carries no NET_API_STATUS", err)
	t.Logf("NetSessionGetInfo(unknown client) = %v", st)
}
