package dcerpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// The server side of DCE/RPC over a message-mode named pipe. The smbserver package depends on
// exactly these names (CONTRACT).

// NDR64 is the NDR64 transfer syntax (MS-RPCE 2.2.5).
var NDR64 = SyntaxID{UUID: MustParseUUID("71710533-beba-4937-8319-b5dbef9ccc36"), Major: 1}

// btfnPrefix is the first 8 bytes (string order) of a bind-time feature negotiation "transfer
// syntax" (MS-RPCE 3.3.1.5.3): 6cb71c2c-9812-4540 followed by the feature bits as 8
// little-endian bytes.
var btfnPrefix = [8]byte{0x6c, 0xb7, 0x1c, 0x2c, 0x98, 0x12, 0x45, 0x40}

// Bind-time features (MS-RPCE 2.2.2.14). A Windows Server 2019 acknowledges both bits when a
// Windows 10 client offers them (capture A); so do we: we keep no security contexts to multiplex
// and never drop a connection for an orphaned call.
const (
	FeatureSecurityContextMultiplexing uint16 = 0x0001
	FeatureKeepConnectionOnOrphan      uint16 = 0x0002
	supportedFeatures                         = FeatureSecurityContextMultiplexing | FeatureKeepConnectionOnOrphan
)

// More packet types (C706 12.6.4.1) and flags.
const (
	ptAuth3          = 16
	ptAlterContext   = 14
	ptAlterContextRe = 15
	ptCoCancel       = 18
	ptOrphaned       = 19

	pfcDidNotExecute = 0x20
	pfcObjectUUID    = 0x80
)

// Presentation context results (C706 12.6.3.1, MS-RPCE 2.2.2.4).
const (
	resultAcceptance     = 0
	resultProviderReject = 2
	resultNegotiateAck   = 3

	reasonAbstractSyntax = 1 // abstract syntax not supported
	reasonTransferSyntax = 2 // proposed transfer syntaxes not supported
)

// bind_nak reasons (C706 12.6.3.1 p_reject_reason_t).
const (
	nakNotSpecified    = 0
	nakProtocolVersion = 4
	nakAuthType        = 8
)

// More fault statuses the server sends.
const (
	NCA_S_FAULT_CANCEL uint32 = 0x1C00000D //nolint:revive // C706: the call was cancelled
	NCA_S_FAULT_UNSPEC uint32 = 0x1C000012 //nolint:revive // C706: unspecified server fault
)

func init() {
	faultNames[NCA_S_FAULT_CANCEL] = "NCA_S_FAULT_CANCEL"
	faultNames[NCA_S_FAULT_UNSPEC] = "NCA_S_FAULT_UNSPEC"
}

// Defaults for ServerLimits' zero fields.
const (
	// DefaultMaxRequest bounds a reassembled request stub. A NetrSessionEnum request with three
	// 1,024-character names is about 6 KiB; 256 KiB leaves room for any real client while a
	// hostile one cannot make a pipe buffer more.
	DefaultMaxRequest = 256 << 10
	// DefaultMaxPending bounds the response bytes a pipe holds for a client that sends requests
	// without reading the answers: a request arriving while this much or more is queued is
	// answered with the fault RPC_S_SERVER_TOO_BUSY and not run. One response may itself be
	// larger (a big enumeration); the next request is then refused until it is read.
	DefaultMaxPending = 8 << 20
	// MaxContexts bounds the presentation contexts of one bind or alter_context and of one
	// association. Windows clients offer 3; 64 is plenty.
	MaxContexts = 64
)

// ErrServerProtocol is wrapped by Write's errors: the client broke the protocol in a way no
// reply can answer, and the pipe must be closed. It wraps ErrProtocol.
var ErrServerProtocol = fmt.Errorf("%w (client)", ErrProtocol)

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
	// Endpoint is the bind_ack's secondary address when a context for this interface is
	// accepted: the pipe's name as Windows writes it, like `\PIPE\srvsvc`. When empty, a
	// Handler with a method Endpoint() string gives it (srvs' does); else none is sent.
	Endpoint string
}

func (i *ServerInterface) endpoint() string {
	if i.Endpoint != "" {
		return i.Endpoint
	}
	if e, ok := i.Handler.(interface{ Endpoint() string }); ok {
		return e.Endpoint()
	}
	return ""
}

