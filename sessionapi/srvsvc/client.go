package srvsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/smbconn"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Interface is srvsvc's DCE/RPC interface: 4b324fc8-1670-01d3-1278-5a47bf6ee188 version 3.0.
var Interface = dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Major: 3}

// FaultError is a DCE/RPC fault: the server refused the call with an RPC status instead of an
// answer. It matches the sessionapi.Status of the same number under errors.Is.
type FaultError = dcerpc.FaultError

// BindError is a refused bind (bind_nak, or a bind_ack that rejects the srvsvc context).
type BindError = dcerpc.BindError

// ErrProtocol is wrapped by every error about a reply that breaks DCE/RPC or NDR: the server is
// not speaking srvsvc as specified, or the data was damaged.
var ErrProtocol = dcerpc.ErrProtocol

// ErrNoSession is returned by NetSessionGetInfo when the server answers NERR_Success with no
// entry. Windows documents no such answer; rather than invent a Win32 status the server did
// not send (NERR_ClientNameNotFound, say), the client reports what happened. It is
// sessionapi.ErrNoEntry, which the fake returns in the same case, so code tested on the fake
// handles it alike.
var ErrNoSession = sessionapi.ErrNoEntry

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("srvsvc: client is closed")

// pipe is a bound-able srvsvc pipe: message reads and writes, and a close.
type pipe interface {
	io.ReadWriter
	Close() error
}

// link is one SMB2 connection with IPC$ mounted.
type link struct {
	conn *smbconn.Conn
	ipc  *smb2.Share
}

// Client is a srvsvc connection to one server as one user. It implements
// sessionapi.SessionAPI and is safe for concurrent use (calls on the shared pipe take turns).
type Client struct {
	cfg     Config
	perCall bool
	maxFrag int
	// open opens the srvsvc pipe on l (tests supply their own and ignore l).
	open func(ctx context.Context, l *link) (pipe, error)
	// dial makes a new link (nil in tests).
	dial func(ctx context.Context) (*link, error)

	// abandoned is set when a call gave up mid-flight on a done context. go-smb2 cannot
	// take that: when the context ends after a request went to its writer goroutine but
	// before the write finished, sendWith returns while the packet, which lives in the
	// connection's shared encode buffer, is still being written, and the next request
	// overwrites it (the race detector shows it; Samba then resets the connection, and
	// tree disconnect and logoff wait out their timeout). So nothing more is sent on that
	// connection: the next call starts on a new one, and Close just closes the socket.
	abandoned atomic.Bool

	mu     sync.Mutex
	closed bool
	link   *link  // nil in tests
	cur    *bound // the shared pipe, when bound
	sw     *switchCtx
}

var _ sessionapi.SessionAPI = (*Client)(nil)

type bound struct {
	p   pipe
	rpc *dcerpc.Conn
}

// Dial connects to cfg.Host, authenticates, and connects to IPC$. The context bounds all of
// it; later calls take their own contexts.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, errors.New("srvsvc: Config.Host is empty")
	}
	c := &Client{cfg: cfg, perCall: cfg.PipePerCall, maxFrag: cfg.MaxFrag, sw: newSwitchCtx()}
	c.open = openSMBPipe
	c.dial = c.dialLink
	l, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.link = l
	return c, nil
}

func (c *Client) dialLink(ctx context.Context) (*link, error) {
	cfg := c.cfg
	conn, err := smbconn.Dial(ctx, smbconn.Params{Host: cfg.Host, Port: cfg.Port, LocalAddr: cfg.LocalAddr,
		User: cfg.User, Domain: cfg.Domain, Password: cfg.Password, Hash: cfg.Hash, Workstation: cfg.Workstation,
		StageTimeout: cfg.StageTimeout})
	if err != nil {
		return nil, fmt.Errorf("srvsvc: %w", err)
	}
	sctx, cancel := c.stage(ctx)
	defer cancel()
	ipc, err := conn.Session.WithContext(sctx).Mount(`\\` + cfg.Host + `\IPC$`)
	if err != nil {
		_ = conn.TCP.Close()
		if serr := c.stageErr(ctx, sctx, "IPC$ tree connect", err); serr != err {
			return nil, fmt.Errorf("srvsvc: %w", serr)
		}
		return nil, fmt.Errorf("srvsvc: connecting to IPC$ on %s: %w", cfg.Host, err)
	}
	return &link{conn: conn, ipc: ipc}, nil
}

// stage returns the context of one stage: ctx, bounded by the stage limit too.
func (c *Client) stage(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, smbconn.StageLimit(c.cfg.StageTimeout))
}

