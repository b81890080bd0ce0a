package scenarios_test

import (
	"context"
	"errors"
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

func TestCallerPassword(t *testing.T) {
	spec := mustParse(t, "name: p\ncallers:\n  - {name: a, role: administrator, password: 'S3cret!'}\n  - {name: b, role: user}\n")
	assert.Equal(t, "S3cret!", spec.Callers[0].Password)
	assert.Empty(t, spec.Callers[1].Password, "no password: the server's default")
	requireProblem(t, "name: p\ncallers:\n  - {name: a, role: user, password: ''}\n", 3, "callers[0].password", "empty")
	requireProblem(t, "name: p\ncallers:\n  - {name: a, role: user, password: 42}\n", 3, "callers[0].password", "want a string")
}

func TestCounts(t *testing.T) {
	spec, err := scenarios.Builtin("large-fleet")
	require.NoError(t, err)
	servers, sessions := spec.Counts()
	assert.Equal(t, 10_000, servers)
	assert.GreaterOrEqual(t, sessions, 1_000_000)
	spec = mustParse(t, "name: c\nsessions:\n  - {client: a}\n  - {client: 'w{n}', count: 5}\ntimeline:\n  - {at: 1m, connect: {client: z}}\n")
	servers, sessions = spec.Counts()
	assert.Equal(t, 1, servers)
	assert.Equal(t, 6, sessions, "the start's sessions; a timeline connect is not counted")
}

// TestRunStreamMatchesRun: the streamed calls are Run's, in order, and the header is Run's
// transcript without calls.
func TestRunStreamMatchesRun(t *testing.T) {
	for _, name := range []string{"admin-closes-idle", "paging-duplicates", "fleet-audit", "unreachable-server"} {
		spec, err := scenarios.Builtin(name)
		require.NoError(t, err)
		sc1, err := spec.Start()
		require.NoError(t, err)
		full, err := sc1.Run(context.Background())
		require.NoError(t, err)

		sc2, err := spec.Start()
		require.NoError(t, err)
		header := sc2.Header()
		require.Empty(t, header.Calls)
		var calls []transcript.Call
		res, err := sc2.RunStream(context.Background(), func(c *transcript.Call) error {
			calls = append(calls, *c)
			return nil
		})
		require.NoError(t, err)
		assert.Nil(t, res.Transcript)
		assert.Equal(t, full.Failures, res.Failures, name)
		header.Calls = calls
		assert.Equal(t, full.Transcript, header, "%s: RunStream and Run differ", name)
	}
}

func TestRunStreamStopsOnEmitError(t *testing.T) {
	_, sc, err := scenarios.Load("busy-file-server")
	require.NoError(t, err)
	boom := errors.New("disk full")
	n := 0
	_, err = sc.RunStream(context.Background(), func(*transcript.Call) error {
		n++
		if n == 2 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, 2, n, "no call after the failed one")
	_, err = sc.RunStream(context.Background(), func(*transcript.Call) error { return nil })
	require.ErrorIs(t, err, scenarios.ErrAlreadyRan)
}

func TestAdvanceTo(t *testing.T) {
	sc, err := mustParse(t, `name: adv
sessions:
  - {id: a, client: ws01, user: ann, age: 1h, idle: 1h}
timeline:
  - {at: 10m, activity: a}
  - {at: 20m, connect: {id: b, client: ws02, user: ben}}
  - {at: 30m, disconnect: a}
`).Start()
	require.NoError(t, err)
	srv := sc.Server()
	require.NoError(t, sc.AdvanceTo(15*time.Minute))
	assert.Equal(t, 15*time.Minute, sc.Elapsed())
	id, _, ok := sc.SessionID("a")
	require.True(t, ok)
	s, _ := srv.Session(id)
	assert.Equal(t, srv.Now().Add(-5*time.Minute), s.LastActivity, "the activity at 10m, applied at its own time")
	assert.Equal(t, 1, srv.Len())
	require.NoError(t, sc.AdvanceTo(30*time.Minute))
	assert.Equal(t, 1, srv.Len(), "b connected, a disconnected")
	_, _, ok = sc.SessionID("b")
	assert.True(t, ok)
	err = sc.AdvanceTo(29 * time.Minute)
	require.ErrorIs(t, err, scenarios.ErrTimeGoesForward)
	require.NoError(t, sc.AdvanceTo(30*time.Minute), "the same offset again is no move")
}

// TestConcurrentUse drives the timeline while other goroutines call the fleet (run under
// -race): a served scenario does exactly this.
func TestConcurrentUse(t *testing.T) {
	spec := mustParse(t, fleetSrc(2, 40))
	sc, err := spec.Start()
	require.NoError(t, err)
	api := sc.Fleet().As(fake.Caller{Role: fake.DomainAdmin, Name: "sweeper"})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := spec.Servers[(g*7+i)%len(spec.Servers)].Name
				_, _ = api.NetSessionEnum(ctx, name, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				_, _ = api.NetSessionEnum(ctx, "NOSUCH", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				_ = sc.Elapsed()
			}
		})
	}
	wg.Go(func() {
		for m := range 180 {
			require.NoError(t, sc.AdvanceTo(time.Duration(m)*time.Minute))
		}
	})
	wg.Wait()
	assert.Equal(t, 800, sc.Fleet().MissCount())
}

