// Package ndr encodes and decodes the MS-SRVS session calls (NetrSessionEnum, opnum 12, and
// NetrSessionDel, opnum 13) in NDR 2.0: little-endian, 32-bit, the transfer syntax
// 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.
//
// The encoders write what a Windows or Samba peer writes; the decoders read what any peer may
// send and treat it as untrusted: every count and length is checked against the bytes that are
// really there before anything is allocated, so a hostile server cannot make the client reserve
// memory it did not send.
//
// Only the few NDR constructs these two calls use are implemented: uint32, unique pointers
// (a non-zero referent id followed, possibly later, by the pointee), conformant varying UTF-16
// strings ([string] wchar_t*) and conformant arrays of structures whose string members are
// deferred after the array.
package ndr
