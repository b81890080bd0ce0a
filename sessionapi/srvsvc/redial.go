package srvsvc

import (
	"context"
	"errors"
	"sync"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Redialer is a SessionAPI over a Client that it dials on first use and dials again after the
// connection broke: a call that fails without a status (a transport error, a done context)
// drops the connection, and the next call logs on anew. The failed call itself is not retried,
// since the server may have acted on it (a NetSessionDel, say). It suits long-lived callers,
// such as a collector that visits many servers, or a test harness whose own connection a
// NetSessionDel can end.
type Redialer struct {
	cfg Config

	mu sync.Mutex
	c  *Client
}

var _ sessionapi.SessionAPI = (*Redialer)(nil)

// NewRedialer returns a Redialer for cfg. It does not connect until the first call.
func NewRedialer(cfg Config) *Redialer { return &Redialer{cfg: cfg} }

func (r *Redialer) client(ctx context.Context) (*Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c == nil {
		c, err := Dial(ctx, r.cfg)
		if err != nil {
			return nil, err
		}
		r.c = c
	}
	return r.c, nil
}

// done drops c after an error that carries no status: the connection may be broken or hold
// half a reply. A status (even ERROR_ACCESS_DENIED) is the server speaking: c stays.
func (r *Redialer) done(c *Client, err error) {
	if err == nil || errors.Is(err, ErrNoSession) {
		return
	}
	if _, ok := sessionapi.StatusOf(err); ok {
		return
	}
	r.mu.Lock()
	if r.c == c {
		r.c = nil
	}
	r.mu.Unlock()
	_ = c.Close()
}

// Connect dials now unless connected, so that a caller's own session exists before its first
// call (a test harness that lists the server's sessions wants it there).
func (r *Redialer) Connect(ctx context.Context) error {
	_, err := r.client(ctx)
	return err
}

// Close ends the current connection, if any. A later call dials again.
func (r *Redialer) Close() error {
	r.mu.Lock()
	c := r.c
	r.c = nil
	r.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Close()
}

// NetSessionEnum implements sessionapi.SessionAPI.
func (r *Redialer) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string, level sessionapi.Level,
	prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	c, err := r.client(ctx)
	if err != nil {
		return sessionapi.EnumResult{Level: level}, err
	}
	res, err := c.NetSessionEnum(ctx, serverName, uncClientName, userName, level, prefMaxLen, resume)
	r.done(c, err)
	return res, err
}

// NetSessionGetInfo implements sessionapi.SessionAPI.
func (r *Redialer) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string, level sessionapi.Level) (sessionapi.Info, error) {
	c, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	info, err := c.NetSessionGetInfo(ctx, serverName, uncClientName, userName, level)
	r.done(c, err)
	return info, err
}

// NetSessionDel implements sessionapi.SessionAPI.
func (r *Redialer) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	c, err := r.client(ctx)
	if err != nil {
		return err
	}
	err = c.NetSessionDel(ctx, serverName, uncClientName, userName)
	r.done(c, err)
	return err
}