func TestFleetNamesWithBackslashes(t *testing.T) {
	a := fake.New(fake.WithName(`\\FS01`))
	b := fake.New(fake.WithName("FS02", `\\fs02.corp`))
	fleet, err := scenarios.NewFleet(a, b)
	require.NoError(t, err)
	for _, n := range []string{"FS01", `\\FS01`, "fs01", `\\fs01`} {
		s, ok := fleet.Lookup(n)
		require.True(t, ok, n)
		require.Same(t, a, s, n)
	}
	s, ok := fleet.Lookup("FS02.CORP")
	require.True(t, ok)
	require.Same(t, b, s)
	_, err = scenarios.NewFleet(a, fake.New(fake.WithName("fs01")))
	require.Error(t, err, `\\FS01 and fs01 are the same name`)
}

func TestFleetMisses(t *testing.T) {
	fleet, err := scenarios.NewFleet(fake.New(fake.WithName("A")), fake.New(fake.WithName("B")))
	require.NoError(t, err)
	api := fleet.As(fake.Caller{Role: fake.Administrator, Name: "admin"})
	ctx := context.Background()
	_, err = api.NetSessionEnum(ctx, `\\GONE`, "", "", sessionapi.Level10, 4096, nil)
	require.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH)
	err = api.NetSessionDel(ctx, "OLD", `\\ws1`, "")
	require.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH)
	m := fleet.Misses()
	require.Len(t, m, 2)
	assert.Equal(t, fake.OpEnum, m[0].Op)
	assert.Equal(t, `\\GONE`, m[0].ServerName)
	assert.Equal(t, uint32(4096), m[0].PrefMaxLen)
	assert.Equal(t, sessionapi.ERROR_BAD_NETPATH, m[0].Status)
	assert.Equal(t, "admin", m[0].Caller.Name)
	assert.Equal(t, fake.OpDel, m[1].Op)
	assert.Equal(t, 2, fleet.MissCount())
	for _, s := range fleet.Servers() {
		assert.Empty(t, s.Calls(), "a miss reaches no server")
	}
}

// TestFleetLookupIsConstantTime: finding a server does not walk the fleet.
func TestFleetLookupIsConstantTime(t *testing.T) {
	var servers []*fake.Server
	for i := range 20_000 {
		servers = append(servers, fake.New(fake.WithName("FS"+itoa(i))))
	}
	fleet, err := scenarios.NewFleet(servers...)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		if s, ok := fleet.Lookup(`\\fs19999`); !ok || s != servers[19999] {
			t.Fatal("lookup failed")
		}
	})
	assert.LessOrEqual(t, allocs, 1.0)
	res := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			fleet.Lookup("FS19999")
		}
	})
	assert.Less(t, res.NsPerOp(), int64(20_000), "a lookup in 20,000 servers takes %d ns: it walks the list", res.NsPerOp())
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestEmitMayAskTheScenario: an emitter may call the scenario's other methods mid-run.
func TestEmitMayAskTheScenario(t *testing.T) {
	_, sc, err := scenarios.Load("admin-closes-idle")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := sc.RunStream(context.Background(), func(c *transcript.Call) error {
			_ = sc.Elapsed()
			_, _, _ = sc.SessionID("hank")
			_ = sc.Header()
			return nil
		})
		assert.NoError(t, err)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("RunStream did not finish: an emitter calling the scenario deadlocks")
	}
}
