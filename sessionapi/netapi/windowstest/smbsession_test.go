package windowstest

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/conformance"
)

// A line of Get-SmbSession | Select-Object ... | ConvertTo-Json -Compress as Windows
// PowerShell 5.1 writes it (field order and types of MSFT_SmbSession; values made up).
const twoSessions = `[{"SessionId":8813272891621,"ClientComputerName":"127.77.3.1","ClientUserName":"RUNNERVM\\alice","NumOpens":2,"Dialect":"3.1.1","SecondsExists":95,"SecondsIdle":3,"TransportName":null},` +
	`{"SessionId":8813272891625,"ClientComputerName":"[::1]","ClientUserName":"NT AUTHORITY\\ANONYMOUS LOGON","NumOpens":0,"Dialect":"3.1.1","SecondsExists":1,"SecondsIdle":1}]`

func TestParseSmbSessionsArray(t *testing.T) {
	got, err := ParseSmbSessions([]byte(twoSessions + "\r\n"))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, SmbSession{SessionID: 8813272891621, ClientComputerName: "127.77.3.1", ClientUserName: `RUNNERVM\alice`,
		NumOpens: 2, Dialect: "3.1.1", SecondsExists: 95, SecondsIdle: 3}, got[0])
	assert.Equal(t, `NT AUTHORITY\ANONYMOUS LOGON`, got[1].ClientUserName)
}

func TestParseSmbSessionsShapes(t *testing.T) {
	one := `{"SessionId":1,"ClientComputerName":"127.77.1.2","ClientUserName":"WS\\bob","NumOpens":0}`
	for _, c := range []struct {
		name, in string
		want     int
	}{
		{"nothing (no session, piped)", "", 0},
		{"white space", " \r\n", 0},
		{"null", "null\r\n", 0},
		{"empty array (-InputObject @())", "[]", 0},
		{"single object (a pipeline of one)", one, 1},
		{"array of one", "[" + one + "]", 1},
		{"UTF-8 BOM", "\xef\xbb\xbf" + one, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSmbSessions([]byte(c.in))
			require.NoError(t, err, "ParseSmbSessions(%q)", c.in)
			require.NotNil(t, got, "ParseSmbSessions(%q) = nil; want an empty slice", c.in)
			assert.Len(t, got, c.want, "ParseSmbSessions(%q)", c.in)
		})
	}
}

func TestParseSmbSessionsRejectsGarbage(t *testing.T) {
	for _, in := range []string{"Get-SmbSession : Access denied", `{"SessionId":"x"}`, `[{"NumOpens":-1}]`, `[1,2]`, `{`} {
		_, err := ParseSmbSessions([]byte(in))
		assert.Error(t, err, "ParseSmbSessions(%q)", in)
	}
}

func TestObservedMapping(t *testing.T) {
	for _, c := range []struct {
		in   SmbSession
		want conformance.Observed
	}{
		{SmbSession{ClientComputerName: "127.77.3.1", ClientUserName: `RUNNERVM\alice`, NumOpens: 2},
			conformance.Observed{ClientName: "127.77.3.1", UserName: "alice", OpenFiles: 2}},
		{SmbSession{ClientComputerName: `\\127.0.0.1`, ClientUserName: "bob"},
			conformance.Observed{ClientName: "127.0.0.1", UserName: "bob"}},
		{SmbSession{ClientComputerName: "127.0.0.1", ClientUserName: `NT AUTHORITY\ANONYMOUS LOGON`},
			conformance.Observed{ClientName: "127.0.0.1", UserName: "", Guest: true}},
		{SmbSession{ClientComputerName: "127.0.0.1", ClientUserName: `WS\Guest`},
			conformance.Observed{ClientName: "127.0.0.1", UserName: "Guest", Guest: true}},
		{SmbSession{ClientComputerName: "10.0.0.5", ClientUserName: `CONTOSO\svc\odd`, NumOpens: 1 << 40},
			conformance.Observed{ClientName: "10.0.0.5", UserName: "odd", OpenFiles: 1<<31 - 1}},
	} {
		assert.Equal(t, c.want, c.in.Observed(), "%+v.Observed()", c.in)
	}
}

// The script must reach PowerShell unchanged: -EncodedCommand is base64 of UTF-16LE.
func TestPowershellArgsEncodeTheScript(t *testing.T) {
	args := powershellArgs(getSmbSessionScript)
	require.Equal(t, "-EncodedCommand", args[len(args)-2])
	raw, err := base64.StdEncoding.DecodeString(args[len(args)-1])
	require.NoError(t, err)
	require.Zero(t, len(raw)%2)
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	assert.Equal(t, getSmbSessionScript, string(utf16.Decode(u)))
	assert.Contains(t, getSmbSessionScript, "-InputObject", "an array of one must stay an array")
	for _, f := range []string{"ClientComputerName", "ClientUserName", "NumOpens"} {
		assert.True(t, strings.Contains(getSmbSessionScript, f), "the script does not select %s", f)
	}
}

func FuzzParseSmbSessions(f *testing.F) {
	f.Add([]byte(twoSessions))
	f.Add([]byte(`{"ClientUserName":"\\\\\\"}`))
	f.Add([]byte("\xef\xbb\xbfnull"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseSmbSessions(data)
		if err != nil {
			return
		}
		for _, s := range got {
			o := s.Observed()
			if o.OpenFiles < 0 {
				t.Errorf("%+v.Observed().OpenFiles = %d; want >= 0", s, o.OpenFiles)
			}
			if strings.Contains(o.UserName, `\`) {
				t.Errorf("%+v.Observed().UserName = %q; want no domain", s, o.UserName)
			}
		}
	})
}
