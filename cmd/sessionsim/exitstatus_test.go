package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/smbserver"
)

// servedFake serves a fake named FS01 with sessions sessions (and the profile, if given) over
// SMB2 on 127.0.0.1:0, with an administrator "admin" (password "pw"), and returns HOST:PORT.
// The live commands reach it with their real dialer. Unknown users log on as guests.
func servedFake(t *testing.T, sessions int, profile string) string {
	t.Helper()
	opts := []fake.Option{fake.WithName("FS01")}
	if profile != "" {
		p, err := fake.ProfileByName(profile)
		require.NoError(t, err)
		opts = append(opts, fake.WithProfile(p))
	}
	f := fake.New(opts...)
	for i := range sessions {
		_, err := f.Connect(fake.Session{ClientName: fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), UserName: fmt.Sprintf("user%d", i)})
		require.NoError(t, err)
	}
	srv := smbserver.New(f, smbserver.Config{Accounts: []smbserver.Account{{Name: "admin", Password: "pw", Role: fake.Administrator}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// closedPort is a loopback HOST:PORT where nothing listens (connect: connection refused).
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// hangUpServer accepts connections and closes each at once: the connection breaks at the
// SMB2 NEGOTIATE.
func hangUpServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// jsonLines splits -o jsonl output into the server lines and the summary.
func jsonLines(t *testing.T, out string) (servers []map[string]any, summary map[string]any) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &v), "line %q", l)
		if v["summary"] == true {
			summary = v
			continue
		}
		servers = append(servers, v)
	}
	require.NotNil(t, summary, "no summary line in %q", out)
	return servers, summary
}

// TestEnumJSONLinesOneServerExitsAsEnum: -o jsonl always prints the sweep format — for one
// --server too — and its exit status is the one enum without -o jsonl gives for that server
// (the reviewer saw an unreachable server exit 1 with -o jsonl and 3 without).
func TestEnumJSONLinesOneServerExitsAsEnum(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	up := servedFake(t, 3, "")
	cases := []struct {
		name, server, user string
		outcome            string
		want               int
	}{
		{"ConnectionRefused", closedPort(t), "admin", "unreachable", exitUnreachable},
		{"HangsUpAtNegotiate", hangUpServer(t), "admin", "unreachable", exitUnreachable},
		{"GuestRefused", up, "someone-unknown", "refused", exitFailed}, // an unknown user logs on as a guest
		{"Answers", up, "admin", "answered", exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plain, _, plainErr := sessionsim("enum", "--server", tc.server, "--user", tc.user, "--timeout", "5s")
			code, out, errs := sessionsim("enum", "--server", tc.server, "--user", tc.user, "--timeout", "5s", "-o", "jsonl")
			servers, summary := jsonLines(t, out)
			require.Len(t, servers, 1, "one line for the one server: %s", out)
			assert.Equal(t, tc.server, servers[0]["server"])
			assert.Equal(t, float64(1), summary["servers"])
			assert.Equal(t, tc.outcome, servers[0]["outcome"], "%s", out)
			assert.Equal(t, tc.want, code, "enum -o jsonl exit status; stderr: %s", errs)
			assert.Equal(t, plain, code, "enum --server %s exits %d, with -o jsonl %d (%s / %s)", tc.server, plain, code, plainErr, errs)
		})
	}
}

// TestEnumJSONLinesRefusedLogonExitsAsEnum: a refused logon is exit status 1 either way.
func TestEnumJSONLinesRefusedLogonExitsAsEnum(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "not-the-password")
	up := servedFake(t, 1, "")
	plain, _, errs := sessionsim("enum", "--server", up, "--user", "admin", "--timeout", "5s")
	assert.Equal(t, exitFailed, plain, errs)
	assert.Contains(t, errs, "STATUS_LOGON_FAILURE")
	code, out, _ := sessionsim("enum", "--server", up, "--user", "admin", "--timeout", "5s", "-o", "jsonl")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, `"outcome":"refused"`)
}

