package pager_test

import (
	"context"
	"fmt"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/pager"
)

// A budget too small for one entry grows until one fits; a page that fails with
// RPC_S_SERVER_UNAVAILABLE is asked again from the same position; OnPage sees every call.
func ExampleCollect() {
	ctx := context.Background()
	srv := fake.New()
	srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
	srv.Connect(fake.Session{ClientName: "10.0.0.6", UserName: "bob"})
	srv.InjectFault(fake.Fault{Op: fake.OpEnum, Nth: 3, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})

	entries, st, err := pager.Collect(ctx, srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 32},
		pager.Options{OnPage: func(p pager.Page) { fmt.Println(p) }})
	if err != nil {
		fmt.Println(err)
	}
	for _, e := range entries {
		k := pager.KeyOf(e)
		fmt.Println(k.Client, k.User)
	}
	fmt.Printf("%d calls, %d grow, %d retry, prefmaxlen %d\n", st.Calls, st.Grows, st.Retries, st.PrefMaxLen)
	// Output:
	// pass 1 page 1: prefmaxlen=32, resume 0 -> 0, ERROR_MORE_DATA, read=0, new=0, total=2: grow
	// pass 1 page 1 (attempt 2): prefmaxlen=64, resume 0 -> 1, ERROR_MORE_DATA, read=1, new=1, total=2: next
	// pass 1 page 2: prefmaxlen=64, resume 1 -> 1, RPC_S_SERVER_UNAVAILABLE, read=0, new=0, total=0: retry
	// pass 1 page 2 (attempt 2): prefmaxlen=64, resume 1 -> 2, NERR_Success, read=1, new=1, total=1: done
	// \\10.0.0.5 alice
	// \\10.0.0.6 bob
	// 4 calls, 1 grow, 1 retry, prefmaxlen 64
}

// Two sessions of one client and user are one entry to the pager: it lists who is logged on
// where. Stats counts the entries it merged.
func ExampleKeyOf() {
	ctx := context.Background()
	srv := fake.New()
	srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
	srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})

	entries, st, _ := pager.Collect(ctx, srv.As(fake.Administrator), sessionapi.EnumRequest{Level: sessionapi.Level10}, pager.Options{})
	fmt.Println(len(entries), pager.KeyOf(entries[0]), st.Duplicates)
	// Output:
	// 1 {\\10.0.0.5 alice} 1
}

// On a server whose sessions change while it pages, a second pass finds what the first
// skipped, for twice the calls.
func ExampleStrategy() {
	ctx := context.Background()
	for _, s := range []pager.Strategy{pager.OnePass, pager.TwoPasses} {
		srv := fake.New()
		var first fake.SessionID
		for i := range 6 {
			id, _ := srv.Connect(fake.Session{ClientName: fmt.Sprintf("c%03d", i), UserName: fmt.Sprintf("u%03d", i)})
			if i == 0 {
				first = id
			}
		}
		// Before the third call the first session ends, behind the handle: the list shifts
		// under it, and the session that moves into the freed position is skipped.
		calls := 0
		srv.BeforeCall(func(*fake.Call) {
			if calls++; calls == 3 {
				srv.Disconnect(first)
			}
		})
		req := sessionapi.EnumRequest{Level: sessionapi.Level10, PrefMaxLen: 48} // one entry a page
		entries, st, _ := pager.Collect(ctx, srv.As(fake.Administrator), req, pager.Options{Strategy: s})
		var clients []string
		for _, e := range entries {
			clients = append(clients, pager.KeyOf(e).Client)
		}
		fmt.Printf("%v: %d calls, %v\n", s, st.Calls, clients)
	}
	// Output:
	// OnePass: 5 calls, [\\c000 \\c001 \\c003 \\c004 \\c005]
	// TwoPasses: 10 calls, [\\c000 \\c001 \\c003 \\c004 \\c005 \\c002]
}
