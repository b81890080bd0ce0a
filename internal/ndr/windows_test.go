package ndr

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// The bytes in testdata/windows are copied unchanged from the project's Windows evidence (see
// testdata/windows/README.md): capture A is frames 556 and 557 of OTRF/Security-Datasets'
// "Empire Remote Get Session" pcap (MIT License, Copyright (c) 2021 Open Threat Research
// Forge), a Windows 10 1903 netapi32 NetSessionEnum against a Windows Server 2019-family DC,
// in NDR64; vector B is the level-10 response in jfjallid/go-smb's
// dcerpc/mssrvs/srvs_test.go (MIT), in NDR 2.0.
func readWindows(t testing.TB, name string) []byte {
	t.Helper()
	h, err := os.ReadFile(filepath.Join("testdata", "windows", name))
	require.NoError(t, err)
	b, err := hex.DecodeString(strings.TrimSpace(string(h)))
	require.NoError(t, err)
	return b
}

const (
	captureAReq = "mordor_f556_NetrSessionEnum_req_stub_ndr64.hex"
	captureARsp = "mordor_f557_NetrSessionEnum_rsp_stub_ndr64.hex"
	vectorBRsp  = "gosmb_srvs_test_TestNetSessionEnumRes_level10_rsp_stub_ndr20.hex"
)

func TestCaptureARequest(t *testing.T) {
	b := readWindows(t, captureAReq)
	require.Len(t, b, 196)
	q, err := NDR64.DecodeSessEnumRequest(b)
	require.NoError(t, err)
	require.NotNil(t, q.ServerName)
	assert.Equal(t, "MORDORDC", *q.ServerName, "ServerName as netapi32 sent it: no \\\\")
	require.NotNil(t, q.ClientName, "ClientName is a non-NULL pointer")
	assert.Equal(t, "", *q.ClientName, "to an empty string")
	require.NotNil(t, q.UserName, "UserName is a non-NULL pointer")
	assert.Equal(t, "", *q.UserName)
	assert.Equal(t, sessionapi.Level10, q.Level)
	assert.Equal(t, sessionapi.MaxPreferredLength, q.MaxBuffer)
	require.NotNil(t, q.Resume)
	assert.Equal(t, uint32(0), *q.Resume)
	assert.Equal(t, hex.EncodeToString(b), hex.EncodeToString(NDR64.EncodeSessEnumRequest(q)), "re-encoded, byte for byte")

	// The same request in NDR 2.0 is another encoding of the same values.
	again, err := NDR20.DecodeSessEnumRequest(NDR20.EncodeSessEnumRequest(q))
	require.NoError(t, err)
	assert.Equal(t, q, again)
	_, err = NDR20.DecodeSessEnumRequest(b)
	assert.Error(t, err, "NDR64 bytes do not read as NDR 2.0")
}

func TestCaptureAResponse(t *testing.T) {
	b := readWindows(t, captureARsp)
	require.Len(t, b, 192)
	p, err := NDR64.DecodeSessEnumResponse(b)
	require.NoError(t, err)
	require.NotNil(t, p.Resume)
	assert.Equal(t, &SessEnumResponse{
		Level: sessionapi.Level10, HasContainer: true,
		Entries:      []sessionapi.SessionInfo502{{ClientName: `\\172.18.39.5`, UserName: "pgustavo", Time: 0, IdleTime: 0}},
		TotalEntries: 1, Resume: ptr(uint32(18)), Result: 0,
	}, p)
	assert.Equal(t, hex.EncodeToString(b), hex.EncodeToString(NDR64.EncodeSessEnumResponse(p)), "re-encoded, byte for byte")
}

func TestVectorBResponse(t *testing.T) {
	b := readWindows(t, vectorBRsp)
	require.Len(t, b, 144)
	p, err := NDR20.DecodeSessEnumResponse(b)
	require.NoError(t, err)
	assert.Equal(t, &SessEnumResponse{
		Level: sessionapi.Level10, HasContainer: true,
		Entries:      []sessionapi.SessionInfo502{{ClientName: `\\100.100.100.51`, UserName: "administrator", Time: 2, IdleTime: 0}},
		TotalEntries: 1, Resume: ptr(uint32(7)), Result: 0,
	}, p)
	// Our referent ids count up from 0x00020000 by 4 in the order the pointers are written,
	// as the vector's do (container, Buffer, cname, username, ResumeHandle): the bytes match.
	assert.Equal(t, hex.EncodeToString(b), hex.EncodeToString(NDR20.EncodeSessEnumResponse(p)), "re-encoded, byte for byte")
}

