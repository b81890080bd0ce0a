package ndr

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

func ptr[T any](v T) *T { return &v }

// sampleResponses are responses at every level, used by the round-trip test, the ndrdump
// cross-check and as fuzz seeds.
func sampleResponses() map[string]*SessEnumResponse {
	full := []sessionapi.SessionInfo502{
		{ClientName: "127.0.0.2", UserName: "alice", NumOpens: 2, Time: 17, IdleTime: 3,
			UserFlags: sessionapi.SessGuest, ClientType: "DOS LM 2.0", Transport: `\Device\NetbiosSmb`},
		{ClientName: "ws01", UserName: "bøb", NumOpens: 0, Time: 4294967295, IdleTime: 0,
			ClientType: "", Transport: "tcp"},
		{ClientName: "\U0001F600odd", UserName: "", NumOpens: 7},
	}
	out := map[string]*SessEnumResponse{}
	for _, l := range sessionapi.Levels() {
		var entries []sessionapi.SessionInfo502
		for _, e := range full {
			w, _ := sessionapi.Widen(sessionapi.Narrow(&e, l))
			entries = append(entries, w)
		}
		out[fmt.Sprintf("level%d", l)] = &SessEnumResponse{Level: l, HasContainer: true,
			Entries: entries, TotalEntries: 3, Resume: ptr(uint32(3)), Result: 0}
		out[fmt.Sprintf("level%d-moredata", l)] = &SessEnumResponse{Level: l, HasContainer: true,
			Entries: entries[:1], TotalEntries: 3, Resume: ptr(uint32(1)), Result: uint32(sessionapi.ERROR_MORE_DATA)}
		out[fmt.Sprintf("level%d-empty", l)] = &SessEnumResponse{Level: l, HasContainer: true,
			Result: uint32(sessionapi.ERROR_ACCESS_DENIED)}
	}
	out["level3-invalid"] = &SessEnumResponse{Level: 3, Result: uint32(sessionapi.ERROR_INVALID_LEVEL)}
	return out
}

func sampleRequests() map[string]*SessEnumRequest {
	return map[string]*SessEnumRequest{
		"all-null":   {Level: 0, MaxBuffer: sessionapi.MaxPreferredLength},
		"filters":    {ServerName: ptr(`\\srv`), ClientName: ptr(`\\127.0.0.2`), UserName: ptr("alice"), Level: 1, MaxBuffer: 4096, Resume: ptr(uint32(0))},
		"level10":    {UserName: ptr("bob"), Level: 10, MaxBuffer: 1, Resume: ptr(uint32(42))},
		"level502":   {ServerName: ptr(""), Level: 502, MaxBuffer: sessionapi.MaxPreferredLength},
		"level2":     {ClientName: ptr("é"), Level: 2, MaxBuffer: 100},
		"level-bad":  {Level: 7, MaxBuffer: 100},
		"long-names": {ClientName: ptr(`\\` + strings.Repeat("c", 1021)), UserName: ptr(strings.Repeat("u", 1023)), Level: 1},
	}
}

func TestSessEnumRequestLayout(t *testing.T) {
	// Hand-assembled from MS-SRVS 3.1.4.5 / srvsvc.idl: unique pointer to "\\s" (referent,
	// max 4, offset 0, actual 4, 4 UTF-16 units), NULL client, NULL user, level 1, union
	// discriminant 1, container pointer, EntriesRead 0, NULL Buffer, prefmaxlen, resume
	// pointer and value.
	want := "" +
		"00000200" + "04000000" + "00000000" + "04000000" + "5c005c0073000000" +
		"00000000" + "00000000" +
		"01000000" + "01000000" + "04000200" + "00000000" + "00000000" +
		"ffffffff" + "08000200" + "05000000"
	got := EncodeSessEnumRequest(&SessEnumRequest{ServerName: ptr(`\\s`), Level: 1,
		MaxBuffer: sessionapi.MaxPreferredLength, Resume: ptr(uint32(5))})
	assert.Equal(t, want, hex.EncodeToString(got))
}

func TestSessEnumResponseLayout(t *testing.T) {
	// One level-0 entry "ab": level, discriminant, container pointer, EntriesRead 1, Buffer
	// pointer, array max count 1, the element's cname pointer, then the deferred string (3 units
	// + 2 bytes padding), TotalEntries 1, NULL resume handle, WERROR 0.
	want := "" +
		"00000000" + "00000000" + "00000200" + "01000000" + "04000200" +
		"01000000" + "08000200" +
		"03000000" + "00000000" + "03000000" + "610062000000" + "0000" +
		"01000000" + "00000000" + "00000000"
	got := EncodeSessEnumResponse(&SessEnumResponse{Level: 0,
		Entries: []sessionapi.SessionInfo502{{ClientName: "ab"}}, TotalEntries: 1})
	assert.Equal(t, want, hex.EncodeToString(got))
}

func TestSessEnumResponseRoundTrip(t *testing.T) {
	for name, p := range sampleResponses() {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeSessEnumResponse(EncodeSessEnumResponse(p))
			require.NoError(t, err)
			assert.Equal(t, p, got)
		})
	}
}

func TestSessEnumRequestRoundTrip(t *testing.T) {
	for name, q := range sampleRequests() {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeSessEnumRequest(EncodeSessEnumRequest(q))
			require.NoError(t, err)
			assert.Equal(t, q, got)
		})
	}
}

