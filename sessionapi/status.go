package sessionapi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Status is a NET_API_STATUS (a Win32 error code, an NERR_ code, or an RPC status) returned by
// the session functions. A non-zero Status is an error.
//
// The constant names follow the Windows headers so they can be searched for in Microsoft's
// documentation; Go style would otherwise rename them.
type Status uint32

// The statuses of spec §2, by name and number.
//
//nolint:revive // names as in lmerr.h and winerror.h
const (
	NERR_Success                 Status = 0
	ERROR_ACCESS_DENIED          Status = 5
	ERROR_NOT_ENOUGH_MEMORY      Status = 8
	ERROR_NOT_SUPPORTED          Status = 50
	ERROR_BAD_NETPATH            Status = 53
	ERROR_INVALID_PARAMETER      Status = 87
	ERROR_INVALID_LEVEL          Status = 124
	ERROR_MORE_DATA              Status = 234
	RPC_S_SERVER_UNAVAILABLE     Status = 1722
	RPC_S_SERVER_TOO_BUSY        Status = 1723 // the served fake's fault for a request while too many answers are unread
	NERR_ServerNotStarted        Status = 2114
	NERR_BufTooSmall             Status = 2123
	NERR_UserNotFound            Status = 2221
	NERR_ClientNameNotFound      Status = 2312
	NERR_InvalidComputer         Status = 2351
	NCA_S_OP_RNG_ERROR           Status = 0x1C010002 // a DCE/RPC fault, not a NET_API_STATUS: Samba AD DC's NetSessDel
	RPC_X_BAD_STUB_DATA          Status = 0x000006F7 // the fault for an undecodable stub (Samba S12: a filter string without its NUL terminator); 1783
	NCA_S_FAULT_CONTEXT_MISMATCH Status = 0x1C00001A // a DCE/RPC fault: the context handle does not match

	// Deprecated: NCA_S_FAULT_BAD_STUB_DATA was mislabelled: 0x1C00001A is
	// nca_s_fault_context_mismatch (MS-RPCE 2.2.2.11), and a bad stub draws
	// RPC_X_BAD_STUB_DATA (0x6F7), as Samba 4.17 answers live. Use RPC_X_BAD_STUB_DATA.
	NCA_S_FAULT_BAD_STUB_DATA = NCA_S_FAULT_CONTEXT_MISMATCH
)

var statusNames = map[Status]string{
	NERR_Success:                 "NERR_Success",
	ERROR_ACCESS_DENIED:          "ERROR_ACCESS_DENIED",
	ERROR_NOT_ENOUGH_MEMORY:      "ERROR_NOT_ENOUGH_MEMORY",
	ERROR_NOT_SUPPORTED:          "ERROR_NOT_SUPPORTED",
	ERROR_BAD_NETPATH:            "ERROR_BAD_NETPATH",
	ERROR_INVALID_PARAMETER:      "ERROR_INVALID_PARAMETER",
	ERROR_INVALID_LEVEL:          "ERROR_INVALID_LEVEL",
	ERROR_MORE_DATA:              "ERROR_MORE_DATA",
	RPC_S_SERVER_UNAVAILABLE:     "RPC_S_SERVER_UNAVAILABLE",
	RPC_S_SERVER_TOO_BUSY:        "RPC_S_SERVER_TOO_BUSY",
	NERR_ServerNotStarted:        "NERR_ServerNotStarted",
	NERR_BufTooSmall:             "NERR_BufTooSmall",
	NERR_UserNotFound:            "NERR_UserNotFound",
	NERR_ClientNameNotFound:      "NERR_ClientNameNotFound",
	NERR_InvalidComputer:         "NERR_InvalidComputer",
	NCA_S_OP_RNG_ERROR:           "NCA_S_OP_RNG_ERROR",
	RPC_X_BAD_STUB_DATA:          "RPC_X_BAD_STUB_DATA",
	NCA_S_FAULT_CONTEXT_MISMATCH: "NCA_S_FAULT_CONTEXT_MISMATCH",
}

