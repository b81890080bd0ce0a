package windowstest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/internal/winipc"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// Via is the implementation under test.
type Via int

const (
	// Netapi calls netapi32.dll of this process (package netapi): Windows only.
	Netapi Via = iota + 1
	// Srvsvc speaks MS-SRVS over SMB2 to this machine's SMB server (package srvsvc).
	Srvsvc
)

func (v Via) String() string {
	switch v {
	case Netapi:
		return "netapi"
	case Srvsvc:
		return "srvsvc"
	}
	return fmt.Sprintf("Via(%d)", int(v))
}

// Load reads the env file setup.ps1 wrote and returns the harness maker.
func Load(envFile string, via Via) (conformance.NewHarness, error) {
	env, err := sambaenv.Windows.Load(envFile)
	if err != nil {
		return nil, err
	}
	return newHarness(env, via, GetSmbSessions), nil
}

// ForTest returns the harness maker for the machine named by SESSIONSIM_WINDOWS_ENV; without
// it, or when its SMB server does not answer, the test is skipped, or fails when CI=true.
func ForTest(t testing.TB, via Via) conformance.NewHarness {
	t.Helper()
	env := sambaenv.Windows.ForTest(t)
	if env == nil {
		return nil
	}
	return newHarness(env, via, GetSmbSessions)
}

// RoleServer is the name of this machine that the Netapi harness gives role r: the loopback
// address 127.0.0.(10+r), so 127.0.0.11 for the administrator and 127.0.0.14 for a user. Each
// is a separate server to the Windows SMB client, so each can hold its own account's IPC$
// connection.
func RoleServer(r fake.Role) string { return fmt.Sprintf("127.0.0.%d", 10+int(r)) }

// Account is the account the harness logs on with as role r ("" for anonymous), or an error
// wrapping conformance.ErrUnsupported for a role this machine cannot provide.
func Account(env *sambaenv.Env, r fake.Role) (string, error) {
	switch r {
	case fake.Administrator:
		return env.Admin, nil
	case fake.User:
		return env.Plain, nil
	case fake.Anonymous:
		return "", nil
	case fake.ServerOperator:
		if env.SrvOp != "" {
			return env.SrvOp, nil
		}
		return "", fmt.Errorf("the env file names no Server Operators account (SESSIONSIM_WINDOWS_SRVOP; the group exists only on domain controllers): %w", conformance.ErrUnsupported)
	case fake.DomainAdmin:
		return "", fmt.Errorf("a workgroup machine has no Domain Admins: %w", conformance.ErrUnsupported)
	case fake.Guest:
		return "", fmt.Errorf("the Guest account is disabled, as Windows ships it: %w", conformance.ErrUnsupported)
	}
	return "", fmt.Errorf("role %v: %w", r, conformance.ErrUnsupported)
}

// blocks hands each harness its own third octet for its source addresses, so that a harness
// never takes a session the previous one left behind for one of its own.
var blocks atomic.Uint32

// seedAddr and srvsvcRoleAddr are the source addresses of seeds and of Srvsvc callers.
func seedAddr(block, client int) string            { return fmt.Sprintf("127.77.%d.%d", block, client) }
func srvsvcRoleAddr(block int, r fake.Role) string { return fmt.Sprintf("127.78.%d.%d", block, int(r)) }

func newHarness(env *sambaenv.Env, via Via, list func(context.Context) ([]SmbSession, error)) conformance.NewHarness {
	return func(ctx context.Context) (conformance.Harness, error) {
		if _, err := powershell(); err != nil {
			return nil, err
		}
		b := blocks.Add(1)%250 + 1
		return &harness{env: env, via: via, block: int(b), list: list, apis: map[fake.Role]roleAPI{}}, nil
	}
}

// roleAPI is a caller of one role, with what it holds open.
type roleAPI interface {
	sessionapi.SessionAPI
	Close() error
}

type harness struct {
	env   *sambaenv.Env
	via   Via
	block int
	list  func(context.Context) ([]SmbSession, error)

	mu    sync.Mutex
	apis  map[fake.Role]roleAPI
	seeds []*seed
}

type seed struct {
	obs  conformance.Observed
	sess *sambaenv.Session
}

func (h *harness) Profile() fake.Profile { return fake.Windows() }

