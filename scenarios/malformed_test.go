package scenarios_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/scenarios"
)

// malformed are scenario files with one mistake each (or several, where said), and where the
// loader must point: the line, the field, and words of the message.
var malformed = []struct {
	name  string
	yaml  string
	line  int
	field string
	msg   string
}{
	{"unknown top-level key", "name: x\nsesions: []\n", 2, "sesions", "unknown key; want one of callers, description"},
	{"missing name", "description: no name\n", 1, "name", "missing"},
	{"name with a space", "name: two words\n", 1, "name", "without spaces"},
	{"name is a number", "name: 42\n", 1, "name", "got the number 42; want a string"},
	{"unknown profile", "name: x\nserver:\n  profile: windwos\n", 3, "server.profile", `unknown profile "windwos"; want one of samba, windows, windows-legacy`},
	{"server start not a time", "name: x\nserver:\n  start: monday\n", 3, "server.start", "RFC 3339"},
	{"server name with backslashes", "name: x\nserver:\n  name: '\\\\FILESRV01'\n", 3, "server.name", "bare server name"},
	{"unknown key in server", "name: x\nserver:\n  name: A\n  os: windows\n", 4, "server.os", "unknown key"},
	{"too_small unknown", "name: x\nserver:\n  too_small: panic\n", 3, "server.too_small", "want more-data, one-entry or buf-too-small"},
	{"sessions not a list", "name: x\nsessions:\n  client: a\n", 3, "sessions", "want a list"},
	{"session without client", "name: x\nsessions:\n  - {user: bob}\n", 3, "sessions[0].client", "missing"},
	{"client with a backslash", "name: x\nsessions:\n  - {client: '\\\\ws01', user: bob}\n", 3, "sessions[0].client", "without backslashes"},
	{"user with a domain", "name: x\nsessions:\n  - client: ws01\n    user: 'CORP\\bob'\n", 4, "sessions[0].user", "without a DOMAIN"},
	{"negative open files", "name: x\nsessions:\n  - {client: ws01, open_files: -1}\n", 3, "sessions[0].open_files", "want a whole number from 0 to 4294967295"},
	{"open files as text", "name: x\nsessions:\n  - {client: ws01, open_files: many}\n", 3, "sessions[0].open_files", `got "many"`},
	{"idle longer than age", "name: x\nsessions:\n  - client: ws01\n    age: 1h\n    idle: 2h\n", 5, "sessions[0].idle", "longer than the age"},
	{"negative age", "name: x\nsessions:\n  - {client: ws01, age: -5m}\n", 3, "sessions[0].age", "0 or more"},
	{"age not a duration", "name: x\nsessions:\n  - {client: ws01, age: yesterday}\n", 3, "sessions[0].age", "want a duration like 90s"},
	{"unknown flag", "name: x\nsessions:\n  - client: ws01\n    flags: [SESS_GUEST, SESS_ADMIN]\n", 4, "sessions[0].flags[1]", `unknown flag "SESS_ADMIN"`},
	{"negative count", "name: x\nsessions:\n  - {client: 'ws{n}', count: -3}\n", 3, "sessions[0].count", "want a whole number from 1 to"},
	{"zero count", "name: x\nsessions:\n  - {client: 'ws{n}', count: 0}\n", 3, "sessions[0].count", "from 1 to"},
	{"range upside down", "name: x\nsessions:\n  - {client: ws01, age: 8h..1h}\n", 3, "sessions[0].age", "from low to high"},
	{"repeated session id", "name: x\nsessions:\n  - {id: a, client: ws01}\n  - {id: a, client: ws02}\n", 4, "sessions[1].id", `session id "a" is already used (line 3)`},
	{"repeated key", "name: x\nname: y\n", 2, "name", "repeated key (first at line 1)"},
	{"fault without trigger", "name: x\nfaults:\n  - {status: ERROR_BAD_NETPATH}\n", 3, "faults[0]", "no trigger"},
	{"fault with two triggers", "name: x\nfaults:\n  - {nth: 1, every: true, status: ERROR_BAD_NETPATH}\n", 3, "faults[0]", "2 triggers"},
	{"fault unknown status", "name: x\nfaults:\n  - {every: true, status: ERROR_SERVER_ON_FIRE}\n", 3, "faults[0].status", `unknown status "ERROR_SERVER_ON_FIRE"`},
	{"fault probability above 1", "name: x\nfaults:\n  - {probability: 1.5, status: ERROR_BAD_NETPATH}\n", 3, "faults[0].probability", "at most 1"},
	{"fault unknown call", "name: x\nfaults:\n  - {call: list, every: true, status: ERROR_BAD_NETPATH}\n", 3, "faults[0].call", "want enum, getinfo, del or any"},
	{"fault doing nothing", "name: x\nfaults:\n  - {every: true}\n", 3, "faults[0]", "neither status nor latency"},
	{"unknown role", "name: x\ncallers:\n  - {name: a, role: root}\n", 3, "callers[0].role", `unknown role "root"`},
	{"caller without role", "name: x\ncallers:\n  - {name: a}\n", 3, "callers[0].role", "missing"},
	{"timeline unknown session", "name: x\nsessions:\n  - {id: s1, client: ws01}\ntimeline:\n  - {at: 1m, disconnect: s9}\n", 5, "timeline[0].disconnect", `unknown session "s9"; want one of s1`},
	{"timeline out of order", "name: x\nsessions:\n  - {id: s1, client: ws01}\ntimeline:\n  - {at: 5m, activity: s1}\n  - {at: 1m, activity: s1}\n", 6, "timeline[1].at", "before the previous event"},
	{"timeline two actions", "name: x\nsessions:\n  - {id: s1, client: ws01}\ntimeline:\n  - {at: 1m, activity: s1, disconnect: s1}\n", 5, "timeline[0]", "one action per event"},
	{"timeline close more than open", "name: x\nsessions:\n  - {id: s1, client: ws01, open_files: 1}\ntimeline:\n  - {at: 1m, close: s1, files: 2}\n", 5, "timeline[0].close", "has 1 open then"},
	{"timeline after disconnect", "name: x\nsessions:\n  - {id: s1, client: ws01}\ntimeline:\n  - {at: 1m, disconnect: s1}\n  - {at: 2m, activity: s1}\n", 6, "timeline[1].activity", "already disconnected"},
	{"step without call", "name: x\nsteps:\n  - expect: {status: NERR_Success}\n", 3, "steps[0]", "no call"},
	{"step unknown caller", "name: x\ncallers:\n  - {name: admin, role: administrator}\n  - {name: bob, role: user}\nsteps:\n  - {as: carol, enum: {level: 1}}\n", 6, "steps[0].as", `unknown caller "carol"`},
	{"step enum without level", "name: x\nsteps:\n  - as: administrator\n    enum: {client: '\\\\ws01'}\n", 4, "steps[0].enum.level", "missing"},
	{"step level negative", "name: x\nsteps:\n  - {as: administrator, enum: {level: -1}}\n", 3, "steps[0].enum.level", "from 0 to 4294967295"},
	{"step bad resume", "name: x\nsteps:\n  - {as: administrator, enum: {level: 1, resume: later}}\n", 3, "steps[0].enum.resume", "want none"},
	{"step unknown expected status", "name: x\nsteps:\n  - as: administrator\n    enum: {level: 1}\n    expect:\n      status: SUCCESS\n", 6, "steps[0].expect.status", `unknown status "SUCCESS"`},
	{"expect field the level lacks", "name: x\nsteps:\n  - as: administrator\n    enum: {level: 10}\n    expect:\n      fields:\n        - {num_opens: 1}\n", 7, "steps[0].expect.fields[0].num_opens", "level 10 has no num_opens"},
	{"expect entries for del", "name: x\nsteps:\n  - as: administrator\n    del: {user: bob}\n    expect: {entries: 1}\n", 5, "steps[0].expect.entries", "NetSessionDel returns no entries"},
	{"expect pages without all", "name: x\nsteps:\n  - as: administrator\n    enum: {level: 1}\n    expect: {pages: 2}\n", 5, "steps[0].expect.pages", "only for enum with all: true"},
	{"steps out of order", "name: x\nsteps:\n  - {at: 5m, as: administrator, enum: {level: 1}}\n  - {at: 1m, as: administrator, enum: {level: 1}}\n", 4, "steps[1].at", "before the previous step"},
	{"alias refused", "name: x\nsessions:\n  - &s {client: ws01}\n  - *s\n", 4, "sessions[1]", "aliases"},
	{"two documents", "name: x\n---\nname: y\n", 2, "(document)", "a second YAML document"},
	{"syntax error", "name: x\nsessions: [\n", 2, "(syntax)", "want valid YAML"},
	{"empty file", "", 1, "(document)", "empty"},
	{"fleet with top-level sessions", "name: x\nservers:\n  - {name: A}\nsessions:\n  - {client: ws01}\n", 4, "sessions", "not allowed beside servers:"},
	{"fleet server without name", "name: x\nservers:\n  - {profile: samba}\n", 3, "servers[0].name", "missing"},
	{"connect on unknown server", "name: x\nservers:\n  - {name: A}\ntimeline:\n  - {at: 1m, server: B, connect: {client: ws01}}\n", 5, "timeline[0].server", `unknown server "B"`},
}

