package transcript

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// ErrHasEvents is returned by [Reissue] for a transcript with timeline events: the events
// changed the server between calls, and only the scenario that caused them can do that again.
var ErrHasEvents = errors.New("transcript: has timeline events; replay its scenario instead")

// Target is where [Reissue] makes the calls again.
type Target struct {
	// API returns the implementation to call as a caller named in the transcript.
	API func(caller string) (sessionapi.SessionAPI, error)
	// Now is the target's clock, to stamp the new calls; nil means time.Now.
	Now func() time.Time
	// Start is the time the new calls' offsets count from; zero means Now() when Reissue
	// starts.
	Start time.Time
	// AdvanceTo, when set, is called before each call with its recorded offset so that the
	// target's clock can be moved there (a fake's ManualClock): session times then match.
	AdvanceTo func(at time.Duration) error
}

// Reissue makes every call of t again, with the same arguments (the recorded resume handle
// included), and returns the new transcript: same header, new answers. Compare the two with
// [Diff] on their YAML.
func Reissue(ctx context.Context, t *Transcript, target Target) (*Transcript, error) {
	now := target.Now
	if now == nil {
		now = time.Now
	}
	start := target.Start
	if start.IsZero() {
		start = now()
	}
	out := &Transcript{Source: t.Source, Scenario: t.Scenario, Comment: t.Comment,
		Servers: append([]Server(nil), t.Servers...), Callers: append([]Caller(nil), t.Callers...)}
	rec := NewRecorder(out, start, now)
	for i := range t.Calls {
		c := &t.Calls[i]
		if c.IsEvent() {
			return out, fmt.Errorf("%w (item %d: %s)", ErrHasEvents, i+1, c.Event)
		}
		if target.AdvanceTo != nil {
			if err := target.AdvanceTo(c.At); err != nil {
				return out, fmt.Errorf("transcript: call %d: %w", c.Seq, err)
			}
		}
		api, err := target.API(c.Caller)
		if err != nil {
			return out, fmt.Errorf("transcript: call %d: caller %q: %w", c.Seq, c.Caller, err)
		}
		api = rec.As(c.Caller, api)
		switch c.Op {
		case OpEnum:
			resume := handle(c.ResumeIn)
			_, err = api.NetSessionEnum(ctx, c.ServerName, c.UncClientName, c.UserName, c.Level, c.PrefMaxLen, resume)
		case OpGetInfo:
			_, err = api.NetSessionGetInfo(ctx, c.ServerName, c.UncClientName, c.UserName, c.Level)
		case OpDel:
			err = api.NetSessionDel(ctx, c.ServerName, c.UncClientName, c.UserName)
		default:
			return out, fmt.Errorf("transcript: call %d: unknown call %q", c.Seq, c.Op)
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return out, err
		}
	}
	return out, nil
}
