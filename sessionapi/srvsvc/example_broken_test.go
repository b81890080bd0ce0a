package srvsvc_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
)

// A server that closes the connection under a client is a broken connection, not a timeout:
// the error names the stage, matches ErrConnectionLost, and matches no context error.
func ExampleBrokenError() {
	srv := smbserver.New(fake.New(fake.WithName("FILESRV01")), smbserver.Config{
		Accounts: []smbserver.Account{{Name: "auditor", Password: "fixture", Role: fake.Administrator}},
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port,
		User: "auditor", Password: "fixture"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	srv.Close() // the server goes away

	_, err = sessionapi.Collect(ctx, c, sessionapi.EnumRequest{Level: sessionapi.Level1})
	var be *srvsvc.BrokenError
	fmt.Println("broken:", errors.As(err, &be))
	fmt.Println("connection lost:", errors.Is(err, srvsvc.ErrConnectionLost))
	fmt.Println("deadline:", errors.Is(err, context.DeadlineExceeded), "canceled:", errors.Is(err, context.Canceled))
	// Output:
	// broken: true
	// connection lost: true
	// deadline: false canceled: false
}
