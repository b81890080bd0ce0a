package windowstest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/sessionsim/sessionsim/conformance"
)

// SmbSession is one session as Get-SmbSession reports it (the MSFT_SmbSession properties the
// harness asks for). Properties a Windows version lacks, or reports as null, stay zero.
type SmbSession struct {
	SessionID          uint64 `json:"SessionId"`
	ClientComputerName string `json:"ClientComputerName"`
	ClientUserName     string `json:"ClientUserName"`
	NumOpens           uint64 `json:"NumOpens"`
	Dialect            string `json:"Dialect"`
	SecondsExists      uint32 `json:"SecondsExists"`
	SecondsIdle        uint32 `json:"SecondsIdle"`
	TransportName      string `json:"TransportName"`
}

// getSmbSessionScript prints the server's sessions as a JSON array. -InputObject keeps an
// array of one (or none) an array, which piping into ConvertTo-Json does not; Select-Object
// keeps the CIM instances' own metadata out; the output encoding is UTF-8 without a BOM,
// whatever the console's code page, so that non-ASCII user names arrive intact.
const getSmbSessionScript = `$ErrorActionPreference = 'Stop'
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
$s = @(Get-SmbSession | Select-Object SessionId, ClientComputerName, ClientUserName, NumOpens, Dialect, SecondsExists, SecondsIdle, TransportName)
ConvertTo-Json -Compress -Depth 2 -InputObject $s
`

// powershellArgs are the arguments that run script in Windows PowerShell without a profile.
// The script goes base64-encoded as UTF-16LE (-EncodedCommand), so no quoting rule of the
// Windows command line can change it.
func powershellArgs(script string) []string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-EncodedCommand", base64.StdEncoding.EncodeToString(b)}
}

// powershell returns the path of the native Windows PowerShell. A 32-bit process on 64-bit
// Windows (a GOARCH=386 test binary) would start the 32-bit one from SysWOW64, whose module
// set need not include SmbShare; Sysnative is the name under which such a process sees the
// real System32 (it exists only for WOW64 processes).
func powershell() (string, error) {
	if root := os.Getenv("SystemRoot"); root != "" {
		native := filepath.Join(root, "Sysnative", "WindowsPowerShell", "v1.0", "powershell.exe")
		if _, err := os.Stat(native); err == nil {
			return native, nil
		}
	}
	p, err := exec.LookPath("powershell.exe")
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoPowerShell, err)
	}
	return p, nil
}

// GetSmbSessions runs Get-SmbSession on this machine (it needs an elevated process) and
// returns the server's sessions. Each run starts a PowerShell: about a second.
func GetSmbSessions(ctx context.Context) ([]SmbSession, error) {
	ps, err := powershell()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, ps, powershellArgs(getSmbSessionScript)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("Get-SmbSession: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return ParseSmbSessions(out)
}

// ParseSmbSessions reads the output of Get-SmbSession | ConvertTo-Json: an array of sessions,
// a single object (what ConvertTo-Json makes of a pipeline of one), or nothing at all (of
// none). A UTF-8 BOM and surrounding white space are ignored.
func ParseSmbSessions(data []byte) ([]SmbSession, error) {
	data = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("\xef\xbb\xbf")))
	switch {
	case len(data) == 0, string(data) == "null":
		return []SmbSession{}, nil
	case data[0] == '{':
		var s SmbSession
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("Get-SmbSession output: %w", err)
		}
		return []SmbSession{s}, nil
	}
	var out []SmbSession
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("Get-SmbSession output: %w", err)
	}
	if out == nil {
		out = []SmbSession{}
	}
	return out, nil
}

// anonymousLogon is the account Windows names a null session's user (NT AUTHORITY\ANONYMOUS
// LOGON, S-1-5-7); it is not localized.
const anonymousLogon = "ANONYMOUS LOGON"

// UserName is the bare account name of ClientUserName (DOMAIN\user → user), as
// sesi*_username carries it; a null session's user is "".
func (s SmbSession) UserName() string {
	u := s.ClientUserName
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	if strings.EqualFold(u, anonymousLogon) {
		return ""
	}
	return u
}

// Observed is the session as the conformance suite wants it; see the package doc for the
// mapping. Seeded is left false: whether a session is the harness's own seed is the
// harness's knowledge, not the server's.
func (s SmbSession) Observed() conformance.Observed {
	user := s.UserName()
	return conformance.Observed{
		ClientName: strings.TrimPrefix(s.ClientComputerName, `\\`),
		UserName:   user,
		OpenFiles:  int(min(s.NumOpens, math.MaxInt32)),
		// The built-in guest account is "Guest" unless renamed or localized; guest seeds are not
		// supported here, so this only matters for a session someone else opened.
		Guest: user == "" || strings.EqualFold(user, "Guest"),
	}
}

// errNoPowerShell is returned when powershell.exe is not on PATH (not a Windows machine).
var errNoPowerShell = errors.New("windowstest: powershell.exe not found: Get-SmbSession needs Windows PowerShell")
