package scenarios_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/transcript"
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
	require.Equal(t, 50_000, spec.Servers[0].SessionCount())
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

// heapAfterGC is the live heap after a full collection.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLargeFleetLoad measures the built-in large-fleet (10,000 servers, 1,059,466
// sessions) from its text to ready fake servers (parse, generate, Connect), and reports the
// resident bytes per session after a collection: the fake's entry, its indexes and the strings
// not shared. Goal: at most 300 bytes a session.
func BenchmarkLargeFleetLoad(b *testing.B) {
	src, err := scenarios.BuiltinSource("large-fleet")
	if err != nil {
		b.Fatal(err)
	}
	var perSession float64
	for b.Loop() {
		before := heapAfterGC()
		spec, err := scenarios.Parse("large-fleet.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		sc, err := spec.Start()
		if err != nil {
			b.Fatal(err)
		}
		after := heapAfterGC()
		_, sessions := spec.Counts()
		perSession = float64(after-before) / float64(sessions)
		runtime.KeepAlive(sc)
	}
	b.ReportMetric(perSession, "bytes/session")
}

// BenchmarkLargeFleetReplay measures starting and running large-fleet, the calls streamed
// to nowhere (what `sessionsim replay large-fleet` does before printing).
func BenchmarkLargeFleetReplay(b *testing.B) {
	spec, err := scenarios.Builtin("large-fleet")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		sc, err := spec.Start()
		if err != nil {
			b.Fatal(err)
		}
		res, err := sc.RunStream(context.Background(), func(*transcript.Call) error { return nil })
		if err != nil || len(res.Failures) > 0 {
			b.Fatal(err, res.Failures)
		}
	}
}

// BenchmarkBytesPerSession is the resident cost of one generated session on one server with
// unique names (ws{n}, user{n}: nothing to share), after a collection, for 200,000 sessions.
func BenchmarkBytesPerSession(b *testing.B) {
	spec, err := scenarios.Parse("big.yaml", bigScenario(200_000))
	if err != nil {
		b.Fatal(err)
	}
	var perSession float64
	for b.Loop() {
		before := heapAfterGC()
		sc, err := spec.Start()
		if err != nil {
			b.Fatal(err)
		}
		perSession = float64(heapAfterGC()-before) / 200_000
		runtime.KeepAlive(sc)
	}
	b.ReportMetric(perSession, "bytes/session")
}
