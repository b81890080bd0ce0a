package smbserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
)

// benchServer serves a fake (samba profile, as the live Samba benchmark compares against)
// holding seeds sessions besides the benchmark's own.
func benchServer(b *testing.B, seeds int, lim smbserver.Limits) (int, *fake.Server) {
	b.Helper()
	f := fake.New(fake.WithProfile(fake.Samba()))
	for i := range seeds {
		user := "alice"
		if i%2 == 1 {
			user = "bob"
		}
		if _, err := f.Connect(fake.Session{ClientName: "127.0.0.1", UserName: user, OpenFiles: 1}); err != nil {
			b.Fatal(err)
		}
	}
	s := smbserver.New(f, smbserver.Config{Accounts: testAccounts, Logger: quietLogger(), Limits: lim})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().(*net.TCPAddr).Port, f
}

// BenchmarkServedEnumLevel1 is one level-1 NetSessionEnum through one bound pipe of the
// served fake holding 101 sessions (100 seeded and the caller's): the peer of
// sessionapi/srvsvc's BenchmarkLiveEnumLevel1/pooled-pipe against Samba holding 100 more.
func BenchmarkServedEnumLevel1(b *testing.B) {
	port, _ := benchServer(b, 100, smbserver.Limits{})
	ctx := context.Background()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "127.0.0.1", Port: port, User: "admin", Password: testPassword})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
	if err != nil {
		b.Fatal(err)
	}
	entries := len(res.Entries)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
		if err != nil {
			b.Fatal(err)
		}
		entries = len(res.Entries)
	}
	b.ReportMetric(float64(entries), "entries")
}

// BenchmarkServedDialEnumClose is a new authenticated connection (TCP, NEGOTIATE, NTLMv2
// SESSION_SETUP, IPC$), the pipe open and bind, one level-1 enumeration and Close: the peer
// of sessionapi/srvsvc's BenchmarkLiveDialEnumClose. Client and server run in this process:
// B/op counts both.
func BenchmarkServedDialEnumClose(b *testing.B) {
	port, _ := benchServer(b, 0, smbserver.Limits{})
	ctx := context.Background()
	cfg := srvsvc.Config{Host: "127.0.0.1", Port: port, User: "admin", Password: testPassword}
	b.ReportAllocs()
	for b.Loop() {
		c, err := srvsvc.Dial(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}

// BenchmarkServedConnectionMemory holds b.N logged-on connections with a bound pipe each and
// reports the server's heap per connection (the clients are raw and small; their share is
// measured apart and taken out).
func BenchmarkServedConnectionMemory(b *testing.B) {
	port, f := benchServer(b, 0, smbserver.Limits{MaxConnections: 1 << 16})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	n := max(b.N, 50)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cs := make([]*rawClient, n)
	for i := range cs {
		cs[i] = dialRaw(b, addr)
		cs[i].ready("admin", testPassword)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if f.Len() != n {
		b.Fatalf("%d sessions, want %d", f.Len(), n)
	}
	b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(n), "heap-B/conn")
	b.ReportMetric(float64(runtime.NumGoroutine())/float64(n), "goroutines/conn")
	for _, c := range cs {
		c.nc.Close()
	}
}

// TestSweepServedFleet enumerates every server that `sessionsim serve` printed into the file
// SESSIONSIM_SERVED (its stdout: `NAME HOST:PORT` lines, then `ready`), 32 at a time, and
// reports the time: the fleet benchmark of scripts/bench/serve-compare.sh. Skipped without it.
func TestSweepServedFleet(t *testing.T) {
	file := os.Getenv("SESSIONSIM_SERVED")
	if file == "" {
		t.Skip("SESSIONSIM_SERVED not set (scripts/bench/serve-compare.sh sets it)")
	}
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var addrs []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if _, a, ok := strings.Cut(sc.Text(), " "); ok {
			addrs = append(addrs, a)
		}
	}
	user, password := os.Getenv("SESSIONSIM_SERVED_USER"), os.Getenv("SESSIONSIM_PASSWORD")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var entries, failed atomic.Int64
	work := make(chan string)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				h, p, _ := net.SplitHostPort(a)
				port, _ := strconv.Atoi(p)
				c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: h, Port: port, User: user, Password: password})
				if err != nil {
					failed.Add(1)
					t.Logf("%s: %v", a, err)
					continue
				}
				res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
				c.Close()
				if err != nil {
					failed.Add(1)
					t.Logf("%s: %v", a, err)
					continue
				}
				entries.Add(int64(len(res.Entries)))
			}
		}()
	}
	for _, a := range addrs {
		work <- a
	}
	close(work)
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("swept %d servers, 32 at a time: %v (%v per server), %d entries, %d failed\n",
		len(addrs), d.Round(time.Millisecond), (d / time.Duration(max(len(addrs), 1))).Round(time.Microsecond), entries.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d servers failed", failed.Load(), len(addrs))
	}
}
