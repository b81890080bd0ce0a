package scenarios_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/scenarios"
)

// bigScenario is a whole busy server in a few lines: n sessions from one template.
func bigScenario(n int) []byte {
	return fmt.Appendf(nil, `name: big
server: {profile: windows}
sessions:
  - {id: s, client: '{ip}', user: 'user{n}', count: %d, seed: 1, age: 1h..8h, idle: 0s..1h, open_files: 0..20, client_type: DOS LM 2.0, transport: '\Device\NetbiosSmb'}
callers: [{name: admin, role: administrator}]
timeline:
  - {at: 1m, disconnect: s-2}
steps:
  - enum: {level: 10}
    expect: {status: NERR_Success, entries: %d}
  - at: 2m
    enum: {level: 502, prefmaxlen: 65536, all: true}
    expect: {status: NERR_Success, entries: %d}
  - getinfo: {client: '\\10.0.0.1', user: user1, level: 2}
    expect: {status: NERR_Success}
`, n, n, n-1)
}

func TestBigScenario(t *testing.T) {
	spec, err := scenarios.Parse("big.yaml", bigScenario(50_000))
	require.NoError(t, err)
	require.Len(t, spec.Servers[0].Sessions, 50_000)
	sc, err := spec.Start()
	require.NoError(t, err)
	require.Equal(t, 50_000, sc.Server().Len())
	res, err := sc.Run(context.Background())
	require.NoError(t, err)
	require.NoError(t, res.Err())
}

// BenchmarkLoad50k measures a 50,000-session generated scenario from text to a ready fake
// server (parse, generate, check, Restore). Goal: at most 250 ms.
func BenchmarkLoad50k(b *testing.B) {
	src := bigScenario(50_000)
	for b.Loop() {
		spec, err := scenarios.Parse("big.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := spec.Start(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay50k measures starting and running that scenario: a level 10 enumeration of
// everything, a paged level 502 enumeration (64 KiB pages), a GetInfo, with the transcript.
func BenchmarkReplay50k(b *testing.B) {
	spec, err := scenarios.Parse("big.yaml", bigScenario(50_000))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		sc, err := spec.Start()
		if err != nil {
			b.Fatal(err)
		}
		res, err := sc.Run(context.Background())
		if err != nil || res.Err() != nil {
			b.Fatal(err, res.Err())
		}
	}
}
