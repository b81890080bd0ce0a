package scenarios_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/scenarios"
)

// allocatedBy is how many bytes f allocates, all of them counted (freed or not).
func allocatedBy(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestMemoryLimitsTotalsBeforeGenerating: the documented maximum loads without generating
// a session, and one more is refused at its count: before anything is generated (issue 9
// class 1: this used to cost 857 MiB before the refusal).
func TestMemoryLimitsTotalsBeforeGenerating(t *testing.T) {
	src := "name: big\nsessions:\n  - {client: 'ws{n}', user: 'user{n}', count: 2000000, age: 1h..8h, idle: 0s..1h}\n"
	var spec *scenarios.Spec
	used := allocatedBy(func() {
		var err error
		spec, err = scenarios.Parse("big.yaml", []byte(src))
		require.NoError(t, err)
	})
	_, n := spec.Counts()
	require.Equal(t, scenarios.MaxSessions, n)
	require.Less(t, used, uint64(1<<20), "parsing a 2,000,000-session file allocated %d bytes; want sessions made only by Start", used)

	over := src + "  - {client: 'late'}\n"
	used = allocatedBy(func() { requireProblem(t, over, 4, "sessions[1]", "2000001 sessions in all; want at most 2000000") })
	require.Less(t, used, uint64(1<<20))

	fleet := "name: f\nservers:\n  - name: 'FS{n}'\n    count: 20000\n    sessions:\n      - {client: 'ws{n}', count: 101}\n"
	used = allocatedBy(func() {
		requireProblem(t, fleet, 6, "servers[0].sessions[0].count", "20000 servers × these sessions make 2020000 sessions in all")
	})
	require.Less(t, used, uint64(64<<20), "refusing a fleet over the total allocated %d bytes", used)
}

// TestMemoryLimitsStringLengths: every string of a session has a limit, checked against the
// longest a template expands to, before anything is generated.
func TestMemoryLimitsStringLengths(t *testing.T) {
	long := strings.Repeat("x", 4096)
	// The 8 KB file of issue 9: a 4 KB client_type with {n}, two million times.
	requireProblem(t, "name: x\nsessions:\n  - {client: 'ws{n}', count: 2000000, client_type: '{n}"+long+"'}\n", 3, "sessions[0].client_type", "4099 characters; want at most 256")
	requireProblem(t, "name: x\nsessions:\n  - {client: ws, transport: '"+long+"'}\n", 3, "sessions[0].transport", "want at most 256")
	requireProblem(t, "name: x\nsessions:\n  - {client: 'ws{n}', count: 2000000, client_type: '"+strings.Repeat("y", 250)+"{n}'}\n", 3, "sessions[0].client_type", "expands to up to 257 characters; want fewer than 257")
	requireProblem(t, "name: x\nsessions:\n  - {client: '"+strings.Repeat("c", 1017)+"{n}', count: 2000000}\n", 3, "sessions[0].client", "expands to up to 1024 characters; want fewer than 1024")
	requireProblem(t, "name: x\nsessions:\n  - {client: 'c', user: '"+strings.Repeat("u", 1003)+"{pick:100000000}{ip}'}\n", 3, "sessions[0].user", "expands to up to 1026 characters")
	requireProblem(t, "name: x\nsessions:\n  - {id: '"+strings.Repeat("i", 200)+"', client: c}\n", 3, "sessions[0].id", "at most 128 bytes")
	requireProblem(t, "name: x\nserver: {name: '"+strings.Repeat("s", 300)+"'}\n", 2, "server.name", "300 characters; want at most 255")
	requireProblem(t, "name: x\ncallers:\n  - {name: a, role: user, password: '"+strings.Repeat("p", 300)+"'}\n", 3, "callers[0].password", "300 characters; want at most 256")
	requireProblem(t, "name: x\ndescription: '"+strings.Repeat("d", 9000)+"'\n", 2, "description", "9000 bytes; want a string of at most 8192")
	requireProblem(t, "name: '"+strings.Repeat("n", 200)+"'\n", 1, "name", "at most 128 bytes")
	// Just inside: accepted.
	mustParse(t, "name: x\nsessions:\n  - {client: 'ws{n}', count: 10, client_type: '"+strings.Repeat("y", 250)+"{n}'}\n")
}

// TestMemoryLimitsReplayWork: what the steps could do is bounded when the file loads.
func TestMemoryLimitsReplayWork(t *testing.T) {
	big := "name: x\nsessions:\n  - {client: 'ws{n}', count: 1500000}\nsteps:\n"
	requireProblem(t, big+"  - {as: administrator, enum: {level: 10}}\n", 5, "steps[0]", "one call here can return 1500000 entries; want at most 1000000 (MaxCallEntries)")
	mustParse(t, big+"  - {as: administrator, enum: {level: 10, prefmaxlen: 65536, all: true}}\n")
	requireProblem(t, "name: x\nsessions:\n  - {client: 'ws{n}', count: 900000}\nsteps:\n"+strings.Repeat("  - {as: administrator, enum: {level: 10}}\n", 7), 11, "steps[6]", "want at most 6000000 (MaxReplayEntries)")
	requireProblem(t, big+"  - {as: administrator, enum: {level: 0, prefmaxlen: 1, all: true}}\n", 5, "steps[0]", "(MaxReplayCalls)")
	// A reviewer's 200-byte file: 2,000,000 sessions paged about three at a time.
	requireProblem(t, "name: x\ncallers: [{name: a, role: administrator}]\nsessions:\n  - {client: 'ws{n}', user: u, count: 2000000}\n"+
		"steps:\n  - {as: a, enum: {level: 0, prefmaxlen: 60, all: true}}\n", 6, "steps[0]", "(MaxReplayCalls)")
	requireProblem(t, big+strings.Repeat("  - {as: administrator, getinfo: {client: '\\\\ws1', user: u, level: 1}}\n", 300), 271, "steps[266]", "(MaxReplayScan)")
	var tl strings.Builder
	tl.WriteString("name: x\nsessions:\n  - {id: s, client: 'ws{n}', count: 1500000}\ntimeline:\n")
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&tl, "  - {at: %ds, disconnect: s-%d}\n", i, i)
	}
	requireProblem(t, tl.String(), 271, "timeline", "(MaxReplayScan)")

	requireProblem(t, "name: x\nsessions:\n  - {id: s, client: ws}\ntimeline:\n  - {at: 1s, open: s, files: 4000000000}\n", 5, "timeline[0].files", "want a whole number from 1 to 1000000")
	var many strings.Builder
	many.WriteString("name: x\nsessions:\n  - {id: s, client: ws}\ntimeline:\n")
	for i := 1; i <= 21; i++ {
		fmt.Fprintf(&many, "  - {at: %ds, open: s, files: 1000000}\n", i)
	}
	requireProblem(t, many.String(), 25, "timeline", "(MaxReplayFileOps)")

	slow := "name: x\nservers:\n  - {name: 'S{n}', count: 2, slow: {share: 1, latency: 3s, clock: real}}\nsteps:\n"
	mustParse(t, slow+"  - {as: administrator, enum: {server: S1, level: 1}}\n")
	requireProblem(t, slow+strings.Repeat("  - {as: administrator, enum: {server: S1, level: 1}}\n", 4), 8, "steps[3]", "(MaxReplaySleep)")
}
