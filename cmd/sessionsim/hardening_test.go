package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// fullWriter fails every write, as stdout redirected to /dev/full does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) {
	return 0, errors.New("write /dev/stdout: no space left on device")
}

// TestExitCodeWriteErrors: every command reports a failed write to stdout and exits non-zero
// (issue 9 class 5: validate, scenarios, enum and record exited 0 on /dev/full).
func TestExitCodeWriteErrors(t *testing.T) {
	srv, _, err := scenarios.Load("legacy-windows")
	require.NoError(t, err)
	withLive(t, srv.As(fake.Administrator), srv.Now)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	for _, args := range [][]string{
		{"replay", "guest-sessions"},
		{"replay", "-o", "yaml", "guest-sessions"},
		{"replay", "-o", "json", "guest-sessions"},
		{"validate", "guest-sessions"},
		{"scenarios"},
		{"scenarios", "samba"},
		{"enum", "--server", "OLDSRV", "--user", "admin"},
		{"enum", "--server", "OLDSRV", "--user", "admin", "-o", "yaml"},
		{"enum", "--server", "OLDSRV", "--server", "OLDSRV2", "--user", "admin", "-o", "jsonl"},
		{"record", "--server", "OLDSRV", "--user", "admin"},
		{"sweep", "fleet-audit"},
		{"--help"},
	} {
		var errb bytes.Buffer
		code := run(args, fullWriter{}, &errb)
		assert.NotEqual(t, exitOK, code, "sessionsim %q > /dev/full", args)
		assert.Contains(t, errb.String(), "no space left on device", "sessionsim %q > /dev/full", args)
	}
}

// TestExitCodeDevFull runs the same against the real /dev/full.
func TestExitCodeDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here")
	}
	defer f.Close()
	var errb bytes.Buffer
	code := run([]string{"validate", "guest-sessions"}, f, &errb)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errb.String(), "sessionsim validate: writing the output:")
}

// TestExitCodeLevelOutOfRange: --level beyond a DWORD says why it is refused.
func TestExitCodeLevelOutOfRange(t *testing.T) {
	code, out, errs := sessionsim("enum", "--server", "h", "--user", "u", "--level", "4294967296")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "--level 4294967296: out of range")
	code, _, errs = sessionsim("enum", "--server", "h", "--user", "u", "--level", "99999999999999999999999")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "-level: value out of range")
}

// hangingAPI answers nothing until its context ends.
type hangingAPI struct{ sessionapi.SessionAPI }

func (hangingAPI) NetSessionEnum(ctx context.Context, _, _, _ string, l sessionapi.Level, _ uint32, _ *uint32) (sessionapi.EnumResult, error) {
	<-ctx.Done()
	return sessionapi.EnumResult{Level: l}, ctx.Err()
}

// TestExitCodeTimeout: a server that hangs ends at --timeout with exit status 3.
func TestExitCodeTimeout(t *testing.T) {
	withLive(t, hangingAPI{}, time.Now)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	start := time.Now()
	code, _, errs := sessionsim("enum", "--server", "h", "--user", "u", "--timeout", "200ms")
	assert.Equal(t, exitUnreachable, code)
	assert.Contains(t, errs, "see --timeout")
	assert.Less(t, time.Since(start), 3*time.Second)
	start = time.Now()
	code, _, errs = sessionsim("record", "--server", "h", "--user", "u", "--timeout", "200ms")
	assert.Equal(t, exitUnreachable, code, errs)
	assert.Contains(t, errs, "see --timeout")
	assert.Less(t, time.Since(start), 3*time.Second)
	code, _, errs = sessionsim("enum", "--server", "h", "--user", "u", "--timeout", "0s")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "--timeout 0s")
}

// TestExitCodeStatus: a status from the server is exit status 1.
func TestExitCodeStatus(t *testing.T) {
	srv, _, err := scenarios.Load("legacy-windows")
	require.NoError(t, err)
	withLive(t, srv.As(fake.User), srv.Now)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	code, _, errs := sessionsim("enum", "--server", "OLDSRV", "--user", "u", "--level", "502")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errs, "ERROR_ACCESS_DENIED (5)")
}

