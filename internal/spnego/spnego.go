// Package spnego wraps the NTLMSSP acceptor in SPNEGO (RFC 4178) as SMB2 SESSION_SETUP carries
// it, and accepts raw NTLMSSP too. (CONTRACT: being implemented.)
package spnego

import (
	"errors"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
)

// InitialToken is the security buffer of the SMB2 NEGOTIATE response: a NegTokenInit2 that
// offers NTLMSSP only.
func InitialToken() []byte { return nil }

// Acceptor runs one SESSION_SETUP exchange.
type Acceptor struct{ cfg ntlmssp.Config }

// NewAcceptor starts an exchange.
func NewAcceptor(cfg ntlmssp.Config) *Acceptor { return &Acceptor{cfg: cfg} }

// Step takes a SESSION_SETUP request's security buffer and returns the response's. done is
// true when the exchange is over: then res is the identity (err nil), or err says why the logon
// failed (errors.Is(err, ntlmssp.ErrLogonFailure)). While !done the SMB server answers
// STATUS_MORE_PROCESSING_REQUIRED with out.
func (a *Acceptor) Step(in []byte) (out []byte, done bool, res *ntlmssp.Result, err error) {
	return nil, true, nil, errors.New("spnego: not written yet")
}
