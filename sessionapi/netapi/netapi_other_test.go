//go:build !windows

package netapi

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNotWindows(t *testing.T) {
	var api API
	ctx := context.Background()
	_, err := api.NetSessionEnum(ctx, "", "", "", 10, 1, nil)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = api.NetSessionGetInfo(ctx, "", `\\a`, "u", 10)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assert.ErrorIs(t, api.NetSessionDel(ctx, "", `\\a`, "u"), errors.ErrUnsupported)
}
