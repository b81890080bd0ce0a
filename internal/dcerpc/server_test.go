package dcerpc_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// echoHandler answers opnum 12 with the opnum and the stub (and the syntax as one byte), every
// other opnum with nca_s_op_rng_error.
type echoHandler struct{ calls int }

func (h *echoHandler) Call(_ context.Context, opnum uint16, stub []byte, ndr64 bool) ([]byte, uint32) {
	h.calls++
	if opnum != 12 {
		return nil, uint32(sessionapi.NCA_S_OP_RNG_ERROR)
	}
	out := binary.LittleEndian.AppendUint16(nil, opnum)
	if ndr64 {
		out = append(out, 64)
	} else {
		out = append(out, 32)
	}
	return append(out, stub...), 0
}

// serverPipe makes a ServerConn look like a message-mode pipe to the client: a Write is one
// message, a Read returns one fragment. It records the fragment sizes in both directions.
type serverPipe struct {
	sc       *dcerpc.ServerConn
	in, out  []int
	overflow bool
}

func (p *serverPipe) Write(b []byte) (int, error) {
	p.in = append(p.in, len(b))
	if err := p.sc.Write(context.Background(), b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p *serverPipe) Read(b []byte) (int, error) {
	n, more := p.sc.Read(b)
	if more {
		p.overflow = true
		return 0, errors.New("serverPipe: STATUS_BUFFER_OVERFLOW")
	}
	if n == 0 {
		return 0, errors.New("serverPipe: read with nothing queued")
	}
	p.out = append(p.out, n)
	return n, nil
}

func newServer(h dcerpc.Handler, lim dcerpc.ServerLimits) *serverPipe {
	return &serverPipe{sc: dcerpc.NewServerConn([]dcerpc.ServerInterface{{Syntax: srvsvcIface, Handler: h, Endpoint: `\PIPE\srvsvc`}}, lim)}
}

func TestServerWithClientFragmentsBothWays(t *testing.T) {
	h := &echoHandler{}
	p := newServer(h, dcerpc.ServerLimits{MaxXmitFrag: dcerpc.MinFrag, MaxRecvFrag: dcerpc.MinFrag})
	c, err := dcerpc.Bind(p, srvsvcIface, dcerpc.DefaultFrag)
	require.NoError(t, err)
	assert.Equal(t, dcerpc.MinFrag, c.XmitFrag(), "the client sends no more than the server accepts")
	stub := make([]byte, 10_000)
	for i := range stub {
		stub[i] = byte(i * 7)
	}
	got, err := c.Call(12, stub)
	require.NoError(t, err)
	assert.Equal(t, append([]byte{12, 0, 32}, stub...), got)
	assert.Greater(t, len(p.in), 7, "request fragments")
	assert.Greater(t, len(p.out), 8, "response fragments")
	for i, n := range p.out {
		assert.LessOrEqual(t, n, dcerpc.MinFrag, "response fragment %d", i)
	}
	for i, n := range p.in {
		assert.LessOrEqual(t, n, dcerpc.MinFrag, "request fragment %d", i)
	}

	// An unknown opnum is a fault, and the association stays usable.
	_, err = c.Call(99, []byte{1, 2, 3})
	var fe *dcerpc.FaultError
	require.ErrorAs(t, err, &fe)
	assert.ErrorIs(t, err, sessionapi.NCA_S_OP_RNG_ERROR)
	got, err = c.Call(12, nil)
	require.NoError(t, err)
	assert.Equal(t, []byte{12, 0, 32}, got)
	assert.Equal(t, 0, p.sc.Pending())
}

func TestServerNegotiatesTheSmallerFragment(t *testing.T) {
	for _, tc := range []struct{ client, server, want int }{
		{dcerpc.DefaultFrag, 0, dcerpc.DefaultFrag},
		{5840, 0, dcerpc.DefaultFrag},
		{2000, 0, 2000},
		{64, 0, dcerpc.MinFrag}, // never under MinFrag, which every peer must take
		{dcerpc.DefaultFrag, 3000, 3000},
	} {
		t.Run(fmt.Sprint(tc.client, "-", tc.server), func(t *testing.T) {
			p := newServer(&echoHandler{}, dcerpc.ServerLimits{MaxXmitFrag: tc.server, MaxRecvFrag: tc.server})
			_, err := dcerpc.Bind(p, srvsvcIface, tc.client)
			require.NoError(t, err)
			xmit, recv, _, ok := p.sc.Negotiated()
			require.True(t, ok)
			assert.Equal(t, tc.want, xmit, "max_xmit_frag")
			assert.Equal(t, tc.want, recv, "max_recv_frag")
		})
	}
}

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "windows", name))
	require.NoError(t, err)
	out, err := hex.DecodeString(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return out
}

