package scenarios

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Scenario is a scenario made real: its fake servers hold the initial sessions and the faults
// are armed; [Scenario.Run] plays the timeline and the steps, or [Scenario.AdvanceTo] plays the
// timeline from the caller's own code. It runs once. Its methods may be called from several
// goroutines: Run, RunStream and AdvanceTo take turns, the others answer at any time (from a
// RunStream emitter too); its servers and fleet are safe for concurrent use throughout.
type Scenario struct {
	mu      sync.Mutex   // guards the timeline position, handles, ran: held by Run and AdvanceTo
	idsMu   sync.RWMutex // guards ids, which timeline connects add to
	at      time.Duration
	reached time.Duration // during a run: the furthest offset a clock has reached
	cursor  time.Duration // during a run: the furthest offset moved to (steps, events)
	index   map[*fake.Server]int
	spec    *Spec
	servers []*fake.Server
	fleet   *Fleet
	ids     map[string]sessionRef
	gens    map[string]genRef
	down    []fake.FaultID     // per server: the fault that makes it unreachable while it is away
	handles map[string]*uint32 // each caller's resume handle
	next    int                // the next timeline event
	ran     bool
}

type sessionRef struct {
	server int
	id     fake.SessionID
}

// Load makes the built-in scenario name ready: its first (often only) server and the
// scenario to run.
//
//	srv, sc, err := scenarios.Load("guest-sessions")
func Load(name string) (*fake.Server, *Scenario, error) {
	spec, err := Builtin(name)
	if err != nil {
		return nil, nil, err
	}
	return start(spec)
}

// LoadFile makes the scenario in a file ready, as [Load] does for a built-in.
func LoadFile(path string) (*fake.Server, *Scenario, error) {
	spec, err := ParseFile(path)
	if err != nil {
		return nil, nil, err
	}
	return start(spec)
}

func start(spec *Spec) (*fake.Server, *Scenario, error) {
	sc, err := spec.Start()
	if err != nil {
		return nil, nil, err
	}
	return sc.Server(), sc, nil
}

// Start makes fresh servers for the scenario. A Spec can be started any number of times, and
// edited in between: change a built-in's profile with spec, _ := Builtin(name);
// spec.Servers[0].Profile.NewSessionsFirst = true; sc, _ := spec.Start().
//
// Generated sessions are made here, one at a time, straight into the servers, their repeated
// strings shared; the Spec never holds them.
func (s *Spec) Start() (*Scenario, error) {
	named := 0
	for _, ss := range s.Servers {
		for _, d := range ss.Sessions {
			if d.ID != "" && d.gen == nil {
				named++
			}
		}
	}
	sc := &Scenario{spec: s, ids: make(map[string]sessionRef, named), gens: map[string]genRef{},
		handles: map[string]*uint32{}, down: make([]fake.FaultID, len(s.Servers))}
	in := newInterner()
	for i := range s.Servers {
		srv, err := sc.startServer(i, &s.Servers[i], in)
		if err != nil {
			return nil, err
		}
		sc.servers = append(sc.servers, srv)
	}
	fleet, err := NewFleet(sc.servers...)
	if err != nil {
		return nil, err
	}
	sc.fleet = fleet
	sc.index = make(map[*fake.Server]int, len(sc.servers))
	for i, srv := range sc.servers {
		sc.index[srv] = i
	}
	return sc, nil
}

// genRef is where a generator's sessions are: session k has the fake ID first+k-1.
type genRef struct {
	server int
	first  fake.SessionID
	count  int
}

