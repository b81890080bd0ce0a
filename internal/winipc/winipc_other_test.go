//go:build !windows

package winipc

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConnectWithoutWindows(t *testing.T) {
	cancel, err := Connect("127.0.0.11", "ssadmin", "pw")
	assert.Nil(t, cancel)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assert.ErrorContains(t, err, `\\127.0.0.11\IPC$`)
	assert.NotContains(t, err.Error(), "pw", "no password in errors")
}
