package fake

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Server is one fake Windows (or Samba) server with its SMB sessions. It is safe for concurrent
// use: enumerations run in parallel with each other and see a consistent session list, while
// changes wait for them.
type Server struct {
	name    string
	aliases []string
	profile Profile
	clock   Clock

	mu     sync.RWMutex
	list   []*entry // the SessionList, in enumeration order
	byID   map[SessionID]*entry
	nextID SessionID

	// callMu guards what every call writes: fault counters and the call record.
	callMu    sync.Mutex
	faults    []*armedFault
	nextFault FaultID
	calls     callLog
}

// entry is a session plus what its answers need that does not change while it lives.
type entry struct {
	Session
	// created and last are Created and LastActivity as Unix seconds and nanoseconds: an
	// enumeration computes time and idle_time for every entry, and whole-second arithmetic
	// without a division is what keeps a large one fast.
	created, last instant
	cnameOut      string
	userOut       string
	flagsOut      sessionapi.Flags
	sizes         [5]int // bytes at levels 0, 1, 2, 10, 502 (see levelIndex)
}

// Option configures a Server.
type Option func(*Server)

// WithProfile chooses the behaviour; the default is [Windows].
func WithProfile(p Profile) Option {
	return func(s *Server) {
		p.EnumLevels = slices.Clone(p.EnumLevels)
		s.profile = p
	}
}

// WithClock sets the clock; the default is a [ManualClock] at [DefaultStart], which only
// Server.Advance moves.
func WithClock(c Clock) Option { return func(s *Server) { s.clock = c } }

// WithName sets the names the server answers to as servername (with or without `\\`,
// case-insensitive); an empty servername always means this server. The default name is
// "FILESRV01". Any other servername gets the profile's UnknownServer status, as a call to a
// host that is not there would.
func WithName(name string, aliases ...string) Option {
	return func(s *Server) {
		s.name = name
		s.aliases = slices.Clone(aliases)
	}
}

// DefaultName is the server name when WithName is not given.
const DefaultName = "FILESRV01"

// New makes an empty server.
func New(opts ...Option) *Server {
	s := &Server{name: DefaultName, profile: Windows(), byID: map[SessionID]*entry{}, nextID: 1}
	for _, o := range opts {
		o(s)
	}
	if s.clock == nil {
		s.clock = NewManualClock(DefaultStart)
	}
	return s
}

// Name returns the server's name.
func (s *Server) Name() string { return s.name }

// Names returns the name and the aliases.
func (s *Server) Names() []string { return append([]string{s.name}, s.aliases...) }

// Profile returns a copy of the server's profile.
func (s *Server) Profile() Profile {
	p := s.profile
	p.EnumLevels = slices.Clone(p.EnumLevels)
	return p
}

// Clock returns the server's clock.
func (s *Server) Clock() Clock { return s.clock }

// Now returns the server's time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// ErrNotManualClock is returned by Advance when the server's clock is not a *ManualClock.
var ErrNotManualClock = errors.New("fake: the server's clock is not a *fake.ManualClock and cannot be advanced")

// Advance moves the server's manual clock forward.
func (s *Server) Advance(d time.Duration) error {
	mc, ok := s.clock.(*ManualClock)
	if !ok {
		return ErrNotManualClock
	}
	if d < 0 {
		return fmt.Errorf("fake: cannot advance the clock by %v: time does not run back", d)
	}
	mc.Advance(d)
	return nil
}

// ErrNoSession is wrapped by every error about a session ID the server does not have.
var ErrNoSession = errors.New("no such session")

var levelIndex = map[sessionapi.Level]int{
	sessionapi.Level0: 0, sessionapi.Level1: 1, sessionapi.Level2: 2, sessionapi.Level10: 3, sessionapi.Level502: 4,
}

func (s *Server) newEntry(sess Session) *entry {
	p := &s.profile
	e := &entry{Session: sess, created: instantOf(sess.Created), last: instantOf(sess.LastActivity),
		cnameOut: p.ClientNameOut(sess.ClientName), userOut: sess.UserName, flagsOut: sess.Flags}
	if p.GuestUserName != "" {
		e.flagsOut = 0
		if sess.Guest() {
			e.userOut = p.GuestUserName
			e.flagsOut = sessionapi.SessGuest
		}
	}
	if !p.ReportNoEncryption {
		e.flagsOut &^= sessionapi.SessNoEncryption
	}
	view := sessionapi.SessionInfo502{ClientName: e.cnameOut, UserName: e.userOut, ClientType: sess.ClientType, Transport: sess.Transport}
	for l, i := range levelIndex {
		e.sizes[i] = sessionapi.LevelSize(&view, l, p.Arch)
	}
	return e
}

