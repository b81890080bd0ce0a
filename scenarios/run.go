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

// maxPages bounds an all: true enumeration.
const maxPages = 1 << 20

// Run plays the scenario: for each step it moves the clocks to the step's time, applying the
// timeline events due by then (events first when they share a time with a step), makes the
// call and checks the expectations; the events after the last step are applied at the end.
// The error is for what prevents running (a done context, a second run); unmet expectations
// are in Result.Failures.
func (sc *Scenario) Run(ctx context.Context) (*Result, error) {
	if sc.ran {
		return nil, ErrAlreadyRan
	}
	sc.ran = true
	tr := sc.header()
	first := sc.servers[0]
	rec := transcript.NewRecorder(tr, sc.spec.Servers[0].Start, first.Now)
	res := &Result{Transcript: tr}
	for i := range sc.spec.Steps {
		st := &sc.spec.Steps[i]
		if err := ctx.Err(); err != nil {
			return res, err
		}
		target := sc.elapsed()
		if st.At != nil {
			target = max(target, *st.At)
		} else {
			target += st.Advance
		}
		if err := sc.playUntil(target, rec); err != nil {
			return res, err
		}
		if st.Op == "" {
			continue
		}
		before := len(tr.Calls)
		api := rec.As(st.Caller, sc.fleet.As(fake.Caller{Role: st.Role, Name: st.Caller}))
		if err := sc.call(ctx, st, api); err != nil {
			return res, err
		}
		if st.Expect != nil {
			if f, bad := sc.check(i, st, tr.Calls[before:]); bad {
				res.Failures = append(res.Failures, f)
			}
		}
	}
	if len(sc.spec.Timeline) > 0 {
		if err := sc.playUntil(sc.spec.Timeline[len(sc.spec.Timeline)-1].At, rec); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (sc *Scenario) handle(caller string) *uint32 {
	h := sc.handles[caller]
	if h == nil {
		h = new(uint32)
		sc.handles[caller] = h
	}
	return h
}

func (sc *Scenario) call(ctx context.Context, st *Step, api sessionapi.SessionAPI) error {
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
		for page := 0; page < maxPages; page++ {
			before := *h
			var r sessionapi.EnumResult
			r, err = api.NetSessionEnum(ctx, st.ServerName, st.UncClientName, st.UserName, st.Level, st.PrefMaxLen, h)
			if !errors.Is(err, sessionapi.ERROR_MORE_DATA) || (len(r.Entries) == 0 && *h == before) {
				break // done, failed, or no progress (the transcript shows it)
			}
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
