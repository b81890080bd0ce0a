package smbserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/spnego"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("smbserver: server closed")

// Account is a user who may log on, and the role the fake gives its calls.
type Account struct {
	Name     string
	Password string
	Role     fake.Role
}

// GuestMapping says what a logon with an unknown user name becomes.
type GuestMapping int

const (
	// MapBadUserToGuest (the default) logs an unknown user on as a guest, as Samba's
	// "map to guest = bad user" does. A wrong password of a known user still fails.
	MapBadUserToGuest GuestMapping = iota
	// MapNever refuses unknown users with STATUS_LOGON_FAILURE. The user "guest" is still a
	// guest logon with any password.
	MapNever
)

// Config configures a Server. The zero Config serves a fake with no accounts: anonymous and
// guest logons only.
type Config struct {
	// Accounts may log on with NTLMv2; names match case-insensitively. An account with role
	// fake.Guest logs on as the guest account (any password).
	Accounts []Account
	// MapToGuest says what an unknown user becomes (default: a guest).
	MapToGuest GuestMapping
	// Limits bound what clients can make the server hold (zero fields: the defaults).
	Limits Limits
	// Logger receives connection-level events at debug level and failures at warn level
	// (nil: slog.Default()).
	Logger *slog.Logger
	// NetBIOSName and DomainName are what NTLMSSP's CHALLENGE names the server as (defaults:
	// the fake's name, upper case, and the same name as domain).
	NetBIOSName, DomainName string
	// Rand is the source of challenges and GUIDs (nil: crypto/rand). Tests fix it.
	Rand io.Reader
}

// acceptor is one SESSION_SETUP exchange (internal/spnego's Acceptor); tests substitute it.
type acceptor interface {
	Step(in []byte) (out []byte, done bool, res *ntlmssp.Result, err error)
}

type account struct {
	Account
	hash []byte
}

// Server serves one fake server over SMB2 on any number of listeners.
type Server struct {
	srv    *fake.Server
	cfg    Config
	lim    Limits
	log    *slog.Logger
	guid   [16]byte
	start  time.Time
	byName map[string]account

	newAcceptor  func() acceptor
	initialToken []byte

	nextSession atomic.Uint64
	inShutdown  atomic.Bool
	rpcBudget   *dcerpc.Budget // bytes all pipes hold (Limits.MaxRPCPendingPerServer)

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
	done      chan struct{}   // closed when the server closes
	ctx       context.Context // the calls' context: cancelled by Close
	cancel    context.CancelFunc
}

