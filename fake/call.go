package fake

import (
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Call is one recorded call: what the code under test asked and what the fake answered.
// Calls are copies; changing one changes nothing in the server.
type Call struct {
	Seq    int // 1 for the first call since New or ResetCalls
	Op     Op
	Caller Caller
	At     time.Time // the server's clock when the call arrived

	ServerName    string
	UncClientName string
	UserName      string
	Level         sessionapi.Level // Enum and GetInfo
	PrefMaxLen    uint32           // Enum
	// ResumeIn and ResumeOut are the resume handle before and after (nil for a NULL pointer).
	ResumeIn, ResumeOut *uint32

	Status       sessionapi.Status
	EntriesRead  uint32
	TotalEntries uint32
	// Deleted is the number of sessions NetSessionDel closed.
	Deleted int
	// Fault is set when an injected fault decided the answer.
	Fault bool
	// Entries are what the call returned (Enum: the page; GetInfo: the one entry), as deep
	// copies, when the server was made WithRecordedEntries; nil otherwise.
	Entries []sessionapi.Info
	// Note says why an answer that looks wrong is what Windows does, or where it came from:
	// [NoteClientSide], [NoteDelNoPrefix]; empty for most calls.
	Note string

	// The handles as recorded: Calls turns them into ResumeIn and ResumeOut, so that recording
	// a call allocates nothing.
	resumeIn, resumeOut       uint32
	hasResumeIn, hasResumeOut bool
}

// callLog holds recorded calls in fixed-size chunks: recording never copies what is already
// recorded, however long a test or benchmark runs.
type callLog struct {
	chunks [][]Call
	n      int
}

const callChunk = 512

func (l *callLog) add(c *Call) {
	if l.n%callChunk == 0 {
		l.chunks = append(l.chunks, make([]Call, 0, callChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, *c)
	l.n++
}

// copies returns the calls with their resume handles as fresh pointers.
func (l *callLog) copies() []Call {
	out := make([]Call, 0, l.n)
	for _, chunk := range l.chunks {
		out = append(out, chunk...)
	}
	for i := range out {
		c := &out[i]
		if c.Entries != nil {
			c.Entries = cloneInfos(c.Entries)
		}
		if c.hasResumeIn {
			v := c.resumeIn
			c.ResumeIn = &v
		}
		if c.hasResumeOut {
			v := c.resumeOut
			c.ResumeOut = &v
		}
	}
	return out
}

// String renders the call like a Go test failure would: "NetSessionEnum(level=10,
// prefmaxlen=64) = ERROR_MORE_DATA, read=1, total=3".
func (c Call) String() string {
	resume := c.ResumeIn
	if resume == nil && c.hasResumeIn {
		resume = &c.resumeIn
	}
	out := sessionapi.FormatCall(c.Op.String(), c.ServerName, c.UncClientName, c.UserName, c.Level, c.PrefMaxLen, resume) +
		" = " + c.Status.String()
	switch c.Op {
	case OpEnum:
		out += fmt.Sprintf(", read=%d, total=%d", c.EntriesRead, c.TotalEntries)
	case OpDel:
		out += fmt.Sprintf(", deleted=%d", c.Deleted)
	}
	if c.Fault {
		out += " (injected)"
	}
	return out
}

// setResume records the handle before (in) or after the call, without allocating.
func (c *Call) setResume(p *uint32, in bool) {
	if p == nil {
		return
	}
	if in {
		c.resumeIn, c.hasResumeIn = *p, true
	} else {
		c.resumeOut, c.hasResumeOut = *p, true
	}
}

// cloneInfos deep-copies entries: the structs, so that neither the code under test nor the
// reader of Calls can change what another sees (strings are immutable and shared).
func cloneInfos(in []sessionapi.Info) []sessionapi.Info {
	out := make([]sessionapi.Info, len(in))
	for i, e := range in {
		switch x := e.(type) {
		case *sessionapi.SessionInfo0:
			c := *x
			out[i] = &c
		case *sessionapi.SessionInfo1:
			c := *x
			out[i] = &c
		case *sessionapi.SessionInfo2:
			c := *x
			out[i] = &c
		case *sessionapi.SessionInfo10:
			c := *x
			out[i] = &c
		case *sessionapi.SessionInfo502:
			c := *x
			out[i] = &c
		}
	}
	return out
}
