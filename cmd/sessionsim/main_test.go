package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

func sessionsim(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestReplayGuestSessions(t *testing.T) {
	code, out, errs := sessionsim("replay", "guest-sessions")
	require.Equal(t, exitOK, code, errs)
	assert.Empty(t, errs)
	assert.Contains(t, out, "SESS_GUEST")
	assert.Contains(t, out, `\\10.0.0.77  guest`)
}

func TestReplayYAMLIsTheGoldenFile(t *testing.T) {
	code, out, errs := sessionsim("replay", "-o", "yaml", "samba")
	require.Equal(t, exitOK, code, errs)
	want, err := os.ReadFile("../../golden/testdata/samba.yaml")
	require.NoError(t, err)
	assert.Empty(t, transcript.Diff("golden", string(want), "replay -o yaml", out))
}

func TestReplayJSON(t *testing.T) {
	code, out, errs := sessionsim("replay", "paging-gaps", "-o", "json") // flags after the name work too
	require.Equal(t, exitOK, code, errs)
	require.True(t, json.Valid([]byte(out)), out)
	var v struct {
		Scenario string
		Calls    []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, "paging-gaps", v.Scenario)
	assert.Len(t, v.Calls, 4)
}

func writeFile(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	return p
}

func TestReplayUnmetExpectation(t *testing.T) {
	p := writeFile(t, "wrong.yaml", `name: wrong
sessions:
  - {client: ws01, user: bob}
steps:
  - as: user
    enum: {level: 10}
    expect: {status: NERR_Success}
`)
	code, out, errs := sessionsim("replay", p)
	require.Equal(t, exitFailed, code)
	assert.Contains(t, out, "ERROR_ACCESS_DENIED", "the transcript is still printed")
	assert.Contains(t, errs, p+":5: steps[0]: NetSessionEnum(level=10")
	assert.Contains(t, errs, "--- want\n+++ got\n")
	assert.Contains(t, errs, "-status: NERR_Success\n+status: ERROR_ACCESS_DENIED\n")
	assert.NotContains(t, errs, "goroutine", "no stack traces")
}

func TestReplayBadFile(t *testing.T) {
	p := writeFile(t, "bad.yaml", "name: bad\nsessions:\n  - {client: ws01, age: 1h, idle: 2h}\n  - {client: ws02, flags: [SESS_X]}\n")
	code, out, errs := sessionsim("replay", p)
	require.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, p+":3:35: sessions[0].idle: ")
	assert.Contains(t, errs, p+":4:28: sessions[1].flags[0]: unknown flag")
}

func TestReplayUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"replay"},
		{"replay", "a", "b"},
		{"replay", "no-such-scenario"},
		{"replay", "missing-file.yaml"},
		{"replay", "-o", "xml", "guest-sessions"},
		{"replay", "--bogus", "guest-sessions"},
		{},
		{"frobnicate"},
	} {
		code, out, errs := sessionsim(args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.NotEmpty(t, errs, "%v: errors go to stderr", args)
		assert.Empty(t, out, "%v: nothing on stdout", args)
		assert.NotContains(t, errs, "goroutine", "%v: no stack traces", args)
	}
	_, _, errs := sessionsim("replay", "-o", "xml", "guest-sessions")
	assert.Contains(t, errs, "want table, yaml or json")
	assert.NotContains(t, errs, "jsonl", "replay does not offer jsonl")
	_, _, errs = sessionsim("replay", "no-such-scenario")
	assert.Contains(t, errs, "guest-sessions", "the error lists the built-ins")
}

func TestHelp(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			code, out, errs := sessionsim(c.name, flag)
			assert.Equal(t, exitOK, code, "%s %s", c.name, flag)
			assert.Empty(t, errs)
			assert.True(t, strings.HasPrefix(out, "Usage: sessionsim "+c.name), "%s %s: %q", c.name, flag, out)
		}
		code, out, _ := sessionsim("help", c.name)
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "Usage: sessionsim "+c.name)
	}
	code, out, _ := sessionsim("--help")
	require.Equal(t, exitOK, code)
	for _, c := range commands() {
		assert.Contains(t, out, c.name)
	}
}

func TestScenariosCommand(t *testing.T) {
	code, out, errs := sessionsim("scenarios")
	require.Equal(t, exitOK, code, errs)
	for _, name := range scenarios.BuiltinNames() {
		assert.Contains(t, out, "\n"+name+" ")
	}
	code, out, _ = sessionsim("scenarios", "samba")
	require.Equal(t, exitOK, code)
	src, err := scenarios.BuiltinSource("samba")
	require.NoError(t, err)
	assert.Equal(t, string(src), out)
	code, _, errs = sessionsim("scenarios", "nope")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "no built-in scenario")
}

