package smbconn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/cloudsoda/go-smb2"
)

// DefaultStageTimeout bounds each stage of a connection (the TCP connect; the SMB2 negotiate
// and session setup; later, in package srvsvc, tree connect, pipe open, bind and each call)
// when the caller sets none: a server that accepts and then says nothing, or only things the
// client skips (a wrong MessageId, framed garbage, no credits), costs at most this long per stage
// even under a context without a deadline.
const DefaultStageTimeout = 15 * time.Second

// MaxNegotiates is how many SMB2 NEGOTIATE requests one connection may send. go-smb2 sends a
// second one when the server answers with the wildcard dialect 0x02FF (an SMB1-to-SMB2
// upgrade); a server that answers 0x02FF to that too would make it renegotiate for ever.
const MaxNegotiates = 3

// ErrRenegotiation is returned by Dial when the server keeps asking for a new negotiation.
var ErrRenegotiation = fmt.Errorf("the server answered %d SMB2 NEGOTIATE requests with the wildcard dialect 0x02FF; giving up", MaxNegotiates)

// ErrLogonFailure is wrapped by Dial's error when the server refused the credentials
// (STATUS_LOGON_FAILURE, STATUS_ACCOUNT_DISABLED and the like, or STATUS_ACCESS_DENIED at
// session setup): the server was reached and said no.
var ErrLogonFailure = errors.New("the server refused the logon")

// logonRefusals are the NTSTATUS codes of a refused session setup.
var logonRefusals = map[uint32]string{
	0xC000006D: "STATUS_LOGON_FAILURE", 0xC0000022: "STATUS_ACCESS_DENIED", 0xC0000072: "STATUS_ACCOUNT_DISABLED",
	0xC000006E: "STATUS_ACCOUNT_RESTRICTION", 0xC0000071: "STATUS_PASSWORD_EXPIRED", 0xC0000234: "STATUS_ACCOUNT_LOCKED_OUT",
	0xC000015B: "STATUS_LOGON_TYPE_NOT_GRANTED", 0xC0000224: "STATUS_PASSWORD_MUST_CHANGE",
}

// StageError says which stage of talking to a server ran out of time. It matches
// context.DeadlineExceeded under errors.Is, and os.IsTimeout-style checks through Timeout.
type StageError struct {
	Addr  string        // host:port
	Stage string        // "TCP connect", "SMB2 NEGOTIATE", "SMB2 SESSION_SETUP", ...
	Limit time.Duration // the stage's own limit (the caller's deadline may have come first)
	// Answered is true when the server did send something after the stage's request, but
	// nothing the client could use: a reply with a wrong MessageId, framed garbage, or a
	// grant of 0 credits that leaves the client unable to send its next request.
	Answered bool
	Err      error // what the client saw (context.DeadlineExceeded, an i/o timeout)
}

func (e *StageError) Error() string {
	if e.Answered {
		return fmt.Sprintf("%s: no usable answer after %s within the deadline (stage limit %v; a wrong MessageId, garbage, or no credits granted): %v",
			e.Addr, e.Stage, e.Limit, e.Err)
	}
	return fmt.Sprintf("%s: no answer to %s within the deadline (stage limit %v): %v", e.Addr, e.Stage, e.Limit, e.Err)
}

// Unwrap returns context.DeadlineExceeded as well as the underlying error — but never a
// context.Canceled in Err: a StageError means a deadline ran out, so matching a cancel the
// caller did not make would mislead errors.Is.
func (e *StageError) Unwrap() []error {
	if e.Err == nil || errors.Is(e.Err, context.Canceled) {
		return []error{context.DeadlineExceeded}
	}
	return []error{context.DeadlineExceeded, e.Err}
}

// Timeout reports true: the error is a timeout.
func (e *StageError) Timeout() bool { return true }

// Params says where to connect and as whom. An empty User with no Password and no Hash is an
// anonymous (NULL) session; a user the server does not know, with "map to guest = Bad User",
// becomes a guest session.
type Params struct {
	Host        string
	Port        int // 0 means 445
	LocalAddr   string
	User        string
	Domain      string
	Password    string
	Hash        []byte // NT hash (16 bytes), used instead of Password when set
	Workstation string
	// StageTimeout bounds the TCP connect, and then the negotiate and session setup, each
	// (0: DefaultStageTimeout). The context's deadline applies too.
	StageTimeout time.Duration
}

// Addr returns host:port.
func (p *Params) Addr() string {
	port := p.Port
	if port == 0 {
		port = 445
	}
	return net.JoinHostPort(p.Host, strconv.Itoa(port))
}

// StageLimit returns d, or DefaultStageTimeout when d ≤ 0.
func StageLimit(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultStageTimeout
	}
	return d
}

// Conn is an authenticated SMB2 session and the TCP connection under it.
type Conn struct {
	Session *smb2.Session
	TCP     net.Conn
}

