package fake

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Server is one fake Windows (or Samba) server with its SMB sessions. It is safe for concurrent
// use: enumerations run in parallel with each other and see a consistent session list, while
// changes wait for them.
type Server struct {
	name          string
	aliases       []string
	profile       Profile
	clock         Clock
	recordEntries bool

	mu   sync.RWMutex
	list []*entry // the SessionList, in enumeration order
	byID map[SessionID]*entry
	// nextID is the high-water mark: every ID below it has been handed out, and no ID is ever
	// handed out twice, across Reset and Restore too.
	nextID SessionID
	// locs are the time zones session times came in, by entry.loc: kept once per server, so
	// that a session costs one byte for its zone and comes back with the times it was given.
	locs []*time.Location
	// own maps a caller to the session the fake made for it (Profile.ListCallerSession).
	own map[ownKey]SessionID

	hook atomic.Pointer[func(*Call)]

	// callMu guards what every call writes: fault counters and the call record.
	callMu    sync.Mutex
	faults    []*armedFault
	nextFault FaultID
	calls     callLog
}

// entry is a session as the server holds it: compact, because a fleet holds millions (about
// 110 bytes here, plus its strings, its slot in the list and in byID), and in the form its
// answers need, so that an enumeration does no per-entry work beyond copying.
type entry struct {
	id SessionID
	// cname is sesi*_cname as the profile serves it; the session's ClientName is its tail
	// (past the `\` the profile adds, see Server.bare).
	cname      string
	user       string
	clientType string
	transport  string
	// created and last are Created and LastActivity as Unix nanoseconds.
	created, last int64
	openFiles     uint32
	flags         sessionapi.Flags
	sizes         [5]uint16 // bytes at levels 0, 1, 2, 10, 502 (see levelIndex); MaxStringLength bounds them
	loc           uint8     // Server.locs index of the times' zone
}

// ownKey names a caller for its own session.
type ownKey struct{ client, user string }

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

// WithName sets the names the server answers to as servername, case-insensitive; an empty
// servername always means this server. The default name is "FILESRV01". Each name may be
// given with or without its `\\` (a collector's server list of UNC names works as it is):
// one leading `\\` is dropped, so WithName(`\\FS01`) names the server FS01, and it answers
// both `FS01` and `\\FS01`. Any other servername gets the profile's UnknownServer status, as
// a call to a host that is not there would.
func WithName(name string, aliases ...string) Option {
	return func(s *Server) {
		s.name = strings.TrimPrefix(name, `\\`)
		s.aliases = make([]string, len(aliases))
		for i, a := range aliases {
			s.aliases[i] = strings.TrimPrefix(a, `\\`)
		}
	}
}

// WithRecordedEntries makes every recorded [Call] carry the entries it returned
// (Call.Entries, deep copies). It is off by default because copying every entry of every
// call costs as much as the call itself; a test that wants to see what a collector was shown
// turns it on.
func WithRecordedEntries() Option { return func(s *Server) { s.recordEntries = true } }

// DefaultName is the server name when WithName is not given.
const DefaultName = "FILESRV01"

