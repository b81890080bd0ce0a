package ntlmssp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrNoSessionSecurity is returned when there are no keys to sign with: the exchange has not
// finished, it was anonymous or guest, or extended session security was not negotiated.
var ErrNoSessionSecurity = errors.New("ntlmssp: no session security")

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE.
const SignatureSize = 16

const (
	magicClientSign = "session key to client-to-server signing key magic constant\x00"
	magicServerSign = "session key to server-to-client signing key magic constant\x00"
	magicClientSeal = "session key to client-to-server sealing key magic constant\x00"
	magicServerSeal = "session key to server-to-client sealing key magic constant\x00"
)

// Security is NTLM session security with extended session security (MS-NLMP 3.4): message
// signatures both ways, each direction with its own key, RC4 handle and sequence number. Only
// signing is offered (SPNEGO's mechListMIC needs nothing else). Not safe for concurrent use.
type Security struct {
	flags           uint32
	outSign, inSign []byte
	outSeal, inSeal *rc4.Cipher
	outSeq, inSeq   uint32
}

// NewSecurity derives the keys (MS-NLMP 3.4.5.2, 3.4.5.3) from the exported session key and
// the negotiated flags; acceptor selects the server's side. It fails without extended session
// security, whose absence no NTLMv2 client chooses.
func NewSecurity(exportedSessionKey []byte, flags uint32, acceptor bool) (*Security, error) {
	if flags&FlagExtendedSessionSecurity == 0 {
		return nil, fmt.Errorf("%w: extended session security not negotiated", ErrNoSessionSecurity)
	}
	if len(exportedSessionKey) != 16 {
		return nil, fmt.Errorf("%w: session key of %d bytes, want 16", ErrNoSessionSecurity, len(exportedSessionKey))
	}
	key := exportedSessionKey
	sk := key
	switch {
	case flags&Flag128 != 0:
	case flags&Flag56 != 0:
		sk = key[:7]
	default:
		sk = key[:5]
	}
	cs := md5Of(key, []byte(magicClientSign))
	ss := md5Of(key, []byte(magicServerSign))
	cseal, _ := rc4.NewCipher(md5Of(sk, []byte(magicClientSeal)))
	sseal, _ := rc4.NewCipher(md5Of(sk, []byte(magicServerSeal)))
	s := &Security{flags: flags}
	if acceptor {
		s.outSign, s.inSign, s.outSeal, s.inSeal = ss, cs, sseal, cseal
	} else {
		s.outSign, s.inSign, s.outSeal, s.inSeal = cs, ss, cseal, sseal
	}
	return s, nil
}

func md5Of(parts ...[]byte) []byte {
	h := md5.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// signature computes an NTLMSSP_MESSAGE_SIGNATURE with extended session security
// (MS-NLMP 3.4.4.2): version 1, the first 8 bytes of HMAC_MD5(key, seq || msg), RC4-encrypted
// with the direction's handle when KEY_EXCH was negotiated, and seq.
func signature(signKey []byte, seal *rc4.Cipher, seq, flags uint32, msg []byte) []byte {
	h := hmac.New(md5.New, signKey)
	h.Write(binary.LittleEndian.AppendUint32(nil, seq))
	h.Write(msg)
	mac := h.Sum(nil)[:8]
	if flags&FlagKeyExch != 0 {
		seal.XORKeyStream(mac, mac)
	}
	out := binary.LittleEndian.AppendUint32(make([]byte, 0, SignatureSize), 1)
	out = append(out, mac...)
	return binary.LittleEndian.AppendUint32(out, seq)
}

// GetMIC signs msg for the peer (GSS_GetMIC). Each call consumes one sequence number.
func (s *Security) GetMIC(msg []byte) []byte {
	sig := signature(s.outSign, s.outSeal, s.outSeq, s.flags, msg)
	s.outSeq++
	return sig
}

// VerifyMIC checks the peer's signature of msg (GSS_VerifyMIC). Each call consumes one
// sequence number, as the peer's signing did. A mismatch wraps ErrLogonFailure.
func (s *Security) VerifyMIC(msg, sig []byte) error {
	want := signature(s.inSign, s.inSeal, s.inSeq, s.flags, msg)
	s.inSeq++
	if !hmac.Equal(want, sig) {
		return fmt.Errorf("%w: message signature does not match", ErrLogonFailure)
	}
	return nil
}
