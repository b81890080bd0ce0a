package smb2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrMalformed is wrapped by every decoding error: the bytes are not what the field sizes
// and offsets say.
var ErrMalformed = errors.New("smb2: malformed message")

// ErrFrameTooLarge is wrapped when a NetBIOS frame's length is over the reader's bound.
var ErrFrameTooLarge = errors.New("smb2: frame over the size limit")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// NetBIOS session service packet types (RFC 1002 4.3.1).
const (
	FrameMessage          byte = 0x00 // a session message: one SMB2 message (or compound)
	FrameSessionRequest   byte = 0x81 // sent on port 139 before any SMB
	FramePositiveResponse byte = 0x82 // the answer to a session request
	FrameNegativeResponse byte = 0x83
	FrameKeepAlive        byte = 0x85
)

// MaxFrameLength is the largest length a direct-TCP frame header can carry (24 bits).
const MaxFrameLength = 1<<24 - 1

// MaxSessionRequest bounds a NetBIOS session request: two encoded names of at most 255 bytes
// each (RFC 1002 4.3.2 says 68 in practice).
const MaxSessionRequest = 512

// ReadFrame reads one NetBIOS session service packet: its type and body. A body longer than
// max is not read: the error wraps ErrFrameTooLarge and the connection must be closed (the
// stream is out of step). For a session request the bound is MaxSessionRequest whatever max
// is. The body is read into buf when it fits, else into a new slice that grows with the bytes
// received (16 KiB ahead at most), allocated only once the length is within max.
func ReadFrame(r io.Reader, max int, buf []byte) (typ byte, body []byte, err error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	typ = h[0]
	// Direct TCP (port 445) uses the top byte as zero and 24 bits of length; NetBIOS uses 17
	// bits with a flags byte. A 24-bit length covers both for messages.
	n := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	limit := max
	if typ != FrameMessage {
		limit = MaxSessionRequest
	}
	if n > limit {
		return typ, nil, fmt.Errorf("%w: frame type 0x%02X of %d bytes, limit %d", ErrFrameTooLarge, typ, n, limit)
	}
	if n <= cap(buf) || n <= frameChunk {
		if n <= cap(buf) {
			body = buf[:n]
		} else {
			body = make([]byte, n)
		}
		if _, err := io.ReadFull(r, body); err != nil {
			return typ, nil, unexpected(err)
		}
		return typ, body, nil
	}
	// A large frame grows with the bytes that arrive, so a peer that claims a large length
	// and sends nothing holds no more than a chunk.
	body = make([]byte, 0, frameChunk)
	for len(body) < n {
		k := min(n-len(body), frameChunk)
		body = slices.Grow(body, k)
		m, err := io.ReadFull(r, body[len(body):len(body)+k])
		body = body[:len(body)+m]
		if err != nil {
			return typ, nil, unexpected(err)
		}
	}
	return typ, body, nil
}

// frameChunk is how much of a frame is allocated ahead of the bytes received.
const frameChunk = 16 << 10

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrameHeader appends a NetBIOS session message header for a body of n bytes.
func AppendFrameHeader(b []byte, typ byte, n int) []byte {
	return append(b, typ, byte(n>>16), byte(n>>8), byte(n))
}

// StartFrame appends a frame header with a zero length, to be set by FinishFrame once the
// message is encoded after it.
func StartFrame(b []byte) []byte { return append(b, 0, 0, 0, 0) }

// FinishFrame sets the length of the frame that starts at b[0].
func FinishFrame(b []byte) []byte {
	n := len(b) - 4
	b[0] = FrameMessage
	b[1], b[2], b[3] = byte(n>>16), byte(n>>8), byte(n)
	return b
}

// IsSMB1 reports whether msg starts with the SMB1 protocol identifier.
func IsSMB1(msg []byte) bool { return len(msg) >= 4 && string(msg[:4]) == "\xffSMB" }

// SMB1 NEGOTIATE (MS-CIFS 2.2.4.52): the dialect strings a client offers.
const smb1Negotiate = 0x72

// MaxSMB1Dialects bounds how many dialect strings ParseSMB1Negotiate returns.
const MaxSMB1Dialects = 64

// ParseSMB1Negotiate returns the dialect strings of an SMB1 NEGOTIATE request (without their
// 0x02 buffer format bytes). An SMB1 message that is not a NEGOTIATE is an error.
func ParseSMB1Negotiate(msg []byte) ([]string, error) {
	const hdr = 32
	if len(msg) < hdr+3 || !IsSMB1(msg) {
		return nil, malformed("SMB1 message of %d bytes", len(msg))
	}
	if msg[4] != smb1Negotiate {
		return nil, malformed("SMB1 command 0x%02X; only NEGOTIATE (0x72) is answered", msg[4])
	}
	wc := int(msg[hdr])
	off := hdr + 1 + 2*wc
	if off+2 > len(msg) {
		return nil, malformed("SMB1 NEGOTIATE word count %d past the message", wc)
	}
	bc := int(binary.LittleEndian.Uint16(msg[off:]))
	data := msg[off+2:]
	if bc < len(data) {
		data = data[:bc]
	}
	var out []string
	for len(data) > 0 && len(out) < MaxSMB1Dialects {
		if data[0] != 0x02 {
			return out, malformed("SMB1 NEGOTIATE dialect buffer format 0x%02X", data[0])
		}
		data = data[1:]
		i := 0
		for i < len(data) && data[i] != 0 {
			i++
		}
		out = append(out, string(data[:i]))
		if i < len(data) {
			i++
		}
		data = data[i:]
	}
	return out, nil
}
