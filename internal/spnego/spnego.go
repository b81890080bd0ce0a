// Package spnego wraps the NTLMSSP acceptor in SPNEGO (RFC 4178, with Microsoft's NegTokenInit2
// of MS-SPNG) as SMB2 SESSION_SETUP carries it, and accepts raw NTLMSSP too.
//
// Only NTLMSSP is offered. A client that prefers another mechanism (Kerberos) but lists
// NTLMSSP is answered with NTLMSSP and request-mic, and then must send a mechListMIC. When the
// NTLMSSP exchange carried a MIC, mechListMICs are exchanged both ways as Windows and Samba
// require (MS-SPNG 3.1.5.1).
//
// InitialToken, NewAcceptor and Acceptor.Step are a cross-helper contract (CONTRACT): the SMB2
// server's NEGOTIATE and SESSION_SETUP code against them.
package spnego

import (
	"bytes"
	"fmt"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
)

// DER encodings of the object identifiers involved, tag and length included.
var (
	oidSPNEGO  = []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}                         // 1.3.6.1.5.5.2
	oidNTLMSSP = []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a} // 1.3.6.1.4.1.311.2.2.10
)

// NegHint is the negHints hintName of the NegTokenInit2 that Windows and Samba servers send.
const NegHint = "not_defined_in_RFC4178@please_ignore"

// negState values (RFC 4178 4.2.2).
const (
	acceptCompleted  = 0
	acceptIncomplete = 1
	reject           = 2
	requestMIC       = 3
)

// InitialToken is the security buffer of the SMB2 NEGOTIATE response: a NegTokenInit2 that
// offers NTLMSSP only, with the negHints Windows and Samba send.
func InitialToken() []byte {
	mechs := wrap(0xa0, wrap(0x30, oidNTLMSSP))
	hints := wrap(0xa3, wrap(0x30, wrap(0xa0, wrap(0x1b, []byte(NegHint)))))
	return wrap(0x60, oidSPNEGO, wrap(0xa0, wrap(0x30, mechs, hints)))
}

type state int

const (
	stateStart         state = iota
	stateNeedNegotiate       // we chose NTLMSSP without a NEGOTIATE in hand
	stateNeedAuth            // CHALLENGE sent
	stateDone
)

// Acceptor runs one SESSION_SETUP exchange.
type Acceptor struct {
	cfg        ntlmssp.Config
	srv        *ntlmssp.Server
	st         state
	raw        bool   // raw NTLMSSP, no SPNEGO
	mechTypes  []byte // the client's MechTypeList DER, which mechListMICs sign
	requestMIC bool   // NTLMSSP was not the client's first choice: its mechListMIC is required
}

// NewAcceptor starts an exchange.
func NewAcceptor(cfg ntlmssp.Config) *Acceptor {
	return &Acceptor{cfg: cfg, srv: ntlmssp.NewServer(cfg)}
}

// Step takes a SESSION_SETUP request's security buffer and returns the response's. done is
// true when the exchange is over: then res is the identity (err nil), or err says why the logon
// failed (errors.Is(err, ntlmssp.ErrLogonFailure)). While !done the SMB server answers
// STATUS_MORE_PROCESSING_REQUIRED with out.
//
// On failure of a SPNEGO exchange out is a negTokenResp with negState reject, which a server may
// send; Windows sends an empty buffer with STATUS_LOGON_FAILURE.
func (a *Acceptor) Step(in []byte) (out []byte, done bool, res *ntlmssp.Result, err error) {
	out, res, err = a.step(in)
	if err != nil {
		a.st = stateDone
		if a.raw {
			return nil, true, nil, err
		}
		return rejectToken(), true, nil, err
	}
	return out, a.st == stateDone, res, nil
}

