package transcript

import (
	"context"
	"sync"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Recorder writes the calls made through it into a transcript. It wraps any
// sessionapi.SessionAPI, the fake's or a live server's, and is safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	t     *Transcript
	start time.Time
	now   func() time.Time
	seq   int
}

// NewRecorder records into t. Calls are stamped with now() − start: pass the fake server's
// clock for a replay (deterministic) or time.Now for a recording. start is usually
// t.Servers[0].Time.
func NewRecorder(t *Transcript, start time.Time, now func() time.Time) *Recorder {
	seq := 0
	for i := range t.Calls {
		seq = max(seq, t.Calls[i].Seq)
	}
	return &Recorder{t: t, start: start, now: now, seq: seq}
}

// Transcript returns the transcript being written. Read it when no call is in flight.
func (r *Recorder) Transcript() *Transcript { return r.t }

// As returns api wrapped so that every call it answers is recorded as made by caller.
func (r *Recorder) As(caller string, api sessionapi.SessionAPI) sessionapi.SessionAPI {
	return &recorded{r: r, caller: caller, api: api}
}

// Event records something that happened on the server between calls (a replay's timeline).
func (r *Recorder) Event(text string) {
	at := r.since()
	r.mu.Lock()
	r.t.Calls = append(r.t.Calls, Call{At: at, Event: text})
	r.mu.Unlock()
}

// since is the offset of now from the start in whole seconds: the unit of every time in a
// session answer, and what keeps a recording's offsets free of sub-second noise.
func (r *Recorder) since() time.Duration {
	d := r.now().Sub(r.start)
	if d < 0 {
		return 0
	}
	return d.Truncate(time.Second)
}

func (r *Recorder) add(c Call, err error) {
	if s, ok := sessionapi.StatusOf(err); ok {
		c.Status = s
	} else {
		c.Err = err.Error()
	}
	r.mu.Lock()
	r.seq++
	c.Seq = r.seq
	r.t.Calls = append(r.t.Calls, c)
	r.mu.Unlock()
}

type recorded struct {
	r      *Recorder
	caller string
	api    sessionapi.SessionAPI
}

var _ sessionapi.SessionAPI = (*recorded)(nil)

func handle(p *uint32) *uint32 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (a *recorded) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	if err := ctx.Err(); err != nil {
		return sessionapi.EnumResult{Level: level}, err // nothing was asked
	}
	c := Call{At: a.r.since(), Caller: a.caller, Op: OpEnum, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level, PrefMaxLen: prefMaxLen, ResumeIn: handle(resume)}
	res, err := a.api.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
	c.ResumeOut = handle(resume)
	c.TotalEntries = res.TotalEntries
	if len(res.Entries) > 0 {
		c.Entries = make([]Entry, len(res.Entries))
		for i, e := range res.Entries {
			c.Entries[i] = EntryOf(e)
		}
	}
	a.r.add(c, err)
	return res, err
}

func (a *recorded) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := Call{At: a.r.since(), Caller: a.caller, Op: OpGetInfo, ServerName: serverName, UncClientName: uncClientName,
		UserName: userName, Level: level}
	info, err := a.api.NetSessionGetInfo(ctx, serverName, uncClientName, userName, level)
	if info != nil {
		c.Entries = []Entry{EntryOf(info)}
	}
	a.r.add(c, err)
	return info, err
}

func (a *recorded) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := Call{At: a.r.since(), Caller: a.caller, Op: OpDel, ServerName: serverName, UncClientName: uncClientName, UserName: userName}
	err := a.api.NetSessionDel(ctx, serverName, uncClientName, userName)
	a.r.add(c, err)
	return err
}
