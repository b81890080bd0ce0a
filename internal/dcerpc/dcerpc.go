package dcerpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// UUID is a DCE UUID in its string order; it is encoded with the first three fields
// little-endian, as NDR does.
type UUID [16]byte

// MustParseUUID reads "4b324fc8-1670-01d3-1278-5a47bf6ee188". It panics on bad input: it is
// for constants.
func MustParseUUID(s string) UUID {
	var u UUID
	j := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		if j >= 32 || i+1 >= len(s) {
			panic("dcerpc: bad UUID " + s)
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			panic("dcerpc: bad UUID " + s)
		}
		u[j/2] = hi<<4 | lo
		j += 2
		i++
	}
	if j != 32 {
		panic("dcerpc: bad UUID " + s)
	}
	return u
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (u UUID) appendTo(b []byte) []byte {
	b = append(b, u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6])
	return append(b, u[8:]...)
}

func (u UUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// SyntaxID names an interface or a transfer syntax and its version.
type SyntaxID struct {
	UUID  UUID
	Major uint16
	Minor uint16
}

// NDR20 is the NDR 2.0 transfer syntax.
var NDR20 = SyntaxID{UUID: MustParseUUID("8a885d04-1ceb-11c9-9fe8-08002b104860"), Major: 2}

// Packet types (C706 12.6.4.1).
const (
	ptRequest  = 0
	ptResponse = 2
	ptFault    = 3
	ptBind     = 11
	ptBindAck  = 12
	ptBindNak  = 13
)

// Packet flags.
const (
	pfcFirstFrag = 0x01
	pfcLastFrag  = 0x02
)

const (
	headerLen = 16
	// requestHeaderLen is the common header plus alloc_hint, p_cont_id and opnum.
	requestHeaderLen = headerLen + 8
	// MinFrag is the smallest fragment every implementation must accept (C706 12.6.3.6,
	// "MustRecvFragSize").
	MinFrag = 1432
	// DefaultFrag is what Windows clients offer.
	DefaultFrag = 4280
)

// MaxResponse bounds a reassembled response stub. NetrSessionEnum at level 502 costs well under
// 1 KiB per session, so 64 MiB is tens of thousands of sessions: enough for any real server,
// small enough that a hostile one cannot make us buffer without end.
const MaxResponse = 64 << 20

// ErrProtocol is wrapped by every error about a PDU that breaks the protocol.
var ErrProtocol = errors.New("dcerpc: protocol error")

// FaultError is a fault PDU: the server refused the call with a DCE/RPC status instead of an
// answer. It unwraps to a sessionapi.Status of the same number, so
// errors.Is(err, sessionapi.NCA_S_OP_RNG_ERROR) works.
type FaultError struct {
	Status uint32
}

// Fault statuses met here beyond those sessionapi names (C706 appendix E, MS-RPCE 2.2.2.11).
const (
	NCA_S_UNK_IF        uint32 = 0x1C010003                             //nolint:revive // C706 spelling: unknown interface
	NCA_S_PROTO_ERROR   uint32 = 0x1C01000B                             //nolint:revive // protocol error
	RPC_S_ACCESS_DENIED uint32 = 0x00000005                             //nolint:revive // Samba's DCERPC_FAULT_ACCESS_DENIED
	RPC_X_BAD_STUB_DATA        = uint32(sessionapi.RPC_X_BAD_STUB_DATA) //nolint:revive // Windows' number for a bad-stub fault
)

var faultNames = map[uint32]string{
	uint32(sessionapi.NCA_S_OP_RNG_ERROR):           "NCA_S_OP_RNG_ERROR",
	uint32(sessionapi.NCA_S_FAULT_CONTEXT_MISMATCH): "NCA_S_FAULT_CONTEXT_MISMATCH",
	NCA_S_UNK_IF:        "NCA_S_UNK_IF",
	NCA_S_PROTO_ERROR:   "NCA_S_PROTO_ERROR",
	RPC_S_ACCESS_DENIED: "ACCESS_DENIED",
	RPC_X_BAD_STUB_DATA: "RPC_X_BAD_STUB_DATA",
}

// FaultName returns the name of a fault status, or "" when it has none here.
func FaultName(status uint32) string { return faultNames[status] }

func (e *FaultError) Error() string {
	name := faultNames[e.Status]
	if name == "" {
		name = "unknown status"
	}
	return fmt.Sprintf("DCE/RPC fault %s (0x%08X)", name, e.Status)
}

// Unwrap returns the status as a sessionapi.Status.
func (e *FaultError) Unwrap() error { return sessionapi.Status(e.Status) }

// BindError reports a bind the server refused, by bind_nak or by rejecting the presentation
// context in its bind_ack.
type BindError struct {
	Nak    bool   // a bind_nak PDU (else a bind_ack with a rejected context)
	Result uint16 // bind_ack: 1 user rejection, 2 provider rejection
	Reason uint16 // bind_nak: provider_reject_reason; bind_ack: the result's reason
}

var nakReasons = map[uint16]string{
	0: "reason not specified", 1: "temporary congestion", 2: "local limit exceeded",
	3: "called paddr unknown", 4: "protocol version not supported", 5: "default context not supported",
	6: "user data not readable", 7: "no psap available", 8: "authentication type not recognized",
	9: "invalid checksum",
}

var ackReasons = map[uint16]string{
	0: "reason not specified", 1: "abstract syntax not supported",
	2: "proposed transfer syntaxes not supported", 3: "local limit exceeded",
}

func (e *BindError) Error() string {
	if e.Nak {
		return fmt.Sprintf("dcerpc: bind refused (bind_nak, reason %d: %s)", e.Reason, nakReasons[e.Reason])
	}
	return fmt.Sprintf("dcerpc: presentation context rejected (bind_ack result %d, reason %d: %s)", e.Result, e.Reason, ackReasons[e.Reason])
}

// Conn is a bound DCE/RPC association over one pipe. Calls are sequential: it is not safe for
// concurrent use.
type Conn struct {
	rw       io.ReadWriter
	xmit     int // largest fragment we send
	recv     int // largest fragment we accept
	callID   uint32
	pending  []byte // bytes read past the last fragment (byte-mode pipes)
	transfer SyntaxID
	readBuf  []byte
}

// header is the common PDU header.
type header struct {
	ptype      byte
	flags      byte
	drep       [4]byte
	fragLength uint16
	authLength uint16
	callID     uint32
}

func appendHeader(b []byte, ptype, flags byte, callID uint32) []byte {
	// The frag_length at offset 8 is patched once the PDU is complete.
	b = append(b, 5, 0, ptype, flags, 0x10, 0, 0, 0, 0, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(b, callID)
}

func finish(b []byte) []byte {
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerLen {
		return h, fmt.Errorf("%w: PDU of %d bytes, shorter than the %d-byte header", ErrProtocol, len(b), headerLen)
	}
	if b[0] != 5 || b[1] != 0 {
		return h, fmt.Errorf("%w: RPC version %d.%d, want 5.0", ErrProtocol, b[0], b[1])
	}
	h.ptype, h.flags = b[2], b[3]
	copy(h.drep[:], b[4:8])
	if h.drep[0] != 0x10 || h.drep[1] != 0 {
		return h, fmt.Errorf("%w: data representation %x: only little-endian ASCII IEEE is supported", ErrProtocol, h.drep)
	}
	h.fragLength = binary.LittleEndian.Uint16(b[8:])
	h.authLength = binary.LittleEndian.Uint16(b[10:])
	h.callID = binary.LittleEndian.Uint32(b[12:])
	if h.fragLength < headerLen {
		return h, fmt.Errorf("%w: frag_length %d is shorter than the header", ErrProtocol, h.fragLength)
	}
	return h, nil
}

// Bind opens an association for iface over rw with NDR 2.0, offering frag as both our largest
// send and receive fragment (0 means DefaultFrag). Values under MinFrag are sent as given, for
// tests of fragmentation; a real server may refuse them.
func Bind(rw io.ReadWriter, iface SyntaxID, frag int) (*Conn, error) {
	return BindSyntax(rw, iface, NDR20, frag)
}

// BindSyntax is Bind with the transfer syntax to offer: NDR20 or NDR64. The stubs given to
// Call must then be in that syntax.
func BindSyntax(rw io.ReadWriter, iface, transfer SyntaxID, frag int) (*Conn, error) {
	if frag <= 0 {
		frag = DefaultFrag
	}
	if frag > 0xFFFF {
		frag = 0xFFFF
	}
	// Every peer may send MinFrag-sized fragments whatever we offered (C706 12.6.3.6).
	c := &Conn{rw: rw, xmit: frag, recv: max(frag, MinFrag), callID: 1, transfer: transfer}
	b := appendHeader(nil, ptBind, pfcFirstFrag|pfcLastFrag, c.callID)
	b = binary.LittleEndian.AppendUint16(b, uint16(frag)) // max_xmit_frag
	b = binary.LittleEndian.AppendUint16(b, uint16(frag)) // max_recv_frag
	b = binary.LittleEndian.AppendUint32(b, 0)            // assoc_group_id: a new group
	b = append(b, 1, 0, 0, 0)                             // one context element, reserved
	b = binary.LittleEndian.AppendUint16(b, 0)            // p_cont_id
	b = append(b, 1, 0)                                   // one transfer syntax, reserved
	b = iface.UUID.appendTo(b)
	b = binary.LittleEndian.AppendUint16(b, iface.Major)
	b = binary.LittleEndian.AppendUint16(b, iface.Minor)
	b = transfer.UUID.appendTo(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(transfer.Major)|uint32(transfer.Minor)<<16)
	if _, err := rw.Write(finish(b)); err != nil {
		return nil, fmt.Errorf("dcerpc: sending bind: %w", err)
	}
	h, body, err := c.readPDU()
	if err != nil {
		return nil, fmt.Errorf("dcerpc: reading bind reply: %w", err)
	}
	if h.callID != c.callID {
		return nil, fmt.Errorf("%w: bind reply for call %d, want %d", ErrProtocol, h.callID, c.callID)
	}
	switch h.ptype {
	case ptBindNak:
		if len(body) < 2 {
			return nil, fmt.Errorf("%w: bind_nak of %d bytes", ErrProtocol, len(body))
		}
		return nil, &BindError{Nak: true, Reason: binary.LittleEndian.Uint16(body)}
	case ptBindAck:
	default:
		return nil, fmt.Errorf("%w: bind answered by packet type %d", ErrProtocol, h.ptype)
	}
	if err := c.parseBindAck(body); err != nil {
		return nil, err
	}
	c.callID++
	return c, nil
}

func (c *Conn) parseBindAck(body []byte) error {
	short := fmt.Errorf("%w: bind_ack of %d bytes is truncated", ErrProtocol, len(body))
	if len(body) < 10 {
		return short
	}
	srvXmit := int(binary.LittleEndian.Uint16(body[0:]))
	srvRecv := int(binary.LittleEndian.Uint16(body[2:]))
	secLen := int(binary.LittleEndian.Uint16(body[8:]))
	off := 10 + secLen
	// The result list starts 4-aligned relative to the PDU, whose body starts at offset 16.
	off += (4 - (headerLen+off)%4) % 4
	if len(body) < off+4+24 {
		return short
	}
	if body[off] < 1 {
		return fmt.Errorf("%w: bind_ack carries no result", ErrProtocol)
	}
	result := binary.LittleEndian.Uint16(body[off+4:])
	reason := binary.LittleEndian.Uint16(body[off+6:])
	if result != 0 {
		return &BindError{Result: result, Reason: reason}
	}
	var ts UUID
	copy(ts[:], body[off+8:off+24])
	if ts != c.transfer.UUID.wire() {
		return fmt.Errorf("%w: bind_ack accepted transfer syntax %x, want %s", ErrProtocol, ts, c.transfer.UUID)
	}
	// C706 forbids sizes under MinFrag, but all we need is room for some stub after the
	// request header; refusing less keeps Call's fragment loop finite.
	if srvRecv < requestHeaderLen+8 {
		return fmt.Errorf("%w: bind_ack max_recv_frag %d leaves no room for request data", ErrProtocol, srvRecv)
	}
	// We send no more than the server can receive, and accept up to what it may send (never
	// more than the wire's 16-bit limit).
	c.xmit = min(c.xmit, srvRecv)
	c.recv = max(c.recv, min(srvXmit, 0xFFFF))
	return nil
}

// wire returns the UUID as it appears on the wire.
func (u UUID) wire() UUID {
	var w UUID
	copy(w[:], u.appendTo(nil))
	return w
}

// XmitFrag returns the negotiated size of the fragments we send.
func (c *Conn) XmitFrag() int { return c.xmit }

// Call sends a request for opnum with the stub, fragmented as negotiated, and returns the
// reassembled response stub. A fault comes back as a *FaultError.
func (c *Conn) Call(opnum uint16, stub []byte) ([]byte, error) {
	id := c.callID
	c.callID++
	chunk := c.xmit - requestHeaderLen
	for off := 0; ; {
		end := min(off+chunk, len(stub))
		var flags byte
		if off == 0 {
			flags |= pfcFirstFrag
		}
		if end == len(stub) {
			flags |= pfcLastFrag
		}
		b := appendHeader(make([]byte, 0, requestHeaderLen+end-off), ptRequest, flags, id)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)-off)) // alloc_hint
		b = binary.LittleEndian.AppendUint16(b, 0)                     // p_cont_id
		b = binary.LittleEndian.AppendUint16(b, opnum)
		b = append(b, stub[off:end]...)
		if _, err := c.rw.Write(finish(b)); err != nil {
			return nil, fmt.Errorf("dcerpc: sending request fragment: %w", err)
		}
		off = end
		if off == len(stub) {
			break
		}
	}
	return c.readResponse(id)
}

