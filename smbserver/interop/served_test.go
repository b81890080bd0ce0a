package interop

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// windowsScenario is served to the clients; the same file loaded in-process says what they
// must get.
var windowsScenario = filepath.Join("testdata", "windows.yaml")

// Accounts of testdata/windows.yaml: admin has serve's default password, plain its own.
const (
	adminUser, adminPW = "admin", defaultServePW
	plainUser, plainPW = "plain", "plain-pw"
)

// Levels are the five NetrSessionEnum information levels.
var levels = []int{0, 1, 2, 10, 502}

// inProcess loads a scenario into an in-process fake and returns it as caller.
func inProcess(t *testing.T, path string, role fake.Role, name string) sessionapi.SessionAPI {
	t.Helper()
	srv, _, err := scenarios.LoadFile(path)
	require.NoError(t, err)
	return srv.AsCaller(fake.Caller{Role: role, Name: name, ClientName: "127.0.0.1"})
}

// rpcclientRun runs one rpcclient command at debug level 10 (its NDR print is the only place it
// shows the entries). The password goes through PASSWD, not argv.
func rpcclientRun(t *testing.T, bin string, s served, user, pw, command string) (string, error) {
	t.Helper()
	return run(t, []string{"PASSWD=" + pw}, bin, "-d", "10", "-U", user, "-p", s.PortString(), s.Host, "-c", command)
}

