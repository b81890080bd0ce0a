package netapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

func u32(v uint32) *uint32 { return &v }

// sessions returns n distinct entries at level l.
func sessions(n int, l sessionapi.Level) []sessionapi.Info {
	out := make([]sessionapi.Info, 0, n)
	for i := range n {
		out = append(out, sessionapi.Narrow(&sessionapi.SessionInfo502{
			ClientName: fmt.Sprintf(`\\127.0.0.%d`, i+1), UserName: fmt.Sprintf("user%d", i),
			NumOpens: uint32(i), Time: uint32(100 + i), IdleTime: uint32(i * 2), UserFlags: sessionapi.Flags(i % 3),
			ClientType: "", Transport: `\Device\NetbiosSmb`,
		}, l))
	}
	return out
}

// checkFreed fails the test unless every buffer the fake handed out was freed exactly once and
// nothing was read after its free.
func checkFreed(t *testing.T, f *fakeProcs, wantAllocs int) {
	t.Helper()
	assert.Empty(t, f.leaked(), "buffers never passed to NetApiBufferFree")
	assert.Empty(t, f.misuse, "misuse of netapi32 buffers")
	for base, n := range f.freed {
		assert.Equal(t, 1, n, "NetApiBufferFree(0x%X) called %d times; want 1", base, n)
	}
	assert.Equal(t, wantAllocs, f.allocations(), "buffers allocated by the fake")
}

func TestEnumDecodesAndFrees(t *testing.T) {
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		for _, l := range sessionapi.Levels() {
			t.Run(fmt.Sprintf("%s/%s", a, l), func(t *testing.T) {
				f := newFake(a)
				want := sessions(3, l)
				f.enum = func(c *call) reply {
					return reply{status: sessionapi.NERR_Success, alloc: true, entries: want, total: 3}
				}
				api := &API{procs: f}
				res, err := api.NetSessionEnum(context.Background(), "", "", "", l, sessionapi.MaxPreferredLength, nil)
				require.NoError(t, err, "NetSessionEnum(%s)", l)
				assert.Equal(t, sessionapi.EnumResult{Level: l, Entries: want, TotalEntries: 3}, res, "NetSessionEnum(%s)", l)
				checkFreed(t, f, 1)
				require.Len(t, f.calls, 1)
				assert.Equal(t, uint32(l), f.calls[0].level)
				assert.Equal(t, sessionapi.MaxPreferredLength, f.calls[0].prefMaxLen)
			})
		}
	}
}

