package scenarios

import (
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Spec is a parsed, checked scenario: what a file says, with generated sessions expanded.
// It holds no server; [Spec.Start] makes them.
type Spec struct {
	Name        string
	Description string
	// File is the name the scenario was parsed under, as every message prints it: the path
	// given to ParseFile exactly as given (a relative path is relative to the working
	// directory), the file argument of Parse, or "scenarios/library/NAME.yaml" for a built-in
	// (relative to this module's root, where it is in the repository; the file is embedded
	// in the package, not read from disk).
	File string
	// Servers is one server, or several for a fleet. The first answers an empty servername.
	Servers []ServerSpec
	// Callers are the names steps call as, with their roles.
	Callers []CallerSpec
	// Timeline is what happens on the servers while the steps run, in time order.
	Timeline []Event
	// Steps are the calls, in order.
	Steps []Step
}

// ServerSpec is one fake server.
type ServerSpec struct {
	Name    string
	Aliases []string
	Profile fake.Profile // a built-in profile with the file's overrides applied
	// Start is the server's clock when the scenario starts; offsets count from it.
	Start time.Time
	// Sessions are the session entries in session-list order: each a session, or a generator
	// standing for the Count() sessions it makes when the server starts (count: N in a file).
	// [ServerSpec.SessionCount] counts them; [ServerSpec.Expand] makes them.
	Sessions []SessionDef
	Faults   []fake.Fault
	// Absent servers are not on the network at the start (a fleet's servers that join later):
	// every call gets the profile's UnknownServer status until a join event.
	Absent bool
}

// SessionDef is one session at the start or connected by the timeline.
type SessionDef struct {
	// ID names the session for timeline events; may be empty. Generated sessions with an id
	// get ID-1, ID-2, ….
	ID string
	// Session is what the fake will hold. For initial sessions Created and LastActivity are
	// set (the server's start minus Age and Idle); for a timeline connect they are zero and
	// set from the clock when the event happens.
	Session   fake.Session
	Age, Idle time.Duration
	Line      int
	// gen, when set, makes this definition a generator of gen.count sessions (count: N in a
	// file), expanded only when the server starts.
	gen *sessionTmpl
}

// Count is how many sessions the definition stands for: 1, or N for a generator.
func (d *SessionDef) Count() int { return d.count() }

// Generator reports whether the definition is a generator (count: N), whose sessions are
// made when the server starts; its Session then holds no session of its own.
func (d *SessionDef) Generator() bool { return d.gen != nil }

// count is how many sessions the definition stands for.
func (d *SessionDef) count() int {
	if d.gen != nil {
		return d.gen.count
	}
	return 1
}

// CallerSpec is a caller name and the role it calls with.
type CallerSpec struct {
	Name string
	Role fake.Role
	// Password is the caller's password when the scenario is served over SMB2 (`sessionsim
	// serve`: each caller is an account); empty means the server's default. At most
	// [MaxPasswordLength] characters. In-process calls ignore it.
	Password string
}

// EventKind is what a timeline event does.
type EventKind string

// The timeline events.
const (
	EventConnect    EventKind = "connect"
	EventDisconnect EventKind = "disconnect"
	EventActivity   EventKind = "activity"
	EventOpen       EventKind = "open"
	EventClose      EventKind = "close"
	EventAdvance    EventKind = "advance" // only moves the clock
	// A server joins the network (calls reach it again) or leaves it (every call gets its
	// profile's UnknownServer status, ERROR_BAD_NETPATH; its sessions stay).
	EventJoin  EventKind = "join"
	EventLeave EventKind = "leave"
)

// Event is one timeline entry.
type Event struct {
	// At is the offset from the start at which it happens.
	At      time.Duration
	Kind    EventKind
	Server  int        // index into Spec.Servers (connect); the session's server otherwise
	Ref     string     // the session id (disconnect, activity, open, close)
	Files   uint32     // open and close: how many files (default 1)
	Connect SessionDef // connect
	Line    int
}

// ResumeMode says what resume handle a NetSessionEnum step passes.
type ResumeMode uint8

// The resume handle modes.
const (
	ResumeNull     ResumeMode = iota // a NULL pointer (the default)
	ResumeValue                      // the caller's handle set to Step.ResumeValue first
	ResumeContinue                   // the caller's handle as the last enumeration left it
)

// Step is one call (or a pure clock move, when Op is empty).
type Step struct {
	Caller string
	Role   fake.Role
	// At, when set, is the offset the clock is moved to first; Advance moves it relatively.
	At      *time.Duration
	Advance time.Duration

	Op            string // transcript.OpEnum, OpGetInfo, OpDel; "" for a pure advance
	ServerName    string
	UncClientName string
	UserName      string
	Level         sessionapi.Level
	PrefMaxLen    uint32
	Resume        ResumeMode
	ResumeValue   uint32
	// All pages through the enumeration (a resume loop, like sessionapi.All) as one step.
	All bool

	Expect *Expect
	Line   int
}

// Expect is what a step must get. Unset members are not checked.
type Expect struct {
	Status       *sessionapi.Status
	Error        string // a substring of an error that carries no status (e.g. sessionapi.ErrNoEntry)
	Entries      *int
	TotalEntries *uint32
	Resume       *uint32
	Pages        *int
	// Fields, when set, lists every entry in order with the members to check.
	Fields []FieldExpect
	Line   int
}

// FieldExpect is the members of one entry to check: name → value as a transcript writes it.
type FieldExpect struct {
	Names  []string
	Values []string
}

// Counts returns how many servers the scenario has and how many sessions they hold at the
// start, all servers together (sessions a timeline connects later are not counted), without
// generating any session.
func (s *Spec) Counts() (servers, sessions int) {
	for i := range s.Servers {
		sessions += s.Servers[i].SessionCount()
	}
	return len(s.Servers), sessions
}

// Expand returns every session the server starts with, generators expanded, in list order.
// It holds them all (about 200 bytes each): for looking at a small scenario; [Spec.Start]
// does not use it.
func (s *ServerSpec) Expand() []SessionDef {
	out := make([]SessionDef, 0, s.SessionCount())
	in := newInterner()
	for i := range s.Sessions {
		d := &s.Sessions[i]
		if d.gen == nil {
			out = append(out, *d)
			continue
		}
		x := d.gen.expander(in)
		for k := 1; k <= d.gen.count; k++ {
			var g SessionDef
			x.next(k, s.Start, false, &g)
			out = append(out, g)
		}
	}
	return out
}

// SessionCount is how many sessions the server starts with: the listed ones plus what the
// generators among them make.
func (s *ServerSpec) SessionCount() int {
	n := 0
	for i := range s.Sessions {
		n += s.Sessions[i].count()
	}
	return n
}
