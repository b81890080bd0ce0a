package scenarios_test

import (
	"context"
	"testing"

	"github.com/sessionsim/sessionsim/scenarios"
)

// FuzzParse feeds the loader arbitrary bytes: it must never panic, and whatever it accepts must
// start (the fake can hold it) and run.
func FuzzParse(f *testing.F) {
	for _, name := range scenarios.BuiltinNames() {
		src, err := scenarios.BuiltinSource(name)
		if err != nil {
			f.Fatal(err)
		}
		if spec, err := scenarios.Builtin(name); err == nil {
			if servers, _ := spec.Counts(); servers > 100 {
				continue // large-fleet: every mutation would parse 10,000 servers
			}
		}
		f.Add(src)
	}
	// The fleet syntax, small.
	f.Add([]byte("name: f\nservers:\n  - name: 'FS{n}'\n    aliases: ['{ip}']\n    count: 4\n    profiles: {windows: 1, samba: 1}\n" +
		"    sessions:\n      - {client: 'ws{pick:9}', count: 1..3}\n    unreachable: {share: 0.2}\n    slow: {share: 0.2, latency: 1s}\n" +
		"    flapping: {share: 0.2, probability: 0.5, status: ERROR_BAD_NETPATH}\n    churn: {share: 0.2, join: 1m, leave: 2m}\n"))
	for _, tc := range malformed {
		f.Add([]byte(tc.yaml))
	}
	f.Add([]byte("# only a comment\n"))
	f.Add([]byte("null\n"))
	f.Add([]byte("name: x\nsessions:\n  - {client: 'ws{n}', count: 3, age: 1h..2h, idle: 0s..3h, open_files: 0..2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := scenarios.Parse("fuzz.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		servers, total := spec.Counts()
		if total > 2000 || servers > 200 || len(spec.Steps) > 200 {
			return // valid but slow; the benchmark covers size
		}
		sc, err := spec.Start()
		if err != nil {
			t.Fatalf("Parse accepted a scenario Start refuses: %v\n%s", err, data)
		}
		if _, err := sc.Run(context.Background()); err != nil {
			t.Fatalf("Parse accepted a scenario Run fails on: %v\n%s", err, data)
		}
	})
}
