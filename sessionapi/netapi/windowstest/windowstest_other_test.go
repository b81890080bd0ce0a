//go:build !windows

package windowstest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionsim/sessionsim/conformance"
	"github.com/sessionsim/sessionsim/fake"
)

// Without the Windows SMB client there is no IPC$ connection to make: a role with an account
// is an error (the machine is not what the env file says), a null session a skip.
func TestNetapiCallerWithoutWindows(t *testing.T) {
	h := &harness{env: loadEnv(t, ""), via: Netapi, block: 6, apis: map[fake.Role]roleAPI{}}
	_, err := h.API(t.Context(), fake.Administrator)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assert.NotErrorIs(t, err, conformance.ErrUnsupported, "an administrator that cannot log on fails the subtest")
	assert.ErrorContains(t, err, `\\127.0.0.11\IPC$`)
	_, err = h.API(t.Context(), fake.Anonymous)
	assert.ErrorIs(t, err, conformance.ErrUnsupported, "a refused null session skips")
}
