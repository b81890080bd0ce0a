package spnego

import (
	"errors"
	"fmt"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
)

// ErrInvalidToken is wrapped (with ntlmssp.ErrLogonFailure) when a SPNEGO token does not decode.
var ErrInvalidToken = errors.New("spnego: invalid token")

// MaxTokenSize bounds a SESSION_SETUP security buffer accepted by Step. Windows clients send a
// few hundred bytes for NTLMSSP; Kerberos tickets they may put in an optimistic token are
// larger, hence the headroom.
const MaxTokenSize = 64 << 10

// maxElements bounds how many elements of a SEQUENCE (mechTypes, a token's fields) are walked.
const maxElements = 32

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ntlmssp.ErrLogonFailure, ErrInvalidToken, fmt.Sprintf(format, args...))
}

// tlv is one DER element: its tag byte, its content, and all of its bytes.
type tlv struct {
	tag  byte
	body []byte
	raw  []byte
}

// next reads one element from b. Only single-byte tags occur in SPNEGO; lengths are definite,
// at most four length bytes, and never past the end of b, so hostile input cannot make it read
// out of bounds or allocate.
func next(b []byte) (tlv, []byte, error) {
	if len(b) < 2 {
		return tlv{}, nil, bad("truncated element (%d bytes)", len(b))
	}
	tag := b[0]
	if tag&0x1f == 0x1f {
		return tlv{}, nil, bad("multi-byte tag 0x%02x", tag)
	}
	n, hl := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 {
			return tlv{}, nil, bad("length with %d length bytes", k)
		}
		if len(b) < 2+k {
			return tlv{}, nil, bad("truncated length")
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
			if n > len(b) { // also keeps n from overflowing on 32-bit platforms
				return tlv{}, nil, bad("element length past the end of the token")
			}
		}
		hl = 2 + k
	}
	if n > len(b)-hl {
		return tlv{}, nil, bad("element of %d bytes with only %d left", n, len(b)-hl)
	}
	return tlv{tag: tag, body: b[hl : hl+n], raw: b[:hl+n]}, b[hl+n:], nil
}

// expect reads one element and requires its tag.
func expect(b []byte, tag byte, what string) (tlv, []byte, error) {
	e, rest, err := next(b)
	if err != nil {
		return e, rest, fmt.Errorf("%s: %w", what, err)
	}
	if e.tag != tag {
		return e, rest, bad("%s: tag 0x%02x, want 0x%02x", what, e.tag, tag)
	}
	return e, rest, nil
}

// elements splits the content of a constructed element into its children.
func elements(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		if len(out) == maxElements {
			return nil, bad("more than %d elements", maxElements)
		}
		e, rest, err := next(b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		b = rest
	}
	return out, nil
}

// DER encoding.

func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	default:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}

func wrap(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := appendLen([]byte{tag}, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
