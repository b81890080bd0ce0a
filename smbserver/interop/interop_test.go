package interop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/sessionsim/sessionsim/internal/syncbuf"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Deadlines. Every wait on a child process has one, so a hung client or server fails the test
// instead of the CI job.
const (
	buildTimeout   = 5 * time.Minute  // go build ./cmd/sessionsim on a loaded 2-core machine
	readyTimeout   = 30 * time.Second // serve: from exec to the `ready` line
	clientTimeout  = 60 * time.Second // one rpcclient / impacket / smbtorture run
	stopTimeout    = 10 * time.Second // serve: from SIGTERM to exit
	defaultServePW = "sessionsim"     // serve's default --password (a test fixture)
)

var (
	buildOnce     sync.Once
	buildDir      string
	sessionsimBin string
	buildErr      error
)

// TestMain removes the binary built by sessionsim() when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// sessionsim builds cmd/sessionsim once, on first use, so that a run in which every client is
// missing (and every check skips) costs no build.
func sessionsim(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "sessionsim-interop-")
		if buildErr == nil {
			sessionsimBin, buildErr = build(buildDir)
		}
	})
	if buildErr != nil {
		t.Fatalf("%v", buildErr)
	}
	return sessionsimBin
}

func build(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	bin := filepath.Join(dir, "sessionsim")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sessionsim/sessionsim/cmd/sessionsim")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/sessionsim: %w\n%s", err, out)
	}
	return bin, nil
}

// inCI reports CI=true: missing tools fail instead of skipping.
func inCI() bool { return os.Getenv("CI") == "true" }

// tool finds an executable or skips (fails under CI=true).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if inCI() {
			t.Fatalf("%s not found (CI=true): apt-get install smbclient samba-testsuite python3-impacket", name)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

// python finds /usr/bin/python3 with impacket importable (the Debian package), or skips.
func python(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, py, "-c", "import impacket.dcerpc.v5.srvs").CombinedOutput(); err != nil {
		if inCI() {
			t.Fatalf("impacket is not importable by %s (CI=true): %v\n%s", py, err, out)
		}
		t.Skipf("impacket is not importable by %s: %v", py, err)
	}
	return py
}

var summaryMu sync.Mutex

// summary prints the line CI greps: `interop: CLIENT CHECK: ok` or `... FAIL`, once per
// (sub)test, when it ends.
func summary(t *testing.T, what string) {
	t.Helper()
	t.Cleanup(func() {
		verdict := "ok"
		switch {
		case t.Failed():
			verdict = "FAIL"
		case t.Skipped():
			verdict = "skipped"
		}
		line := fmt.Sprintf("interop: %s: %s", what, verdict)
		summaryMu.Lock()
		defer summaryMu.Unlock()
		fmt.Println(line)
		if path := os.Getenv("SESSIONSIM_INTEROP_SUMMARY"); path != "" {
			if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintln(f, line)
				f.Close()
			}
		}
	})
}

// served is a running `sessionsim serve`.
type served struct {
	Name string // the server's name, from its `NAME HOST:PORT` line
	Host string
	Port int
	// Started is when serve printed `ready`: the served clock has run at most this long (times
	// --speed) past the scenario's start since.
	Started time.Time
	// Fleet is every server of the scenario, in the order serve printed them (Fleet[0] is
	// Name, Host, Port).
	Fleet []served
}

func (s served) PortString() string { return strconv.Itoa(s.Port) }

// serve starts `sessionsim serve --listen 127.0.0.1:0 [args] scenario` and waits for `ready`.
// Cleanup sends SIGTERM and requires exit status 0.
func serve(t *testing.T, scenario string, args ...string) served {
	t.Helper()
	bin := sessionsim(t)
	argv := append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)
	argv = append(argv, scenario)
	cmd := exec.Command(bin, argv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("sessionsim %s: %v", strings.Join(argv, " "), err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("sessionsim serve after SIGTERM: %v (want exit status 0); stderr:\n%s", err, stderr.String())
			}
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			t.Errorf("sessionsim serve did not exit within %v of SIGTERM; stderr:\n%s", stopTimeout, stderr.String())
		}
	})
	var s served
	deadline := time.After(readyTimeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("sessionsim %s exited before `ready`; stderr:\n%s", strings.Join(argv, " "), stderr.String())
			}
			if line == "ready" {
				if s.Port == 0 {
					t.Fatalf("`ready` without a `NAME HOST:PORT` line before it")
				}
				go func() { // keep draining so the server never blocks on stdout
					for range lines {
					}
				}()
				s.Started = time.Now()
				return s
			}
			name, addr, ok := strings.Cut(line, " ")
			if !ok {
				t.Fatalf("serve printed %q; want `NAME HOST:PORT` or `ready`", line)
			}
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatalf("serve printed %q: %v", line, err)
			}
			p, err := strconv.Atoi(port)
			if err != nil {
				t.Fatalf("serve printed %q: port: %v", line, err)
			}
			if s.Port == 0 {
				s.Name, s.Host, s.Port = name, host, p
			}
			s.Fleet = append(s.Fleet, served{Name: name, Host: host, Port: p})
		case <-deadline:
			t.Fatalf("sessionsim %s: no `ready` within %v; stderr:\n%s", strings.Join(argv, " "), readyTimeout, stderr.String())
		}
	}
}

// run runs a client with a deadline and extra environment; it returns stdout+stderr and the
// exit error (an *exec.ExitError for a non-zero status is not a test failure by itself).
func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no exit within %v\n%s", name, strings.Join(args, " "), clientTimeout, out)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), err
}

var _ io.Writer = (*syncbuf.Buffer)(nil)
