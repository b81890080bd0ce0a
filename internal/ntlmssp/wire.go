package ntlmssp

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// Negotiate flags (MS-NLMP 2.2.2.5).
const (
	FlagUnicode                 = 0x00000001
	FlagOEM                     = 0x00000002
	FlagRequestTarget           = 0x00000004
	FlagSign                    = 0x00000010
	FlagSeal                    = 0x00000020
	FlagDatagram                = 0x00000040
	FlagLMKey                   = 0x00000080
	FlagNTLM                    = 0x00000200
	FlagAnonymous               = 0x00000800
	FlagOEMDomainSupplied       = 0x00001000
	FlagOEMWorkstationSupplied  = 0x00002000
	FlagAlwaysSign              = 0x00008000
	FlagTargetTypeDomain        = 0x00010000
	FlagTargetTypeServer        = 0x00020000
	FlagExtendedSessionSecurity = 0x00080000
	FlagIdentify                = 0x00100000
	FlagRequestNonNTSessionKey  = 0x00400000
	FlagTargetInfo              = 0x00800000
	FlagVersion                 = 0x02000000
	Flag128                     = 0x20000000
	FlagKeyExch                 = 0x40000000
	Flag56                      = 0x80000000
)

// AV_PAIR identifiers (MS-NLMP 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avDNSTreeName     = 5
	avFlags           = 6
	avTimestamp       = 7
)

// avFlagMIC is the MsvAvFlags bit saying the AUTHENTICATE message carries a MIC.
const avFlagMIC = 0x00000002

// Message types.
const (
	typeNegotiate    = 1
	typeChallenge    = 2
	typeAuthenticate = 3
)

// Signature starts every NTLMSSP message.
const Signature = "NTLMSSP\x00"

// Size limits. An AUTHENTICATE message from Windows or Samba is a few hundred bytes; the bound
// keeps a hostile client from making the acceptor hash or copy megabytes.
const (
	// MaxMessageSize is the largest NTLMSSP message accepted.
	MaxMessageSize = 64 << 10
	// MaxAVPairs bounds the AV_PAIRs walked in a client's NTLMv2 blob.
	MaxAVPairs = 64
	// MaxNameLength bounds the user, domain and workstation names of an AUTHENTICATE, in
	// characters. Windows account names are at most 20 characters and UPNs 256; a longer name
	// would only carry a hostile client's bytes into the server's session table.
	MaxNameLength = 256
)

const (
	negotiateHeaderMin = 16 // signature, type, flags; the domain/workstation fields are optional
	authHeaderLen      = 64 // up to and including NegotiateFlags
	authMICOffset      = 72 // after the 8-byte Version
	authMICEnd         = authMICOffset + 16
	challengeHeaderLen = 56
	ntlmv2BlobMin      = 28 // RespType .. Reserved3, before the AV pairs
)

// serverVersion is the VERSION structure the server sends: Windows 10.0 build 17763 (a
// Windows Server 2019), NTLMSSP revision 15.
var serverVersion = [8]byte{10, 0, 0x63, 0x45, 0, 0, 0, 0x0f}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrLogonFailure, ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// checkHeader verifies the signature and message type and the size bound.
func checkHeader(msg []byte, typ uint32, min int) error {
	if len(msg) > MaxMessageSize {
		return invalid("message of %d bytes exceeds MaxMessageSize (%d)", len(msg), MaxMessageSize)
	}
	if len(msg) < min {
		return invalid("message of %d bytes is shorter than its %d-byte header", len(msg), min)
	}
	if string(msg[:8]) != Signature {
		return invalid("no NTLMSSP signature")
	}
	if got := binary.LittleEndian.Uint32(msg[8:]); got != typ {
		return invalid("message type %d, want %d", got, typ)
	}
	return nil
}

// field reads the (Len, MaxLen, Offset) descriptor at msg[at:] and returns the bytes it
// designates, refusing anything outside msg. It never panics: at+8 <= len(msg) is the caller's.
func field(msg []byte, at int, name string) ([]byte, error) {
	n := uint64(binary.LittleEndian.Uint16(msg[at:]))
	off := uint64(binary.LittleEndian.Uint32(msg[at+4:]))
	if n == 0 {
		return nil, nil
	}
	if off+n > uint64(len(msg)) {
		return nil, invalid("%s: %d bytes at offset %d, past the end of a %d-byte message", name, n, off, len(msg))
	}
	return msg[off : off+n], nil
}

// decodeString decodes an NTLMSSP string: UTF-16LE when unicode, else OEM (taken as Latin-1).
func decodeString(b []byte, unicode bool, name string) (string, error) {
	if !unicode {
		if len(b) > MaxNameLength {
			return "", invalid("%s of %d characters exceeds MaxNameLength (%d)", name, len(b), MaxNameLength)
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", invalid("%s: odd length %d for a UTF-16 string", name, len(b))
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	r := utf16.Decode(u)
	if len(r) > MaxNameLength {
		return "", invalid("%s of %d characters exceeds MaxNameLength (%d)", name, len(r), MaxNameLength)
	}
	return string(r), nil
}

// avPair appends one AV_PAIR.
func avPair(b []byte, id uint16, val []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, id)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(val)))
	return append(b, val...)
}

// findAV walks AV pairs and returns the value of id, if present. A truncated list ends the
// walk without error, as Windows tolerates a blob without the trailing EOL; more than
// MaxAVPairs pairs before the answer is refused, so a hostile list costs bounded work.
func findAV(pairs []byte, id uint16) ([]byte, bool, error) {
	for i := 0; len(pairs) >= 4; i++ {
		if i == MaxAVPairs {
			return nil, false, invalid("more than MaxAVPairs (%d) AV pairs in the NTLMv2 response", MaxAVPairs)
		}
		aid := binary.LittleEndian.Uint16(pairs)
		n := int(binary.LittleEndian.Uint16(pairs[2:]))
		if aid == avEOL || 4+n > len(pairs) {
			return nil, false, nil
		}
		if aid == id {
			return pairs[4 : 4+n], true, nil
		}
		pairs = pairs[4+n:]
	}
	return nil, false, nil
}

// fileTime converts to a Windows FILETIME (100 ns since 1601-01-01 UTC).
func fileTime(unixNano int64) uint64 {
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	return uint64(unixNano/100 + epochDiff)
}
