package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sessionsim/sessionsim/smbserver"
)

// Serve defaults (CONTRACT 5).
const (
	// defaultServeListen is where a single server listens.
	defaultServeListen = "127.0.0.1:4455"
	// defaultFleetStart is the first address of a fleet when --listen is not given.
	defaultFleetStart = "127.0.1.1"
	// defaultServePassword is every caller's password unless the scenario gives one: a test
	// fixture, not a secret.
	defaultServePassword = "sessionsim"
	// serveShutdownGrace is how long SIGINT/SIGTERM waits for connections to go idle before
	// closing them.
	serveShutdownGrace = 5 * time.Second
	// clockTick is how often the served scenario's clock follows the real one.
	clockTick = 100 * time.Millisecond
)

// cmdServe is `sessionsim serve`.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("serve", "[--listen HOST:PORT] [--password PW] [--speed N] [--allow-remote] [-v] SCENARIO",
		"Serves a scenario's fake server(s) over SMB2 with the \\PIPE\\srvsvc named pipe, so that any\n"+
			"client (rpcclient, impacket, smbtorture, netapi32, our srvsvc client) can call\n"+
			"NetrSessionEnum and NetrSessionDel on them. SCENARIO is a file or a built-in name.\n\n"+
			"Each scenario caller is an account with its role; its password is the caller's\n"+
			"`password` in the scenario, else --password. Unknown users log on as guest; an empty user\n"+
			"and password is a null session. The fake clock starts at the scenario's start and runs\n"+
			"with the real clock times --speed; the timeline plays as it passes; steps are not run.\n\n"+
			"A fleet serves its servers on consecutive addresses from HOST (default 127.0.1.1), all\n"+
			"on PORT. When every server listens it prints `NAME HOST:PORT` per server, then `ready`.\n"+
			"SIGINT or SIGTERM closes every connection and exits 0.\n\n"+
			"Exit status: 0 after SIGINT or SIGTERM; 1 a server failed while serving; 2 bad usage or a\n"+
			"bad scenario; 3 a server could not listen (address in use or not assignable, out of file\n"+
			"descriptors: the message names the cause and, for descriptors, the limit and `ulimit -n`).\n\n"+
			"Example:\n  sessionsim serve busy-file-server &\n"+
			"  rpcclient -p 4455 -U admin%sessionsim 127.0.0.1 -c netsessenum", stdout)
	listen := fs.String("listen", defaultServeListen, "HOST:PORT to listen on (PORT 0: any free port per server)")
	password := fs.String("password", defaultServePassword, "password of every caller without its own `password`")
	speed := fs.Float64("speed", 1, "how many times faster than the real clock the fake clock runs")
	allowRemote := fs.Bool("allow-remote", false, "allow a --listen address that is not loopback")
	verbose := fs.Bool("v", false, "log connections and logons on stderr")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sessionsim serve: "+format+"\nRun 'sessionsim serve --help' for usage.\n", a...)
		return exitUsage
	}
	if len(pos) != 1 {
		return usage("want one scenario file or built-in name, got %d arguments", len(pos))
	}
	if !(*speed > 0) || *speed > 1e6 {
		return usage("--speed %v: want a number above 0 and at most 1000000", *speed)
	}
	listenSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "listen" {
			listenSet = true
		}
	})
	spec, err := loadSpec(pos[0])
	if err != nil {
		printLoadError(stderr, err)
		return exitUsage
	}
	first, port, err := parseListen(*listen)
	if err != nil {
		return usage("--listen %q: %v", *listen, err)
	}
	if len(spec.Servers) > 1 && !listenSet {
		first = netip.MustParseAddr(defaultFleetStart)
	}
	addrs, err := fleetAddrs(first, len(spec.Servers))
	if err != nil {
		return usage("--listen %q: %v", *listen, err)
	}
	if !*allowRemote {
		for _, a := range addrs {
			if !a.IsLoopback() {
				return usage("--listen %s is not a loopback address; add --allow-remote to serve other machines", a)
			}
		}
	}
	// Latency faults sleep in wall time when served (scaled by --speed), instead of moving
	// the fake clock.
	for i := range spec.Servers {
		for j := range spec.Servers[i].Faults {
			f := &spec.Servers[i].Faults[j]
			if f.Latency > 0 {
				f.RealTime = true
				f.Latency = time.Duration(float64(f.Latency) / *speed)
			}
		}
	}
	sc, err := spec.Start()
	if err != nil {
		errorf(stderr, "sessionsim serve: %v", err)
		return exitUsage
	}
	accounts := make([]smbserver.Account, 0, len(spec.Callers))
	for _, c := range spec.Callers {
		pw := c.Password
		if pw == "" {
			pw = *password
		}
		accounts = append(accounts, smbserver.Account{Name: c.Name, Password: pw, Role: c.Role})
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := raiseFileLimit(uint64(wantFiles(len(addrs)))); err != nil {
		logger.Warn("sessionsim serve: could not raise the open-file limit", "err", err)
	}

	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	servers := sc.Servers()
	type served struct {
		srv *smbserver.Server
		l   net.Listener
	}
	var all []served
	closeAll := func() {
		for _, s := range all {
			_ = s.srv.Close()
			_ = s.l.Close() // not yet tracked by the server: Serve has not run
		}
	}
	for i, f := range servers {
		addr := net.JoinHostPort(addrs[i].String(), strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			fmt.Fprintf(stderr, "sessionsim serve: server %s: %v\n", f.Name(), err)
			fmt.Fprintln(stderr, listenHint(err, i, len(addrs), port))
			return exitListen
		}
		s := smbserver.New(f, smbserver.Config{Accounts: accounts, Logger: logger.With("server", f.Name())})
		all = append(all, served{s, l})
	}
	errs := make(chan error, len(all))
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.srv.Serve(s.l); !errors.Is(err, smbserver.ErrServerClosed) {
				errs <- fmt.Errorf("server %s: %w", s.srv.Fake().Name(), err)
			}
		}()
	}
	for _, s := range all {
		fmt.Fprintf(stdout, "%s %s\n", s.srv.Fake().Name(), s.l.Addr())
	}
	fmt.Fprintln(stdout, "ready")
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}

	// The fake clock follows the real one from here.
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		start := time.Now()
		t := time.NewTicker(clockTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				off := time.Duration(float64(now.Sub(start)) * *speed)
				if err := sc.AdvanceTo(off); err != nil {
					logger.Warn("sessionsim serve: moving the scenario clock", "err", err)
				}
			}
		}
	}()

	status := exitOK
	select {
	case <-ctx.Done():
	case err := <-errs:
		fmt.Fprintf(stderr, "sessionsim serve: %v\n", err)
		status = exitFailed
	}
	<-clockDone
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	var swg sync.WaitGroup
	for _, s := range all {
		swg.Add(1)
		go func() {
			defer swg.Done()
			if s.srv.Shutdown(sctx) != nil {
				_ = s.srv.Close()
			}
		}()
	}
	swg.Wait()
	wg.Wait()
	return status
}

