package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/golden"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/transcript"
)

// TestLiveEnumMatchesSmbstatus runs 'sessionsim enum' against the throw-away Samba of
// scripts/samba/start.sh (SESSIONSIM_SAMBA_ENV) and requires the sessions it lists to be those
// smbstatus shows, open files included, plus the command's own connection. Skipped without a
// Samba unless CI=true, where it fails.
func TestLiveEnumMatchesSmbstatus(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := t.Context()
	for i, seed := range []struct {
		user  string
		files int
	}{{"alice", 2}, {"bob", 0}, {"alice", 1}} {
		s, err := env.OpenSession(ctx, seed.user, fmt.Sprintf("127.0.0.%d", i+2), seed.files)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close(ctx) })
	}
	status, err := env.Status(ctx, true)
	require.NoError(t, err)

	pw, err := env.Password(env.Admin)
	require.NoError(t, err)
	t.Setenv("SESSIONSIM_PASSWORD", pw)
	var out, errOut bytes.Buffer
	code := run([]string{"enum", "--server", fmt.Sprintf("%s:%d", env.Host, env.Port), "--user", env.Admin,
		"--role", "administrator", "--level", "1", "-o", "json"}, &out, &errOut)
	require.Equal(t, 0, code, "sessionsim enum exit status; stderr:\n%s", errOut.String())
	tr, err := transcript.Parse(out.Bytes())
	require.NoError(t, err)

	var listed []string
	for _, c := range tr.Calls {
		for _, e := range c.Entries {
			listed = append(listed, fmt.Sprintf("%s/%s/%d", e.Info.ClientName, e.Info.UserName, e.Info.NumOpens))
		}
	}
	want := []string{fmt.Sprintf("%s/%s/0", env.Host, env.Admin)} // the command's own session
	for _, s := range status {
		want = append(want, fmt.Sprintf("%s/%s/%d", s.Client, s.User, s.Opens))
	}
	slices.Sort(listed)
	slices.Sort(want)
	assert.Equal(t, want, listed, "sessionsim enum (cname/username/num_opens) vs smbstatus -b -L")
	for _, seeded := range []string{"127.0.0.2/alice/2", "127.0.0.3/bob/0", "127.0.0.4/alice/1"} {
		assert.Contains(t, strings.Join(listed, " "), seeded)
	}
}

var updateRecordings = flag.Bool("update-recordings", false, "rewrite golden/samba-4.17/ from the live Samba (TestLiveRecordReplaysOnTheFake)")

// TestLiveRecordReplaysOnTheFake is the differential check end to end: 'sessionsim record'
// runs its battery against the live Samba, as an administrator and as a plain user, and a
// fake seeded from each recording (samba profile) must give the same answers to the same calls
// (times left out: a live clock ticks between the observation and each call). With
// -update-recordings the recordings replace golden/samba-4.17/, which the golden package
// replays on every run.
func TestLiveRecordReplaysOnTheFake(t *testing.T) {
	env := sambaenv.ForTest(t)
	ctx := t.Context()
	seeds := []struct {
		user, addr string
		files      int
	}{{"alice", "127.0.0.2", 2}, {"bob", "127.0.0.3", 1}, {"alice", "127.0.0.3", 0}, {"guest", "127.0.0.4", 0}, {"", "127.0.0.5", 0}}
	var described []string
	for _, seed := range seeds {
		s, err := env.OpenSession(ctx, seed.user, seed.addr, seed.files)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close(ctx) })
		who := seed.user
		if who == "" {
			who = "anonymous"
		}
		described = append(described, fmt.Sprintf("%s@%s (%d files)", who, seed.addr, seed.files))
	}
	comment := "Samba 4.17 (Debian bookworm) from scripts/samba/start.sh; seeds: " + strings.Join(described, ", ")
	for _, caller := range []struct{ file, user, role string }{
		{"administrator.yaml", env.Admin, "administrator"},
		{"user.yaml", env.Plain, "user"},
	} {
		t.Run(caller.role, func(t *testing.T) {
			pw, err := env.Password(caller.user)
			require.NoError(t, err)
			t.Setenv("SESSIONSIM_PASSWORD", pw)
			out := filepath.Join(t.TempDir(), caller.file)
			var stdout, stderr bytes.Buffer
			code := run([]string{"record", "--server", fmt.Sprintf("%s:%d", env.Host, env.Port), "--user", caller.user,
				"--role", caller.role, "--profile", "samba", "--comment", comment, "--out", out}, &stdout, &stderr)
			require.Equal(t, 0, code, "sessionsim record exit status; stderr:\n%s", stderr.String())
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			rec, err := transcript.Parse(data)
			require.NoError(t, err)
			if caller.role == "administrator" { // a plain user is refused every listing (S1)
				require.Len(t, rec.Servers[0].Sessions, len(seeds)+1, "the recording carries the observed sessions: the seeds and the recorder's own")
			}

			d, err := golden.ReplayDiff(ctx, rec, "live Samba", true)
			require.NoError(t, err)
			if d != "" {
				t.Errorf("the fake seeded from the live recording answers differently (-live +fake, times left out):\n%s", d)
			}
			if *updateRecordings {
				dst := filepath.Join("..", "..", "golden", "samba-4.17", caller.file)
				require.NoError(t, os.WriteFile(dst, data, 0o644))
				t.Logf("wrote %s", dst)
			}
		})
	}
}