func (c *Conn) readResponse(id uint32) ([]byte, error) {
	var out []byte
	for first := true; ; first = false {
		h, body, err := c.readPDU()
		if err != nil {
			return nil, fmt.Errorf("dcerpc: reading response: %w", err)
		}
		if h.callID != id {
			return nil, fmt.Errorf("%w: response for call %d, want %d", ErrProtocol, h.callID, id)
		}
		if len(body) < 8 {
			return nil, fmt.Errorf("%w: packet type %d with a %d-byte body", ErrProtocol, h.ptype, len(body))
		}
		switch h.ptype {
		case ptFault:
			if len(body) < 12 {
				return nil, fmt.Errorf("%w: fault PDU of %d bytes", ErrProtocol, len(body))
			}
			return nil, &FaultError{Status: binary.LittleEndian.Uint32(body[8:])}
		case ptResponse:
		default:
			return nil, fmt.Errorf("%w: request answered by packet type %d", ErrProtocol, h.ptype)
		}
		if first != (h.flags&pfcFirstFrag != 0) {
			return nil, fmt.Errorf("%w: response fragment flags 0x%02x out of order", ErrProtocol, h.flags)
		}
		if len(out)+len(body)-8 > MaxResponse {
			return nil, fmt.Errorf("%w: response larger than %d bytes", ErrProtocol, MaxResponse)
		}
		out = append(out, body[8:]...)
		if h.flags&pfcLastFrag != 0 {
			return out, nil
		}
	}
}

