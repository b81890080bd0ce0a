package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Load a built-in scenario and enumerate its server the way the code under test would.
func ExampleLoad() {
	srv, _, err := scenarios.Load("guest-sessions")
	if err != nil {
		log.Fatal(err)
	}
	entries, err := sessionapi.Collect(context.Background(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level1})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		s := e.(*sessionapi.SessionInfo1)
		fmt.Println(s.ClientName, s.UserName, s.UserFlags)
	}
	// Output:
	// \\10.0.0.21 alice 0
	// \\10.0.0.77 guest SESS_GUEST
	// \\ws-bob bob 0
}

// Load a scenario file of one's own.
func ExampleLoadFile() {
	srv, sc, err := scenarios.LoadFile("testdata/annotated.yaml")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sc.Spec().Name, srv.Name(), srv.Len(), "sessions")
	// Output: annotated-example FILESRV01 21 sessions
}

// Run a scenario's own steps: the transcript shows the gap a disconnect leaves in a paged
// enumeration, and every expectation of the file was met.
func ExampleScenario_Run() {
	_, sc, err := scenarios.Load("paging-gaps")
	if err != nil {
		log.Fatal(err)
	}
	res, err := sc.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Transcript.Calls {
		fmt.Println(c.String())
	}
	fmt.Println("unmet expectations:", len(res.Failures))
	// Output:
	// NetSessionEnum(level=10, prefmaxlen=126, resume=0) = ERROR_MORE_DATA, read=3, total=6, resume=3
	// event: disconnect s2 (ws2 as u2)
	// NetSessionEnum(level=10, prefmaxlen=126, resume=3) = NERR_Success, read=2, total=2, resume=5
	// NetSessionEnum(level=10, prefmaxlen=MAX_PREFERRED_LENGTH) = NERR_Success, read=5, total=5
	// unmet expectations: 0
}

// A file with mistakes: every problem, with its line, column and field.
func ExampleParse() {
	_, err := scenarios.Parse("demo.yaml", []byte(`name: demo
sessions:
  - {client: ws01, age: 1h, idle: 2h}
  - {client: ws02, flags: [SESS_ADMIN]}
`))
	var se *scenarios.Error
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// demo.yaml:3:35: sessions[0].idle: 2h0m0s is longer than the age 1h0m0s; want idle no longer than age (a session cannot be idle longer than it has existed)
	// demo.yaml:4:28: sessions[1].flags[0]: unknown flag "SESS_ADMIN"; want SESS_GUEST or SESS_NOENCRYPTION
}

