package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// FakeTransport is the sesi502_transport of the fake harness's seeded sessions: the device
// name of direct-hosted SMB. Which string Windows reports is not in any source read (spec
// §12 Q9); it is here so that level 502 entries carry one.
const FakeTransport = `\Device\NetbiosSmb`

// SeedAge is how far the fake harness moves its server's clock after seeding.
const SeedAge = 90 * time.Second

// FakeHarness returns a NewHarness whose every harness is a fresh fake server with profile p
// (and opts): the harness the fake's own conformance test runs, and the smallest example of
// how a harness is written.
//
// Client n is the computer "WS" and n in two digits ("WS01"); a seeded session logs on as its
// SeedUser, the guest one flagged SESS_GUEST, opens its files one by one, and the server's
// clock then moves on by SeedAge. API(role) is the server's client for that role, which on a
// fake holds no session of its own, unless the profile lists callers' sessions
// (fake.Profile.ListCallerSession, as Windows does, spec W1): then API calls as
// CallerName(role) from fake.DefaultCallerClient and makes one call at once, so that the
// caller's session exists before the suite observes the server, and Sessions reports it
// (Seeded false).
func FakeHarness(p fake.Profile, opts ...fake.Option) NewHarness {
	return func(context.Context) (Harness, error) {
		opts := append([]fake.Option{fake.WithProfile(p)}, opts...)
		return &fakeHarness{srv: fake.New(opts...), clientName: FakeClientName}, nil
	}
}

type fakeHarness struct {
	srv        *fake.Server
	clientName func(int) string

	mu     sync.Mutex
	seeded map[fake.SessionID]bool
}

// Server returns the fake behind the harness, for tests that want to look inside.
func (h *fakeHarness) Server() *fake.Server { return h.srv }

func (h *fakeHarness) Profile() fake.Profile { return h.srv.Profile() }

func (h *fakeHarness) API(ctx context.Context, role fake.Role) (sessionapi.SessionAPI, error) {
	if !h.srv.Profile().ListCallerSession {
		return h.srv.As(role), nil
	}
	api := h.srv.AsCaller(fake.Caller{Role: role, Name: CallerName(role)})
	// The fake connects the caller's session at its first call that reaches the server; any
	// answer will do (a denied call reached it too).
	if _, err := api.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, 0, nil); err != nil {
		if _, ok := sessionapi.StatusOf(err); !ok {
			return nil, fmt.Errorf("connecting the session of %v: %w", role, err)
		}
	}
	return api, nil
}

// CallerName is the account the fake harness calls as for role when the profile lists callers'
// sessions: "sim-" and the role ("sim-administrator"), and no name for the anonymous caller.
func CallerName(role fake.Role) string {
	if role == fake.Anonymous {
		return ""
	}
	return "sim-" + role.String()
}

// FakeClientName is the client computer name the fake harness gives seed client n.
func FakeClientName(n int) string { return fmt.Sprintf("WS%02d", n) }

func (h *fakeHarness) Seed(ctx context.Context, sessions []SeedSession) ([]Observed, error) {
	out := make([]Observed, 0, len(sessions))
	for i, s := range sessions {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if s.Client < 1 {
			return out, fmt.Errorf("seed %d: client %d; want 1 or more", i, s.Client)
		}
		if s.OpenFiles < 0 {
			return out, fmt.Errorf("seed %d: %d open files; want 0 or more", i, s.OpenFiles)
		}
		sess := fake.Session{ClientName: h.clientName(s.Client), UserName: string(s.User), Transport: FakeTransport}
		if s.User == GuestUser {
			sess.Flags = sessionapi.SessGuest
		}
		id, err := h.srv.Connect(sess)
		if err != nil {
			return out, fmt.Errorf("seed %d: %w", i, err)
		}
		// Open the files one by one, as a client would: each open is activity.
		for range s.OpenFiles {
			if err := h.srv.OpenFile(id); err != nil {
				return out, fmt.Errorf("seed %d: %w", i, err)
			}
		}
		h.mu.Lock()
		if h.seeded == nil {
			h.seeded = map[fake.SessionID]bool{}
		}
		h.seeded[id] = true
		h.mu.Unlock()
		got, _ := h.srv.Session(id)
		out = append(out, h.observe(got))
	}
	// Let the sessions age, so that time and idle time are not all zero: a server's clock
	// moves between a client's logon and the next enumeration.
	if err := h.srv.Advance(SeedAge); err != nil && !errors.Is(err, fake.ErrNotManualClock) {
		return out, err
	}
	return out, nil
}

// observe is a session as the server reports it: the guest account's name where the profile
// renames guests (Samba's "nobody", S4).
func (h *fakeHarness) observe(s fake.Session) Observed {
	p := h.srv.Profile()
	o := Observed{ClientName: s.ClientName, UserName: s.UserName, OpenFiles: int(s.OpenFiles), Guest: s.Guest(),
		ClientType: s.ClientType, Transport: s.Transport}
	if o.Guest && p.GuestUserName != "" {
		o.UserName = p.GuestUserName
	}
	h.mu.Lock()
	o.Seeded = h.seeded[s.ID]
	h.mu.Unlock()
	return o
}

func (h *fakeHarness) Sessions(ctx context.Context) ([]Observed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := h.srv.Sessions()
	out := make([]Observed, len(all))
	for i, s := range all {
		out[i] = h.observe(s)
	}
	return out, nil
}

func (h *fakeHarness) Close(context.Context) error {
	h.srv.Reset()
	return nil
}