func TestEnumStatuses(t *testing.T) {
	tests := []struct {
		name        string
		reply       reply
		wantEntries int
		wantTotal   uint32
		wantStatus  sessionapi.Status // NERR_Success for none
		wantErrText string            // for errors that carry no status
		wantAllocs  int
	}{
		{"success", reply{status: 0, alloc: true, entries: sessions(2, 10), total: 2}, 2, 2, 0, "", 1},
		{"success, no entries, NULL buffer", reply{status: 0}, 0, 0, 0, "", 0},
		{"success, no entries, a buffer", reply{status: 0, alloc: true}, 0, 0, 0, "", 1},
		{"ERROR_MORE_DATA", reply{status: sessionapi.ERROR_MORE_DATA, alloc: true, entries: sessions(1, 10), total: 3}, 1, 3, sessionapi.ERROR_MORE_DATA, "", 1},
		{"ERROR_MORE_DATA, no entries", reply{status: sessionapi.ERROR_MORE_DATA, alloc: true, total: 3}, 0, 3, sessionapi.ERROR_MORE_DATA, "", 1},
		{"error, NULL buffer", reply{status: sessionapi.ERROR_ACCESS_DENIED}, 0, 0, sessionapi.ERROR_ACCESS_DENIED, "", 0},
		{"error with a buffer", reply{status: sessionapi.NERR_ClientNameNotFound, alloc: true, entries: sessions(1, 10), total: 1}, 0, 0, sessionapi.NERR_ClientNameNotFound, "", 1},
		{"RPC status", reply{status: sessionapi.RPC_S_SERVER_UNAVAILABLE}, 0, 0, sessionapi.RPC_S_SERVER_UNAVAILABLE, "", 0},
		{"entriesread past the buffer", reply{status: 0, alloc: true, entries: sessions(1, 10), read: u32(4), total: 4}, 0, 0, 0, "cannot be read", 1},
		{"ERROR_MORE_DATA, entriesread past the buffer", reply{status: sessionapi.ERROR_MORE_DATA, alloc: true, entries: sessions(1, 10), read: u32(1000), total: 1000}, 0, 0, 0, "cannot be read", 1},
		{"entries but a NULL buffer", reply{status: 0, alloc: true, nullBuffer: true, entries: sessions(2, 10), total: 2}, 0, 0, 0, "NULL buffer with entriesread=2", 0},
	}
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", a, tt.name), func(t *testing.T) {
				f := newFake(a)
				f.enum = func(*call) reply { return tt.reply }
				res, err := (&API{procs: f}).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, 1024, u32(0))
				desc := fmt.Sprintf("NetSessionEnum(level=10, prefmaxlen=1024) answered %v", tt.reply.status)
				switch {
				case tt.wantErrText != "":
					require.Error(t, err, desc)
					assert.Contains(t, err.Error(), tt.wantErrText, desc)
					_, hasStatus := sessionapi.StatusOf(err)
					assert.False(t, hasStatus, "%s: error %q carries a status; a buffer that cannot be read must stop a resume loop", desc, err)
					assert.Empty(t, res.Entries, desc)
				case tt.wantStatus != sessionapi.NERR_Success:
					require.Error(t, err, desc)
					assert.Equal(t, tt.wantStatus, err, "%s: want the bare Status", desc)
				default:
					require.NoError(t, err, desc)
				}
				assert.Len(t, res.Entries, tt.wantEntries, "%s: entries", desc)
				if tt.wantEntries > 0 {
					assert.Equal(t, tt.reply.entries, res.Entries, desc)
				}
				assert.Equal(t, tt.wantTotal, res.TotalEntries, "%s: TotalEntries", desc)
				assert.Equal(t, sessionapi.Level10, res.Level, desc)
				checkFreed(t, f, tt.wantAllocs)
			})
		}
	}
}

// TestEnumPagingFreesEveryPage runs sessionapi.Collect over a fake that pages through five
// sessions two at a time: every page's buffer is freed, ERROR_MORE_DATA pages included.
func TestEnumPagingFreesEveryPage(t *testing.T) {
	all := sessions(5, sessionapi.Level1)
	f := newFake(sessionapi.X64)
	f.enum = func(c *call) reply {
		start := int(*c.resume)
		end := min(start+2, len(all))
		r := reply{alloc: true, entries: all[start:end], total: uint32(len(all) - start)}
		*c.resume = uint32(end)
		if end < len(all) {
			r.status = sessionapi.ERROR_MORE_DATA
		}
		return r
	}
	got, err := sessionapi.Collect(context.Background(), &API{procs: f},
		sessionapi.EnumRequest{Level: sessionapi.Level1, PrefMaxLen: 100})
	require.NoError(t, err)
	assert.Equal(t, all, got)
	require.Len(t, f.calls, 3, "NetSessionEnum calls for 5 entries, 2 a page")
	checkFreed(t, f, 3)
}

func TestEnumArguments(t *testing.T) {
	f := newFake(sessionapi.X64)
	f.enum = func(*call) reply { return reply{} }
	api := &API{procs: f}
	ctx := context.Background()
	resume := uint32(7)

	_, err := api.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, 64, nil)
	require.NoError(t, err)
	_, err = api.NetSessionEnum(ctx, `\\SRV`, `\\ПК-01`, "Jürgen", sessionapi.Level502, 0, &resume)
	require.NoError(t, err)

	require.Len(t, f.calls, 2)
	c := f.calls[0]
	assert.Nil(t, c.server, "empty servername must be passed as NULL")
	assert.Nil(t, c.client, "empty UncClientName must be passed as NULL")
	assert.Nil(t, c.user, "empty username must be passed as NULL")
	assert.Nil(t, c.resume, "a nil resume handle must be passed as NULL")
	assert.Equal(t, uint32(64), c.prefMaxLen)

	c = f.calls[1]
	require.NotNil(t, c.server)
	require.NotNil(t, c.client)
	require.NotNil(t, c.user)
	assert.Equal(t, `\\SRV`, *c.server)
	assert.Equal(t, `\\ПК-01`, *c.client)
	assert.Equal(t, "Jürgen", *c.user)
	assert.Same(t, &resume, c.resume, "the caller's resume handle must be passed, not a copy")
	assert.Equal(t, uint32(502), c.level)
}

