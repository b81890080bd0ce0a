package golden_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/golden"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/transcript"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

func replay(t *testing.T, name string) *scenarios.Result {
	t.Helper()
	_, sc, err := scenarios.Load(name)
	require.NoError(t, err)
	res, err := sc.Run(context.Background())
	require.NoError(t, err)
	return res
}

// TestBuiltins replays every built-in scenario: every expectation must be met, and the
// transcript must match its golden file.
func TestBuiltins(t *testing.T) {
	names := scenarios.BuiltinNames()
	require.GreaterOrEqual(t, len(names), 12, "the library should hold at least 12 scenarios")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			res := replay(t, name)
			for _, f := range res.Failures {
				t.Errorf("%s", f)
			}
			got, err := res.Transcript.YAML()
			require.NoError(t, err)
			golden.Check(t, filepath.Join("testdata", name+".yaml"), got, *update)
		})
	}
}

// TestNoStrayGoldenFiles catches golden files whose scenario was renamed or removed.
func TestNoStrayGoldenFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	require.NoError(t, err)
	known := map[string]bool{}
	for _, n := range scenarios.BuiltinNames() {
		known[n] = true
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !known[name] {
			t.Errorf("%s has no built-in scenario %q; delete it or restore the scenario", f, name)
		}
	}
}

// TestDeterministic replays each scenario twice: the transcripts must be identical, byte for
// byte, or golden files would flap.
func TestDeterministic(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		a, err := replay(t, name).Transcript.YAML()
		require.NoError(t, err)
		b, err := replay(t, name).Transcript.YAML()
		require.NoError(t, err)
		if d := transcript.Diff("first run", string(a), "second run", string(b)); d != "" {
			t.Errorf("%s: two replays differ:\n%s", name, d)
		}
	}
}

// TestGoldenFilesRoundTrip reads every golden file back: the reader must accept what the
// writer wrote and give the same text again.
func TestGoldenFilesRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NotContains(t, string(data), "\r\n", "%s: golden files must have LF line endings", f)
		tr, err := transcript.Parse(data)
		require.NoError(t, err, f)
		again, err := tr.YAML()
		require.NoError(t, err)
		if d := transcript.Diff(f, string(data), "re-encoded", string(again)); d != "" {
			t.Errorf("%s does not survive a read and a write:\n%s", f, d)
		}
	}
}

// TestSeededReplayOfGoldens seeds a fresh fake from each golden transcript whose scenario
// has neither a timeline nor faults (what a recording is like: sessions, then calls) and makes
// the same calls: the answers must be the same. This checks that a transcript carries
// everything needed to rebuild the server.
func TestSeededReplayOfGoldens(t *testing.T) {
	tried := 0
	for _, name := range scenarios.BuiltinNames() {
		spec, err := scenarios.Builtin(name)
		require.NoError(t, err)
		faults := 0
		for _, s := range spec.Servers {
			faults += len(s.Faults)
		}
		if len(spec.Timeline) > 0 || faults > 0 || hasProfileOverrides(spec) {
			continue
		}
		tried++
		t.Run(name, func(t *testing.T) {
			d, err := golden.ReplayDiff(context.Background(), replay(t, name).Transcript, "scenario replay", false)
			require.NoError(t, err)
			if d != "" {
				t.Errorf("a fake seeded from the transcript answers differently:\n%s", d)
			}
		})
	}
	require.GreaterOrEqual(t, tried, 5, "too few scenarios qualify for the seeded replay")
}

// hasProfileOverrides reports whether a scenario changes its profile beyond the built-in one
// (a transcript names only the profile, so the override would be lost).
func hasProfileOverrides(spec *scenarios.Spec) bool {
	for _, s := range spec.Servers {
		if s.Profile.NewSessionsFirst || s.Profile.CaseSensitiveNames {
			return true
		}
	}
	return false
}

// TestReplayHandMadeRecording seeds a fake from a hand-made, recording-like transcript of a
// Samba server (written from spec §13, NOT captured from a server) and requires the fake's
// samba profile to give exactly the answers written in it. Real recordings, under
// golden/samba-4.17/, get the same test in TestReplayRecordings.
func TestReplayHandMadeRecording(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "recording-like", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			rec, err := transcript.Parse(data)
			require.NoError(t, err)
			require.Equal(t, transcript.SourceRecording, rec.Source)
			require.NotEmpty(t, rec.Servers[0].Sessions, "a recording must carry the observed sessions")
			d, err := golden.ReplayDiff(context.Background(), rec, f, false)
			require.NoError(t, err)
			if d != "" {
				t.Errorf("the fake seeded from %s answers differently (-recorded +fake):\n%s", f, d)
			}
		})
	}
}

// TestReplayRecordings does the same for real recordings from live servers
// (golden/samba-4.17/*.yaml and golden/windows-*/*.yaml, written by `sessionsim record`). Live clocks tick between the
// observation and each call, so times are compared with a second's rounding left out: both
// sides go through WithoutTimes.
func TestReplayRecordings(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("samba-4.17", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the Samba recordings are committed: go test ./cmd/sessionsim -run TestLiveRecord -update-recordings writes them")
	windows, err := filepath.Glob(filepath.Join("windows-*", "*.yaml")) // from the Windows workflow, once committed
	require.NoError(t, err)
	files = append(files, windows...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			rec, err := transcript.Parse(data)
			require.NoError(t, err)
			require.Equal(t, transcript.SourceRecording, rec.Source, "%s is not a recording", f)
			d, err := golden.ReplayDiff(context.Background(), rec, f, true)
			require.NoError(t, err)
			if d != "" {
				t.Errorf("the fake seeded from %s answers differently (-recorded +fake, times left out):\n%s", f, d)
			}
		})
	}
}

// TestReplayDiffSeesADifference: the tests above trust ReplayDiff's "" to mean the fake agreed,
// so a transcript whose recorded answer was changed must come back with that change in a diff.
func TestReplayDiffSeesADifference(t *testing.T) {
	rec := replay(t, "guest-sessions").Transcript
	d, err := golden.ReplayDiff(context.Background(), rec, "original", false)
	require.NoError(t, err)
	require.Empty(t, d, "the scenario's own transcript replays alike")
	for i := range rec.Calls {
		if !rec.Calls[i].IsEvent() {
			rec.Calls[i].TotalEntries += 7
			break
		}
	}
	d, err = golden.ReplayDiff(context.Background(), rec, "tampered", true)
	require.NoError(t, err)
	assert.Contains(t, d, "-    totalentries: 10")
	assert.Contains(t, d, "+    totalentries: 3")
}
