package netapi

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi/internal/layout"
)

// nativeArch is the layout of this process, as netapi32 would return it.
func nativeArch() sessionapi.Arch {
	if unsafe.Sizeof(uintptr(0)) == 4 {
		return sessionapi.X86
	}
	return sessionapi.X64
}

// TestRawBufferDecodesInPlace runs the Windows read path — real pointers into this process's
// memory, read in place through rawBuffer — over a buffer laid out at its own address, the way
// netapi32 returns one. Under -race, checkptr watches the pointer arithmetic.
func TestRawBufferDecodesInPlace(t *testing.T) {
	want := sessions(3, sessionapi.Level502)
	size := sessionapi.ResultSize(want, nativeArch())
	mem := make([]byte, size)
	p := unsafe.Pointer(unsafe.SliceData(mem))
	laid, err := layout.Encode(want, uint64(uintptr(p)), nativeArch())
	require.NoError(t, err)
	require.Len(t, laid, size)
	copy(mem, laid)

	buf := rawBuffer{p}
	got, err := layout.Decode(buf, buf.address(), 3, sessionapi.Level502, nativeArch())
	require.NoError(t, err)
	assert.Equal(t, want, got)
	runtime.KeepAlive(mem)
}

func TestRawBufferViewRefusesImpossibleRanges(t *testing.T) {
	x := [4]byte{1, 2, 3, 4}
	buf := rawBuffer{unsafe.Pointer(&x)}
	_, err := buf.View(0, 2)
	assert.Error(t, err, "View(NULL)")
	_, err = buf.View(buf.address(), -1)
	assert.Error(t, err, "View(n=-1)")
	_, err = buf.View(^uint64(0)-1, 4)
	assert.Error(t, err, "View past the end of the address space")
	v, err := buf.View(buf.address()+1, 2)
	require.NoError(t, err)
	assert.Equal(t, []byte{2, 3}, v)
}
