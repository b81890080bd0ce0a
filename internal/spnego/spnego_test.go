package spnego

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
)

var (
	oidKerberos   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02} // 1.2.840.113554.1.2.2
	oidMSKerberos = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02} // 1.2.840.48018.1.2.2
)

func testConfig() ntlmssp.Config {
	return ntlmssp.Config{
		NetBIOSName: "FILESRV01",
		Lookup: func(user, _ string) ([]byte, bool) {
			return ntlmssp.NTHash("sessionsim"), strings.EqualFold(user, "alice")
		},
		GuestUnknownUsers: false,
		Now:               func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	}
}

// clientInit is a GSS-wrapped NegTokenInit as Windows and Samba clients send it.
func clientInit(mechs [][]byte, mechToken []byte) (token, mechTypes []byte) {
	mechTypes = wrap(0x30, mechs...)
	parts := [][]byte{wrap(0xa0, mechTypes)}
	if mechToken != nil {
		parts = append(parts, wrap(0xa2, wrap(0x04, mechToken)))
	}
	return wrap(0x60, oidSPNEGO, wrap(0xa0, wrap(0x30, parts...))), mechTypes
}

func clientResp(token, mic []byte) []byte {
	var parts [][]byte
	if token != nil {
		parts = append(parts, wrap(0xa2, wrap(0x04, token)))
	}
	if mic != nil {
		parts = append(parts, wrap(0xa3, wrap(0x04, mic)))
	}
	return wrap(0xa1, wrap(0x30, parts...))
}

// serverResp is what a client reads out of the acceptor's negTokenResp.
type serverResp struct {
	negState      int
	supportedMech []byte
	responseToken []byte
	mechListMIC   []byte
}

func decodeServerResp(t *testing.T, b []byte) serverResp {
	t.Helper()
	nt, rest, err := expect(b, 0xa1, "negTokenResp")
	require.NoError(t, err)
	require.Empty(t, rest)
	seq, _, err := expect(nt.body, 0x30, "NegTokenResp")
	require.NoError(t, err)
	fields, err := elements(seq.body)
	require.NoError(t, err)
	r := serverResp{negState: -1}
	for _, f := range fields {
		inner, _, err := next(f.body)
		require.NoError(t, err)
		switch f.tag {
		case 0xa0:
			r.negState = int(inner.body[0])
		case 0xa1:
			r.supportedMech = inner.raw
		case 0xa2:
			r.responseToken = inner.body
		case 0xa3:
			r.mechListMIC = inner.body
		}
	}
	return r
}

func TestInitialToken(t *testing.T) {
	// The hint is 36 bytes (0x24); every enclosing length follows from it.
	want := "6048" + "06062b0601050502" + "a03e" + "303c" +
		"a00e" + "300c" + "060a2b06010401823702020a" +
		"a32a" + "3028" + "a026" + "1b24" + hex.EncodeToString([]byte("not_defined_in_RFC4178@please_ignore"))
	assert.Equal(t, want, hex.EncodeToString(InitialToken()))
	it, err := parseInit(InitialToken())
	require.NoError(t, err, "our own NegTokenInit2 decodes")
	assert.Equal(t, [][]byte{oidNTLMSSP}, it.mechs)
}

