package dcerpc_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/rpctest"
	"github.com/sessionsim/sessionsim/sessionapi"
)

var srvsvcIface = dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Major: 3}

func echo(opnum uint16, stub []byte) ([]byte, uint32) {
	out := binary.LittleEndian.AppendUint16(nil, opnum)
	return append(out, stub...), 0
}

// recorder keeps what is written and answers nothing.
type recorder struct{ bytes.Buffer }

func (r *recorder) Read([]byte) (int, error) { return 0, errors.New("recorder: no reply") }

func TestUUIDWire(t *testing.T) {
	var r recorder
	_, err := dcerpc.Bind(&r, srvsvcIface, 0)
	// Nothing answers, so Bind fails, but the bind PDU is there to check: the interface UUID
	// at offset 32, its first three fields little-endian.
	require.Error(t, err)
	pdu := r.Bytes()
	require.GreaterOrEqual(t, len(pdu), 72)
	assert.Equal(t, []byte{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88}, pdu[32:48])
	assert.Equal(t, []byte{3, 0, 0, 0}, pdu[48:52], "interface version 3.0")
	assert.Equal(t, []byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}, pdu[52:68])
	assert.Equal(t, []byte{2, 0, 0, 0}, pdu[68:72], "NDR version 2")
	assert.Equal(t, 72, int(binary.LittleEndian.Uint16(pdu[8:])), "frag_length")
}

func TestCallFragmentsBothWays(t *testing.T) {
	for _, mode := range []struct {
		name  string
		chunk int
	}{{"message", 0}, {"byte-7", 7}, {"byte-5000", 5000}} {
		t.Run(mode.name, func(t *testing.T) {
			s := &rpctest.Server{Handler: echo, Frag: 100, ReadChunk: mode.chunk}
			c, err := dcerpc.Bind(s, srvsvcIface, 64)
			require.NoError(t, err)
			assert.Equal(t, 64, c.XmitFrag())
			stub := make([]byte, 1000)
			for i := range stub {
				stub[i] = byte(i * 7)
			}
			got, err := c.Call(12, stub)
			require.NoError(t, err)
			assert.Equal(t, append([]byte{12, 0}, stub...), got)
			// 1000 bytes in 40-byte chunks, 1002 back in 76-byte chunks.
			assert.Equal(t, 25, s.Fragments)
			assert.Equal(t, 64, s.MaxInFrag)
			assert.Equal(t, 14, s.RespFragments)
			// A second call on the same association works too (call ids advance).
			got, err = c.Call(13, []byte{1, 2, 3})
			require.NoError(t, err)
			assert.Equal(t, []byte{13, 0, 1, 2, 3}, got)
		})
	}
}

func TestXmitFragIsServerRecvLimit(t *testing.T) {
	s := &rpctest.Server{Handler: echo, Frag: 1432}
	c, err := dcerpc.Bind(s, srvsvcIface, 4280)
	require.NoError(t, err)
	assert.Equal(t, 1432, c.XmitFrag())
	_, err = c.Call(12, make([]byte, 3000))
	require.NoError(t, err)
	assert.Equal(t, 3, s.Fragments)
	assert.LessOrEqual(t, s.MaxInFrag, 1432)
}

func TestFault(t *testing.T) {
	s := &rpctest.Server{Handler: func(uint16, []byte) ([]byte, uint32) {
		return nil, uint32(sessionapi.NCA_S_OP_RNG_ERROR)
	}}
	c, err := dcerpc.Bind(s, srvsvcIface, 0)
	require.NoError(t, err)
	_, err = c.Call(13, nil)
	require.ErrorIs(t, err, sessionapi.NCA_S_OP_RNG_ERROR)
	var fe *dcerpc.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "DCE/RPC fault NCA_S_OP_RNG_ERROR (0x1C010002)", err.Error())
}

