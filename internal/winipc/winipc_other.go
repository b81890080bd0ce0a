//go:build !windows

package winipc

import (
	"errors"
	"fmt"
)

// Connect needs the Windows SMB client: elsewhere it fails with an error wrapping
// errors.ErrUnsupported.
func Connect(server, _, _ string) (func() error, error) {
	return nil, fmt.Errorf("connecting \\\\%s\\IPC$: WNetAddConnection2 exists only on Windows: %w", server, errors.ErrUnsupported)
}
