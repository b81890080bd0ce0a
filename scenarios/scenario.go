package scenarios

import (
	"errors"
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Scenario is a scenario made real: its fake servers hold the initial sessions and the faults
// are armed; [Scenario.Run] plays the timeline and the steps. A Scenario is not safe for
// concurrent use, and runs once.
type Scenario struct {
	spec    *Spec
	servers []*fake.Server
	fleet   *Fleet
	ids     map[string]sessionRef
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

// Start makes fresh servers for the scenario. A Spec can be started any number of times.
func (s *Spec) Start() (*Scenario, error) {
	named := 0
	for _, ss := range s.Servers {
		for _, d := range ss.Sessions {
			if d.ID != "" {
				named++
			}
		}
	}
	sc := &Scenario{spec: s, ids: make(map[string]sessionRef, named), handles: map[string]*uint32{}}
	for i, ss := range s.Servers {
		srv := fake.New(fake.WithName(ss.Name, ss.Aliases...), fake.WithProfile(ss.Profile),
			fake.WithClock(fake.NewManualClock(ss.Start)))
		snap := fake.Snapshot{Sessions: make([]fake.Session, len(ss.Sessions)), Now: ss.Start,
			NextID: fake.SessionID(len(ss.Sessions) + 1)}
		for j, d := range ss.Sessions {
			sess := d.Session
			sess.ID = fake.SessionID(j + 1)
			snap.Sessions[j] = sess
			if d.ID != "" {
				sc.ids[d.ID] = sessionRef{server: i, id: sess.ID}
			}
		}
		if err := srv.Restore(snap); err != nil {
			return nil, fmt.Errorf("scenarios: %s: server %s: %w", s.File, ss.Name, err)
		}
		for k, f := range ss.Faults {
			if _, err := srv.InjectFault(f); err != nil {
				return nil, fmt.Errorf("scenarios: %s: server %s: fault %d: %w", s.File, ss.Name, k+1, err)
			}
		}
		sc.servers = append(sc.servers, srv)
	}
	fleet, err := NewFleet(sc.servers...)
	if err != nil {
		return nil, err
	}
	sc.fleet = fleet
	return sc, nil
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
	r, ok := sc.ids[id]
	if !ok {
		return 0, nil, false
	}
	return r.id, sc.servers[r.server], true
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

// header makes the transcript's header: the servers as they start, with their sessions.
func (sc *Scenario) header() *transcript.Transcript {
	tr := &transcript.Transcript{Source: transcript.SourceReplay, Scenario: sc.spec.Name}
	for i, ss := range sc.spec.Servers {
		srv := sc.servers[i]
		ts := transcript.Server{Name: ss.Name, Profile: ss.Profile.Name, Time: ss.Start}
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
