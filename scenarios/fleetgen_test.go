package scenarios_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

func fleetSrc(seed, count int) string {
	return fmt.Sprintf(`name: gen
servers:
  - name: 'FS{n}'
    aliases: ['{ip}', 'fs{n}.corp']
    count: %d
    seed: %d
    profiles: {windows: 60, windows-legacy: 20, samba: 20}
    sessions:
      - {client: 'ws{pick:500}', user: 'u{pick:300}', count: 5..15, age: 1h..8h, idle: 0s..1h, open_files: 0..3, client_type: DOS LM 2.0}
    unreachable: {share: 0.1, status: [ERROR_BAD_NETPATH, RPC_S_SERVER_UNAVAILABLE]}
    refuse: {share: 0.1, roles: [user, administrator]}
    slow: {share: 0.1, latency: 100ms..2s}
    flapping: {share: 0.1, probability: 0.5, status: RPC_S_SERVER_UNAVAILABLE}
    churn: {share: 0.1, join: 10m..20m, leave: 1h..2h}
`, count, seed)
}

// kind classifies a generated server by what the generator dealt it.
func kind(s *scenarios.ServerSpec) string {
	base, _ := fake.ProfileByName(s.Profile.Name)
	switch {
	case s.Absent:
		return "churn"
	case base.Access != s.Profile.Access:
		return "refuse"
	}
	for _, f := range s.Faults {
		switch {
		case f.Latency > 0:
			return "slow"
		case f.Probability > 0:
			return "flapping"
		case f.Every:
			return "unreachable"
		}
	}
	return "plain"
}

func TestFleetGeneratorSameSeedSameFleet(t *testing.T) {
	a, b, c := mustParse(t, fleetSrc(7, 300)), mustParse(t, fleetSrc(7, 300)), mustParse(t, fleetSrc(8, 300))
	require.Len(t, a.Servers, 300)
	assert.Equal(t, a.Servers, b.Servers, "same seed, same servers")
	assert.NotEqual(t, a.Servers, c.Servers, "another seed, another fleet")
	for i := range a.Servers {
		assert.Equal(t, a.Servers[i].Expand(), b.Servers[i].Expand(), "server %d: same seed, same sessions", i)
	}
	_, na := a.Counts()
	_, nc := c.Counts()
	assert.NotEqual(t, na, nc)
}

func TestFleetGeneratorMix(t *testing.T) {
	spec := mustParse(t, fleetSrc(1, 4000))
	servers, sessions := spec.Counts()
	require.Equal(t, 4000, servers)
	require.True(t, sessions >= 5*4000 && sessions <= 15*4000, "sessions %d outside 5..15 per server", sessions)
	kinds, profiles := map[string]int{}, map[string]int{}
	for i := range spec.Servers {
		s := &spec.Servers[i]
		kinds[kind(s)]++
		profiles[s.Profile.Name]++
		require.Equal(t, fmt.Sprintf("FS%d", i+1), s.Name)
		n := s.SessionCount()
		require.True(t, n >= 5 && n <= 15, "%s: %d sessions, want 5..15", s.Name, n)
	}
	// Each kind has a share of 0.1: 400 of 4,000 expected; a binomial spread is about ±19.
	for _, k := range []string{"unreachable", "refuse", "slow", "flapping", "churn"} {
		assert.InDelta(t, 400, kinds[k], 80, "servers of kind %s: %v", k, kinds)
	}
	assert.InDelta(t, 2400, profiles["windows"], 160, "%v", profiles)
	assert.InDelta(t, 800, profiles["samba"], 120, "%v", profiles)
	joins := 0
	for _, ev := range spec.Timeline {
		if ev.Kind == scenarios.EventJoin {
			joins++
			assert.True(t, spec.Servers[ev.Server].Absent)
			assert.True(t, ev.At >= 10*time.Minute && ev.At <= 20*time.Minute, "join at %v", ev.At)
		}
	}
	assert.Equal(t, kinds["churn"], joins)
}