func TestEnumResumeHandleUpdated(t *testing.T) {
	f := newFake(sessionapi.X86)
	f.enum = func(c *call) reply {
		*c.resume = 0xFFFF_FFFF
		return reply{status: sessionapi.ERROR_MORE_DATA, alloc: true, entries: sessions(1, 0), total: 2}
	}
	var resume uint32
	_, err := (&API{procs: f}).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level0, 1, &resume)
	require.ErrorIs(t, err, sessionapi.ERROR_MORE_DATA)
	assert.Equal(t, uint32(0xFFFF_FFFF), resume, "resume handle after NetSessionEnum")
}

func TestNULInStringIsRefusedBeforeTheCall(t *testing.T) {
	f := newFake(sessionapi.X64)
	f.enum = func(*call) reply { return reply{} }
	f.getInfo = func(*call) reply { return reply{} }
	f.del = func(*call) uint32 { return 0 }
	api := &API{procs: f}
	ctx := context.Background()
	_, err := api.NetSessionEnum(ctx, "", `\\a`+"\x00b", "", 10, 1, nil)
	require.ErrorIs(t, err, errNUL)
	assert.Contains(t, err.Error(), "UncClientName")
	_, err = api.NetSessionGetInfo(ctx, "srv\x00", `\\a`, "u", 10)
	require.ErrorIs(t, err, errNUL)
	assert.Contains(t, err.Error(), "servername")
	err = api.NetSessionDel(ctx, "", `\\a`, "u\x00")
	require.ErrorIs(t, err, errNUL)
	assert.Contains(t, err.Error(), "username")
	assert.Empty(t, f.calls, "netapi32 must not be called with a string cut short")
}

func TestDoneContextPreventsTheCall(t *testing.T) {
	f := newFake(sessionapi.X64)
	api := &API{procs: f} // f.enum etc. are nil: a call would panic
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := api.NetSessionEnum(ctx, "", "", "", 10, 1, nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = api.NetSessionGetInfo(ctx, "", `\\a`, "u", 10)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, api.NetSessionDel(ctx, "", `\\a`, "u"), context.Canceled)
	assert.Empty(t, f.calls)
}

func TestLoadErrorIsReturned(t *testing.T) {
	f := newFake(sessionapi.X64)
	f.loadErr = errors.New("Failed to find NetSessionEnum procedure in netapi32.dll")
	api := &API{procs: f}
	_, err := api.NetSessionEnum(context.Background(), "", "", "", 10, 1, nil)
	require.ErrorIs(t, err, f.loadErr)
	_, ok := sessionapi.StatusOf(err)
	assert.False(t, ok, "a load failure must not look like a server's status: %v", err)
	_, err = api.NetSessionGetInfo(context.Background(), "", `\\a`, "u", 10)
	require.ErrorIs(t, err, f.loadErr)
	require.ErrorIs(t, api.NetSessionDel(context.Background(), "", `\\a`, "u"), f.loadErr)
}

// TestFreeFailureIsReported: a failing NetApiBufferFree is reported, but as text, so that it is
// not mistaken for the call's status; the entries read are still returned.
func TestFreeFailureIsReported(t *testing.T) {
	f := newFake(sessionapi.X64)
	f.freeStatus = uint32(sessionapi.ERROR_INVALID_PARAMETER)
	f.enum = func(*call) reply {
		return reply{status: sessionapi.ERROR_MORE_DATA, alloc: true, entries: sessions(1, 10), total: 2}
	}
	res, err := (&API{procs: f}).NetSessionEnum(context.Background(), "", "", "", 10, 1, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, sessionapi.ERROR_MORE_DATA)
	assert.NotErrorIs(t, err, sessionapi.ERROR_INVALID_PARAMETER)
	assert.Contains(t, err.Error(), "NetApiBufferFree(0x7FF60000) = ERROR_INVALID_PARAMETER (87)")
	assert.Len(t, res.Entries, 1)
}

