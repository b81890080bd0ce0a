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
	// File is where the scenario came from: a path, or "builtin/NAME.yaml".
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
	Start    time.Time
	Sessions []SessionDef // in session-list order
	Faults   []fake.Fault
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
}

// CallerSpec is a caller name and the role it calls with.
type CallerSpec struct {
	Name string
	Role fake.Role
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
