package sessionapi_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

func TestStatusNamesAndNumbers(t *testing.T) {
	// Every code of spec §2, by name and number.
	want := map[string]uint32{
		"NERR_Success": 0, "ERROR_ACCESS_DENIED": 5, "ERROR_NOT_ENOUGH_MEMORY": 8, "ERROR_NOT_SUPPORTED": 50,
		"ERROR_BAD_NETPATH": 53, "ERROR_INVALID_PARAMETER": 87, "ERROR_INVALID_LEVEL": 124,
		"ERROR_MORE_DATA": 234, "RPC_S_SERVER_UNAVAILABLE": 1722, "NERR_ServerNotStarted": 2114,
		"NERR_BufTooSmall": 2123, "NERR_UserNotFound": 2221, "NERR_ClientNameNotFound": 2312,
		"NERR_InvalidComputer": 2351, "NCA_S_OP_RNG_ERROR": 0x1C010002, "NCA_S_FAULT_CONTEXT_MISMATCH": 0x1C00001A, "RPC_X_BAD_STUB_DATA": 0x6F7, "RPC_S_SERVER_TOO_BUSY": 1723,
	}
	require.Len(t, sessionapi.Statuses(), len(want))
	for _, s := range sessionapi.Statuses() {
		n, ok := want[s.String()]
		if assert.True(t, ok, "unexpected status %v", s) {
			assert.Equal(t, n, uint32(s), "%s", s)
		}
		parsed, err := sessionapi.ParseStatus(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, parsed)
	}
	assert.Equal(t, "ERROR_MORE_DATA (234)", sessionapi.ERROR_MORE_DATA.Error())
	assert.Equal(t, "NET_API_STATUS 9999 (0x270F)", sessionapi.Status(9999).Error())
}

func TestStatusMatchesErrno(t *testing.T) {
	// On Windows, x/sys-style wrappers return syscall.Errno (spec rule 83).
	err := fmt.Errorf("enum: %w", sessionapi.ERROR_ACCESS_DENIED)
	assert.ErrorIs(t, err, sessionapi.ERROR_ACCESS_DENIED)
	assert.ErrorIs(t, err, syscall.Errno(5))
	assert.NotErrorIs(t, err, syscall.Errno(87))
	assert.NotErrorIs(t, err, sessionapi.ERROR_MORE_DATA)

	s, ok := sessionapi.StatusOf(fmt.Errorf("wrapped: %w", sessionapi.ERROR_MORE_DATA))
	require.True(t, ok)
	assert.Equal(t, sessionapi.ERROR_MORE_DATA, s)
	// An errno is a transport's, not a server's answer: ECONNREFUSED on Linux is 111.
	_, ok = sessionapi.StatusOf(fmt.Errorf("dial tcp: %w", syscall.Errno(111)))
	assert.False(t, ok, "a syscall.Errno is not a status")
	s, ok = sessionapi.StatusOf(nil)
	assert.True(t, ok)
	assert.Equal(t, sessionapi.NERR_Success, s)
	_, ok = sessionapi.StatusOf(errors.New("connection reset"))
	assert.False(t, ok)
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]sessionapi.Status{
		"error_more_data": sessionapi.ERROR_MORE_DATA, " 2312 ": sessionapi.NERR_ClientNameNotFound,
		"0x1C010002": sessionapi.NCA_S_OP_RNG_ERROR,
	} {
		got, err := sessionapi.ParseStatus(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := sessionapi.ParseStatus("ERROR_MOAR_DATA")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown status "ERROR_MOAR_DATA"`)
	assert.Contains(t, err.Error(), "ERROR_MORE_DATA")
}

func ExampleStatus() {
	var err error = sessionapi.ERROR_ACCESS_DENIED
	fmt.Println(err)
	fmt.Println(errors.Is(err, syscall.Errno(5))) // as x/sys/windows returns it
	// Output:
	// ERROR_ACCESS_DENIED (5)
	// true
}
