//go:build windows

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sessionsim/sessionsim/internal/winipc"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

func init() { liveAPIs["netapi"] = dialNetapi }

// dialNetapi makes netapi32 call HOST as --user: it connects \\HOST\IPC$ with that account
// (WNetAddConnection2W, what `net use \\HOST\IPC$ /user:NAME` does), whose credentials the SMB
// client then lends netapi32's calls to `\\HOST`; Close cancels the connection. The calls
// themselves run in this process (package netapi), so a 32-bit build gets the x86 layouts.
func dialNetapi(ctx context.Context, t LiveTarget) (sessionapi.SessionAPI, io.Closer, error) {
	host, port, err := srvsvc.SplitServer(t.Server)
	if err != nil {
		return nil, nil, err
	}
	if port != 0 && port != 445 {
		return nil, nil, fmt.Errorf("netapi32 reaches a server on port 445 only, not %d", port)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if !t.PasswordSet {
		if t.Password, err = askPassword(fmt.Sprintf("Password for %s on %s: ", t.User, t.Server)); err != nil {
			return nil, nil, err
		}
	}
	user := t.User
	if t.Domain != "" {
		user = t.Domain + `\` + t.User
	}
	cancel, err := winipc.Connect(host, user, t.Password)
	if err != nil {
		return nil, nil, err
	}
	return &netapi.API{}, closerFunc(cancel), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
