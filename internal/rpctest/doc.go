// Package rpctest is an in-memory DCE/RPC server end of a named pipe, for testing the client's
// bind, fragmentation, reassembly and fault handling without a real server. It is synchronous:
// a Write that completes a request queues the reply fragments, and a Read with nothing queued
// fails instead of blocking (a real client never reads before it has written a request).
package rpctest
