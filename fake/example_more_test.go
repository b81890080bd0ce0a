package fake_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Churn in one line: before every call, one session ends and a new one connects, while a
// collector pages with the helper.
func ExampleServer_BeforeCall() {
	srv := fake.New()
	var ids []fake.SessionID
	for i := range 6 {
		id, _ := srv.Connect(fake.Session{ClientName: fmt.Sprintf("WS%d", i), UserName: "u"})
		ids = append(ids, id)
	}
	n := 6
	srv.BeforeCall(func(*fake.Call) {
		_ = srv.Disconnect(ids[0]) // the oldest ends: behind the handle once paging has begun
		ids = ids[1:]
		id, _ := srv.Connect(fake.Session{ClientName: fmt.Sprintf("WS%d", n), UserName: "u"})
		ids = append(ids, id)
		n++
	})
	var seen []string
	for e, err := range sessionapi.All(context.Background(), srv.As(fake.Administrator),
		sessionapi.EnumRequest{Level: sessionapi.Level0, PrefMaxLen: 2 * (8 + 12)}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		seen = append(seen, e.Client())
	}
	// WS3 and WS6 were there from start to end and were not seen: each was the next entry
	// when a session behind the handle ended (the gap rule in the package doc).
	fmt.Println(seen)
	// Output: [\\WS1 \\WS2 \\WS4 \\WS5 \\WS7 \\WS8]
}

// What a collector was shown: with WithRecordedEntries, each recorded call carries copies of
// the entries it returned.
func ExampleWithRecordedEntries() {
	srv := fake.New(fake.WithRecordedEntries())
	_, _ = srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
	_, _ = srv.As(fake.Administrator).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	for _, c := range srv.Calls() {
		for _, e := range c.Entries {
			s := e.(*sessionapi.SessionInfo10)
			fmt.Println(c.Op, s.ClientName, s.UserName)
		}
	}
	// Output: NetSessionEnum \\10.0.0.5 alice
}

// Windows lists the caller's own session. The fake does when the profile says so; a collector
// drops it by its own user and address, as SharpHound drops its own user.
func ExampleProfile_listCallerSession() {
	p := fake.Windows()
	p.ListCallerSession = true
	srv := fake.New(fake.WithProfile(p))
	_, _ = srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
	me := fake.Caller{Role: fake.Administrator, Name: "collector", ClientName: "10.0.0.99"}
	res, _ := srv.AsCaller(me).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	for _, e := range res.Entries {
		s := e.(*sessionapi.SessionInfo10)
		own := s.UserName == me.Name && s.ClientName == `\\`+me.ClientName
		fmt.Println(s.ClientName, s.UserName, "own:", own)
	}
	fmt.Println("default client:", fake.DefaultCallerClient)
	// Output:
	// \\10.0.0.5 alice own: false
	// \\10.0.0.99 collector own: true
	// default client: 127.0.0.1
}

// After NERR_Success a Windows server leaves a non-zero resume handle (18 in a real capture):
// stop on the status. ZeroResumeAfterSuccess brings back the old fake's 0.
func ExampleProfile_zeroResumeAfterSuccess() {
	for _, zero := range []bool{false, true} {
		p := fake.Windows()
		p.ZeroResumeAfterSuccess = zero
		srv := fake.New(fake.WithProfile(p))
		_, _ = srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "alice"})
		var resume uint32
		_, err := srv.As(fake.Administrator).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, &resume)
		fmt.Println(zero, sessionapi.StatusString(err), resume)
	}
	// Output:
	// false NERR_Success 1
	// true NERR_Success 0
}

// A caller without a role is a mistake in the test, and says so.
func ExampleErrNoRole() {
	srv := fake.New()
	_, err := srv.AsCaller(fake.Caller{Name: "alice"}).NetSessionEnum(context.Background(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil)
	fmt.Println(errors.Is(err, fake.ErrNoRole))
	fmt.Println(err)
	// Output:
	// true
	// fake: NetSessionEnum: the caller has no role (the zero fake.Role): set Caller.Role to one of administrator, domain-admin, server-operator, user, guest, anonymous
}

// NetSessionDel with a client name that lacks `\\` deletes nothing on Windows and answers
// NERR_ClientNameNotFound, which reads like "already gone"; the recorded call says why.
func ExampleNoteDelNoPrefix() {
	srv := fake.New()
	_, _ = srv.Connect(fake.Session{ClientName: "WS01", UserName: "bob"})
	err := srv.As(fake.Administrator).NetSessionDel(context.Background(), "", "WS01", "bob")
	fmt.Println(err, srv.Len())
	fmt.Println(srv.Calls()[0].Note == fake.NoteDelNoPrefix)
	// Output:
	// NERR_ClientNameNotFound (2312) 1
	// true
}

// A server named by its UNC name answers with and without the `\\`; statuses compare with
// errors.Is, whatever the error's text (a lone fake, a fleet and a real server differ there).
func ExampleWithName() {
	srv := fake.New(fake.WithName(`\\FS01`))
	api := srv.As(fake.Administrator)
	for _, name := range []string{`\\FS01`, "fs01", `\\FS02`} {
		_, err := api.NetSessionEnum(context.Background(), name, "", "", sessionapi.Level0, sessionapi.MaxPreferredLength, nil)
		fmt.Println(name, errors.Is(err, sessionapi.ERROR_BAD_NETPATH))
	}
	fmt.Println(srv.Name())
	// Output:
	// \\FS01 false
	// fs01 false
	// \\FS02 true
	// FS01
}

// What netapi32 refuses before any RPC wins over a fault: a bad level fails fast even while
// the server is "down".
func ExampleNoteClientSide() {
	srv := fake.New()
	_, _ = srv.InjectFault(fake.Fault{Every: true, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE})
	api := srv.As(fake.Administrator)
	_, err := api.NetSessionGetInfo(context.Background(), "", `\\WS01`, "bob", sessionapi.Level502)
	fmt.Println(err)
	_, err = api.NetSessionGetInfo(context.Background(), "", `\\WS01`, "bob", sessionapi.Level10)
	fmt.Println(err)
	fmt.Println(srv.Calls()[0].Note == fake.NoteClientSide, srv.Calls()[1].Fault)
	// Output:
	// ERROR_INVALID_LEVEL (124)
	// RPC_S_SERVER_UNAVAILABLE (1722)
	// true true
}

// Every string of a session is bounded: one of MaxStringLength UTF-16 units or more could not
// come from a real server, and Connect refuses it.
func ExampleMaxStringLength() {
	srv := fake.New()
	_, err := srv.Connect(fake.Session{ClientName: "WS01", ClientType: strings.Repeat("x", fake.MaxStringLength)})
	fmt.Println(errors.Is(err, fake.ErrInvalidSession))
	fmt.Println(err)
	// Output:
	// true
	// invalid session: client type: is 1024 characters; want fewer than 1024
}

// IDs are never handed out twice: after a Restore, an ID from a session the restore removed
// reaches nobody, and new sessions get new IDs.
func ExampleServer_Restore() {
	srv := fake.New()
	first, _ := srv.Connect(fake.Session{ClientName: "WS01", UserName: "alice"})
	snap := srv.Snapshot()
	gone, _ := srv.Connect(fake.Session{ClientName: "WS02", UserName: "bob"})
	_ = srv.Restore(snap)
	next, _ := srv.Connect(fake.Session{ClientName: "WS03", UserName: "carol"})
	fmt.Println(first, gone, next)
	fmt.Println(errors.Is(srv.Disconnect(gone), fake.ErrNoSession), srv.Len())
	// Output:
	// 1 2 3
	// true 2
}
