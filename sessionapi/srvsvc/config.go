package srvsvc

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/internal/smbconn"
)

// DefaultStageTimeout is the limit of each stage when Config.StageTimeout is 0 (see there).
const DefaultStageTimeout = smbconn.DefaultStageTimeout

// MaxNegotiates is how many SMB2 NEGOTIATE requests Dial sends before it gives up on a server
// that keeps answering with the wildcard dialect 0x02FF ([ErrRenegotiation]); go-smb2 alone
// would renegotiate without end.
const MaxNegotiates = smbconn.MaxNegotiates

// ErrRenegotiation is wrapped by Dial's error for a server that answers every SMB2 NEGOTIATE
// with the wildcard dialect 0x02FF.
var ErrRenegotiation = smbconn.ErrRenegotiation

// ErrLogonFailure is wrapped by Dial's error when the server refused the credentials at
// session setup (STATUS_LOGON_FAILURE, STATUS_ACCOUNT_DISABLED, ...; named in the message).
var ErrLogonFailure = smbconn.ErrLogonFailure

// StageError says which stage of talking to a server ran out of time (Stage: "TCP connect",
// "SMB2 NEGOTIATE", "SMB2 SESSION_SETUP", "IPC$ tree connect", "opening \PIPE\srvsvc",
// "bind", "NetrSessionEnum", ...). errors.Is(err, context.DeadlineExceeded) holds for it.
// It is returned only when a deadline ran out (the stage limit or the caller's); a caller's
// cancel is context.Canceled, and a connection that broke is a [*BrokenError].
type StageError = smbconn.StageError

// BrokenError says at which stage the exchange with a server broke without a timeout: the
// server closed or reset the connection ([ErrConnectionLost]), or sent what is not SMB2
// ([ErrNotSMB2]). It wraps no context error: a broken connection is a transport failure,
// not "no answer within the deadline". The Client dials a new connection for its next call.
type BrokenError = smbconn.BrokenError

// ErrConnectionLost is wrapped by the error of a call or a Dial whose connection failed
// under it (closed or reset by the server, a write refused).
var ErrConnectionLost = smbconn.ErrConnectionLost

// ErrNotSMB2 is wrapped by the error of a call or a Dial that got bytes that are not SMB2.
var ErrNotSMB2 = smbconn.ErrNotSMB2

// PasswordEnv is the environment variable [Config.WithEnvPassword] reads.
const PasswordEnv = "SESSIONSIM_PASSWORD"

// Config says which server to reach and how to authenticate.
type Config struct {
	Host string // server name or IP address
	Port int    // TCP port; 0 means 445

	// User, Domain and Password (or Hash) authenticate with NTLMv2. An empty User with no
	// Password and no Hash opens an anonymous (NULL) session. A guest session is what the
	// server makes of an unknown user when it maps bad users to guest (Samba: "map to guest =
	// Bad User").
	User     string
	Domain   string
	Password string
	// Hash is the NT hash (MD4 of the UTF-16 password, 16 bytes), used instead of Password
	// when set (pass-the-hash, as go-smb2 supports it).
	Hash []byte
	// Workstation is the name sent in the NTLM AUTHENTICATE message (may be empty).
	Workstation string

	// LocalAddr, if set, is the IP the client's TCP socket binds to. On loopback, binding to
	// 127.0.0.2, 127.0.0.3, ... makes the client show under distinct names on Samba.
	LocalAddr string

	// PipePerCall opens, binds and closes the srvsvc pipe around every call instead of keeping
	// one bound pipe open.
	PipePerCall bool

	// StageTimeout bounds each stage of talking to the server on its own, whatever the
	// context allows: the TCP connect, the SMB2 negotiate, each session setup leg, the IPC$
	// tree connect, the pipe open (CREATE), the bind, and each call (0: [DefaultStageTimeout],
	// 15 s). Running out is a [*StageError] naming the stage. A context deadline still applies
	// to the whole and wins when it comes first.
	StageTimeout time.Duration

	// MaxFrag is the DCE/RPC fragment size offered in the bind (0: 4280, what Windows offers).
	// Requests are cut to what the server accepts; responses of any number of fragments are
	// reassembled.
	MaxFrag int
}

// WithEnvPassword returns c with Password taken from SESSIONSIM_PASSWORD when c has neither a
// Password nor a Hash. It is explicit, rather than done by Dial, so that an anonymous or guest
// Config never picks up a password by accident.
func (c Config) WithEnvPassword() Config {
	if c.Password == "" && len(c.Hash) == 0 {
		c.Password = os.Getenv(PasswordEnv)
	}
	return c
}

func (c Config) secretText() string {
	switch {
	case len(c.Hash) > 0:
		return "hash"
	case c.Password != "":
		return "password"
	case c.User == "":
		return "anonymous"
	}
	return "empty password"
}

// String describes the Config without its secrets.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "srvsvc.Config{Host:%q Port:%d User:%q Domain:%q Auth:%s", c.Host, c.Port, c.User, c.Domain, c.secretText())
	if c.LocalAddr != "" {
		fmt.Fprintf(&b, " LocalAddr:%q", c.LocalAddr)
	}
	if c.PipePerCall {
		b.WriteString(" PipePerCall")
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so %#v does not print the secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue is the slog form, without the secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("user", c.User),
		slog.String("domain", c.Domain), slog.String("auth", c.secretText()),
		slog.String("local_addr", c.LocalAddr), slog.Bool("pipe_per_call", c.PipePerCall))
}

// SplitServer reads a server as a user types it: "HOST", "HOST:PORT", "[IPv6]:PORT", a bare
// IPv6 address, or any of them after a leading `\\` (the Win32 servername form). Port 0 means
// the default, 445. It is for command lines that fill a Config.
func SplitServer(server string) (host string, port int, err error) {
	s := strings.TrimPrefix(strings.TrimSpace(server), `\\`)
	if s == "" {
		return "", 0, fmt.Errorf("srvsvc: empty server name %q", server)
	}
	if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		return s, 0, nil // a bare IPv6 address
	}
	if !strings.Contains(s, ":") {
		return s, 0, nil
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("srvsvc: server %q: %w", server, err)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 || h == "" {
		return "", 0, fmt.Errorf("srvsvc: server %q: want HOST or HOST:PORT with a port from 1 to 65535", server)
	}
	return h, int(n), nil
}