// New makes an empty server.
func New(opts ...Option) *Server {
	s := &Server{name: DefaultName, profile: Windows(), byID: map[SessionID]*entry{}, nextID: 1, own: map[ownKey]SessionID{}}
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

// newEntry makes the stored form of a valid session, adding its time zone to locs.
func (s *Server) newEntry(sess *Session, locs *[]*time.Location) *entry {
	p := &s.profile
	e := &entry{id: sess.ID, cname: p.ClientNameOut(sess.ClientName), user: sess.UserName,
		clientType: sess.ClientType, transport: sess.Transport,
		created: nanosOf(sess.Created), last: nanosOf(sess.LastActivity),
		openFiles: sess.OpenFiles, flags: sess.Flags}
	e.loc = locIndex(locs, sess.Created.Location())
	view := sessionapi.SessionInfo502{ClientName: e.cname, UserName: s.userOut(e), ClientType: sess.ClientType, Transport: sess.Transport}
	for l, i := range levelIndex {
		e.sizes[i] = uint16(sessionapi.LevelSize(&view, l, p.Arch))
	}
	return e
}

// locIndex returns loc's index in locs, adding it. Past 255 zones, the rest share UTC.
func locIndex(locs *[]*time.Location, loc *time.Location) uint8 {
	for i, l := range *locs {
		if l == loc {
			return uint8(i)
		}
	}
	if len(*locs) == 256 {
		for i, l := range *locs {
			if l == time.UTC {
				return uint8(i)
			}
		}
		loc = time.UTC // unreachable in practice: a test with 256 time zones
		(*locs)[255] = loc
		return 255
	}
	*locs = append(*locs, loc)
	return uint8(len(*locs) - 1)
}

// session is e as a Session, its times in the zone they were given in.
func (s *Server) session(e *entry) Session {
	loc := s.locs[e.loc]
	return Session{ID: e.id, ClientName: s.bare(e), UserName: e.user, OpenFiles: e.openFiles, Flags: e.flags,
		ClientType: e.clientType, Transport: e.transport,
		Created: time.Unix(0, e.created).In(loc), LastActivity: time.Unix(0, e.last).In(loc)}
}

// bare is the session's ClientName: cname without the `\` the profile adds.
func (s *Server) bare(e *entry) string {
	if s.profile.ClientNamePrefix {
		return e.cname[2:]
	}
	return e.cname
}

// userOut is sesi*_username: the profile's GuestUserName for guests where it has one.
func (s *Server) userOut(e *entry) string {
	if g := s.profile.GuestUserName; g != "" && (e.flags&sessionapi.SessGuest != 0 || e.user == "") {
		return g
	}
	return e.user
}

// Connect adds a session and returns its ID, one never handed out before by this server. A
// zero Created means now; a zero LastActivity means Created. A session that no server could
// report is refused with an error wrapping [ErrInvalidSession], and nothing changes.
//
// The clock is read under the server's lock, so a concurrent Restore (which may move the
// clock back) cannot leave a session created after the clock.
func (s *Server) Connect(sess Session) (SessionID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectLocked(sess)
}

func (s *Server) connectLocked(sess Session) (SessionID, error) {
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
	sess.ID = s.nextID
	s.nextID++
	e := s.newEntry(&sess, &s.locs)
	s.byID[sess.ID] = e
	if s.profile.NewSessionsFirst {
		s.list = slices.Insert(s.list, 0, e)
	} else {
		s.list = append(s.list, e)
	}
	return sess.ID, nil
}

// Disconnect ends a session. An ID the server does not hold (never handed out, already ended,
// or not in the snapshot last restored) gets an error wrapping [ErrNoSession]: IDs are never
// reused, so an old ID never reaches another session.
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
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("fake: %s session %d: %w", what, id, ErrNoSession)
	}
	if err := f(e); err != nil {
		return fmt.Errorf("fake: %s session %d: %w", what, id, err)
	}
	s.touch(e)
	return nil
}

// touch stamps activity now; the caller holds the write lock (and so reads the clock under it).
func (s *Server) touch(e *entry) {
	if now := nanosOf(s.clock.Now()); now > e.last {
		e.last = now
	}
}

// Activity records that a session did something now: its idle time restarts.
func (s *Server) Activity(id SessionID) error {
	return s.change("record activity on", id, func(*entry) error { return nil })
}

// OpenFile opens a file in a session (num_opens goes up), which is activity.
func (s *Server) OpenFile(id SessionID) error {
	return s.change("open a file in", id, func(e *entry) error {
		if e.openFiles == 0xFFFFFFFF {
			return errors.New("num_opens is at its maximum")
		}
		e.openFiles++
		return nil
	})
}

// CloseFile closes a file in a session, which is activity. Closing with none open is an error.
func (s *Server) CloseFile(id SessionID) error {
	return s.change("close a file in", id, func(e *entry) error {
		if e.openFiles == 0 {
			return errors.New("no file is open")
		}
		e.openFiles--
		return nil
	})
}