func (a *Acceptor) step(in []byte) ([]byte, *ntlmssp.Result, error) {
	if len(in) > MaxTokenSize {
		return nil, nil, bad("token of %d bytes exceeds MaxTokenSize (%d)", len(in), MaxTokenSize)
	}
	switch a.st {
	case stateStart:
		if bytes.HasPrefix(in, []byte(ntlmssp.Signature)) {
			a.raw = true
			ch, err := a.srv.Challenge(in)
			if err != nil {
				return nil, nil, err
			}
			a.st = stateNeedAuth
			return ch, nil, nil
		}
		return a.init(in)
	case stateNeedNegotiate:
		t, err := parseResp(in)
		if err != nil {
			return nil, nil, err
		}
		ch, err := a.srv.Challenge(t.responseToken)
		if err != nil {
			return nil, nil, err
		}
		a.st = stateNeedAuth
		return respToken(acceptIncomplete, false, ch, nil), nil, nil
	case stateNeedAuth:
		if a.raw {
			res, err := a.srv.Authenticate(in)
			if err != nil {
				return nil, nil, err
			}
			a.st = stateDone
			return nil, res, nil
		}
		return a.auth(in)
	default:
		return nil, nil, fmt.Errorf("%w: SESSION_SETUP after the exchange ended", ntlmssp.ErrLogonFailure)
	}
}

// init handles the client's first token: a NegTokenInit, GSS-wrapped or not.
func (a *Acceptor) init(in []byte) ([]byte, *ntlmssp.Result, error) {
	t, err := parseInit(in)
	if err != nil {
		return nil, nil, err
	}
	idx := -1
	for i, m := range t.mechs {
		if bytes.Equal(m, oidNTLMSSP) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, nil, fmt.Errorf("%w: the client offers no NTLMSSP mechanism (only NTLMSSP is served)", ntlmssp.ErrLogonFailure)
	}
	a.mechTypes = bytes.Clone(t.mechTypes)
	if idx == 0 && len(t.mechToken) > 0 {
		ch, err := a.srv.Challenge(t.mechToken)
		if err != nil {
			return nil, nil, err
		}
		a.st = stateNeedAuth
		return respToken(acceptIncomplete, true, ch, nil), nil, nil
	}
	// Not the preferred mechanism, or no optimistic token: name NTLMSSP and wait for its
	// NEGOTIATE. An optimistic token of another mechanism is dropped (RFC 4178 3.2).
	a.requestMIC = idx != 0
	a.st = stateNeedNegotiate
	ns := acceptIncomplete
	if a.requestMIC {
		ns = requestMIC
	}
	return respToken(ns, true, nil, nil), nil, nil
}

func (a *Acceptor) auth(in []byte) ([]byte, *ntlmssp.Result, error) {
	t, err := parseResp(in)
	if err != nil {
		return nil, nil, err
	}
	res, err := a.srv.Authenticate(t.responseToken)
	if err != nil {
		return nil, nil, err
	}
	keyed := res.SessionKey != nil
	var mic []byte
	if keyed {
		switch {
		case len(t.mechListMIC) > 0:
			if err := a.srv.VerifyMIC(a.mechTypes, t.mechListMIC); err != nil {
				return nil, nil, fmt.Errorf("%w: user %q: mechListMIC does not verify", ntlmssp.ErrLogonFailure, res.User)
			}
		case a.requestMIC:
			return nil, nil, fmt.Errorf("%w: user %q: request-mic was sent but the client sent no mechListMIC", ntlmssp.ErrLogonFailure, res.User)
		}
		if len(t.mechListMIC) > 0 || a.requestMIC || res.MIC {
			if mic, err = a.srv.GetMIC(a.mechTypes); err != nil {
				// No extended session security: nothing to sign with; a client that
				// negotiated a MIC without it is outside what NTLMv2 clients do.
				mic = nil
			}
		}
	}
	a.st = stateDone
	return respToken(acceptCompleted, false, nil, mic), res, nil
}

// respToken encodes a negTokenResp.
func respToken(negState int, mech bool, token, mic []byte) []byte {
	parts := [][]byte{wrap(0xa0, []byte{0x0a, 0x01, byte(negState)})}
	if mech {
		parts = append(parts, wrap(0xa1, oidNTLMSSP))
	}
	if token != nil {
		parts = append(parts, wrap(0xa2, wrap(0x04, token)))
	}
	if mic != nil {
		parts = append(parts, wrap(0xa3, wrap(0x04, mic)))
	}
	return wrap(0xa1, wrap(0x30, parts...))
}