// bindAck is a bind_ack or alter_context_resp, decoded field by field.
type bindAck struct {
	ptype      byte
	callID     uint32
	xmit, recv uint16
	secondary  string
	results    []ackResult
}

type ackResult struct {
	Result, Reason uint16
	Transfer       string // the 20 bytes of transfer syntax and version, in hex
}

func parseAck(t *testing.T, b []byte) bindAck {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 28)
	require.Equal(t, int(binary.LittleEndian.Uint16(b[8:])), len(b), "frag_length")
	a := bindAck{ptype: b[2], callID: binary.LittleEndian.Uint32(b[12:]),
		xmit: binary.LittleEndian.Uint16(b[16:]), recv: binary.LittleEndian.Uint16(b[18:])}
	n := int(binary.LittleEndian.Uint16(b[24:]))
	require.GreaterOrEqual(t, len(b), 26+n)
	a.secondary = string(b[26 : 26+n])
	off := 26 + n
	off += (4 - off%4) % 4
	require.GreaterOrEqual(t, len(b), off+4)
	count := int(b[off])
	off += 4
	require.Equal(t, len(b), off+24*count, "results fill the PDU")
	for range count {
		a.results = append(a.results, ackResult{binary.LittleEndian.Uint16(b[off:]), binary.LittleEndian.Uint16(b[off+2:]), hex.EncodeToString(b[off+4 : off+24])})
		off += 24
	}
	return a
}

// TestServerAnswersWindowsBind feeds the bind of a Windows 10 client (capture A, frame 552:
// OTRF/Security-Datasets, MIT; see testdata/windows/README.md) and checks the bind_ack against
// what the Windows Server 2019 DC answered (frame 555), field by field.
func TestServerAnswersWindowsBind(t *testing.T) {
	want := parseAck(t, readHex(t, "mordor_f555_bind_ack_dcerpc_pdu.hex"))
	require.Len(t, want.results, 3, "capture A's bind_ack")

	p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
	require.NoError(t, p.sc.Write(context.Background(), readHex(t, "mordor_f552_bind_dcerpc_pdu.hex")))
	buf := make([]byte, 1024)
	n, more := p.sc.Read(buf)
	require.False(t, more)
	got := parseAck(t, buf[:n])
	assert.Equal(t, byte(12), got.ptype, "bind_ack")
	assert.Equal(t, want.callID, got.callID)
	assert.Equal(t, want.secondary, got.secondary, "secondary address")
	assert.Equal(t, "\\PIPE\\srvsvc\x00", got.secondary)
	assert.Equal(t, want.results, got.results, "results: NDR 2.0 refused (2, reason 2), NDR64 accepted, BTFN acknowledged (3, 0x0003)")
	assert.Equal(t, want.xmit, got.xmit, "max_xmit_frag (our default is Windows' 4280)")
	assert.Equal(t, want.recv, got.recv, "max_recv_frag")
	_, _, features, ok := p.sc.Negotiated()
	assert.True(t, ok)
	assert.Equal(t, uint16(3), features)
	// Apart from the association group (Windows' 0x7aee, ours our own), the bytes are Windows'.
	wantB, gotB := readHex(t, "mordor_f555_bind_ack_dcerpc_pdu.hex"), buf[:n]
	copy(gotB[20:24], wantB[20:24])
	assert.Equal(t, hex.EncodeToString(wantB), hex.EncodeToString(gotB))

	// Capture A's request (frame 556) on context 1 reaches the handler as NDR64.
	req := readHex(t, "mordor_f556_NetrSessionEnum_req_dcerpc_pdu.hex")
	require.NoError(t, p.sc.Write(context.Background(), req))
	n, more = p.sc.Read(buf)
	require.False(t, more)
	require.Equal(t, byte(2), buf[2], "response")
	assert.Equal(t, []byte{12, 0, 64}, buf[24:27], "opnum 12, NDR64")
	assert.Equal(t, req[24:], buf[27:n], "the stub reached the handler whole")
}

