package smbserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/smb2"
)

// conn is one client connection: everything it owns lives here, touched only by its own
// goroutine (except wakeIdle, under mu).
type conn struct {
	s       *Server
	nc      net.Conn
	br      *bufio.Reader // one read syscall gets a small request's frame header and body
	lim     *Limits
	log     *slog.Logger
	peerIP  string
	localIP string
	ctx     context.Context
	cancel  context.CancelFunc

	mu   sync.Mutex // guards idle against Shutdown's wakeIdle
	idle bool

	negotiated    bool
	dialect       uint16
	clientSecMode uint16
	clientCaps    uint32
	clientGUID    [16]byte

	credits          int // credits the client holds now
	sessions         map[uint64]*session
	setupsInProgress int
	setupAttempts    int
	authed           bool // a session has logged on: the handshake deadline no longer applies

	rpcBudget *dcerpc.Budget // bytes the connection's pipes hold (Limits.MaxRPCPendingPerConn)

	buf []byte // the read buffer, reused while small
	out []byte // the write buffer, reused
}

// maxKeptBuffer is the largest read or write buffer a connection keeps between messages; a
// larger message's buffer is dropped after use, so an idle connection holds little.
const maxKeptBuffer = 8 << 10

// readBufferSize is the connection's read buffer: a request other than a large WRITE fits.
const readBufferSize = 4 << 10

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &conn{s: s, nc: nc, br: bufio.NewReaderSize(nc, readBufferSize), lim: &s.lim, ctx: ctx, cancel: cancel, credits: 1, sessions: map[uint64]*session{}}
	c.rpcBudget = dcerpc.NewBudget(s.lim.MaxRPCPendingPerConn, s.rpcBudget)
	c.peerIP = hostOf(nc.RemoteAddr())
	c.localIP = hostOf(nc.LocalAddr())
	c.log = s.log.With("peer", nc.RemoteAddr().String())
	return c
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// wakeIdle makes a connection waiting for its next request stop waiting (Shutdown).
func (c *conn) wakeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// waitIdle marks the connection idle and sets the deadline for its next request; false
// when the server is shutting down.
func (c *conn) waitIdle(handshakeEnd time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.inShutdown.Load() {
		return false
	}
	c.idle = true
	dl := handshakeEnd
	if c.authed {
		dl = time.Now().Add(c.lim.IdleTimeout)
	}
	_ = c.nc.SetReadDeadline(dl)
	return true
}

func (c *conn) busy() {
	c.mu.Lock()
	c.idle = false
	c.mu.Unlock()
}

func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("smbserver: panic serving a connection; closed it", "panic", r, "stack", string(debug.Stack()))
		}
		c.cleanup()
	}()
	c.log.Debug("smbserver: connection")
	handshakeEnd := time.Now().Add(c.lim.HandshakeTimeout)
	for {
		if !c.waitIdle(handshakeEnd) {
			return
		}
		max := c.lim.MaxMessageBeforeAuth
		if c.authed {
			max = c.lim.MaxMessage
		}
		typ, msg, err := smb2.ReadFrame(c.br, max, c.buf)
		c.busy()
		if err != nil {
			c.logReadError(err)
			return
		}
		if cap(msg) <= maxKeptBuffer && cap(msg) > cap(c.buf) {
			c.buf = msg[:0]
		}
		var out []byte
		closeAfter := false
		switch typ {
		case smb2.FrameMessage:
			out, closeAfter = c.handleMessage(msg)
		case smb2.FrameSessionRequest:
			// Port 139: the client names us first. Any name is ours.
			out = smb2.AppendFrameHeader(c.out[:0], smb2.FramePositiveResponse, 0)
		case smb2.FrameKeepAlive:
			continue
		default:
			c.log.Debug("smbserver: unknown NetBIOS frame type; closing", "type", typ)
			return
		}
		if len(out) > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.lim.WriteTimeout))
			if _, err := c.nc.Write(out); err != nil {
				c.log.Debug("smbserver: write failed; closing", "err", err)
				return
			}
			if cap(out) <= maxKeptBuffer {
				c.out = out[:0]
			} else {
				c.out = nil
			}
		}
		if closeAfter {
			return
		}
	}
}

func (c *conn) logReadError(err error) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		c.log.Debug("smbserver: connection closed by the client")
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.s.inShutdown.Load() {
			c.log.Debug("smbserver: closing an idle connection for shutdown")
		} else if c.authed {
			c.log.Debug("smbserver: idle timeout; closing", "timeout", c.lim.IdleTimeout)
		} else {
			c.log.Debug("smbserver: handshake timeout; closing", "timeout", c.lim.HandshakeTimeout)
		}
	case errors.Is(err, smb2.ErrFrameTooLarge):
		c.log.Warn("smbserver: message over the size limit; closing", "err", err)
	default:
		c.log.Debug("smbserver: read failed; closing", "err", err)
	}
}

// cleanup ends the connection's sessions in the fake and closes the socket.
func (c *conn) cleanup() {
	c.cancel()
	for _, sess := range c.sessions {
		c.endSession(sess)
	}
	clear(c.sessions)
	c.nc.Close()
}
