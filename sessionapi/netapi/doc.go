// Package netapi is the real [sessionapi.SessionAPI] on Windows: NetSessionEnum,
// NetSessionGetInfo and NetSessionDel called in netapi32.dll, with their buffers decoded into
// sessionapi's types and always released with NetApiBufferFree.
//
// It is what the conformance suite holds the fake against on a Windows machine. The zero
// [API] is ready to use. On other systems the package still builds, so code that names it
// compiles everywhere, but every call fails with an error wrapping [errors.ErrUnsupported].
//
// # What it does for you
//
//   - Empty strings are passed as NULL pointers, other strings as NUL-terminated UTF-16.
//   - Every buffer netapi32 hands back is freed, on NERR_Success, on ERROR_MORE_DATA (spec
//     rule 21) and on any other status, after its contents have been copied into Go values.
//   - A non-zero NET_API_STATUS comes back as the [sessionapi.Status] itself. ERROR_MORE_DATA
//     comes back together with the entries that fitted, as the interface prescribes.
//   - The resume handle is the caller's *uint32, passed as the LPDWORD the function takes
//     (a DWORD on x64 too, spec rule 32).
//
// # Context
//
// A netapi32 call cannot be cancelled: it blocks in an RPC to the server until that answers
// or times out. The methods check ctx before they call netapi32 and return its error if it is
// already done; once the call has started it runs to its end whatever ctx does.
//
// # Whose rights
//
// A call runs on the calling goroutine's OS thread and starts no goroutine, so it carries that
// thread's token: a caller that has locked its goroutine to the thread (runtime.LockOSThread)
// and impersonates another user there (LogonUser, ImpersonateLoggedOnUser) calls as that user.
// Against a remote servername netapi32 talks over an SMB connection to that server, so the
// credentials of a connection already open to it (net use) may be used instead; that is
// Windows' doing and not verified here.
//
// # Structure
//
// The decoding lives in the internal layout package and the calls go through a small internal
// interface, so that everything except the four calls into netapi32 — which buffers are freed
// when, how statuses map, how NULL and empty strings are passed — is tested on Linux against a
// fake netapi32 with its own address space.
package netapi