// A fleet routes calls by servername; a name no server answers to gets ERROR_BAD_NETPATH.
func ExampleNewFleet() {
	a := fake.New(fake.WithName("FILESRV01"))
	b := fake.New(fake.WithName("OLDSRV"), fake.WithProfile(fake.WindowsLegacy()))
	if _, err := b.Connect(fake.Session{ClientName: "10.0.0.40", UserName: "jo"}); err != nil {
		log.Fatal(err)
	}
	fleet, err := scenarios.NewFleet(a, b)
	if err != nil {
		log.Fatal(err)
	}
	api := fleet.As(fake.Caller{Role: fake.User, Name: "auditor"})
	ctx := context.Background()
	for _, server := range []string{`\\FILESRV01`, `\\OLDSRV`, `\\GONE01`} {
		res, err := api.NetSessionEnum(ctx, server, "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
		st, _ := sessionapi.StatusOf(err)
		fmt.Println(server, st.String(), len(res.Entries))
	}
	// Output:
	// \\FILESRV01 ERROR_ACCESS_DENIED 0
	// \\OLDSRV NERR_Success 1
	// \\GONE01 ERROR_BAD_NETPATH 0
}

// The built-in library, by name.
func ExampleBuiltinNames() {
	for _, name := range scenarios.BuiltinNames()[:3] {
		spec, err := scenarios.Builtin(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, len(spec.Steps), "steps")
	}
	// Output:
	// admin-closes-idle 9 steps
	// busy-file-server 7 steps
	// fleet-audit 7 steps
}

// Seed a fake from a transcript that carries the server's sessions (as a recording does) and
// ask it the same questions.
func ExampleReplayTranscript() {
	rec, err := transcript.Parse([]byte(`transcript: 1
source: recording
servers:
  - name: SMB01
    profile: samba
    time: "2026-02-01T10:00:00Z"
    sessions:
      - {cname: 127.0.0.1, username: alice, num_opens: 1, time: 60, idle_time: 0, user_flags: 0}
callers:
  - {name: admin, role: administrator}
calls:
  - seq: 1
    at: 5s
    caller: admin
    call: NetSessionEnum
    args: {level: 1, prefmaxlen: MAX_PREFERRED_LENGTH}
    status: NERR_Success
    entriesread: 1
    totalentries: 1
    entries:
      - {cname: 127.0.0.1, username: alice, num_opens: 1, time: 65, idle_time: 0, user_flags: 0}
`))
	if err != nil {
		log.Fatal(err)
	}
	replayed, err := scenarios.ReplayTranscript(context.Background(), rec)
	if err != nil {
		log.Fatal(err)
	}
	want, _ := rec.YAML()
	got, _ := replayed.YAML()
	fmt.Printf("%q\n", transcript.Diff("recording", string(want), "fake", string(got)))
	fmt.Println(replayed.Calls[0].String())
	// Output:
	// ""
	// NetSessionEnum(level=1, prefmaxlen=MAX_PREFERRED_LENGTH) = NERR_Success, read=1, total=1
}

// Drive a scenario's timeline from your own code: move to an offset and the events due by
// then have happened, each at its own time.
func ExampleScenario_AdvanceTo() {
	spec, err := scenarios.Parse("churn.yaml", []byte(`name: churn
sessions:
  - {id: a, client: 10.0.0.5, user: ann}
timeline:
  - {at: 5m, connect: {client: 10.0.0.6, user: ben}}
  - {at: 10m, disconnect: a}
`))
	if err != nil {
		log.Fatal(err)
	}
	sc, err := spec.Start()
	if err != nil {
		log.Fatal(err)
	}
	for _, at := range []time.Duration{time.Minute, 6 * time.Minute, 15 * time.Minute} {
		if err := sc.AdvanceTo(at); err != nil {
			log.Fatal(err)
		}
		var users []string
		for _, s := range sc.Server().Sessions() {
			users = append(users, s.UserName)
		}
		fmt.Println(sc.Elapsed(), users)
	}
	// Output:
	// 1m0s [ann]
	// 6m0s [ann ben]
	// 15m0s [ben]
}

// Stream a replay: the header first, then each call and event as it happens; nothing is kept.
func ExampleScenario_RunStream() {
	_, sc, err := scenarios.Load("unreachable-server")
	if err != nil {
		log.Fatal(err)
	}
	h := sc.Header()
	fmt.Println(h.Scenario, len(h.Servers), "server(s)")
	res, err := sc.RunStream(context.Background(), func(c *transcript.Call) error {
		fmt.Println(c.Seq, c.Outcome())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unmet expectations:", len(res.Failures))
	// Output:
	// unreachable-server 1 server(s)
	// 1 RPC_S_SERVER_UNAVAILABLE
	// 2 ERROR_BAD_NETPATH
	// 3 NERR_Success
	// 4 ERROR_BAD_NETPATH
	// 5 NERR_Success
	// 6 RPC_S_SERVER_UNAVAILABLE
	// 7 ERROR_MORE_DATA
	// 8 NERR_Success
	// unmet expectations: 0
}

// How big a scenario is, without generating a session.
func ExampleSpec_Counts() {
	spec, err := scenarios.Builtin("large-fleet")
	if err != nil {
		log.Fatal(err)
	}
	servers, sessions := spec.Counts()
	fmt.Println(servers, "servers,", sessions, "sessions")
	// Output: 10000 servers, 1059466 sessions
}

// Change a built-in scenario's profile from Go: parse it with Builtin, edit the Spec, Start.
func ExampleBuiltin() {
	spec, err := scenarios.Builtin("guest-sessions")
	if err != nil {
		log.Fatal(err)
	}
	spec.Servers[0].Profile = fake.Samba() // the same sessions on a Samba server
	sc, err := spec.Start()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sc.Server().Profile().Name, sc.Server().Len(), "sessions")
	// Output: samba 3 sessions
}

// A call to a server the fleet does not have reaches no server's Calls; the fleet keeps it.
func ExampleFleet_Misses() {
	fleet, err := scenarios.NewFleet(fake.New(fake.WithName(`\\FS01`)), fake.New(fake.WithName("FS02")))
	if err != nil {
		log.Fatal(err)
	}
	api := fleet.As(fake.Caller{Role: fake.Administrator, Name: "sweeper"})
	for _, name := range []string{"fs01", `\\FS02`, `\\FS03`} {
		_, err := api.NetSessionEnum(context.Background(), name, "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
		fmt.Println(name, errors.Is(err, sessionapi.ERROR_BAD_NETPATH))
	}
	for _, m := range fleet.Misses() {
		fmt.Println("missed:", m.Op, m.ServerName, m.Status)
	}
	// Output:
	// fs01 false
	// \\FS02 false
	// \\FS03 true
	// missed: NetSessionEnum \\FS03 ERROR_BAD_NETPATH (53)
}