func TestServerPrefersNDR20WhenAsked(t *testing.T) {
	p := newServer(&echoHandler{}, dcerpc.ServerLimits{PreferNDR20: true})
	require.NoError(t, p.sc.Write(context.Background(), readHex(t, "mordor_f552_bind_dcerpc_pdu.hex")))
	buf := make([]byte, 1024)
	n, _ := p.sc.Read(buf)
	got := parseAck(t, buf[:n])
	require.Len(t, got.results, 3)
	assert.Equal(t, ackResult{0, 0, "045d888aeb1cc9119fe808002b10486002000000"}, got.results[0], "NDR 2.0 accepted")
	assert.Equal(t, uint16(2), got.results[1].Result)
	assert.Equal(t, uint16(2), got.results[1].Reason, "NDR64 refused: transfer syntax not supported")
	assert.Equal(t, uint16(3), got.results[2].Result)
}

// pdu builds a client PDU.
func pdu(ptype, flags byte, callID uint32, body []byte) []byte {
	b := []byte{5, 0, ptype, flags, 0x10, 0, 0, 0, 0, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, callID)
	b = append(b, body...)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

func syntaxBytes(s dcerpc.SyntaxID) []byte {
	u := s.UUID
	b := []byte{u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6]}
	b = append(b, u[8:]...)
	b = binary.LittleEndian.AppendUint16(b, s.Major)
	return binary.LittleEndian.AppendUint16(b, s.Minor)
}

type offer struct {
	id       uint16
	abstract dcerpc.SyntaxID
	transfer []dcerpc.SyntaxID
}

func bindBody(offers ...offer) []byte {
	b := []byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, byte(len(offers)), 0, 0, 0}
	for _, o := range offers {
		b = binary.LittleEndian.AppendUint16(b, o.id)
		b = append(b, byte(len(o.transfer)), 0)
		b = append(b, syntaxBytes(o.abstract)...)
		for _, ts := range o.transfer {
			b = append(b, syntaxBytes(ts)...)
		}
	}
	return b
}

func request(callID uint32, ctxID, opnum uint16, flags byte, stub []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(stub)))
	b = binary.LittleEndian.AppendUint16(b, ctxID)
	b = binary.LittleEndian.AppendUint16(b, opnum)
	return pdu(0, flags, callID, append(b, stub...))
}

// exchange writes b and returns the PDUs queued in answer.
func exchange(t *testing.T, sc *dcerpc.ServerConn, b []byte) [][]byte {
	t.Helper()
	require.NoError(t, sc.Write(context.Background(), b))
	var out [][]byte
	for {
		buf := make([]byte, 0xFFFF)
		n, more := sc.Read(buf)
		require.False(t, more)
		if n == 0 {
			return out
		}
		out = append(out, buf[:n])
	}
}

func faultStatus(t *testing.T, b []byte) uint32 {
	t.Helper()
	require.Equal(t, byte(3), b[2], "fault PDU, got packet type %d", b[2])
	require.Len(t, b, 32)
	return binary.LittleEndian.Uint32(b[24:])
}

var other = dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"), Major: 1}

