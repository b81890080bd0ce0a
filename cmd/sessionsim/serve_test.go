package main

import (
	"bufio"
	"bytes"
	"context"
	"github.com/sessionsim/sessionsim/internal/syncbuf"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// serving runs `sessionsim serve args...` in-process until the test ends, and returns the
// servers it printed (name → HOST:PORT) once it printed "ready".
func serving(t *testing.T, args ...string) (map[string]string, *syncbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, append([]string{"serve"}, args...), pw, stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, exitOK, code, "sessionsim serve exit status after its context ended; stderr:\n%s", stderr)
		case <-time.After(10 * time.Second):
			t.Error("sessionsim serve did not exit 10s after its context ended")
		}
	})
	servers := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("sessionsim serve %s ended before printing ready; stderr:\n%s", strings.Join(args, " "), stderr)
			}
			if line == "ready" {
				go func() {
					for range lines {
					}
				}()
				return servers, stderr
			}
			name, addr, ok := strings.Cut(line, " ")
			require.True(t, ok, "line %q; want NAME HOST:PORT", line)
			servers[name] = addr
		case <-timeout:
			t.Fatalf("sessionsim serve printed no ready line in 10s; stderr:\n%s", stderr)
		}
	}
}

func dialServed(t *testing.T, addr, user, password string) *srvsvc.Client {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: host, Port: port, User: user, Password: password})
	require.NoError(t, err, "srvsvc.Dial(%s as %q)", addr, user)
	t.Cleanup(func() { c.Close() })
	return c
}

func enumAll(t *testing.T, c *srvsvc.Client, server string) []sessionapi.Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.NetSessionEnum(ctx, server, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	require.NoError(t, err, "NetSessionEnum(%q, level 1)", server)
	return res.Entries
}

func TestServeBuiltin(t *testing.T) {
	servers, _ := serving(t, "--listen", "127.0.0.1:0", "guest-sessions")
	require.Len(t, servers, 1)
	addr := servers["FILESRV01"]
	require.NotEmpty(t, addr, "servers printed: %v", servers)
	c := dialServed(t, addr, "admin", defaultServePassword)
	got := enumAll(t, c, "")
	// The scenario's three sessions and the caller's own.
	var names []string
	for _, e := range got {
		s := e.(*sessionapi.SessionInfo1)
		names = append(names, s.ClientName+" "+s.UserName)
	}
	assert.ElementsMatch(t, []string{`\\10.0.0.21 alice`, `\\10.0.0.77 guest`, `\\ws-bob bob`, `\\127.0.0.1 admin`}, names)

	// Wrong password: STATUS_LOGON_FAILURE.
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := srvsvc.Dial(ctx, srvsvc.Config{Host: host, Port: port, User: "admin", Password: "wrong"})
	assert.ErrorContains(t, err, "logon is invalid", "a wrong password: STATUS_LOGON_FAILURE as go-smb2 words it")
}

func TestServeFleetAndPasswords(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`name: two
servers:
  - name: ONE
    profile: windows
    sessions:
      - {client: 10.0.0.1, user: alice, age: 1h, idle: 1m}
  - name: TWO
    profile: samba
    sessions:
      - {client: 10.0.0.2, user: bob, age: 1h, idle: 1m}
      - {id: gone, client: 10.0.0.3, user: carol, age: 1h, idle: 1m}
callers:
  - {name: admin, role: domain-admin, password: own-secret}
  - {name: ops, role: administrator}
timeline:
  - {at: 1m, disconnect: gone}
`), 0o600))
	// --speed 1200: the 1m event is due after 50ms.
	servers, _ := serving(t, "--listen", "127.0.3.1:0", "--password", "pw-flag", "--speed", "1200", file)
	require.Len(t, servers, 2)
	assert.True(t, strings.HasPrefix(servers["ONE"], "127.0.3.1:"), "ONE at %s", servers["ONE"])
	assert.True(t, strings.HasPrefix(servers["TWO"], "127.0.3.2:"), "TWO at %s", servers["TWO"])

	one := dialServed(t, servers["ONE"], "admin", "own-secret")
	assert.Len(t, enumAll(t, one, `\\ONE`), 2, "ONE's session and the caller's")
	two := dialServed(t, servers["TWO"], "ops", "pw-flag")
	assert.Eventually(t, func() bool { return len(enumAll(t, two, "TWO")) == 2 }, 5*time.Second, 20*time.Millisecond,
		"TWO after the timeline's disconnect at 1m: bob and the caller")
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "--listen", "10.1.2.3:4455", "guest-sessions"},
		{"serve", "--listen", "nohost", "guest-sessions"},
		{"serve", "--speed", "0", "guest-sessions"},
		{"serve", "--listen", "127.0.0.1:0", "no-such-scenario"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		assert.Equal(t, exitUsage, code, "sessionsim %s; stderr: %s", strings.Join(args, " "), stderr.String())
		assert.NotContains(t, stdout.String(), "ready")
	}
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, run([]string{"serve", "--help"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "--allow-remote")
}

// TestServeListenFailure: a listen that fails exits 3 (exitListen), with a hint naming the
// real cause: a port in use here, file descriptors in TestServeOutOfFileDescriptors.
func TestServeListenFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"serve", "--listen", l.Addr().String(), "busy-file-server"}, &stdout, &stderr)
	assert.Equal(t, exitListen, code, "sessionsim serve --listen %s (in use); stderr: %s", l.Addr(), stderr.String())
	assert.Equal(t, 3, exitListen, "the documented status of a failed listen")
	assert.Contains(t, stderr.String(), "is in use")
	assert.NotContains(t, stderr.String(), "loopback addresses", "a hint about a cause that is not the one")
	assert.NotContains(t, stdout.String(), "ready")
	var help bytes.Buffer
	run([]string{"serve", "--help"}, &help, &help)
	assert.Contains(t, help.String(), "3 a server could not listen", "serve --help documents the status")
}

// TestServeOutOfFileDescriptors runs `sessionsim serve` of a 100-server fleet in a child
// process whose open-file limit is 64 (sh's ulimit -n): exit 3 and a message that names file
// descriptors, the limit and ulimit -n, not loopback addresses.
func TestServeOutOfFileDescriptors(t *testing.T) {
	if os.Getenv("SESSIONSIM_SERVE_CHILD") != "" {
		os.Exit(run(strings.Fields(os.Getenv("SESSIONSIM_SERVE_CHILD")), os.Stdout, os.Stderr))
	}
	sh, err := exec.LookPath("sh")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("needs a Unix sh for ulimit -n")
	}
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet100.yaml")
	require.NoError(t, os.WriteFile(fleet, []byte("name: fleet100\ndescription: a hundred empty servers\n"+
		"servers:\n  - name: 'S{n}'\n    count: 100\ncallers:\n  - {name: auditor, role: administrator}\n"), 0o600))
	cmd := exec.Command(sh, "-c", `ulimit -n 64 && exec "$0" -test.run='^TestServeOutOfFileDescriptors$'`, os.Args[0])
	cmd.Env = append(os.Environ(), "SESSIONSIM_SERVE_CHILD=serve --listen 127.0.3.1:0 "+fleet)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "sessionsim serve of 100 servers under ulimit -n 64; output:\n%s", out)
	assert.Equal(t, exitListen, ee.ExitCode(), "exit status; output:\n%s", out)
	for _, want := range []string{"too many open files", "out of file descriptors", "open-file limit of 64", "ulimit -n"} {
		assert.Contains(t, string(out), want)
	}
	assert.NotContains(t, string(out), "loopback addresses")
}
