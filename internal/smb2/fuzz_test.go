package smb2

import (
	"bytes"
	"testing"
)

// seedMessages are small valid requests to start the fuzzers from.
func seedMessages() [][]byte {
	h := func(c Command) []byte { return AppendHeader(nil, &Header{Command: c}) }
	neg := append(h(Negotiate), 36, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0)
	neg = append(append(neg, make([]byte, 24)...), 0x02, 0x02, 0x10, 0x02)
	tc := append(h(TreeConnect), 9, 0, 0, 0, HeaderSize+8, 0, 4, 0, 'I', 0, 'P', 0)
	return [][]byte{neg, tc, append(h(Echo), 4, 0, 0, 0), append(h(Read), make([]byte, 49)...)}
}

// FuzzDecoders runs every request decoder on the same bytes: none may panic, and what they
// return aliases or is bounded by the input.
func FuzzDecoders(f *testing.F) {
	for _, m := range seedMessages() {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, _ = ParseHeader(msg)
		if r, err := ParseNegotiateRequest(msg); err == nil && len(r.Dialects) > len(msg)/2 {
			t.Fatalf("%d dialects from %d bytes", len(r.Dialects), len(msg))
		}
		if r, err := ParseSessionSetupRequest(msg); err == nil && len(r.SecurityBuffer) > len(msg) {
			t.Fatal("security buffer longer than the message")
		}
		if p, err := ParseTreeConnectRequest(msg); err == nil && len(p) > 3*len(msg) {
			t.Fatal("path longer than the message allows")
		}
		if r, err := ParseCreateRequest(msg); err == nil && len(r.Contexts) > len(msg) {
			t.Fatal("contexts longer than the message")
		}
		_, _, _ = ParseCloseRequest(msg)
		_, _ = ParseReadRequest(msg)
		if r, err := ParseWriteRequest(msg); err == nil && len(r.Data) > len(msg) {
			t.Fatal("data longer than the message")
		}
		if r, err := ParseIoctlRequest(msg); err == nil {
			if v, err := ParseValidateNegotiateInfo(r.Input); err == nil && len(v.Dialects) > len(r.Input)/2 {
				t.Fatal("dialects beyond the input")
			}
		}
		_, _ = ParseQueryInfoRequest(msg)
		_ = ParseSimple(msg, "fuzz")
		_, _ = ParseSMB1Negotiate(msg)
		if parts, err := SplitCompound(msg, 16); err == nil {
			n := 0
			for _, p := range parts {
				n += len(p)
			}
			if n != len(msg) {
				t.Fatalf("compound parts of %d bytes from %d", n, len(msg))
			}
		}
	})
}

// FuzzHeaderRoundTrip: a header that decodes re-encodes to the same 64 bytes.
func FuzzHeaderRoundTrip(f *testing.F) {
	for _, m := range seedMessages() {
		f.Add(m[:HeaderSize])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		out := AppendHeader(nil, &h)
		if !bytes.Equal(out, b[:HeaderSize]) {
			t.Fatalf("header re-encodes as\n% x\nfrom\n% x", out, b[:HeaderSize])
		}
	})
}

// FuzzReadFrame: no frame reader allocates beyond its bound or the bytes it got.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 1, 2, 3, 4})
	f.Add([]byte{0x81, 0, 0, 68})
	f.Add([]byte{0, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, body, err := ReadFrame(bytes.NewReader(in), 1024, nil)
		if err == nil && len(body) > len(in) {
			t.Fatal("body longer than the input")
		}
	})
}
