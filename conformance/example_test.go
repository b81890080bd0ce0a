package conformance_test

import (
	"context"
	"fmt"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// A harness seeds sessions, says how the server reports them, and hands out the API as a
// caller of a role; this is what every subtest of Run starts with.
func ExampleFakeHarness() {
	ctx := context.Background()
	h, err := conformance.FakeHarness(fake.Windows())(ctx)
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx)

	api, err := h.API(ctx, fake.Administrator)
	if err != nil {
		panic(err)
	}
	seeded, err := h.Seed(ctx, []conformance.SeedSession{
		{Client: 1, User: conformance.Alice, OpenFiles: 2},
		{Client: 2, User: conformance.GuestUser},
	})
	if err != nil {
		panic(err)
	}
	for _, o := range seeded {
		fmt.Printf("seeded %s %s opens=%d guest=%t\n", o.ClientName, o.UserName, o.OpenFiles, o.Guest)
	}

	res, err := api.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	if err != nil {
		panic(err)
	}
	for _, e := range res.Entries {
		i := e.(*sessionapi.SessionInfo1)
		fmt.Printf("listed %s %s opens=%d time=%d flags=%v\n", i.ClientName, i.UserName, i.NumOpens, i.Time, i.UserFlags)
	}
	// Output:
	// seeded WS01 alice opens=2 guest=false
	// seeded WS02 guest opens=0 guest=true
	// listed \\WS01 alice opens=2 time=90 flags=0
	// listed \\WS02 guest opens=0 time=90 flags=SESS_GUEST
}

// The suite's subtests are named after the behaviour they check.
func ExampleSubtests() {
	names := conformance.Subtests()
	fmt.Println(names[0])
	for _, n := range names {
		if n == "Enum/Level10/MoreData/ResumeAdvances" || n == "Del/ByClient" {
			fmt.Println(n)
		}
	}
	// Output:
	// Enum/Level0/AllSessions
	// Enum/Level10/MoreData/ResumeAdvances
	// Del/ByClient
}
