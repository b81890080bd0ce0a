package srvsvc_test

// Live tests against the throw-away Samba of scripts/samba/start.sh. They run when
// SESSIONSIM_SAMBA_ENV names its env file; without it they skip, or fail when CI=true.
//
//	scripts/samba/start.sh /tmp/ssim-samba
//	SESSIONSIM_SAMBA_ENV=/tmp/ssim-samba/env go test ./sessionapi/srvsvc/ -run Live -v

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

func liveCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, ctx context.Context, cfg srvsvc.Config) *srvsvc.Client {
	t.Helper()
	c, err := srvsvc.Dial(ctx, cfg)
	require.NoError(t, err, "Dial(%v)", cfg)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func seed(t *testing.T, ctx context.Context, env *sambaenv.Env, user, addr string, files int) *sambaenv.Session {
	t.Helper()
	s, err := env.OpenSession(ctx, user, addr, files)
	require.NoError(t, err, "opening a session as %q from %s", user, addr)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// entriesOf returns the level-1 entries whose client and user match.
func entriesOf(res sessionapi.EnumResult, client, user string) []*sessionapi.SessionInfo1 {
	var out []*sessionapi.SessionInfo1
	for _, e := range res.Entries {
		i := e.(*sessionapi.SessionInfo1)
		if i.ClientName == client && i.UserName == user {
			out = append(out, i)
		}
	}
	return out
}

func TestLiveEnumLevels(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("PipePerCall=%v", perCall), func(t *testing.T) {
			cfg := env.Config(env.Admin, "127.0.0.10")
			cfg.PipePerCall = perCall
			c := dial(t, ctx, cfg)

			res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
			require.NoError(t, err, "NetSessionEnum(level=0)")
			var clients []string
			for _, e := range res.Entries {
				clients = append(clients, e.Client())
			}
			assert.Contains(t, clients, "127.0.0.10", "the caller's own session (S7)")
			assert.Equal(t, int(res.TotalEntries), len(res.Entries), "TotalEntries with no resume handle (S10)")

			res, err = c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			require.NoError(t, err, "NetSessionEnum(level=1)")
			own := entriesOf(res, "127.0.0.10", env.Admin)
			require.Len(t, own, 1, "level 1 entries for the caller: %v", res.Entries)
			assert.Equal(t, sessionapi.Flags(0), own[0].UserFlags, "S6")
			assert.Equal(t, uint32(0), own[0].IdleTime, "S5")

			for _, l := range []sessionapi.Level{sessionapi.Level2, sessionapi.Level10, sessionapi.Level502, 3, 11} {
				res, err := c.NetSessionEnum(ctx, "", "", "", l, sessionapi.MaxPreferredLength, nil)
				require.ErrorIs(t, err, sessionapi.ERROR_INVALID_LEVEL, "NetSessionEnum(level=%d) (S2)", l)
				assert.Empty(t, res.Entries)
			}
		})
	}
}

func TestLiveAccessDenied(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	callers := map[string]srvsvc.Config{
		"plain":     env.Config(env.Plain, ""),
		"guest":     env.Config("ssim-no-such-user", ""),
		"anonymous": env.Config("", ""),
	}
	for name, cfg := range callers {
		t.Run(name, func(t *testing.T) {
			c := dial(t, ctx, cfg)
			// S1: access is checked before the level, so an invalid level is denied too.
			for _, l := range []sessionapi.Level{sessionapi.Level0, sessionapi.Level1, sessionapi.Level502, 3} {
				_, err := c.NetSessionEnum(ctx, "", "", "", l, sessionapi.MaxPreferredLength, nil)
				require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "NetSessionEnum(level=%d) as %s (S1)", l, name)
			}
			_, err := c.NetSessionGetInfo(ctx, "", `\\127.0.0.1`, "x", sessionapi.Level0)
			require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
			err = c.NetSessionDel(ctx, "", `\\ssim-nobody-here`, "")
			require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "NetSessionDel as %s (S13)", name)
		})
	}
}