// stageErr is the error of a stage that failed with err under the stage's context sctx:
//   - the caller cancelled ctx: ctx's error (context.Canceled), naming the stage;
//   - sctx's deadline ran out (the stage limit or the caller's deadline): a *StageError;
//   - the connection broke, or the server sent what is not SMB2: a *BrokenError;
//   - anything else (a status, a DCE/RPC fault or protocol error): err as it is.
//
// Only the deadline makes a StageError: sctx may also be done because the stage's own cancel
// ran, which says nothing about the server. In the first three cases the link is marked
// suspect (see abandoned), so that the next call dials a new one.
func (c *Client) stageErr(ctx, sctx context.Context, stage string, err error) error {
	addr := (&smbconn.Params{Host: c.cfg.Host, Port: c.cfg.Port}).Addr()
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		c.abandoned.Store(true)
		return fmt.Errorf("%s on %s: %w", stage, addr, ctx.Err())
	case errors.Is(sctx.Err(), context.DeadlineExceeded):
		c.abandoned.Store(true)
		return &StageError{Addr: addr, Stage: stage, Limit: smbconn.StageLimit(c.cfg.StageTimeout), Err: context.DeadlineExceeded}
	}
	if be, ok := smbconn.Broken(addr, stage, err); ok {
		c.abandoned.Store(true)
		return be
	}
	return err
}

// opName names a call's stage in errors.
func opName(opnum uint16) string {
	switch opnum {
	case ndr.OpNetrSessionEnum:
		return "NetrSessionEnum"
	case ndr.OpNetrSessionDel:
		return "NetrSessionDel"
	}
	return fmt.Sprintf("srvsvc opnum %d", opnum)
}

// newTestClient builds a Client over pipes from open, for tests without a server.
func newTestClient(open func(ctx context.Context) (pipe, error), perCall bool, maxFrag int) *Client {
	return &Client{open: func(ctx context.Context, _ *link) (pipe, error) { return open(ctx) },
		perCall: perCall, maxFrag: maxFrag, sw: newSwitchCtx()}
}

// smbPipe is the srvsvc pipe as an open file on IPC$. go-smb2 keeps FSCTL_PIPE_TRANSCEIVE to
// itself, so a call is a write then a read (two round trips instead of one). Offsets mean
// nothing on a pipe; 0 is sent.
type smbPipe struct{ f *smb2.File }

func (p smbPipe) Write(b []byte) (int, error) { return p.f.WriteAt(b, 0) }

func (p smbPipe) Read(b []byte) (int, error) {
	// The buffer must hold a whole fragment: go-smb2 reports a message-mode pipe's
	// STATUS_BUFFER_OVERFLOW as an error and drops the data. dcerpc reads with a 64 KiB buffer,
	// the most any fragment can take.
	return p.f.ReadAt(b, 0)
}

func (p smbPipe) Close() error { return p.f.Close() }

// openSMBPipe opens \PIPE\srvsvc on l. The file keeps the context it was opened with for its
// whole life (go-smb2 has no File.WithContext), so callers pass a switchable one.
func openSMBPipe(ctx context.Context, l *link) (pipe, error) {
	f, err := l.ipc.WithContext(ctx).OpenFile("srvsvc", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("srvsvc: opening \\PIPE\\srvsvc: %w", err)
	}
	return smbPipe{f}, nil
}

// currentLink returns the link to use, first replacing it when an abandoned call has left it
// suspect. c.mu must be held. Calls still running on the old link (per-call mode) fail.
func (c *Client) currentLink(ctx context.Context) (*link, error) {
	if c.dial == nil || !c.abandoned.Load() {
		return c.link, nil
	}
	if c.cur != nil {
		c.cur = nil // it belongs to the old link, which is closed below
	}
	if c.link != nil {
		_ = c.link.conn.TCP.Close()
		c.link = nil
	}
	l, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.link = l
	c.abandoned.Store(false)
	return l, nil
}

