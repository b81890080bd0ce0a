package fake_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
)

// MaxBytesPerSession is the goal for what one session costs a Server beyond its strings' bytes:
// its stored entry, its slot in the session list and in the ID index (issue 12: a fleet of
// millions of generated sessions within 300 bytes each, all in).
const MaxBytesPerSession = 200

// heapAfterGC is the live heap, measured after two collections.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// sessionBytes connects n sessions to a fresh server and returns the heap they added, per
// session, with every string shared (so that what is measured is the server's own cost).
func sessionBytes(t testing.TB, p fake.Profile, n int) float64 {
	srv := fake.New(fake.WithProfile(p))
	s := fake.Session{ClientName: "10.0.0.1", UserName: "alice", ClientType: "Windows 10", Transport: `\Device\NetbtTcpip`}
	before := heapAfterGC()
	for range n {
		if _, err := srv.Connect(s); err != nil {
			t.Fatal(err)
		}
	}
	after := heapAfterGC()
	runtime.KeepAlive(srv)
	return float64(after-before) / float64(n)
}

// TestSessionMemoryPerSession holds a session's cost to MaxBytesPerSession, strings excluded.
// The samba profile shares the client name as given; the windows profiles add `\\` to it once
// per session, which is string data (reported, not counted).
func TestSessionMemoryPerSession(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100,000 sessions")
	}
	const n = 100_000
	bare := sessionBytes(t, fake.Samba(), n)
	win := sessionBytes(t, fake.Windows(), n)
	t.Logf("bytes per session, %d sessions: %.1f without string data (samba profile), %.1f with the windows profile's `\\\\`+client string (%s bytes of it)",
		n, bare, win, strconv.Itoa(len(`\\10.0.0.1`)))
	require.LessOrEqual(t, bare, float64(MaxBytesPerSession), "bytes per session, strings excluded")
}