func TestLiveSeededSessions(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	seed(t, ctx, env, "alice", "127.0.0.2", 2)
	seed(t, ctx, env, "bob", "127.0.0.3", 1)
	seed(t, ctx, env, "ssim-no-such-user", "127.0.0.4", 0) // a guest logon
	c := dial(t, ctx, env.Config(env.Admin, ""))

	res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err)
	t.Logf("NetSessionEnum(level=1): %d entries, total %d", len(res.Entries), res.TotalEntries)
	for _, want := range []struct {
		client, user string
		opens        uint32
		flags        sessionapi.Flags
	}{
		{"127.0.0.2", "alice", 2, 0},
		{"127.0.0.3", "bob", 1, 0},
		{"127.0.0.4", "nobody", 0, sessionapi.SessGuest}, // S4, S6
	} {
		got := entriesOf(res, want.client, want.user)
		require.Len(t, got, 1, "NetSessionEnum(level=1) entries for %s as %s; all: %v", want.client, want.user, res.Entries)
		assert.Equal(t, want.opens, got[0].NumOpens, "sesi1_num_opens of %s as %s (S5)", want.client, want.user)
		assert.Equal(t, want.flags, got[0].UserFlags, "sesi1_user_flags of %s as %s (S6)", want.client, want.user)
	}

	// S8: the filters are ignored, so a GetInfo-shaped call returns every session.
	res, err = c.NetSessionEnum(ctx, "", `\\127.0.0.3`, "bob", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(res.Entries), 4, "filtered NetSessionEnum on Samba (S8)")
	info, err := c.NetSessionGetInfo(ctx, "", `\\127.0.0.3`, "bob", sessionapi.Level1)
	require.NoError(t, err)
	assert.NotNil(t, info)

	// S11: resume handle k < total starts at k and comes back as total; k ≥ total gives none.
	var resume uint32 = 1
	res, err = c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, &resume)
	require.NoError(t, err)
	assert.Equal(t, int(res.TotalEntries)-1, len(res.Entries), "entries from resume handle 1 (S11)")
	assert.Equal(t, res.TotalEntries, resume, "resume handle out (S11)")
	resume = res.TotalEntries + 5
	res, err = c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, &resume)
	require.NoError(t, err)
	assert.Empty(t, res.Entries)
	assert.Equal(t, uint32(0), resume)
}

func TestLiveDel(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	carol := seed(t, ctx, env, "alice", "127.0.0.5", 1)
	dave := seed(t, ctx, env, "bob", "127.0.0.6", 0)
	admin := dial(t, ctx, env.Config(env.Admin, ""))
	del := dial(t, ctx, env.Config(env.DelAdmin, ""))

	// S13: BUILTIN\Administrators alone may not delete.
	err := admin.NetSessionDel(ctx, "", `\\127.0.0.6`, "")
	require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "NetSessionDel as %s (S13)", env.Admin)
	// S14: nothing matched.
	err = del.NetSessionDel(ctx, "", `\\ssim-nobody-here`, "")
	require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "NetSessionDel of an unknown client (S14)")

	// Delete by client: 127.0.0.6 goes, 127.0.0.5 stays (S16).
	require.NoError(t, del.NetSessionDel(ctx, "", `\\127.0.0.6`, ""))
	immediately := waitGone(t, ctx, admin, "127.0.0.6", "bob")
	res, err := admin.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err)
	assert.Len(t, entriesOf(res, "127.0.0.5", "alice"), 1, "alice's session must survive")
	assert.False(t, dave.Alive(ctx), "the deleted session still answers an SMB echo")
	assert.True(t, carol.Alive(ctx))

	// Delete by client and user, bare name without `\\` (S15).
	require.NoError(t, del.NetSessionDel(ctx, "", "127.0.0.5", "ALICE"))
	immediately2 := waitGone(t, ctx, admin, "127.0.0.5", "alice")
	// S17 says an enumeration right after the reply no longer lists the session; on this
	// Samba that holds only most of the time (the reply precedes the session's exit, which is
	// asynchronous: MSG_SHUTDOWN), so it is logged, not asserted.
	t.Logf("S17: deleted sessions absent from the first enumeration after the reply: %v, %v", immediately, immediately2)
}

