package sweep

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"sync"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// Defaults for a zero [Config].
const (
	DefaultConcurrency = 32
	DefaultTimeout     = 30 * time.Second
	// MaxConcurrency bounds Config.Concurrency: each server in flight holds a goroutine and,
	// over the wire, a TCP connection (a file descriptor).
	MaxConcurrency = 4096
)

// Target is one server to enumerate.
type Target struct {
	// Name is how results name the server: its host, HOST:PORT, or its name in a fleet.
	Name string
	// ServerName is the servername argument of NetSessionEnum (`\\FS01`; "" for the server
	// the API is connected to).
	ServerName string
	// API answers the calls when set (in-process: a fleet's client).
	API sessionapi.SessionAPI
	// Dial connects when API is nil (over the wire); close is called when the server is done.
	Dial func(ctx context.Context) (api sessionapi.SessionAPI, close func() error, err error)
}

// Config says how to sweep.
type Config struct {
	// Concurrency is how many servers are enumerated at once (0: DefaultConcurrency; at
	// most MaxConcurrency).
	Concurrency int
	// Timeout bounds each server: dial, every page, close (0: DefaultTimeout).
	Timeout time.Duration
	// Request is the enumeration each server gets (level, prefmaxlen, filters, MaxEntries);
	// its ServerName is replaced by each Target's.
	Request sessionapi.EnumRequest
	// KeepEntries keeps each server's entries in Result.Entries; otherwise they are only
	// counted, and a sweep's memory does not grow with the sessions found.
	KeepEntries bool
}

// Outcome classifies how a server's enumeration ended.
type Outcome int

// The outcomes, in the order a Summary lists them.
const (
	Answered    Outcome = iota // the enumeration completed (NERR_Success)
	Refused                    // ERROR_ACCESS_DENIED, or the logon refused: the caller may not enumerate
	Unreachable                // ERROR_BAD_NETPATH, RPC_S_SERVER_UNAVAILABLE, a failed connect, a connection lost
	TimedOut                   // no end before Config.Timeout or a stage limit
	Failed                     // any other error: another status, a protocol error, too many entries
)

var outcomeNames = [...]string{"answered", "refused", "unreachable", "timed_out", "error"}

// String is the outcome as JSON lines write it: answered, refused, unreachable, timed_out,
// error.
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Outcomes lists every outcome.
func Outcomes() []Outcome { return []Outcome{Answered, Refused, Unreachable, TimedOut, Failed} }

// Result is one server's enumeration.
type Result struct {
	Target  string  // Target.Name
	Index   int     // the target's position in the list given to Run
	Outcome Outcome // how it ended
	// Sessions is how many entries were read (all pages; on an error, those before it).
	Sessions int
	// Entries are the entries, when Config.KeepEntries.
	Entries []sessionapi.Info
	// Status is the status that ended a failed enumeration, when a server sent one.
	Status    sessionapi.Status
	HasStatus bool
	Err       error // nil when Answered
	Pages     int   // NetSessionEnum calls made
	Elapsed   time.Duration
}

// Classify returns the outcome of an enumeration that ended with err (nil: Answered).
// dialErr says err came from connecting: a failed connect is Unreachable unless it ran out
// of time. A connection the server closed or reset ([srvsvc.ErrConnectionLost]), at any
// stage, is Unreachable too — Windows' client says RPC_S_SERVER_UNAVAILABLE then — while a
// server that sends what is not SMB2 ([srvsvc.ErrNotSMB2]) is Failed: it was reached. Only a
// deadline that ran out (context.DeadlineExceeded, a *srvsvc.StageError) is TimedOut; a
// cancel of the sweep's own context is Failed.
func Classify(err error, dialErr bool) Outcome {
	switch {
	case err == nil:
		return Answered
	case errors.Is(err, context.DeadlineExceeded):
		return TimedOut
	case errors.Is(err, sessionapi.ERROR_ACCESS_DENIED), errors.Is(err, srvsvc.ErrLogonFailure):
		return Refused
	case errors.Is(err, sessionapi.ERROR_BAD_NETPATH), errors.Is(err, sessionapi.RPC_S_SERVER_UNAVAILABLE),
		errors.Is(err, srvsvc.ErrConnectionLost):
		return Unreachable
	case errors.Is(err, srvsvc.ErrNotSMB2), errors.Is(err, context.Canceled):
		return Failed
	}
	var ne net.Error
	if dialErr || errors.As(err, &ne) {
		return Unreachable
	}
	return Failed
}

