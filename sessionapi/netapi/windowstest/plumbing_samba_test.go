//go:build unix

package windowstest

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// TestSrvsvcHarnessPlumbingOnSamba runs the Srvsvc harness's own machinery — callers that log
// on from their addresses, seeds with open files, the seeded/not-seeded marking, Close waiting
// until the server has let go — against the live Samba of scripts/samba/start.sh, with
// smbstatus standing in for Get-SmbSession (its answers dressed as Get-SmbSession's, DOMAIN\user
// included). It checks the plumbing only: Samba does not answer like the windows profile, so
// the suite itself is not run. Skipped without SESSIONSIM_SAMBA_ENV unless CI=true.
func TestSrvsvcHarnessPlumbingOnSamba(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := t.Context()
	list := func(ctx context.Context) ([]SmbSession, error) {
		st, err := env.Status(ctx, true)
		if err != nil {
			return nil, err
		}
		out := make([]SmbSession, len(st))
		for i, s := range st {
			out[i] = SmbSession{ClientComputerName: s.Client, ClientUserName: `SESSIONSIM\` + s.User, NumOpens: uint64(s.Opens)}
		}
		return out, nil
	}
	h := &harness{env: env, via: Srvsvc, block: 252, list: list, apis: map[fake.Role]roleAPI{}}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = h.Close(context.WithoutCancel(ctx))
		}
	})

	admin, err := h.API(ctx, fake.Administrator)
	require.NoError(t, err, "API(administrator)")
	again, err := h.API(ctx, fake.Administrator)
	require.NoError(t, err)
	assert.Same(t, admin, again, "one caller per role and harness")
	_, err = h.API(ctx, fake.DomainAdmin)
	assert.ErrorIs(t, err, conformance.ErrUnsupported)

	seeds, err := h.Seed(ctx, []conformance.SeedSession{{Client: 1, User: conformance.Alice, OpenFiles: 2}, {Client: 2, User: conformance.Bob}})
	require.NoError(t, err)
	assert.Equal(t, []conformance.Observed{
		{ClientName: "127.77.252.1", UserName: "alice", OpenFiles: 2, Seeded: true},
		{ClientName: "127.77.252.2", UserName: "bob", Seeded: true},
	}, seeds)

	all, err := h.Sessions(ctx)
	require.NoError(t, err)
	for _, s := range seeds {
		assert.Contains(t, all, s, "Sessions lists the seed as Seed reported it")
	}
	assert.True(t, slices.ContainsFunc(all, func(o conformance.Observed) bool {
		return o.ClientName == "127.78.252.1" && o.UserName == env.Admin && !o.Seeded
	}), "Sessions lists the administrator's own connection, not seeded: %+v", all)

	// The caller works: the administrator may enumerate at level 0 on Samba.
	res, err := admin.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(res.Entries), 3)

	closed = true
	require.NoError(t, h.Close(ctx))
	left, err := list(ctx)
	require.NoError(t, err)
	for _, s := range left {
		assert.NotContains(t, []string{"127.77.252.1", "127.77.252.2", "127.78.252.1"}, s.ClientComputerName,
			"a session of the closed harness is still listed")
	}
}
