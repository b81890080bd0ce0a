package ntlmssp

import (
	"bytes"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// MS-NLMP 4.2.4 (NTLMv2 authentication) inputs: user "User", domain "Domain", password
// "Password", server challenge 0123456789abcdef, client challenge aa*8, time 0, random session
// key 55*16, and the CHALLENGE's target info (NbDomainName "Domain", NbComputerName "Server").
const (
	specServerChallenge = "0123456789abcdef"
	specTargetInfo      = "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"
)

func specBlob(t testing.TB) []byte {
	return unhex(t, "0101000000000000"+"0000000000000000"+"aaaaaaaaaaaaaaaa"+"00000000"+specTargetInfo+"00000000")
}

func TestMD4(t *testing.T) {
	// RFC 1320 A.5 test suite.
	for in, want := range map[string]string{
		"":               "31d6cfe0d16ae931b73c59d7e0c089c0",
		"a":              "bde52cb31de33e46245e05fbdbd6fb24",
		"abc":            "a448017aaf21d8525fc10ae87aa6729d",
		"message digest": "d9130a8164549fe818874806e1c7014b",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890": "e33b4ddc9c38f2199c3e7b164fcc0536",
	} {
		assert.Equal(t, want, hex.EncodeToString(md4Sum([]byte(in))), "MD4(%q)", in)
	}
}

func TestSpecNTLMv2Vectors(t *testing.T) {
	hash := NTHash("Password")
	assert.Equal(t, "a4f49c406510bdcab6824ee7c30fd852", hex.EncodeToString(hash), "NTOWFv1(Password) (MS-NLMP 4.2.2.1.2)")
	key := NTOWFv2(hash, "User", "Domain")
	assert.Equal(t, "0c868a403bfd7a93a3001ef22ef02e3f", hex.EncodeToString(key), "NTOWFv2 (MS-NLMP 4.2.4.1.1)")
	proof := ntProofStr(key, unhex(t, specServerChallenge), specBlob(t))
	assert.Equal(t, "68cd0ab851e51c96aabc927bebef6a1c", hex.EncodeToString(proof), "NTProofStr (MS-NLMP 4.2.4.2.2)")
	base := hmacMD5(key, proof)
	assert.Equal(t, "8de40ccadbc14a82f15cb0ad0de95ca3", hex.EncodeToString(base), "SessionBaseKey (MS-NLMP 4.2.4.1.2)")
	enc := make([]byte, 16)
	c, err := rc4.NewCipher(base)
	require.NoError(t, err)
	c.XORKeyStream(enc, bytes.Repeat([]byte{0x55}, 16))
	assert.Equal(t, "c5dad2544fc9799094ce1ce90bc9d03e", hex.EncodeToString(enc), "EncryptedRandomSessionKey (MS-NLMP 4.2.4.2.3)")
}

func TestSpecSessionSecurityVectors(t *testing.T) {
	// MS-NLMP 4.2.4.4: GSS_WrapEx of "Plaintext" (UTF-16LE), sequence 0, client to server,
	// exported key 55*16, flags with KEY_EXCH, 128, extended session security. Wrapping seals
	// the message with the RC4 handle first, then encrypts the checksum with the same handle.
	flags := uint32(FlagKeyExch | Flag128 | FlagExtendedSessionSecurity | FlagSign | FlagSeal)
	s, err := NewSecurity(bytes.Repeat([]byte{0x55}, 16), flags, false)
	require.NoError(t, err)
	assert.Equal(t, "4788dc861b4782f35d43fd98fe1a2d39", hex.EncodeToString(s.outSign), "client signing key (MS-NLMP 4.2.4.1.4)")
	plain := utf16le("Plaintext")
	sealed := make([]byte, len(plain))
	s.outSeal.XORKeyStream(sealed, plain)
	assert.Equal(t, "54e50165bf1936dc996020c1811b0f06fb5f", hex.EncodeToString(sealed), "sealed data (MS-NLMP 4.2.4.4)")
	assert.Equal(t, "010000007fb38ec5c55d497600000000", hex.EncodeToString(s.GetMIC(plain)), "signature (MS-NLMP 4.2.4.4)")
}

// TestSpecAuthenticateAccepted drives the acceptor with the spec's own NTLMv2 response.
func TestSpecAuthenticateAccepted(t *testing.T) {
	s := NewServer(Config{
		NetBIOSName: "SERVER", DomainName: "Domain",
		Rand: bytes.NewReader(unhex(t, specServerChallenge)),
		Lookup: func(user, domain string) ([]byte, bool) {
			return NTHash("Password"), user == "User"
		},
	})
	neg := make([]byte, 32)
	copy(neg, Signature)
	binary.LittleEndian.PutUint32(neg[8:], 1)
	binary.LittleEndian.PutUint32(neg[12:], FlagUnicode|FlagNTLM|FlagKeyExch|Flag128|FlagExtendedSessionSecurity|FlagSign|FlagSeal)
	_, err := s.Challenge(neg)
	require.NoError(t, err)

	nt := append(unhex(t, "68cd0ab851e51c96aabc927bebef6a1c"), specBlob(t)...)
	auth := buildAuth(FlagUnicode|FlagNTLM|FlagKeyExch|Flag128|FlagExtendedSessionSecurity|FlagSign|FlagSeal,
		make([]byte, 24), nt, utf16le("Domain"), utf16le("User"), utf16le("COMPUTER"), unhex(t, "c5dad2544fc9799094ce1ce90bc9d03e"))
	res, err := s.Authenticate(auth)
	require.NoError(t, err)
	assert.Equal(t, Result{User: "User", Domain: "Domain", Workstation: "COMPUTER", SessionKey: bytes.Repeat([]byte{0x55}, 16), Flags: binary.LittleEndian.Uint32(auth[60:])}, *res)
}

// buildAuth lays out an AUTHENTICATE_MESSAGE with a Version and a (zero) MIC.
func buildAuth(flags uint32, fields ...[]byte) []byte {
	m := make([]byte, authMICEnd)
	copy(m, Signature)
	binary.LittleEndian.PutUint32(m[8:], typeAuthenticate)
	off := authMICEnd
	for i, f := range fields {
		putField(m[12+8*i:], len(f), off)
		off += len(f)
	}
	binary.LittleEndian.PutUint32(m[60:], flags)
	for _, f := range fields {
		m = append(m, f...)
	}
	return m
}

func TestDecodeString(t *testing.T) {
	s, err := decodeString([]byte("WS\xe91"), false, "Workstation")
	require.NoError(t, err)
	assert.Equal(t, "WSé1", s, "OEM strings are taken as Latin-1")
	s, err = decodeString(utf16le("Zoë😀"), true, "UserName")
	require.NoError(t, err)
	assert.Equal(t, "Zoë😀", s, "UTF-16 with a surrogate pair")
	_, err = decodeString([]byte{1, 2, 3}, true, "UserName")
	assert.ErrorIs(t, err, ErrInvalidMessage)

	long := strings.Repeat("a", MaxNameLength)
	_, err = decodeString(utf16le(long), true, "UserName")
	assert.NoError(t, err, "a name of MaxNameLength characters")
	_, err = decodeString(utf16le(long+"b"), true, "UserName")
	assert.ErrorIs(t, err, ErrInvalidMessage, "one character more")
	_, err = decodeString([]byte(long+"b"), false, "UserName")
	assert.ErrorIs(t, err, ErrInvalidMessage, "one character more, OEM")
}

func TestNewSecurityKeyStrengths(t *testing.T) {
	key := bytes.Repeat([]byte{0x55}, 16)
	_, err := NewSecurity(key, FlagKeyExch, true)
	assert.ErrorIs(t, err, ErrNoSessionSecurity, "no extended session security")
	_, err = NewSecurity(key[:8], FlagExtendedSessionSecurity, true)
	assert.ErrorIs(t, err, ErrNoSessionSecurity, "short key")
	// 128-, 56- and 40-bit sealing keys differ, and each side verifies the other.
	var sigs [][]byte
	for _, strength := range []uint32{Flag128, Flag56, 0} {
		f := uint32(FlagExtendedSessionSecurity|FlagKeyExch) | strength
		c, err := NewSecurity(key, f, false)
		require.NoError(t, err)
		s, err := NewSecurity(key, f, true)
		require.NoError(t, err)
		sig := c.GetMIC([]byte("msg"))
		require.NoError(t, s.VerifyMIC([]byte("msg"), sig), "flags %#x", f)
		sigs = append(sigs, sig)
	}
	assert.NotEqual(t, sigs[0], sigs[1])
	assert.NotEqual(t, sigs[1], sigs[2])
}

func TestFindAVBound(t *testing.T) {
	var pairs []byte
	for range MaxAVPairs {
		pairs = avPair(pairs, avDNSTreeName, []byte{'x', 0})
	}
	_, _, err := findAV(avPair(bytes.Clone(pairs), avFlags, []byte{2, 0, 0, 0}), avFlags)
	assert.ErrorIs(t, err, ErrInvalidMessage, "MsvAvFlags after MaxAVPairs pairs")
	v, ok, err := findAV(avPair(pairs[:len(pairs)-6], avFlags, []byte{2, 0, 0, 0}), avFlags)
	require.NoError(t, err)
	assert.True(t, ok, "MsvAvFlags as pair number MaxAVPairs")
	assert.Equal(t, []byte{2, 0, 0, 0}, v)
	_, ok, err = findAV([]byte{6, 0, 9, 0, 1}, avFlags)
	assert.NoError(t, err, "a truncated pair ends the walk")
	assert.False(t, ok)
}
