package smbserver

import (
	"log/slog"
	"time"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
)

// Defaults of [Limits]: what a zero field means. Each is sized for a test server that many
// clients sweep at once, not for a file server: the SMB messages a named-pipe client sends
// are small.
const (
	// DefaultMaxConnections is how many connections one Server holds at once; one more is
	// accepted and closed at once.
	DefaultMaxConnections = 512
	// DefaultMaxMessageBeforeAuth bounds an SMB message (one NetBIOS frame) until a session
	// has logged on: NEGOTIATE and SESSION_SETUP with an NTLMSSP token fit in far less.
	DefaultMaxMessageBeforeAuth = 16 << 10
	// DefaultMaxMessage bounds an SMB message after logon: a WRITE of MaxIOSize bytes, a
	// compound, and slack.
	DefaultMaxMessage = MaxIOSize + 16<<10
	// DefaultHandshakeTimeout bounds the time from accepting a connection to the end of its
	// first successful SESSION_SETUP.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a logged-on connection that sends nothing for this long.
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultWriteTimeout bounds the writing of one response.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxSessionsPerConn bounds the sessions (logged on or being set up) of one
	// connection.
	DefaultMaxSessionsPerConn = 16
	// DefaultMaxSetupsInProgress bounds the SESSION_SETUP exchanges under way on one
	// connection.
	DefaultMaxSetupsInProgress = 4
	// DefaultMaxSetupAttempts bounds every SESSION_SETUP request of one connection, failed or
	// not (as ssh's maxAuthServerAttempts): a client that loops stops.
	DefaultMaxSetupAttempts = 64
	// DefaultMaxTreesPerSession bounds the tree connects of one session.
	DefaultMaxTreesPerSession = 8
	// DefaultMaxOpensPerSession bounds the pipes one session holds open.
	DefaultMaxOpensPerSession = 64
	// DefaultMaxCredits is the most credits a client may hold: requests in flight.
	DefaultMaxCredits = 128
	// DefaultMaxCompound bounds the commands of one compound message.
	DefaultMaxCompound = 16
	// DefaultMaxRPCFragment is the largest DCE/RPC fragment accepted and sent (what Windows
	// offers, 4280, is below it).
	DefaultMaxRPCFragment = 4280
	// DefaultMaxRPCRequest bounds a reassembled DCE/RPC request stub: 4 MiB, Samba's
	// DCERPC_NCACN_REQUEST_DEFAULT_MAX_SIZE, so that the fake refuses only what Samba refuses.
	// A request over it gets what a client of Samba sees (librpc/rpc/dcesrv_core.c terminates
	// the connection; impacket then gets STATUS_PIPE_DISCONNECTED): the WRITE carrying the
	// fragment that passes the limit is answered STATUS_PIPE_DISCONNECTED and the pipe is
	// closed. Not the fault ACCESS_DENIED (5), which a client would read as
	// ERROR_ACCESS_DENIED: no access check refused the call. The refusal is logged at warn
	// level. Its bytes count against MaxRPCPendingPerConn while it is reassembled.
	DefaultMaxRPCRequest = 4 << 20
	// DefaultMaxRPCPending bounds the response bytes one pipe queues unread: a request arriving
	// while this much is unread is answered with the fault RPC_S_SERVER_TOO_BUSY (1723), not run.
	DefaultMaxRPCPending = 8 << 20
	// DefaultMaxRPCPendingPerConn bounds the bytes the pipes of one connection hold together:
	// answers not yet read, requests being reassembled. While they are at or over it, a WRITE
	// or TRANSCEIVE to any pipe of the connection is refused whole with
	// STATUS_INSUFFICIENT_RESOURCES (0xC000009A) and nothing of it is taken (the pipe and the
	// connection stay: read the answers and send again), and a request arriving within a WRITE
	// that crossed it gets the fault RPC_S_SERVER_TOO_BUSY (1723), not run. The bytes held stay
	// under the limit plus one response (one large enumeration answer is never cut).
	DefaultMaxRPCPendingPerConn = 16 << 20
	// DefaultMaxRPCPendingPerServer is the same bound over every connection of one Server, so
	// that MaxConnections connections cannot hold MaxConnections × MaxRPCPendingPerConn.
	DefaultMaxRPCPendingPerServer = 256 << 20
)

// MaxIOSize is the MaxReadSize, MaxWriteSize and MaxTransactSize the server negotiates: 64 KiB,
// the SMB 2.0.2 maximum (no multi-credit requests, so CAP_LARGE_MTU is not offered).
const MaxIOSize = 64 << 10

