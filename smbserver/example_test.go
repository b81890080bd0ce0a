package smbserver_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
)

// Serve a fake on a loopback port and enumerate its sessions over SMB2 with the srvsvc
// client, as any MS-SRVS client would. The client's own logon is a session too: Windows
// lists the caller's session, with its address as the client name and its open pipe.
func Example() {
	f := fake.New(fake.WithName("FILESRV01"))
	if _, err := f.Connect(fake.Session{ClientName: "10.0.0.7", UserName: "alice", OpenFiles: 2}); err != nil {
		log.Fatal(err)
	}
	srv := smbserver.New(f, smbserver.Config{
		Accounts: []smbserver.Account{{Name: "auditor", Password: "fixture", Role: fake.Administrator}},
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port,
		User: "auditor", Password: "fixture"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for e, err := range sessionapi.All(ctx, c, sessionapi.EnumRequest{Level: sessionapi.Level1}) {
		if err != nil {
			log.Fatal(err)
		}
		s := e.(*sessionapi.SessionInfo1)
		fmt.Printf("%s %s %d open\n", s.ClientName, s.UserName, s.NumOpens)
	}
	// Output:
	// \\10.0.0.7 alice 2 open
	// \\127.0.0.1 auditor 1 open
}