// evilScenario has names with terminal escapes, a forged table line and a bidi override.
const evilScenario = "name: evil\nservers:\n  - name: FS01\n    sessions:\n" +
	"      - {client: \"ws\\e[2J\\e]0;owned\\a\", user: \"bob\\r\\n#9   +0s forged line\"}\n" +
	"      - {client: \"ws\\u202Egnp.exe\", user: \"c1\\u009b31m\"}\n" +
	"steps:\n  - as: administrator\n    enum: {level: 10}\n"

// TestTerminalInjectionEscaped: names from a scenario file cannot drive the terminal in a
// table; -o json keeps them exact.
func TestTerminalInjectionEscaped(t *testing.T) {
	p := writeFile(t, "evil.yaml", evilScenario)
	code, out, errs := sessionsim("replay", p)
	require.Equal(t, exitOK, code, errs)
	for _, r := range out {
		if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e) {
			t.Fatalf("replay wrote control character %U:\n%s", r, out)
		}
	}
	assert.Contains(t, out, `\x1b[2J\x1b]0;owned\x07`)
	assert.Contains(t, out, `bob\r\n#9   +0s forged line`)
	assert.Contains(t, out, `\u202egnp.exe`)
	assert.NotContains(t, out, "\n#9   +0s forged line", "a CR/LF in a name forged a line")

	code, out, errs = sessionsim("replay", "-o", "json", p)
	require.Equal(t, exitOK, code, errs)
	var v struct {
		Calls []struct {
			Entries []struct{ Cname, Username string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, "\\\\ws\x1b[2J\x1b]0;owned\a", v.Calls[0].Entries[0].Cname, "-o json keeps names exact")
	assert.Equal(t, "bob\r\n#9   +0s forged line", v.Calls[0].Entries[0].Username)
}

// TestTerminalInjectionInMessages: an error that quotes a file's content neither prints the
// file nor its control characters.
func TestTerminalInjectionInMessages(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "user%d:x:%d:%d:\x1b[31mSecret Name\x1b[0m:/home/u%d:/bin/sh\n", i, i, i, i)
	}
	p := writeFile(t, "passwd", b.String())
	code, out, errs := sessionsim("replay", p)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.NotContains(t, errs, "\x1b", "raw ESC in the message")
	assert.NotContains(t, errs, "user1999", "the message printed the whole file")
	for _, line := range strings.Split(errs, "\n") {
		assert.LessOrEqual(t, len(line), maxMessageLine+100, "a message line of %d bytes", len(line))
	}
	big := writeFile(t, "big.yaml", "name: "+strings.Repeat("x", 7<<20)+"\x01\n")
	code, _, errs = sessionsim("validate", big)
	assert.Equal(t, exitUsage, code)
	assert.Less(t, len(errs), 4096, "a 7 MB scalar gave a %d-byte message", len(errs))
}

func TestSafeLine(t *testing.T) {
	assert.Equal(t, `a\x1bb`, safeLine("a\x1bb"))
	long := strings.Repeat("a", 400) + strings.Repeat("b", 400) + "; want a mapping"
	got := safeLine(long)
	assert.LessOrEqual(t, len(got), maxMessageLine+40)
	assert.True(t, strings.HasSuffix(got, "; want a mapping"), got)
	assert.True(t, strings.HasPrefix(got, strings.Repeat("a", messageHead)), got)
}

// pageWatcher checks, at each page after the first, that the page before is on stdout.
type pageWatcher struct {
	sessionapi.SessionAPI
	out   *syncBuffer
	pages int
	seen  []string
}

