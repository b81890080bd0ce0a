package ntlmssp_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
)

var testNow = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// accounts is a Lookup over name -> password, case-insensitive as the contract asks.
func accounts(m map[string]string) func(user, domain string) ([]byte, bool) {
	return func(user, _ string) ([]byte, bool) {
		for name, pw := range m {
			if strings.EqualFold(name, user) {
				return ntlmssp.NTHash(pw), true
			}
		}
		return nil, false
	}
}

func testConfig() ntlmssp.Config {
	return ntlmssp.Config{
		NetBIOSName: "FILESRV01",
		DomainName:  "WORKGROUP",
		Lookup:      accounts(map[string]string{"alice": "sessionsim", "admin": "s3cret"}),
		Rand:        bytes.NewReader(bytes.Repeat([]byte{0x11}, 64)),
		Now:         func() time.Time { return testNow },
	}
}

// exchange runs client c against a new Server with cfg.
func exchange(t *testing.T, cfg ntlmssp.Config, c *ntlmtest.Client) (*ntlmssp.Server, *ntlmssp.Result, error) {
	t.Helper()
	s := ntlmssp.NewServer(cfg)
	ch, err := s.Challenge(c.Negotiate())
	require.NoError(t, err, "Challenge")
	auth, err := c.Authenticate(ch)
	require.NoError(t, err, "client Authenticate")
	res, err := s.Authenticate(auth)
	return s, res, err
}

func TestChallengeBytes(t *testing.T) {
	s := ntlmssp.NewServer(ntlmssp.Config{
		NetBIOSName: "FILESRV01", DomainName: "WORKGROUP", DNSName: "filesrv01.corp.example",
		DNSDomainName: "corp.example",
		Rand:          bytes.NewReader([]byte{1, 2, 3, 4, 5, 6, 7, 8}),
		Now:           func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	})
	c := &ntlmtest.Client{}
	neg := c.Negotiate()
	ch, err := s.Challenge(neg)
	require.NoError(t, err)

	// Expected, field by field (MS-NLMP 2.2.1.2).
	u := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = binary.LittleEndian.AppendUint16(b, uint16(r))
		}
		return b
	}
	av := func(b []byte, id uint16, v []byte) []byte {
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
		return append(b, v...)
	}
	var info []byte
	info = av(info, 2, u("WORKGROUP"))
	info = av(info, 1, u("FILESRV01"))
	info = av(info, 4, u("corp.example"))
	info = av(info, 3, u("filesrv01.corp.example"))
	// 2026-12-01T00:00:00Z as FILETIME: (unix seconds + 11644473600) * 10^7.
	ft := (uint64(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix()) + 11644473600) * 10000000
	info = av(info, 7, binary.LittleEndian.AppendUint64(nil, ft))
	info = av(info, 0, nil)
	target := u("WORKGROUP") // a domain name different from the computer name: TARGET_TYPE_DOMAIN
	clientFlags := binary.LittleEndian.Uint32(neg[12:])
	wantFlags := uint32(ntlmssp.FlagUnicode|ntlmssp.FlagRequestTarget|ntlmssp.FlagSign|ntlmssp.FlagNTLM|
		ntlmssp.FlagAlwaysSign|ntlmssp.FlagTargetTypeDomain|ntlmssp.FlagExtendedSessionSecurity|
		ntlmssp.FlagTargetInfo|ntlmssp.FlagVersion|ntlmssp.Flag128|ntlmssp.FlagKeyExch|ntlmssp.Flag56) & (clientFlags | ntlmssp.FlagTargetTypeDomain | ntlmssp.FlagTargetInfo)

	want := []byte("NTLMSSP\x00")
	want = binary.LittleEndian.AppendUint32(want, 2)
	want = binary.LittleEndian.AppendUint16(want, uint16(len(target)))
	want = binary.LittleEndian.AppendUint16(want, uint16(len(target)))
	want = binary.LittleEndian.AppendUint32(want, 56)
	want = binary.LittleEndian.AppendUint32(want, wantFlags)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8)
	want = append(want, make([]byte, 8)...)
	want = binary.LittleEndian.AppendUint16(want, uint16(len(info)))
	want = binary.LittleEndian.AppendUint16(want, uint16(len(info)))
	want = binary.LittleEndian.AppendUint32(want, uint32(56+len(target)))
	want = append(want, 10, 0, 0x63, 0x45, 0, 0, 0, 0x0f) // Version 10.0.17763, NTLM revision 15
	want = append(want, target...)
	want = append(want, info...)
	assert.Equal(t, hex.Dump(want), hex.Dump(ch))
}