// Run enumerates every target, Config.Concurrency at a time, and yields each Result as its
// server finishes (not in target order: Result.Index says which). Stopping the loop early
// cancels the servers in flight and waits for them. A done ctx ends the sweep: servers not
// started yet are not yielded.
func Run(ctx context.Context, targets []Target, cfg Config) iter.Seq[Result] {
	return func(yield func(Result) bool) {
		n := cfg.Concurrency
		if n <= 0 {
			n = DefaultConcurrency
		}
		n = min(n, MaxConcurrency, max(len(targets), 1))
		if n == 1 {
			// One at a time needs no goroutines: each hand-off between them costs more than
			// an in-process enumeration of a small server.
			for i := range targets {
				if ctx.Err() != nil || !yield(one(ctx, i, &targets[i], &cfg)) {
					return
				}
			}
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		next := make(chan int)
		results := make(chan Result, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					results <- one(ctx, i, &targets[i], &cfg)
				}
			}()
		}
		go func() {
			defer close(next)
			for i := range targets {
				select {
				case next <- i:
				case <-ctx.Done():
					return
				}
			}
		}()
		go func() { wg.Wait(); close(results) }()
		stopped := false
		for r := range results {
			if stopped {
				continue // drain, so the workers end
			}
			if !yield(r) {
				stopped = true
				cancel()
			}
		}
	}
}

// one enumerates one target under its own timeout.
func one(ctx context.Context, i int, t *Target, cfg *Config) Result {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r := Result{Target: t.Name, Index: i}
	finish := func(err error, dialErr bool) Result {
		r.Elapsed = time.Since(start)
		r.Err = err
		r.Outcome = Classify(err, dialErr)
		r.Status, r.HasStatus = sessionapi.StatusOf(err)
		if r.Outcome == Answered {
			r.HasStatus = false
		}
		return r
	}
	api := t.API
	if api == nil {
		if t.Dial == nil {
			return finish(errors.New("sweep: target has neither API nor Dial"), false)
		}
		a, closeFn, err := t.Dial(ctx)
		if err != nil {
			return finish(err, true)
		}
		api = a
		defer func() { _ = closeFn() }()
	}
	req := cfg.Request
	req.ServerName = t.ServerName
	counted := &pageCounter{SessionAPI: api}
	for e, err := range sessionapi.All(ctx, counted, req) {
		if err != nil {
			r.Pages = counted.pages
			return finish(err, false)
		}
		r.Sessions++
		if cfg.KeepEntries {
			r.Entries = append(r.Entries, e)
		}
	}
	r.Pages = counted.pages
	return finish(nil, false)
}

// pageCounter counts the NetSessionEnum calls of one enumeration.
type pageCounter struct {
	sessionapi.SessionAPI
	pages int
}

func (p *pageCounter) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string, level sessionapi.Level,
	prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	p.pages++
	return p.SessionAPI.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
}

// Summary counts a sweep's results.
type Summary struct {
	Servers  int
	Outcomes [len(outcomeNames)]int // by Outcome
	Sessions int                    // entries read from every server
	Elapsed  time.Duration          // set by the caller (the sweep's wall time)
}

// Add counts r.
func (s *Summary) Add(r Result) {
	s.Servers++
	if r.Outcome >= 0 && int(r.Outcome) < len(s.Outcomes) {
		s.Outcomes[r.Outcome]++
	}
	s.Sessions += r.Sessions
}

// Count is how many servers ended with o.
func (s *Summary) Count(o Outcome) int {
	if o < 0 || int(o) >= len(s.Outcomes) {
		return 0
	}
	return s.Outcomes[o]
}

// String is one line: "3 server(s): 1 answered, 1 refused, 1 unreachable, 0 timed out, 0 error(s); 12 session(s)".
func (s *Summary) String() string {
	return fmt.Sprintf("%d server(s): %d answered, %d refused, %d unreachable, %d timed out, %d error(s); %d session(s)",
		s.Servers, s.Count(Answered), s.Count(Refused), s.Count(Unreachable), s.Count(TimedOut), s.Count(Failed), s.Sessions)
}
