package sweep_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/sweep"
)

// Sweep three fake servers, one of which refuses the caller and one of which is down: each
// result arrives as its server finishes, then the summary.
func ExampleRun() {
	var servers []*fake.Server
	for i, n := range []int{2, 1, 3} {
		s := fake.New(fake.WithName(fmt.Sprintf("FS%02d", i+1)))
		for j := range n {
			if _, err := s.Connect(fake.Session{ClientName: fmt.Sprintf("10.0.0.%d", j+1), UserName: "bob"}); err != nil {
				log.Fatal(err)
			}
		}
		servers = append(servers, s)
	}
	if _, err := servers[1].InjectFault(fake.Fault{Op: fake.OpEnum, Every: true, Status: sessionapi.ERROR_ACCESS_DENIED}); err != nil {
		log.Fatal(err)
	}
	if _, err := servers[2].InjectFault(fake.Fault{Op: fake.OpEnum, Every: true, Status: sessionapi.RPC_S_SERVER_UNAVAILABLE}); err != nil {
		log.Fatal(err)
	}
	targets := sweep.ServerTargets(servers, fake.Caller{Role: fake.Administrator, Name: "admin"})

	var results []sweep.Result
	var sum sweep.Summary
	for r := range sweep.Run(context.Background(), targets, sweep.Config{Concurrency: 2, Timeout: 5 * time.Second}) {
		results = append(results, r)
		sum.Add(r)
	}
	// Results come in the order servers finish; sort them for a stable listing.
	slices.SortFunc(results, func(a, b sweep.Result) int { return a.Index - b.Index })
	for _, r := range results {
		fmt.Printf("%s %s sessions=%d", r.Target, r.Outcome, r.Sessions)
		if r.HasStatus {
			fmt.Printf(" status=%s", r.Status.String())
		}
		fmt.Println()
	}
	fmt.Println(sum.String())
	// Output:
	// FS01 answered sessions=2
	// FS02 refused sessions=0 status=ERROR_ACCESS_DENIED
	// FS03 unreachable sessions=0 status=RPC_S_SERVER_UNAVAILABLE
	// 3 server(s): 1 answered, 1 refused, 1 unreachable, 0 timed out, 0 error(s); 2 session(s)
}

// Classify turns the error that ended an enumeration into an outcome.
func ExampleClassify() {
	fmt.Println(sweep.Classify(nil, false))
	fmt.Println(sweep.Classify(sessionapi.ERROR_ACCESS_DENIED, false))
	fmt.Println(sweep.Classify(sessionapi.ERROR_BAD_NETPATH, false))
	fmt.Println(sweep.Classify(context.DeadlineExceeded, true))
	fmt.Println(sweep.Classify(sessionapi.ERROR_INVALID_LEVEL, false))
	// A connection the server closed is unreachable, not timed out; a cancel is neither.
	fmt.Println(sweep.Classify(fmt.Errorf("enumerating: %w", srvsvc.ErrConnectionLost), false))
	fmt.Println(sweep.Classify(context.Canceled, false))
	// Output:
	// answered
	// refused
	// unreachable
	// timed_out
	// error
	// unreachable
	// error
}
