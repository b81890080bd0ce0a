package transcript

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Version is the format version written in every transcript.
const Version = 1

// The sources a transcript names.
const (
	SourceReplay    = "replay"    // a scenario run on the fake
	SourceRecording = "recording" // calls made against a live server
)

// The calls, by their Win32 names.
const (
	OpEnum    = "NetSessionEnum"
	OpGetInfo = "NetSessionGetInfo"
	OpDel     = "NetSessionDel"
)

// Transcript is a sequence of calls and their answers.
type Transcript struct {
	// Source is SourceReplay or SourceRecording.
	Source string
	// Scenario names the scenario a replay ran; empty for recordings.
	Scenario string
	// Comment is free text, e.g. what was recorded against which server build.
	Comment string
	// Servers are the servers called, the first being the one an empty servername reaches.
	Servers []Server
	// Callers maps the caller names used in Calls to fake roles ("administrator").
	Callers []Caller
	// Calls are the calls, and for replays the scenario's timeline events, in order.
	Calls []Call
}

// Server describes a server at the start of the transcript.
type Server struct {
	Name    string
	Profile string // a fake profile name: what the server is expected to answer like
	// Time is the server's clock when the transcript starts; Call.At counts from it.
	Time time.Time
	// Sessions are the sessions the server held at Time, as the server holds them (cname
	// without `\\`; time and idle_time in seconds at Time). Optional: a recording carries
	// them so that a fake can be seeded with the same sessions.
	Sessions []Entry
}

// Caller names who makes calls.
type Caller struct {
	Name string
	Role string
}

// Call is one call, or one timeline event of a replay (Event set, nothing else but At).
type Call struct {
	Seq    int           // 1 for the first call; 0 for an event
	At     time.Duration // since the first server's Time
	Caller string
	Op     string // OpEnum, OpGetInfo or OpDel; empty for an event
	Event  string // what happened on the server between calls (replays only)

	ServerName    string
	UncClientName string
	UserName      string
	Level         sessionapi.Level // Enum and GetInfo
	PrefMaxLen    uint32           // Enum
	ResumeIn      *uint32          // Enum; nil for a NULL pointer

	// Status is the NET_API_STATUS; Err is set instead for an error that carries none (a
	// transport failure, sessionapi.ErrNoEntry).
	Status       sessionapi.Status
	Err          string
	TotalEntries uint32 // Enum
	ResumeOut    *uint32
	Entries      []Entry // Enum: the entries read; GetInfo: the one entry
}

// IsEvent reports whether the item is a timeline event rather than a call.
func (c *Call) IsEvent() bool { return c.Op == "" }

// String renders the call like a Go test failure: "NetSessionEnum(level=10,
// prefmaxlen=64, resume=0) = ERROR_MORE_DATA, read=1, total=3".
func (c *Call) String() string {
	if c.IsEvent() {
		return "event: " + c.Event
	}
	out := sessionapi.FormatCall(c.Op, c.ServerName, c.UncClientName, c.UserName, c.Level, c.PrefMaxLen, c.ResumeIn) +
		" = " + c.Outcome()
	switch c.Op {
	case OpEnum:
		out += fmt.Sprintf(", read=%d, total=%d", len(c.Entries), c.TotalEntries)
		if c.ResumeOut != nil {
			out += fmt.Sprintf(", resume=%d", *c.ResumeOut)
		}
	}
	return out
}

// Outcome is the status name, or the error text when no status came back.
func (c *Call) Outcome() string {
	if c.Err != "" {
		return "error: " + c.Err
	}
	return c.Status.String()
}

// PrefMaxLenString writes MAX_PREFERRED_LENGTH by name, other values as numbers.
func PrefMaxLenString(n uint32) string { return sessionapi.PrefMaxLenString(n) }

// Entry is one SESSION_INFO_n entry held in its widest form, with the members its level
// carries (sessionapi.Widen): only those are written and compared.
type Entry struct {
	Info   sessionapi.SessionInfo502
	Fields sessionapi.Field
}

// EntryOf records an entry of any level.
func EntryOf(info sessionapi.Info) Entry {
	w, f := sessionapi.Widen(info)
	return Entry{Info: w, Fields: f}
}

// FullEntry records a session with every member, as Server.Sessions holds it.
func FullEntry(s sessionapi.SessionInfo502) Entry {
	return Entry{Info: s, Fields: sessionapi.FieldsOf(sessionapi.Level502)}
}