func TestFleetGeneratorBehaviour(t *testing.T) {
	spec := mustParse(t, fleetSrc(3, 200)+`callers: [{name: admin, role: administrator}, {name: bob, role: user}]
`)
	sc, err := spec.Start()
	require.NoError(t, err)
	ctx := context.Background()
	admin, err := sc.Client("admin")
	require.NoError(t, err)
	bob, err := sc.Client("bob")
	require.NoError(t, err)
	seen := map[string]bool{}
	for i := range spec.Servers {
		s := &spec.Servers[i]
		k := kind(s)
		name := `\\` + s.Name
		_, err := admin.NetSessionEnum(ctx, name, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
		switch k {
		case "plain":
			require.NoError(t, err, "%s (%s)", s.Name, k)
		case "refuse":
			require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "%s refuses administrators", s.Name)
		case "unreachable":
			st, _ := sessionapi.StatusOf(err)
			require.Contains(t, []sessionapi.Status{sessionapi.ERROR_BAD_NETPATH, sessionapi.RPC_S_SERVER_UNAVAILABLE}, st, "%s: %v", s.Name, err)
		case "churn":
			require.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH, "%s is away until it joins", s.Name)
		case "slow":
			srv := sc.Servers()[i]
			before := srv.Now()
			_, err := admin.NetSessionEnum(ctx, name, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			require.NoError(t, err)
			d := srv.Now().Sub(before)
			require.True(t, d >= 100*time.Millisecond && d <= 2*time.Second, "%s: latency %v on the fake clock", s.Name, d)
		}
		if k == "refuse" {
			_, err := bob.NetSessionEnum(ctx, name, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "%s refuses users", s.Name)
		}
		seen[k] = true
	}
	assert.Len(t, seen, 6, "every kind dealt at least once in 200 servers: %v", seen)

	// The aliases reach the same server; churn servers join on the timeline.
	srv, ok := sc.Fleet().Lookup(`\\10.0.0.7`)
	require.True(t, ok)
	assert.Equal(t, "FS7", srv.Name())
	srv, ok = sc.Fleet().Lookup("FS7.CORP")
	require.True(t, ok)
	assert.Equal(t, "FS7", srv.Name())
	require.NoError(t, sc.AdvanceTo(30*time.Minute))
	for i := range spec.Servers {
		if spec.Servers[i].Absent {
			_, err := admin.NetSessionEnum(ctx, `\\`+spec.Servers[i].Name, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			require.NoError(t, err, "%s joined by 20m", spec.Servers[i].Name)
		}
	}
	require.NoError(t, sc.AdvanceTo(2*time.Hour))
	for i := range spec.Servers {
		if spec.Servers[i].Absent {
			_, err := admin.NetSessionEnum(ctx, `\\`+spec.Servers[i].Name, "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			require.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH, "%s left by 2h", spec.Servers[i].Name)
		}
	}
}

// TestGeneratedStringsShared checks that generated sessions drawing from a pool share one copy
// of each name across the fleet (what keeps a large fleet small).
func TestGeneratedStringsShared(t *testing.T) {
	sc, err := mustParse(t, fleetSrc(5, 50)).Start()
	require.NoError(t, err)
	byValue := map[string]string{}
	for _, srv := range sc.Servers() {
		for _, s := range srv.Sessions() {
			for _, v := range []string{s.UserName, s.ClientType} {
				if prev, ok := byValue[v]; ok {
					require.True(t, strings.Compare(prev, v) == 0)
					require.Same(t, unsafeData(prev), unsafeData(v), "%q is held twice", v)
				}
				byValue[v] = v
			}
		}
	}
}

func TestFleetGeneratorErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		field, msg string
	}{
		{"name without {n}", "name: x\nservers:\n  - {name: FS, count: 3}\n", 3, "servers[0].name", "want a template with {n} or {ip}"},
		{"too many servers", "name: x\nservers:\n  - {name: 'FS{n}', count: 50001}\n", 3, "servers[0].count", "want a whole number from 1 to 50000"},
		{"shares over 1", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    slow: {share: 0.6, latency: 1s}\n    refuse: {share: 0.6}\n", 3, "servers[0]", "add up to 1.2"},
		{"share above 1", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    unreachable: {share: 2}\n", 5, "servers[0].unreachable.share", "want a share of the servers from 0 to 1"},
		{"unknown profile weight", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    profiles: {windows: 1, vms: 2}\n", 5, "servers[0].profiles.vms", "unknown key"},
		{"profile and profiles", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    profile: samba\n    profiles: {windows: 1}\n", 6, "servers[0].profiles", "beside profile:"},
		{"slow without latency", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    slow: {share: 0.5}\n", 5, "servers[0].slow.latency", "missing"},
		{"bad latency", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    slow: {share: 0.5, latency: 2s..1s}\n", 5, "servers[0].slow.latency", "want a latency"},
		{"bad clock", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    slow: {share: 0.5, latency: 1s, clock: wall}\n", 5, "servers[0].slow.clock", "want fake"},
		{"churn leave before join", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    churn: {share: 0.5, join: 1h..2h, leave: 30m}\n", 5, "servers[0].churn.leave", "can come before a join"},
		{"refuse unknown role", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    refuse: {share: 0.5, roles: [root]}\n", 5, "servers[0].refuse.roles[0]", `unknown role "root"`},
		{"mess without count", "name: x\nservers:\n  - name: FS1\n    slow: {share: 0.5, latency: 1s}\n", 4, "servers[0].slow", "only in a server entry with count:"},
		{"session id in a generated server", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 3\n    sessions:\n      - {id: a, client: ws}\n", 6, "servers[0].sessions[0].id", "not allowed"},
		{"fleet total over the maximum", "name: x\nservers:\n  - name: 'FS{n}'\n    count: 10000\n    sessions:\n      - {client: 'ws{n}', count: 150..250}\n", 6, "servers[0].sessions[0].count", "want at most 2000000"},
		{"bad pick", "name: x\nsessions:\n  - {client: 'ws{pick:}', count: 3}\n", 3, "sessions[0].client", "{pick:K}"},
		{"name template too long", "name: x\nservers:\n  - name: '" + strings.Repeat("a", 250) + "{n}'\n    count: 100000\n", 4, "servers[0].count", "want a whole number from 1 to 50000"},
		{"name expands too long", "name: x\nservers:\n  - name: '" + strings.Repeat("a", 252) + "{n}'\n    count: 10000\n", 3, "servers[0].name", "want at most 255"},
		{"pick in a server name", "name: x\nservers:\n  - {name: 'FS{pick:3}', count: 3}\n", 3, "servers[0].name", "{pick:K} is for session strings"},
		{"generated names collide", "name: x\nservers:\n  - {name: FS2}\n  - {name: 'FS{n}', count: 3}\n", 4, "servers[1].name", `"FS2" is also a name of server FS2`},
		{"join unknown server", "name: x\nservers:\n  - {name: A}\ntimeline:\n  - {at: 1m, join: B}\n", 5, "timeline[0].join", `unknown server "B"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { requireProblem(t, tc.yaml, tc.line, tc.field, tc.msg) })
	}
}

func TestTimelineJoinLeave(t *testing.T) {
	res := run(t, `name: jl
servers:
  - {name: A}
  - {name: B}
timeline:
  - {at: 1m, leave: B}
  - {at: 2m, join: '\\b'}
steps:
  - {at: 90s, as: administrator, enum: {server: B, level: 0}, expect: {status: ERROR_BAD_NETPATH}}
  - {at: 3m, as: administrator, enum: {server: B, level: 0}, expect: {status: NERR_Success}}
`)
	require.NoError(t, res.Err())
	var events []string
	for _, c := range res.Transcript.Calls {
		if c.IsEvent() {
			events = append(events, c.Event)
		}
	}
	assert.Equal(t, []string{"leave B", "join B"}, events)
}

// TestFleetSplitByServerRange: a fleet split into server ranges (first:) gives, range by
// range, the servers and sessions of the whole fleet: how a fleet too large for one process
// is spread over several.
func TestFleetSplitByServerRange(t *testing.T) {
	whole := mustParse(t, strings.Replace(fleetSrc(9, 300), "    count: 300\n", "    count: 300\n    # all of them\n", 1))
	part := mustParse(t, strings.Replace(fleetSrc(9, 100), "    count: 100\n", "    count: 100\n    first: 201\n", 1))
	require.Len(t, part.Servers, 100)
	for i := range part.Servers {
		w, p := whole.Servers[200+i], part.Servers[i]
		require.Equal(t, w.Name, p.Name)
		require.Equal(t, w, p, "server %s differs between the whole fleet and the range", w.Name)
		require.Equal(t, w.Expand(), p.Expand())
	}
}

// TestSlowJitter: with jitter:, a slow server's calls take different times, from its latency
// to latency + jitter.
func TestSlowJitter(t *testing.T) {
	spec := mustParse(t, "name: j\nservers:\n  - name: 'S{n}'\n    count: 2\n    slow: {share: 1, latency: 1s, jitter: 800ms}\n")
	sc, err := spec.Start()
	require.NoError(t, err)
	api, err := sc.Client("administrator")
	require.NoError(t, err)
	srv := sc.Servers()[0]
	seen := map[time.Duration]bool{}
	for range 40 {
		before := srv.Now()
		_, err := api.NetSessionEnum(context.Background(), "S1", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
		require.NoError(t, err)
		d := srv.Now().Sub(before)
		require.True(t, d >= time.Second && d <= 1800*time.Millisecond, "latency %v outside 1s..1.8s", d)
		seen[d] = true
	}
	assert.GreaterOrEqual(t, len(seen), 3, "jitter gave only %v", seen)
	requireProblem(t, "name: j\nservers:\n  - name: 'S{n}'\n    count: 2\n    slow: {share: 1, latency: 1s, jitter: 1s..2s}\n", 5, "servers[0].slow.jitter", "want one duration")
}

// TestChurnCostsEventsNotEventsTimesServers: a churning fleet's joins and leaves move only
// the clocks they touch; moving every server's clock for every event made 10,000 churning
// servers take minutes.
func TestChurnCostsEventsNotEventsTimesServers(t *testing.T) {
	spec := mustParse(t, "name: churn\nservers:\n  - name: 'S{n}'\n    count: 10000\n    churn: {share: 1, join: 1m..1h, leave: 2h..3h}\n"+
		"steps:\n  - {at: 30m, as: administrator, enum: {server: S1, level: 1}}\n  - {at: 4h, as: administrator, enum: {server: S2, level: 1}, expect: {status: ERROR_BAD_NETPATH}}\n")
	require.Len(t, spec.Timeline, 20_000)
	sc, err := spec.Start()
	require.NoError(t, err)
	start := time.Now()
	res, err := sc.RunStream(context.Background(), func(*transcript.Call) error { return nil })
	took := time.Since(start)
	require.NoError(t, err)
	require.Empty(t, res.Failures)
	require.Less(t, took, 5*time.Second, "20,000 events on 10,000 servers took %v", took)
	for i, srv := range sc.Servers() {
		require.Equal(t, spec.Servers[i].Start.Add(4*time.Hour), srv.Now(), "%s: every clock catches up at the end", srv.Name())
	}
	t.Logf("20,000 events on 10,000 servers: %v", took)
}
