// Package smb2 is the wire format of SMB 2.0.2 and 2.1 as the served fake needs it (MS-SMB2):
// NetBIOS session framing, the sync header, the request decoders and response encoders of the
// commands a named-pipe client uses, NTSTATUS values, and HMAC-SHA256 signing.
//
// It holds no state and starts no goroutines; smbserver owns connections, sessions and
// limits. Every decoder bounds what it reads by the bytes it was given: a length or offset
// field that points outside the message is an error wrapping [ErrMalformed], never a panic
// and never an allocation larger than the input. Encoders append to a caller's buffer.
package smb2