func TestServerFaultsAndRefusals(t *testing.T) {
	ndr20 := dcerpc.NDR20
	t.Run("request-before-bind", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		out := exchange(t, p.sc, request(1, 0, 12, 3, nil))
		require.Len(t, out, 1)
		assert.Equal(t, dcerpc.NCA_S_PROTO_ERROR, faultStatus(t, out[0]))
	})
	t.Run("no-acceptable-context", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		out := exchange(t, p.sc, pdu(11, 3, 1, bindBody(offer{0, other, []dcerpc.SyntaxID{ndr20}})))
		require.Len(t, out, 1)
		assert.Equal(t, byte(13), out[0][2], "bind_nak")
		_, err := dcerpc.Bind(p, srvsvcIface, 0)
		require.NoError(t, err, "a later good bind is accepted")
	})
	t.Run("unknown-interface-beside-a-known-one", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		out := exchange(t, p.sc, pdu(11, 3, 1, bindBody(offer{0, other, []dcerpc.SyntaxID{ndr20}},
			offer{1, srvsvcIface, []dcerpc.SyntaxID{other}}, offer{2, srvsvcIface, []dcerpc.SyntaxID{other, ndr20}})))
		require.Len(t, out, 1)
		a := parseAck(t, out[0])
		require.Len(t, a.results, 3)
		assert.Equal(t, [2]uint16{2, 1}, [2]uint16{a.results[0].Result, a.results[0].Reason}, "abstract syntax not supported")
		assert.Equal(t, [2]uint16{2, 2}, [2]uint16{a.results[1].Result, a.results[1].Reason}, "transfer syntaxes not supported")
		assert.Equal(t, uint16(0), a.results[2].Result)
		// A call on the refused context, and on one never offered.
		out = exchange(t, p.sc, request(2, 1, 12, 3, nil))
		assert.Equal(t, dcerpc.NCA_S_UNK_IF, faultStatus(t, out[0]))
		out = exchange(t, p.sc, request(3, 9, 12, 3, nil))
		assert.Equal(t, dcerpc.NCA_S_UNK_IF, faultStatus(t, out[0]))
		out = exchange(t, p.sc, request(4, 2, 12, 3, []byte{7}))
		assert.Equal(t, []byte{12, 0, 32, 7}, out[0][24:])
	})
	t.Run("auth", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		b := pdu(11, 3, 1, append(bindBody(offer{0, srvsvcIface, []dcerpc.SyntaxID{ndr20}}), make([]byte, 8+16)...))
		binary.LittleEndian.PutUint16(b[10:], 16)
		out := exchange(t, p.sc, b)
		require.Len(t, out, 1)
		assert.Equal(t, byte(13), out[0][2], "bind_nak")
		assert.Equal(t, uint16(8), binary.LittleEndian.Uint16(out[0][16:]), "authentication type not recognized")
	})
	t.Run("second-bind", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		_, err := dcerpc.Bind(p, srvsvcIface, 0)
		require.NoError(t, err)
		out := exchange(t, p.sc, pdu(11, 3, 5, bindBody(offer{0, srvsvcIface, []dcerpc.SyntaxID{ndr20}})))
		assert.Equal(t, byte(13), out[0][2], "bind_nak")
	})
	t.Run("too-large-request", func(t *testing.T) {
		// As Samba: the pipe is closed (Write fails), no fault to read.
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{MaxRequest: 2000})
		c, err := dcerpc.Bind(p, srvsvcIface, 0)
		require.NoError(t, err)
		got, err := c.Call(12, make([]byte, 2000))
		require.NoError(t, err, "a request of exactly MaxRequest 2000 bytes")
		assert.Len(t, got, 2003)
		_, err = c.Call(12, make([]byte, 2001))
		assert.ErrorIs(t, err, dcerpc.ErrProtocol, "a request of 2001 bytes with MaxRequest 2000")
		assert.NotErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED, "no access check refused it")
		err = p.sc.Write(context.Background(), request(9, 0, 12, 3, []byte{1}))
		assert.ErrorIs(t, err, dcerpc.ErrProtocol, "a request on the pipe after the refusal")
		assert.Zero(t, p.sc.Pending())

		// The same limit by fragments whose alloc_hint lies: three 1,000-byte fragments.
		p = newServer(&echoHandler{}, dcerpc.ServerLimits{MaxRequest: 2000})
		_, err = dcerpc.Bind(p, srvsvcIface, 0)
		require.NoError(t, err)
		exchange(t, p.sc, request(7, 0, 12, 1, make([]byte, 1000)))
		exchange(t, p.sc, request(7, 0, 12, 0, make([]byte, 1000)))
		err = p.sc.Write(context.Background(), request(7, 0, 12, 0, make([]byte, 1000)))
		assert.ErrorIs(t, err, dcerpc.ErrProtocol, "the fragment that passes MaxRequest")
		assert.Zero(t, p.sc.Pending())
	})
	t.Run("continuation-without-first", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		_, err := dcerpc.Bind(p, srvsvcIface, 0)
		require.NoError(t, err)
		out := exchange(t, p.sc, request(3, 0, 12, 2, nil))
		assert.Equal(t, dcerpc.NCA_S_PROTO_ERROR, faultStatus(t, out[0]))
	})
	t.Run("oversized-fragment", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		b := request(1, 0, 12, 3, make([]byte, dcerpc.DefaultFrag))
		err := p.sc.Write(context.Background(), b)
		assert.ErrorIs(t, err, dcerpc.ErrProtocol)
	})
	t.Run("bad-version", func(t *testing.T) {
		p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
		b := request(1, 0, 12, 3, nil)
		b[0] = 4
		assert.ErrorIs(t, p.sc.Write(context.Background(), b), dcerpc.ErrProtocol)
	})
}

