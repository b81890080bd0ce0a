package fake_test

import (
	"fmt"
	"testing"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

func benchServer(b *testing.B, n int) *fake.Server {
	b.Helper()
	srv := fake.New()
	for i := range n {
		_, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255),
			UserName: fmt.Sprintf("user%05d", i%5000), OpenFiles: uint32(i % 7), ClientType: "Windows 10",
			Transport: `\Device\NetbtTcpip`})
		if err != nil {
			b.Fatal(err)
		}
	}
	return srv
}

// BenchmarkEnum100kLevel502 is one call that returns 100,000 sessions at level 502 with
// MAX_PREFERRED_LENGTH. Goal: ≤ 300 ns per session (the ns/session metric).
func BenchmarkEnum100kLevel502(b *testing.B) {
	const n = 100_000
	api := benchServer(b, n).As(fake.Administrator)
	b.ReportAllocs()
	for b.Loop() {
		res, err := api.NetSessionEnum(b.Context(), "", "", "", sessionapi.Level502, sessionapi.MaxPreferredLength, nil)
		if err != nil || len(res.Entries) != n {
			b.Fatalf("read %d, err %v", len(res.Entries), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/session")
}

// BenchmarkPage100kLevel502 pages the same 100,000 sessions at prefmaxlen 4,096 with the
// helper. Goal: within 2x of the single full call (no rescans from the start).
func BenchmarkPage100kLevel502(b *testing.B) {
	const n = 100_000
	api := benchServer(b, n).As(fake.Administrator)
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		for _, err := range sessionapi.All(b.Context(), api, sessionapi.EnumRequest{Level: sessionapi.Level502, PrefMaxLen: 4096}) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("read %d", got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/session")
}

// BenchmarkEnumParallelWithWriter enumerates from 8 goroutines at a time while one more
// connects and disconnects sessions, on 10,000 sessions at level 10.
func BenchmarkEnumParallelWithWriter(b *testing.B) {
	srv := benchServer(b, 10_000)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			id, err := srv.Connect(fake.Session{ClientName: "writer", UserName: "w"})
			if err == nil {
				_ = srv.Disconnect(id)
			}
		}
	}()
	defer close(done)
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 goroutines on the CI machine
	b.RunParallel(func(pb *testing.PB) {
		api := srv.As(fake.Administrator)
		for pb.Next() {
			if _, err := api.NetSessionEnum(b.Context(), "", "", "", sessionapi.Level10, sessionapi.MaxPreferredLength, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkEnum101Level1 is the enumeration of BENCHMARKS.md's live comparison on the fake
// alone: 101 sessions at level 1, MAX_PREFERRED_LENGTH, samba profile.
func BenchmarkEnum101Level1(b *testing.B) {
	srv := fake.New(fake.WithProfile(fake.Samba()))
	for i := range 101 {
		if _, err := srv.Connect(fake.Session{ClientName: "127.0.0.1", UserName: fmt.Sprintf("user%d", i%2)}); err != nil {
			b.Fatal(err)
		}
	}
	api := srv.As(fake.Administrator)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := api.NetSessionEnum(b.Context(), "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil); err != nil {
			b.Fatal(err)
		}
	}
}