// fieldNames are the entry members in the order they are written, named as the sesi*_
// members without the prefix.
var fieldNames = []struct {
	f    sessionapi.Field
	name string
}{
	{sessionapi.FieldClientName, "cname"},
	{sessionapi.FieldUserName, "username"},
	{sessionapi.FieldNumOpens, "num_opens"},
	{sessionapi.FieldTime, "time"},
	{sessionapi.FieldIdleTime, "idle_time"},
	{sessionapi.FieldUserFlags, "user_flags"},
	{sessionapi.FieldClientType, "cltype_name"},
	{sessionapi.FieldTransport, "transport"},
}

// FieldNames lists the member names an entry can carry, in the order they are written.
func FieldNames() []string {
	out := make([]string, len(fieldNames))
	for i, f := range fieldNames {
		out[i] = f.name
	}
	return out
}

// FieldByName returns the member a name stands for.
func FieldByName(name string) (sessionapi.Field, bool) {
	for _, f := range fieldNames {
		if f.name == name {
			return f.f, true
		}
	}
	return 0, false
}

// FieldName returns the name of one member.
func FieldName(f sessionapi.Field) string {
	for _, n := range fieldNames {
		if n.f == f {
			return n.name
		}
	}
	return fmt.Sprintf("field(%d)", uint16(f))
}

// Value returns one member as the transcript writes it.
func (e *Entry) Value(f sessionapi.Field) string {
	i := &e.Info
	switch f {
	case sessionapi.FieldClientName:
		return i.ClientName
	case sessionapi.FieldUserName:
		return i.UserName
	case sessionapi.FieldNumOpens:
		return strconv.FormatUint(uint64(i.NumOpens), 10)
	case sessionapi.FieldTime:
		return strconv.FormatUint(uint64(i.Time), 10)
	case sessionapi.FieldIdleTime:
		return strconv.FormatUint(uint64(i.IdleTime), 10)
	case sessionapi.FieldUserFlags:
		return i.UserFlags.String()
	case sessionapi.FieldClientType:
		return i.ClientType
	case sessionapi.FieldTransport:
		return i.Transport
	}
	return ""
}

// ParseFlags reads user_flags as written: "0", or names joined with "|" ("SESS_GUEST|SESS_NOENCRYPTION"),
// or a number.
func ParseFlags(text string) (sessionapi.Flags, error) {
	t := strings.TrimSpace(text)
	if t == "0" || t == "" {
		return 0, nil
	}
	var f sessionapi.Flags
	for _, part := range strings.Split(t, "|") {
		part = strings.TrimSpace(part)
		if n, err := parseUint32(part); err == nil {
			f |= sessionapi.Flags(n)
			continue
		}
		g, err := sessionapi.ParseFlag(part)
		if err != nil {
			return 0, err
		}
		f |= g
	}
	return f, nil
}

// WithoutTimes returns a copy with every clock reading zeroed (call offsets, time and
// idle_time of entries and sessions, the servers' start times). Two transcripts of the same
// calls on servers that ran at different moments (a recording and its replay) compare equal
// after it when everything else agrees.
func (t *Transcript) WithoutTimes() *Transcript {
	c := *t
	c.Servers = make([]Server, len(t.Servers))
	for i, s := range t.Servers {
		s.Time = time.Time{}
		s.Sessions = zeroTimes(s.Sessions)
		c.Servers[i] = s
	}
	c.Calls = make([]Call, len(t.Calls))
	for i, call := range t.Calls {
		call.At = 0
		call.Entries = zeroTimes(call.Entries)
		c.Calls[i] = call
	}
	return &c
}

func zeroTimes(in []Entry) []Entry {
	if in == nil {
		return nil
	}
	out := make([]Entry, len(in))
	for i, e := range in {
		e.Info.Time, e.Info.IdleTime = 0, 0
		out[i] = e
	}
	return out
}

// Observe turns entries from an enumeration into the sessions a server holds, for
// Server.Sessions: the leading `\\` of cname is dropped (a server holds the bare name). Members
// the level does not carry stay absent, so a seeded server gets them at their zero value.
func Observe(entries []sessionapi.Info) []Entry {
	out := make([]Entry, 0, len(entries))
	for _, info := range entries {
		e := EntryOf(info)
		e.Info.ClientName = strings.TrimPrefix(e.Info.ClientName, `\\`)
		out = append(out, e)
	}
	return out
}
