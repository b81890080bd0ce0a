package transcript_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/transcript"
)

// FuzzParse: the reader never panics, and what it accepts it writes back in a form it reads
// as the same transcript.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "golden", "testdata", "*.yaml"))
	for _, p := range files {
		// Small files only: the fuzzer mutates whole inputs, and large ones slow it to a crawl.
		if data, err := os.ReadFile(p); err == nil && len(data) < 8<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte("transcript: 1\ncalls:\n  - {seq: 1, at: 0s, call: NetSessionDel, status: 5}\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := transcript.Parse(data)
		if err != nil {
			return
		}
		y, err := tr.YAML()
		require.NoError(t, err)
		back, err := transcript.Parse(y)
		require.NoError(t, err, "%s", y)
		y2, err := back.YAML()
		require.NoError(t, err)
		require.Equal(t, string(y), string(y2))
	})
}