// exitListen is serve's exit status when a server cannot listen: the servers were never
// reachable, which the command table calls 3 (a server not reached, a transport failure).
const exitListen = exitUnreachable

// listenHint explains a failed listen of server i (from 0) of n by its cause.
func listenHint(err error, i, n, port int) string {
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		limit := "the open-file limit"
		if soft, ok := openFileLimit(); ok {
			limit = fmt.Sprintf("the open-file limit of %d", soft)
		}
		return fmt.Sprintf("(out of file descriptors: %s was reached after %d of %d listeners.\n"+
			"Each served server takes a file descriptor for its listener and one per client connection:\n"+
			"%d servers need at least %d, better %d. Raise the limit before serving, e.g. `ulimit -n %d`\n"+
			"(at most the hard limit, `ulimit -Hn`), or serve fewer servers.)", limit, i, n, n, n+16, wantFiles(n), wantFiles(n))
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Sprintf("(port %d is in use on that address: stop what listens there, or pick another --listen PORT; 0 takes any free port)", port)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		if n > 1 {
			return "(a fleet needs its loopback addresses: on Linux all of 127.0.0.0/8 works; elsewhere add them first)"
		}
		return "(the address is not one of this machine's: pick another --listen HOST)"
	case errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("(port %d needs privileges: pick a port above 1023)", port)
	}
	return "(the server could not listen)"
}

// wantFiles is the open-file limit serve asks for when serving n servers: a listener each and
// room for connections.
func wantFiles(n int) int { return n*4 + 1024 }

// openFileLimit reads the soft open-file limit where /proc/self/limits says it (Linux).
func openFileLimit() (int, bool) {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if v, err := strconv.Atoi(f[0]); err == nil {
					return v, true
				}
			}
		}
	}
	return 0, false
}

// parseListen reads HOST:PORT; HOST must be an IP address or "localhost".
func parseListen(s string) (netip.Addr, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if h == "localhost" || h == "" {
		h = "127.0.0.1"
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("HOST must be an IP address: %w", err)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("PORT must be a number from 0 to 65535")
	}
	return a.Unmap(), int(n), nil
}

// fleetAddrs returns n consecutive addresses from first.
func fleetAddrs(first netip.Addr, n int) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, n)
	a := first
	for i := 0; i < n; i++ {
		if !a.IsValid() {
			return nil, fmt.Errorf("a fleet of %d servers runs past the end of the address space from %s", n, first)
		}
		if i > 0 && first.IsLoopback() && !a.IsLoopback() {
			return nil, fmt.Errorf("a fleet of %d servers from %s runs out of loopback addresses", n, first)
		}
		out = append(out, a)
		a = a.Next()
	}
	return out, nil
}
