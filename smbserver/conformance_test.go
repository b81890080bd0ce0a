package smbserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
	"github.com/sessionsim/sessionsim/smbserver"
)

// harnessPassword is every wire harness account's password.
const harnessPassword = "conformance"

// wireHarness is the conformance harness over the wire (Go CDK style): a fresh fake per
// subtest served on 127.0.0.1:0, API(role) = srvsvc.Dial as that role's account. The callers'
// own sessions are real logons, reported with Seeded false; seeds go in through the fake's
// Connect, as conformance.FakeHarness does.
type wireHarness struct {
	srv  *fake.Server
	smb  *smbserver.Server
	port int

	mu      sync.Mutex
	seeded  map[fake.SessionID]bool
	clients map[fake.Role]*redialClient
}

func newWireHarness(p fake.Profile) conformance.NewHarness {
	return func(context.Context) (conformance.Harness, error) {
		f := fake.New(fake.WithProfile(p))
		var accounts []smbserver.Account
		for _, r := range fake.Roles() {
			if r != fake.Anonymous {
				accounts = append(accounts, smbserver.Account{Name: conformance.CallerName(r), Password: harnessPassword, Role: r})
			}
		}
		s := smbserver.New(f, smbserver.Config{Accounts: accounts, Logger: quietLogger()})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		go s.Serve(l)
		return &wireHarness{srv: f, smb: s, port: l.Addr().(*net.TCPAddr).Port,
			seeded: map[fake.SessionID]bool{}, clients: map[fake.Role]*redialClient{}}, nil
	}
}

func (h *wireHarness) Profile() fake.Profile { return h.srv.Profile() }

func (h *wireHarness) config(role fake.Role) srvsvc.Config {
	cfg := srvsvc.Config{Host: "127.0.0.1", Port: h.port}
	switch role {
	case fake.Anonymous:
	case fake.Guest:
		cfg.User, cfg.Password = conformance.CallerName(role), "any password"
	default:
		cfg.User, cfg.Password = conformance.CallerName(role), harnessPassword
	}
	return cfg
}

func (h *wireHarness) API(ctx context.Context, role fake.Role) (sessionapi.SessionAPI, error) {
	h.mu.Lock()
	c := h.clients[role]
	if c == nil {
		c = &redialClient{cfg: h.config(role)}
		h.clients[role] = c
	}
	h.mu.Unlock()
	// Log on and open the pipe now, so that the caller's session (with its open pipe) exists
	// before the suite observes the server. Any status will do: a denied call reached it.
	if _, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level0, 0, nil); err != nil {
		if _, ok := sessionapi.StatusOf(err); !ok {
			return nil, fmt.Errorf("logging on as %v: %w", role, err)
		}
	}
	return c, nil
}

func (h *wireHarness) Seed(ctx context.Context, sessions []conformance.SeedSession) ([]conformance.Observed, error) {
	out := make([]conformance.Observed, 0, len(sessions))
	for i, s := range sessions {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if s.Client < 1 || s.OpenFiles < 0 {
			return out, fmt.Errorf("seed %d: client %d, %d open files", i, s.Client, s.OpenFiles)
		}
		sess := fake.Session{ClientName: conformance.FakeClientName(s.Client), UserName: string(s.User), Transport: conformance.FakeTransport}
		if s.User == conformance.GuestUser {
			sess.Flags = sessionapi.SessGuest
		}
		id, err := h.srv.Connect(sess)
		if err != nil {
			return out, fmt.Errorf("seed %d: %w", i, err)
		}
		for range s.OpenFiles {
			if err := h.srv.OpenFile(id); err != nil {
				return out, fmt.Errorf("seed %d: %w", i, err)
			}
		}
		h.mu.Lock()
		h.seeded[id] = true
		h.mu.Unlock()
		got, _ := h.srv.Session(id)
		out = append(out, h.observe(got))
	}
	if err := h.srv.Advance(conformance.SeedAge); err != nil && !errors.Is(err, fake.ErrNotManualClock) {
		return out, err
	}
	return out, nil
}

func (h *wireHarness) observe(s fake.Session) conformance.Observed {
	p := h.srv.Profile()
	o := conformance.Observed{ClientName: s.ClientName, UserName: s.UserName, OpenFiles: int(s.OpenFiles),
		Guest: s.Guest(), ClientType: s.ClientType, Transport: s.Transport}
	if o.Guest && p.GuestUserName != "" {
		o.UserName = p.GuestUserName
	}
	h.mu.Lock()
	o.Seeded = h.seeded[s.ID]
	h.mu.Unlock()
	return o
}

func (h *wireHarness) Sessions(ctx context.Context) ([]conformance.Observed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := h.srv.Sessions()
	out := make([]conformance.Observed, len(all))
	for i, s := range all {
		out[i] = h.observe(s)
	}
	return out, nil
}

func (h *wireHarness) Close(ctx context.Context) error {
	h.mu.Lock()
	for _, c := range h.clients {
		c.close()
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := h.smb.Shutdown(ctx)
	h.srv.Reset()
	return err
}

// redialClient is a srvsvc client that logs on again after its connection broke (a
// NetSessionDel can end it); the failed call itself is not retried.
type redialClient struct {
	cfg srvsvc.Config
	mu  sync.Mutex
	c   *srvsvc.Client
}

func (r *redialClient) do(ctx context.Context, f func(*srvsvc.Client) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c == nil {
		c, err := srvsvc.Dial(ctx, r.cfg)
		if err != nil {
			return err
		}
		r.c = c
	}
	err := f(r.c)
	if _, ok := sessionapi.StatusOf(err); err != nil && !ok {
		r.c.Close()
		r.c = nil
	}
	return err
}

func (r *redialClient) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c != nil {
		r.c.Close()
		r.c = nil
	}
}

func (r *redialClient) NetSessionEnum(ctx context.Context, server, client, user string, level sessionapi.Level, pref uint32, resume *uint32) (res sessionapi.EnumResult, err error) {
	err = r.do(ctx, func(c *srvsvc.Client) error {
		res, err = c.NetSessionEnum(ctx, server, client, user, level, pref, resume)
		return err
	})
	return res, err
}

func (r *redialClient) NetSessionGetInfo(ctx context.Context, server, client, user string, level sessionapi.Level) (info sessionapi.Info, err error) {
	err = r.do(ctx, func(c *srvsvc.Client) error {
		info, err = c.NetSessionGetInfo(ctx, server, client, user, level)
		return err
	})
	return info, err
}

func (r *redialClient) NetSessionDel(ctx context.Context, server, client, user string) error {
	return r.do(ctx, func(c *srvsvc.Client) error { return c.NetSessionDel(ctx, server, client, user) })
}

// TestConformanceOverTheWire runs the conformance suite through the served fake of each
// built-in profile with our srvsvc client, and holds it to what the in-process fake passes.
func TestConformanceOverTheWire(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, name := range fake.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			p, err := fake.ProfileByName(name)
			if err != nil {
				t.Fatal(err)
			}
			var inProcess conformance.Summary
			t.Run("in-process", func(t *testing.T) { inProcess = conformance.Run(t, conformance.FakeHarness(p)) })
			var wire conformance.Summary
			t.Run("wire", func(t *testing.T) { wire = conformance.Run(t, newWireHarness(p)) })
			for _, st := range inProcess.Passed {
				assert.Contains(t, wire.Passed, st, "profile %s: subtest %s passes in-process but not over the wire", name, st)
			}
			assert.Empty(t, wire.Failed, "subtests failed over the wire under profile %s", name)
			t.Logf("profile %s: in-process %s; over the wire %s", name, inProcess, wire)
		})
	}
}