func TestChallengeEchoesOnlyWhatWasAsked(t *testing.T) {
	neg := make([]byte, 16)
	copy(neg, ntlmssp.Signature)
	binary.LittleEndian.PutUint32(neg[8:], 1)
	binary.LittleEndian.PutUint32(neg[12:], ntlmssp.FlagUnicode|ntlmssp.FlagNTLM|ntlmssp.FlagExtendedSessionSecurity|ntlmssp.FlagLMKey)
	cfg := testConfig()
	cfg.DomainName = "" // the computer name then: TARGET_TYPE_SERVER
	ch, err := ntlmssp.NewServer(cfg).Challenge(neg)
	require.NoError(t, err)
	f := binary.LittleEndian.Uint32(ch[20:])
	assert.Equal(t, uint32(ntlmssp.FlagUnicode|ntlmssp.FlagNTLM|ntlmssp.FlagExtendedSessionSecurity|
		ntlmssp.FlagTargetInfo|ntlmssp.FlagTargetTypeServer), f,
		"flags %#08x: no SIGN, SEAL, KEY_EXCH, 128, 56 or VERSION unless asked; LM_KEY dropped with ESS", f)
	assert.Equal(t, make([]byte, 8), ch[48:56], "no Version unless asked")
}

func TestExchange(t *testing.T) {
	guest := testConfig()
	guest.GuestUnknownUsers = true
	for _, tc := range []struct {
		name    string
		cfg     ntlmssp.Config
		client  ntlmtest.Client
		wantErr string // substring; empty: success
		want    ntlmssp.Result
	}{
		{name: "right password", cfg: testConfig(), client: ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "sessionsim", Workstation: "WS1"},
			want: ntlmssp.Result{User: "alice", Domain: "WORKGROUP", Workstation: "WS1", MIC: true}},
		{name: "user name in another case, empty domain", cfg: testConfig(), client: ntlmtest.Client{User: "ADMIN", Password: "s3cret"},
			want: ntlmssp.Result{User: "ADMIN", MIC: true}},
		{name: "no MIC, no key exchange", cfg: testConfig(), client: ntlmtest.Client{User: "alice", Domain: "X", Password: "sessionsim", NoMIC: true, NoKeyExch: true},
			want: ntlmssp.Result{User: "alice", Domain: "X"}},
		{name: "wrong password", cfg: testConfig(), client: ntlmtest.Client{User: "alice", Password: "nope"}, wantErr: `user "alice": wrong password`},
		{name: "wrong password with guest mapping is still refused", cfg: guest, client: ntlmtest.Client{User: "alice", Password: "nope"}, wantErr: "wrong password"},
		{name: "unknown user", cfg: testConfig(), client: ntlmtest.Client{User: "mallory", Password: "x"}, wantErr: `unknown user "mallory"`},
		{name: "unknown user as guest", cfg: guest, client: ntlmtest.Client{User: "mallory", Password: "x", Workstation: "WS9"},
			want: ntlmssp.Result{User: "mallory", Workstation: "WS9", Guest: true}},
		{name: "anonymous", cfg: testConfig(), client: ntlmtest.Client{Anonymous: true},
			want: ntlmssp.Result{Anonymous: true}},
		{name: "NTLMv1 refused", cfg: testConfig(), client: ntlmtest.Client{User: "alice", Password: "sessionsim", NTLMv1: true}, wantErr: "NTLMv1"},
		{name: "corrupt MIC", cfg: testConfig(), client: ntlmtest.Client{User: "alice", Password: "sessionsim", CorruptMIC: true}, wantErr: "MIC does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client
			_, res, err := exchange(t, tc.cfg, &c)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Nil(t, res)
				return
			}
			require.NoError(t, err)
			if !tc.want.Anonymous && !tc.want.Guest {
				require.Len(t, res.SessionKey, 16)
				assert.Equal(t, c.SessionKey(), res.SessionKey, "exported session key: server and client agree")
			} else {
				assert.Nil(t, res.SessionKey, "no session key for anonymous or guest")
			}
			got := *res
			got.SessionKey, got.Flags = nil, 0
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSessionSecurityBothWays(t *testing.T) {
	c := &ntlmtest.Client{User: "alice", Password: "sessionsim"}
	s, _, err := exchange(t, testConfig(), c)
	require.NoError(t, err)
	cs, err := c.Security()
	require.NoError(t, err)
	msg := []byte("mechTypes DER")
	for i := range 3 { // sequence numbers and RC4 handles advance in step
		require.NoError(t, s.VerifyMIC(msg, cs.GetMIC(msg)), "client->server signature %d", i)
		sig, err := s.GetMIC(msg)
		require.NoError(t, err)
		require.NoError(t, cs.VerifyMIC(msg, sig), "server->client signature %d", i)
	}
	sig := cs.GetMIC(msg)
	sig[5] ^= 0x80
	assert.ErrorIs(t, s.VerifyMIC(msg, sig), ntlmssp.ErrLogonFailure)
}

func TestNoSessionSecurityForAnonymous(t *testing.T) {
	s, res, err := exchange(t, testConfig(), &ntlmtest.Client{Anonymous: true})
	require.NoError(t, err)
	require.True(t, res.Anonymous)
	_, err = s.GetMIC([]byte("x"))
	assert.ErrorIs(t, err, ntlmssp.ErrNoSessionSecurity)
	assert.ErrorIs(t, s.VerifyMIC([]byte("x"), make([]byte, 16)), ntlmssp.ErrNoSessionSecurity)
}

func TestOutOfOrder(t *testing.T) {
	s := ntlmssp.NewServer(testConfig())
	_, err := s.Authenticate([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure, "AUTHENTICATE before CHALLENGE")
	c := &ntlmtest.Client{User: "alice", Password: "sessionsim"}
	neg := c.Negotiate()
	ch, err := s.Challenge(neg)
	require.NoError(t, err)
	_, err = s.Challenge(neg)
	assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure, "second NEGOTIATE")
	auth, err := c.Authenticate(ch)
	require.NoError(t, err)
	_, err = s.Authenticate(auth)
	require.NoError(t, err)
	_, err = s.Authenticate(auth)
	assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure, "replayed AUTHENTICATE")
}

