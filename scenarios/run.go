package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Result is what a run produced: the transcript of every call and event, and the steps whose
// expectations were not met.
type Result struct {
	// Transcript is the header and every call and event (Run); nil from RunStream, whose
	// calls went to its emitter.
	Transcript *transcript.Transcript
	Failures   []Failure
}

// Err returns nil when every expectation was met, else an *[ExpectationError].
func (r *Result) Err() error {
	if len(r.Failures) == 0 {
		return nil
	}
	return &ExpectationError{Failures: r.Failures}
}

// Failure is one step whose answer was not what the scenario expected.
type Failure struct {
	File string
	Line int
	Step int    // 1-based
	Call string // the step's (last) call and its answer
	// Diff is a unified diff from what the step expected to what it got.
	Diff string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d: steps[%d]: %s\n%s", f.File, f.Line, f.Step-1, f.Call, f.Diff)
}

// ExpectationError lists the failures of a run.
type ExpectationError struct{ Failures []Failure }

func (e *ExpectationError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = f.String()
	}
	return fmt.Sprintf("%d expectation(s) not met:\n%s", len(e.Failures), strings.Join(parts, "\n"))
}

// maxPages bounds an all: true enumeration. Within one step the sessions do not change (the
// timeline runs between steps), and every page that is not the last returns at least one entry
// and moves the handle on, so a loop ends within one page more than the sessions a file can
// hold: the bound is never reached by a file the loader accepts. Reaching it is an error.
const maxPages = MaxSessions + 2

// Run plays the scenario: for each step it moves the clocks to the step's time, applying the
// timeline events due by then (events first when they share a time with a step), makes the
// call and checks the expectations; the events after the last step are applied at the end.
// The error is for what prevents running (a done context, a second run); unmet expectations
// are in Result.Failures. Run keeps every call in Result.Transcript; [Scenario.RunStream]
// hands them out one by one instead.
func (sc *Scenario) Run(ctx context.Context) (*Result, error) {
	tr := sc.Header()
	res, err := sc.RunStream(ctx, func(c *transcript.Call) error {
		tr.Calls = append(tr.Calls, *c)
		return nil
	})
	if res != nil {
		res.Transcript = tr
	}
	return res, err
}

// RunStream plays the scenario as [Scenario.Run] does, but hands each call and timeline event
// to emit as it happens and keeps none of them, so that memory does not grow with the
// transcript: write the header ([Scenario.Header]) first, then what emit gets. emit must not
// keep c after it returns (copy it); it may call the scenario's methods other than Run,
// RunStream and AdvanceTo (those wait for the run to end). An error from emit stops the run
// and is returned.
// Result.Transcript is nil; Result.Failures are the unmet expectations, as from Run.
func (sc *Scenario) RunStream(ctx context.Context, emit func(c *transcript.Call) error) (*Result, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.ran {
		return nil, ErrAlreadyRan
	}
	sc.ran = true
	sc.reached, sc.cursor = sc.elapsed(), sc.at // after any AdvanceTo
	buf := &transcript.Transcript{}
	rec := transcript.NewRecorder(buf, sc.spec.Servers[0].Start, sc.servers[0].Now)
	var chk *stepCheck
	flush := func() error {
		for i := range buf.Calls {
			c := &buf.Calls[i]
			if chk != nil && !c.IsEvent() {
				chk.add(c)
			}
			if err := emit(c); err != nil {
				return err
			}
		}
		buf.Calls = nil // emitted calls are not kept
		return nil
	}
	res := &Result{}
	for i := range sc.spec.Steps {
		st := &sc.spec.Steps[i]
		if err := ctx.Err(); err != nil {
			return res, err
		}
		target := sc.reached
		if st.At != nil {
			target = max(target, *st.At)
		} else {
			target += st.Advance
		}
		if err := sc.playUntil(target, rec.Event, false); err != nil {
			return res, err
		}
		if err := flush(); err != nil {
			return res, err
		}
		if st.Op == "" {
			continue
		}
		ti := sc.targetIndex(st.ServerName)
		if ti >= 0 {
			if err := sc.moveServer(ti, target); err != nil {
				return res, err
			}
		}
		chk = newStepCheck(st.Expect)
		api := rec.As(st.Caller, sc.fleet.As(fake.Caller{Role: st.Role, Name: st.Caller}))
		err := sc.call(ctx, i, st, api, flush)
		sc.touch(0)
		if ti >= 0 {
			sc.touch(ti)
		}
		if err != nil {
			return res, err
		}
		if err := flush(); err != nil {
			return res, err
		}
		if st.Expect != nil {
			if f, bad := chk.check(sc.spec.File, i, st); bad {
				res.Failures = append(res.Failures, f)
			}
		}
		chk = nil
	}
	if len(sc.spec.Timeline) > 0 {
		if err := sc.playUntil(sc.spec.Timeline[len(sc.spec.Timeline)-1].At, rec.Event, false); err != nil {
			return res, err
		}
		if err := flush(); err != nil {
			return res, err
		}
	}
	// Every clock catches up with where the run went.
	return res, sc.moveTo(sc.cursor)
}

func (sc *Scenario) handle(caller string) *uint32 {
	h := sc.handles[caller]
	if h == nil {
		h = new(uint32)
		sc.handles[caller] = h
	}
	return h
}

// call makes a step's call (or, with all: true, its pages, flushing each to the emitter as it
// comes back so that a long enumeration is never held whole).
func (sc *Scenario) call(ctx context.Context, i int, st *Step, api sessionapi.SessionAPI, flush func() error) error {
	var err error
	switch st.Op {
	case transcript.OpEnum:
		h := sc.handle(st.Caller)
		var resume *uint32
		switch st.Resume {
		case ResumeValue:
			*h = st.ResumeValue
			resume = h
		case ResumeContinue:
			resume = h
		}
		if !st.All {
			_, err = api.NetSessionEnum(ctx, st.ServerName, st.UncClientName, st.UserName, st.Level, st.PrefMaxLen, resume)
			break
		}
		done := false
		for page := 0; page < maxPages && !done; page++ {
			before := *h
			var r sessionapi.EnumResult
			r, err = api.NetSessionEnum(ctx, st.ServerName, st.UncClientName, st.UserName, st.Level, st.PrefMaxLen, h)
			// done, failed, or no progress (the transcript shows it)
			done = !errors.Is(err, sessionapi.ERROR_MORE_DATA) || (len(r.Entries) == 0 && *h == before)
			if ferr := flush(); ferr != nil {
				return ferr
			}
		}
		if !done {
			return fmt.Errorf("scenarios: %s:%d: steps[%d]: all: true stopped after %d pages without reaching the end", sc.spec.File, st.Line, i, maxPages)
		}
	case transcript.OpGetInfo:
		_, err = api.NetSessionGetInfo(ctx, st.ServerName, st.UncClientName, st.UserName, st.Level)
	case transcript.OpDel:
		err = api.NetSessionDel(ctx, st.ServerName, st.UncClientName, st.UserName)
	}
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		return err
	}
	return nil // statuses are answers, recorded in the transcript
}
