package fake_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// A plain user asking a current Windows server for level 10 is refused: since Windows 10 1607
// and Server 2019, level 10 is admin-only too (spec rule 34).
func Example_plainUserRefused() {
	srv := fake.New() // the "windows" profile
	if _, err := srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"}); err != nil {
		panic(err)
	}
	_, err := srv.As(fake.User).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10,
		sessionapi.MaxPreferredLength, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, sessionapi.ERROR_ACCESS_DENIED))
	// Output:
	// ERROR_ACCESS_DENIED (5)
	// true
}

// Paging 1,000 sessions with prefmaxlen 256: the helper follows ERROR_MORE_DATA and the resume
// handle, and every session comes back exactly once.
func Example_paging() {
	srv := fake.New()
	for i := range 1000 {
		if _, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("10.0.%d.%d", i/250, i%250), UserName: "alice"}); err != nil {
			panic(err)
		}
	}
	seen := map[string]int{}
	for entry, err := range sessionapi.All(context.Background(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 256}) {
		if err != nil {
			panic(err)
		}
		seen[entry.Client()]++
	}
	once := 0
	for _, n := range seen {
		if n == 1 {
			once++
		}
	}
	calls := srv.Calls()
	fmt.Println(len(seen), "sessions,", once, "seen once, in", len(calls), "calls")
	fmt.Println(calls[0])
	// Output:
	// 1000 sessions, 1000 seen once, in 250 calls
	// NetSessionEnum(level=10, prefmaxlen=256, resume=0) = ERROR_MORE_DATA, read=4, total=1000
}

// Faults are keyed by call: here the second enumeration fails as if the server were gone.
func ExampleServer_InjectFault() {
	srv := fake.New()
	api := srv.As(fake.Administrator)
	if _, err := srv.InjectFault(fake.Fault{Op: fake.OpEnum, Nth: 2, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE}); err != nil {
		panic(err)
	}
	for range 3 {
		_, err := api.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// RPC_S_SERVER_UNAVAILABLE (1722)
	// <nil>
}

// Times derive from the fake clock: a session idle for 20 minutes of a 2-hour life.
func ExampleServer_Advance() {
	srv := fake.New()
	id, _ := srv.Connect(fake.Session{ClientName: "WS01", UserName: "bob"})
	_ = srv.Advance(100 * time.Minute)
	_ = srv.Activity(id)
	_ = srv.Advance(20 * time.Minute)
	info, err := srv.As(fake.Administrator).NetSessionGetInfo(context.Background(), "", `\\WS01`, "bob", sessionapi.Level10)
	if err != nil {
		panic(err)
	}
	s := info.(*sessionapi.SessionInfo10)
	fmt.Println(s.ClientName, s.UserName, s.Time, s.IdleTime)
	// Output: \\WS01 bob 7200 1200
}