func TestServerAlterContext(t *testing.T) {
	p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
	_, err := dcerpc.Bind(p, srvsvcIface, 0)
	require.NoError(t, err)
	out := exchange(t, p.sc, pdu(14, 3, 2, bindBody(offer{1, srvsvcIface, []dcerpc.SyntaxID{dcerpc.NDR64}})))
	require.Len(t, out, 1)
	a := parseAck(t, out[0])
	assert.Equal(t, byte(15), a.ptype, "alter_context_resp")
	assert.Equal(t, "", a.secondary, "no secondary address in alter_context_resp")
	require.Len(t, a.results, 1)
	assert.Equal(t, uint16(0), a.results[0].Result)
	out = exchange(t, p.sc, request(3, 1, 12, 3, []byte{1}))
	assert.Equal(t, []byte{12, 0, 64, 1}, out[0][24:], "NDR64 on the altered context")
	out = exchange(t, p.sc, request(4, 0, 12, 3, []byte{1}))
	assert.Equal(t, []byte{12, 0, 32, 1}, out[0][24:], "NDR 2.0 on the bound one")
}

func TestServerReadIsMessageMode(t *testing.T) {
	p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
	_, err := dcerpc.Bind(p, srvsvcIface, 0)
	require.NoError(t, err)
	// Two requests in one write, the second split over two writes.
	a, b := request(2, 0, 12, 3, []byte("first")), request(3, 0, 12, 3, []byte("second"))
	require.NoError(t, p.sc.Write(context.Background(), append(a, b[:5]...)))
	require.NoError(t, p.sc.Write(context.Background(), b[5:]))
	want1, want2 := 24+3+5, 24+3+6
	assert.Equal(t, want1+want2, p.sc.Pending())
	buf := make([]byte, 10)
	n, more := p.sc.Read(buf)
	assert.Equal(t, 10, n)
	assert.True(t, more, "the first fragment goes on")
	big := make([]byte, 100)
	n, more = p.sc.Read(big)
	assert.Equal(t, want1-10, n, "the rest of the first fragment only")
	assert.False(t, more)
	assert.Equal(t, "first", string(big[n-5:n]))
	n, more = p.sc.Read(big)
	assert.Equal(t, want2, n)
	assert.False(t, more)
	n, more = p.sc.Read(big)
	assert.Equal(t, 0, n)
	assert.False(t, more)
}

