package srvs

import (
	"context"
	"errors"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Syntax is the srvsvc interface, v3.0.
var Syntax = dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Major: 3}

// Endpoint is the srvsvc pipe's name as a Windows server writes it in the bind_ack's secondary
// address (capture A).
const Endpoint = `\PIPE\srvsvc`

// NewHandler answers srvsvc calls with api (for the served fake: the caller's fake client).
//
// Opnum 12 (NetrSessionEnum) and 13 (NetrSessionDel) are decoded in the context's transfer
// syntax and passed to api; the request's ServerName goes through as it came, a NULL string as
// "" (the fake, like Windows, treats "" and NULL alike). The answer is encoded in the same
// syntax:
//   - a sessionapi.Status goes back in the WERROR, so a client gets the very status api
//     returned; on ERROR_MORE_DATA with the entries that fit, on any other error with an empty
//     container of the requested level and TotalEntries 0 (spec rule S3);
//   - a Status that is a DCE/RPC fault code (0x1C000000 and up: NCA_S_OP_RNG_ERROR,
//     RPC_X_BAD_STUB_DATA) is sent as a fault PDU with that status, which a client
//     turns back into the same Status;
//   - an error that is no Status (the call's context ended, the fake was closed) is a fault:
//     NCA_S_FAULT_CANCEL (0x1C00000D) for a done context, NCA_S_FAULT_UNSPEC (0x1C000012)
//     otherwise. No WERROR can say "the server did not answer", and inventing one would hand
//     the client a status the fake never chose.
//
// A stub that does not decode (truncated, absurd counts, a string without its NUL) draws
// rpc_x_bad_stub_data (0x000006F7) as Windows and Samba send it; any other opnum draws
// nca_s_op_rng_error (0x1C010002).
func NewHandler(api sessionapi.SessionAPI) dcerpc.Handler { return handler{api: api} }

// Interface returns srvsvc served by NewHandler(api), with its Endpoint, ready for
// dcerpc.NewServerConn.
func Interface(api sessionapi.SessionAPI) dcerpc.ServerInterface {
	return dcerpc.ServerInterface{Syntax: Syntax, Handler: NewHandler(api), Endpoint: Endpoint}
}

type handler struct{ api sessionapi.SessionAPI }

// Endpoint gives dcerpc.ServerConn the bind_ack's secondary address when the
// ServerInterface leaves it empty.
func (handler) Endpoint() string { return Endpoint }

func syntaxOf(ndr64 bool) ndr.Syntax {
	if ndr64 {
		return ndr.NDR64
	}
	return ndr.NDR20
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// faultBase is where DCE/RPC fault statuses start (C706 appendix E: nca_s_* are 0x1C00xxxx
// and 0x1C01xxxx); no NET_API_STATUS or Win32 error is that large.
const faultBase = 0x1C000000

// errorFault maps an error api returned to a fault status, or 0 when it is a Status to send in
// the WERROR.
func errorFault(err error) (status sessionapi.Status, fault uint32) {
	s, ok := sessionapi.StatusOf(err)
	switch {
	case ok && uint32(s) >= faultBase:
		return 0, uint32(s)
	case ok:
		return s, 0
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return 0, dcerpc.NCA_S_FAULT_CANCEL
	}
	return 0, dcerpc.NCA_S_FAULT_UNSPEC
}

func (h handler) Call(ctx context.Context, opnum uint16, stub []byte, ndr64 bool) ([]byte, uint32) {
	syn := syntaxOf(ndr64)
	switch opnum {
	case ndr.OpNetrSessionEnum:
		q, err := syn.DecodeSessEnumRequest(stub)
		if err != nil {
			return nil, dcerpc.RPC_X_BAD_STUB_DATA
		}
		return h.enum(ctx, syn, q)
	case ndr.OpNetrSessionDel:
		q, err := syn.DecodeSessDelRequest(stub)
		if err != nil {
			return nil, dcerpc.RPC_X_BAD_STUB_DATA
		}
		err = h.api.NetSessionDel(ctx, deref(q.ServerName), deref(q.ClientName), deref(q.UserName))
		status, fault := errorFault(err)
		if fault != 0 {
			return nil, fault
		}
		return syn.EncodeSessDelResponse(uint32(status)), 0
	}
	return nil, uint32(sessionapi.NCA_S_OP_RNG_ERROR)
}

func (h handler) enum(ctx context.Context, syn ndr.Syntax, q *ndr.SessEnumRequest) ([]byte, uint32) {
	var resume *uint32
	if q.Resume != nil {
		v := *q.Resume
		resume = &v
	}
	res, err := h.api.NetSessionEnum(ctx, deref(q.ServerName), deref(q.ClientName), deref(q.UserName),
		q.Level, q.MaxBuffer, resume)
	status, fault := errorFault(err)
	if fault != 0 {
		return nil, fault
	}
	p := &ndr.SessEnumResponse{Level: q.Level, HasContainer: true, Resume: resume, Result: uint32(status)}
	if status == sessionapi.NERR_Success || status == sessionapi.ERROR_MORE_DATA {
		p.TotalEntries = res.TotalEntries
		p.Entries = make([]sessionapi.SessionInfo502, 0, len(res.Entries))
		for _, e := range res.Entries {
			w, _ := sessionapi.Widen(e)
			p.Entries = append(p.Entries, w)
		}
	}
	return syn.EncodeSessEnumResponse(p), 0
}
