package scenarios_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/scenarios"
)

// TestValidateRefusesWhatReplayWould (issue 9 class 6): whatever Start or Run would refuse,
// Parse refuses, at its line.
func TestValidateRefusesWhatReplayWould(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		field, msg string
	}{
		{"start in year 1", "name: x\nserver:\n  start: 0001-01-01T00:00:00Z\n", 3, "server.start", "want a time from 1678 to 2261"},
		{"start in year 9999", "name: x\nserver:\n  start: 9999-12-31T00:00:00Z\n", 3, "server.start", "want a time from 1678 to 2261"},
		{"age before 1678", "name: x\nserver:\n  start: 1680-01-01T00:00:00Z\nsessions:\n  - {client: ws, age: 1000d}\n", 5, "sessions[0].age", "from 1678 on"},
		{"connect after 2261", "name: x\nserver:\n  start: 2261-12-01T00:00:00Z\ntimeline:\n  - {at: 60d, connect: {client: ws}}\n", 5, "timeline[0].connect", "want a connect before 2262"},
		{"connect created before 1678", "name: x\nserver:\n  start: 1679-01-01T00:00:00Z\ntimeline:\n  - {at: 1m, connect: {client: ws, age: 400d}}\n", 5, "timeline[0].connect.age", "want from 1678 on"},
		{"timeline past a DWORD", "name: x\ntimeline:\n" + repeatLine("  - {advance: 49710d}\n", 3), 5, "timeline[2]", "want at most"},
		{"invalid UTF-8", "name: x\ndescription: ok\nsessions:\n  - {client: 'ws\xff'}\n", 4, "(syntax)", "invalid UTF-8 (byte 0xFF)"},
		{"NUL byte", "name: x\nsessions:\n  - {client: ws01}\n  - {client: 'a\x00b'}\n", 4, "(syntax)", "a NUL byte"},
		{"control character", "name: x\ndescription: \"ok\"\n# \x1b[2J\n", 3, "(syntax)", "U+001B"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { requireProblem(t, tc.yaml, tc.line, tc.field, tc.msg) })
	}
}

func repeatLine(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// TestValidateColumnOfBadByte: the column counts characters, so a bad byte after non-ASCII
// text is found where an editor shows it.
func TestValidateColumnOfBadByte(t *testing.T) {
	_, err := scenarios.Parse("bad.yaml", []byte("name: x\ndescription: 'héhé \xc3'\n"))
	var se *scenarios.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "bad.yaml:2:20: (syntax): invalid UTF-8 (byte 0xC3); want the file in UTF-8", se.Problems[0].String())
}

// TestAllTruePageBound: an all: true step pages to the end of the largest server a file can
// hold; it cannot stop early at a page bound and report success.
func TestAllTruePageBound(t *testing.T) {
	require.Greater(t, scenarios.MaxSessions+2, 1<<20, "the page bound must exceed the sessions a file can hold")
	res := run(t, `name: pages
server: {too_small: one-entry}
sessions:
  - {client: 'ws{n}', count: 3000}
steps:
  - as: administrator
    enum: {level: 0, prefmaxlen: 1, all: true}
    expect: {status: NERR_Success, entries: 3000, pages: 3000}
`)
	require.NoError(t, res.Err())
}

// TestFuzzFindingsStart is a seed list of shapes the fuzz target found: each must parse
// and then start and run, or be refused by Parse.
func TestAcceptedFilesStartAndRun(t *testing.T) {
	for _, src := range []string{
		"name: x\nserver: {start: 1678-01-01T00:00:00Z}\nsessions:\n  - {client: ws}\n",
		"name: x\nserver: {start: 2261-12-31T23:59:59Z}\ntimeline:\n  - {at: 0s, connect: {client: ws}}\n",
		"name: x\nservers:\n  - {name: 'F{n}', count: 3, churn: {share: 1, join: 1m}}\nsteps:\n  - {as: administrator, enum: {server: F1, level: 1}, expect: {status: ERROR_BAD_NETPATH}}\n",
	} {
		spec, err := scenarios.Parse("ok.yaml", []byte(src))
		require.NoError(t, err, src)
		sc, err := spec.Start()
		require.NoError(t, err, src)
		res, err := sc.Run(context.Background())
		require.NoError(t, err, src)
		require.NoError(t, res.Err(), src)
	}
}
