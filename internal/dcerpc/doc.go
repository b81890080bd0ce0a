// Package dcerpc speaks connection-oriented DCE/RPC 5.0 (C706 chapter 12, MS-RPCE 2.2.2) over a
// named pipe, with no authentication at the RPC level (the SMB session authenticates). It has
// both ends.
//
// The client ([Bind], [BindSyntax], [Conn.Call]) binds one presentation context, fragments
// requests to the negotiated size, reassembles responses and turns faults into errors.
// Everything the server sends is untrusted: fragment lengths are checked against the header and
// the negotiated limits, and a reassembled response is bounded by MaxResponse.
//
// The server ([NewServerConn]) is one association on one pipe open, fed by the SMB layer's
// WRITE (or TRANSCEIVE) and drained by its READ in message mode. It answers as a Windows
// Server 2019 does (capture A in golden/windows-wire): several presentation contexts per bind,
// NDR64 chosen over NDR 2.0 when both are offered (ServerLimits.PreferNDR20 to turn that
// round), the other context refused with reason 2, bind-time feature negotiation acknowledged
// (result 3, the features both sides know), `\PIPE\srvsvc` as secondary address. It also does
// alter_context, the smaller of both sides' fragment sizes (never under MinFrag), request
// reassembly, response fragmentation within max_xmit_frag, and the faults: nca_s_op_rng_error
// and rpc_x_bad_stub_data from the handler, nca_s_unk_if for an unknown or refused context,
// nca_s_proto_error for a request before the bind, a stray fragment or an auth trailer,
// RPC_S_SERVER_TOO_BUSY (1723, not executed) for a request while too many answers are unread,
// and, as Samba (librpc/rpc/dcesrv_core.c), a closed pipe (Write fails) for a request over
// ServerLimits.MaxRequest. A bind with no acceptable context, a
// second bind, or a bind with authentication gets a bind_nak.
//
// Limits (ServerLimits, zero means the default): fragments DefaultFrag (4,280 bytes) both ways;
// a reassembled request DefaultMaxRequest (256 KiB; smbserver passes its own, 4 MiB); at
// DefaultMaxPending (8 MiB) of unread response bytes further requests get
// RPC_S_SERVER_TOO_BUSY, and after 256 such faults in a row the pipe is closed; MaxContexts (64)
// presentation contexts per bind and per association. A [Budget] shared by many associations
// (ServerLimits.Budget: the pipes of one SMB connection, inside the server's) bounds the bytes
// they hold together, unread answers and requests being reassembled: while it is spent, every
// one of them refuses new requests the same way. A partial PDU is held only up to its
// frag_length, which may not exceed the negotiated receive size.
package dcerpc