// ServerLimits bounds one association. A zero field means the documented default.
type ServerLimits struct {
	MaxXmitFrag int // largest fragment we send (after negotiation: min of both sides); 0: DefaultFrag
	MaxRecvFrag int // largest fragment we accept; 0: DefaultFrag
	MaxRequest  int // largest reassembled request stub; 0: DefaultMaxRequest
	MaxPending  int // response bytes queued and not yet read before requests are refused; 0: DefaultMaxPending
	// Budget, when set, is shared with other associations (a connection's other pipes): the
	// bytes this one holds are charged to it, and a request is refused with
	// RPC_S_SERVER_TOO_BUSY while it (or a parent) is spent. Close releases the charge.
	Budget *Budget
	// Logger receives the refusals (debug level; a request over MaxRequest at warn level).
	// nil: none.
	Logger *slog.Logger
	// PreferNDR20 accepts NDR 2.0 when a client offers both NDR 2.0 and NDR64 for an interface.
	// By default NDR64 is chosen, as a Windows server does (capture A).
	PreferNDR20 bool
}

func (l ServerLimits) withDefaults() ServerLimits {
	if l.MaxXmitFrag <= 0 {
		l.MaxXmitFrag = DefaultFrag
	}
	if l.MaxRecvFrag <= 0 {
		l.MaxRecvFrag = DefaultFrag
	}
	// The header's frag_length is 16 bits, and every peer must take MinFrag.
	l.MaxXmitFrag = min(max(l.MaxXmitFrag, MinFrag), 0xFFFF)
	l.MaxRecvFrag = min(max(l.MaxRecvFrag, MinFrag), 0xFFFF)
	if l.MaxRequest <= 0 {
		l.MaxRequest = DefaultMaxRequest
	}
	if l.MaxPending <= 0 {
		l.MaxPending = DefaultMaxPending
	}
	return l
}

// presContext is an accepted presentation context.
type presContext struct {
	iface *ServerInterface
	ndr64 bool
}

// ServerConn is the server side of one association on one pipe open. Write and Read may be
// called from different goroutines; Writes are processed one at a time.
type ServerConn struct {
	ifaces []ServerInterface
	lim    ServerLimits

	wmu      sync.Mutex // serializes Write: PDU processing and handler calls
	in       []byte     // bytes of an incomplete PDU
	bound    bool
	xmit     int // negotiated fragment size we send
	recv     int // negotiated fragment size we accept
	group    uint32
	contexts map[uint16]presContext
	features uint16
	req      *reassembly
	discard  *uint32 // call id whose remaining fragments are dropped after a fault

	inCharged  int   // bytes of in and req.stub charged to lim.Budget
	broken     error // set: every further Write fails with it (the pipe is to be closed)
	busyFaults int   // RPC_S_SERVER_TOO_BUSY faults since a request was last admitted

	mu      sync.Mutex // guards the output queue
	out     [][]byte   // queued fragments; out[0][outOff:] is being read
	outOff  int
	pending int
	closed  bool
}

type reassembly struct {
	callID uint32
	ctxID  uint16
	opnum  uint16
	stub   []byte
}

var assocGroups atomic.Uint32

// NewServerConn makes the server side of an association that accepts binds to ifaces.
func NewServerConn(ifaces []ServerInterface, lim ServerLimits) *ServerConn {
	lim = lim.withDefaults()
	return &ServerConn{ifaces: ifaces, lim: lim, recv: lim.MaxRecvFrag, xmit: lim.MaxXmitFrag}
}

