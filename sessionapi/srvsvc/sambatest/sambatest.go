package sambatest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// GuestLogon is the account name seeded guest sessions and the Guest role log on with: a name
// the server does not know, which "map to guest = Bad User" turns into the guest account.
const GuestLogon = "ssim-unknown-guest"

// Load reads the env file start.sh wrote and returns the harness maker.
func Load(envFile string) (conformance.NewHarness, error) {
	env, err := sambaenv.Load(envFile)
	if err != nil {
		return nil, err
	}
	return newHarness(env), nil
}

// ForTest returns the harness maker for the Samba named by SESSIONSIM_SAMBA_ENV; without it,
// or when the server does not answer, the test is skipped, or fails when CI=true.
func ForTest(t testing.TB) conformance.NewHarness {
	t.Helper()
	env := sambaenv.ForTest(t)
	if env == nil {
		return nil
	}
	return newHarness(env)
}

// blocks hands each harness its own third octet, so that a harness never sees the previous
// one's sessions as its own.
var blocks atomic.Uint32

func newHarness(env *sambaenv.Env) conformance.NewHarness {
	return func(ctx context.Context) (conformance.Harness, error) {
		if _, err := exec.LookPath("smbstatus"); err != nil {
			return nil, fmt.Errorf("sambatest: smbstatus not found (package samba): %w", err)
		}
		b := blocks.Add(1)%250 + 1
		return &harness{env: env, block: int(b), apis: map[fake.Role]*srvsvc.Redialer{}}, nil
	}
}

type harness struct {
	env   *sambaenv.Env
	block int

	mu    sync.Mutex
	apis  map[fake.Role]*srvsvc.Redialer
	seeds []*seed
}

type seed struct {
	obs  conformance.Observed
	sess *sambaenv.Session
}

func (h *harness) Profile() fake.Profile { return fake.Samba() }

func (h *harness) seedAddr(client int) string { return fmt.Sprintf("127.77.%d.%d", h.block, client) }
func (h *harness) roleAddr(r fake.Role) string {
	return fmt.Sprintf("127.78.%d.%d", h.block, int(r))
}

func (h *harness) userOf(r fake.Role) (string, error) {
	switch r {
	case fake.Administrator:
		return h.env.Admin, nil
	case fake.DomainAdmin:
		return h.env.DelAdmin, nil
	case fake.User:
		return h.env.Plain, nil
	case fake.Guest:
		return GuestLogon, nil
	case fake.Anonymous:
		return "", nil
	case fake.ServerOperator:
		if h.env.SrvOp != "" {
			return h.env.SrvOp, nil
		}
		return "", fmt.Errorf("the env file names no Server Operators account (SESSIONSIM_SAMBA_SRVOP): %w", conformance.ErrUnsupported)
	}
	return "", fmt.Errorf("role %v: %w", r, conformance.ErrUnsupported)
}

func (h *harness) API(ctx context.Context, r fake.Role) (sessionapi.SessionAPI, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if a, ok := h.apis[r]; ok {
		return a, nil
	}
	user, err := h.userOf(r)
	if err != nil {
		return nil, err
	}
	a := srvsvc.NewRedialer(h.env.Config(user, h.roleAddr(r)))
	// Connect now: the caller's connection is a session the suite must see in Sessions.
	if err := a.Connect(ctx); err != nil {
		return nil, fmt.Errorf("sambatest: logging on as %v (%q): %w", r, user, err)
	}
	h.apis[r] = a
	return a, nil
}

func (h *harness) Seed(ctx context.Context, sessions []conformance.SeedSession) ([]conformance.Observed, error) {
	out := make([]conformance.Observed, 0, len(sessions))
	for i, s := range sessions {
		if s.Client < 1 || s.Client > 254 {
			return out, fmt.Errorf("seed %d: client %d; want 1 to 254", i, s.Client)
		}
		if s.OpenFiles < 0 {
			return out, fmt.Errorf("seed %d: %d open files; want 0 or more", i, s.OpenFiles)
		}
		logon := string(s.User)
		if s.User == conformance.GuestUser {
			logon = GuestLogon
		}
		addr := h.seedAddr(s.Client)
		sess, err := h.env.OpenSession(ctx, logon, addr, s.OpenFiles)
		if err != nil {
			return out, fmt.Errorf("seed %d (%s from %s): %w", i, s.User, addr, err)
		}
		o := conformance.Observed{ClientName: addr, UserName: logon, OpenFiles: s.OpenFiles, Seeded: true}
		if s.User == conformance.GuestUser {
			// Samba shows guest sessions under the guest account and flags them (S4, S6).
			o.UserName, o.Guest = fake.Samba().GuestUserName, true
		}
		h.mu.Lock()
		h.seeds = append(h.seeds, &seed{obs: o, sess: sess})
		h.mu.Unlock()
		out = append(out, o)
	}
	return out, nil
}

// Sessions reads smbstatus: every session smbd holds, with the open files of its process.
func (h *harness) Sessions(ctx context.Context) ([]conformance.Observed, error) {
	st, err := h.env.Status(ctx, true)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	mine := map[string]bool{}
	for _, s := range h.seeds {
		mine[s.obs.ClientName+"\x00"+s.obs.UserName] = true
	}
	out := make([]conformance.Observed, 0, len(st))
	for _, s := range st {
		o := conformance.Observed{ClientName: s.Client, UserName: s.User, OpenFiles: s.Opens,
			Guest: s.User == fake.Samba().GuestUserName}
		o.Seeded = mine[o.ClientName+"\x00"+o.UserName]
		out = append(out, o)
	}
	return out, nil
}

// Close ends the seeded sessions and the callers' connections, then waits (bounded by ctx)
// until smbd no longer lists any session from this harness's addresses, so the next subtest
// starts on a server without them.
func (h *harness) Close(ctx context.Context) error {
	h.mu.Lock()
	seeds, apis := h.seeds, h.apis
	h.seeds, h.apis = nil, map[fake.Role]*srvsvc.Redialer{}
	h.mu.Unlock()
	var errs []error
	for _, s := range seeds {
		_ = s.sess.Close(ctx) // the server may have ended it already (NetSessionDel)
	}
	for _, a := range apis {
		_ = a.Close()
	}
	addrs := map[string]bool{}
	for _, s := range seeds {
		addrs[s.obs.ClientName] = true
	}
	for r := range apis {
		addrs[h.roleAddr(r)] = true
	}
	for {
		st, err := h.env.Status(ctx, false)
		if err != nil {
			errs = append(errs, err)
			break
		}
		left := 0
		for _, s := range st {
			if addrs[s.Client] {
				left++
			}
		}
		if left == 0 {
			break
		}
		select {
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("sambatest: %d sessions of the harness still listed: %w", left, ctx.Err()))
			return errors.Join(errs...)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.Join(errs...)
}