func (p *pageWatcher) NetSessionEnum(ctx context.Context, s, c, u string, l sessionapi.Level, m uint32, r *uint32) (sessionapi.EnumResult, error) {
	p.pages++
	p.seen = append(p.seen, p.out.String())
	return p.SessionAPI.NetSessionEnum(ctx, s, c, u, l, m, r)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestEnumPrintsPagesAsTheyArrive: each page is on stdout before the next is asked for.
func TestEnumPrintsPagesAsTheyArrive(t *testing.T) {
	srv := fake.New(fake.WithName("FS01"))
	for i := range 5 {
		_, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("ws%d", i), UserName: fmt.Sprintf("user%d", i)})
		require.NoError(t, err)
	}
	out := &syncBuffer{}
	w := &pageWatcher{SessionAPI: srv.As(fake.Administrator), out: out}
	withLive(t, w, srv.Now)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	var errb bytes.Buffer
	code := run([]string{"enum", "--server", "FS01", "--user", "admin", "--prefmaxlen", "60"}, out, &errb)
	require.Equal(t, exitOK, code, errb.String())
	require.Greater(t, w.pages, 2)
	assert.Contains(t, w.seen[1], `\\ws0`, "page 1 was not printed before page 2 was asked for")
	assert.Contains(t, w.seen[2], `\\ws1`)
	assert.Equal(t, 1, strings.Count(out.String(), "CNAME"), "one heading")
	assert.Contains(t, out.String(), "5 session(s) at level 10 from FS01")
}

// TestEnumMaxEntries: --max-entries bounds what is read; more is an error, exit status 1.
func TestEnumMaxEntries(t *testing.T) {
	srv := fake.New(fake.WithName("FS01"))
	for i := range 5 {
		_, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("ws%d", i), UserName: "u"})
		require.NoError(t, err)
	}
	withLive(t, srv.As(fake.Administrator), srv.Now)
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	code, _, errs := sessionsim("enum", "--server", "FS01", "--user", "admin", "--max-entries", "3", "--prefmaxlen", "60")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errs, "more than 3 entries")
	code, _, errs = sessionsim("enum", "--server", "FS01", "--user", "admin", "--max-entries", "0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "--max-entries 0")
	code, _, errs = sessionsim("enum", "--server", "FS01", "--user", "admin", "--max-entries", "-1")
	assert.Equal(t, exitOK, code, errs)
}

// TestSweepCommand: `sweep` on a built-in fleet, as JSON lines then a summary line.
func TestSweepCommand(t *testing.T) {
	code, out, errs := sessionsim("sweep", "fleet-audit", "-o", "jsonl", "--concurrency", "2")
	_, sc, err := scenarios.Load("fleet-audit")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(sc.Servers())+1, "%s\n%s", out, errs)
	names := map[string]bool{}
	for _, l := range lines[:len(lines)-1] {
		var r struct {
			Server, Outcome string
			Sessions        int
		}
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		names[r.Server] = true
		assert.NotEmpty(t, r.Outcome)
	}
	for _, s := range sc.Servers() {
		assert.True(t, names[s.Name()], "no line for %s", s.Name())
	}
	var sum struct {
		Summary  bool
		Servers  int
		Answered int
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	assert.True(t, sum.Summary)
	assert.Equal(t, len(sc.Servers()), sum.Servers)
	if sum.Answered == sum.Servers {
		assert.Equal(t, exitOK, code)
	} else {
		assert.Equal(t, exitFailed, code)
	}
	assert.Empty(t, errs, "no progress bar when stderr is not a terminal")

	code, out, _ = sessionsim("sweep", "fleet-audit")
	assert.Contains(t, out, fmt.Sprintf("%d server(s):", len(sc.Servers())))
	assert.NotEqual(t, exitUsage, code)
	for _, args := range [][]string{{"sweep"}, {"sweep", "fleet-audit", "-o", "yaml"}, {"sweep", "fleet-audit", "--concurrency", "0"},
		{"sweep", "fleet-audit", "--as", "nobody-here"}, {"sweep", "no-such-scenario"}} {
		code, _, errs := sessionsim(args...)
		assert.Equal(t, exitUsage, code, "%q: %s", args, errs)
	}
}

// TestSweepProgressBar: on a terminal stderr the bar is drawn and erased at the end.
func TestSweepProgressBar(t *testing.T) {
	old := isTerminal
	isTerminal = func(w io.Writer) bool { _, ok := w.(*bytes.Buffer); return ok && w != nil }
	t.Cleanup(func() { isTerminal = old })
	var out, errb bytes.Buffer
	isTerminal = func(w io.Writer) bool { return w == &errb }
	run([]string{"sweep", "fleet-audit", "-o", "jsonl"}, &out, &errb)
	assert.Contains(t, errb.String(), "servers,")
	assert.True(t, strings.HasSuffix(errb.String(), "\r\x1b[K"), "the bar is erased: %q", errb.String())
	assert.NotContains(t, out.String(), "\r")
}

