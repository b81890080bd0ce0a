package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// settleTimeout bounds the wait for Samba to drop the sessions of client processes that have
// exited (its smbd children end a moment after the TCP connection does).
const settleTimeout = 10 * time.Second

// target is one server the differential asks: the live Samba or the served fake.
type target struct {
	name string
	host string
	port int
}

// TestDifferentialSamba asks a live Samba and the served fake's samba profile, holding the same
// sessions, the same questions with rpcclient and impacket, and requires the same answers
// (times aside). The fake's sessions are Samba's own listing of its seeded sessions, as the
// recording tests seed theirs.
func TestDifferentialSamba(t *testing.T) {
	summary(t, "differential vs Samba (all checks)")
	env := sambaenv.ForTest(t)
	rpcclient := tool(t, "rpcclient")
	py := python(t)
	ctx := t.Context()

	seeds := []struct {
		user, addr string
		files      int
	}{{"alice", "127.0.0.2", 2}, {"bob", "127.0.0.3", 1}, {"alice", "127.0.0.3", 0}, {"guest", "127.0.0.4", 0}, {"", "127.0.0.5", 0}}
	// Live tests of other packages seed from the same addresses; Samba drops their sessions a
	// moment after they close, so wait for that first.
	settleClient(t, env, "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
	for _, seed := range seeds {
		s, err := env.OpenSession(ctx, seed.user, seed.addr, seed.files)
		require.NoError(t, err, "seed session %s@%s", seed.user, seed.addr)
		t.Cleanup(func() { _ = s.Close(ctx) })
	}
	pw := map[string]string{}
	for _, u := range []string{env.Admin, env.DelAdmin, env.Plain} {
		p, err := env.Password(u)
		require.NoError(t, err)
		pw[u] = p
	}
	samba := target{name: "Samba", host: env.Host, port: env.Port}

	// Samba's own listing seeds the fake; the enumerator's own session (from 127.0.0.1) is not a
	// seed: the fake makes one for each client that connects, as Samba does.
	settle(t, env)
	listing := impacketRun(t, py, samba, env.Admin, pw[env.Admin], "enum", "1")
	require.Len(t, listing, 1)
	require.Equal(t, sessionapi.NERR_Success, listing[0].Status, "Samba's listing as %s", env.Admin)
	type sessionYAML struct {
		Client    string   `yaml:"client"`
		User      string   `yaml:"user"`
		OpenFiles uint32   `yaml:"open_files"`
		Flags     []string `yaml:"flags,omitempty"`
	}
	var sessions []sessionYAML
	for _, e := range listing[0].Entries {
		if strings.TrimPrefix(e.CName, `\\`) == "127.0.0.1" {
			continue
		}
		s := sessionYAML{Client: e.CName, User: e.User, OpenFiles: e.Opens}
		if e.Flags&uint32(sessionapi.SessGuest) != 0 {
			s.Flags = []string{"SESS_GUEST"}
		}
		sessions = append(sessions, s)
	}
	require.Len(t, sessions, len(seeds), "Samba lists every seed session:\n%v", listing[0])
	type callerYAML struct {
		Name     string `yaml:"name"`
		Role     string `yaml:"role"`
		Password string `yaml:"password"`
	}
	spec := map[string]any{
		"name":        "interop-samba-differential",
		"description": "The sessions a live Samba listed, served with the samba profile.",
		"server":      map[string]any{"name": "SESSIONSIM", "profile": "samba"},
		"sessions":    sessions,
		"callers": []callerYAML{
			{env.Admin, "administrator", pw[env.Admin]},
			{env.DelAdmin, "domain-admin", pw[env.DelAdmin]},
			{env.Plain, "user", pw[env.Plain]},
		},
	}
	data, err := yaml.Marshal(spec)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "samba-differential.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	s := serve(t, path)
	fakeT := target{name: "served fake", host: s.Host, port: s.Port}

	// compare asks both the same question and requires the same answers, order aside: Samba
	// lists sessions in the order of its session database (a hash table), not in the order they
	// came. The client's own session is compared too; other sessions from 127.0.0.1 (an earlier
	// client process Samba has not dropped yet) are left out.
	compare := func(t *testing.T, user string, ask func(target) []answer) {
		t.Helper()
		settle(t, env)
		want := ask(samba)
		got := ask(fakeT)
		require.Len(t, got, len(want))
		for i := range want {
			w, g := sorted(strays(want[i], user)), sorted(strays(got[i], user))
			assert.Equal(t, w.String(), g.String(), "answer %d: -Samba +served fake (times aside)", i+1)
		}
	}
	impacket := func(user string, args ...string) func(target) []answer {
		return func(tg target) []answer { return impacketRun(t, py, tg, user, pw[user], args...) }
	}
	rpc := func(user string, commands ...string) func(target) []answer {
		return func(tg target) []answer {
			var as []answer
			for _, c := range commands {
				out, _ := run(t, []string{"PASSWD=" + pw[user]}, rpcclient, "-d", "10", "-U", user, "-p", fmt.Sprint(tg.port), tg.host, "-c", c)
				fn := "srvsvc_NetSessEnum"
				if strings.HasPrefix(c, "netsessdel") {
					fn = "srvsvc_NetSessDel"
				}
				a, err := parseRpcclient(out, fn)
				require.NoError(t, err, "rpcclient -c %q against %s:\n%s", c, tg.name, tail(out))
				as = append(as, a)
			}
			return as
		}
	}

	t.Run("impacket enum", func(t *testing.T) {
		summary(t, "differential impacket hNetrSessionEnum levels 0/1/2/10/502 and filters vs Samba")
		compare(t, env.Admin, impacket(env.Admin, "enum", "0", "enum", "1", "enum", "2", "enum", "10", "enum", "502",
			"enum", "1", `\\127.0.0.2`, "alice", "enum", "0", `\\no-such-client`, "nobody"))
	})
	t.Run("impacket plain user", func(t *testing.T) {
		summary(t, "differential impacket hNetrSessionEnum as a plain user vs Samba")
		compare(t, env.Plain, impacket(env.Plain, "enum", "1", "enum", "10"))
	})
	t.Run("impacket guest and anonymous", func(t *testing.T) {
		summary(t, "differential impacket hNetrSessionEnum as guest (unknown user) and anonymous vs Samba")
		pw["no-such-user"], pw[""] = "any-password", ""
		compare(t, "nobody", impacket("no-such-user", "enum", "1", "enum", "0"))
		compare(t, "nobody", impacket("", "enum", "1", "enum", "0"))
	})
	t.Run("rpcclient netsessenum", func(t *testing.T) {
		summary(t, "differential rpcclient netsessenum vs Samba")
		cmds := []string{"netsessenum"}
		for _, level := range levels {
			cmds = append(cmds, fmt.Sprintf("netsessenum %s alice %d", rpcclientArg(`\\127.0.0.2`), level))
		}
		compare(t, env.Admin, rpc(env.Admin, cmds...))
	})
	t.Run("rpcclient plain user", func(t *testing.T) {
		summary(t, "differential rpcclient netsessenum as a plain user vs Samba")
		compare(t, env.Plain, rpc(env.Plain, "netsessenum"))
	})
	t.Run("rpcclient netsessdel not a domain admin", func(t *testing.T) {
		summary(t, "differential rpcclient netsessdel as an administrator vs Samba")
		compare(t, env.Admin, rpc(env.Admin, "netsessdel "+rpcclientArg(`\\127.0.0.3`)+" bob"))
	})
	t.Run("smbtorture", func(t *testing.T) {
		const test = "rpc.srvsvc.srvsvc (admin access).NetSessEnum"
		summary(t, "differential smbtorture "+test+" vs Samba")
		bin := tool(t, "smbtorture")
		torture := func(tg target) string {
			out, _ := run(t, []string{"PASSWD=" + pw[env.Admin]}, bin, fmt.Sprintf(`ncacn_np:%s[\pipe\srvsvc]`, tg.host),
				"-p", fmt.Sprint(tg.port), "-U", env.Admin, test)
			return tortureLines(out)
		}
		want, got := torture(samba), torture(fakeT)
		assert.Contains(t, want, "success: ", "smbtorture against Samba:\n%s", want)
		assert.Equal(t, want, got, "smbtorture's report: -Samba +served fake")
	})
	t.Run("impacket del", func(t *testing.T) {
		summary(t, "differential impacket hNetrSessionDel vs Samba")
		compare(t, env.DelAdmin, impacket(env.DelAdmin, "del", `\\no-such-client`, "-", "del", `\\127.0.0.3`, "-"))
		// Samba ends a deleted session by messaging its smbd process, which exits a moment
		// later: wait for that before asking again.
		settleClient(t, env, "127.0.0.3")
		compare(t, env.DelAdmin, impacket(env.DelAdmin, "enum", "1"))
	})
}

// strays drops sessions from 127.0.0.1 that are not user's: clients that have exited.
func strays(a answer, user string) answer {
	return a.without(func(e entry) bool {
		return strings.TrimPrefix(e.CName, `\\`) == "127.0.0.1" && e.Level != 0 && !strings.EqualFold(e.User, user)
	})
}

// tortureLines keeps what smbtorture reports about the test (which levels, which failures, the
// verdict), not its seed and time stamps.
func tortureLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "Testing "), strings.Contains(l, " failed"), strings.HasPrefix(l, "success: "),
			strings.HasPrefix(l, "failure: "), strings.HasPrefix(l, "error: "):
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// sorted orders an answer's entries.
func sorted(a answer) answer {
	out := a
	out.Entries = slices.Clone(a.Entries)
	slices.SortStableFunc(out.Entries, func(x, y entry) int { return strings.Compare(x.String(), y.String()) })
	return out
}

