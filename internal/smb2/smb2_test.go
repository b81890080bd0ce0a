package smb2

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{CreditCharge: 1, Status: StatusBufferOverflow, Command: Read, Credits: 31, Flags: FlagResponse | FlagSigned,
		NextCommand: 0, MessageID: 0x0102030405060708, ProcessID: 0xFEFF, TreeID: 5, SessionID: 0x400000000001}
	copy(h.Signature[:], "0123456789abcdef")
	b := AppendHeader(nil, &h)
	require.Len(t, b, HeaderSize)
	got, err := ParseHeader(b)
	require.NoError(t, err)
	assert.Equal(t, h, got)
	a := h
	a.Flags |= FlagAsync
	a.AsyncID, a.ProcessID, a.TreeID = 99, 0, 0
	got, err = ParseHeader(AppendHeader(nil, &a))
	require.NoError(t, err)
	assert.Equal(t, a, got, "async header")
}

func TestParseHeaderRejects(t *testing.T) {
	good := AppendHeader(nil, &Header{Command: Echo})
	for name, b := range map[string][]byte{
		"short":          good[:63],
		"SMB1":           append([]byte("\xffSMB"), good[4:]...),
		"structure size": append(append(append([]byte{}, good[:4]...), 63, 0), good[6:]...),
	} {
		_, err := ParseHeader(b)
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

// A NEGOTIATE request as go-smb2 sends it for 2.1 and 2.0.2, then re-encoded by field.
func TestNegotiateRequest(t *testing.T) {
	body := []byte{36, 0, 2, 0, 1, 0, 0, 0, 0x7f, 0, 0, 0}
	body = append(body, bytes.Repeat([]byte{0xAB}, 16)...)
	body = append(body, make([]byte, 8)...)
	body = append(body, 0x10, 0x02, 0x02, 0x02)
	msg := append(AppendHeader(nil, &Header{Command: Negotiate}), body...)
	r, err := ParseNegotiateRequest(msg)
	require.NoError(t, err)
	assert.Equal(t, []uint16{Dialect210, Dialect202}, r.Dialects)
	assert.Equal(t, SigningEnabled, r.SecurityMode)
	assert.Equal(t, uint32(0x7f), r.Capabilities)
	assert.Equal(t, bytes.Repeat([]byte{0xAB}, 16), r.ClientGUID[:])
	_, err = ParseNegotiateRequest(msg[:len(msg)-1])
	assert.ErrorIs(t, err, ErrMalformed, "a dialect cut short")
}

// The Windows Server NEGOTIATE answer to SMB2 wildcard (shared/evidence/windows, capture A,
// frame 514) has the layout AppendNegotiateResponse writes: check the offsets of ours.
func TestNegotiateResponseLayout(t *testing.T) {
	tok := []byte{0x60, 0x01, 0x02}
	b := AppendNegotiateResponse(nil, &NegotiateResponse{SecurityMode: 1, Dialect: Dialect210, MaxReadSize: 65536, SecurityBuffer: tok})
	assert.Equal(t, uint16(65), binary.LittleEndian.Uint16(b))
	assert.Equal(t, uint16(HeaderSize+64), binary.LittleEndian.Uint16(b[56:]), "security buffer offset")
	assert.Equal(t, uint16(3), binary.LittleEndian.Uint16(b[58:]))
	assert.Equal(t, tok, b[64:])
	win, _ := hex.DecodeString("41000300ff020000bba90fbc9f54c347afd4c84e84db0fd00700000000008000000080000000800079b7fc5bb490d6010000000000000000800078")
	assert.Equal(t, binary.LittleEndian.Uint16(win[56:]), binary.LittleEndian.Uint16(b[56:]), "security buffer offset as Windows")
}

func TestSessionSetupRequest(t *testing.T) {
	tok := []byte("NTLMSSP\x00token")
	body := []byte{25, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, HeaderSize + 24, 0, byte(len(tok)), 0}
	body = append(body, make([]byte, 8)...)
	msg := append(append(AppendHeader(nil, &Header{Command: SessionSetup}), body...), tok...)
	r, err := ParseSessionSetupRequest(msg)
	require.NoError(t, err)
	assert.Equal(t, tok, r.SecurityBuffer)
	// An offset into the header, and a length past the end.
	bad := bytes.Clone(msg)
	bad[HeaderSize+12] = 10
	_, err = ParseSessionSetupRequest(bad)
	assert.ErrorIs(t, err, ErrMalformed)
	bad = bytes.Clone(msg)
	bad[HeaderSize+14] = 0xFF
	_, err = ParseSessionSetupRequest(bad)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestSignVerify(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	msg := append(AppendHeader(nil, &Header{Command: Echo, MessageID: 3, SessionID: 9}), 4, 0, 0, 0)
	Sign(key, msg)
	assert.NotZero(t, binary.LittleEndian.Uint32(msg[16:])&FlagSigned)
	assert.True(t, Verify(key, msg))
	msg[HeaderSize] ^= 1
	assert.False(t, Verify(key, msg), "a changed body")
	msg[HeaderSize] ^= 1
	assert.False(t, Verify(bytes.Repeat([]byte{8}, 16), msg), "another key")
	assert.False(t, Verify(key, msg[:10]), "a short message")
}

func TestSplitCompound(t *testing.T) {
	a := append(AppendHeader(nil, &Header{Command: Create, NextCommand: 72}), make([]byte, 8)...)
	b := append(AppendHeader(nil, &Header{Command: Close}), make([]byte, 24)...)
	parts, err := SplitCompound(append(a, b...), 4)
	require.NoError(t, err)
	require.Len(t, parts, 2)
	assert.Equal(t, a, parts[0])
	assert.Equal(t, b, parts[1])
	_, err = SplitCompound(append(a, b...), 1)
	assert.ErrorIs(t, err, ErrMalformed, "over the command limit")
	loop := AppendHeader(nil, &Header{Command: Echo, NextCommand: 64})
	_, err = SplitCompound(bytes.Repeat(loop, 3), 16)
	assert.ErrorIs(t, err, ErrMalformed, "the last part claims a next one")
}

func TestReadFrame(t *testing.T) {
	in := append(AppendFrameHeader(nil, FrameMessage, 3), 1, 2, 3)
	typ, body, err := ReadFrame(bytes.NewReader(in), 16, nil)
	require.NoError(t, err)
	assert.Equal(t, FrameMessage, typ)
	assert.Equal(t, []byte{1, 2, 3}, body)
	_, _, err = ReadFrame(bytes.NewReader(AppendFrameHeader(nil, FrameMessage, 17)), 16, nil)
	assert.ErrorIs(t, err, ErrFrameTooLarge)
	_, _, err = ReadFrame(bytes.NewReader(in[:5]), 16, nil)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "a body cut short")
	_, _, err = ReadFrame(bytes.NewReader(AppendFrameHeader(nil, FrameSessionRequest, MaxSessionRequest+1)), 1<<20, nil)
	assert.ErrorIs(t, err, ErrFrameTooLarge, "a session request has its own bound")
}

func TestParseSMB1Negotiate(t *testing.T) {
	m := append([]byte("\xffSMB\x72"), make([]byte, 27)...)
	m = append(m, 0)
	data := []byte("\x02NT LM 0.12\x00\x02SMB 2.002\x00\x02SMB 2.???\x00")
	m = binary.LittleEndian.AppendUint16(m, uint16(len(data)))
	m = append(m, data...)
	d, err := ParseSMB1Negotiate(m)
	require.NoError(t, err)
	assert.Equal(t, []string{"NT LM 0.12", "SMB 2.002", "SMB 2.???"}, d)
	m[4] = 0x73
	_, err = ParseSMB1Negotiate(m)
	assert.ErrorIs(t, err, ErrMalformed, "SESSION_SETUP_ANDX")
}

func TestStatusString(t *testing.T) {
	assert.Equal(t, "STATUS_LOGON_FAILURE (0xC000006D)", StatusLogonFailure.String())
	assert.Equal(t, "NTSTATUS 0xC0001234", Status(0xC0001234).String())
	assert.True(t, StatusLogonFailure.IsError())
	assert.False(t, StatusBufferOverflow.IsError())
	var err error = StatusAccessDenied
	assert.True(t, errors.Is(err, StatusAccessDenied))
}

// A large frame is read whole however it arrives, and a claimed length with nothing behind it
// costs one chunk.
func TestReadFrameLarge(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	in := append(AppendFrameHeader(nil, FrameMessage, len(data)), data...)
	_, body, err := ReadFrame(iotestOneByte(bytes.NewReader(in)), 1<<20, nil)
	require.NoError(t, err)
	assert.Equal(t, data, body)
	claim := bytes.NewReader(AppendFrameHeader(nil, FrameMessage, 1<<20-1))
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, _, err = ReadFrame(claim, 1<<20, nil)
	runtime.ReadMemStats(&m1)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(64<<10), "bytes allocated for a 1 MiB claim with no body")
}

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func iotestOneByte(r io.Reader) io.Reader { return oneByte{r} }