// TestEnumSweepOverTheWire: several --server flags and --servers-file sweep; each server is
// dialled with the same account; one that is down is unreachable.
func TestEnumSweepOverTheWire(t *testing.T) {
	srv := fake.New(fake.WithName("FS01", "up0", "up1", "up2"))
	_, err := srv.Connect(fake.Session{ClientName: "ws1", UserName: "bob"})
	require.NoError(t, err)
	var mu sync.Mutex
	var dialled []string
	oldDial := dialLive
	dialLive = func(_ context.Context, lt LiveTarget) (sessionapi.SessionAPI, io.Closer, error) {
		mu.Lock()
		dialled = append(dialled, lt.Server+"/"+lt.User+"/"+lt.Password)
		mu.Unlock()
		if strings.HasPrefix(lt.Server, "down") {
			return nil, nil, errors.New("dial tcp: connect: connection refused")
		}
		return srv.As(fake.Administrator), io.NopCloser(nil), nil
	}
	t.Cleanup(func() { dialLive = oldDial })
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	file := writeFile(t, "hosts.txt", "# the file servers\nup1\n\n  up2:4455  # a comment\ndown1\n")
	code, out, errs := sessionsim("enum", "--servers-file", file, "--server", "up0", "--user", "admin", "-o", "jsonl")
	assert.Equal(t, exitFailed, code, "one server is down")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, "%s\n%s", out, errs)
	assert.Contains(t, out, `"server":"down1","outcome":"unreachable"`)
	assert.Contains(t, out, `"server":"up2:4455","outcome":"answered","sessions":1`)
	assert.Contains(t, lines[4], `"summary":true,"servers":4,"answered":3,"refused":0,"unreachable":1`)
	assert.ElementsMatch(t, []string{"up0/admin/pw", "up1/admin/pw", "up2:4455/admin/pw", "down1/admin/pw"}, dialled)

	bad := writeFile(t, "bad.txt", "ok1\nhas space\n")
	code, _, errs = sessionsim("enum", "--servers-file", bad, "--user", "admin")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, bad+":2:")
	code, _, errs = sessionsim("enum", "--server", "a", "--server", "b", "--user", "admin", "-o", "yaml")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "a sweep prints table or jsonl")
}

// TestValidateCounts: validate prints the counts of generated sessions without generating
// them.
func TestValidateCounts(t *testing.T) {
	p := writeFile(t, "gen.yaml", "name: gen\nsessions:\n  - {client: 'ws{n}', user: 'u{n}', count: 2000000}\n")
	start := time.Now()
	code, out, errs := sessionsim("validate", p)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "1 server(s), 2000000 session(s)")
	t.Logf("validate of 2,000,000 generated sessions: %v", time.Since(start))
}

// TestReplayStreamedMatchesWhole: `replay -o yaml|json` (RunStream and the streaming writers)
// prints exactly what Run's whole transcript writes, for every built-in scenario.
func TestReplayStreamedMatchesWhole(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		spec, err := scenarios.Builtin(name)
		require.NoError(t, err, name)
		if _, n := spec.Counts(); n > 20_000 {
			continue // the large fleets: the golden files and the transcript tests cover the writers
		}
		_, sc, err := scenarios.Load(name)
		require.NoError(t, err, name)
		res, err := sc.Run(context.Background())
		require.NoError(t, err, name)
		wantYAML, err := res.Transcript.YAML()
		require.NoError(t, err)
		wantJSON, err := res.Transcript.JSON()
		require.NoError(t, err)
		var wantTable bytes.Buffer
		require.NoError(t, res.Transcript.WriteTable(&wantTable))
		for o, want := range map[string]string{"yaml": string(wantYAML), "json": string(wantJSON), "table": wantTable.String()} {
			_, out, errs := sessionsim("replay", "-o", o, name)
			assert.Equal(t, want, out, "replay -o %s %s differs from Run's transcript (%s)", o, name, errs)
		}
	}
}