// Dial connects and authenticates with NTLM. The context bounds the TCP connect, the
// negotiation and the session setup, and each of them has its own limit too
// (Params.StageTimeout); running out of time is a *StageError naming the stage.
func Dial(ctx context.Context, p Params) (*Conn, error) {
	limit := StageLimit(p.StageTimeout)
	d := net.Dialer{}
	if p.LocalAddr != "" {
		ip := net.ParseIP(p.LocalAddr)
		if ip == nil {
			return nil, fmt.Errorf("local address %q is not an IP address", p.LocalAddr)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	cctx, cancel := context.WithTimeout(ctx, limit)
	tcp, err := d.DialContext(cctx, "tcp", p.Addr())
	timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil {
		if timedOut {
			return nil, &StageError{Addr: p.Addr(), Stage: "TCP connect", Limit: limit, Err: err}
		}
		return nil, fmt.Errorf("connecting to %s: %w", p.Addr(), err)
	}
	w := &watchConn{Conn: tcp, limit: limit}
	if dl, ok := ctx.Deadline(); ok {
		w.ctxDeadline = dl
	}
	sd := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{
		User: p.User, Password: p.Password, Hash: p.Hash, Domain: p.Domain, Workstation: p.Workstation,
	}}
	// Negotiate plus two session setup legs, each with its own limit; the socket deadline,
	// moved at each request (watchConn), bounds a server that says nothing, and the context
	// one that keeps sending what the client skips.
	sctx, scancel := context.WithTimeout(ctx, 3*limit)
	defer scancel()
	_ = tcp.SetDeadline(w.deadline())
	s, err := sd.DialConn(sctx, w, p.Addr())
	if err != nil {
		tcp.Close()
		return nil, dialErr(ctx, sctx, w, p, limit, err)
	}
	w.done()
	_ = tcp.SetDeadline(time.Time{})
	return &Conn{Session: s, TCP: tcp}, nil
}

// dialErr is Dial's error once go-smb2's negotiate or session setup failed, naming the stage
// the connection was at (the last request the client sent): the caller's cancel, a stage
// that ran out of time, a refused logon, a connection that broke or a reply that is not SMB2.
func dialErr(ctx, sctx context.Context, w *watchConn, p Params, limit time.Duration, err error) error {
	stage, answered := w.stage()
	switch {
	case w.tooManyNegotiates():
		return fmt.Errorf("SMB2 negotiate with %s: %w", p.Addr(), ErrRenegotiation)
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller's cancel, not a timeout: it is reported as context.Canceled only.
		return fmt.Errorf("%s with %s: %w", stage, p.Addr(), ctx.Err())
	case errors.Is(sctx.Err(), context.DeadlineExceeded) || w.timeout():
		return &StageError{Addr: p.Addr(), Stage: stage, Answered: answered, Limit: limit, Err: err}
	}
	var re *smb2.ResponseError
	if errors.As(err, &re) {
		if name, ok := logonRefusals[re.Code]; ok {
			return fmt.Errorf("%s with %s as %q: %w: %s (0x%08X): %w", stage, p.Addr(), p.User, ErrLogonFailure, name, re.Code, err)
		}
	}
	if be, ok := Broken(p.Addr(), stage, err); ok {
		be.Answered = answered
		return be
	}
	return fmt.Errorf("%s with %s as %q: %w", stage, p.Addr(), p.User, err)
}

// ErrConnectionLost is wrapped by a [*BrokenError] for a connection that failed under the
// client: the server closed or reset it, or a write to it failed. Nothing more can be sent on
// it; a new connection may work (a server that restarted, say).
var ErrConnectionLost = errors.New("connection lost")

// ErrNotSMB2 is wrapped by a [*BrokenError] for a server whose bytes are not SMB2 (a bad
// transport frame, a response go-smb2 cannot parse): something answered, but not an SMB2
// server as specified.
var ErrNotSMB2 = errors.New("the reply is not SMB2")

// BrokenError says at which stage the exchange with a server broke without a timeout: the
// connection was lost (errors.Is(err, ErrConnectionLost)) or the server sent what is not
// SMB2 (ErrNotSMB2). It is not a timeout and wraps no context error.
type BrokenError struct {
	Addr  string // host:port
	Stage string // the stage whose request was the last one sent: "SMB2 NEGOTIATE", ...
	// Answered is true when the server had sent something after the stage's request.
	Answered bool
	Lost     bool  // the connection failed (ErrConnectionLost); false: ErrNotSMB2
	Err      error // what the transport said: io.EOF, a *net.OpError (reset, broken pipe), ...
}

func (e *BrokenError) Error() string {
	if !e.Lost {
		return fmt.Sprintf("%s: %v at %s: %v", e.Addr, ErrNotSMB2, e.Stage, e.Err)
	}
	closed := "the server closed it"
	if !errors.Is(e.Err, io.EOF) && !errors.Is(e.Err, io.ErrUnexpectedEOF) {
		closed = "closed or reset"
	}
	if e.Answered {
		closed += " after an answer the client could not use"
	}
	return fmt.Sprintf("%s: %v at %s (%s): %v", e.Addr, ErrConnectionLost, e.Stage, closed, e.Err)
}

// Unwrap returns ErrConnectionLost or ErrNotSMB2, and the underlying error.
func (e *BrokenError) Unwrap() []error {
	if e.Lost {
		return []error{ErrConnectionLost, e.Err}
	}
	return []error{ErrNotSMB2, e.Err}
}

// Broken returns a *BrokenError for stage when err is go-smb2's report of a failed
// connection (its TransportError, which hides the cause from errors.Is) or of a response it
// could not parse; otherwise nil and false. A timeout is not broken: the caller reports it as
// a StageError.
func Broken(addr, stage string, err error) (*BrokenError, bool) {
	var te *smb2.TransportError
	if errors.As(err, &te) {
		var ne net.Error
		if errors.As(te.Err, &ne) && ne.Timeout() {
			return nil, false
		}
		var oe *net.OpError
		lost := errors.Is(te.Err, io.EOF) || errors.Is(te.Err, io.ErrUnexpectedEOF) ||
			errors.Is(te.Err, net.ErrClosed) || errors.As(te.Err, &oe)
		return &BrokenError{Addr: addr, Stage: stage, Lost: lost, Err: te.Err}, true
	}
	var ie *smb2.InvalidResponseError
	if errors.As(err, &ie) {
		return &BrokenError{Addr: addr, Stage: stage, Err: ie}, true
	}
	return nil, false
}

// Close logs off (bounded by ctx) and closes the connection.
func (c *Conn) Close(ctx context.Context) error {
	err := c.Session.WithContext(ctx).Logoff()
	// go-smb2's Logoff closes the connection itself; closing it again is not a failure.
	if cerr := c.TCP.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// SMB2 commands watchConn names.
var commandNames = map[uint16]string{0: "SMB2 NEGOTIATE", 1: "SMB2 SESSION_SETUP", 3: "SMB2 TREE_CONNECT",
	5: "SMB2 CREATE", 8: "SMB2 READ", 9: "SMB2 WRITE", 11: "SMB2 IOCTL"}

// watchConn watches the requests go-smb2 writes while it dials: it counts NEGOTIATE
// requests (refusing the one past MaxNegotiates), remembers the last command for error
// messages, and moves the socket deadline to now+limit at each request, so that each
// stage has its own limit.
type watchConn struct {
	net.Conn
	limit       time.Duration
	ctxDeadline time.Time

	mu         sync.Mutex
	negotiates int
	last       uint16
	answered   bool // something was read since the last request
	timedOut   bool // a read met the socket deadline
	finished   bool
}

func (w *watchConn) deadline() time.Time {
	dl := time.Now().Add(w.limit)
	if !w.ctxDeadline.IsZero() && w.ctxDeadline.Before(dl) {
		dl = w.ctxDeadline
	}
	return dl
}

func (w *watchConn) done() {
	w.mu.Lock()
	w.finished = true
	w.mu.Unlock()
}

func (w *watchConn) tooManyNegotiates() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.negotiates > MaxNegotiates
}

func (w *watchConn) timeout() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.timedOut
}

