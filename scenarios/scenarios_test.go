package scenarios_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
)

func mustParse(t *testing.T, src string) *scenarios.Spec {
	t.Helper()
	spec, err := scenarios.Parse("test.yaml", []byte(src))
	require.NoError(t, err)
	return spec
}

func run(t *testing.T, src string) *scenarios.Result {
	t.Helper()
	sc, err := mustParse(t, src).Start()
	require.NoError(t, err)
	res, err := sc.Run(context.Background())
	require.NoError(t, err)
	return res
}

func TestBuiltinLibrary(t *testing.T) {
	names := scenarios.BuiltinNames()
	require.GreaterOrEqual(t, len(names), 12)
	require.Contains(t, names, "guest-sessions")
	for _, name := range names {
		spec, err := scenarios.Builtin(name)
		require.NoError(t, err, name)
		assert.Equal(t, name, spec.Name, "the file name and the name: key must agree")
		assert.NotEmpty(t, strings.TrimSpace(spec.Description), "%s has no description", name)
		assert.NotEmpty(t, spec.Steps, "%s has no steps", name)
		expectations := 0
		for _, st := range spec.Steps {
			if st.Expect != nil {
				expectations++
			}
		}
		assert.NotZero(t, expectations, "%s checks nothing", name)
	}
	_, err := scenarios.Builtin("no-such-scenario")
	require.ErrorContains(t, err, "guest-sessions")
}

// TestReadmeExample keeps the README's annotated example identical to testdata/annotated.yaml,
// which must load and meet all its expectations.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	file, err := os.ReadFile("testdata/annotated.yaml")
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(readme), "<!-- annotated:begin -->\n```yaml\n")
	require.True(t, ok, "README.md lost its annotated example markers")
	block, _, ok = strings.Cut(block, "```\n<!-- annotated:end -->")
	require.True(t, ok)
	require.Equal(t, string(file), block, "README.md's example and testdata/annotated.yaml differ")
	res := run(t, string(file))
	require.NoError(t, res.Err())
}

// TestReadmeFleetExample keeps the README's fleet generator example identical to
// testdata/fleet-annotated.yaml, which must load and meet all its expectations.
func TestReadmeFleetExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	file, err := os.ReadFile("testdata/fleet-annotated.yaml")
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(readme), "<!-- fleet:begin -->\n```yaml\n")
	require.True(t, ok, "README.md lost its fleet example markers")
	block, _, ok = strings.Cut(block, "```\n<!-- fleet:end -->")
	require.True(t, ok)
	require.Equal(t, string(file), block, "README.md's fleet example and testdata/fleet-annotated.yaml differ")
	res := run(t, string(file))
	require.NoError(t, res.Err())
}

func TestGeneratorIsDeterministic(t *testing.T) {
	src := func(seed string) string {
		return "name: g\nsessions:\n  - {id: w, client: '{ip}', user: 'u{n}', count: 300, seed: " + seed +
			", age: 1h..8h, idle: 0s..9h, open_files: 0..7}\n"
	}
	a, b, c := mustParse(t, src("5")), mustParse(t, src("5")), mustParse(t, src("6"))
	as, bs, cs := a.Servers[0].Expand(), b.Servers[0].Expand(), c.Servers[0].Expand()
	require.Len(t, as, 300)
	require.Equal(t, 300, a.Servers[0].SessionCount())
	assert.Equal(t, as, bs, "same seed, same sessions")
	assert.NotEqual(t, as, cs, "another seed, other sessions")
	start := a.Servers[0].Start
	for i, d := range as {
		s := d.Session
		require.False(t, s.LastActivity.Before(s.Created), "session %d idle longer than its age", i)
		age := start.Sub(s.Created)
		require.True(t, age >= time.Hour && age <= 8*time.Hour, "session %d age %v outside 1h..8h", i, age)
		require.LessOrEqual(t, s.OpenFiles, uint32(7))
	}
	first, last := as[0], as[299]
	assert.Equal(t, "10.0.0.1", first.Session.ClientName)
	assert.Equal(t, "10.0.1.44", last.Session.ClientName) // 300 = 1*256 + 44
	assert.Equal(t, "u300", last.Session.UserName)
	assert.Equal(t, "w-300", last.ID)
}