// Connect adds a session and returns its ID. A zero Created means now; a zero LastActivity
// means Created. A session that no server could report is refused with an error wrapping
// [ErrInvalidSession], and nothing changes.
func (s *Server) Connect(sess Session) (SessionID, error) {
	now := s.clock.Now()
	if sess.Created.IsZero() {
		sess.Created = now
	}
	if sess.LastActivity.IsZero() {
		sess.LastActivity = sess.Created
	}
	if err := sess.validate(now); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.ID = s.nextID
	s.nextID++
	e := s.newEntry(sess)
	s.byID[sess.ID] = e
	if s.profile.NewSessionsFirst {
		s.list = slices.Insert(s.list, 0, e)
	} else {
		s.list = append(s.list, e)
	}
	return sess.ID, nil
}

// Disconnect ends a session.
func (s *Server) Disconnect(id SessionID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("fake: disconnect session %d: %w", id, ErrNoSession)
	}
	delete(s.byID, id)
	s.list = slices.DeleteFunc(s.list, func(x *entry) bool { return x == e })
	return nil
}

// change runs f on a session under the write lock, after stamping its activity.
func (s *Server) change(what string, id SessionID, f func(*entry) error) error {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("fake: %s session %d: %w", what, id, ErrNoSession)
	}
	if err := f(e); err != nil {
		return fmt.Errorf("fake: %s session %d: %w", what, id, err)
	}
	if now.After(e.LastActivity) {
		e.LastActivity, e.last = now, instantOf(now)
	}
	return nil
}

// Activity records that a session did something now: its idle time restarts.
func (s *Server) Activity(id SessionID) error {
	return s.change("record activity on", id, func(*entry) error { return nil })
}

// OpenFile opens a file in a session (num_opens goes up), which is activity.
func (s *Server) OpenFile(id SessionID) error {
	return s.change("open a file in", id, func(e *entry) error {
		if e.OpenFiles == 0xFFFFFFFF {
			return errors.New("num_opens is at its maximum")
		}
		e.OpenFiles++
		return nil
	})
}

// CloseFile closes a file in a session, which is activity. Closing with none open is an error.
func (s *Server) CloseFile(id SessionID) error {
	return s.change("close a file in", id, func(e *entry) error {
		if e.OpenFiles == 0 {
			return errors.New("no file is open")
		}
		e.OpenFiles--
		return nil
	})
}

// Session returns a copy of one session.
func (s *Server) Session(id SessionID) (Session, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.byID[id]
	if !ok {
		return Session{}, false
	}
	return e.Session, true
}

// Sessions returns copies of all sessions, in session-list order.
func (s *Server) Sessions() []Session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Session, len(s.list))
	for i, e := range s.list {
		out[i] = e.Session
	}
	return out
}

// Len returns the number of sessions.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.list)
}

// Snapshot is a server's sessions and time at one moment, for Restore. Faults and recorded
// calls are not part of it.
type Snapshot struct {
	Sessions []Session
	Now      time.Time
	NextID   SessionID
}

// Snapshot copies the sessions and the time.
func (s *Server) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := Snapshot{Sessions: make([]Session, len(s.list)), Now: s.clock.Now(), NextID: s.nextID}
	for i, e := range s.list {
		snap.Sessions[i] = e.Session
	}
	return snap
}