// New makes a server for srv. It does not listen until Serve.
func New(srv *fake.Server, cfg Config) *Server {
	s := &Server{srv: srv, cfg: cfg, lim: cfg.Limits.withDefaults(), log: cfg.Logger,
		start: time.Now(), byName: map[string]account{},
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.rpcBudget = dcerpc.NewBudget(s.lim.MaxRPCPendingPerServer, nil)
	if s.log == nil {
		s.log = slog.Default()
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	s.cfg.Rand = r
	_, _ = io.ReadFull(r, s.guid[:])
	s.nextSession.Store(uint64(0x0000040000000001)) // looks like Windows' session ids, never 0
	for _, a := range cfg.Accounts {
		s.byName[strings.ToLower(a.Name)] = account{Account: a, hash: ntlmssp.NTHash(a.Password)}
	}
	if s.cfg.NetBIOSName == "" {
		s.cfg.NetBIOSName = strings.ToUpper(srv.Name())
	}
	if s.cfg.DomainName == "" {
		s.cfg.DomainName = s.cfg.NetBIOSName
	}
	ncfg := ntlmssp.Config{
		NetBIOSName: s.cfg.NetBIOSName, DomainName: s.cfg.DomainName, Lookup: s.lookup,
		// Unknown users always reach us as guests; resolveRole refuses them under MapNever
		// unless the name is "guest".
		GuestUnknownUsers: true, Rand: r, Now: time.Now,
	}
	s.newAcceptor = func() acceptor { return spnego.NewAcceptor(ncfg) }
	s.initialToken = spnego.InitialToken()
	return s
}

// lookup is the NTLMSSP account lookup: guest-role accounts are not looked up, so that they
// log on as guests with any password.
func (s *Server) lookup(user, _ string) ([]byte, bool) {
	a, ok := s.byName[strings.ToLower(user)]
	if !ok || a.Role == fake.Guest || a.Role == fake.Anonymous {
		return nil, false
	}
	return a.hash, true
}

// identity turns an NTLMSSP result into a caller, or refuses it.
func (s *Server) identity(res *ntlmssp.Result) (fake.Caller, bool) {
	switch {
	case res.Anonymous:
		return fake.Caller{Role: fake.Anonymous}, true
	case res.Guest:
		a, known := s.byName[strings.ToLower(res.User)]
		if known && a.Role == fake.Guest {
			return fake.Caller{Role: fake.Guest, Name: a.Name}, true
		}
		if strings.EqualFold(res.User, "guest") || (!known && s.cfg.MapToGuest == MapBadUserToGuest) {
			return fake.Caller{Role: fake.Guest, Name: res.User}, true
		}
		return fake.Caller{}, false
	}
	a, ok := s.byName[strings.ToLower(res.User)]
	if !ok {
		return fake.Caller{}, false
	}
	return fake.Caller{Role: a.Role, Name: a.Name}, true
}

// BufferedRPCBytes is the bytes the server's pipes hold now: DCE/RPC answers not yet read and
// requests being reassembled, over every connection (bounded by
// Limits.MaxRPCPendingPerServer, plus one answer per connection).
func (s *Server) BufferedRPCBytes() int64 { return s.rpcBudget.Used() }

// Fake returns the server being served.
func (s *Server) Fake() *fake.Server { return s.srv }

// Serve accepts connections on l until Shutdown or Close and serves each in its own
// goroutine. It always returns an error: ErrServerClosed after Shutdown or Close, else the
// error of a listener closed by someone else. Other accept errors (out of file descriptors)
// are logged and retried after a pause growing from 5 ms to 1 s.
func (s *Server) Serve(l net.Listener) error {
	if !s.track(l) {
		l.Close()
		return ErrServerClosed
	}
	defer s.untrack(l)
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			if !errors.Is(err, net.ErrClosed) {
				// A passing failure (out of file descriptors, an aborted handshake): back
				// off rather than spin or give up, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("smbserver: accept failed; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
				case <-s.done:
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		delay = 0
		s.ServeConn(c)
	}
}

// ServeConn serves one connection in a new goroutine and returns at once. The server closes
// it when it is done with it. Over MaxConnections it is closed at once.
func (s *Server) ServeConn(nc net.Conn) {
	s.mu.Lock()
	if s.inShutdown.Load() || len(s.conns) >= s.lim.MaxConnections {
		s.mu.Unlock()
		s.log.Debug("smbserver: connection refused", "peer", nc.RemoteAddr(), "connections", s.lim.MaxConnections)
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
}

func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		return false
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
}

// Connections is the number of connections being served.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) closeListeners() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for l := range s.listeners {
		if cerr := l.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		delete(s.listeners, l)
	}
	return err
}

func (s *Server) markShutdown() {
	if !s.inShutdown.Swap(true) {
		close(s.done)
	}
}

// Shutdown stops accepting, closes connections as soon as they are idle (between requests)
// and waits for them to end, or for ctx; then it closes the rest. It returns ctx's error if
// ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.markShutdown()
	err := s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.wakeIdle()
	}
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() { s.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return err
	case <-ctx.Done():
		s.cancel()
		s.closeConns()
		<-finished
		return ctx.Err()
	}
}

// Close closes every listener and connection at once and waits for their goroutines.
func (s *Server) Close() error {
	s.markShutdown()
	err := s.closeListeners()
	s.cancel()
	s.closeConns()
	s.wg.Wait()
	return err
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

func (s *Server) String() string { return fmt.Sprintf("smbserver(%s)", s.srv.Name()) }