func TestChallengeRandFailure(t *testing.T) {
	cfg := testConfig()
	cfg.Rand = bytes.NewReader(nil)
	_, err := ntlmssp.NewServer(cfg).Challenge((&ntlmtest.Client{}).Negotiate())
	assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
}

// validAuth returns a server after CHALLENGE and a valid AUTHENTICATE for it.
func validAuth(t testing.TB) (*ntlmssp.Server, []byte) {
	s := ntlmssp.NewServer(testConfig())
	c := &ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "sessionsim", Workstation: "WS1"}
	ch, err := s.Challenge(c.Negotiate())
	require.NoError(t, err)
	auth, err := c.Authenticate(ch)
	require.NoError(t, err)
	return s, auth
}

func TestHostileAuthenticate(t *testing.T) {
	_, good := validAuth(t)
	mod := func(f func(m []byte) []byte) []byte { return f(bytes.Clone(good)) }
	setField := func(i int, n uint16, off uint32) []byte {
		return mod(func(m []byte) []byte {
			binary.LittleEndian.PutUint16(m[12+8*i:], n)
			binary.LittleEndian.PutUint32(m[16+8*i:], off)
			return m
		})
	}
	cases := map[string][]byte{
		"empty":                nil,
		"signature only":       []byte(ntlmssp.Signature),
		"wrong signature":      mod(func(m []byte) []byte { m[0] = 'X'; return m }),
		"wrong type":           mod(func(m []byte) []byte { m[8] = 2; return m }),
		"truncated header":     good[:63],
		"truncated payload":    good[:len(good)-1],
		"oversized":            append(bytes.Clone(good), make([]byte, ntlmssp.MaxMessageSize)...),
		"odd UTF-16 user name": mod(func(m []byte) []byte { binary.LittleEndian.PutUint16(m[36:], 3); return m }),
	}
	for i, name := range []string{"LM", "NT", "domain", "user", "workstation", "session key"} {
		cases[name+" offset past end"] = setField(i, 4, uint32(len(good)))
		cases[name+" offset 0xffffffff"] = setField(i, 0xffff, 0xffffffff)
		cases[name+" length past end"] = setField(i, 0xffff, 88)
	}
	cases["NT response shorter than a blob"] = setField(1, 30, 88)
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := validAuth(t)
			res, err := s.Authenticate(msg)
			require.Error(t, err, "Authenticate(%s) accepted", name)
			assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure)
			assert.Nil(t, res)
		})
	}
}

func TestHostileNegotiate(t *testing.T) {
	for name, msg := range map[string][]byte{
		"empty":      nil,
		"short":      []byte("NTLMSSP\x00\x01\x00"),
		"wrong type": []byte("NTLMSSP\x00\x03\x00\x00\x00\x00\x00\x00\x00"),
		"no sig":     make([]byte, 40),
		"oversized":  append([]byte("NTLMSSP\x00\x01\x00\x00\x00"), make([]byte, ntlmssp.MaxMessageSize)...),
	} {
		_, err := ntlmssp.NewServer(testConfig()).Challenge(msg)
		assert.ErrorIs(t, err, ntlmssp.ErrInvalidMessage, name)
		assert.ErrorIs(t, err, ntlmssp.ErrLogonFailure, name)
	}
}

func FuzzAuthenticate(f *testing.F) {
	_, good := validAuth(f)
	f.Add(good)
	f.Add(good[:88])
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		s, _ := validAuth(t)
		res, err := s.Authenticate(msg)
		if err != nil {
			if !errors.Is(err, ntlmssp.ErrLogonFailure) {
				t.Fatalf("Authenticate error %v does not wrap ErrLogonFailure", err)
			}
			return
		}
		if res.SessionKey != nil && len(res.SessionKey) != 16 {
			t.Fatalf("session key of %d bytes", len(res.SessionKey))
		}
	})
}

func FuzzNegotiate(f *testing.F) {
	f.Add((&ntlmtest.Client{}).Negotiate())
	f.Fuzz(func(t *testing.T, msg []byte) {
		ch, err := ntlmssp.NewServer(testConfig()).Challenge(msg)
		if err == nil && !bytes.HasPrefix(ch, []byte(ntlmssp.Signature)) {
			t.Fatalf("CHALLENGE without signature")
		}
	})
}