// waitGone enumerates until the session is no longer listed (at most 5 s) and reports
// whether it was already gone at the first enumeration.
func waitGone(t *testing.T, ctx context.Context, c *srvsvc.Client, client, user string) bool {
	t.Helper()
	start := time.Now()
	for i := 0; ; i++ {
		res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
		require.NoError(t, err)
		if len(entriesOf(res, client, user)) == 0 {
			if i > 0 {
				t.Logf("%s as %s listed for %v after NetSessionDel (%d enumerations)", client, user, time.Since(start), i)
			}
			return i == 0
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("NetSessionEnum still lists %s as %s 5 s after NetSessionDel (S17)", client, user)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestLiveFragmentedRequest(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	cfg := env.Config(env.Admin, "")
	cfg.MaxFrag = 1432 // the least any peer must accept: the request below takes 3 fragments
	c := dial(t, ctx, cfg)
	long := `\\` + strings.Repeat("c", 1021)
	res, err := c.NetSessionEnum(ctx, "", long, strings.Repeat("u", 1023), sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err, "NetSessionEnum with 1,024-character filters in 1432-byte fragments")
	assert.NotEmpty(t, res.Entries, "Samba ignores the filters (S8)")
}

func TestLiveAuthVariants(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	hash, err := env.NTHash(env.Admin)
	require.NoError(t, err)
	cfg := env.Config(env.Admin, "")
	cfg.Password, cfg.Hash = "", hash
	c := dial(t, ctx, cfg)
	_, err = c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err, "NetSessionEnum after a pass-the-hash logon")

	pw, err := env.Password(env.Admin)
	require.NoError(t, err)
	t.Setenv(srvsvc.PasswordEnv, pw)
	cfg = srvsvc.Config{Host: env.Host, Port: env.Port, User: env.Admin, Domain: "SESSIONSIM"}.WithEnvPassword()
	c = dial(t, ctx, cfg)
	_, err = c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err, "NetSessionEnum with the password from %s and a domain", srvsvc.PasswordEnv)

	cfg.Password = pw + "-wrong"
	_, err = srvsvc.Dial(ctx, cfg)
	require.Error(t, err, "Dial with a wrong password")
	assert.NotContains(t, err.Error(), pw, "the error must not carry the password")
}

// TestLiveCancelMidCall cancels calls at every point of their flight; the next call with a
// live context must answer correctly (the shared pipe is replaced), and Close must not hang.
func TestLiveCancelMidCall(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := liveCtx(t)
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("PipePerCall=%v", perCall), func(t *testing.T) {
			cfg := env.Config(env.Admin, "127.0.0.11")
			cfg.PipePerCall = perCall
			c, err := srvsvc.Dial(ctx, cfg)
			require.NoError(t, err)
			cancelled := 0
			for i := range 40 {
				d := time.Duration(i) * 50 * time.Microsecond
				cctx, cancel := context.WithTimeout(ctx, d)
				_, err := c.NetSessionEnum(cctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				cancel()
				if err != nil {
					require.ErrorIs(t, err, context.DeadlineExceeded, "NetSessionEnum with a %v deadline", d)
					cancelled++
				}
				res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				require.NoError(t, err, "NetSessionEnum after a call with a %v deadline", d)
				// At least the current connection (the replaced one may still be going away).
				require.NotEmpty(t, entriesOf(res, "127.0.0.11", env.Admin))
			}
			t.Logf("%d of 40 calls ran out of time", cancelled)
			start := time.Now()
			_ = c.Close()
			assert.Less(t, time.Since(start), 3*time.Second, "Close after cancelled calls took %v", time.Since(start))
		})
	}
}