// TestSweepExitStatusFollowsTheTable: a sweep exits 0 when all answered, 3 when none did and
// none could be reached, 1 for anything in between or a refusal.
func TestSweepExitStatusFollowsTheTable(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	up, down, hangUp := servedFake(t, 2, ""), closedPort(t), hangUpServer(t)
	for _, tc := range []struct {
		name    string
		servers []string
		want    int
	}{
		{"AllAnswered", []string{up, up}, exitOK},
		{"AllUnreachable", []string{down, hangUp}, exitUnreachable},
		{"SomeUnreachable", []string{up, down}, exitFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"enum", "--user", "admin", "--timeout", "5s"}
			for _, s := range tc.servers {
				args = append(args, "--server", s)
			}
			code, out, errs := sessionsim(args...)
			assert.Equal(t, tc.want, code, "sessionsim %q\n%s%s", args, out, errs)
		})
	}
	// In process: a fleet whose every server is unreachable (ERROR_BAD_NETPATH) exits 3; one
	// whose servers all refuse the caller exits 1.
	dead := writeFile(t, "dead.yaml", "name: dead\nservers:\n  - name: 'FS{n}'\n    count: 3\n    unreachable: {share: 1}\n")
	code, out, errs := sessionsim("sweep", dead)
	assert.Equal(t, exitUnreachable, code, "%s%s", out, errs)
	assert.Contains(t, out, "3 unreachable")
	refusing := writeFile(t, "refusing.yaml", "name: refusing\ncallers: [{name: u, role: user}]\nservers:\n  - name: 'FS{n}'\n    count: 3\n    refuse: {share: 1}\n")
	code, out, errs = sessionsim("sweep", refusing)
	assert.Equal(t, exitFailed, code, "%s%s", out, errs)
	assert.Contains(t, out, "3 refused")
}

// TestWriteErrorReportedOnce: a failed write to stdout is reported once on stderr, by every
// command (replay, sweep and enum said it twice).
func TestWriteErrorReportedOnce(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	up := servedFake(t, 3, "")
	for _, args := range [][]string{
		{"replay", "guest-sessions"},
		{"replay", "-o", "yaml", "guest-sessions"},
		{"replay", "-o", "json", "guest-sessions"},
		{"sweep", "fleet-audit"},
		{"sweep", "-o", "jsonl", "fleet-audit"},
		{"enum", "--server", up, "--user", "admin"},
		{"enum", "--server", up, "--user", "admin", "-o", "yaml"},
		{"enum", "--server", up, "--user", "admin", "-o", "json"},
		{"enum", "--server", up, "--user", "admin", "-o", "jsonl"},
		{"enum", "--server", up, "--server", up, "--user", "admin"},
		{"record", "--server", up, "--user", "admin"},
		{"validate", "guest-sessions"},
		{"scenarios"},
	} {
		var errb bytes.Buffer
		code := run(args, fullWriter{}, &errb)
		assert.Equal(t, exitFailed, code, "sessionsim %q > /dev/full", args)
		assert.Equal(t, 1, strings.Count(errb.String(), "no space left on device"),
			"sessionsim %q > /dev/full: the write error, once; stderr:\n%s", args, errb.String())
		assert.Equal(t, 1, strings.Count(errb.String(), "writing the output"), "sessionsim %q > /dev/full", args)
	}
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here")
	}
	defer f.Close()
	for _, args := range [][]string{{"replay", "guest-sessions"}, {"sweep", "fleet-audit"}, {"enum", "--server", up, "--user", "admin"}} {
		var errb bytes.Buffer
		code := run(args, f, &errb)
		assert.Equal(t, exitFailed, code)
		assert.Equal(t, 1, strings.Count(errb.String(), "no space left on device"), "sessionsim %q >/dev/full:\n%s", args, errb.String())
	}
}

// tableRows counts the session rows of an enum table (the lines after the heading, before
// the summary).
func tableRows(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, `\\`) {
			n++
		}
	}
	return n
}