func TestServerRefusesAClientThatDoesNotRead(t *testing.T) {
	p := newServer(&echoHandler{}, dcerpc.ServerLimits{MaxPending: 5000})
	_, err := dcerpc.Bind(p, srvsvcIface, 0)
	require.NoError(t, err)
	// Two 3,000-byte echoes are admitted (the second while 3,027 bytes are unread); the
	// third and later are refused with RPC_S_SERVER_TOO_BUSY, not run.
	for i := uint32(2); i < 6; i++ {
		require.NoError(t, p.sc.Write(context.Background(), request(i, 0, 12, 3, make([]byte, 3000))), "request %d", i)
	}
	assert.Equal(t, 2*3027+2*32, p.sc.Pending(), "two echoes and two faults unread")
	assert.True(t, p.sc.Full())
	var statuses []uint32
	for {
		buf := make([]byte, 0xFFFF)
		n, _ := p.sc.Read(buf)
		if n == 0 {
			break
		}
		if buf[2] == 3 {
			statuses = append(statuses, faultStatus(t, buf[:n]))
		}
	}
	assert.Equal(t, []uint32{dcerpc.RPC_S_SERVER_TOO_BUSY, dcerpc.RPC_S_SERVER_TOO_BUSY}, statuses)
	assert.False(t, p.sc.Full(), "after reading")
	out := exchange(t, p.sc, request(9, 0, 12, 3, []byte{1}))
	require.Len(t, out, 1)
	assert.Equal(t, byte(2), out[0][2], "a response once the answers are read")

	// A client that never reads: refused requests cost a 32-byte fault each, up to a bound,
	// then the pipe is closed.
	var werr error
	n := 0
	for ; n < 100_000 && werr == nil; n++ {
		werr = p.sc.Write(context.Background(), request(uint32(10+n), 0, 12, 3, make([]byte, 3000)))
	}
	require.ErrorIs(t, werr, dcerpc.ErrProtocol, "after %d requests never read", n)
	assert.LessOrEqual(t, p.sc.Pending(), 5000+3100+300*32, "bytes queued for a client that never reads")
}

func TestServerBudgetIsShared(t *testing.T) {
	server := dcerpc.NewBudget(1<<20, nil)
	conn := dcerpc.NewBudget(10_000, server)
	lim := dcerpc.ServerLimits{Budget: conn, MaxPending: 1 << 20}
	a, b := newServer(&echoHandler{}, lim), newServer(&echoHandler{}, lim)
	for _, p := range []*serverPipe{a, b} {
		_, err := dcerpc.Bind(p, srvsvcIface, 0)
		require.NoError(t, err)
		p.sc.Read(make([]byte, 0)) // nothing: the bind_ack was read by Bind
	}
	require.Zero(t, conn.Used(), "after the binds were read")
	// Four 3,000-byte echoes on a fill the connection's 10,000 bytes.
	for i := uint32(2); i < 6; i++ {
		require.NoError(t, a.sc.Write(context.Background(), request(i, 0, 12, 3, make([]byte, 3000))))
	}
	assert.Equal(t, int64(a.sc.Pending()), conn.Used(), "the connection budget holds pipe a's unread bytes")
	assert.Equal(t, conn.Used(), server.Used(), "and so does the server's")
	assert.True(t, b.sc.Full(), "pipe b with nothing unread, on a connection whose budget is spent")
	out := exchange(t, b.sc, request(2, 0, 12, 3, []byte{1}))
	require.Len(t, out, 1)
	assert.Equal(t, dcerpc.RPC_S_SERVER_TOO_BUSY, faultStatus(t, out[0]), "a request on pipe b")
	// A long request on b being reassembled counts too.
	a.sc.Close()
	assert.Zero(t, conn.Used(), "Close releases pipe a's bytes")
	exchange(t, b.sc, request(3, 0, 12, 1, make([]byte, 1000)))
	assert.Equal(t, int64(1000), conn.Used(), "a request being reassembled")
	out = exchange(t, b.sc, request(3, 0, 12, 2, make([]byte, 1000)))
	require.Len(t, out, 1)
	assert.Zero(t, conn.Used(), "after the call and its answer")
	assert.Zero(t, server.Used())
	assert.ErrorIs(t, a.sc.Write(context.Background(), request(9, 0, 12, 3, nil)), dcerpc.ErrProtocol, "a Write after Close")
}

