package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sweep"
	"github.com/sessionsim/sessionsim/transcript"
)

// sweepHosts is `enum` with several servers: each is dialled with the same account when
// its turn comes.
func sweepHosts(ctx context.Context, t *LiveTarget, hosts []string, req sessionapi.EnumRequest, cfg sweep.Config,
	out output, stdout, stderr io.Writer) int {
	if !t.PasswordSet && t.API == "srvsvc" {
		// Ask once for every server, not once per server.
		pw, err := askPassword(fmt.Sprintf("Password for %s on %d servers: ", t.User, len(hosts)))
		if err != nil {
			errorf(stderr, "sessionsim enum: %v", err)
			return exitUsage
		}
		t.Password, t.PasswordSet = pw, true
	}
	targets := make([]sweep.Target, len(hosts))
	for i, h := range hosts {
		lt := *t
		lt.Server, lt.Timeout = h, cfg.Timeout
		targets[i] = sweep.Target{Name: h, ServerName: serverName(h),
			Dial: func(ctx context.Context) (sessionapi.SessionAPI, func() error, error) {
				api, closer, err := dialLive(ctx, lt)
				if err != nil {
					return nil, nil, err
				}
				return api, closer.Close, nil
			}}
	}
	return runSweep(ctx, "enum", targets, cfg, out, stdout, stderr)
}

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flags("sweep", "[--concurrency N] [--timeout D] [--as CALLER] [--level N] [-o table|jsonl] FILE|NAME",
		"Enumerates every server of a scenario's fleet (a file, or a built-in such as fleet-audit)\n"+
			"in-process, --concurrency servers at a time, each within --timeout, through the fleet as a\n"+
			"client on a network would reach them (unreachable servers, faults and latencies apply).\n"+
			"Prints one line per server as it finishes (-o jsonl: a JSON object per line), then a\n"+
			"summary line: answered, refused, unreachable, timed out, errors; sessions found. A\n"+
			"progress bar goes to stderr when it is a terminal. The same sweep over the wire is\n"+
			"'sessionsim enum' with several --server flags or --servers-file.\n\n"+
			"Exit status: 0 every server answered; 3 none answered and every one was unreachable,\n"+
			"timed out or broke the exchange (what 'sessionsim enum' exits with for such a server);\n"+
			"1 otherwise (some refused or failed with a status, some answered and some did not), or\n"+
			"the output was not written; 2 usage or a bad scenario file.", stdout)
	concurrency := fs.Int("concurrency", sweep.DefaultConcurrency, fmt.Sprintf("servers enumerated at once (1 to %d)", sweep.MaxConcurrency))
	timeout := fs.Duration("timeout", defaultTimeout, "give up on a server after this long")
	as := fs.String("as", "", "call as this caller of the scenario (default: its first caller, else an administrator named sweep)")
	level := fs.Uint64("level", 10, "the information level: 0, 1, 2, 10 or 502 (samba-profile servers know 0 and 1 only: use 1 for a mixed fleet)")
	prefMax := fs.String("prefmaxlen", "MAX_PREFERRED_LENGTH", "preferred maximum bytes per call")
	maxEntries := fs.Int("max-entries", sessionapi.DefaultMaxEntries, "read at most this many entries from a server (-1: no bound)")
	outp := outputVar(fs, "output `FORMAT`: table or jsonl (a JSON object per server, then the summary)", map[string]string{
		"yaml": "a transcript is for one server: sessionsim replay, or sessionsim enum --server HOST -o yaml",
		"json": "a transcript is for one server: sessionsim replay, or sessionsim enum --server HOST -o json",
	}, "table", "jsonl")
	pos, code, stop := parse(fs, args, stderr)
	if stop {
		return code
	}
	out := *outp
	switch {
	case len(pos) != 1:
		errorf(stderr, "sessionsim sweep: want one scenario file or built-in name, got %d arguments\nRun 'sessionsim sweep --help' for usage.", len(pos))
		return exitUsage
	case *concurrency < 1 || *concurrency > sweep.MaxConcurrency:
		errorf(stderr, "sessionsim sweep: --concurrency %d: want 1 to %d", *concurrency, sweep.MaxConcurrency)
		return exitUsage
	case *level > maxLevel:
		errorf(stderr, "sessionsim sweep: --level %d: out of range; the level is a DWORD, 0 to %d", *level, uint64(maxLevel))
		return exitUsage
	case *maxEntries == 0 || *maxEntries < -1:
		errorf(stderr, "sessionsim sweep: --max-entries %d: want a positive count, or -1 for no bound", *maxEntries)
		return exitUsage
	case !checkTimeout("sweep", *timeout, stderr):
		return exitUsage
	}
	pml, err := parsePrefMaxLen(*prefMax)
	if err != nil {
		errorf(stderr, "sessionsim sweep: --prefmaxlen: %v", err)
		return exitUsage
	}
	sc, ok := startScenario("sweep", pos[0], stderr)
	if !ok {
		return exitUsage
	}
	spec := sc.Spec()
	caller := fake.Caller{Role: fake.Administrator, Name: "sweep"}
	found := *as == ""
	for _, c := range spec.Callers {
		if *as == "" {
			caller = fake.Caller{Role: c.Role, Name: c.Name}
			break
		}
		if *as != "" && c.Name == *as {
			caller, found = fake.Caller{Role: c.Role, Name: c.Name}, true
			break
		}
	}
	if !found {
		var names []string
		for _, c := range spec.Callers {
			names = append(names, c.Name)
		}
		errorf(stderr, "sessionsim sweep: --as %q: no such caller in %s; callers: %s", *as, spec.Name, strings.Join(names, ", "))
		return exitUsage
	}
	req := sessionapi.EnumRequest{Level: sessionapi.Level(*level), PrefMaxLen: pml, MaxEntries: *maxEntries}
	cfg := sweep.Config{Concurrency: *concurrency, Timeout: *timeout, Request: req}
	return runSweep(ctx, "sweep", sweep.FleetTargets(sc.Fleet(), caller), cfg, out, stdout, stderr)
}