func (sc *Scenario) startServer(i int, ss *ServerSpec, in *interner) (*fake.Server, error) {
	srv := fake.New(fake.WithName(ss.Name, ss.Aliases...), fake.WithProfile(ss.Profile),
		fake.WithClock(fake.NewManualClock(ss.Start)))
	fail := func(err error) (*fake.Server, error) {
		return nil, fmt.Errorf("scenarios: %s: server %s: %w", sc.spec.File, ss.Name, err)
	}
	// Sessions go in by Connect, in list order (IDs 1, 2, …), which keeps nothing but the
	// server's own entries. A server that puts new sessions first is filled by Restore from
	// a snapshot instead: Connect would insert at the front each time.
	var snap *fake.Snapshot
	if ss.Profile.NewSessionsFirst {
		snap = &fake.Snapshot{Sessions: make([]fake.Session, 0, ss.SessionCount()), Now: ss.Start}
	}
	next := fake.SessionID(1)
	add := func(d *SessionDef) error {
		sess := d.Session
		if snap != nil {
			sess.ID = next
			snap.Sessions = append(snap.Sessions, sess)
		} else if _, err := srv.Connect(sess); err != nil {
			return fmt.Errorf("session %d (line %d): %w", next, d.Line, err)
		}
		next++
		return nil
	}
	for j := range ss.Sessions {
		d := &ss.Sessions[j]
		if d.gen == nil {
			if d.ID != "" {
				sc.ids[d.ID] = sessionRef{server: i, id: next}
			}
			if err := add(d); err != nil {
				return fail(err)
			}
			continue
		}
		if d.gen.id != "" {
			sc.gens[d.gen.id] = genRef{server: i, first: next, count: d.gen.count}
		}
		x := d.gen.expander(in)
		x.noIDs = true
		var g SessionDef
		for k := 1; k <= d.gen.count; k++ {
			x.next(k, ss.Start, false, &g)
			if err := add(&g); err != nil {
				return fail(err)
			}
		}
	}
	if snap != nil {
		snap.NextID = next
		if err := srv.Restore(*snap); err != nil {
			return fail(err)
		}
	}
	for k, f := range ss.Faults {
		if _, err := srv.InjectFault(f); err != nil {
			return nil, fmt.Errorf("scenarios: %s: server %s: fault %d: %w", sc.spec.File, ss.Name, k+1, err)
		}
	}
	if ss.Absent {
		if err := sc.setDown(i, srv, true); err != nil {
			return fail(err)
		}
	}
	return srv, nil
}

// lookup finds a session by the scenario's id: a listed or connected one, or P-k of a
// generator P.
func (sc *Scenario) lookup(id string) (sessionRef, bool) {
	if r, ok := sc.ids[id]; ok {
		return r, true
	}
	if pre, k, ok := splitGenID(id); ok {
		if g, ok := sc.gens[pre]; ok && k <= g.count {
			return sessionRef{server: g.server, id: g.first + fake.SessionID(k-1)}, true
		}
	}
	return sessionRef{}, false
}

// Spec returns the scenario's definition.
func (sc *Scenario) Spec() *Spec { return sc.spec }

// Server returns the first server (the only one unless the scenario is a fleet).
func (sc *Scenario) Server() *fake.Server { return sc.servers[0] }

// Servers returns every server of the scenario.
func (sc *Scenario) Servers() []*fake.Server { return append([]*fake.Server(nil), sc.servers...) }

// Fleet returns the servers as a fleet that routes calls by servername.
func (sc *Scenario) Fleet() *Fleet { return sc.fleet }

// Client returns a sessionapi.SessionAPI calling the scenario's servers as one of its callers
// (or as a role, by the role's name), routed by servername like the steps.
func (sc *Scenario) Client(caller string) (sessionapi.SessionAPI, error) {
	for _, c := range sc.spec.Callers {
		if c.Name == caller {
			return sc.fleet.As(fake.Caller{Role: c.Role, Name: c.Name}), nil
		}
	}
	r, err := fake.ParseRole(caller)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %s has no caller %q and it is not a role: %w", sc.spec.Name, caller, err)
	}
	return sc.fleet.As(fake.Caller{Role: r, Name: caller}), nil
}

// SessionID returns the fake's ID of the session the scenario calls id, and its server.
func (sc *Scenario) SessionID(id string) (fake.SessionID, *fake.Server, bool) {
	sc.idsMu.RLock()
	defer sc.idsMu.RUnlock()
	r, ok := sc.lookup(id)
	if !ok {
		return 0, nil, false
	}
	return r.id, sc.servers[r.server], true
}

// Elapsed is how far the scenario's clock has gone from its start: the furthest any server's
// clock has moved (a latency fault moves one server's clock on its own).
func (sc *Scenario) Elapsed() time.Duration {
	return sc.elapsed() // the servers' clocks are safe to read at any time
}

// ErrTimeGoesForward is wrapped by AdvanceTo's error for an offset before one already reached.
var ErrTimeGoesForward = errors.New("scenarios: time does not run back")

// AdvanceTo drives the scenario's timeline from the caller's own code: it applies, in order,
// every timeline event due at or before offset (each at its own time, as Run does) and moves
// every server's clock to its start plus offset (a clock already later stays). An offset
// before one reached by an earlier AdvanceTo is refused with an error wrapping
// [ErrTimeGoesForward]. It does not run the steps; the events are not recorded anywhere but
// in the servers' state. A served scenario (`sessionsim serve`) is driven this way.
func (sc *Scenario) AdvanceTo(offset time.Duration) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if offset < sc.at {
		return fmt.Errorf("%w: AdvanceTo(%v) after AdvanceTo(%v)", ErrTimeGoesForward, offset, sc.at)
	}
	sc.at = offset
	return sc.playUntil(offset, nil, true)
}

