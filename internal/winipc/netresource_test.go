package winipc

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// NETRESOURCEW's offsets from the Windows SDK (winnetwk.h): the pointers start at 16 in both
// layouts. Run with GOARCH=386 too for the 32-bit one.
func TestNetResourceLayout(t *testing.T) {
	var nr netResource
	p := unsafe.Sizeof(uintptr(0))
	assert.Equal(t, uintptr(16), unsafe.Offsetof(nr.localName), "lpLocalName")
	assert.Equal(t, 16+p, unsafe.Offsetof(nr.remoteName), "lpRemoteName")
	assert.Equal(t, 16+3*p, unsafe.Offsetof(nr.provider), "lpProvider")
	assert.Equal(t, 16+4*p, unsafe.Sizeof(nr), "sizeof(NETRESOURCEW) with %d-byte pointers", p)
}
