package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// closeTimeout bounds Harness.Close, which runs after the subtest's context is done.
const closeTimeout = time.Minute

// env is one subtest's world: its harness, the callers it got, the sessions it observed, the
// model of the expected answers and the reference fake for the differential check. It
// collects problems and reports them together when the subtest ends (like fstest.TestFS), so
// one run shows everything a server gets wrong.
type env struct {
	t   *testing.T
	ctx context.Context
	h   Harness
	p   fake.Profile
	m   *model

	apis   map[fake.Role]sessionapi.SessionAPI
	seeded []Observed
	ref    *fake.Server // nil until observe

	problems []string
	// after, when set, says what the checks being made follow ("after NetSessionDel(...)").
	after string
}

func newEnv(t *testing.T, newHarness NewHarness) *env {
	ctx := t.Context()
	h, err := newHarness(ctx)
	if err != nil {
		t.Fatalf("conformance: making the harness: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := h.Close(cctx); err != nil {
			t.Errorf("conformance: Harness.Close: %v", err)
		}
	})
	p := h.Profile()
	return &env{t: t, ctx: ctx, h: h, p: p, m: &model{p: p}, apis: map[fake.Role]sessionapi.SessionAPI{}}
}

// errorf records a problem; the subtest goes on.
func (e *env) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if e.after != "" {
		msg = "after " + e.after + ": " + msg
	}
	e.problems = append(e.problems, msg)
}

// fatalf records a problem and ends the subtest with everything found so far.
func (e *env) fatalf(format string, args ...any) {
	e.errorf(format, args...)
	e.flush()
	e.t.FailNow()
}

// flush reports the problems found so far as one error.
func (e *env) flush() {
	if len(e.problems) == 0 {
		return
	}
	e.t.Helper()
	e.t.Error(strings.Join(e.problems, "\n"))
	e.problems = nil
}

func (e *env) skipf(format string, args ...any) {
	e.t.Helper()
	e.flush()
	e.t.Skipf(format, args...)
}

// api returns the implementation under test acting as r; the subtest is skipped when the
// harness cannot act as r.
func (e *env) api(r fake.Role) sessionapi.SessionAPI {
	api, err := e.tryAPI(r)
	if err != nil {
		e.skipf("the harness cannot act as %v: %v", r, err)
	}
	return api
}

func (e *env) tryAPI(r fake.Role) (sessionapi.SessionAPI, error) {
	if api, ok := e.apis[r]; ok {
		return api, nil
	}
	if e.ref != nil {
		// A caller's connection is a session on a real server: it must exist before the
		// suite observes the sessions.
		e.fatalf("conformance: internal error: API(%v) asked for after Sessions", r)
	}
	api, err := e.h.API(e.ctx, r)
	switch {
	case errors.Is(err, ErrUnsupported):
		return nil, err
	case err != nil:
		e.fatalf("Harness.API(%v): %v", r, err)
	}
	e.apis[r] = api
	return api, nil
}

// callerWhere returns the first role (in fake.Roles order) that ok accepts and the harness
// can act as; the subtest is skipped when there is none.
func (e *env) callerWhere(what string, ok func(fake.Role) bool) (fake.Role, sessionapi.SessionAPI) {
	var reasons []string
	for _, r := range fake.Roles() {
		if !ok(r) {
			continue
		}
		api, err := e.tryAPI(r)
		if err == nil {
			return r, api
		}
		reasons = append(reasons, fmt.Sprintf("%v: %v", r, err))
	}
	if len(reasons) == 0 {
		e.skipf("profile %q allows no role %s", e.p.Name, what)
	}
	e.skipf("the harness can act as no role that %s: %s", what, strings.Join(reasons, "; "))
	return 0, nil
}

// enumCaller returns a caller the profile lets past the access check at level l (for a level
// the server does not implement: one that may enumerate at some level).
func (e *env) enumCaller(l sessionapi.Level) (fake.Role, sessionapi.SessionAPI) {
	return e.callerWhere(fmt.Sprintf("may enumerate at level %d", uint32(l)),
		func(r fake.Role) bool { return e.m.mayEnum(r, l) })
}

// delCaller returns a caller the profile lets delete sessions.
func (e *env) delCaller() (fake.Role, sessionapi.SessionAPI) {
	return e.callerWhere("may delete sessions", func(r fake.Role) bool { return e.p.DelAccess.Has(r) })
}