func TestSPNEGOExchange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mechs    [][]byte
		noMIC    bool // the NTLM client sends no MIC and no mechListMIC (impacket)
		wantMIC  bool
		firstNeg int
	}{
		{name: "NTLMSSP preferred, with MIC", mechs: [][]byte{oidNTLMSSP}, wantMIC: true, firstNeg: acceptIncomplete},
		{name: "NTLMSSP preferred, no MIC", mechs: [][]byte{oidNTLMSSP}, noMIC: true, firstNeg: acceptIncomplete},
		{name: "Kerberos first (Windows)", mechs: [][]byte{oidMSKerberos, oidKerberos, oidNTLMSSP}, wantMIC: true, firstNeg: requestMIC},
		{name: "Kerberos first, client without NTLM MIC", mechs: [][]byte{oidKerberos, oidNTLMSSP}, noMIC: true, wantMIC: true, firstNeg: requestMIC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "sessionsim", Workstation: "WS1", NoMIC: tc.noMIC}
			a := NewAcceptor(testConfig())
			var init, mechTypes []byte
			preferred := bytes.Equal(tc.mechs[0], oidNTLMSSP)
			if preferred {
				init, mechTypes = clientInit(tc.mechs, c.Negotiate())
			} else {
				init, mechTypes = clientInit(tc.mechs, []byte("an optimistic Kerberos AP-REQ"))
			}
			out, done, res, err := a.Step(init)
			require.NoError(t, err)
			require.False(t, done)
			require.Nil(t, res)
			r := decodeServerResp(t, out)
			assert.Equal(t, tc.firstNeg, r.negState, "first negState")
			assert.Equal(t, oidNTLMSSP, r.supportedMech, "supportedMech")
			if !preferred {
				require.Nil(t, r.responseToken, "no CHALLENGE before NTLMSSP's NEGOTIATE")
				out, done, _, err = a.Step(clientResp(c.Negotiate(), nil))
				require.NoError(t, err)
				require.False(t, done)
				r = decodeServerResp(t, out)
				assert.Equal(t, acceptIncomplete, r.negState)
				assert.Nil(t, r.supportedMech, "supportedMech only in the first reply")
			}
			auth, err := c.Authenticate(r.responseToken)
			require.NoError(t, err)
			var mic []byte
			sec, err := c.Security()
			require.NoError(t, err)
			if !tc.noMIC || !preferred {
				mic = sec.GetMIC(mechTypes)
			}
			out, done, res, err = a.Step(clientResp(auth, mic))
			require.NoError(t, err)
			require.True(t, done)
			assert.Equal(t, "alice", res.User)
			assert.Equal(t, c.SessionKey(), res.SessionKey)
			r = decodeServerResp(t, out)
			assert.Equal(t, acceptCompleted, r.negState)
			assert.Nil(t, r.responseToken)
			if tc.wantMIC {
				require.NotNil(t, r.mechListMIC, "server mechListMIC")
				assert.NoError(t, sec.VerifyMIC(mechTypes, r.mechListMIC), "server mechListMIC verifies")
			} else {
				assert.Nil(t, r.mechListMIC, "no mechListMIC when neither side needs one")
			}
			_, done, _, err = a.Step(clientResp(auth, mic))
			assert.True(t, done)
			assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure, "a step after the end")
		})
	}
}

func TestRawNTLMSSP(t *testing.T) {
	c := &ntlmtest.Client{User: "ALICE", Password: "sessionsim"}
	a := NewAcceptor(testConfig())
	ch, done, _, err := a.Step(c.Negotiate())
	require.NoError(t, err)
	require.False(t, done)
	require.True(t, bytes.HasPrefix(ch, []byte(ntlmssp.Signature)), "a raw CHALLENGE answers a raw NEGOTIATE")
	auth, err := c.Authenticate(ch)
	require.NoError(t, err)
	out, done, res, err := a.Step(auth)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Nil(t, out)
	assert.Equal(t, "ALICE", res.User)
}

func TestSPNEGOFailures(t *testing.T) {
	good := func(c *ntlmtest.Client) (*Acceptor, []byte, []byte) {
		a := NewAcceptor(testConfig())
		init, mt := clientInit([][]byte{oidNTLMSSP}, c.Negotiate())
		out, _, _, err := a.Step(init)
		require.NoError(t, err)
		auth, err := c.Authenticate(decodeServerResp(t, out).responseToken)
		require.NoError(t, err)
		return a, auth, mt
	}
	t.Run("wrong password", func(t *testing.T) {
		a, auth, _ := good(&ntlmtest.Client{User: "alice", Password: "bad"})
		out, done, res, err := a.Step(clientResp(auth, nil))
		assert.True(t, done)
		assert.Nil(t, res)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
		assert.Equal(t, reject, decodeServerResp(t, out).negState)
	})
	t.Run("bad mechListMIC", func(t *testing.T) {
		c := &ntlmtest.Client{User: "alice", Password: "sessionsim"}
		a, auth, _ := good(c)
		sec, err := c.Security()
		require.NoError(t, err)
		_, done, _, err := a.Step(clientResp(auth, sec.GetMIC([]byte("not the mechTypes"))))
		assert.True(t, done)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
		assert.Contains(t, err.Error(), "mechListMIC")
	})
	t.Run("request-mic without mechListMIC", func(t *testing.T) {
		c := &ntlmtest.Client{User: "alice", Password: "sessionsim"}
		a := NewAcceptor(testConfig())
		init, _ := clientInit([][]byte{oidKerberos, oidNTLMSSP}, nil)
		_, _, _, err := a.Step(init)
		require.NoError(t, err)
		out, _, _, err := a.Step(clientResp(c.Negotiate(), nil))
		require.NoError(t, err)
		auth, err := c.Authenticate(decodeServerResp(t, out).responseToken)
		require.NoError(t, err)
		_, done, _, err := a.Step(clientResp(auth, nil))
		assert.True(t, done)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
	})
	t.Run("no NTLMSSP offered", func(t *testing.T) {
		init, _ := clientInit([][]byte{oidKerberos}, []byte("krb"))
		_, done, _, err := NewAcceptor(testConfig()).Step(init)
		assert.True(t, done)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
	})
	t.Run("client rejects", func(t *testing.T) {
		a, _, _ := good(&ntlmtest.Client{User: "alice", Password: "sessionsim"})
		_, done, _, err := a.Step(respToken(reject, false, nil, nil))
		assert.True(t, done)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
	})
	t.Run("anonymous", func(t *testing.T) {
		a, auth, _ := good(&ntlmtest.Client{Anonymous: true})
		out, done, res, err := a.Step(clientResp(auth, nil))
		require.NoError(t, err)
		assert.True(t, done)
		assert.True(t, res.Anonymous)
		r := decodeServerResp(t, out)
		assert.Equal(t, acceptCompleted, r.negState)
		assert.Nil(t, r.mechListMIC)
	})
}