// Write takes bytes a client wrote to the pipe (one WRITE, or a TRANSCEIVE's input): part of a
// PDU or several. Complete PDUs are processed at once and their responses queued. An error means
// the pipe must be closed (the client broke the protocol beyond a fault reply).
func (c *ServerConn) Write(ctx context.Context, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	defer c.chargeInput()
	// A partial PDU is held only up to its frag_length, itself bounded by the fragment size we
	// accept.
	for {
		// The usual case, one or more whole PDUs in p: processed in place, not copied. (Nothing
		// keeps a reference into p: a request's stub is copied as it is reassembled.)
		if len(c.in) == 0 && len(p) >= headerLen {
			h, err := parseServerHeader(p)
			if err != nil {
				return err
			}
			if int(h.fragLength) > c.recv {
				return fmt.Errorf("%w: fragment of %d bytes exceeds the negotiated %d", ErrServerProtocol, h.fragLength, c.recv)
			}
			if len(p) >= int(h.fragLength) {
				pdu := p[:h.fragLength]
				p = p[h.fragLength:]
				if err := c.handlePDU(ctx, h, pdu); err != nil {
					return err
				}
				continue
			}
		}
		if len(c.in) >= headerLen {
			h, err := parseServerHeader(c.in)
			if err != nil {
				return err
			}
			if int(h.fragLength) > c.recv {
				return fmt.Errorf("%w: fragment of %d bytes exceeds the negotiated %d", ErrServerProtocol, h.fragLength, c.recv)
			}
			if n := int(h.fragLength) - len(c.in); n > 0 {
				take := min(n, len(p))
				c.in = append(c.in, p[:take]...)
				p = p[take:]
				if take < n {
					return nil
				}
			}
			pdu := c.in[:h.fragLength]
			c.in = nil
			if err := c.handlePDU(ctx, h, pdu); err != nil {
				return err
			}
			continue
		}
		if len(p) == 0 {
			return nil
		}
		take := min(headerLen-len(c.in), len(p))
		c.in = append(c.in, p[:take]...)
		p = p[take:]
	}
}

// parseServerHeader is parseHeader for PDUs from a client, which may say RPC version 5.1.
func parseServerHeader(b []byte) (header, error) {
	if b[0] != 5 || b[1] > 1 {
		return header{}, fmt.Errorf("%w: RPC version %d.%d, want 5.0 or 5.1", ErrServerProtocol, b[0], b[1])
	}
	if b[4] != 0x10 || b[5] != 0 {
		return header{}, fmt.Errorf("%w: data representation %x: only little-endian ASCII IEEE is supported", ErrServerProtocol, b[4:8])
	}
	var c [headerLen]byte
	copy(c[:], b)
	c[1] = 0 // parseHeader knows only 5.0; the rest of the header is the same in 5.1
	h, err := parseHeader(c[:])
	if err != nil {
		return h, fmt.Errorf("%w: %w", ErrServerProtocol, err)
	}
	return h, nil
}

func (c *ServerConn) handlePDU(ctx context.Context, h header, pdu []byte) error {
	if int(h.authLength)+headerLen > len(pdu) {
		return fmt.Errorf("%w: auth_length %d in a %d-byte fragment", ErrServerProtocol, h.authLength, len(pdu))
	}
	body := pdu[headerLen:]
	switch h.ptype {
	case ptBind:
		if h.authLength != 0 {
			// We do no DCE/RPC-level authentication: the SMB session authenticates.
			c.queue(bindNak(h.callID, nakAuthType))
			return nil
		}
		if c.bound {
			c.queue(bindNak(h.callID, nakNotSpecified))
			return nil
		}
		return c.bind(h, body, false)
	case ptAlterContext:
		if !c.bound {
			c.queue(faultPDU(h.callID, 0, NCA_S_PROTO_ERROR))
			return nil
		}
		if h.authLength != 0 {
			c.queue(faultPDU(h.callID, 0, NCA_S_PROTO_ERROR))
			return nil
		}
		return c.bind(h, body, true)
	case ptRequest:
		return c.request(ctx, h, body)
	case ptAuth3, ptCoCancel:
		// No reply is due; we neither authenticate nor cancel a call that runs synchronously.
		return nil
	case ptOrphaned:
		if c.req != nil && c.req.callID == h.callID {
			c.dropReq()
		}
		return nil
	}
	return fmt.Errorf("%w: packet type %d from a client", ErrServerProtocol, h.ptype)
}

// ctxElem is one presentation context element of a bind or alter_context.
type ctxElem struct {
	id       uint16
	abstract SyntaxID
	transfer []SyntaxID
}

func readSyntax(b []byte) SyntaxID {
	var s SyntaxID
	// The wire order is the string order with the first three fields little-endian.
	s.UUID = UUID{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]}
	s.Major = binary.LittleEndian.Uint16(b[16:])
	s.Minor = binary.LittleEndian.Uint16(b[18:])
	return s
}

