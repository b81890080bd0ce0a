package ntlmssp

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"
)

// Server is one NTLMSSP exchange on the accepting side: Challenge, then Authenticate, then
// (optionally) GetMIC / VerifyMIC. It is not safe for concurrent use.
type Server struct {
	cfg             Config
	negotiate       []byte // the client's NEGOTIATE as received, for the MIC
	challenge       []byte // our CHALLENGE as sent
	serverChallenge [8]byte
	flags           uint32 // what the CHALLENGE offered
	done            bool

	sec *Security // after a keyed logon with extended session security
}

// NewServer starts an exchange.
func NewServer(cfg Config) *Server { return &Server{cfg: cfg} }

// Challenge takes the client's NEGOTIATE_MESSAGE and returns the CHALLENGE_MESSAGE. Errors wrap
// ErrLogonFailure (and ErrInvalidMessage for a malformed message).
func (s *Server) Challenge(negotiate []byte) ([]byte, error) {
	if s.challenge != nil {
		return nil, fmt.Errorf("%w: a second NEGOTIATE in one exchange", ErrLogonFailure)
	}
	if err := checkHeader(negotiate, typeNegotiate, negotiateHeaderMin); err != nil {
		return nil, err
	}
	cf := binary.LittleEndian.Uint32(negotiate[12:])

	rnd := s.cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, s.serverChallenge[:]); err != nil {
		return nil, fmt.Errorf("%w: server challenge: %w", ErrLogonFailure, err)
	}
	now := time.Now
	if s.cfg.Now != nil {
		now = s.cfg.Now
	}

	// Offer what the client asked for, out of what we support (MS-NLMP 3.2.5.1.1).
	f := uint32(FlagNTLM | FlagTargetInfo)
	if cf&FlagUnicode != 0 {
		f |= FlagUnicode
	} else {
		f |= FlagOEM
	}
	f |= cf & (FlagRequestTarget | FlagSign | FlagSeal | FlagAlwaysSign | FlagKeyExch |
		Flag128 | Flag56 | FlagVersion | FlagExtendedSessionSecurity | FlagIdentify)
	if f&FlagExtendedSessionSecurity == 0 {
		f |= cf & FlagLMKey
	}
	nb := s.cfg.NetBIOSName
	dom := s.cfg.DomainName
	if dom == "" {
		dom = nb
	}
	target := nb
	if strings.EqualFold(dom, nb) {
		f |= FlagTargetTypeServer
	} else {
		f |= FlagTargetTypeDomain
		target = dom
	}
	s.flags = f

	enc := func(v string) []byte {
		if f&FlagUnicode != 0 {
			return utf16le(v)
		}
		return []byte(v)
	}
	var info []byte
	info = avPair(info, avNbDomainName, utf16le(dom))
	info = avPair(info, avNbComputerName, utf16le(nb))
	if s.cfg.DNSName != "" {
		dd := s.cfg.DNSDomainName
		if dd == "" {
			dd = s.cfg.DNSName
		}
		info = avPair(info, avDNSDomainName, utf16le(dd))
		info = avPair(info, avDNSComputerName, utf16le(s.cfg.DNSName))
	}
	info = avPair(info, avTimestamp, binary.LittleEndian.AppendUint64(nil, fileTime(now().UnixNano())))
	info = avPair(info, avEOL, nil)

	tn := enc(target)
	msg := make([]byte, challengeHeaderLen, challengeHeaderLen+len(tn)+len(info))
	copy(msg, Signature)
	binary.LittleEndian.PutUint32(msg[8:], typeChallenge)
	putField(msg[12:], len(tn), challengeHeaderLen)
	binary.LittleEndian.PutUint32(msg[20:], f)
	copy(msg[24:32], s.serverChallenge[:])
	putField(msg[40:], len(info), challengeHeaderLen+len(tn))
	if f&FlagVersion != 0 {
		copy(msg[48:56], serverVersion[:])
	}
	msg = append(msg, tn...)
	msg = append(msg, info...)

	s.negotiate = bytes.Clone(negotiate)
	s.challenge = msg
	return bytes.Clone(msg), nil
}

func putField(b []byte, n, off int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}

