// Package rpctest is an in-memory DCE/RPC server end of a named pipe, for testing the client's
// bind, fragmentation, reassembly and fault handling without a real server. It is synchronous:
// a Write that completes a request queues the reply fragments, and a Read with nothing queued
// fails instead of blocking (a real client never reads before it has written a request).
//
// It is deliberately not dcerpc.ServerConn, the served fake's real server side: it can do what
// a correct server must not, so the client's defences can be tested — fragments under MinFrag
// (Frag), a bind_nak or a rejected context on demand (NakReason, RejectContext), byte-mode
// reads that split fragments (ReadChunk), and raw injected replies (Inject).
package rpctest