func parseContexts(body []byte) (xmit, recv uint16, group uint32, elems []ctxElem, err error) {
	short := fmt.Errorf("%w: bind of %d bytes is truncated", ErrServerProtocol, len(body))
	if len(body) < 12 {
		return 0, 0, 0, nil, short
	}
	xmit = binary.LittleEndian.Uint16(body[0:])
	recv = binary.LittleEndian.Uint16(body[2:])
	group = binary.LittleEndian.Uint32(body[4:])
	n := int(body[8])
	if n > MaxContexts {
		return 0, 0, 0, nil, fmt.Errorf("%w: bind offers %d presentation contexts, limit %d", ErrServerProtocol, n, MaxContexts)
	}
	off := 12
	for range n {
		if len(body) < off+4+20 {
			return 0, 0, 0, nil, short
		}
		e := ctxElem{id: binary.LittleEndian.Uint16(body[off:])}
		nts := int(body[off+2])
		e.abstract = readSyntax(body[off+4:])
		off += 24
		if len(body) < off+20*nts {
			return 0, 0, 0, nil, short
		}
		for range nts {
			e.transfer = append(e.transfer, readSyntax(body[off:]))
			off += 20
		}
		elems = append(elems, e)
	}
	return xmit, recv, group, elems, nil
}

// ctxResult is one entry of the bind_ack's result list.
type ctxResult struct {
	result, reason uint16
	transfer       SyntaxID
}

func isBTFN(s SyntaxID) (uint16, bool) {
	if [8]byte(s.UUID[:8]) != btfnPrefix {
		return 0, false
	}
	// The bits are the last 8 bytes, little-endian; the defined ones fit in the first two.
	return binary.LittleEndian.Uint16(s.UUID[8:]), true
}

func (c *ServerConn) findIface(s SyntaxID) *ServerInterface {
	for i := range c.ifaces {
		if c.ifaces[i].Syntax == s {
			return &c.ifaces[i]
		}
	}
	return nil
}

// bind answers a bind or an alter_context.
func (c *ServerConn) bind(h header, body []byte, alter bool) error {
	cxmit, crecv, group, elems, err := parseContexts(body)
	if err != nil {
		return err
	}
	// The transfer syntax chosen per interface, over all the contexts offering it: a Windows
	// server accepts NDR64 and refuses the NDR 2.0 context with reason 2 (capture A).
	chosen := map[*ServerInterface]SyntaxID{}
	for _, e := range elems {
		iface := c.findIface(e.abstract)
		if iface == nil {
			continue
		}
		for _, ts := range e.transfer {
			if ts != NDR20 && ts != NDR64 {
				continue
			}
			prev, ok := chosen[iface]
			if !ok || (prev != ts && (ts == NDR64) != c.lim.PreferNDR20) {
				chosen[iface] = ts
			}
		}
	}
	results := make([]ctxResult, 0, len(elems))
	accepted := map[uint16]presContext{}
	var endpoint string
	for _, e := range elems {
		r := ctxResult{result: resultProviderReject, reason: reasonTransferSyntax}
		iface := c.findIface(e.abstract)
		btfn := false
		for _, ts := range e.transfer {
			if bits, ok := isBTFN(ts); ok && !alter {
				r = ctxResult{result: resultNegotiateAck, reason: bits & supportedFeatures}
				c.features = bits & supportedFeatures
				btfn = true
				break
			}
		}
		switch {
		case btfn:
		case iface == nil:
			r.reason = reasonAbstractSyntax
		default:
			want := chosen[iface]
			for _, ts := range e.transfer {
				if ts == want {
					r = ctxResult{result: resultAcceptance, transfer: ts}
					accepted[e.id] = presContext{iface: iface, ndr64: ts == NDR64}
					if endpoint == "" {
						endpoint = iface.endpoint()
					}
					break
				}
			}
		}
		results = append(results, r)
	}
	if !alter && len(accepted) == 0 {
		c.queue(bindNak(h.callID, nakNotSpecified))
		return nil
	}
	if !alter {
		c.bound = true
		// Sizes: the smaller of both sides, never under MinFrag, which every peer must take.
		c.xmit = max(min(int(crecv), c.lim.MaxXmitFrag), MinFrag)
		c.recv = max(min(int(cxmit), c.lim.MaxRecvFrag), MinFrag)
		c.group = group
		if c.group == 0 {
			c.group = 0x10000 + assocGroups.Add(1)
		}
		c.contexts = map[uint16]presContext{}
	} else {
		// An alter_context answer carries no secondary address (C706 12.6.4.2).
		endpoint = ""
	}
	for id, pc := range accepted {
		if _, ok := c.contexts[id]; !ok && len(c.contexts) >= MaxContexts {
			return fmt.Errorf("%w: more than %d presentation contexts", ErrServerProtocol, MaxContexts)
		}
		c.contexts[id] = pc
	}
	ptype := byte(ptBindAck)
	if alter {
		ptype = ptAlterContextRe
	}
	b := appendHeader(nil, ptype, pfcFirstFrag|pfcLastFrag, h.callID)
	b = binary.LittleEndian.AppendUint16(b, uint16(c.xmit))
	b = binary.LittleEndian.AppendUint16(b, uint16(c.recv))
	b = binary.LittleEndian.AppendUint32(b, c.group)
	if endpoint == "" {
		b = binary.LittleEndian.AppendUint16(b, 0)
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(endpoint)+1))
		b = append(b, endpoint...)
		b = append(b, 0)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, byte(len(results)), 0, 0, 0)
	for _, r := range results {
		b = binary.LittleEndian.AppendUint16(b, r.result)
		b = binary.LittleEndian.AppendUint16(b, r.reason)
		if r.result == resultAcceptance {
			b = r.transfer.UUID.appendTo(b)
			b = binary.LittleEndian.AppendUint32(b, uint32(r.transfer.Major)|uint32(r.transfer.Minor)<<16)
		} else {
			b = append(b, make([]byte, 20)...)
		}
	}
	c.queue(finish(b))
	return nil
}