func TestBindNak(t *testing.T) {
	reason := uint16(4)
	_, err := dcerpc.Bind(&rpctest.Server{NakReason: &reason}, srvsvcIface, 0)
	var be *dcerpc.BindError
	require.ErrorAs(t, err, &be)
	assert.True(t, be.Nak)
	assert.Equal(t, "dcerpc: bind refused (bind_nak, reason 4: protocol version not supported)", err.Error())
}

func TestBindContextRejected(t *testing.T) {
	_, err := dcerpc.Bind(&rpctest.Server{RejectContext: true}, srvsvcIface, 0)
	var be *dcerpc.BindError
	require.ErrorAs(t, err, &be)
	assert.False(t, be.Nak)
	assert.Contains(t, err.Error(), "abstract syntax not supported")
}

func TestMalformedReplies(t *testing.T) {
	good := func() (*rpctest.Server, *dcerpc.Conn) {
		s := &rpctest.Server{Handler: func(uint16, []byte) ([]byte, uint32) { return nil, 0 }}
		c, err := dcerpc.Bind(s, srvsvcIface, 0)
		require.NoError(t, err)
		return s, c
	}
	resp := func(callID uint32, flags byte, fragLen uint16, body []byte) []byte {
		b := []byte{5, 0, 2, flags, 0x10, 0, 0, 0}
		b = binary.LittleEndian.AppendUint16(b, fragLen)
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, callID)
		return append(b, body...)
	}
	cases := map[string][]byte{
		"wrong call id":      resp(99, 3, 24, make([]byte, 8)),
		"short header":       {5, 0, 2},
		"frag shorter":       resp(2, 3, 4, make([]byte, 8)),
		"big-endian":         append([]byte{5, 0, 2, 3, 0, 0, 0, 0, 24, 0, 0, 0, 2, 0, 0, 0}, make([]byte, 8)...),
		"continuation first": resp(2, 2, 24, make([]byte, 8)),
		"version 4":          append([]byte{4, 0, 2, 3, 0x10, 0, 0, 0, 24, 0, 0, 0, 2, 0, 0, 0}, make([]byte, 8)...),
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			s, c := good()
			// Answer the call with the malformed reply instead of the handler's: the handler's
			// reply is queued after it and never read.
			s.Inject(reply)
			_, err := c.Call(12, nil)
			require.Error(t, err)
			require.ErrorIs(t, err, dcerpc.ErrProtocol)
		})
	}
}

// FuzzCallReply feeds arbitrary bytes as the reply to a request on a bound association (in
// message and byte mode): the client must return a response or an error, never panic or
// allocate without bound.
func FuzzCallReply(f *testing.F) {
	// Seeds (call id 2: the first call after the bind): a one-fragment response, a fault,
	// and a two-fragment response.
	single := []byte{5, 0, 2, 3, 0x10, 0, 0, 0, 28, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	fault := []byte{5, 0, 3, 3, 0x10, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x1c, 0, 0, 0, 0}
	first := []byte{5, 0, 2, 1, 0x10, 0, 0, 0, 26, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 2}
	last := []byte{5, 0, 2, 2, 0x10, 0, 0, 0, 26, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 4}
	f.Add(single, false)
	f.Add(fault, true)
	f.Add(append(append([]byte{}, first...), last...), true)
	f.Fuzz(func(t *testing.T, reply []byte, byteMode bool) {
		chunk := 0
		if byteMode {
			chunk = 5
		}
		s := &rpctest.Server{Handler: func(uint16, []byte) ([]byte, uint32) { return nil, 0 }, ReadChunk: chunk}
		c, err := dcerpc.Bind(s, srvsvcIface, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The fuzzed reply comes first; an empty read after it ends the call with an error.
		s.Inject(reply)
		got, err := c.Call(12, nil)
		if err == nil && len(got) > len(reply) {
			t.Fatalf("a %d-byte reply gave a %d-byte stub", len(reply), len(got))
		}
	})
}
