// Package ntlmtest is an NTLMSSP initiator for tests of the acceptor and of the servers built on
// it: NTLMv2 with MIC and key exchange as Windows and Samba clients send it, plus the deviant
// forms (NTLMv1, anonymous, no MIC) a server must handle. Not for production use: it trusts the
// CHALLENGE it is given.
package ntlmtest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
)

// Client is one NTLMSSP exchange on the initiating side.
type Client struct {
	User, Domain, Password, Workstation string
	NTHash                              []byte // overrides Password when set

	Anonymous bool // a null session: no user, no responses
	NTLMv1    bool // send a 24-byte (NTLMv1-sized) NT response, which acceptors must refuse
	NoMIC     bool // leave out MsvAvFlags and the MIC
	NoKeyExch bool // do not ask for KEY_EXCH
	// CorruptMIC flips a bit of the MIC after computing it.
	CorruptMIC bool

	Rand io.Reader        // client challenge and random session key; nil: crypto/rand
	Now  func() time.Time // the blob's time stamp when the CHALLENGE has none; nil: time.Now

	negotiate, challenge []byte
	flags                uint32
	key                  []byte
	sec                  *ntlmssp.Security
}

// Negotiate returns the NEGOTIATE_MESSAGE.
func (c *Client) Negotiate() []byte {
	f := uint32(ntlmssp.FlagUnicode | ntlmssp.FlagRequestTarget | ntlmssp.FlagSign | ntlmssp.FlagNTLM |
		ntlmssp.FlagAlwaysSign | ntlmssp.FlagExtendedSessionSecurity | ntlmssp.FlagTargetInfo |
		ntlmssp.FlagVersion | ntlmssp.Flag128 | ntlmssp.Flag56 | ntlmssp.FlagKeyExch)
	if c.NoKeyExch {
		f &^= ntlmssp.FlagKeyExch
	}
	if c.Anonymous {
		f |= ntlmssp.FlagAnonymous
	}
	m := make([]byte, 40)
	copy(m, ntlmssp.Signature)
	binary.LittleEndian.PutUint32(m[8:], 1)
	binary.LittleEndian.PutUint32(m[12:], f)
	binary.LittleEndian.PutUint32(m[20:], 40)
	binary.LittleEndian.PutUint32(m[28:], 40)
	copy(m[32:], []byte{6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f})
	c.negotiate = m
	return append([]byte(nil), m...)
}

