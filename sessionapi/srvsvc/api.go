package srvsvc

import (
	"context"
	"errors"
	"fmt"

	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// optional turns "" into a NULL pointer (spec rule 3: a zero-length name means "not
// specified", exactly like NULL).
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func protocolErr(call string, err error) error {
	if errors.Is(err, ErrProtocol) {
		return fmt.Errorf("srvsvc: %s: %w", call, err)
	}
	return fmt.Errorf("srvsvc: %s: %w: %w", call, ErrProtocol, err)
}

// NetSessionEnum calls NetrSessionEnum. See the package doc for how the arguments map.
func (c *Client) NetSessionEnum(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level, prefMaxLen uint32, resume *uint32) (sessionapi.EnumResult, error) {
	res := sessionapi.EnumResult{Level: level}
	q := &ndr.SessEnumRequest{
		ServerName: optional(serverName),
		ClientName: optional(uncClientName),
		UserName:   optional(userName),
		Level:      level,
		MaxBuffer:  prefMaxLen,
	}
	if resume != nil {
		v := *resume
		q.Resume = &v
	}
	out, err := c.call(ctx, ndr.OpNetrSessionEnum, ndr.EncodeSessEnumRequest(q))
	if err != nil {
		return res, err
	}
	p, err := ndr.DecodeSessEnumResponse(out)
	if err != nil {
		return res, protocolErr("NetrSessionEnum", err)
	}
	if p.Level != level {
		return res, fmt.Errorf("srvsvc: NetrSessionEnum(level=%d) answered at level %d: %w", level, p.Level, ErrProtocol)
	}
	status := sessionapi.Status(p.Result)
	if status != sessionapi.NERR_Success && status != sessionapi.ERROR_MORE_DATA {
		// After an error the resume handle is invalid (spec rule 31); it is left as it was.
		return res, status
	}
	for i := range p.Entries {
		res.Entries = append(res.Entries, sessionapi.Narrow(&p.Entries[i], level))
	}
	res.TotalEntries = p.TotalEntries
	if resume != nil && p.Resume != nil {
		*resume = *p.Resume
	}
	if status == sessionapi.ERROR_MORE_DATA {
		return res, status
	}
	return res, nil
}

// NetSessionGetInfo is NetrSessionEnum with both filters, MaxPreferredLength and no resume
// handle, returning the first entry (spec rule 56). The level and the names are checked first,
// as netapi32 does.
func (c *Client) NetSessionGetInfo(ctx context.Context, serverName, uncClientName, userName string,
	level sessionapi.Level) (sessionapi.Info, error) {
	if !level.ValidForGetInfo() {
		return nil, sessionapi.ERROR_INVALID_LEVEL
	}
	if uncClientName == "" || userName == "" {
		return nil, sessionapi.ERROR_INVALID_PARAMETER
	}
	res, err := c.NetSessionEnum(ctx, serverName, uncClientName, userName, level, sessionapi.MaxPreferredLength, nil)
	if err != nil {
		// ERROR_MORE_DATA cannot happen with MaxPreferredLength; if a server sends it anyway,
		// the first entry is still what GetInfo returns.
		if !errors.Is(err, sessionapi.ERROR_MORE_DATA) || len(res.Entries) == 0 {
			return nil, err
		}
	}
	if len(res.Entries) == 0 {
		return nil, ErrNoSession
	}
	return res.Entries[0], nil
}

// NetSessionDel calls NetrSessionDel.
func (c *Client) NetSessionDel(ctx context.Context, serverName, uncClientName, userName string) error {
	q := &ndr.SessDelRequest{
		ServerName: optional(serverName),
		ClientName: optional(uncClientName),
		UserName:   optional(userName),
	}
	out, err := c.call(ctx, ndr.OpNetrSessionDel, ndr.EncodeSessDelRequest(q))
	if err != nil {
		return err
	}
	result, err := ndr.DecodeSessDelResponse(out)
	if err != nil {
		return protocolErr("NetrSessionDel", err)
	}
	if result != 0 {
		return sessionapi.Status(result)
	}
	return nil
}
