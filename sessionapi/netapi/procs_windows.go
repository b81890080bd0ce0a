//go:build windows

package netapi

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// golang.org/x/sys/windows has no NetSession* wrappers (spec §11), so the exports are looked
// up here, from the system directory only.
var (
	modNetapi32           = windows.NewLazySystemDLL("netapi32.dll")
	procNetSessionEnum    = modNetapi32.NewProc("NetSessionEnum")
	procNetSessionGetInfo = modNetapi32.NewProc("NetSessionGetInfo")
	procNetSessionDel     = modNetapi32.NewProc("NetSessionDel")
	procNetAPIBufferFree  = modNetapi32.NewProc("NetApiBufferFree")
)

// system is netapi32.dll of this process.
var system procs = systemProcs{}

type systemProcs struct{}

// arch is the layout of this process: netapi32 of a 32-bit process (native x86 or WOW64)
// returns x86 structures.
func (systemProcs) arch() sessionapi.Arch {
	if unsafe.Sizeof(uintptr(0)) == 4 {
		return sessionapi.X86
	}
	return sessionapi.X64
}

// NET_API_STATUS NetSessionEnum(LMSTR servername, LMSTR UncClientName, LMSTR username,
// DWORD level, LPBYTE *bufptr, DWORD prefmaxlen, LPDWORD entriesread, LPDWORD totalentries,
// LPDWORD resume_handle)
func (systemProcs) netSessionEnum(server, client, user *uint16, level uint32, buf *buffer, prefMaxLen uint32,
	entriesRead, totalEntries, resume *uint32) (uint32, error) {
	if err := procNetSessionEnum.Find(); err != nil {
		return 0, err
	}
	var p unsafe.Pointer
	r, _, _ := syscall.SyscallN(procNetSessionEnum.Addr(),
		uintptr(unsafe.Pointer(server)), uintptr(unsafe.Pointer(client)), uintptr(unsafe.Pointer(user)),
		uintptr(level), uintptr(unsafe.Pointer(&p)), uintptr(prefMaxLen),
		uintptr(unsafe.Pointer(entriesRead)), uintptr(unsafe.Pointer(totalEntries)), uintptr(unsafe.Pointer(resume)))
	if p != nil {
		*buf = rawBuffer{p}
	}
	return uint32(r), nil
}

// NET_API_STATUS NetSessionGetInfo(LMSTR servername, LMSTR UncClientName, LMSTR username,
// DWORD level, LPBYTE *bufptr)
func (systemProcs) netSessionGetInfo(server, client, user *uint16, level uint32, buf *buffer) (uint32, error) {
	if err := procNetSessionGetInfo.Find(); err != nil {
		return 0, err
	}
	var p unsafe.Pointer
	r, _, _ := syscall.SyscallN(procNetSessionGetInfo.Addr(),
		uintptr(unsafe.Pointer(server)), uintptr(unsafe.Pointer(client)), uintptr(unsafe.Pointer(user)),
		uintptr(level), uintptr(unsafe.Pointer(&p)))
	if p != nil {
		*buf = rawBuffer{p}
	}
	return uint32(r), nil
}

// NET_API_STATUS NetSessionDel(LMSTR servername, LMSTR UncClientName, LMSTR username)
func (systemProcs) netSessionDel(server, client, user *uint16) (uint32, error) {
	if err := procNetSessionDel.Find(); err != nil {
		return 0, err
	}
	r, _, _ := syscall.SyscallN(procNetSessionDel.Addr(),
		uintptr(unsafe.Pointer(server)), uintptr(unsafe.Pointer(client)), uintptr(unsafe.Pointer(user)))
	return uint32(r), nil
}

// NET_API_STATUS NetApiBufferFree(LPVOID Buffer)
func (systemProcs) netAPIBufferFree(buf buffer) (uint32, error) {
	if err := procNetAPIBufferFree.Find(); err != nil {
		return 0, err
	}
	rb, ok := buf.(rawBuffer)
	if !ok {
		// Only systemProcs makes buffers for systemProcs; anything else is a bug here.
		return 0, fmt.Errorf("buffer %T was not allocated by netapi32", buf)
	}
	r, _, _ := syscall.SyscallN(procNetAPIBufferFree.Addr(), uintptr(rb.p))
	return uint32(r), nil
}