func rejectToken() []byte { return respToken(reject, false, nil, nil) }

type initToken struct {
	mechTypes []byte   // the DER of the MechTypeList (SEQUENCE OF OID)
	mechs     [][]byte // each OID's DER
	mechToken []byte
}

// parseInit decodes [APPLICATION 0] { spnego OID, [0] NegTokenInit } or a bare [0] NegTokenInit.
func parseInit(in []byte) (*initToken, error) {
	b := in
	if len(b) > 0 && b[0] == 0x60 {
		app, rest, err := expect(b, 0x60, "InitialContextToken")
		if err != nil {
			return nil, err
		}
		if len(rest) != 0 {
			return nil, bad("%d bytes after the InitialContextToken", len(rest))
		}
		oid, inner, err := expect(app.body, 0x06, "thisMech")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(oid.raw, oidSPNEGO) {
			return nil, bad("thisMech % x is not SPNEGO", oid.raw)
		}
		b = inner
	}
	nt, _, err := expect(b, 0xa0, "negTokenInit")
	if err != nil {
		return nil, err
	}
	seq, _, err := expect(nt.body, 0x30, "NegTokenInit")
	if err != nil {
		return nil, err
	}
	fields, err := elements(seq.body)
	if err != nil {
		return nil, err
	}
	t := &initToken{}
	for _, f := range fields {
		switch f.tag {
		case 0xa0:
			list, _, err := expect(f.body, 0x30, "mechTypes")
			if err != nil {
				return nil, err
			}
			oids, err := elements(list.body)
			if err != nil {
				return nil, err
			}
			for _, o := range oids {
				if o.tag != 0x06 {
					return nil, bad("mechTypes element with tag 0x%02x, want an OID", o.tag)
				}
				t.mechs = append(t.mechs, o.raw)
			}
			t.mechTypes = list.raw
		case 0xa2:
			tok, _, err := expect(f.body, 0x04, "mechToken")
			if err != nil {
				return nil, err
			}
			t.mechToken = tok.body
		}
		// reqFlags [1], negHints / mechListMIC [3] [4]: not needed by an acceptor of NTLMSSP.
	}
	if t.mechTypes == nil {
		return nil, bad("NegTokenInit without mechTypes")
	}
	return t, nil
}

type respTok struct {
	negState      int
	responseToken []byte
	mechListMIC   []byte
}

// parseResp decodes [1] NegTokenResp.
func parseResp(in []byte) (*respTok, error) {
	nt, rest, err := expect(in, 0xa1, "negTokenResp")
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, bad("%d bytes after the negTokenResp", len(rest))
	}
	seq, _, err := expect(nt.body, 0x30, "NegTokenResp")
	if err != nil {
		return nil, err
	}
	fields, err := elements(seq.body)
	if err != nil {
		return nil, err
	}
	t := &respTok{negState: -1}
	for _, f := range fields {
		switch f.tag {
		case 0xa0:
			e, _, err := expect(f.body, 0x0a, "negState")
			if err != nil {
				return nil, err
			}
			if len(e.body) != 1 {
				return nil, bad("negState of %d bytes", len(e.body))
			}
			t.negState = int(e.body[0])
		case 0xa2:
			e, _, err := expect(f.body, 0x04, "responseToken")
			if err != nil {
				return nil, err
			}
			t.responseToken = e.body
		case 0xa3:
			e, _, err := expect(f.body, 0x04, "mechListMIC")
			if err != nil {
				return nil, err
			}
			t.mechListMIC = e.body
		}
	}
	if t.negState == reject {
		return nil, fmt.Errorf("%w: the client rejected the exchange", ntlmssp.ErrLogonFailure)
	}
	if len(t.responseToken) == 0 {
		return nil, bad("negTokenResp without a responseToken")
	}
	return t, nil
}
