package dcerpc

import (
	"fmt"
	"sync/atomic"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// RPC_S_SERVER_TOO_BUSY (1723) is the fault a ServerConn answers a request with when it holds
// too many bytes already: its own unread responses at ServerLimits.MaxPending, or its Budget
// (or a parent) spent. The call did not execute (PFC_DID_NOT_EXECUTE is set): a client may read
// its answers and send it again.
const RPC_S_SERVER_TOO_BUSY = uint32(sessionapi.RPC_S_SERVER_TOO_BUSY) //nolint:revive // the Win32 name

func init() { faultNames[RPC_S_SERVER_TOO_BUSY] = "RPC_S_SERVER_TOO_BUSY" }

// maxBusyFaults bounds the RPC_S_SERVER_TOO_BUSY faults one pipe queues while it is full: each
// costs 32 bytes, so a client that goes on sending without reading would otherwise grow the
// queue by the byte. Past it the pipe is closed.
const maxBusyFaults = 256

// Budget bounds the bytes many ServerConns hold together: unread response bytes, a request
// being reassembled, a partial PDU. The smbserver package gives each connection one, whose
// parent is the server's, so that neither the pipes of one connection nor the connections of
// one server can add up past a limit. A nil *Budget bounds nothing.
//
// A ServerConn refuses a new request (RPC_S_SERVER_TOO_BUSY) while its budget or any parent
// is at or over its limit, so the bytes held exceed a limit by at most one response (a request
// is admitted while under) plus maxBusyFaults small faults per pipe. Budget is safe for
// concurrent use.
type Budget struct {
	limit  int64
	used   atomic.Int64
	parent *Budget
}

// NewBudget makes a budget of limit bytes (at least 1) inside parent (nil: none).
func NewBudget(limit int, parent *Budget) *Budget {
	return &Budget{limit: max(int64(limit), 1), parent: parent}
}

// Used is the bytes charged to b now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Limit is b's limit in bytes.
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// Full reports whether b or a parent is at or over its limit.
func (b *Budget) Full() bool {
	return b.fullErr() != nil
}

// fullErr says which budget is spent, or nil.
func (b *Budget) fullErr() error {
	for x := b; x != nil; x = x.parent {
		if u := x.used.Load(); u >= x.limit {
			return fmt.Errorf("%d bytes buffered, limit %d", u, x.limit)
		}
	}
	return nil
}

// add charges n bytes (negative: releases them) to b and its parents.
func (b *Budget) add(n int) {
	if n == 0 {
		return
	}
	for x := b; x != nil; x = x.parent {
		x.used.Add(int64(n))
	}
}
