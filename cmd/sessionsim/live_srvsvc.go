package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

func init() { liveAPIs["srvsvc"] = dialSrvsvc }

// errNoPassword tells a user who runs the live commands without a terminal what to do.
var errNoPassword = errors.New("no password: set SESSIONSIM_PASSWORD (to an empty value for none), or run in a terminal to be asked")

// askPassword reads a password from the terminal without echo; it is a variable so tests can
// stand in for the terminal.
var askPassword = func(prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errNoPassword
	}
	fmt.Fprint(os.Stderr, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	return string(b), err
}

// dialSrvsvc connects with MS-SRVS over SMB2 (any OS; Windows and Samba servers).
func dialSrvsvc(ctx context.Context, t LiveTarget) (sessionapi.SessionAPI, io.Closer, error) {
	host, port, err := srvsvc.SplitServer(t.Server)
	if err != nil {
		return nil, nil, err
	}
	if !t.PasswordSet {
		if t.Password, err = askPassword(fmt.Sprintf("Password for %s on %s: ", t.User, t.Server)); err != nil {
			return nil, nil, err
		}
	}
	cfg := srvsvc.Config{Host: host, Port: port, User: t.User, Domain: t.Domain, Password: t.Password}
	if t.Timeout > 0 && t.Timeout < srvsvc.DefaultStageTimeout {
		cfg.StageTimeout = t.Timeout
	}
	c, err := srvsvc.Dial(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, c, nil
}