func TestGetInfo(t *testing.T) {
	for _, a := range []sessionapi.Arch{sessionapi.X64, sessionapi.X86} {
		for _, l := range []sessionapi.Level{0, 1, 2, 10} {
			t.Run(fmt.Sprintf("%s/%s", a, l), func(t *testing.T) {
				f := newFake(a)
				want := sessions(1, l)
				f.getInfo = func(*call) reply { return reply{alloc: true, entries: want} }
				got, err := (&API{procs: f}).NetSessionGetInfo(context.Background(), "", `\\127.0.0.1`, "user0", l)
				require.NoError(t, err, "NetSessionGetInfo(%s)", l)
				assert.Equal(t, want[0], got)
				checkFreed(t, f, 1)
				require.Len(t, f.calls, 1)
				c := f.calls[0]
				assert.Nil(t, c.server)
				require.NotNil(t, c.client)
				require.NotNil(t, c.user)
				assert.Equal(t, `\\127.0.0.1`, *c.client)
				assert.Equal(t, "user0", *c.user)
				assert.Equal(t, uint32(l), c.level)
			})
		}
	}
}

func TestGetInfoStatuses(t *testing.T) {
	tests := []struct {
		name        string
		reply       reply
		wantStatus  sessionapi.Status
		wantErrText string
		wantAllocs  int
	}{
		{"error, NULL buffer", reply{status: sessionapi.NERR_ClientNameNotFound}, sessionapi.NERR_ClientNameNotFound, "", 0},
		{"error with a buffer", reply{status: sessionapi.ERROR_ACCESS_DENIED, alloc: true, entries: sessions(1, 10)}, sessionapi.ERROR_ACCESS_DENIED, "", 1},
		{"invalid level", reply{status: sessionapi.ERROR_INVALID_LEVEL}, sessionapi.ERROR_INVALID_LEVEL, "", 0},
		{"success, NULL buffer", reply{status: 0}, 0, "NULL buffer", 0},
		{"success, buffer too short", reply{status: 0, alloc: true, entries: nil}, 0, "cannot be read", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(sessionapi.X64)
			f.getInfo = func(*call) reply { return tt.reply }
			got, err := (&API{procs: f}).NetSessionGetInfo(context.Background(), "", `\\a`, "u", 10)
			require.Error(t, err, "NetSessionGetInfo answered %v", tt.reply.status)
			assert.Nil(t, got)
			if tt.wantErrText != "" {
				assert.Contains(t, err.Error(), tt.wantErrText)
			} else {
				assert.Equal(t, tt.wantStatus, err, "want the bare Status")
			}
			checkFreed(t, f, tt.wantAllocs)
		})
	}
}

func TestDel(t *testing.T) {
	for _, st := range []sessionapi.Status{0, sessionapi.NERR_ClientNameNotFound, sessionapi.ERROR_ACCESS_DENIED, sessionapi.NCA_S_OP_RNG_ERROR} {
		f := newFake(sessionapi.X64)
		f.del = func(*call) uint32 { return uint32(st) }
		err := (&API{procs: f}).NetSessionDel(context.Background(), `\\srv`, "", "bob")
		if st == 0 {
			require.NoError(t, err, "NetSessionDel answered NERR_Success")
		} else {
			assert.Equal(t, st, err, "NetSessionDel answered %v", st)
		}
		require.Len(t, f.calls, 1)
		c := f.calls[0]
		assert.Nil(t, c.client, "empty UncClientName must be passed as NULL")
		require.NotNil(t, c.server)
		require.NotNil(t, c.user)
		assert.Equal(t, `\\srv`, *c.server)
		assert.Equal(t, "bob", *c.user)
		assert.Equal(t, 0, f.allocations())
	}
}