func TestRoundTripBothSyntaxes(t *testing.T) {
	for _, syn := range syntaxes {
		for name, p := range sampleResponses() {
			got, err := syn.DecodeSessEnumResponse(syn.EncodeSessEnumResponse(p))
			require.NoError(t, err, "%s %s", syn, name)
			if len(p.Entries) == 0 {
				got.Entries = p.Entries
			}
			assert.Equal(t, p, got, "%s %s", syn, name)
		}
		for name, q := range sampleRequests() {
			got, err := syn.DecodeSessEnumRequest(syn.EncodeSessEnumRequest(q))
			require.NoError(t, err, "%s %s", syn, name)
			assert.Equal(t, q, got, "%s %s", syn, name)
		}
		for _, q := range []*SessDelRequest{{}, {ServerName: ptr(""), ClientName: ptr(`\\ws01`)}, {UserName: ptr("")}} {
			got, err := syn.DecodeSessDelRequest(syn.EncodeSessDelRequest(q))
			require.NoError(t, err)
			assert.Equal(t, q, got, "%s: NULL and non-NULL empty strings stay apart", syn)
		}
		v, err := syn.DecodeSessDelResponse(syn.EncodeSessDelResponse(2312))
		require.NoError(t, err)
		assert.Equal(t, uint32(2312), v)
	}
}

func TestNDR64Layout(t *testing.T) {
	// The empty default arm (an unknown level): Level, pad, discriminant, and the structure
	// padded to 8 (ndrdump refuses it without that padding), TotalEntries, NULL resume
	// handle (8 bytes, aligned), WERROR.
	want := "03000000" + "00000000" + "03000000" + "00000000" + "00000000" + "00000000" + "0000000000000000" + "7c000000"
	got := NDR64.EncodeSessEnumResponse(&SessEnumResponse{Level: 3, Result: uint32(sessionapi.ERROR_INVALID_LEVEL)})
	assert.Equal(t, want, hex.EncodeToString(got))
}

// TestDecodeHostileNDR64 puts absurd counts where capture A has its counts.
func TestDecodeHostileNDR64(t *testing.T) {
	rsp, req := readWindows(t, captureARsp), readWindows(t, captureAReq)
	put64 := func(b []byte, off int, v uint64) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint64(c[off:], v)
		return c
	}
	put32 := func(b []byte, off int, v uint32) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	cases := map[string]struct {
		b   []byte
		req bool
	}{
		// Offsets from mordor_ndr64_annotated.txt.
		"entries":            {put64(put32(rsp, 0x18, 0xFFFFFFFF), 0x28, 0xFFFFFFFF), false},
		"count-over-32-bits": {put64(rsp, 0x28, 1<<40|1), false},
		"cname-huge":         {put64(put64(rsp, 0x48, 0xFFFFFFF0), 0x58, 0xFFFFFFF0), false},
		"cname-actual>max":   {put64(rsp, 0x58, 15), false},
		"cname-offset":       {put64(rsp, 0x50, 1), false},
		"discriminant":       {put32(rsp, 0x08, 1), false},
		"truncated":          {rsp[:len(rsp)-1], false},
		"server-huge":        {put64(put64(req, 0x08, 1<<31), 0x18, 1<<31), true},
		"server-no-NUL":      {put32(req, 0x2e, 0x00430043), true},
		"client-empty-count": {put64(req, 0x50, 0), true},
		"req-container-huge": {put64(put32(put64(req, 0xa8, 0x20000), 0xa0, 0xFFFFFFFF), 0xb0, 0xFFFFFFFF), true},
		"req-truncated":      {req[:len(req)-2], true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			if tc.req {
				_, err = NDR64.DecodeSessEnumRequest(tc.b)
			} else {
				_, err = NDR64.DecodeSessEnumResponse(tc.b)
			}
			require.Error(t, err)
			t.Log(err)
			assert.True(t, errors.Is(err, ErrShort) || errors.Is(err, ErrMalformed), "error %v wraps neither ErrShort nor ErrMalformed", err)
		})
	}
}

// TestDecodeMemoryBoundedByInput: a 200-byte request claiming four billion entries or
// characters costs no more memory than a few times its size.
func TestDecodeMemoryBoundedByInput(t *testing.T) {
	req := readWindows(t, captureAReq)
	hostile := append([]byte(nil), req...)
	binary.LittleEndian.PutUint64(hostile[0xa8:], 0x20000)    // a non-NULL Buffer
	binary.LittleEndian.PutUint32(hostile[0xa0:], 0xFFFFFFFF) // EntriesRead
	hostile = append(hostile[:0xb0], make([]byte, 8+16)...)   // room for the conformance
	binary.LittleEndian.PutUint64(hostile[0xb0:], 0xFFFFFFFF) // max_count
	hostileStr := append([]byte(nil), req...)
	binary.LittleEndian.PutUint64(hostileStr[0x08:], 0x7FFFFFFF) // ServerName max_count
	binary.LittleEndian.PutUint64(hostileStr[0x18:], 0x7FFFFFFF) // and actual_count
	for _, b := range [][]byte{hostile, hostileStr} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 100 {
			_, err := NDR64.DecodeSessEnumRequest(b)
			require.Error(t, err)
			_, err = NDR20.DecodeSessEnumRequest(b)
			require.Error(t, err)
		}
		runtime.ReadMemStats(&after)
		perCall := (after.TotalAlloc - before.TotalAlloc) / 200
		assert.Less(t, perCall, uint64(4096), "bytes allocated per decode of a %d-byte hostile request", len(b))
	}
}