func bindNak(callID uint32, reason uint16) []byte {
	b := appendHeader(nil, ptBindNak, pfcFirstFrag|pfcLastFrag, callID)
	b = binary.LittleEndian.AppendUint16(b, reason)
	b = append(b, 1, 5, 0) // one supported protocol version: 5.0
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return finish(b)
}

func faultPDU(callID uint32, ctxID uint16, status uint32) []byte {
	b := appendHeader(nil, ptFault, pfcFirstFrag|pfcLastFrag|pfcDidNotExecute, callID)
	b = binary.LittleEndian.AppendUint32(b, 0) // alloc_hint
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = append(b, 0, 0) // cancel_count, reserved
	b = binary.LittleEndian.AppendUint32(b, status)
	b = binary.LittleEndian.AppendUint32(b, 0) // reserved
	return finish(b)
}

func (c *ServerConn) request(ctx context.Context, h header, body []byte) error {
	if len(body) < requestHeaderLen-headerLen {
		return fmt.Errorf("%w: request of %d bytes", ErrServerProtocol, len(body)+headerLen)
	}
	allocHint := binary.LittleEndian.Uint32(body[0:])
	ctxID := binary.LittleEndian.Uint16(body[4:])
	opnum := binary.LittleEndian.Uint16(body[6:])
	if h.authLength != 0 {
		// An auth trailer on an association that negotiated none: refused, not parsed.
		c.dropCall(h)
		c.queue(faultPDU(h.callID, ctxID, NCA_S_PROTO_ERROR))
		return nil
	}
	stub := body[8:]
	if h.flags&pfcObjectUUID != 0 {
		if len(stub) < 16 {
			return fmt.Errorf("%w: request with an object UUID flag and %d bytes", ErrServerProtocol, len(stub))
		}
		stub = stub[16:]
	}
	first, last := h.flags&pfcFirstFrag != 0, h.flags&pfcLastFrag != 0
	if c.discard != nil && *c.discard == h.callID && !first {
		if last {
			c.discard = nil
		}
		return nil
	}
	c.discard = nil
	if !c.bound {
		c.dropCall(h)
		c.queue(faultPDU(h.callID, ctxID, NCA_S_PROTO_ERROR))
		return nil
	}
	if first {
		if c.req != nil {
			// A new call before the last one's last fragment: the old one is abandoned.
			c.queue(faultPDU(c.req.callID, c.req.ctxID, NCA_S_PROTO_ERROR))
		}
		// (dropReq below releases its bytes.)
		c.dropReq()
		if why := c.fullErr(); why != nil {
			return c.refuseBusy(h, ctxID, why)
		}
		c.busyFaults = 0
		if int64(allocHint) > int64(c.lim.MaxRequest) {
			return c.refuseTooLarge(h, int64(allocHint))
		}
		c.req = &reassembly{callID: h.callID, ctxID: ctxID, opnum: opnum}
	} else if c.req == nil || c.req.callID != h.callID {
		c.dropCall(h)
		c.queue(faultPDU(h.callID, ctxID, NCA_S_PROTO_ERROR))
		return nil
	}
	r := c.req
	if len(r.stub)+len(stub) > c.lim.MaxRequest {
		c.dropReq()
		return c.refuseTooLarge(h, int64(len(r.stub)+len(stub)))
	}
	if !first && c.lim.Budget.Full() {
		// A long request whose fragments arrive while the budget is spent: refused like a new
		// one, so that reassembly cannot grow past the budget either.
		why := c.lim.Budget.fullErr()
		c.dropReq()
		return c.refuseBusy(h, r.ctxID, why)
	}
	r.stub = append(r.stub, stub...)
	c.chargeInput()
	if !last {
		return nil
	}
	c.req = nil
	defer c.chargeInput()
	pc, ok := c.contexts[r.ctxID]
	if !ok {
		c.queue(faultPDU(h.callID, r.ctxID, NCA_S_UNK_IF))
		return nil
	}
	resp, fault := pc.iface.Handler.Call(ctx, r.opnum, r.stub, pc.ndr64)
	if fault != 0 {
		c.queue(faultPDU(h.callID, r.ctxID, fault))
		return nil
	}
	c.queueResponse(h.callID, r.ctxID, resp)
	return nil
}