func TestSessDelRoundTrip(t *testing.T) {
	for _, q := range []*SessDelRequest{
		{},
		{ClientName: ptr(`\\ws01`)},
		{ServerName: ptr("srv"), ClientName: ptr("ws01"), UserName: ptr("alice")},
		{UserName: ptr("")},
	} {
		got, err := DecodeSessDelRequest(EncodeSessDelRequest(q))
		require.NoError(t, err)
		assert.Equal(t, q, got)
	}
	v, err := DecodeSessDelResponse(EncodeSessDelResponse(uint32(sessionapi.ERROR_ACCESS_DENIED)))
	require.NoError(t, err)
	assert.Equal(t, uint32(5), v)
}

// TestDecodeRejectsHugeCounts checks that counts and lengths the data cannot hold are errors,
// and that no allocation of the claimed size happens (the test would run out of memory or time
// if 0xFFFFFFFF entries or characters were allocated).
func TestDecodeRejectsHugeCounts(t *testing.T) {
	good := EncodeSessEnumResponse(sampleResponses()["level1"])
	le := func(b []byte, off int, v uint32) []byte {
		c := append([]byte(nil), b...)
		c[off], c[off+1], c[off+2], c[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		return c
	}
	cases := map[string][]byte{
		// EntriesRead and the array's maximum count both huge.
		"entries": le(le(good, 12, 0xFFFFFFFF), 20, 0xFFFFFFFF),
		// EntriesRead and the conformance disagree.
		"count-mismatch": le(good, 12, 2),
		// The first string's maximum and actual counts huge (array: 3 entries of 24 bytes from
		// offset 24, so the first string starts at 24+72 = 96).
		"string": le(le(good, 96, 0xFFFFFFF0), 104, 0xFFFFFFF0),
		// Actual count bigger than the maximum count.
		"actual>max": le(good, 104, 0x20),
		// Non-zero offset.
		"offset":    le(good, 100, 1),
		"truncated": good[:len(good)-3],
		"empty":     nil,
		// Discriminant differs from the level.
		"discriminant": le(good, 4, 0),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeSessEnumResponse(b)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrShort) || errors.Is(err, ErrMalformed), "error %v wraps neither ErrShort nor ErrMalformed", err)
		})
	}
}

func TestDecodeStringWithoutNUL(t *testing.T) {
	w := &writer{}
	w.u32(1)
	w.u32(0)
	w.u32(1)
	copy(w.reserve(4), "a\x00\x00\x00")
	r := &reader{b: w.bytes()}
	r.str("s")
	require.ErrorIs(t, r.err, ErrMalformed)
}

// FuzzDecodeSessEnumResponse: whatever decodes, in either syntax, encodes and decodes back to
// the same value. go test ./internal/ndr -run '^$' -fuzz FuzzDecodeSessEnumResponse -fuzztime 20s -fuzzminimizetime 5s
func FuzzDecodeSessEnumResponse(f *testing.F) {
	for _, p := range sampleResponses() {
		f.Add(EncodeSessEnumResponse(p), false)
		f.Add(NDR64.EncodeSessEnumResponse(p), true)
	}
	f.Add([]byte{}, false)
	for _, name := range []string{"enum-level0.bin", "enum-level1-resume0.bin", "enum-level2-invalid.bin", "enum-level1-denied.bin"} {
		f.Add(readSamba(f, name), false)
	}
	f.Add(readWindows(f, captureARsp), true)
	f.Add(readWindows(f, vectorBRsp), false)
	f.Fuzz(func(t *testing.T, b []byte, ndr64 bool) {
		syn := NDR20
		if ndr64 {
			syn = NDR64
		}
		p, err := syn.DecodeSessEnumResponse(b)
		if err != nil {
			return
		}
		// What decodes must encode and decode back to the same value (string members that
		// were NULL come back as empty strings, which is how the client reports them too).
		again, err := syn.DecodeSessEnumResponse(syn.EncodeSessEnumResponse(p))
		require.NoError(t, err)
		if len(p.Entries) == 0 {
			p.Entries, again.Entries = nil, nil
		}
		again.HasContainer = p.HasContainer
		require.Equal(t, p, again)
	})
}

// FuzzDecodeSessEnumRequest is the server's side: hostile request stubs in either syntax. What
// decodes re-encodes to a stub that decodes to the same request (NULL and "" kept apart).
// go test ./internal/ndr -run '^$' -fuzz FuzzDecodeSessEnumRequest -fuzztime 20s -fuzzminimizetime 5s
func FuzzDecodeSessEnumRequest(f *testing.F) {
	for _, q := range sampleRequests() {
		f.Add(EncodeSessEnumRequest(q), false)
		f.Add(NDR64.EncodeSessEnumRequest(q), true)
	}
	f.Add(readWindows(f, captureAReq), true)
	f.Add(NDR64.EncodeSessDelRequest(&SessDelRequest{ClientName: ptr("")}), true)
	f.Fuzz(func(t *testing.T, b []byte, ndr64 bool) {
		syn := NDR20
		if ndr64 {
			syn = NDR64
		}
		if q, err := syn.DecodeSessEnumRequest(b); err == nil {
			again, err := syn.DecodeSessEnumRequest(syn.EncodeSessEnumRequest(q))
			require.NoError(t, err)
			require.Equal(t, q, again)
		}
		if q, err := syn.DecodeSessDelRequest(b); err == nil {
			again, err := syn.DecodeSessDelRequest(syn.EncodeSessDelRequest(q))
			require.NoError(t, err)
			require.Equal(t, q, again)
		}
		_, _ = syn.DecodeSessDelResponse(b)
	})
}