var statusByName = func() map[string]Status {
	m := make(map[string]Status, len(statusNames))
	for s, n := range statusNames {
		m[strings.ToUpper(n)] = s
	}
	return m
}()

// Statuses lists every named status, in numeric order.
func Statuses() []Status {
	return []Status{
		NERR_Success, ERROR_ACCESS_DENIED, ERROR_NOT_ENOUGH_MEMORY, ERROR_NOT_SUPPORTED,
		ERROR_BAD_NETPATH, ERROR_INVALID_PARAMETER, ERROR_INVALID_LEVEL, ERROR_MORE_DATA,
		RPC_S_SERVER_UNAVAILABLE, RPC_S_SERVER_TOO_BUSY, RPC_X_BAD_STUB_DATA, NERR_ServerNotStarted,
		NERR_BufTooSmall, NERR_UserNotFound, NERR_ClientNameNotFound, NERR_InvalidComputer,
		NCA_S_FAULT_CONTEXT_MISMATCH, NCA_S_OP_RNG_ERROR,
	}
}

// String returns the status's name, or its number in hex when it has none here.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status 0x%X", uint32(s))
}

// Error returns the name and the number, as in "ERROR_MORE_DATA (234)".
func (s Status) Error() string {
	if n, ok := statusNames[s]; ok {
		return n + " (" + strconv.FormatUint(uint64(s), 10) + ")"
	}
	return fmt.Sprintf("NET_API_STATUS %d (0x%X)", uint32(s), uint32(s))
}

// Is reports whether target is the same code, as a Status or as a syscall.Errno (which is how
// Windows APIs wrapped by golang.org/x/sys hand statuses back, spec rule 83).
func (s Status) Is(target error) bool {
	switch t := target.(type) {
	case Status:
		return s == t
	case syscall.Errno:
		return uint64(s) == uint64(t)
	}
	return false
}

// ParseStatus reads a status by name ("ERROR_MORE_DATA", case-insensitive) or by number
// ("234", "0x1C010002").
func ParseStatus(text string) (Status, error) {
	t := strings.TrimSpace(text)
	if s, ok := statusByName[strings.ToUpper(t)]; ok {
		return s, nil
	}
	if n, err := strconv.ParseUint(t, 0, 32); err == nil {
		return Status(n), nil
	}
	names := make([]string, 0, len(statusNames))
	for _, s := range Statuses() {
		names = append(names, s.String())
	}
	return 0, fmt.Errorf("unknown status %q: want a number or one of %s", text, strings.Join(names, ", "))
}

// StatusOf extracts the status a server answered with: a Status anywhere in err's chain. nil
// gives NERR_Success. ok is false when err carries none: a transport error, a done context.
//
// Never discard ok: when it is false, s is 0, which is NERR_Success, so
// `st, _ := StatusOf(err)` prints "NERR_Success" for a broken connection. To print what an
// error says, use [StatusString]; to test for one status, errors.Is(err, ERROR_ACCESS_DENIED)
// works alike against the fake, a fleet and a real server, whatever their error texts.
//
// A syscall.Errno is not taken for a status, because on every system but Windows it is a POSIX
// errno (a refused connection carries ECONNREFUSED, 111), and even on Windows a socket error
// is one: counting those as answers would make a broken connection look like a server that
// spoke. Code that gets a NET_API_STATUS as a syscall.Errno from a Win32 call converts it:
// sessionapi.Status(errno).
func StatusOf(err error) (s Status, ok bool) {
	if err == nil {
		return NERR_Success, true
	}
	if errors.As(err, &s) {
		return s, true
	}
	return 0, false
}

// StatusString names the status err carries, for a table or a log: "NERR_Success" for nil,
// the status's name ("ERROR_ACCESS_DENIED") when err carries one, and "no status" for an error
// that carries none (a transport failure, a done context), which StatusOf would report as
// NERR_Success when its ok is ignored.
func StatusString(err error) string {
	s, ok := StatusOf(err)
	if !ok {
		return "no status"
	}
	return s.String()
}