// Session returns a copy of one session. Its times are those given or stamped, to the
// nanosecond, in the time zone Created was given in (and without a monotonic clock reading).
func (s *Server) Session(id SessionID) (Session, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.byID[id]
	if !ok {
		return Session{}, false
	}
	return s.session(e), true
}

// Sessions returns copies of all sessions, in session-list order.
func (s *Server) Sessions() []Session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Session, len(s.list))
	for i, e := range s.list {
		out[i] = s.session(e)
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
	// NextID is the server's high-water mark when the snapshot was taken. Restore never lowers
	// the server's own: IDs handed out after the snapshot stay spent.
	NextID SessionID
}

// Snapshot copies the sessions and the time.
func (s *Server) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := Snapshot{Sessions: make([]Session, len(s.list)), Now: s.clock.Now(), NextID: s.nextID}
	for i, e := range s.list {
		snap.Sessions[i] = s.session(e)
	}
	return snap
}

// Restore puts the sessions of a snapshot back, with their IDs, and its time when the clock is
// a *ManualClock. A snapshot that no server could hold (a bad session, a repeated ID) is
// refused whole: the server keeps its state.
//
// IDs are never handed out again, Restore or not: sessions connected after Restore get IDs
// above every ID the server has handed out so far, so an ID a test kept from a session that
// the restore removed gets ErrNoSession from Disconnect and friends, never someone else's
// session.
func (s *Server) Restore(snap Snapshot) error {
	list := make([]*entry, 0, len(snap.Sessions))
	byID := make(map[SessionID]*entry, len(snap.Sessions))
	var locs []*time.Location
	next := snap.NextID
	for i, sess := range snap.Sessions {
		if err := sess.validate(snap.Now); err != nil {
			return fmt.Errorf("fake: restore: session %d of %d: %w", i+1, len(snap.Sessions), err)
		}
		if sess.ID == 0 || byID[sess.ID] != nil {
			return fmt.Errorf("fake: restore: session %d of %d: %w: id %d is zero or repeated", i+1, len(snap.Sessions), ErrInvalidSession, sess.ID)
		}
		e := s.newEntry(&sess, &locs)
		list = append(list, e)
		byID[sess.ID] = e
		next = max(next, sess.ID+1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if mc, ok := s.clock.(*ManualClock); ok {
		mc.Set(snap.Now)
	}
	s.list, s.byID, s.locs = list, byID, locs
	s.nextID = max(s.nextID, next)
	return nil
}

// Reset ends every session and forgets faults and recorded calls. The clock, the profile and
// the BeforeCall hook stay as they are; session IDs are not reused.
func (s *Server) Reset() {
	s.mu.Lock()
	s.list, s.byID, s.locs = nil, map[SessionID]*entry{}, nil
	s.mu.Unlock()
	s.callMu.Lock()
	s.faults, s.calls = nil, callLog{}
	s.callMu.Unlock()
}

// InjectFault arms a fault. It counts only calls made after it is armed. A fault that cannot
// work is refused with an error wrapping [ErrInvalidFault]: among them a latency on the fake
// clock (RealTime false) on a server whose clock is not a *ManualClock, which could only
// become a real sleep of the whole latency.
func (s *Server) InjectFault(f Fault) (FaultID, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	if f.Latency > 0 && !f.RealTime {
		if _, ok := s.clock.(*ManualClock); !ok {
			return 0, fmt.Errorf("%w: a latency of %v on the fake clock needs a *fake.ManualClock, and this server's clock is a %T: set RealTime for a real delay", ErrInvalidFault, f.Latency, s.clock)
		}
	}
	s.callMu.Lock()
	defer s.callMu.Unlock()
	s.nextFault++
	a := &armedFault{id: s.nextFault, fault: f}
	if f.probabilistic() {
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

// BeforeCall sets a hook that runs at the start of every call (once its context is found
// live), before anything else is checked or answered, with the call as it arrived (a copy: changing it changes nothing). No lock is held
// while it runs, so it may change the server: Connect, Disconnect, Activity, Advance, Restore,
// InjectFault. That is how a test makes sessions churn while a collector pages:
//
//	srv.BeforeCall(func(*fake.Call) { churn() })
//
// It must not call the server's clients (the call would run the hook again). Calls from many
// goroutines run the hook concurrently. nil removes the hook; a new hook replaces the old.
func (s *Server) BeforeCall(hook func(c *Call)) {
	if hook == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&hook)
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
	if strings.EqualFold(n, s.name) {
		return true
	}
	for _, name := range s.aliases {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// ErrNoRole is wrapped by the error every call from a [Caller] with the zero Role gets: the
// zero Role is no role at all (it would be denied everywhere), so it is refused loudly rather
// than answered ERROR_ACCESS_DENIED. The error carries no status and the call is not recorded.
var ErrNoRole = errors.New("the caller has no role")

// Notes a recorded call may carry (Call.Note).
const (
	// NoteClientSide: netapi32 refuses the call before any RPC; no server saw it.
	NoteClientSide = "refused client-side by netapi32 before any RPC (spec rules 51, 52, 75): no server saw the call"
	// NoteDelNoPrefix: NetSessionDel with a client name without `\\` matches nothing on Windows.
	NoteDelNoPrefix = "the client name has no leading `\\\\`: Windows matches no session by it (spec rule 59); add the `\\\\`"
)

// begin runs what every call does first, in this order: the context, the BeforeCall hook,
// the caller's role, the checks netapi32 makes client-side (clientSide), the server name,
// injected faults, and the caller's own session (Profile.ListCallerSession). A non-nil error
// ends the call with it; the call is recorded unless it carries no status.
func (s *Server) begin(ctx context.Context, c *Call, clientSide func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if h := s.hook.Load(); h != nil {
		cp := *c
		if cp.hasResumeIn {
			v := cp.resumeIn
			cp.ResumeIn = &v
		}
		(*h)(&cp)
	}
	c.At = s.clock.Now()
	if c.Caller.Role == 0 {
		return fmt.Errorf("fake: %s: %w (the zero fake.Role): set Caller.Role to one of %s", c.Op, ErrNoRole, roleList())
	}
	// What netapi32 refuses before any RPC never reaches a server: no fault fires for it.
	if clientSide != nil {
		if err := clientSide(); err != nil {
			c.Note = NoteClientSide
			return err
		}
	}
	// A call to another host never reaches this server: it fires no fault here.
	if !s.answersTo(c.ServerName) {
		names := s.name
		if len(s.aliases) > 0 {
			names += " or " + strings.Join(s.aliases, " or ")
		}
		return fmt.Errorf("fake: servername %q is not this server, which answers to %s (with or without `\\\\`, or an empty servername; set fake.WithName): %w",
			c.ServerName, names, s.profile.UnknownServer)
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
	return s.ownSession(c.Caller)
}

// ownSession gives the caller the session a real server would hold for its connection, when
// the profile lists callers' sessions and the caller has none of its own (Caller.Session): made
// at its first call, stamped active at each call after, made again after a Del ended it.
func (s *Server) ownSession(c Caller) error {
	if !s.profile.ListCallerSession || c.Session != 0 {
		return nil
	}
	key := ownKey{client: c.ClientName, user: c.Name}
	if key.client == "" {
		key.client = DefaultCallerClient
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.own[key]; ok {
		if e := s.byID[id]; e != nil {
			s.touch(e)
			return nil
		}
	}
	sess := Session{ClientName: key.client, UserName: key.user}
	if c.Role == Guest {
		sess.Flags = sessionapi.SessGuest
	}
	id, err := s.connectLocked(sess)
	if err != nil {
		return fmt.Errorf("fake: the caller's own session (Profile.ListCallerSession): %w", err)
	}
	s.own[key] = id
	return nil
}

func (s *Server) record(c *Call, err error) {
	st, ok := sessionapi.StatusOf(err)
	if !ok {
		return // a done context, no role: nothing reached the server
	}
	c.Status = st
	s.callMu.Lock()
	c.Seq = s.calls.n + 1
	s.calls.add(c)
	s.callMu.Unlock()
}
