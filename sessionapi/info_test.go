package sessionapi_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

func TestLevels(t *testing.T) {
	for l := sessionapi.Level(0); l < 1000; l++ {
		enum := l == 0 || l == 1 || l == 2 || l == 10 || l == 502
		assert.Equal(t, enum, l.ValidForEnum(), "%v", l)
		assert.Equal(t, enum && l != 502, l.ValidForGetInfo(), "%v", l)
	}
	assert.Equal(t, "level 502", sessionapi.Level502.String())
}

func TestFlags(t *testing.T) {
	assert.Equal(t, "0", sessionapi.Flags(0).String())
	assert.Equal(t, "SESS_GUEST", sessionapi.SessGuest.String())
	assert.Equal(t, "SESS_GUEST|SESS_NOENCRYPTION", (sessionapi.SessGuest | sessionapi.SessNoEncryption).String())
	assert.Equal(t, "SESS_NOENCRYPTION|0x8", (sessionapi.SessNoEncryption | 8).String())
	f, err := sessionapi.ParseFlag("sess_nonencryption") // the 1998 spelling
	require.NoError(t, err)
	assert.Equal(t, sessionapi.SessNoEncryption, f)
	_, err = sessionapi.ParseFlag("SESS_ADMIN")
	assert.ErrorContains(t, err, `unknown flag "SESS_ADMIN"`)
}

func TestWidenNarrowRoundTrip(t *testing.T) {
	full := sessionapi.SessionInfo502{ClientName: `\\10.0.0.7`, UserName: "alice", NumOpens: 3, Time: 90,
		IdleTime: 30, UserFlags: sessionapi.SessGuest, ClientType: "DOS LM 2.0", Transport: `\Device\NetbiosSmb`}
	for _, l := range sessionapi.Levels() {
		info := sessionapi.Narrow(&full, l)
		require.NotNil(t, info, "%v", l)
		assert.Equal(t, l, info.Level())
		assert.Equal(t, full.ClientName, info.Client())
		w, fields := sessionapi.Widen(info)
		assert.Equal(t, sessionapi.FieldsOf(l), fields)
		// Every carried field survives; every other is zero.
		assert.Equal(t, fields.Has(sessionapi.FieldNumOpens), w.NumOpens == 3, "%v num_opens", l)
		assert.Equal(t, fields.Has(sessionapi.FieldUserFlags), w.UserFlags == sessionapi.SessGuest, "%v flags", l)
		assert.Equal(t, fields.Has(sessionapi.FieldTransport), w.Transport != "", "%v transport", l)
		assert.Equal(t, fields.Has(sessionapi.FieldClientType), w.ClientType != "", "%v cltype", l)
		assert.Equal(t, fields.Has(sessionapi.FieldUserName), w.UserName != "", "%v username", l)
	}
	assert.Nil(t, sessionapi.Narrow(&full, 3))
}

func TestStructSizes(t *testing.T) {
	// Spec §3, measured with mingw-w64.
	want := map[sessionapi.Level][2]int{0: {4, 8}, 1: {24, 32}, 2: {28, 40}, 10: {16, 24}, 502: {32, 48}}
	for l, sz := range want {
		assert.Equal(t, sz[0], sessionapi.StructSize(l, sessionapi.X86), "x86 %v", l)
		assert.Equal(t, sz[1], sessionapi.StructSize(l, sessionapi.X64), "x64 %v", l)
	}
	assert.Zero(t, sessionapi.StructSize(3, sessionapi.X64))
}

func TestStringAndEntrySize(t *testing.T) {
	assert.Equal(t, 2, sessionapi.StringSize(""))
	assert.Equal(t, 12, sessionapi.StringSize("alice"))
	assert.Equal(t, 6, sessionapi.StringSize("𝄞")) // a surrogate pair: 2 units + NUL
	e := &sessionapi.SessionInfo10{ClientName: `\\WS1`, UserName: "bob"}
	// 24 (x64 struct) + 12 (`\\WS1`+NUL) + 8 ("bob"+NUL)
	assert.Equal(t, 44, sessionapi.EntrySize(e, sessionapi.X64))
	assert.Equal(t, 36, sessionapi.EntrySize(e, sessionapi.X86))
	assert.Equal(t, 88, sessionapi.ResultSize([]sessionapi.Info{e, e}, sessionapi.X64))
}

func ExampleWiden() {
	var entry sessionapi.Info = &sessionapi.SessionInfo10{ClientName: `\\WS1`, UserName: "bob", Time: 60}
	full, fields := sessionapi.Widen(entry)
	fmt.Println(full.UserName, fields.Has(sessionapi.FieldNumOpens))
	// Output: bob false
}

func ExampleEntrySize() {
	e := &sessionapi.SessionInfo0{ClientName: `\\10.0.0.5`}
	fmt.Println(sessionapi.EntrySize(e, sessionapi.X64), sessionapi.EntrySize(e, sessionapi.X86))
	// Output: 30 26
}