// TestEnumRefusedCallPrintsNoSummary: a refused call prints nothing on stdout that reads
// like an answer — no "0 session(s) ..." — and its status by name and number on stderr.
func TestEnumRefusedCallPrintsNoSummary(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	windows, samba := servedFake(t, 3, ""), servedFake(t, 3, "samba")
	for _, tc := range []struct {
		name   string
		args   []string
		status string
	}{
		{"Guest", []string{"--server", windows, "--user", "someone-unknown"}, "ERROR_ACCESS_DENIED (5)"},
		{"Level7", []string{"--server", windows, "--user", "admin", "--level", "7"}, "ERROR_INVALID_LEVEL (124)"},
		{"SambaLevel10", []string{"--server", samba, "--user", "admin", "--level", "10"}, "(124)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := sessionsim(append([]string{"enum", "--timeout", "5s"}, tc.args...)...)
			assert.Equal(t, exitFailed, code, "%s%s", out, errs)
			assert.NotContains(t, out, "session(s)", "a refused call printed a summary on stdout")
			assert.Empty(t, out)
			assert.Contains(t, errs, tc.status)
			assert.Contains(t, errs, "after 0 session(s) in 1 call(s)")
		})
	}
}

// TestEnumMaxEntriesPrintsAtMostN: --max-entries 5 against a server with 201 sessions prints
// 5 rows, not 201, and no summary (the enumeration did not complete); the count of a
// complete one matches its rows.
func TestEnumMaxEntriesPrintsAtMostN(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	up := servedFake(t, 201, "")
	code, out, errs := sessionsim("enum", "--server", up, "--user", "admin", "--max-entries", "5", "--timeout", "10s")
	assert.Equal(t, exitFailed, code, errs)
	assert.Equal(t, 5, tableRows(out), "rows printed with --max-entries 5:\n%s", out)
	assert.NotContains(t, out, "session(s) at level")
	assert.Contains(t, errs, "more than 5 entries")
	assert.Contains(t, errs, "after 5 session(s)")

	// Paged: the bound cuts the page it falls in.
	code, out, errs = sessionsim("enum", "--server", up, "--user", "admin", "--max-entries", "7", "--prefmaxlen", "300", "--timeout", "10s")
	assert.Equal(t, exitFailed, code, errs)
	assert.Equal(t, 7, tableRows(out), "rows printed with --max-entries 7, paged:\n%s", out)

	code, out, errs = sessionsim("enum", "--server", up, "--user", "admin", "--max-entries", "202", "--timeout", "10s")
	require.Equal(t, exitOK, code, errs)
	rows := tableRows(out)
	assert.Equal(t, 202, rows, "201 sessions and the command's own")
	assert.Contains(t, out, fmt.Sprintf("%d session(s) at level 10 from %s in 1 call(s)", rows, up))
}

// TestOutputFlagListsOnlyWhatEachCommandAccepts: each command's -o error lists exactly the
// formats it accepts, and each of them is accepted.
func TestOutputFlagListsOnlyWhatEachCommandAccepts(t *testing.T) {
	t.Setenv("SESSIONSIM_PASSWORD", "pw")
	up := servedFake(t, 1, "")
	for _, tc := range []struct {
		args []string // the command line, -o appended
		want string
		ok   []string
		bad  []string
	}{
		{[]string{"replay", "guest-sessions"}, "want table, yaml or json", []string{"table", "yaml", "json"}, []string{"jsonl", "xml"}},
		{[]string{"sweep", "fleet-audit"}, "want table or jsonl", []string{"table", "jsonl"}, []string{"yaml", "json", "xml"}},
		{[]string{"enum", "--server", up, "--user", "admin"}, "want table, yaml, json or jsonl", []string{"table", "yaml", "json", "jsonl"}, []string{"xml"}},
	} {
		for _, o := range tc.bad {
			code, out, errs := sessionsim(append(tc.args, "-o", o)...)
			assert.Equal(t, exitUsage, code, "%q -o %s", tc.args, o)
			assert.Empty(t, out)
			assert.Contains(t, errs, tc.want, "%q -o %s", tc.args, o)
		}
		for _, o := range tc.ok {
			code, _, errs := sessionsim(append(tc.args, "-o", o)...)
			assert.NotEqual(t, exitUsage, code, "%q -o %s is listed as accepted: %s", tc.args, o, errs)
		}
	}
	// The one case where a listed format does not fit: a transcript of several servers.
	code, _, errs := sessionsim("enum", "--server", up, "--server", up, "--user", "admin", "-o", "yaml")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "a sweep prints table or jsonl")
}