func TestMalformed(t *testing.T) {
	require.GreaterOrEqual(t, len(malformed), 25)
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse("bad.yaml", []byte(tc.yaml))
			require.Error(t, err, "Parse accepted:\n%s", tc.yaml)
			var se *scenarios.Error
			require.True(t, errors.As(err, &se), "want a *scenarios.Error, got %T: %v", err, err)
			for _, p := range se.Problems {
				if p.Line == tc.line && p.Field == tc.field && strings.Contains(p.Msg, tc.msg) {
					prefix := fmt.Sprintf("bad.yaml:%d:%d: %s: ", tc.line, p.Column, tc.field)
					require.True(t, strings.HasPrefix(p.String(), prefix), "%q does not start with %q", p.String(), prefix)
					return
				}
			}
			t.Errorf("Parse(%q) problems:\n%v\nwant one at line %d, field %s, containing %q", tc.name, err, tc.line, tc.field, tc.msg)
		})
	}
}

// TestAllProblemsReported checks that one file with several mistakes gets them all, in file
// order, not just the first.
func TestAllProblemsReported(t *testing.T) {
	src := `name: x
server:
  profile: windwos
sessions:
  - {client: '\\ws01', open_files: -1}
  - {client: ws02, age: 1h, idle: 2h, flags: [SESS_ROOT]}
callers:
  - {name: a, role: king}
`
	_, err := scenarios.Parse("several.yaml", []byte(src))
	var se *scenarios.Error
	require.ErrorAs(t, err, &se)
	var got []string
	for _, p := range se.Problems {
		got = append(got, fmt.Sprintf("%d %s", p.Line, p.Field))
	}
	require.Equal(t, []string{
		"3 server.profile",
		"5 sessions[0].client",
		"5 sessions[0].open_files",
		"6 sessions[1].flags[0]",
		"6 sessions[1].idle",
		"8 callers[0].role",
	}, got, "all problems:\n%v", err)
}