// runSweep runs a sweep and prints its results as they come, then the summary.
func runSweep(ctx context.Context, name string, targets []sweep.Target, cfg sweep.Config, out output, stdout, stderr io.Writer) int {
	bar := newProgress(stderr, len(targets), isTerminal(stdout))
	defer bar.stop()
	start := time.Now()
	var sum sweep.Summary
	var werr error
	width := 0
	for _, t := range targets {
		width = max(width, min(len(transcript.Escape(t.Name)), 40))
	}
	var codes sweepStatus
	for r := range sweep.Run(ctx, targets, cfg) {
		sum.Add(r)
		codes.add(r)
		if werr == nil {
			bar.clear()
			if out == "jsonl" {
				werr = writeJSONLine(stdout, r)
			} else {
				werr = writeResultLine(stdout, r, width)
			}
		}
		bar.update(&sum)
	}
	sum.Elapsed = time.Since(start)
	bar.stop()
	if werr == nil {
		if out == "jsonl" {
			werr = writeJSONLine(stdout, sum)
		} else {
			_, werr = fmt.Fprintf(stdout, "%s in %v\n", sum.String(), sum.Elapsed.Round(time.Millisecond))
		}
	}
	if werr != nil {
		return writeFailed(name, stdout, stderr, werr)
	}
	if err := ctx.Err(); err != nil {
		errorf(stderr, "sessionsim %s: %v after %d of %d server(s)", name, err, sum.Servers, len(targets))
		return exitFailed
	}
	return codes.status()
}

// sweepStatus is a sweep's exit status, from the status each server alone would give (that
// of `sessionsim enum --server` against it): 0 when every server answered; 3 when none did
// and every one is a 3 (not reached, timed out, a broken exchange), so that a sweep of one
// unreachable server exits as enum does; 1 otherwise.
type sweepStatus struct{ servers, ok, unreachable int }

func (s *sweepStatus) add(r sweep.Result) {
	s.servers++
	switch resultStatus(r) {
	case exitOK:
		s.ok++
	case exitUnreachable:
		s.unreachable++
	}
}

func (s *sweepStatus) status() int {
	switch {
	case s.ok == s.servers:
		return exitOK
	case s.unreachable == s.servers:
		return exitUnreachable
	}
	return exitFailed
}

// resultStatus is the exit status of one server's result, by the table of the command's
// help: refused (a status, a refused logon) 1; unreachable or timed out 3; another error 1
// when the server sent a status or more entries than --max-entries, else 3 (a transport or
// protocol failure).
func resultStatus(r sweep.Result) int {
	switch r.Outcome {
	case sweep.Answered:
		return exitOK
	case sweep.Refused:
		return exitFailed
	case sweep.Unreachable, sweep.TimedOut:
		return exitUnreachable
	}
	if r.HasStatus {
		return exitFailed
	}
	return callStatus(r.Err)
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeResultLine is a sweep's table line: server, outcome, sessions, pages, time, and why.
func writeResultLine(w io.Writer, r sweep.Result, width int) error {
	var why string
	switch {
	case r.HasStatus:
		why = r.Status.Error()
	case r.Err != nil:
		why = explain(r.Err).Error()
	}
	_, err := fmt.Fprintf(w, "%-*s  %-11s  %6d session(s)  %3d page(s)  %8v  %s\n", width, transcript.Escape(r.Target), r.Outcome,
		r.Sessions, r.Pages, r.Elapsed.Round(time.Millisecond), safeLine(why))
	return err
}

// progress is a one-line bar on stderr, redrawn at most every 100 ms, when stderr is a
// terminal; otherwise it does nothing (a pipe or a file gets no bar).
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	last  time.Time
	shown bool
	on    bool
	// shared is set when stdout is a terminal too: the bar is erased before each result
	// line and drawn again after it.
	shared bool
}

// isTerminal is a variable so that tests can stand in for a terminal.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(w io.Writer, total int, shared bool) *progress {
	return &progress{w: w, total: total, on: isTerminal(w), shared: shared}
}

func (p *progress) update(s *sweep.Summary) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown && time.Since(p.last) < 100*time.Millisecond && s.Servers != p.total {
		return
	}
	p.last = time.Now()
	const cells = 30
	done := cells
	if p.total > 0 {
		done = s.Servers * cells / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d servers, %d answered, %d session(s)\x1b[K", strings.Repeat("=", done), strings.Repeat(" ", cells-done),
		s.Servers, p.total, s.Count(sweep.Answered), s.Sessions)
	p.shown = true
}

// clear removes the bar before a result line is written (stdout and stderr may be the same
// terminal).
func (p *progress) clear() {
	if !p.on || !p.shared {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
		p.last = time.Time{}
	}
}

// stop erases the bar for good.
func (p *progress) stop() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
	p.on = false
}
