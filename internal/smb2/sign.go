package smb2

import (
	"crypto/hmac"
	"crypto/sha256"
)

// SignatureOffset is where the 16-byte signature sits in the header.
const SignatureOffset = 48

// Signature computes the SMB 2.0.2/2.1 signature of one message (one command of a compound,
// up to its NextCommand): the first 16 bytes of HMAC-SHA256 keyed with the session key over
// the message with its signature field zeroed (MS-SMB2 3.1.4.1). msg is not modified.
func Signature(key, msg []byte) [16]byte {
	var out [16]byte
	if len(msg) < HeaderSize {
		return out
	}
	m := hmac.New(sha256.New, key)
	m.Write(msg[:SignatureOffset])
	var zero [16]byte
	m.Write(zero[:])
	m.Write(msg[HeaderSize:])
	var sum [sha256.Size]byte
	copy(out[:], m.Sum(sum[:0]))
	return out
}

// Sign sets FlagSigned in msg's header and writes its signature. msg is one encoded message
// (header and body) whose NextCommand and credits are final.
func Sign(key, msg []byte) {
	if len(msg) < HeaderSize {
		return
	}
	f := le32(msg[16:]) | FlagSigned
	msg[16], msg[17], msg[18], msg[19] = byte(f), byte(f>>8), byte(f>>16), byte(f>>24)
	s := Signature(key, msg)
	copy(msg[SignatureOffset:HeaderSize], s[:])
}

// Verify reports whether msg carries the right signature for key, compared in constant time.
func Verify(key, msg []byte) bool {
	if len(msg) < HeaderSize {
		return false
	}
	s := Signature(key, msg)
	return hmac.Equal(s[:], msg[SignatureOffset:HeaderSize])
}