// rpcclientArg escapes a backslash for rpcclient's -c parser, which halves them.
func rpcclientArg(s string) string { return strings.ReplaceAll(s, `\`, `\\`) }

// checkOwnSession asserts that a listing holds the client's own session exactly once.
func checkOwnSession(t *testing.T, a answer, user string) {
	t.Helper()
	n := 0
	for _, e := range a.Entries {
		if ownSession(user)(e) {
			n++
			if e.Level != 0 && e.Level != 10 {
				assert.GreaterOrEqual(t, e.Opens, uint32(1), "own session %v: num_opens counts the open srvsvc pipe", e)
			}
		}
	}
	assert.Equal(t, 1, n, "the client's own session (127.0.0.1, %s) is listed once, as Windows lists it; got\n%v", user, a)
}

func TestRpcclient(t *testing.T) {
	summary(t, "rpcclient (all checks)")
	bin := tool(t, "rpcclient")
	s := serve(t, windowsScenario)
	admin := inProcess(t, windowsScenario, fake.Administrator, adminUser)
	ctx := t.Context()

	t.Run("netsessenum", func(t *testing.T) {
		summary(t, "rpcclient netsessenum level=1 (no filters)")
		out, _ := rpcclientRun(t, bin, s, adminUser, adminPW, "netsessenum")
		got, err := parseRpcclient(out, "srvsvc_NetSessEnum")
		require.NoError(t, err, "rpcclient output:\n%s", tail(out))
		t.Logf("rpcclient netsessenum: %v", got)
		checkOwnSession(t, got, adminUser)
		want := expectEnum(ctx, admin, "", "", 1).without(ownSession(adminUser))
		assert.Equal(t, want.String(), got.without(ownSession(adminUser)).String(), "rpcclient netsessenum vs the fake in-process (own session and times aside)")
		checkTimes(t, s, want, got.without(ownSession(adminUser)))
	})
	for _, level := range levels {
		t.Run(fmt.Sprintf("level=%d", level), func(t *testing.T) {
			summary(t, fmt.Sprintf("rpcclient netsessenum level=%d", level))
			// rpcclient passes a level only after a client and a user filter.
			out, _ := rpcclientRun(t, bin, s, adminUser, adminPW, fmt.Sprintf("netsessenum %s alice %d", rpcclientArg(`\\10.0.0.22`), level))
			got, err := parseRpcclient(out, "srvsvc_NetSessEnum")
			require.NoError(t, err, "rpcclient output:\n%s", tail(out))
			want := expectEnum(ctx, admin, `\\10.0.0.22`, "alice", level)
			require.Len(t, want.Entries, 1, "the scenario holds alice@10.0.0.22 once")
			assert.Equal(t, want.String(), got.String(), `netsessenum \\10.0.0.22 alice %d`, level)
		})
	}
	t.Run("plain user", func(t *testing.T) {
		summary(t, "rpcclient netsessenum as a plain user")
		plain := inProcess(t, windowsScenario, fake.User, plainUser)
		out, _ := rpcclientRun(t, bin, s, plainUser, plainPW, "netsessenum")
		got, err := parseRpcclient(out, "srvsvc_NetSessEnum")
		require.NoError(t, err, "rpcclient output:\n%s", tail(out))
		want := expectEnum(ctx, plain, "", "", 1)
		assert.Equal(t, want.Status, got.Status, "status for a plain user")
	})
	t.Run("anonymous", func(t *testing.T) {
		summary(t, "rpcclient netsessenum anonymous (null session)")
		out, _ := run(t, nil, bin, "-d", "10", "-N", "-U", "", "-p", s.PortString(), s.Host, "-c", "netsessenum")
		got, err := parseRpcclient(out, "srvsvc_NetSessEnum")
		require.NoError(t, err, "rpcclient output:\n%s", tail(out))
		anon := inProcess(t, windowsScenario, fake.Anonymous, "")
		assert.Equal(t, expectEnum(ctx, anon, "", "", 1).Status, got.Status, "status for a null session")
	})
	t.Run("wrong password", func(t *testing.T) {
		summary(t, "rpcclient wrong password")
		out, err := rpcclientRun(t, bin, s, adminUser, "not-the-password", "netsessenum")
		assert.Error(t, err, "rpcclient with a wrong password exits non-zero")
		assert.Contains(t, out, "NT_STATUS_LOGON_FAILURE")
	})
	t.Run("NTLMv1 refused", func(t *testing.T) {
		summary(t, "rpcclient NTLMv1 refused")
		out, err := run(t, []string{"PASSWD=" + adminPW}, bin, "--option=client ntlmv2 auth=no", "--option=client lanman auth=no",
			"-U", adminUser, "-p", s.PortString(), s.Host, "-c", "netsessenum")
		assert.Error(t, err, "rpcclient with NTLMv1 exits non-zero")
		assert.Contains(t, out, "NT_STATUS_LOGON_FAILURE", "the served fake accepts NTLMv2 only")
	})
	t.Run("netsessdel", func(t *testing.T) {
		summary(t, "rpcclient netsessdel")
		out, _ := rpcclientRun(t, bin, s, adminUser, adminPW, "netsessdel "+rpcclientArg(`\\10.0.0.21`)+" alice")
		got, err := parseRpcclient(out, "srvsvc_NetSessDel")
		require.NoError(t, err, "rpcclient output:\n%s", tail(out))
		wantErr := admin.NetSessionDel(ctx, "", `\\10.0.0.21`, "alice")
		assert.Equal(t, statusOf(wantErr), got.Status, `netsessdel \\10.0.0.21 alice`)
		out, _ = rpcclientRun(t, bin, s, adminUser, adminPW, "netsessenum")
		after, err := parseRpcclient(out, "srvsvc_NetSessEnum")
		require.NoError(t, err, "rpcclient output:\n%s", tail(out))
		want := expectEnum(ctx, admin, "", "", 1).without(ownSession(adminUser))
		assert.Equal(t, want.String(), after.without(ownSession(adminUser)).String(), "the listing after netsessdel")
		// Again: nothing left to match.
		out, _ = rpcclientRun(t, bin, s, adminUser, adminPW, "netsessdel "+rpcclientArg(`\\10.0.0.21`)+" alice")
		again, err := parseRpcclient(out, "srvsvc_NetSessDel")
		require.NoError(t, err, "rpcclient output:\n%s", tail(out))
		assert.Equal(t, statusOf(admin.NetSessionDel(ctx, "", `\\10.0.0.21`, "alice")), again.Status, "netsessdel of a session already gone")
	})
}

func TestImpacket(t *testing.T) {
	summary(t, "impacket (all checks)")
	py := python(t)
	s := serve(t, windowsScenario)
	admin := inProcess(t, windowsScenario, fake.Administrator, adminUser)
	ctx := t.Context()
	tg := target{name: "served fake", host: s.Host, port: s.Port}
	imp := func(t *testing.T, user, pw string, args ...string) []answer {
		t.Helper()
		return impacketRun(t, py, tg, user, pw, args...)
	}
	for _, level := range levels {
		t.Run(fmt.Sprintf("level=%d", level), func(t *testing.T) {
			summary(t, fmt.Sprintf("impacket hNetrSessionEnum level=%d", level))
			as := imp(t, adminUser, adminPW, "enum", fmt.Sprint(level), "enum", fmt.Sprint(level), `\\10.0.0.22`, "alice")
			require.Len(t, as, 2)
			checkOwnSession(t, as[0], adminUser)
			want := expectEnum(ctx, admin, "", "", level).without(ownSession(adminUser))
			assert.Equal(t, want.String(), as[0].without(ownSession(adminUser)).String(), "hNetrSessionEnum(NULL, NULL, %d)", level)
			checkTimes(t, s, want, as[0].without(ownSession(adminUser)))
			want = expectEnum(ctx, admin, `\\10.0.0.22`, "alice", level)
			assert.Equal(t, want.String(), as[1].String(), `hNetrSessionEnum(\\10.0.0.22, alice, %d)`, level)
		})
	}
	t.Run("plain user", func(t *testing.T) {
		summary(t, "impacket hNetrSessionEnum as a plain user")
		plain := inProcess(t, windowsScenario, fake.User, plainUser)
		as := imp(t, plainUser, plainPW, "enum", "10", "enum", "1")
		require.Len(t, as, 2)
		for i, level := range []int{10, 1} {
			assert.Equal(t, expectEnum(ctx, plain, "", "", level).without(ownSession(plainUser)).String(), as[i].without(ownSession(plainUser)).String(), "plain user, level %d", level)
		}
	})
	t.Run("hNetrSessionDel", func(t *testing.T) {
		summary(t, "impacket hNetrSessionDel")
		as := imp(t, adminUser, adminPW, "del", `\\10.0.0.22`, "-", "enum", "1", "del", `\\10.0.0.99`, "-")
		require.Len(t, as, 3)
		assert.Equal(t, statusOf(admin.NetSessionDel(ctx, "", `\\10.0.0.22`, "")), as[0].Status, `hNetrSessionDel(\\10.0.0.22, NULL)`)
		want := expectEnum(ctx, admin, "", "", 1).without(ownSession(adminUser))
		assert.Equal(t, want.String(), as[1].without(ownSession(adminUser)).String(), "the listing after hNetrSessionDel")
		assert.Equal(t, statusOf(admin.NetSessionDel(ctx, "", `\\10.0.0.99`, "")), as[2].Status, `hNetrSessionDel(\\10.0.0.99, NULL): no such client`)
	})
	t.Run("wrong password", func(t *testing.T) {
		summary(t, "impacket wrong password")
		out, err := run(t, []string{"SESSIONSIM_INTEROP_PASSWORD=wrong"}, py, filepath.Join("testdata", "impacket_srvs.py"), s.Host, s.PortString(), adminUser, "enum", "1")
		assert.Error(t, err)
		assert.Contains(t, out, "STATUS_LOGON_FAILURE")
	})
}

func TestSmbtorture(t *testing.T) {
	const test = "rpc.srvsvc.srvsvc (admin access).NetSessEnum"
	summary(t, "smbtorture "+test)
	bin := tool(t, "smbtorture")
	s := serve(t, windowsScenario)
	out, err := run(t, []string{"PASSWD=" + adminPW}, bin, fmt.Sprintf(`ncacn_np:%s[\pipe\srvsvc]`, s.Host), "-p", s.PortString(),
		"-U", adminUser, test)
	require.NoError(t, err, "smbtorture:\n%s", out)
	assert.Contains(t, out, "success: srvsvc (admin access).NetSessEnum", "smbtorture:\n%s", out)
	for _, level := range levels {
		assert.Contains(t, out, fmt.Sprintf("Testing NetSessEnum level %d", level))
	}
	assert.NotContains(t, out, "NetSessEnum failed", "the windows profile answers every level")
}

// TestFleet serves the built-in fleet-audit scenario on consecutive loopback addresses and asks
// each server, by its own address, what it holds, with impacket.
func TestFleet(t *testing.T) {
	summary(t, "impacket fleet-audit: every server of a fleet on its own address")
	py := python(t)
	s := serve(t, "fleet-audit", "--listen", "127.0.1.1:0")
	_, sc, err := scenarios.Load("fleet-audit")
	require.NoError(t, err)
	fakes := sc.Servers()
	require.Len(t, s.Fleet, len(fakes), "serve prints one `NAME HOST:PORT` line per server")
	ctx := t.Context()
	for i, srv := range s.Fleet {
		assert.Equal(t, fakes[i].Name(), srv.Name, "server %d", i)
		assert.Equal(t, fmt.Sprintf("127.0.1.%d", i+1), srv.Host, "server %d: consecutive loopback addresses from --listen", i)
		as := impacketRun(t, py, target{name: srv.Name, host: srv.Host, port: srv.Port}, "admin", defaultServePW, "enum", "10")
		require.Len(t, as, 1)
		api := fakes[i].AsCaller(fake.Caller{Role: fake.DomainAdmin, Name: "admin"})
		want := expectEnum(ctx, api, "", "", 10).without(ownSession("admin"))
		assert.Equal(t, want.String(), as[0].without(ownSession("admin")).String(), "%s (%s): hNetrSessionEnum(level 10) as admin", srv.Name, srv.Host)
	}
}

// checkTimes compares the times of entries that String leaves out: the served clock started
// at the scenario's start when serve printed `ready`, so each served time and idle time is the
// in-process one plus at most the seconds since (and a second of rounding).
func checkTimes(t *testing.T, s served, want, got answer) {
	t.Helper()
	if len(want.Entries) != len(got.Entries) {
		return // the listing comparison has failed already
	}
	slack := uint32(time.Since(s.Started)/time.Second) + 1
	for i, w := range want.Entries {
		g := got.Entries[i]
		if w.Level == 0 {
			continue
		}
		for _, f := range []struct {
			name      string
			want, got uint32
		}{{"time", w.Time, g.Time}, {"idle_time", w.Idle, g.Idle}} {
			if f.got < f.want || f.got > f.want+slack {
				t.Errorf("entry %d %v: %s = %d; want %d..%d (the scenario's value plus the %d s the served clock has run)", i, g, f.name, f.got, f.want, f.want+slack, slack-1)
			}
		}
	}
}

// tail keeps the end of a long client output for a failure message.
func tail(s string) string {
	const max = 6000
	if len(s) > max {
		return "...\n" + s[len(s)-max:]
	}
	return s
}