func TestHostileTokens(t *testing.T) {
	init, _ := clientInit([][]byte{oidNTLMSSP}, (&ntlmtest.Client{}).Negotiate())
	for name, tok := range map[string][]byte{
		"empty":                    nil,
		"one byte":                 {0x60},
		"length past end":          {0x60, 0x7f, 0x06},
		"five length bytes":        {0x60, 0x85, 0, 0, 0, 0, 1},
		"indefinite length":        {0x60, 0x80, 0, 0},
		"huge four-byte length":    {0x60, 0x84, 0xff, 0xff, 0xff, 0xff, 0},
		"multi-byte tag":           {0x7f, 0x01, 0x00},
		"not SPNEGO":               wrap(0x60, []byte{0x06, 0x01, 0x01}, init[10:]),
		"truncated":                init[:len(init)-3],
		"trailing bytes":           append(bytes.Clone(init), 0),
		"negTokenResp first":       clientResp([]byte("x"), nil),
		"no mechTypes":             wrap(0x60, oidSPNEGO, wrap(0xa0, wrap(0x30))),
		"mechTypes not OIDs":       wrap(0x60, oidSPNEGO, wrap(0xa0, wrap(0x30, wrap(0xa0, wrap(0x30, wrap(0x04)))))),
		"too many mechs":           wrap(0x60, oidSPNEGO, wrap(0xa0, wrap(0x30, wrap(0xa0, wrap(0x30, bytes.Repeat(oidKerberos, maxElements+1)))))),
		"oversized":                make([]byte, MaxTokenSize+1),
		"NTLMSSP garbage in token": func() []byte { b, _ := clientInit([][]byte{oidNTLMSSP}, []byte("NTLMSSP\x00\x09")); return b }(),
	} {
		out, done, res, err := NewAcceptor(testConfig()).Step(tok)
		assert.True(t, done, name)
		assert.Nil(t, res, name)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure, name)
		if !bytes.HasPrefix(tok, []byte(ntlmssp.Signature)) {
			assert.Equal(t, rejectToken(), out, name)
		}
	}
}

func FuzzStep(f *testing.F) {
	c := &ntlmtest.Client{User: "alice", Password: "sessionsim"}
	init, _ := clientInit([][]byte{oidKerberos, oidNTLMSSP}, c.Negotiate())
	f.Add(init, clientResp(c.Negotiate(), nil))
	f.Add(InitialToken(), []byte{0xa1, 0x00})
	f.Add(c.Negotiate(), []byte("NTLMSSP\x00\x03\x00\x00\x00"))
	if b, err := os.ReadFile(filepath.Join("testdata", "mordor_f537_session_setup_req_negtokeninit.hex")); err == nil {
		if win, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil {
			f.Add(win, clientResp(c.Negotiate(), nil)) // Windows 10, Kerberos first
		}
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		a := NewAcceptor(testConfig())
		for _, in := range [][]byte{first, second} {
			_, done, _, err := a.Step(in)
			if err != nil && !errors.Is(err, ntlmssp.ErrLogonFailure) {
				t.Fatalf("Step error %v does not wrap ErrLogonFailure", err)
			}
			if done {
				return
			}
		}
	})
}
