// Package dcerpc speaks connection-oriented DCE/RPC 5.0 (C706 chapter 12, MS-RPCE 2.2.2) over a
// named pipe, with no authentication at the RPC level (the SMB session authenticates): bind with
// one presentation context, requests fragmented to the negotiated size, responses reassembled
// from their fragments, faults turned into errors.
//
// Everything the server sends is untrusted: fragment lengths are checked against the header and
// the negotiated limits, and a reassembled response is bounded by MaxResponse.
package dcerpc
