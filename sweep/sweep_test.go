package sweep_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/sweep"
)

var admin = fake.Caller{Role: fake.Administrator, Name: "sweeper"}

// fleet makes n fake servers FS00001... with sessions(i) sessions each.
func fleet(t testing.TB, n int, sessions func(i int) int) []*fake.Server {
	t.Helper()
	out, err := genFleet(n, sessions)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func genFleet(n int, sessions func(i int) int) ([]*fake.Server, error) {
	out := make([]*fake.Server, n)
	for i := range n {
		s := fake.New(fake.WithName(fmt.Sprintf("FS%05d", i+1)))
		for j := range sessions(i) {
			if _, err := s.Connect(fake.Session{ClientName: fmt.Sprintf("10.0.%d.%d", j/250, j%250+1), UserName: fmt.Sprintf("u%d", j)}); err != nil {
				return nil, err
			}
		}
		out[i] = s
	}
	return out, nil
}

// blocking answers nothing until its context ends, as a server that hangs does.
type blocking struct{ sessionapi.SessionAPI }

func (blocking) NetSessionEnum(ctx context.Context, _, _, _ string, l sessionapi.Level, _ uint32, _ *uint32) (sessionapi.EnumResult, error) {
	<-ctx.Done()
	return sessionapi.EnumResult{Level: l}, ctx.Err()
}

func collect(ctx context.Context, targets []sweep.Target, cfg sweep.Config) (map[string]sweep.Result, sweep.Summary) {
	out := map[string]sweep.Result{}
	var sum sweep.Summary
	for r := range sweep.Run(ctx, targets, cfg) {
		out[r.Target] = r
		sum.Add(r)
	}
	return out, sum
}

// TestSweepClassifies: every outcome, from the status or error that ended each server.
func TestSweepClassifies(t *testing.T) {
	srvs := fleet(t, 6, func(i int) int { return i + 1 })
	for i, st := range map[int]sessionapi.Status{1: sessionapi.ERROR_ACCESS_DENIED, 2: sessionapi.ERROR_BAD_NETPATH,
		3: sessionapi.RPC_S_SERVER_UNAVAILABLE, 4: sessionapi.ERROR_INVALID_PARAMETER} {
		_, err := srvs[i].InjectFault(fake.Fault{Op: fake.OpEnum, Every: true, Status: st})
		require.NoError(t, err)
	}
	targets := sweep.ServerTargets(srvs, admin)
	targets[5].API = blocking{targets[5].API}
	targets = append(targets, sweep.Target{Name: "nohost", Dial: func(context.Context) (sessionapi.SessionAPI, func() error, error) {
		return nil, nil, errors.New("dial tcp: lookup nohost: no such host")
	}})
	res, sum := collect(context.Background(), targets, sweep.Config{Concurrency: 3, Timeout: 200 * time.Millisecond})
	want := map[string]sweep.Outcome{"FS00001": sweep.Answered, "FS00002": sweep.Refused, "FS00003": sweep.Unreachable,
		"FS00004": sweep.Unreachable, "FS00005": sweep.Failed, "FS00006": sweep.TimedOut, "nohost": sweep.Unreachable}
	for name, o := range want {
		assert.Equal(t, o, res[name].Outcome, "%s: %v", name, res[name].Err)
	}
	assert.Equal(t, 1, res["FS00001"].Sessions)
	assert.Equal(t, sessionapi.ERROR_ACCESS_DENIED, res["FS00002"].Status)
	assert.True(t, res["FS00002"].HasStatus)
	assert.Equal(t, 7, sum.Servers)
	assert.Equal(t, "7 server(s): 1 answered, 1 refused, 3 unreachable, 1 timed out, 1 error(s); 1 session(s)", sum.String())
}

// concurrencyProbe records how many calls run at once.
type concurrencyProbe struct {
	sessionapi.SessionAPI
	now, peak atomic.Int32
}

func (p *concurrencyProbe) NetSessionEnum(ctx context.Context, s, c, u string, l sessionapi.Level, m uint32, r *uint32) (sessionapi.EnumResult, error) {
	n := p.now.Add(1)
	defer p.now.Add(-1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	return p.SessionAPI.NetSessionEnum(ctx, s, c, u, l, m, r)
}

func TestSweepConcurrencyBound(t *testing.T) {
	srvs := fleet(t, 40, func(int) int { return 2 })
	targets := sweep.ServerTargets(srvs, admin)
	var shared concurrencyProbe
	for i := range targets {
		targets[i].API = &sharedProbe{p: &concurrencyProbe{SessionAPI: targets[i].API}, shared: &shared}
	}
	_, sum := collect(context.Background(), targets, sweep.Config{Concurrency: 4})
	assert.Equal(t, 40, sum.Count(sweep.Answered))
	assert.Equal(t, 80, sum.Sessions)
	assert.LessOrEqual(t, shared.peak.Load(), int32(4), "servers in flight with Concurrency 4")
	assert.Equal(t, int32(4), shared.peak.Load(), "Concurrency 4 should reach 4 servers in flight")
}

// sharedProbe counts in-flight calls across every target in shared.
type sharedProbe struct {
	p      *concurrencyProbe
	shared *concurrencyProbe
}

func (s *sharedProbe) NetSessionEnum(ctx context.Context, sv, c, u string, l sessionapi.Level, m uint32, r *uint32) (sessionapi.EnumResult, error) {
	n := s.shared.now.Add(1)
	defer s.shared.now.Add(-1)
	for {
		old := s.shared.peak.Load()
		if n <= old || s.shared.peak.CompareAndSwap(old, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	return s.p.SessionAPI.NetSessionEnum(ctx, sv, c, u, l, m, r)
}
func (s *sharedProbe) NetSessionGetInfo(ctx context.Context, sv, c, u string, l sessionapi.Level) (sessionapi.Info, error) {
	return s.p.SessionAPI.NetSessionGetInfo(ctx, sv, c, u, l)
}
func (s *sharedProbe) NetSessionDel(ctx context.Context, sv, c, u string) error {
	return s.p.SessionAPI.NetSessionDel(ctx, sv, c, u)
}

// TestSweepResultsArriveAsServersFinish: a fast server's result comes before a slow one's,
// whatever the order of the list.
func TestSweepResultsArriveAsServersFinish(t *testing.T) {
	srvs := fleet(t, 2, func(int) int { return 1 })
	targets := sweep.ServerTargets(srvs, admin)
	targets[0].API = blocking{targets[0].API}
	var order []string
	for r := range sweep.Run(context.Background(), targets, sweep.Config{Concurrency: 2, Timeout: 300 * time.Millisecond}) {
		order = append(order, r.Target)
	}
	assert.Equal(t, []string{"FS00002", "FS00001"}, order)
}

// TestSweepStopsEarly: breaking out of the loop cancels the rest and returns.
func TestSweepStopsEarly(t *testing.T) {
	srvs := fleet(t, 100, func(int) int { return 1 })
	targets := sweep.ServerTargets(srvs, admin)
	for i := range targets {
		targets[i].API = blocking{targets[i].API}
	}
	targets[0].API = sweep.ServerTargets(srvs[:1], admin)[0].API
	start := time.Now()
	n := 0
	for range sweep.Run(context.Background(), targets, sweep.Config{Concurrency: 8, Timeout: time.Hour}) {
		n++
		break
	}
	assert.Equal(t, 1, n)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestSweepKeepEntriesAndBound(t *testing.T) {
	srvs := fleet(t, 2, func(i int) int { return 3 + i*10 })
	res, _ := collect(context.Background(), sweep.ServerTargets(srvs, admin),
		sweep.Config{Concurrency: 1, KeepEntries: true, Request: sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 60, MaxEntries: 5}})
	assert.Len(t, res["FS00001"].Entries, 3)
	assert.Greater(t, res["FS00001"].Pages, 1, "prefmaxlen 60 pages")
	assert.Equal(t, sweep.Failed, res["FS00002"].Outcome)
	assert.ErrorIs(t, res["FS00002"].Err, sessionapi.ErrTooManyEntries)
	assert.Equal(t, 5, res["FS00002"].Sessions)
}

func TestSweepFleetTargets(t *testing.T) {
	_, sc, err := scenarios.Load("fleet-audit")
	require.NoError(t, err)
	targets := sweep.FleetTargets(sc.Fleet(), admin)
	require.Len(t, targets, len(sc.Servers()))
	res, sum := collect(context.Background(), targets, sweep.Config{})
	assert.Equal(t, len(targets), sum.Servers)
	for _, s := range sc.Servers() {
		assert.Contains(t, res, s.Name())
	}
}

// TestSweepOverTheWire: hosts that refuse the connection are unreachable, a host that
// accepts and says nothing times out, each within the per-server timeout.
func TestSweepOverTheWire(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns sync.WaitGroup
	defer func() { silent.Close(); conns.Wait() }()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() { defer conns.Done(); defer c.Close(); _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	targets := sweep.HostTargets([]string{closedAddr, silent.Addr().String(), "bad:port:x:"}, srvsvc.Config{User: "u", Password: "p"})
	start := time.Now()
	res, sum := collect(context.Background(), targets, sweep.Config{Concurrency: 3, Timeout: 300 * time.Millisecond})
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, sweep.Unreachable, res[closedAddr].Outcome, "%v", res[closedAddr].Err)
	assert.Equal(t, sweep.TimedOut, res[silent.Addr().String()].Outcome, "%v", res[silent.Addr().String()].Err)
	assert.Equal(t, 3, sum.Servers)
}

func TestResultJSON(t *testing.T) {
	r := sweep.Result{Target: "FS\x1b01", Outcome: sweep.Refused, Status: sessionapi.ERROR_ACCESS_DENIED, HasStatus: true,
		Err: sessionapi.ERROR_ACCESS_DENIED, Pages: 1, Elapsed: 1500 * time.Microsecond}
	b, err := r.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"server":"FS\u001b01","outcome":"refused","sessions":0,"status":"ERROR_ACCESS_DENIED","status_code":5,"error":"ERROR_ACCESS_DENIED (5)","pages":1,"elapsed_ms":1.5}`, string(b))
}
