// Package fake is an in-memory server that answers NetSessionEnum, NetSessionGetInfo and
// NetSessionDel the way a real server does, for unit tests of code that calls them.
//
// A [Server] holds SMB sessions (who connected from which client, open files, creation and
// last-activity times on an injectable clock, flags, client type, transport) and answers by a
// [Profile]: Windows (the default, every level admin-only as since Windows 10 1607), legacy
// Windows (levels 0 and 10 open to authenticated users), or Samba as observed live. The rules
// are those of BEHAVIOUR.md at the repository root (cited as "spec rule N"); where
// the sources disagree or are silent (spec §12), the Windows profiles pick a documented default
// and the Profile has a field to switch it.
//
// A [Client], from Server.As(role), is a sessionapi.SessionAPI calling as that caller. The
// server records every call (Server.Calls, with the entries returned under
// [WithRecordedEntries]), injects faults keyed by call (Server.InjectFault: on the nth call,
// on every call, or with a seeded probability; any status, and latency on the fake clock or in
// real time), runs a hook before each call (Server.BeforeCall: churn while a collector pages),
// and can be reset, snapshotted and restored. Session IDs are never handed out twice, across
// Reset and Restore too: an old ID gets [ErrNoSession], never another session.
//
// What the fake does not model is refused or listed, never silently ignored: a servername it
// does not answer to gets ERROR_BAD_NETPATH with the reason; sessions that no server could
// report (a client name with a backslash, idle longer than their age, a string of
// [MaxStringLength] or more) are refused by Connect; a caller without a role gets [ErrNoRole].
// The package conformance holds the fake to the same suite as real servers.
//
// # The order of the checks
//
// Every call goes through the same steps, and the first that fails decides the answer:
//
//  1. the context (a done context: its error, nothing recorded);
//  2. the BeforeCall hook, if set;
//  3. the caller's Role (the zero Role: [ErrNoRole], nothing recorded);
//  4. what netapi32 checks on the client side before any RPC (spec rules 51, 52, 75):
//     NetSessionGetInfo's level (0, 1, 2, 10; ERROR_INVALID_LEVEL) and its two names (both
//     required; ERROR_INVALID_PARAMETER), and NetSessionEnum's level (0, 1, 2, 10, 502) under
//     the Windows profiles. NetSessionDel has no client-side check. These calls never reach a
//     server, so no fault fires for them: "a bad level fails fast" holds while faults are
//     armed. The recorded Call says so in its Note ([NoteClientSide]);
//  5. the servername (another host never gets the call: no fault fires);
//  6. armed faults, in the order they were injected (the first status wins, latencies add);
//  7. the caller's own session, when the profile lists it (Profile.ListCallerSession);
//  8. the server's own checks, in the profile's order: Windows checks the level, then the
//     names (the `\\` of a client name, lengths), then access; Samba access first (S1).
//
// So with a fault armed, a client name without `\\` in NetSessionEnum gets the fault, not
// NERR_InvalidComputer: that check is the server's (MS-SRVS), which an unreachable server never
// makes. The Samba profile models a client that sends the level unchecked (rpcclient, package
// sessionapi/srvsvc), so its level check stays the server's.
//
// # The resume handle
//
// Under the Windows profiles ([ResumePositions]) the handle counts session-list positions:
// on ERROR_MORE_DATA, the positions consumed so far; after NERR_Success, the positions
// consumed by the whole pass (the list's length, at least 1), never 0. Windows does the same:
// a real capture shows 18 after its only entry (Windows' own value, not the fake's). A later
// call with that handle gets NERR_Success and no entries (spec rule 27). Code that loops until
// the handle reads 0 never ends on Windows: stop on the status, as sessionapi.All does.
// Profile.ZeroResumeAfterSuccess brings back the fake's old 0. Samba's rule is S11.
//
// On an error other than ERROR_MORE_DATA the handle is left as it was, under every profile,
// so retrying a failed page with the same handle asks for the same page again: a collector
// need not start over. Why: a call that never got an answer (RPC_S_SERVER_UNAVAILABLE, a
// broken connection) carries no out parameters at all, and the fake treats a refusal the same
// way. What a real server writes into the handle along with an error status is not
// documented, so against real servers keep the handle from before the call and retry with
// that copy. (sessionapi.All does not retry by itself; a scenario that "starts over" after an
// unreachable server does so by choice, not because the handle was lost.)
//
// # Sessions that change while a client pages
//
// The handle is a position, so a list that changes under it moves sessions past it:
//
//   - A session that ends behind the handle (at a position already returned) shifts every
//     later session one place forward: the session that would have started the next page
//     moves onto the position just returned, and the pass skips it, though it lived
//     throughout (spec rule 29). Measured (TestPagingGapsMeasured): a pass at 2 entries per
//     page over 300 sessions, with one random session ending and one connecting before each
//     page, missed on average 10 of the 110 sessions that lived through the pass (9%).
//   - With Profile.NewSessionsFirst, a session that connects while a client pages goes in
//     front of the handle: the next page starts with the last entry of the previous page again
//     (a duplicate), and the new session is not seen in that pass. By default new sessions go
//     last, where the pass still reaches them.
//
// What to do about it: de-duplicate by (client, user); for a complete list, take a second
// pass and keep the union (in the measurement above the union missed 1.2 of 110 on average,
// and those only because they were skipped twice); a first page's TotalEntries larger than
// what the pass returned is a sign that the list moved.
//
// # The caller's own session
//
// A real server lists the caller's own session (in the capture, the only entry, time 0, idle
// 0). In-process calls make no connection, and by default the fake lists only the sessions a
// test connected, so that tests count what they seeded. With Profile.ListCallerSession the
// fake connects a session for each caller at its first call (client [Caller].ClientName,
// default [DefaultCallerClient]; user Caller.Name), which is what a collector must learn to
// drop: the entry whose user is the account it runs as and whose client is its own address.
// A caller that already is a session (the SMB server mode's callers: Caller.Session) never
// gets a second one.
//
// # Errors
//
// Errors for the same status read differently from a lone fake ("fake: servername ... is not
// this server ...: ERROR_BAD_NETPATH (53)"), a fleet and a real server; compare statuses with
// errors.Is(err, sessionapi.ERROR_BAD_NETPATH), which works alike for all of them, or name them
// with sessionapi.StatusString.
//
// # Faults and clocks
//
// A latency on the fake clock moves the server's *ManualClock; on a server with any other
// clock InjectFault refuses it ([ErrInvalidFault]) rather than sleep for real. Set
// Fault.RealTime for a real delay, cut short by the context.
//
// # Cost
//
// A session costs the server about 145 bytes beyond its strings' bytes (its entry, its slots
// in the list and the ID index; TestSessionMemoryPerSession holds it to 200), plus under the
// Windows profiles one copy of its client name with the `\\`.
package fake