// listLevels is the order in which the suite picks the level for subtests about something
// other than levels: user names first (10, 1), then the rest.
var listLevels = []sessionapi.Level{sessionapi.Level10, sessionapi.Level1, sessionapi.Level502, sessionapi.Level2, sessionapi.Level0}

// lister returns a level the server implements and a caller that may enumerate at it.
func (e *env) lister() (sessionapi.Level, fake.Role, sessionapi.SessionAPI) {
	for _, l := range listLevels {
		if !e.m.implements(l) {
			continue
		}
		for _, r := range fake.Roles() {
			if !e.p.Access.For(l).Has(r) {
				continue
			}
			if api, err := e.tryAPI(r); err == nil {
				return l, r, api
			}
		}
	}
	e.skipf("the harness can act as no role that may enumerate at a level profile %q implements (%v)", e.p.Name, e.p.EnumLevels)
	return 0, 0, nil
}

// seed opens sessions; the subtest is skipped when the harness cannot.
func (e *env) seed(ss ...SeedSession) []Observed {
	obs, err := e.h.Seed(e.ctx, ss)
	switch {
	case errors.Is(err, ErrUnsupported):
		e.skipf("the harness cannot seed %v: %v", ss, err)
	case err != nil:
		e.fatalf("Harness.Seed: %v", err)
	case len(obs) != len(ss):
		e.fatalf("Harness.Seed(%d sessions) returned %d observations", len(ss), len(obs))
	}
	e.seeded = append(e.seeded, obs...)
	return obs
}

// sessions returns Harness.Sessions, failing the subtest on an error.
func (e *env) sessions() []Observed {
	obs, err := e.h.Sessions(e.ctx)
	if err != nil {
		e.fatalf("Harness.Sessions: %v", err)
	}
	return obs
}

// observe reads the server's sessions, checks the seeded ones are among them, and builds the
// model and the reference fake from them. Every API the subtest uses must be asked for first.
func (e *env) observe() {
	all := e.sessions()
	left := map[Observed]int{}
	for _, o := range all {
		left[o]++
	}
	for _, s := range e.seeded {
		if left[s] == 0 {
			e.errorf("harness: Seed reported %+v, but Sessions does not list it", s)
			continue
		}
		left[s]--
	}
	e.m.all = all
	ref, err := newReference(e.p, all)
	if err != nil {
		e.fatalf("reference fake: %v", err)
	}
	e.ref = ref
}

// newReference is a fake with the harness's profile holding the observed sessions: the
// differential check asks it the same questions.
func newReference(p fake.Profile, all []Observed) (*fake.Server, error) {
	// The callers' own sessions on the server under test are among the observed ones; the
	// reference's callers must not add sessions of their own.
	p.ListCallerSession = false
	srv := fake.New(fake.WithProfile(p))
	for _, o := range all {
		s := fake.Session{ClientName: o.ClientName, UserName: o.UserName,
			OpenFiles: uint32(min(max(int64(o.OpenFiles), 0), math.MaxUint32)), ClientType: o.ClientType, Transport: o.Transport}
		if o.Guest {
			s.Flags = sessionapi.SessGuest
		}
		if _, err := srv.Connect(s); err != nil {
			return nil, fmt.Errorf("cannot hold observed session %+v: %w", o, err)
		}
	}
	return srv, nil
}

// find returns the observations pred accepts, in order.
func find(obs []Observed, pred func(Observed) bool) []Observed {
	var out []Observed
	for _, o := range obs {
		if pred(o) {
			out = append(out, o)
		}
	}
	return out
}

// nameOf picks a name argument for a call from the observed seeds; the helpers below make the
// usual ones, so that subtest tables read as "client of seed 1, no user".
type nameOf func(*env, []Observed) string

// none passes no name (NULL).
func none(*env, []Observed) string { return "" }

// fixed passes s whatever was seeded.
func fixed(s string) nameOf { return func(*env, []Observed) string { return s } }

// clientOf passes seed i's client as a UNC name, `\\` and all.
func clientOf(i int) nameOf {
	return func(_ *env, obs []Observed) string { return `\\` + obs[i].ClientName }
}

// userOf passes seed i's user name.
func userOf(i int) nameOf {
	return func(_ *env, obs []Observed) string { return obs[i].UserName }
}
