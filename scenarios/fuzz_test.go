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
		f.Add(src)
	}
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
		total := 0
		for _, s := range spec.Servers {
			total += len(s.Sessions)
		}
		if total > 2000 || len(spec.Steps) > 200 {
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
