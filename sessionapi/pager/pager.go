package pager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Strategy is how many passes Collect makes over the session list.
type Strategy uint8

// The strategies; the package doc says what each costs.
const (
	// OnePass reads the list once.
	OnePass Strategy = iota
	// TwoPasses reads the list twice and keeps the union.
	TwoPasses
	// UntilTotal reads the list again while a pass read fewer entries than its first page's
	// TotalEntries, up to Options.MaxPasses passes.
	UntilTotal
)

func (s Strategy) String() string {
	switch s {
	case OnePass:
		return "OnePass"
	case TwoPasses:
		return "TwoPasses"
	case UntilTotal:
		return "UntilTotal"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// RetryFrom is where a retry of a failed page starts.
type RetryFrom uint8

// The choices.
const (
	// SamePosition repeats the failed call with the resume handle it was made with.
	SamePosition RetryFrom = iota
	// FromStart starts the pass again from resume handle 0 (spec rule 31: Windows documents
	// the handle as invalid after an error).
	FromStart
)

// Limits, each with its default.
const (
	// DefaultRetries is how often a failed page is retried when Options.Retries is 0.
	DefaultRetries = 2
	// DefaultMaxPasses bounds UntilTotal when Options.MaxPasses is 0.
	DefaultMaxPasses = 3
	// MaxPasses is the most passes any strategy makes, whatever Options.MaxPasses says.
	MaxPasses = 16
	// DefaultMaxPrefMaxLen is the largest budget Collect grows to when Options.MaxPrefMaxLen
	// is 0: 1 MiB, far more than one entry needs (a level-502 entry with four names of the
	// longest 1,024 characters takes about 8 KiB).
	DefaultMaxPrefMaxLen uint32 = 1 << 20
	// MinPrefMaxLen is the budget the first growth starts from when the request's budget is
	// smaller: one x64 SESSION_INFO_502 structure.
	MinPrefMaxLen uint32 = 48
)

// maxPresize bounds the room made ahead from a server's TotalEntries hint.
const maxPresize = 1 << 14

// Options tunes Collect. The zero value is one pass, two retries from the same position, and
// growth up to DefaultMaxPrefMaxLen.
type Options struct {
	Strategy Strategy
	// MaxPasses bounds UntilTotal (0: DefaultMaxPasses; at most MaxPasses).
	MaxPasses int
	// Retries is how often one page is retried after a transient error (0: DefaultRetries;
	// negative: never). With FromStart it bounds the restarts of a pass.
	Retries int
	// RetryFrom is where a retry starts (default SamePosition).
	RetryFrom RetryFrom
	// RetryWait is the pause before a retry (0: none). The context cuts it short.
	RetryWait time.Duration
	// Transient says which errors are worth a retry (nil: [Transient]).
	Transient func(error) bool
	// MaxPrefMaxLen is the largest budget the growth reaches (0: DefaultMaxPrefMaxLen).
	MaxPrefMaxLen uint32
	// OnPage, when set, is called after every NetSessionEnum call Collect makes.
	OnPage func(Page)
}

// Action is what Collect did after a call.
type Action uint8

// The actions.
const (
	Next  Action = iota // ERROR_MORE_DATA with progress: on to the next page
	Done                // NERR_Success: the pass is over
	Grow                // not even one entry fitted: the same page again with a larger budget
	Retry               // a transient error: the page again
	Fail                // the error ends the collection
)

func (a Action) String() string {
	switch a {
	case Next:
		return "next"
	case Done:
		return "done"
	case Grow:
		return "grow"
	case Retry:
		return "retry"
	case Fail:
		return "fail"
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// Page is one NetSessionEnum call Collect made.
type Page struct {
	Pass    int // 1 for the first pass
	Number  int // the page within the pass, 1 for the first; a retried or grown page keeps its number
	Attempt int // 1 for the first call of this page
	// PrefMaxLen is the budget the call was made with; ResumeIn and ResumeOut the handle
	// before and after.
	PrefMaxLen          uint32
	ResumeIn, ResumeOut uint32
	Read                int    // entries returned
	New                 int    // entries not seen before in this collection
	Total               uint32 // *totalentries
	Err                 error  // the call's error: nil, ERROR_MORE_DATA, or a failure
	Action              Action
}

// String reads like the module's call renderings:
// "pass 1 page 2: prefmaxlen=4096, resume 2 -> 4, ERROR_MORE_DATA, read=2, new=2, total=5: next".
func (p Page) String() string {
	out := fmt.Sprintf("pass %d page %d", p.Pass, p.Number)
	if p.Attempt > 1 {
		out += fmt.Sprintf(" (attempt %d)", p.Attempt)
	}
	return out + fmt.Sprintf(": prefmaxlen=%s, resume %d -> %d, %s, read=%d, new=%d, total=%d: %s",
		sessionapi.PrefMaxLenString(p.PrefMaxLen), p.ResumeIn, p.ResumeOut, statusOrError(p.Err), p.Read, p.New, p.Total, p.Action)
}

func statusOrError(err error) string {
	if st, ok := sessionapi.StatusOf(err); ok {
		return st.String()
	}
	return err.Error()
}

// Stats sums up one Collect.
type Stats struct {
	Passes     int    // passes started
	Calls      int    // NetSessionEnum calls made
	Retries    int    // calls that retried a failed page
	Grows      int    // calls that retried a page with a larger budget
	Read       int    // entries returned by every call together
	Duplicates int    // entries dropped as a (client, user) already kept
	PrefMaxLen uint32 // the budget at the end
}

// Transient is the default Options.Transient: RPC_S_SERVER_UNAVAILABLE, and errors that carry
// no status (a broken connection, a read timeout) other than the context's own.
func Transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, sessionapi.ErrTooManyEntries) || errors.Is(err, sessionapi.ErrNoProgress) {
		return false
	}
	st, ok := sessionapi.StatusOf(err)
	return !ok || st == sessionapi.RPC_S_SERVER_UNAVAILABLE
}

// Key is what Collect de-duplicates by: sesi*_cname and sesi*_username as the server spelled
// them (user empty at level 0).
type Key struct{ Client, User string }

// KeyOf returns an entry's Key.
func KeyOf(info sessionapi.Info) Key {
	w, f := sessionapi.Widen(info)
	k := Key{Client: w.ClientName}
	if f.Has(sessionapi.FieldUserName) {
		k.User = w.UserName
	}
	return k
}

// ErrRetriesExhausted wraps the last error of a page that failed Options.Retries+1 times.
var ErrRetriesExhausted = errors.New("pager: the page failed on every attempt")

// Collect lists every session that matches req, one entry per (client, user), in the order
// first seen, with what it took in Stats. req.PrefMaxLen is the first budget (0: everything
// in one call); req.MaxEntries bounds the entries kept as in sessionapi.Collect (0:
// sessionapi.DefaultMaxEntries), and every pass is bounded by sessionapi.MaxPages calls.
//
// On an error it returns the entries kept so far with it: the call's status (errors.Is works
// against a sessionapi.Status), wrapped in ErrRetriesExhausted when retries ran out, or
// sessionapi.ErrNoProgress when even MaxPrefMaxLen holds no entry or the server answers
// ERROR_MORE_DATA with entries already seen and a handle that did not move (spec rule 81).
func Collect(ctx context.Context, api sessionapi.SessionAPI, req sessionapi.EnumRequest, opts Options) ([]sessionapi.Info, Stats, error) {
	c := collector{ctx: ctx, api: api, req: req, opts: opts, seen: map[Key]bool{}}
	c.defaults()
	err := c.run()
	c.stats.PrefMaxLen = c.budget
	return c.out, c.stats, err
}

type collector struct {
	ctx   context.Context
	api   sessionapi.SessionAPI
	req   sessionapi.EnumRequest
	opts  Options
	limit int // entries kept at most; -1: no bound

	budget uint32
	seen   map[Key]bool
	out    []sessionapi.Info
	stats  Stats
}

func (c *collector) defaults() {
	o := &c.opts
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.MaxPasses <= 0 {
		o.MaxPasses = DefaultMaxPasses
	}
	o.MaxPasses = min(o.MaxPasses, MaxPasses)
	if o.Transient == nil {
		o.Transient = Transient
	}
	if o.MaxPrefMaxLen == 0 {
		o.MaxPrefMaxLen = DefaultMaxPrefMaxLen
	}
	c.budget = c.req.PrefMaxLen
	if c.budget == 0 {
		c.budget = sessionapi.MaxPreferredLength
	}
	c.limit = c.req.MaxEntries
	if c.limit == 0 {
		c.limit = sessionapi.DefaultMaxEntries
	}
}

func (c *collector) run() error {
	passes := 1
	switch c.opts.Strategy {
	case TwoPasses:
		passes = 2
	case UntilTotal:
		passes = c.opts.MaxPasses
	}
	for pass := 1; pass <= passes; pass++ {
		read, total, err := c.pass(pass)
		if err != nil {
			return err
		}
		if c.opts.Strategy == UntilTotal && int64(read) >= int64(total) {
			return nil
		}
	}
	return nil
}

// pass reads the list once from handle 0. It returns the entries read (repeats included) and
// the first page's TotalEntries.
func (c *collector) pass(pass int) (read int, firstTotal uint32, err error) {
	c.stats.Passes++
	var resume uint32
	page, attempt := 1, 1
	failed := 0 // failures of this page
	for calls := 0; ; calls++ {
		if err := c.ctx.Err(); err != nil {
			return read, firstTotal, err
		}
		if calls == sessionapi.MaxPages {
			return read, firstTotal, fmt.Errorf("pager: gave up after %d calls in pass %d", sessionapi.MaxPages, pass)
		}
		in := resume
		res, err := c.api.NetSessionEnum(c.ctx, c.req.ServerName, c.req.UncClientName, c.req.UserName, c.req.Level, c.budget, &resume)
		c.stats.Calls++
		p := Page{Pass: pass, Number: page, Attempt: attempt, PrefMaxLen: c.budget, ResumeIn: in, ResumeOut: resume,
			Read: len(res.Entries), Total: res.TotalEntries, Err: err}
		more := errors.Is(err, sessionapi.ERROR_MORE_DATA)
		tooSmall := errors.Is(err, sessionapi.NERR_BufTooSmall) || more && len(res.Entries) == 0 && resume == in
		switch {
		case tooSmall:
			// Not even one entry fits: the same position again with twice the budget.
			resume = in
			if c.budget >= c.opts.MaxPrefMaxLen {
				p.Action = Fail
				c.report(p)
				return read, firstTotal, fmt.Errorf("%w: not one entry in prefmaxlen=%s (Options.MaxPrefMaxLen), at resume handle %d: %w",
					sessionapi.ErrNoProgress, sessionapi.PrefMaxLenString(c.budget), in, err)
			}
			c.budget = min(max(c.budget, MinPrefMaxLen/2)*2, c.opts.MaxPrefMaxLen)
			c.stats.Grows++
			p.Action = Grow
			c.report(p)
			attempt++
			continue
		case err != nil && !more:
			failed++
			if failed > c.opts.Retries || !c.opts.Transient(err) {
				p.Action = Fail
				c.report(p)
				if failed > 1 {
					err = fmt.Errorf("%w (%d failures at page %d of pass %d): %w", ErrRetriesExhausted, failed, page, pass, err)
				}
				return read, firstTotal, err
			}
			p.Action = Retry
			c.report(p)
			c.stats.Retries++
			attempt++
			resume = in
			if c.opts.RetryFrom == FromStart {
				resume, page, read = 0, 1, 0
			}
			if err := c.wait(); err != nil {
				return read, firstTotal, err
			}
			continue
		}
		if page == 1 {
			firstTotal = res.TotalEntries
			if pass == 1 && len(c.seen) == 0 {
				// Size the set once by the server's hint, bounded so that a hostile total
				// costs nothing: the set grows by entries received from there.
				c.seen = make(map[Key]bool, min(int64(firstTotal), maxPresize))
				c.out = make([]sessionapi.Info, 0, min(int64(firstTotal), maxPresize))
			}
		}
		read += len(res.Entries)
		c.stats.Read += len(res.Entries)
		for _, e := range res.Entries {
			k := KeyOf(e)
			if c.seen[k] {
				c.stats.Duplicates++
				continue
			}
			if c.limit >= 0 && len(c.out) == c.limit {
				p.Action = Fail
				c.report(p)
				return read, firstTotal, fmt.Errorf("%w: more than %d distinct entries, at page %d of pass %d", sessionapi.ErrTooManyEntries, c.limit, page, pass)
			}
			c.seen[k] = true
			c.out = append(c.out, e)
			p.New++
		}
		if !more {
			p.Action = Done
			c.report(p)
			return read, firstTotal, nil
		}
		if resume == in && p.New == 0 {
			// The same page again, handle and all (the NetWkstaUserEnum bug, spec rule 81):
			// asking again would never end.
			p.Action = Fail
			c.report(p)
			return read, firstTotal, fmt.Errorf("%w: the server repeated a page of %d known entries at resume handle %d", sessionapi.ErrNoProgress, len(res.Entries), in)
		}
		p.Action = Next
		c.report(p)
		page, attempt = page+1, 1
		if c.opts.RetryFrom == SamePosition {
			failed = 0 // a bound per page; FromStart bounds the restarts of the pass
		}
	}
}

func (c *collector) report(p Page) {
	if c.opts.OnPage != nil {
		c.opts.OnPage(p)
	}
}

func (c *collector) wait() error {
	if c.opts.RetryWait <= 0 {
		return nil
	}
	t := time.NewTimer(c.opts.RetryWait)
	defer t.Stop()
	select {
	case <-c.ctx.Done():
		return c.ctx.Err()
	case <-t.C:
		return nil
	}
}
