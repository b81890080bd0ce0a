package windowstest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// writeEnv writes an env file as setup.ps1 does (CRLF, UTF-8 without BOM) and its passwords
// file, and returns the env file's path.
func writeEnv(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwords")
	require.NoError(t, os.WriteFile(pw, []byte("ssadmin=Aa1!x=y\r\nalice=Bb2!\r\nbob=Cc3!\r\nplain=Dd4!\r\n"), 0o600))
	env := "SESSIONSIM_WINDOWS_HOST=127.0.0.1\r\nSESSIONSIM_WINDOWS_PORT=445\r\nSESSIONSIM_WINDOWS_DIR=" + dir + "\r\n" +
		"SESSIONSIM_WINDOWS_SHARE=sessionsim\r\nSESSIONSIM_WINDOWS_ADMIN=ssadmin\r\nSESSIONSIM_WINDOWS_DELADMIN=ssadmin\r\n" +
		"SESSIONSIM_WINDOWS_PLAIN=plain\r\nSESSIONSIM_WINDOWS_SEEDS=alice,bob,plain\r\n" + extra +
		"SESSIONSIM_WINDOWS_PASSWORDS=" + pw + "\r\n"
	path := filepath.Join(dir, "env")
	require.NoError(t, os.WriteFile(path, []byte(env), 0o644))
	return path
}

func loadEnv(t *testing.T, extra string) *sambaenv.Env {
	t.Helper()
	env, err := sambaenv.Windows.Load(writeEnv(t, extra))
	require.NoError(t, err)
	return env
}

func TestLoadWindowsEnv(t *testing.T) {
	env := loadEnv(t, "")
	assert.Equal(t, "127.0.0.1", env.Host)
	assert.Equal(t, 445, env.Port)
	assert.Equal(t, "sessionsim", env.Share)
	assert.Equal(t, "ssadmin", env.Admin)
	assert.Equal(t, "plain", env.Plain)
	assert.Empty(t, env.SrvOp)
	assert.Equal(t, []string{"alice", "bob", "plain"}, env.Seeds)
	pw, err := env.Password("ssadmin")
	require.NoError(t, err)
	assert.Equal(t, "Aa1!x=y", pw, "a password may hold '='; CRLF is not part of it")
	cfg := env.Config("alice", "127.78.1.4")
	assert.Equal(t, "Bb2!", cfg.Password)
	assert.Equal(t, 445, cfg.Port)
}