func (h *harness) API(ctx context.Context, r fake.Role) (sessionapi.SessionAPI, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if a, ok := h.apis[r]; ok {
		return a, nil
	}
	user, err := Account(h.env, r)
	if err != nil {
		return nil, err
	}
	var a roleAPI
	switch h.via {
	case Netapi:
		a, err = h.netapiCaller(r, user)
	case Srvsvc:
		a, err = h.srvsvcCaller(ctx, r, user)
	default:
		return nil, fmt.Errorf("windowstest: %v: %w", h.via, conformance.ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	h.apis[r] = a
	return a, nil
}

// unsupportedAnonymous turns a failed null-session logon into a skip: whether a null session
// may connect at all is the machine's policy (RestrictAnonymous, RestrictNullSessAccess), not
// the behaviour under test.
func unsupportedAnonymous(r fake.Role, err error) error {
	if r == fake.Anonymous {
		return fmt.Errorf("this machine refuses a null session: %v: %w", err, conformance.ErrUnsupported)
	}
	return err
}

func (h *harness) netapiCaller(r fake.Role, user string) (roleAPI, error) {
	server := RoleServer(r)
	pw := ""
	if user != "" {
		var err error
		if pw, err = h.env.Password(user); err != nil {
			return nil, err
		}
	}
	cancel, err := winipc.Connect(server, user, pw)
	if err != nil {
		return nil, unsupportedAnonymous(r, fmt.Errorf("windowstest: connecting \\\\%s\\IPC$ as %v (%q): %w", server, r, user, err))
	}
	return &netapiAPI{api: &netapi.API{}, server: `\\` + server, cancel: cancel}, nil
}

func (h *harness) srvsvcCaller(ctx context.Context, r fake.Role, user string) (roleAPI, error) {
	a := srvsvc.NewRedialer(h.env.Config(user, srvsvcRoleAddr(h.block, r)))
	// Connect now: the caller's connection is a session the suite must see in Sessions.
	if err := a.Connect(ctx); err != nil {
		return nil, unsupportedAnonymous(r, fmt.Errorf("windowstest: logging on as %v (%q): %w", r, user, err))
	}
	return a, nil
}

func (h *harness) Seed(ctx context.Context, sessions []conformance.SeedSession) ([]conformance.Observed, error) {
	out := make([]conformance.Observed, 0, len(sessions))
	// Check the whole request first, so that a request this machine cannot serve opens nothing.
	for i, s := range sessions {
		if s.Client < 1 || s.Client > 254 {
			return out, fmt.Errorf("seed %d: client %d; want 1 to 254", i, s.Client)
		}
		if s.OpenFiles < 0 {
			return out, fmt.Errorf("seed %d: %d open files; want 0 or more", i, s.OpenFiles)
		}
		if s.User == conformance.GuestUser {
			return out, fmt.Errorf("seed %d: a guest session needs the Guest account, which is disabled: %w", i, conformance.ErrUnsupported)
		}
	}
	for i, s := range sessions {
		user, addr := string(s.User), seedAddr(h.block, s.Client)
		sess, err := h.env.OpenSession(ctx, user, addr, s.OpenFiles)
		if err != nil {
			return out, fmt.Errorf("seed %d (%s from %s): %w", i, s.User, addr, err)
		}
		o := conformance.Observed{ClientName: addr, UserName: user, OpenFiles: s.OpenFiles, Seeded: true}
		h.mu.Lock()
		h.seeds = append(h.seeds, &seed{obs: o, sess: sess})
		h.mu.Unlock()
		out = append(out, o)
	}
	return out, nil
}

// Sessions reads Get-SmbSession: every session the server holds, the callers' included.
func (h *harness) Sessions(ctx context.Context) ([]conformance.Observed, error) {
	all, err := h.list(ctx)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return markSeeded(all, h.seeds), nil
}

// markSeeded maps the server's sessions to observations, marking those a seed opened.
func markSeeded(all []SmbSession, seeds []*seed) []conformance.Observed {
	mine := map[string]bool{}
	for _, s := range seeds {
		mine[s.obs.ClientName+"\x00"+s.obs.UserName] = true
	}
	out := make([]conformance.Observed, 0, len(all))
	for _, s := range all {
		o := s.Observed()
		o.Seeded = mine[o.ClientName+"\x00"+o.UserName]
		out = append(out, o)
	}
	return out
}

// Close ends the seeded sessions and the callers' connections, then waits (bounded by ctx)
// until the server lists no session from the seeds' and the Srvsvc callers' addresses. The
// Netapi callers' sessions are the Windows SMB client's: it may keep them a while after the
// IPC$ connection is cancelled, and it picks their source address itself, so they are not
// waited for; they are the same account at the same name in the next harness.
func (h *harness) Close(ctx context.Context) error {
	h.mu.Lock()
	seeds, apis := h.seeds, h.apis
	h.seeds, h.apis = nil, map[fake.Role]roleAPI{}
	h.mu.Unlock()
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
	if h.via == Srvsvc {
		for r := range apis {
			addrs[srvsvcRoleAddr(h.block, r)] = true
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	for {
		all, err := h.list(ctx)
		if err != nil {
			return err
		}
		left := 0
		for _, s := range all {
			if addrs[s.Observed().ClientName] {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("windowstest: %d sessions of the harness still listed: %w", left, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// netapiAPI calls netapi32 with the role's own name for this machine as servername, so that
// the call goes over the IPC$ connection made with the role's account.
type netapiAPI struct {
	api    sessionapi.SessionAPI // a *netapi.API; a recorder in tests
	server string
	cancel func() error
}

func (a *netapiAPI) serverName(s string) string {
	if s == "" {
		return a.server
	}
	return s
}

func (a *netapiAPI) NetSessionEnum(ctx context.Context, serverName, client, user string, level sessionapi.Level,
	prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	return a.api.NetSessionEnum(ctx, a.serverName(serverName), client, user, level, prefMaxLen, resume)
}

func (a *netapiAPI) NetSessionGetInfo(ctx context.Context, serverName, client, user string, level sessionapi.Level) (sessionapi.Info, error) {
	return a.api.NetSessionGetInfo(ctx, a.serverName(serverName), client, user, level)
}

func (a *netapiAPI) NetSessionDel(ctx context.Context, serverName, client, user string) error {
	return a.api.NetSessionDel(ctx, a.serverName(serverName), client, user)
}

func (a *netapiAPI) Close() error { return a.cancel() }
