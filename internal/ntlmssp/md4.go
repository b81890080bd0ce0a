package ntlmssp

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
)

// NTHash is the NT one-way function of a password (MS-NLMP 3.3.1, NTOWFv1): MD4 of its
// UTF-16LE encoding. It is what Config.Lookup returns for an account.
func NTHash(password string) []byte {
	return md4Sum(utf16le(password))
}

// md4Sum is MD4 (RFC 1320). The standard library has none and x/crypto/md4 would be a new
// direct dependency for twenty lines; MD4 is needed only to turn a password into an NT hash.
func md4Sum(msg []byte) []byte {
	a, b, c, d := uint32(0x67452301), uint32(0xefcdab89), uint32(0x98badcfe), uint32(0x10325476)
	n := len(msg)
	padded := make([]byte, 0, n+72)
	padded = append(padded, msg...)
	padded = append(padded, 0x80)
	for len(padded)%64 != 56 {
		padded = append(padded, 0)
	}
	padded = binary.LittleEndian.AppendUint64(padded, uint64(n)*8)

	var x [16]uint32
	for blk := 0; blk < len(padded); blk += 64 {
		for i := range x {
			x[i] = binary.LittleEndian.Uint32(padded[blk+4*i:])
		}
		aa, bb, cc, dd := a, b, c, d
		// Round 1: F(x,y,z) = xy | ~x z.
		for _, i := range [4]int{0, 4, 8, 12} {
			a = bits.RotateLeft32(a+(b&c|^b&d)+x[i], 3)
			d = bits.RotateLeft32(d+(a&b|^a&c)+x[i+1], 7)
			c = bits.RotateLeft32(c+(d&a|^d&b)+x[i+2], 11)
			b = bits.RotateLeft32(b+(c&d|^c&a)+x[i+3], 19)
		}
		// Round 2: G(x,y,z) = xy | xz | yz, plus sqrt(2).
		for _, i := range [4]int{0, 1, 2, 3} {
			a = bits.RotateLeft32(a+(b&c|b&d|c&d)+x[i]+0x5a827999, 3)
			d = bits.RotateLeft32(d+(a&b|a&c|b&c)+x[i+4]+0x5a827999, 5)
			c = bits.RotateLeft32(c+(d&a|d&b|a&b)+x[i+8]+0x5a827999, 9)
			b = bits.RotateLeft32(b+(c&d|c&a|d&a)+x[i+12]+0x5a827999, 13)
		}
		// Round 3: H(x,y,z) = x^y^z, plus sqrt(3).
		for _, i := range [4]int{0, 2, 1, 3} {
			a = bits.RotateLeft32(a+(b^c^d)+x[i]+0x6ed9eba1, 3)
			d = bits.RotateLeft32(d+(a^b^c)+x[i+8]+0x6ed9eba1, 9)
			c = bits.RotateLeft32(c+(d^a^b)+x[i+4]+0x6ed9eba1, 11)
			b = bits.RotateLeft32(b+(c^d^a)+x[i+12]+0x6ed9eba1, 15)
		}
		a, b, c, d = a+aa, b+bb, c+cc, d+dd
	}
	out := make([]byte, 0, 16)
	for _, v := range [4]uint32{a, b, c, d} {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	return out
}

// utf16le encodes s as UTF-16 little-endian, the NTLMSSP Unicode wire form.
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(out[2*i:], r)
	}
	return out
}
