package netapi

import (
	"fmt"
	"unsafe"
)

// rawBuffer is a buffer in this process's memory, read in place: on Windows, what netapi32
// returned. Its View trusts the addresses it is given (they come from netapi32, which laid
// the buffer out); the layout package bounds each string's length, so a bad pointer cannot
// make it read forever. It holds an unsafe.Pointer rather than a uintptr so that addresses
// are derived from it with unsafe.Add, which go vet and checkptr accept.
type rawBuffer struct{ p unsafe.Pointer }

func (b rawBuffer) address() uint64 { return uint64(uintptr(b.p)) }

// View returns the n bytes at addr in place.
func (b rawBuffer) View(addr uint64, n int) ([]byte, error) {
	const maxAddr = uint64(^uintptr(0))
	if addr == 0 || n < 0 || addr > maxAddr || uint64(n) > maxAddr-addr {
		return nil, fmt.Errorf("reading %d bytes at 0x%X: not a valid range of this process's memory", n, addr)
	}
	if n == 0 {
		return []byte{}, nil
	}
	// Wrapping uintptr arithmetic reaches addresses below the buffer too.
	at := unsafe.Add(b.p, uintptr(addr)-uintptr(b.p))
	return unsafe.Slice((*byte)(at), n), nil
}