// Restore puts the sessions of a snapshot back, and its time when the clock is a
// *ManualClock. A snapshot that no server could hold (a bad session, a repeated ID) is refused
// whole: the server keeps its state.
func (s *Server) Restore(snap Snapshot) error {
	list := make([]*entry, 0, len(snap.Sessions))
	byID := make(map[SessionID]*entry, len(snap.Sessions))
	next := snap.NextID
	for i, sess := range snap.Sessions {
		if err := sess.validate(snap.Now); err != nil {
			return fmt.Errorf("fake: restore: session %d of %d: %w", i+1, len(snap.Sessions), err)
		}
		if sess.ID == 0 || byID[sess.ID] != nil {
			return fmt.Errorf("fake: restore: session %d of %d: %w: id %d is zero or repeated", i+1, len(snap.Sessions), ErrInvalidSession, sess.ID)
		}
		e := s.newEntry(sess)
		list = append(list, e)
		byID[sess.ID] = e
		next = max(next, sess.ID+1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if mc, ok := s.clock.(*ManualClock); ok {
		mc.Set(snap.Now)
	}
	s.list, s.byID, s.nextID = list, byID, next
	return nil
}

// Reset ends every session and forgets faults and recorded calls. The clock and the profile
// stay as they are; session IDs are not reused.
func (s *Server) Reset() {
	s.mu.Lock()
	s.list, s.byID = nil, map[SessionID]*entry{}
	s.mu.Unlock()
	s.callMu.Lock()
	s.faults, s.calls = nil, callLog{}
	s.callMu.Unlock()
}

// InjectFault arms a fault. It counts only calls made after it is armed.
func (s *Server) InjectFault(f Fault) (FaultID, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	s.callMu.Lock()
	defer s.callMu.Unlock()
	s.nextFault++
	a := &armedFault{id: s.nextFault, fault: f}
	if f.Probability != 0 {
		a.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9E3779B97F4A7C15))
	}
	s.faults = append(s.faults, a)
	return a.id, nil
}

// RemoveFault disarms a fault; it reports whether the fault was armed.
func (s *Server) RemoveFault(id FaultID) bool {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	n := len(s.faults)
	s.faults = slices.DeleteFunc(s.faults, func(a *armedFault) bool { return a.id == id })
	return len(s.faults) != n
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.callMu.Lock()
	s.faults = nil
	s.callMu.Unlock()
}

// Calls returns copies of the calls made so far, in order.
func (s *Server) Calls() []Call {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	return s.calls.copies()
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.callMu.Lock()
	s.calls = callLog{}
	s.callMu.Unlock()
}

// As returns a client that calls this server as a caller with the given role.
func (s *Server) As(r Role) *Client { return &Client{srv: s, caller: Caller{Role: r}} }

// AsCaller returns a client that calls this server as c.
func (s *Server) AsCaller(c Caller) *Client { return &Client{srv: s, caller: c} }

// answersTo reports whether servername names this server.
func (s *Server) answersTo(servername string) bool {
	if servername == "" {
		return true
	}
	n := strings.TrimPrefix(servername, `\\`)
	for _, name := range s.Names() {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// begin runs what every call does first: the context, the server name, injected faults. A
// non-nil error ends the call with it; the call is recorded unless the context ended it.
func (s *Server) begin(ctx context.Context, c *Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.At = s.clock.Now()
	// A call to another host never reaches this server: it fires no fault here.
	if !s.answersTo(c.ServerName) {
		return fmt.Errorf("fake: server %q is not %s (set fake.WithName): %w",
			c.ServerName, strings.Join(s.Names(), " or "), s.profile.UnknownServer)
	}
	var status sessionapi.Status
	var latency time.Duration
	realTime := false
	s.callMu.Lock()
	for _, a := range s.faults {
		if a.fires(c.Op) {
			latency += a.fault.Latency
			realTime = realTime || a.fault.RealTime
			if status == sessionapi.NERR_Success && a.fault.Status != sessionapi.NERR_Success {
				status = a.fault.Status
			}
		}
	}
	// An nth fault that has fired is spent: disarm it.
	s.faults = slices.DeleteFunc(s.faults, func(a *armedFault) bool { return a.done })
	s.callMu.Unlock()
	if latency > 0 {
		if mc, ok := s.clock.(*ManualClock); ok && !realTime {
			mc.Advance(latency)
		} else {
			t := time.NewTimer(latency)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	if status != sessionapi.NERR_Success {
		c.Fault = true
		return status
	}
	return nil
}

func (s *Server) record(c *Call, err error) {
	st, ok := sessionapi.StatusOf(err)
	if !ok {
		return // a done context: nothing reached the server
	}
	c.Status = st
	s.callMu.Lock()
	c.Seq = s.calls.n + 1
	s.calls.add(c)
	s.callMu.Unlock()
}
