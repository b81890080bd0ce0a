// Package sessionapi is the portable form of the Windows session functions NetSessionEnum,
// NetSessionGetInfo and NetSessionDel (netapi32, MS-SRVS NetrSessionEnum/NetrSessionDel).
//
// Code under test depends on the [SessionAPI] interface. Three implementations stand behind it:
// the in-memory fake (package fake), netapi32 on Windows (package sessionapi/netapi) and MS-SRVS
// over SMB2 on any OS (package sessionapi/srvsvc). The conformance package holds them all to the
// same rules.
//
// # Mirroring the Win32 calls
//
// The methods of [SessionAPI] take the Win32 parameters in the Win32 order. Two deliberate
// differences:
//   - Strings are Go strings. An empty string stands for a NULL pointer: MS-SRVS says a
//     zero-length ClientName or UserName counts as "not specified", exactly like NULL (spec §4
//     rule 3), so nothing is lost for the filters. A NULL string member in a returned structure
//     also reads as "".
//   - The resume handle is a *uint32 (a DWORD even on x64, spec rule 32); nil is a NULL pointer.
//
// # Levels are separate types
//
// Each information level has its own struct ([SessionInfo0], [SessionInfo1], [SessionInfo2],
// [SessionInfo10], [SessionInfo502]), all behind the sealed [Info] interface. We chose separate
// types over one struct with "documented empty fields" because a test that reads NumOpens from
// a level-10 result must not compile: with one struct it would silently read 0 and pass. The
// cost is a type switch where code wants every level; [Widen] does that switch once, and says
// by its second result which fields the level really carries.
//
// # Statuses are errors
//
// Every NET_API_STATUS of spec §2 is a [Status] constant named as in the Windows headers. A
// Status is an error whose text names the status and its number ("ERROR_MORE_DATA (234)"), and
// errors.Is matches it against the same number coming back from Windows as a syscall.Errno.
//
// ERROR_MORE_DATA is not a failure: like Windows, NetSessionEnum returns the partial result
// together with it (spec §5.3). [All] runs the resume loop correctly and is what most callers
// want.
//
// Error texts differ between implementations (a lone fake, a fleet of fakes, MS-SRVS over
// SMB2, netapi32) for the same status; compare with errors.Is(err, ERROR_ACCESS_DENIED), which
// matches them all, and print with [StatusString]. [StatusOf] returns NERR_Success (0) with
// ok false for an error that carries no status: never drop its ok.
//
// # Paging
//
// Stop on the status, never on the resume handle: after NERR_Success Windows leaves a
// non-zero handle (18 in a real capture), Samba 0. [All] does this. prefMaxLen 0 is a zero
// budget in NetSessionEnum but means [MaxPreferredLength] in [EnumRequest].
//
// What [All] and [Collect] take from a server is bounded: [MaxPages] calls, and
// EnumRequest.MaxEntries entries ([DefaultMaxEntries], a million, when 0; negative for no
// bound), past which they stop with [ErrTooManyEntries] (Collect returning the entries read
// so far), so a hostile server that answers every page ERROR_MORE_DATA with new entries costs
// a caller at most MaxEntries entries of memory.
//
// # Buffer accounting
//
// [EntrySize] and friends compute how many bytes of a prefmaxlen budget an entry takes, as
// Windows counts them: the fixed structure (x64 or x86 layout, spec §3) plus each string in
// UTF-16 with its terminator. Which layout a real server counts is an open question (spec §12
// Q5); the fake uses x64 by default.
package sessionapi