func (c *Client) rand(n int) ([]byte, error) {
	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

// Authenticate answers a CHALLENGE_MESSAGE with an AUTHENTICATE_MESSAGE.
func (c *Client) Authenticate(challenge []byte) ([]byte, error) {
	if len(challenge) < 48 || string(challenge[:8]) != ntlmssp.Signature || binary.LittleEndian.Uint32(challenge[8:]) != 2 {
		return nil, errors.New("ntlmtest: not a CHALLENGE_MESSAGE")
	}
	c.challenge = append([]byte(nil), challenge...)
	c.flags = binary.LittleEndian.Uint32(challenge[20:])
	serverChallenge := challenge[24:32]
	tl := int(binary.LittleEndian.Uint16(challenge[40:]))
	to := int(binary.LittleEndian.Uint32(challenge[44:]))
	if to+tl > len(challenge) {
		return nil, errors.New("ntlmtest: target info outside the CHALLENGE")
	}
	info := challenge[to : to+tl]

	var lm, nt, encKey []byte
	user, domain := c.User, c.Domain
	withMIC := false
	switch {
	case c.Anonymous:
		user, domain = "", ""
		lm = []byte{0}
	case c.NTLMv1:
		var err error
		if nt, err = c.rand(24); err != nil {
			return nil, err
		}
		lm = make([]byte, 24)
	default:
		ts, ok := av(info, 7)
		if !ok {
			now := time.Now
			if c.Now != nil {
				now = c.Now
			}
			ts = binary.LittleEndian.AppendUint64(nil, uint64(now().UnixNano()/100+116444736000000000))
		}
		cc, err := c.rand(8)
		if err != nil {
			return nil, err
		}
		pairs := stripEOL(info)
		if !c.NoMIC {
			pairs = appendAV(pairs, 6, binary.LittleEndian.AppendUint32(nil, 2))
			withMIC = true
		}
		pairs = appendAV(pairs, 0, nil)
		blob := []byte{1, 1, 0, 0, 0, 0, 0, 0}
		blob = append(blob, ts...)
		blob = append(blob, cc...)
		blob = append(blob, 0, 0, 0, 0)
		blob = append(blob, pairs...)
		blob = append(blob, 0, 0, 0, 0)
		hash := c.NTHash
		if hash == nil {
			hash = ntlmssp.NTHash(c.Password)
		}
		k := ntlmssp.NTOWFv2(hash, user, domain)
		proof := hmacMD5(k, serverChallenge, blob)
		nt = append(proof, blob...)
		lm = make([]byte, 24)
		c.key = hmacMD5(k, proof)
		if c.flags&ntlmssp.FlagKeyExch != 0 {
			rk, err := c.rand(16)
			if err != nil {
				return nil, err
			}
			encKey = make([]byte, 16)
			ciph, _ := rc4.NewCipher(c.key)
			ciph.XORKeyStream(encKey, rk)
			c.key = rk
		}
	}
	flags := c.flags
	if c.Anonymous {
		flags |= ntlmssp.FlagAnonymous
	}
	fields := [][]byte{lm, nt, utf16le(domain), utf16le(user), utf16le(c.Workstation), encKey}
	m := make([]byte, 88)
	copy(m, ntlmssp.Signature)
	binary.LittleEndian.PutUint32(m[8:], 3)
	off := 88
	for i, f := range fields {
		binary.LittleEndian.PutUint16(m[12+8*i:], uint16(len(f)))
		binary.LittleEndian.PutUint16(m[14+8*i:], uint16(len(f)))
		binary.LittleEndian.PutUint32(m[16+8*i:], uint32(off))
		off += len(f)
	}
	binary.LittleEndian.PutUint32(m[60:], flags)
	copy(m[64:], []byte{6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f})
	for _, f := range fields {
		m = append(m, f...)
	}
	if withMIC {
		mic := hmacMD5(c.key, c.negotiate, c.challenge, m)
		if c.CorruptMIC {
			mic[0] ^= 1
		}
		copy(m[72:88], mic)
	}
	if c.key != nil && !c.NTLMv1 {
		sec, err := ntlmssp.NewSecurity(c.key, flags, false)
		if err == nil {
			c.sec = sec
		}
	}
	return m, nil
}

// SessionKey is the exported session key after Authenticate (nil for anonymous and NTLMv1).
func (c *Client) SessionKey() []byte {
	if c.NTLMv1 {
		return nil
	}
	return c.key
}

// Security is the client's session security after Authenticate.
func (c *Client) Security() (*ntlmssp.Security, error) {
	if c.sec == nil {
		return nil, fmt.Errorf("ntlmtest: %w", ntlmssp.ErrNoSessionSecurity)
	}
	return c.sec, nil
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func av(info []byte, id uint16) ([]byte, bool) {
	for len(info) >= 4 {
		aid := binary.LittleEndian.Uint16(info)
		n := int(binary.LittleEndian.Uint16(info[2:]))
		if aid == 0 || 4+n > len(info) {
			return nil, false
		}
		if aid == id {
			return info[4 : 4+n], true
		}
		info = info[4+n:]
	}
	return nil, false
}

// stripEOL returns the AV pairs of info without the terminating MsvAvEOL.
func stripEOL(info []byte) []byte {
	var out []byte
	for len(info) >= 4 {
		aid := binary.LittleEndian.Uint16(info)
		n := int(binary.LittleEndian.Uint16(info[2:]))
		if aid == 0 || 4+n > len(info) {
			break
		}
		out = append(out, info[:4+n]...)
		info = info[4+n:]
	}
	return out
}

func appendAV(b []byte, id uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, id)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = binary.LittleEndian.AppendUint16(out, uint16(0xd800+(r>>10)))
			out = binary.LittleEndian.AppendUint16(out, uint16(0xdc00+(r&0x3ff)))
			continue
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(r))
	}
	return out
}
