//go:build windows

package winipc

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// golang.org/x/sys/windows has no WNet* wrappers; they are looked up in mpr.dll from the
// system directory only.
var (
	modMpr                     = windows.NewLazySystemDLL("mpr.dll")
	procWNetAddConnection2W    = modMpr.NewProc("WNetAddConnection2W")
	procWNetCancelConnection2W = modMpr.NewProc("WNetCancelConnection2W")
)

const (
	resourcetypeAny  = 0 // RESOURCETYPE_ANY: what IPC$ is connected as
	connectTemporary = 0x4
	// ERROR_SESSION_CREDENTIAL_CONFLICT: the name is already connected with other credentials.
	errSessionCredentialConflict = syscall.Errno(1219)
)

// Connect opens \\server\IPC$ as user (NAME or DOMAIN\NAME) with password; "" and "" make a
// null session. netapi32 then uses that connection's credentials for calls to server. It
// returns the function that cancels the connection. A connection to the name left with other
// credentials (an earlier run) is cancelled and the connection tried once more.
func Connect(server, user, password string) (func() error, error) {
	remote, err := windows.UTF16PtrFromString(`\\` + server + `\IPC$`)
	if err != nil {
		return nil, err
	}
	// Empty strings, not NULL: NULL would mean "the process's own credentials".
	pu, err := windows.UTF16PtrFromString(user)
	if err != nil {
		return nil, err
	}
	pp, err := windows.UTF16PtrFromString(password)
	if err != nil {
		return nil, err
	}
	if err := procWNetAddConnection2W.Find(); err != nil {
		return nil, err
	}
	add := func() error {
		nr := netResource{typ: resourcetypeAny, remoteName: remote}
		// DWORD WNetAddConnection2W(LPNETRESOURCEW lpNetResource, LPCWSTR lpPassword,
		// LPCWSTR lpUserName, DWORD dwFlags): the password comes before the user.
		r, _, _ := syscall.SyscallN(procWNetAddConnection2W.Addr(), uintptr(unsafe.Pointer(&nr)),
			uintptr(unsafe.Pointer(pp)), uintptr(unsafe.Pointer(pu)), connectTemporary)
		if r != 0 {
			return syscall.Errno(r)
		}
		return nil
	}
	cancel := func() error { return cancelIPC(remote) }
	err = add()
	if errors.Is(err, errSessionCredentialConflict) {
		_ = cancel()
		err = add()
	}
	if err != nil {
		return nil, fmt.Errorf("WNetAddConnection2W(%s): %w", `\\`+server+`\IPC$`, err)
	}
	return cancel, nil
}

// cancelIPC is WNetCancelConnection2W(name, 0, TRUE): forced, as the harness holds no file
// on IPC$ that it would want to keep.
func cancelIPC(remote *uint16) error {
	if err := procWNetCancelConnection2W.Find(); err != nil {
		return err
	}
	r, _, _ := syscall.SyscallN(procWNetCancelConnection2W.Addr(), uintptr(unsafe.Pointer(remote)), 0, 1)
	if r != 0 {
		return fmt.Errorf("WNetCancelConnection2W: %w", syscall.Errno(r))
	}
	return nil
}