func TestRunTwice(t *testing.T) {
	_, sc, err := scenarios.Load("guest-sessions")
	require.NoError(t, err)
	_, err = sc.Run(context.Background())
	require.NoError(t, err)
	_, err = sc.Run(context.Background())
	require.ErrorIs(t, err, scenarios.ErrAlreadyRan)
}

func TestRunStopsOnDoneContext(t *testing.T) {
	_, sc, err := scenarios.Load("guest-sessions")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = sc.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestUnmetExpectationIsReportedWithDiff(t *testing.T) {
	res := run(t, `name: wrong
sessions:
  - {client: ws01, user: bob}
steps:
  - as: user
    enum: {level: 10}
    expect: {status: NERR_Success, entries: 1}
  - as: administrator
    enum: {level: 10}
    expect: {status: NERR_Success, fields: [{username: alice}]}
`)
	require.Len(t, res.Failures, 2)
	f := res.Failures[0]
	assert.Equal(t, 5, f.Line)
	assert.Equal(t, 1, f.Step)
	for _, l := range []string{"-status: NERR_Success\n", "+status: ERROR_ACCESS_DENIED\n", "-entries: 1\n", "+entries: 0\n"} {
		assert.Contains(t, f.Diff, l)
	}
	assert.Contains(t, res.Failures[1].Diff, "-  - {username: alice}\n+  - {username: bob}")
	var ee *scenarios.ExpectationError
	require.ErrorAs(t, res.Err(), &ee)
	assert.Contains(t, res.Err().Error(), "test.yaml:5: steps[0]: NetSessionEnum(level=10")
}

func TestTimelineEventsBeforeStepsAtTheSameTime(t *testing.T) {
	res := run(t, `name: order
sessions:
  - {id: a, client: ws01, user: ann, open_files: 1, age: 1h, idle: 1h}
timeline:
  - {at: 10m, activity: a}
  - {at: 10m, open: a, files: 3}
  - {advance: 5m, close: a, files: 2}
  - {at: 20m, connect: {id: b, client: ws02, user: ben, age: 30s}}
  - {at: 30m, disconnect: b}
steps:
  - at: 10m
    as: administrator
    enum: {level: 1}
    expect: {fields: [{num_opens: 4, time: 4200, idle_time: 0}]}
  - at: 20m
    as: administrator
    enum: {level: 1}
    expect: {fields: [{num_opens: 2, idle_time: 300}, {cname: '\\ws02', time: 30, idle_time: 0}]}
`)
	require.NoError(t, res.Err())
	var events []string
	for _, c := range res.Transcript.Calls {
		if c.IsEvent() {
			events = append(events, c.At.String()+" "+c.Event)
		}
	}
	// The disconnect at 30m comes after the last step and is still applied.
	assert.Equal(t, []string{
		"10m0s activity in a (ws01 as ann)",
		"10m0s open 3 file(s) in a (ws01 as ann)",
		"15m0s close 2 file(s) in a (ws01 as ann)",
		"20m0s connect b (ws02 as ben)",
		"30m0s disconnect b (ws02 as ben)",
	}, events)
}

func TestScenarioServerAndClient(t *testing.T) {
	srv, sc, err := scenarios.Load("admin-closes-idle")
	require.NoError(t, err)
	require.Equal(t, 6, srv.Len())
	id, s, ok := sc.SessionID("hank")
	require.True(t, ok)
	require.Same(t, srv, s)
	sess, ok := srv.Session(id)
	require.True(t, ok)
	assert.Equal(t, "hank", sess.UserName)

	api, err := sc.Client("ivy")
	require.NoError(t, err)
	err = api.NetSessionDel(context.Background(), "", "", "eve")
	require.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	_, err = sc.Client("mallory")
	require.Error(t, err)
}

func TestProfileOverrides(t *testing.T) {
	spec := mustParse(t, `name: o
server:
  profile: windows-legacy
  new_sessions_first: true
  both_filters_miss: NERR_UserNotFound
  too_small: buf-too-small
  arch: x86
  unknown_server: RPC_S_SERVER_UNAVAILABLE
  case_sensitive_names: true
  getinfo_levels_1_2_for_users: true
`)
	p := spec.Servers[0].Profile
	assert.Equal(t, "windows-legacy", p.Name)
	assert.True(t, p.NewSessionsFirst)
	assert.Equal(t, sessionapi.NERR_UserNotFound, p.BothFiltersMiss)
	assert.Equal(t, fake.TooSmallBufTooSmall, p.TooSmall)
	assert.Equal(t, sessionapi.X86, p.Arch)
	assert.Equal(t, sessionapi.RPC_S_SERVER_UNAVAILABLE, p.UnknownServer)
	assert.True(t, p.CaseSensitiveNames)
	assert.True(t, p.GetInfoLevels1And2ForUsers)
}

func TestFleetRouting(t *testing.T) {
	spec := mustParse(t, `name: f
servers:
  - {name: A, aliases: [a.example]}
  - {name: B, profile: samba, unknown_server: RPC_S_SERVER_UNAVAILABLE}
`)
	sc, err := spec.Start()
	require.NoError(t, err)
	api, err := sc.Client("administrator")
	require.NoError(t, err)
	ctx := context.Background()
	for _, name := range []string{"", "A", `\\a`, "A.EXAMPLE", `\\B`, "b"} {
		_, err := api.NetSessionEnum(ctx, name, "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
		require.NoError(t, err, "servername %q", name)
	}
	_, err = api.NetSessionEnum(ctx, "C", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
	require.ErrorIs(t, err, sessionapi.ERROR_BAD_NETPATH, "the first server's profile decides")
	a, b := sc.Servers()[0], sc.Servers()[1]
	assert.Len(t, a.Calls(), 4, "calls to A and its alias, and the empty name")
	assert.Len(t, b.Calls(), 2)

	_, err = scenarios.NewFleet()
	require.Error(t, err)
	_, err = scenarios.NewFleet(fake.New(fake.WithName("X")), fake.New(fake.WithName("x")))
	require.Error(t, err, "names must be distinct")
}

func TestLoadErrors(t *testing.T) {
	_, _, err := scenarios.LoadFile("testdata/does-not-exist.yaml")
	require.ErrorIs(t, err, os.ErrNotExist)
	_, _, err = scenarios.Load("nope")
	require.Error(t, err)
	var se *scenarios.Error
	require.False(t, errors.As(err, &se))
}

func TestFaultsArmed(t *testing.T) {
	res := run(t, `name: faults
faults:
  - {call: enum, probability: 0.5, seed: 3, status: NERR_ServerNotStarted}
steps:
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
`)
	var failed, ok int
	for _, c := range res.Transcript.Calls {
		switch c.Status {
		case sessionapi.NERR_ServerNotStarted:
			failed++
		case sessionapi.NERR_Success:
			ok++
		}
	}
	assert.Equal(t, 6, failed+ok)
	assert.NotZero(t, failed, "probability 0.5 over six calls fired none")
	assert.NotZero(t, ok, "probability 0.5 over six calls fired on all")
	again := run(t, `name: faults
faults:
  - {call: enum, probability: 0.5, seed: 3, status: NERR_ServerNotStarted}
steps:
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
  - {as: administrator, enum: {level: 0}}
`)
	assert.Equal(t, res.Transcript.Calls, again.Transcript.Calls, "a seeded fault repeats exactly")
}
