// Package ntlmssp is an NTLMSSP acceptor (MS-NLMP): NEGOTIATE in, CHALLENGE out, AUTHENTICATE
// in, the identity and session key out. NTLMv2 only (an NTLMv1 response is a logon failure);
// randomness and time are injected so a CHALLENGE is reproducible in tests.
//
// Server runs one exchange and then offers the NTLM session security that SPNEGO needs for its
// mechListMIC (GSS_GetMIC / GSS_VerifyMIC with extended session security).
package ntlmssp

import (
	"errors"
	"io"
	"time"
)

// ErrLogonFailure is wrapped by every refused AUTHENTICATE (wrong password, unknown user,
// malformed message): the SMB server answers STATUS_LOGON_FAILURE.
var ErrLogonFailure = errors.New("ntlmssp: logon failure")

// ErrInvalidMessage is wrapped (together with ErrLogonFailure) when a message is malformed:
// too short, a wrong signature or type, or a field pointing outside the message.
var ErrInvalidMessage = errors.New("ntlmssp: invalid message")

// Config is the acceptor's configuration.
type Config struct {
	NetBIOSName string // the server's NetBIOS computer name (target info MsvAvNbComputerName)
	DomainName  string // NetBIOS domain name; the computer name when empty
	DNSName     string // optional DNS computer name
	// DNSDomainName is the optional DNS domain name (MsvAvDnsDomainName); DNSName when empty.
	DNSDomainName string
	// Lookup returns an account's NT hash (MD4 of the UTF-16LE password, see NTHash). Names are
	// matched case-insensitively by the caller's implementation.
	Lookup func(user, domain string) (ntHash []byte, ok bool)
	// GuestUnknownUsers accepts an unknown user as a guest (Samba's "map to guest = bad user"):
	// Result.Guest, no session key.
	GuestUnknownUsers bool
	Rand              io.Reader        // nil: crypto/rand
	Now               func() time.Time // nil: time.Now
}

// Result is an authenticated identity.
type Result struct {
	User, Domain, Workstation string
	Anonymous                 bool   // a null session: empty user name and responses
	Guest                     bool   // an unknown user accepted as guest
	SessionKey                []byte // the exported session key (16 bytes); nil for anonymous and guest
	// MIC reports that the AUTHENTICATE carried a verified message integrity code (MsvAvFlags
	// bit 0x2). SPNEGO must then exchange mechListMICs (MS-SPNG 3.1.5.1).
	MIC bool
	// Flags are the negotiate flags of the AUTHENTICATE message.
	Flags uint32
}