// dropCall makes the remaining fragments of the call h belongs to be ignored.
func (c *ServerConn) dropCall(h header) {
	if h.flags&pfcLastFrag == 0 {
		id := h.callID
		c.discard = &id
	}
}

func (c *ServerConn) queueResponse(callID uint32, ctxID uint16, stub []byte) {
	// Every fragment but the last carries a multiple of 8 stub bytes, so NDR alignment within a
	// fragment matches the stub's.
	chunk := (c.xmit - requestHeaderLen) &^ 7
	for off := 0; ; {
		end := min(off+chunk, len(stub))
		var flags byte
		if off == 0 {
			flags |= pfcFirstFrag
		}
		if end == len(stub) {
			flags |= pfcLastFrag
		}
		b := appendHeader(make([]byte, 0, requestHeaderLen+end-off), ptResponse, flags, callID)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)-off)) // alloc_hint
		b = binary.LittleEndian.AppendUint16(b, ctxID)
		b = append(b, 0, 0) // cancel_count, reserved
		b = append(b, stub[off:end]...)
		c.queue(finish(b))
		off = end
		if off == len(stub) {
			return
		}
	}
}

func (c *ServerConn) queue(pdu []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.out = append(c.out, pdu)
	c.pending += len(pdu)
	c.lim.Budget.add(len(pdu))
}

// Read copies queued response bytes in message mode: from the current fragment only. more is
// true when bytes of that fragment remain (SMB2 then answers STATUS_BUFFER_OVERFLOW). n == 0 and
// more == false: nothing is queued.
func (c *ServerConn) Read(p []byte) (n int, more bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.out) == 0 {
		return 0, false
	}
	m := c.out[0][c.outOff:]
	n = copy(p, m)
	c.pending -= n
	c.lim.Budget.add(-n)
	if n < len(m) {
		c.outOff += n
		return n, true
	}
	c.out[0] = nil
	c.out = c.out[1:]
	c.outOff = 0
	return n, false
}

// Pending is the number of response bytes queued.
func (c *ServerConn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending
}

// Negotiated reports the association's state after a bind: the fragment sizes we send and
// accept, and the bind-time features acknowledged. ok is false before a successful bind.
func (c *ServerConn) Negotiated() (xmit, recv int, features uint16, ok bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.xmit, c.recv, c.features, c.bound
}