// Limits bounds what clients can make a Server hold. A zero field means its Default.
type Limits struct {
	MaxConnections       int           // connections at once (DefaultMaxConnections)
	MaxMessageBeforeAuth int           // bytes of one message before a logon (DefaultMaxMessageBeforeAuth)
	MaxMessage           int           // bytes of one message after a logon (DefaultMaxMessage)
	HandshakeTimeout     time.Duration // connect to first logon (DefaultHandshakeTimeout)
	IdleTimeout          time.Duration // silence between requests after logon (DefaultIdleTimeout)
	WriteTimeout         time.Duration // writing one response (DefaultWriteTimeout)
	MaxSessionsPerConn   int           // sessions of one connection (DefaultMaxSessionsPerConn)
	MaxSetupsInProgress  int           // SESSION_SETUP exchanges under way (DefaultMaxSetupsInProgress)
	MaxSetupAttempts     int           // SESSION_SETUP requests of one connection (DefaultMaxSetupAttempts)
	MaxTreesPerSession   int           // tree connects of one session (DefaultMaxTreesPerSession)
	MaxOpensPerSession   int           // pipes open in one session (DefaultMaxOpensPerSession)
	MaxCredits           int           // credits a client may hold (DefaultMaxCredits)
	MaxCompound          int           // commands in one compound message (DefaultMaxCompound)
	MaxRPCFragment       int           // DCE/RPC fragment size accepted and sent (DefaultMaxRPCFragment)
	MaxRPCRequest        int           // reassembled DCE/RPC request stub (DefaultMaxRPCRequest)
	MaxRPCPending        int           // unread response bytes of one pipe (DefaultMaxRPCPending)
	// MaxRPCPendingPerConn bounds the bytes all pipes of one connection hold: unread answers
	// and requests being reassembled (DefaultMaxRPCPendingPerConn).
	MaxRPCPendingPerConn int
	// MaxRPCPendingPerServer bounds the same over all connections (DefaultMaxRPCPendingPerServer).
	MaxRPCPendingPerServer int
}

func orInt(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func orDur(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}

// WithDefaults returns l with every zero (or negative) field set to its default: the limits
// a Server with l enforces.
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	l.MaxConnections = orInt(l.MaxConnections, DefaultMaxConnections)
	l.MaxMessageBeforeAuth = orInt(l.MaxMessageBeforeAuth, DefaultMaxMessageBeforeAuth)
	l.MaxMessage = orInt(l.MaxMessage, DefaultMaxMessage)
	l.HandshakeTimeout = orDur(l.HandshakeTimeout, DefaultHandshakeTimeout)
	l.IdleTimeout = orDur(l.IdleTimeout, DefaultIdleTimeout)
	l.WriteTimeout = orDur(l.WriteTimeout, DefaultWriteTimeout)
	l.MaxSessionsPerConn = orInt(l.MaxSessionsPerConn, DefaultMaxSessionsPerConn)
	l.MaxSetupsInProgress = orInt(l.MaxSetupsInProgress, DefaultMaxSetupsInProgress)
	l.MaxSetupAttempts = orInt(l.MaxSetupAttempts, DefaultMaxSetupAttempts)
	l.MaxTreesPerSession = orInt(l.MaxTreesPerSession, DefaultMaxTreesPerSession)
	l.MaxOpensPerSession = orInt(l.MaxOpensPerSession, DefaultMaxOpensPerSession)
	l.MaxCredits = orInt(l.MaxCredits, DefaultMaxCredits)
	l.MaxCompound = orInt(l.MaxCompound, DefaultMaxCompound)
	l.MaxRPCFragment = orInt(l.MaxRPCFragment, DefaultMaxRPCFragment)
	l.MaxRPCRequest = orInt(l.MaxRPCRequest, DefaultMaxRPCRequest)
	l.MaxRPCPending = orInt(l.MaxRPCPending, DefaultMaxRPCPending)
	l.MaxRPCPendingPerConn = orInt(l.MaxRPCPendingPerConn, DefaultMaxRPCPendingPerConn)
	l.MaxRPCPendingPerServer = orInt(l.MaxRPCPendingPerServer, DefaultMaxRPCPendingPerServer)
	return l
}

// rpc is the DCE/RPC limits of one pipe of a connection: its bytes are charged to the
// connection's budget, itself inside the server's.
func (l Limits) rpc(budget *dcerpc.Budget, log *slog.Logger) dcerpc.ServerLimits {
	return dcerpc.ServerLimits{MaxXmitFrag: l.MaxRPCFragment, MaxRecvFrag: l.MaxRPCFragment,
		MaxRequest: l.MaxRPCRequest, MaxPending: l.MaxRPCPending, Budget: budget, Logger: log}
}