// call runs one RPC. Opening the pipe, binding it and the call are stages, each bounded by
// the stage limit as well as by ctx.
func (c *Client) call(ctx context.Context, opnum uint16, stub []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.perCall {
		return c.callOwnPipe(ctx, opnum, stub)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	defer c.sw.set(context.Background())
	l, err := c.currentLink(ctx)
	if err != nil {
		return nil, err
	}
	if c.cur == nil {
		sctx, cancel := c.stage(ctx)
		c.sw.set(sctx)
		p, err := c.open(c.sw, l)
		cancel()
		if err != nil {
			return nil, c.stageErr(ctx, sctx, `opening \PIPE\srvsvc`, err)
		}
		sctx, cancel = c.stage(ctx)
		c.sw.set(sctx)
		rpc, err := dcerpc.Bind(p, Interface, c.maxFrag)
		cancel()
		if err != nil {
			err = c.stageErr(ctx, sctx, "bind", fmt.Errorf("srvsvc: binding \\PIPE\\srvsvc: %w", err))
			if !c.abandoned.Load() {
				c.dropPipe(p)
			}
			return nil, err
		}
		c.cur = &bound{p: p, rpc: rpc}
	}
	sctx, cancel := c.stage(ctx)
	defer cancel()
	c.sw.set(sctx)
	out, err := c.cur.rpc.Call(opnum, stub)
	if err == nil {
		return out, nil
	}
	if err = c.stageErr(ctx, sctx, opName(opnum), err); c.abandoned.Load() {
		c.cur = nil // on a link that gets nothing more (see abandoned)
		return nil, err
	}
	var fault *FaultError
	if !errors.As(err, &fault) {
		// A transport or protocol error can leave half a reply in the pipe: start the next
		// call on a fresh one.
		c.dropPipe(c.cur.p)
		c.cur = nil
	}
	return nil, err
}

// callOwnPipe runs one RPC on a pipe of its own: open, bind, call, close.
func (c *Client) callOwnPipe(ctx context.Context, opnum uint16, stub []byte) ([]byte, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	l, err := c.currentLink(ctx)
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// The pipe gets its own switchable context: each stage's in turn, a fresh one for the
	// close, which must happen even when the call's context is done.
	sw := newSwitchCtx()
	sctx, cancel := c.stage(ctx)
	defer cancel()
	sw.set(sctx)
	p, err := c.open(sw, l)
	if err != nil {
		return nil, c.stageErr(ctx, sctx, `opening \PIPE\srvsvc`, err)
	}
	defer func() {
		if c.abandoned.Load() {
			return // nothing more on this link (see abandoned)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		sw.set(cctx)
		_ = p.Close()
	}()
	bctx, bcancel := c.stage(ctx)
	defer bcancel()
	sw.set(bctx)
	rpc, err := dcerpc.Bind(p, Interface, c.maxFrag)
	if err != nil {
		return nil, c.stageErr(ctx, bctx, "bind", fmt.Errorf("srvsvc: binding \\PIPE\\srvsvc: %w", err))
	}
	cctx, ccancel := c.stage(ctx)
	defer ccancel()
	sw.set(cctx)
	out, err := rpc.Call(opnum, stub)
	if err != nil {
		return nil, c.stageErr(ctx, cctx, opName(opnum), err)
	}
	return out, nil
}

// dropPipe closes a pipe whose state is unknown, waiting at most 2 s. c.mu is held.
func (c *Client) dropPipe(p pipe) {
	cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.sw.set(cctx)
	_ = p.Close()
}

// Close closes the pipe, disconnects IPC$, logs off and closes the connection. It waits at
// most 5 s for the server.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.sw.set(ctx)
	l := c.link
	c.link = nil
	if l != nil && c.abandoned.Load() {
		// See abandoned: close the socket only; the server cleans up after it.
		c.cur = nil
		return l.conn.TCP.Close()
	}
	var errs []error
	if c.cur != nil {
		errs = append(errs, c.cur.p.Close())
		c.cur = nil
	}
	if l == nil {
		return errors.Join(errs...)
	}
	errs = append(errs, l.ipc.WithContext(ctx).Umount(), l.conn.Close(ctx))
	return errors.Join(errs...)
}

// switchCtx is a context whose identity stays fixed while the context it stands for changes:
// the shared pipe's go-smb2 file keeps the context it was opened with, so each call points
// this one at its own context for its duration (c.mu held), and at Background in between.
type switchCtx struct {
	mu  sync.Mutex
	cur context.Context
}

func newSwitchCtx() *switchCtx { return &switchCtx{cur: context.Background()} }

func (s *switchCtx) set(ctx context.Context) {
	s.mu.Lock()
	s.cur = ctx
	s.mu.Unlock()
}

func (s *switchCtx) get() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *switchCtx) Deadline() (time.Time, bool) { return s.get().Deadline() }
func (s *switchCtx) Done() <-chan struct{}       { return s.get().Done() }
func (s *switchCtx) Err() error                  { return s.get().Err() }
func (s *switchCtx) Value(key any) any           { return s.get().Value(key) }