func TestValidate(t *testing.T) {
	code, out, errs := sessionsim("validate", "../../scenarios/testdata/annotated.yaml", "busy-file-server")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "ok ../../scenarios/testdata/annotated.yaml: annotated-example, 1 server(s), 21 session(s)")
	assert.Contains(t, out, "ok busy-file-server: busy-file-server, 1 server(s), 200 session(s)")

	bad := writeFile(t, "bad.yaml", "name: x\ncallers:\n  - {name: a, role: king}\n")
	code, out, errs = sessionsim("validate", "guest-sessions", bad)
	require.Equal(t, exitUsage, code)
	assert.Contains(t, out, "ok guest-sessions")
	assert.Contains(t, errs, bad+":3:21: callers[0].role: unknown role \"king\"")
	code, _, _ = sessionsim("validate")
	assert.Equal(t, exitUsage, code)
}

// withLive points the live commands at a fake for one test.
func withLive(t *testing.T, api sessionapi.SessionAPI, clock func() time.Time) *LiveTarget {
	t.Helper()
	var got LiveTarget
	var mu sync.Mutex // a sweep dials from several goroutines
	oldDial, oldNow := dialLive, now
	dialLive = func(_ context.Context, lt LiveTarget) (sessionapi.SessionAPI, io.Closer, error) {
		mu.Lock()
		got = lt
		mu.Unlock()
		return api, io.NopCloser(nil), nil
	}
	now = clock
	t.Cleanup(func() { dialLive, now = oldDial, oldNow })
	return &got
}

func TestLiveCommandsNeedAPassword(t *testing.T) {
	// No $SESSIONSIM_PASSWORD and no terminal to ask on (go test's stdin is not one): the
	// command says what to do instead of trying an empty password.
	t.Setenv("SESSIONSIM_PASSWORD", "")
	require.NoError(t, os.Unsetenv("SESSIONSIM_PASSWORD"))
	for _, cmd := range []string{"enum", "record"} {
		code, out, errs := sessionsim(cmd, "--server", "127.0.0.1:1", "--user", "admin")
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, out)
		assert.Contains(t, errs, "no password: set SESSIONSIM_PASSWORD")
	}
	// With the variable set, even to "", nothing is asked: the dial itself fails here.
	t.Setenv("SESSIONSIM_PASSWORD", "")
	code, _, errs := sessionsim("enum", "--server", "127.0.0.1:1", "--user", "admin")
	assert.Equal(t, exitUnreachable, code, "a refused connection is exit status 3")
	assert.Contains(t, errs, "connect to 127.0.0.1:1 as admin")
	assert.NotContains(t, errs, "no password")
}

func TestLiveCommandsCheckFlags(t *testing.T) {
	for _, cmd := range []string{"enum", "record"} {
		code, _, errs := sessionsim(cmd, "--user", "admin")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errs, "missing --server")
		code, _, errs = sessionsim(cmd, "--server", "h", "--user", "u", "--role", "king")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errs, `unknown role "king"`)
	}
}

func TestEnumAgainstFake(t *testing.T) {
	srv, _, err := scenarios.Load("legacy-windows")
	require.NoError(t, err)
	target := withLive(t, srv.As(fake.User), srv.Now)
	t.Setenv("SESSIONSIM_PASSWORD", "s3cret")
	code, out, errs := sessionsim("enum", "--server", "OLDSRV:445", "--user", "alice", "--role", "user", "--level", "10", "--prefmaxlen", "70")
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, "s3cret", target.Password)
	assert.Contains(t, out, `\\10.0.0.40  admin-jo`)
	assert.Contains(t, out, "2 session(s) at level 10 from OLDSRV:445 in 2 call(s)")

	code, out, errs = sessionsim("enum", "--server", "OLDSRV", "--user", "alice", "--level", "1", "-o", "yaml")
	require.Equal(t, exitFailed, code, "level 1 is refused to a user")
	assert.Contains(t, errs, "ERROR_ACCESS_DENIED")
	tr, err := transcript.Parse([]byte(out))
	require.NoError(t, err)
	require.Len(t, tr.Calls, 1)
	assert.Equal(t, `\\OLDSRV`, tr.Calls[0].ServerName)
}

// TestRecordThenSeedReplay records the battery against a fake Samba server, then seeds a new
// fake from the recording and makes the same calls: same answers, line for line. This is the
// path a real recording takes, with the fake standing in for the server.
func TestRecordThenSeedReplay(t *testing.T) {
	srv, _, err := scenarios.Load("samba")
	require.NoError(t, err)
	withLive(t, srv.As(fake.Administrator), srv.Now)
	out := filepath.Join(t.TempDir(), "rec.yaml")
	code, _, errs := sessionsim("record", "--server", "SMB01", "--user", "admin", "--profile", "samba", "--out", out, "--comment", "test")
	require.Equal(t, exitOK, code, errs)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	rec, err := transcript.Parse(data)
	require.NoError(t, err)
	assert.Equal(t, transcript.SourceRecording, rec.Source)
	require.Len(t, rec.Servers[0].Sessions, 4, "the observed sessions")
	assert.Equal(t, "nobody", rec.Servers[0].Sessions[2].Info.UserName)
	assert.Greater(t, len(rec.Calls), 20)

	again, err := scenarios.ReplayTranscript(context.Background(), rec)
	require.NoError(t, err)
	b, err := again.YAML()
	require.NoError(t, err)
	assert.Empty(t, transcript.Diff("recording", string(data), "seeded fake", string(b)))
}