// settle waits until Samba lists no session from 127.0.0.1 (smbstatus, which opens none), so
// that the next client's listing holds its own session only.
func settle(t *testing.T, env *sambaenv.Env) {
	t.Helper()
	settleClient(t, env, "127.0.0.1")
}

// settleClient waits until Samba lists no session from any of clients.
func settleClient(t *testing.T, env *sambaenv.Env, clients ...string) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		sessions, err := env.Status(t.Context(), false)
		require.NoError(t, err, "smbstatus")
		left := 0
		for _, s := range sessions {
			c := strings.TrimPrefix(s.Client, "ipv4:")
			for _, client := range clients {
				if c == client || strings.HasPrefix(c, client+":") {
					left++
				}
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("Samba still lists %d session(s) from %s after %v", left, strings.Join(clients, ", "), settleTimeout)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// impacketRun runs testdata/impacket_srvs.py against tg.
func impacketRun(t *testing.T, py string, tg target, user, pw string, args ...string) []answer {
	t.Helper()
	script := filepath.Join("testdata", "impacket_srvs.py")
	out, err := run(t, []string{"SESSIONSIM_INTEROP_PASSWORD=" + pw}, py, append([]string{script, tg.host, fmt.Sprint(tg.port), user}, args...)...)
	require.NoError(t, err, "impacket_srvs.py %s against %s:\n%s", strings.Join(args, " "), tg.name, tail(out))
	as, err := parseImpacket(out)
	require.NoError(t, err)
	return as
}