func TestLoadWindowsEnvRejectsSambaKeysAndGaps(t *testing.T) {
	dir := t.TempDir()
	samba := filepath.Join(dir, "env")
	require.NoError(t, os.WriteFile(samba, []byte("SESSIONSIM_SAMBA_HOST=127.0.0.1\nSESSIONSIM_SAMBA_PORT=4455\n"), 0o644))
	_, err := sambaenv.Windows.Load(samba)
	assert.ErrorContains(t, err, "SESSIONSIM_WINDOWS_PORT", "a Samba env file is not a Windows one")

	noPw := filepath.Join(dir, "nopw")
	require.NoError(t, os.WriteFile(noPw, []byte("SESSIONSIM_WINDOWS_HOST=h\nSESSIONSIM_WINDOWS_PORT=445\nSESSIONSIM_WINDOWS_SHARE=s\n"+
		"SESSIONSIM_WINDOWS_ADMIN=a\nSESSIONSIM_WINDOWS_DELADMIN=a\nSESSIONSIM_WINDOWS_PLAIN=p\n"), 0o644))
	_, err = sambaenv.Windows.Load(noPw)
	assert.ErrorContains(t, err, "SESSIONSIM_WINDOWS_PASSWORDS")

	_, err = Load(filepath.Join(dir, "missing"), Netapi)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestAccountPerRole(t *testing.T) {
	env := loadEnv(t, "")
	for _, c := range []struct {
		role fake.Role
		want string
	}{{fake.Administrator, "ssadmin"}, {fake.User, "plain"}, {fake.Anonymous, ""}} {
		got, err := Account(env, c.role)
		require.NoError(t, err, "Account(%v)", c.role)
		assert.Equal(t, c.want, got, "Account(%v)", c.role)
	}
	for _, r := range []fake.Role{fake.DomainAdmin, fake.Guest, fake.ServerOperator, fake.Role(99)} {
		_, err := Account(env, r)
		assert.ErrorIs(t, err, conformance.ErrUnsupported, "Account(%v) on a workgroup machine", r)
	}
	withOp := loadEnv(t, "SESSIONSIM_WINDOWS_SRVOP=ssop\r\n")
	got, err := Account(withOp, fake.ServerOperator)
	require.NoError(t, err)
	assert.Equal(t, "ssop", got)
}

// Every role needs a name of its own for this machine (one name, two accounts: 1219), on
// loopback, and not 127.0.0.1, which the harness's seeds and other tools use.
func TestRoleServerIsALoopbackNamePerRole(t *testing.T) {
	seen := map[string]fake.Role{}
	for _, r := range fake.Roles() {
		s := RoleServer(r)
		ip := net.ParseIP(s)
		require.NotNil(t, ip, "RoleServer(%v) = %q; want an IP address", r, s)
		assert.True(t, ip.IsLoopback(), "RoleServer(%v) = %s; want a loopback address", r, s)
		assert.NotEqual(t, "127.0.0.1", s, "RoleServer(%v)", r)
		if prev, dup := seen[s]; dup {
			t.Errorf("RoleServer(%v) = RoleServer(%v) = %s; want one name per role", r, prev, s)
		}
		seen[s] = r
	}
}

func TestSeedAddressesDoNotMeetRoleAddresses(t *testing.T) {
	for block := 1; block <= 250; block += 83 {
		for client := 1; client <= 254; client += 31 {
			a := seedAddr(block, client)
			require.True(t, net.ParseIP(a).IsLoopback(), "seedAddr(%d, %d) = %s", block, client, a)
			for _, r := range fake.Roles() {
				assert.NotEqual(t, a, srvsvcRoleAddr(block, r))
				assert.NotEqual(t, a, RoleServer(r))
			}
		}
	}
}

func TestViaString(t *testing.T) {
	assert.Equal(t, "netapi", Netapi.String())
	assert.Equal(t, "srvsvc", Srvsvc.String())
	assert.Equal(t, "Via(0)", Via(0).String())
}

// listFunc serves a fixed sequence of Get-SmbSession answers, the last one repeated.
type listFunc struct {
	answers [][]SmbSession
	calls   int
}

func (l *listFunc) list(ctx context.Context) ([]SmbSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := l.answers[min(l.calls, len(l.answers)-1)]
	l.calls++
	return a, nil
}

func TestSessionsMarksSeedsAndKeepsTheRest(t *testing.T) {
	l := &listFunc{answers: [][]SmbSession{{
		{ClientComputerName: "127.77.5.1", ClientUserName: `WS\alice`, NumOpens: 2},
		{ClientComputerName: "127.77.5.1", ClientUserName: `WS\bob`},
		{ClientComputerName: "127.0.0.1", ClientUserName: `WS\ssadmin`, NumOpens: 1},
	}}}
	h := &harness{env: loadEnv(t, ""), via: Netapi, block: 5, list: l.list, apis: map[fake.Role]roleAPI{}}
	h.seeds = []*seed{{obs: conformance.Observed{ClientName: "127.77.5.1", UserName: "alice", OpenFiles: 2, Seeded: true}, sess: &sambaenv.Session{}}}
	got, err := h.Sessions(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []conformance.Observed{
		{ClientName: "127.77.5.1", UserName: "alice", OpenFiles: 2, Seeded: true},
		{ClientName: "127.77.5.1", UserName: "bob"},
		{ClientName: "127.0.0.1", UserName: "ssadmin", OpenFiles: 1},
	}, got)
}

func TestCloseWaitsUntilTheSeedsAreGone(t *testing.T) {
	seedSess := SmbSession{ClientComputerName: "127.77.9.1", ClientUserName: `WS\alice`}
	other := SmbSession{ClientComputerName: "127.0.0.1", ClientUserName: `WS\ssadmin`}
	l := &listFunc{answers: [][]SmbSession{{seedSess, other}, {seedSess, other}, {other}}}
	h := &harness{env: loadEnv(t, ""), via: Netapi, block: 9, list: l.list, apis: map[fake.Role]roleAPI{}}
	h.seeds = []*seed{{obs: conformance.Observed{ClientName: "127.77.9.1", UserName: "alice", Seeded: true}, sess: &sambaenv.Session{}}}
	require.NoError(t, h.Close(t.Context()))
	assert.Equal(t, 3, l.calls, "Get-SmbSession runs until the seed's session is gone, and no longer")

	// A seed that never goes away: Close gives up when its context ends, and says why.
	l = &listFunc{answers: [][]SmbSession{{seedSess}}}
	h = &harness{env: loadEnv(t, ""), via: Netapi, block: 9, list: l.list, apis: map[fake.Role]roleAPI{}}
	h.seeds = []*seed{{obs: conformance.Observed{ClientName: "127.77.9.1", UserName: "alice", Seeded: true}, sess: &sambaenv.Session{}}}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := h.Close(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCloseWithNothingToWaitForListsNothing(t *testing.T) {
	l := &listFunc{answers: [][]SmbSession{{}}}
	closed := 0
	h := &harness{env: loadEnv(t, ""), via: Netapi, block: 2, list: l.list,
		apis: map[fake.Role]roleAPI{fake.Administrator: &netapiAPI{cancel: func() error { closed++; return nil }}}}
	require.NoError(t, h.Close(t.Context()))
	assert.Equal(t, 1, closed, "the IPC$ connection is cancelled")
	assert.Zero(t, l.calls, "Netapi callers' sessions are the redirector's: Close does not wait for them")
}

func TestSeedRefusesGuestBeforeOpeningAnything(t *testing.T) {
	// The env's server is TEST-NET-1: had Seed dialled for the first session, it would have
	// failed with a connection error instead.
	env := loadEnv(t, "")
	env.Host = "192.0.2.1"
	h := &harness{env: env, via: Srvsvc, block: 3, list: (&listFunc{answers: [][]SmbSession{{}}}).list, apis: map[fake.Role]roleAPI{}}
	out, err := h.Seed(t.Context(), []conformance.SeedSession{{Client: 1, User: conformance.Alice}, {Client: 2, User: conformance.GuestUser}})
	assert.ErrorIs(t, err, conformance.ErrUnsupported)
	assert.Empty(t, out)
	assert.Empty(t, h.seeds)

	for _, bad := range []conformance.SeedSession{{Client: 0, User: conformance.Alice}, {Client: 255, User: conformance.Bob}, {Client: 1, User: conformance.Bob, OpenFiles: -1}} {
		_, err := h.Seed(t.Context(), []conformance.SeedSession{bad})
		require.Error(t, err, "Seed(%+v)", bad)
		assert.NotErrorIs(t, err, conformance.ErrUnsupported, "Seed(%+v) is a bad request, not an unsupported one", bad)
	}
}

func TestAPIRolesThisMachineCannotProvideAreUnsupported(t *testing.T) {
	for _, via := range []Via{Netapi, Srvsvc} {
		h := &harness{env: loadEnv(t, ""), via: via, block: 4, apis: map[fake.Role]roleAPI{}}
		for _, r := range []fake.Role{fake.DomainAdmin, fake.Guest, fake.ServerOperator} {
			_, err := h.API(t.Context(), r)
			assert.ErrorIs(t, err, conformance.ErrUnsupported, "%v: API(%v)", via, r)
		}
	}
}

// recorder is a SessionAPI that notes the servername of each call.
type recorder struct{ servers []string }

func (r *recorder) NetSessionEnum(_ context.Context, s, _, _ string, l sessionapi.Level, _ uint32, _ *uint32) (sessionapi.EnumResult, error) {
	r.servers = append(r.servers, s)
	return sessionapi.EnumResult{Level: l}, nil
}

func (r *recorder) NetSessionGetInfo(_ context.Context, s, _, _ string, _ sessionapi.Level) (sessionapi.Info, error) {
	r.servers = append(r.servers, s)
	return nil, sessionapi.NERR_ClientNameNotFound
}

func (r *recorder) NetSessionDel(_ context.Context, s, _, _ string) error {
	r.servers = append(r.servers, s)
	return nil
}

// The suite calls with an empty servername; netapi32 must get the role's own name instead, or
// it would call the local server with the process's token rather than the role's account.
func TestNetapiCallerNamesItsOwnServer(t *testing.T) {
	rec := &recorder{}
	a := &netapiAPI{api: rec, server: `\\` + RoleServer(fake.User)}
	ctx := t.Context()
	_, _ = a.NetSessionEnum(ctx, "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	_, _ = a.NetSessionGetInfo(ctx, "", `\\127.77.1.1`, "alice", sessionapi.Level10)
	_ = a.NetSessionDel(ctx, "", `\\127.77.1.1`, "")
	_ = a.NetSessionDel(ctx, `\\elsewhere`, "", "alice")
	assert.Equal(t, []string{`\\127.0.0.14`, `\\127.0.0.14`, `\\127.0.0.14`, `\\elsewhere`}, rec.servers)
}

func TestNewHarnessNeedsPowerShell(t *testing.T) {
	if _, err := os.Stat(`C:\Windows\System32\WindowsPowerShell`); err == nil {
		t.Skip("this machine has Windows PowerShell")
	}
	t.Setenv("PATH", t.TempDir())
	_, err := newHarness(loadEnv(t, ""), Netapi, GetSmbSessions)(t.Context())
	assert.True(t, errors.Is(err, errNoPowerShell), "newHarness without powershell.exe: %v", err)
}