// readPDU reads one whole PDU and returns its header and the bytes after the header (without
// any auth trailer). It copes with both pipe modes: message mode, where one read returns one
// fragment, and byte mode, where a read may return part of a fragment or more than one.
func (c *Conn) readPDU() (header, []byte, error) {
	for {
		if len(c.pending) >= headerLen {
			h, err := parseHeader(c.pending)
			if err != nil {
				return h, nil, err
			}
			if int(h.fragLength) > c.recv {
				return h, nil, fmt.Errorf("%w: fragment of %d bytes exceeds the negotiated %d", ErrProtocol, h.fragLength, c.recv)
			}
			if len(c.pending) >= int(h.fragLength) {
				pdu := c.pending[:h.fragLength]
				c.pending = c.pending[h.fragLength:]
				if len(c.pending) == 0 {
					c.pending = nil
				}
				if int(h.authLength)+headerLen > len(pdu) {
					return h, nil, fmt.Errorf("%w: auth_length %d in a %d-byte fragment", ErrProtocol, h.authLength, len(pdu))
				}
				if h.authLength != 0 {
					return h, nil, fmt.Errorf("%w: unexpected auth_length %d on an unauthenticated association", ErrProtocol, h.authLength)
				}
				return h, append([]byte(nil), pdu[headerLen:]...), nil
			}
		}
		if c.readBuf == nil {
			c.readBuf = make([]byte, max(c.recv, 0xFFFF))
		}
		n, err := c.rw.Read(c.readBuf)
		if n > 0 {
			c.pending = append(c.pending, c.readBuf[:n]...)
		}
		if err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				continue
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return header{}, nil, err
		}
		if n == 0 {
			return header{}, nil, fmt.Errorf("%w: empty read from the pipe", ErrProtocol)
		}
	}
}