// dropReq abandons the request being reassembled, if any, and releases its bytes.
func (c *ServerConn) dropReq() {
	c.req = nil
	c.chargeInput()
}

// chargeInput brings the budget's charge for the bytes held on the input side (a partial PDU,
// a request being reassembled) up to date.
func (c *ServerConn) chargeInput() {
	held := len(c.in)
	if c.req != nil {
		held += len(c.req.stub)
	}
	if c.closed0() {
		held = 0
	}
	c.lim.Budget.add(held - c.inCharged)
	c.inCharged = held
}

func (c *ServerConn) closed0() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// fullErr says why a new request would be refused now, or nil.
func (c *ServerConn) fullErr() error {
	c.mu.Lock()
	p := c.pending
	c.mu.Unlock()
	if p >= c.lim.MaxPending {
		return fmt.Errorf("%d response bytes of this pipe unread, limit %d", p, c.lim.MaxPending)
	}
	if err := c.lim.Budget.fullErr(); err != nil {
		return fmt.Errorf("shared budget spent: %w", err)
	}
	return nil
}

// Full reports whether a new request would be refused now (RPC_S_SERVER_TOO_BUSY): this
// pipe's unread responses are at MaxPending, or its Budget (or a parent) is spent. The SMB
// layer asks before passing on a WRITE, to refuse it whole.
func (c *ServerConn) Full() bool { return c.fullErr() != nil }

// refuseBusy answers a request with RPC_S_SERVER_TOO_BUSY (not executed) and drops the rest of
// its fragments; past maxBusyFaults in a row the pipe is closed.
func (c *ServerConn) refuseBusy(h header, ctxID uint16, why error) error {
	c.dropCall(h)
	if c.busyFaults >= maxBusyFaults {
		c.broken = fmt.Errorf("%w: %d requests refused in a row as RPC_S_SERVER_TOO_BUSY (1723) and the client reads nothing (%v)", ErrServerProtocol, c.busyFaults, why)
		return c.broken
	}
	c.busyFaults++
	if l := c.lim.Logger; l != nil {
		l.Debug("dcerpc: request refused with RPC_S_SERVER_TOO_BUSY (1723): answers unread", "call_id", h.callID, "why", why.Error())
	}
	c.queue(faultPDU(h.callID, ctxID, RPC_S_SERVER_TOO_BUSY))
	return nil
}

// refuseTooLarge refuses a request over MaxRequest as Samba does (librpc/rpc/dcesrv_core.c,
// dcesrv_process_ncacn_packet: a call whose alloc_hint or fragments pass
// max_total_request_size, 4 MiB, gets DCERPC_FAULT_ACCESS_DENIED and the connection is
// terminated at once). What a Samba client sees is the pipe closing under its next fragment
// (impacket: STATUS_PIPE_DISCONNECTED), never the fault, which goes with the closed pipe; so
// no fault is queued here: Write fails and the SMB layer closes the pipe. A client thus reads
// a transport failure on that pipe, not ERROR_ACCESS_DENIED, which no access check decided.
func (c *ServerConn) refuseTooLarge(h header, size int64) error {
	c.dropCall(h)
	if l := c.lim.Logger; l != nil {
		l.Warn("dcerpc: request over the size limit; closing the pipe, as Samba does",
			"call_id", h.callID, "bytes", size, "limit", c.lim.MaxRequest)
	}
	c.broken = fmt.Errorf("%w: a request of at least %d bytes exceeds the limit of %d; the pipe is closed, as Samba closes it", ErrServerProtocol, size, c.lim.MaxRequest)
	return c.broken
}

// Close drops whatever the association holds (unread responses, a partial request) and
// releases its charge to the Budget. Later Writes fail and Reads find nothing. The SMB layer
// calls it when the pipe is closed.
func (c *ServerConn) Close() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	c.closed = true
	c.lim.Budget.add(-c.pending)
	c.out, c.outOff, c.pending = nil, 0, 0
	c.mu.Unlock()
	c.in, c.req = nil, nil
	c.chargeInput()
	if c.broken == nil {
		c.broken = fmt.Errorf("%w: the pipe is closed", ErrServerProtocol)
	}
}
