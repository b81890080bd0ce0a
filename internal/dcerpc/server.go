package dcerpc

import (
	"context"
	"errors"
)

// CONTRACT (being implemented): the server side of DCE/RPC over a message-mode named pipe.
// The smbserver package depends on exactly these names; keep them.

// NDR64 is the NDR64 transfer syntax (MS-RPCE 2.2.5).
var NDR64 = SyntaxID{UUID: MustParseUUID("71710533-beba-4937-8319-b5dbef9ccc36"), Major: 1}

// Handler answers the calls of one interface on one association.
type Handler interface {
	// Call runs one request. stub is the reassembled request stub in the transfer syntax the
	// presentation context negotiated (ndr64 says which). It returns the response stub, or a
	// non-zero fault status (nca_s_op_rng_error, rpc_x_bad_stub_data) for a fault PDU.
	Call(ctx context.Context, opnum uint16, stub []byte, ndr64 bool) (resp []byte, fault uint32)
}

// ServerInterface is an interface a ServerConn accepts in a bind, with its handler.
type ServerInterface struct {
	Syntax  SyntaxID
	Handler Handler
}

// ServerLimits bounds one association. A zero field means the documented default.
type ServerLimits struct {
	MaxXmitFrag int // largest fragment we send (after negotiation: min of both sides)
	MaxRecvFrag int // largest fragment we accept
	MaxRequest  int // largest reassembled request stub
	MaxPending  int // response bytes queued and not yet read before the pipe is refused
}

// ServerConn is the server side of one association on one pipe open.
type ServerConn struct {
	ifaces []ServerInterface
	lim    ServerLimits
}

// NewServerConn makes the server side of an association that accepts binds to ifaces.
func NewServerConn(ifaces []ServerInterface, lim ServerLimits) *ServerConn {
	return &ServerConn{ifaces: ifaces, lim: lim}
}

// Write takes bytes a client wrote to the pipe (one WRITE, or a TRANSCEIVE's input): part of a
// PDU or several. Complete PDUs are processed at once and their responses queued. An error means
// the pipe must be closed (the client broke the protocol beyond a fault reply).
func (c *ServerConn) Write(ctx context.Context, p []byte) error {
	return errors.New("dcerpc: server side not written yet")
}

// Read copies queued response bytes in message mode: from the current fragment only. more is
// true when bytes of that fragment remain (SMB2 then answers STATUS_BUFFER_OVERFLOW). n == 0 and
// more == false: nothing is queued.
func (c *ServerConn) Read(p []byte) (n int, more bool) { return 0, false }

// Pending is the number of response bytes queued.
func (c *ServerConn) Pending() int { return 0 }