// FuzzServerConn feeds arbitrary bytes, after capture A's bind, in arbitrary pieces: never a
// panic, and what is queued stays bounded. Run with
// go test ./internal/dcerpc -fuzz FuzzServerConn -fuzztime 20s -fuzzminimizetime 5s
func FuzzServerConn(f *testing.F) {
	f.Add(readHex(f, "mordor_f556_NetrSessionEnum_req_dcerpc_pdu.hex"), uint8(7))
	f.Add(pdu(14, 3, 2, bindBody(offer{1, srvsvcIface, []dcerpc.SyntaxID{dcerpc.NDR64}})), uint8(0))
	f.Add(append(request(2, 1, 12, 1, make([]byte, 100)), request(2, 1, 12, 2, make([]byte, 100))...), uint8(50))
	f.Add(pdu(11, 3, 1, bindBody(offer{0, srvsvcIface, []dcerpc.SyntaxID{dcerpc.NDR20}})), uint8(3))
	bind := readHex(f, "mordor_f552_bind_dcerpc_pdu.hex")
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		sc := dcerpc.NewServerConn([]dcerpc.ServerInterface{{Syntax: srvsvcIface, Handler: &echoHandler{}}}, dcerpc.ServerLimits{})
		if chunk%2 == 0 {
			require.NoError(t, sc.Write(context.Background(), bind))
		}
		step := int(chunk) + 1
		buf := make([]byte, 0xFFFF)
		for len(b) > 0 {
			n := min(step, len(b))
			err := sc.Write(context.Background(), b[:n])
			b = b[n:]
			for {
				m, more := sc.Read(buf)
				if m == 0 && !more {
					break
				}
				require.LessOrEqual(t, m, dcerpc.DefaultFrag)
			}
			if err != nil {
				return
			}
		}
	})
}

func TestServerRefusesAuthOnRequests(t *testing.T) {
	p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
	_, err := dcerpc.Bind(p, srvsvcIface, 0)
	require.NoError(t, err)
	b := request(2, 0, 12, 3, make([]byte, 8+16))
	binary.LittleEndian.PutUint16(b[10:], 16)
	out := exchange(t, p.sc, b)
	require.Len(t, out, 1)
	assert.Equal(t, dcerpc.NCA_S_PROTO_ERROR, faultStatus(t, out[0]))
	// An auth_length beyond the fragment is not a fault but a broken PDU.
	binary.LittleEndian.PutUint16(b[10:], 40)
	assert.ErrorIs(t, p.sc.Write(context.Background(), b), dcerpc.ErrProtocol)
}

// TestServerReadWhileWriting: the SMB layer may READ on one request while a WRITE is being
// processed on another (go test -race).
func TestServerReadWhileWriting(t *testing.T) {
	p := newServer(&echoHandler{}, dcerpc.ServerLimits{})
	_, err := dcerpc.Bind(p, srvsvcIface, 0)
	require.NoError(t, err)
	const calls = 200
	done := make(chan int)
	go func() {
		got, buf := 0, make([]byte, 7)
		for got < calls {
			n, more := p.sc.Read(buf)
			if n == 0 {
				continue
			}
			if !more {
				got++
			}
		}
		done <- got
	}()
	for i := range calls {
		require.NoError(t, p.sc.Write(context.Background(), request(uint32(i+2), 0, 12, 3, []byte("x"))))
	}
	assert.Equal(t, calls, <-done)
	assert.Zero(t, p.sc.Pending())
}
