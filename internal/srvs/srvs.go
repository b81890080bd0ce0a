// Package srvs is the MS-SRVS endpoint of the served fake: a NetrSessionEnum or NetrSessionDel
// request stub in, a sessionapi.SessionAPI call, a response stub out. It is the dual of
// sessionapi/srvsvc's api.go. (CONTRACT: being implemented.)
package srvs

import (
	"context"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Syntax is the srvsvc interface, v3.0.
var Syntax = dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Major: 3}

// NewHandler answers srvsvc calls with api (for the served fake: the caller's fake client).
func NewHandler(api sessionapi.SessionAPI) dcerpc.Handler { return handler{api: api} }

type handler struct{ api sessionapi.SessionAPI }

func (h handler) Call(ctx context.Context, opnum uint16, stub []byte, ndr64 bool) ([]byte, uint32) {
	return nil, uint32(sessionapi.NCA_S_OP_RNG_ERROR)
}
