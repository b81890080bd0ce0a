package idlekick_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/examples/idlekick"
	"github.com/sessionsim/sessionsim/fake"
)

// An anonymous session's delete would end every session of its client, and a (client, user)
// delete every session of that pair: KickDetailed spares an idle session when a busy one would
// go with it, and says which.
func ExampleKickDetailed() {
	ctx := context.Background()
	srv := fake.New(fake.WithName("FS01"))
	srv.Connect(fake.Session{ClientName: "10.0.0.7", UserName: ""}) // anonymous
	erin, _ := srv.Connect(fake.Session{ClientName: "10.0.0.7", UserName: "erin"})
	srv.Connect(fake.Session{ClientName: "10.0.0.6", UserName: "bob"})
	srv.Advance(time.Hour)
	srv.Activity(erin)

	res, err := idlekick.KickDetailed(ctx, srv.As(fake.Administrator), "FS01", 30*time.Minute)
	if err != nil {
		panic(err)
	}
	for _, k := range res.Kicked {
		fmt.Printf("kicked %s %q idle %v\n", k.Client, k.User, k.Idle)
	}
	for _, s := range res.Spared {
		fmt.Printf("spared %s %q: its delete would also end %s %q (idle %v)\n", s.Client, s.User, s.Busy[0].Client, s.Busy[0].User, s.Busy[0].Idle)
	}
	// Output:
	// kicked \\10.0.0.6 "bob" idle 1h0m0s
	// spared \\10.0.0.7 "": its delete would also end \\10.0.0.7 "erin" (idle 0s)
}
