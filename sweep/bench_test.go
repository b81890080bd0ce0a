package sweep_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sessionsim/sessionsim/scenarios"
	"github.com/sessionsim/sessionsim/sweep"
)

// benchFleet is the fleet the sweep benchmarks run on: the built-in large-fleet when it
// exists, else 10,000 generated fake servers of 1 to 200 sessions each (100 on average).
// The fleet is swept once before any benchmark runs: a fake server builds some state on its
// first enumeration, which the first benchmark would otherwise pay alone.
var benchFleet = sync.OnceValue(func() []sweep.Target {
	var targets []sweep.Target
	if slices.Contains(scenarios.BuiltinNames(), "large-fleet") {
		_, sc, err := scenarios.Load("large-fleet")
		if err != nil {
			panic(err)
		}
		targets = sweep.FleetTargets(sc.Fleet(), admin)
	} else {
		srvs, err := genFleet(10_000, func(i int) int { return 1 + (i*37)%200 })
		if err != nil {
			panic(err)
		}
		targets = sweep.ServerTargets(srvs, admin)
	}
	for range sweep.Run(context.Background(), targets, sweep.Config{}) {
	}
	return targets
})

// BenchmarkSweep sweeps the whole fleet in-process at concurrency 1, 32 and 256; compare the
// three (same run, same fleet): on a 2-core machine the fake is CPU-bound, so concurrency
// mostly shows the sweep's own overhead.
//
//	go test -run '^$' -bench BenchmarkSweep -benchtime 3x ./sweep
func BenchmarkSweep(b *testing.B) {
	targets := benchFleet()
	for _, c := range []int{1, 32, 256} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			for b.Loop() {
				var sum sweep.Summary
				for r := range sweep.Run(context.Background(), targets, sweep.Config{Concurrency: c}) {
					sum.Add(r)
				}
				if sum.Servers != len(targets) {
					b.Fatalf("swept %d servers of %d", sum.Servers, len(targets))
				}
				b.ReportMetric(float64(sum.Sessions), "sessions/op")
				b.ReportMetric(float64(len(targets)), "servers/op")
			}
		})
	}
}