func (w *watchConn) stage() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n, ok := commandNames[w.last]; ok {
		return n, w.answered
	}
	return fmt.Sprintf("SMB2 command %d", w.last), w.answered
}

func (w *watchConn) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	var ne net.Error
	if n > 0 || errors.As(err, &ne) && ne.Timeout() {
		w.mu.Lock()
		w.answered = w.answered || n > 0
		w.timedOut = w.timedOut || err != nil
		w.mu.Unlock()
	}
	return n, err
}

func (w *watchConn) Write(b []byte) (int, error) {
	w.mu.Lock()
	if !w.finished {
		// go-smb2 writes a frame's 4-byte length, then the packet: an SMB2 header whose
		// command is at offset 12.
		if len(b) >= 16 && b[0] == 0xFE && string(b[1:4]) == "SMB" {
			cmd := binary.LittleEndian.Uint16(b[12:])
			w.last, w.answered = cmd, false
			if cmd == 0 {
				w.negotiates++
				if w.negotiates > MaxNegotiates {
					w.mu.Unlock()
					_ = w.Conn.Close() // wakes the receiver too
					return 0, ErrRenegotiation
				}
			}
			_ = w.Conn.SetDeadline(w.deadline())
		}
	}
	w.mu.Unlock()
	return w.Conn.Write(b)
}
