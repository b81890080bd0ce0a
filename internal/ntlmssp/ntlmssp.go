// Package ntlmssp is an NTLMSSP acceptor (MS-NLMP): NEGOTIATE in, CHALLENGE out, AUTHENTICATE
// in, the identity and session key out. NTLMv2 only; randomness and time injected.
// (CONTRACT: being implemented.)
package ntlmssp

import (
	"errors"
	"io"
	"time"
)

// ErrLogonFailure is wrapped by every refused AUTHENTICATE (wrong password, unknown user,
// malformed message): the SMB server answers STATUS_LOGON_FAILURE.
var ErrLogonFailure = errors.New("ntlmssp: logon failure")

// Config is the acceptor's configuration.
type Config struct {
	NetBIOSName string // the server's NetBIOS computer name (target info MsvAvNbComputerName)
	DomainName  string // NetBIOS domain name; the computer name when empty
	DNSName     string // optional DNS computer name
	// Lookup returns an account's NT hash (MD4 of the UTF-16LE password). Names are matched
	// case-insensitively by the caller's implementation.
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
}
