package golden

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/transcript"
)

// UpdateHint is printed with every mismatch.
const UpdateHint = "If the new output is right, rewrite the golden files with: go test ./golden -update"

// Check compares got with the golden file at path and fails t with a unified diff when they
// differ. With update it writes got to path instead (creating the directory).
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing: %v\n%s", err, UpdateHint)
	}
	want = bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n"))
	if d := transcript.Diff(path, string(want), "got", string(got)); d != "" {
		t.Errorf("transcript differs from %s (-want +got):\n%s\n%s", path, d, UpdateHint)
	}
}

// ReplayDiff seeds a fake from tr's observed sessions, makes tr's calls again on it
// (scenarios.ReplayTranscript) and returns the unified diff of tr against the replay: "" when
// the fake answers alike. name labels tr's side of the diff. With ignoreTimes the clock
// readings are left out on both sides, as live recordings need: a live clock ticks between the
// observation and each call.
func ReplayDiff(ctx context.Context, tr *transcript.Transcript, name string, ignoreTimes bool) (string, error) {
	got, err := scenarios.ReplayTranscript(ctx, tr)
	if err != nil {
		return "", err
	}
	want := tr
	if ignoreTimes {
		want, got = tr.WithoutTimes(), got.WithoutTimes()
	}
	a, err := want.YAML()
	if err != nil {
		return "", err
	}
	b, err := got.YAML()
	if err != nil {
		return "", err
	}
	return transcript.Diff(name, string(a), "fake", string(b)), nil
}
