// Package ndr encodes and decodes the MS-SRVS session calls (NetrSessionEnum, opnum 12, and
// NetrSessionDel, opnum 13) in both transfer syntaxes: NDR 2.0 (little-endian, 32-bit,
// 8a885d04-1ceb-11c9-9fe8-08002b104860 v2) and NDR64 (MS-RPCE 2.2.5,
// 71710533-beba-4937-8319-b5dbef9ccc36 v1), which Windows servers choose when a client offers
// it. One codec does both: the reader and writer take the syntax, which sets the width of
// pointers and counts (4 or 8 bytes) and the alignment of structures holding pointers (4 or 8).
// The package-level functions are NDR 2.0; the methods on [Syntax] take either.
//
// The encoders write what a Windows or Samba peer writes: NDR 2.0 referent ids count up from
// 0x00020000 by 4, NDR64 ones are all 0x00020000, as in the captures of golden/windows-wire, so
// the bytes of capture A (NDR64) and vector B (NDR 2.0) re-encode identically. The decoders
// read what any peer may send and treat it as untrusted, on both sides: every count and length
// is checked against the bytes that are really there before anything is allocated, so a
// hostile server or client cannot make us reserve memory it did not send; a string must end in
// its NUL (else ErrMalformed: the server's rpc_x_bad_stub_data, Samba's S12). A NULL string
// pointer decodes as nil and a non-NULL empty string (what netapi32 sends for "") as a pointer
// to "", so the two stay apart.
//
// Only the few NDR constructs these two calls use are implemented: uint32, unique pointers
// (a non-zero referent id followed, possibly later, by the pointee), conformant varying UTF-16
// strings ([string] wchar_t*), the SESSION_ENUM_STRUCT union with its empty default arm, and
// conformant arrays of structures whose string members are deferred after the array.
package ndr