// Authenticate verifies the client's AUTHENTICATE_MESSAGE. Every refusal wraps ErrLogonFailure.
func (s *Server) Authenticate(auth []byte) (*Result, error) {
	if s.challenge == nil {
		return nil, fmt.Errorf("%w: AUTHENTICATE before CHALLENGE", ErrLogonFailure)
	}
	if s.done {
		return nil, fmt.Errorf("%w: a second AUTHENTICATE in one exchange", ErrLogonFailure)
	}
	s.done = true
	if err := checkHeader(auth, typeAuthenticate, authHeaderLen); err != nil {
		return nil, err
	}
	var fields [6][]byte
	for i, name := range [6]string{"LmChallengeResponse", "NtChallengeResponse", "DomainName", "UserName", "Workstation", "EncryptedRandomSessionKey"} {
		b, err := field(auth, 12+8*i, name)
		if err != nil {
			return nil, err
		}
		fields[i] = b
	}
	lm, nt, encKey := fields[0], fields[1], fields[5]
	flags := binary.LittleEndian.Uint32(auth[60:])
	unicode := flags&FlagUnicode != 0
	var strs [3]string
	for i, name := range [3]string{"DomainName", "UserName", "Workstation"} {
		v, err := decodeString(fields[2+i], unicode, name)
		if err != nil {
			return nil, err
		}
		strs[i] = v
	}
	res := &Result{Domain: strs[0], User: strs[1], Workstation: strs[2], Flags: flags}

	// Anonymous (MS-NLMP 3.3.2): no user, no NT response, an LM response empty or one zero byte.
	if res.User == "" && len(nt) == 0 && (len(lm) == 0 || (len(lm) == 1 && lm[0] == 0)) {
		res.Anonymous = true
		return res, nil
	}
	if res.User == "" {
		return nil, fmt.Errorf("%w: empty user name with a challenge response", ErrLogonFailure)
	}

	var hash []byte
	ok := false
	if s.cfg.Lookup != nil {
		hash, ok = s.cfg.Lookup(res.User, res.Domain)
	}
	if !ok {
		if s.cfg.GuestUnknownUsers {
			res.Guest = true
			return res, nil
		}
		return nil, fmt.Errorf("%w: unknown user %q (domain %q)", ErrLogonFailure, res.User, res.Domain)
	}
	switch {
	case len(nt) == 24:
		return nil, fmt.Errorf("%w: user %q sent an NTLMv1 response; only NTLMv2 is accepted", ErrLogonFailure, res.User)
	case len(nt) < 16+ntlmv2BlobMin:
		return nil, fmt.Errorf("%w: user %q: NT response of %d bytes is not an NTLMv2 response (at least %d)", ErrLogonFailure, res.User, len(nt), 16+ntlmv2BlobMin)
	}
	proof, blob := nt[:16], nt[16:]

	// The client computed NTOWFv2 with the domain it sent; Windows and Samba also accept a
	// local account's response computed with an empty domain or the server's own names.
	var key []byte
	for _, d := range uniqueStrings(res.Domain, "", s.cfg.DomainName, s.cfg.NetBIOSName) {
		k := NTOWFv2(hash, res.User, d)
		if subtle.ConstantTimeCompare(ntProofStr(k, s.serverChallenge[:], blob), proof) == 1 {
			key = k
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%w: user %q: wrong password (NTLMv2 proof does not match)", ErrLogonFailure, res.User)
	}
	sessionBaseKey := hmacMD5(key, proof)
	exported := sessionBaseKey // NTLMv2: KeyExchangeKey = SessionBaseKey
	if flags&FlagKeyExch != 0 && s.flags&FlagKeyExch != 0 {
		if len(encKey) != 16 {
			return nil, invalid("KEY_EXCH with an EncryptedRandomSessionKey of %d bytes, want 16", len(encKey))
		}
		exported = make([]byte, 16)
		c, _ := rc4.NewCipher(sessionBaseKey)
		c.XORKeyStream(exported, encKey)
	}

	v, ok, err := findAV(blob[ntlmv2BlobMin:], avFlags)
	if err != nil {
		return nil, err
	}
	if ok && len(v) == 4 && binary.LittleEndian.Uint32(v)&avFlagMIC != 0 {
		if len(auth) < authMICEnd {
			return nil, invalid("MsvAvFlags says MIC present but the message is only %d bytes", len(auth))
		}
		zeroed := bytes.Clone(auth)
		clear(zeroed[authMICOffset:authMICEnd])
		h := hmac.New(md5.New, exported)
		h.Write(s.negotiate)
		h.Write(s.challenge)
		h.Write(zeroed)
		if !hmac.Equal(h.Sum(nil), auth[authMICOffset:authMICEnd]) {
			return nil, fmt.Errorf("%w: user %q: MIC does not match", ErrLogonFailure, res.User)
		}
		res.MIC = true
	}
	res.SessionKey = exported
	s.sec, _ = NewSecurity(exported, flags&s.flags, true)
	return res, nil
}

func uniqueStrings(v ...string) []string {
	out := v[:0:0]
	for _, s := range v {
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// NTOWFv2 is MS-NLMP 3.3.2's NTOWFv2: HMAC_MD5(NT hash, UTF-16LE(Uppercase(user) + domain)).
func NTOWFv2(ntHash []byte, user, domain string) []byte {
	return hmacMD5(ntHash, utf16le(strings.ToUpper(user)+domain))
}

// ntProofStr is HMAC_MD5(ResponseKeyNT, ServerChallenge || blob).
func ntProofStr(key, serverChallenge, blob []byte) []byte {
	h := hmac.New(md5.New, key)
	h.Write(serverChallenge)
	h.Write(blob)
	return h.Sum(nil)
}

func hmacMD5(key, msg []byte) []byte {
	h := hmac.New(md5.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// Security is the session security of the finished exchange (nil before, and after an
// anonymous or guest logon or one without extended session security).
func (s *Server) Security() *Security { return s.sec }

// GetMIC signs msg from server to client (GSS_GetMIC), see Security.GetMIC.
func (s *Server) GetMIC(msg []byte) ([]byte, error) {
	if s.sec == nil {
		return nil, ErrNoSessionSecurity
	}
	return s.sec.GetMIC(msg), nil
}

// VerifyMIC checks the client's signature of msg (GSS_VerifyMIC), see Security.VerifyMIC.
func (s *Server) VerifyMIC(msg, sig []byte) error {
	if s.sec == nil {
		return ErrNoSessionSecurity
	}
	return s.sec.VerifyMIC(msg, sig)
}