// elapsed is how far the scenario's clock has gone: the furthest any server's clock moved
// from its start (a latency fault moves one server's clock).
func (sc *Scenario) elapsed() time.Duration {
	var d time.Duration
	for i, srv := range sc.servers {
		d = max(d, srv.Now().Sub(sc.spec.Servers[i].Start))
	}
	return d
}

// Clocks move lazily during a run: an event moves the first server's clock (the transcript's
// time) and the clock of the server it happens on, a step the clock of the server it calls;
// the others catch up at the end (or at every AdvanceTo, whose callers may call any server).
// Moving ten thousand clocks for every event would make a fleet's churn cost events ×
// servers. A clock only ever moves forward, so catching up later is the same as moving along.

// moveServer sets server i's clock to its start plus at, unless it is already later.
func (sc *Scenario) moveServer(i int, at time.Duration) error {
	srv := sc.servers[i]
	if d := sc.spec.Servers[i].Start.Add(at).Sub(srv.Now()); d > 0 {
		return srv.Advance(d)
	}
	return nil
}

// touch notes how far server i's clock has gone (a latency fault moves it on by itself).
func (sc *Scenario) touch(i int) {
	sc.reached = max(sc.reached, sc.servers[i].Now().Sub(sc.spec.Servers[i].Start))
}

// targetIndex is the server a servername reaches, or -1.
func (sc *Scenario) targetIndex(servername string) int {
	if len(sc.servers) == 1 {
		return 0
	}
	srv, ok := sc.fleet.Lookup(servername)
	if !ok {
		return -1
	}
	return sc.index[srv]
}

// moveTo sets every server's clock to its start plus at, unless it is already later.
func (sc *Scenario) moveTo(at time.Duration) error {
	for i, srv := range sc.servers {
		if d := sc.spec.Servers[i].Start.Add(at).Sub(srv.Now()); d > 0 {
			if err := srv.Advance(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrAlreadyRan is returned by a second Run: the servers are no longer in their initial state.
var ErrAlreadyRan = errors.New("scenarios: the scenario already ran; start it again (Spec.Start or Load)")

// MaxHeaderSessions is the most sessions a transcript header lists ([Scenario.Header]).
const MaxHeaderSessions = 100_000

// Header returns a transcript's header for the scenario, with no calls: the servers with the
// sessions they hold now (call it before Run, RunStream or AdvanceTo for the starting state),
// and the callers. It is what [Scenario.Run]'s transcript starts with, and what a streamed
// transcript writes before the calls of [Scenario.RunStream]. It holds an entry per session:
// about 90 bytes each, besides the names the servers already hold.
//
// A scenario with more than [MaxHeaderSessions] sessions in all gets a header that lists its
// servers without their sessions (Comment says so): a fleet's header would otherwise hold a
// copy of every session and print a line for each.
func (sc *Scenario) Header() *transcript.Transcript {
	tr := &transcript.Transcript{Source: transcript.SourceReplay, Scenario: sc.spec.Name}
	total := 0
	for _, srv := range sc.servers {
		total += srv.Len()
	}
	list := total <= MaxHeaderSessions
	if !list {
		tr.Comment = fmt.Sprintf("%d servers holding %d sessions, too many to list here (a header lists at most %d)",
			len(sc.servers), total, MaxHeaderSessions)
	}
	for i, ss := range sc.spec.Servers {
		srv := sc.servers[i]
		ts := transcript.Server{Name: ss.Name, Profile: ss.Profile.Name, Time: ss.Start}
		if !list {
			tr.Servers = append(tr.Servers, ts)
			continue
		}
		now := srv.Now()
		for _, sess := range srv.Sessions() {
			e := transcript.FullEntry(sessionapi.SessionInfo502{
				ClientName: sess.ClientName, UserName: sess.UserName, NumOpens: sess.OpenFiles,
				Time: secondsBetween(sess.Created, now), IdleTime: secondsBetween(sess.LastActivity, now),
				UserFlags: sess.Flags, ClientType: sess.ClientType, Transport: sess.Transport,
			})
			// Absent means empty here: keep the header short.
			if sess.ClientType == "" {
				e.Fields &^= sessionapi.FieldClientType
			}
			if sess.Transport == "" {
				e.Fields &^= sessionapi.FieldTransport
			}
			ts.Sessions = append(ts.Sessions, e)
		}
		tr.Servers = append(tr.Servers, ts)
	}
	for _, c := range sc.spec.Callers {
		tr.Callers = append(tr.Callers, transcript.Caller{Name: c.Name, Role: c.Role.String()})
	}
	return tr
}

func secondsBetween(a, b time.Time) uint32 {
	d := b.Sub(a)
	if d <= 0 {
		return 0
	}
	return uint32(min(int64(d/time.Second), 0xFFFFFFFF))
}
