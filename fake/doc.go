// Package fake is an in-memory server that answers NetSessionEnum, NetSessionGetInfo and
// NetSessionDel the way a real server does, for unit tests of code that calls them.
//
// A [Server] holds SMB sessions (who connected from which client, open files, creation and
// last-activity times on an injectable clock, flags, client type, transport) and answers by a
// [Profile]: Windows (the default, every level admin-only as since Windows 10 1607), legacy
// Windows (levels 0 and 10 open to authenticated users), or Samba as observed live. The rules
// are those of the project's spec (shared/spec/session-api.md, cited as "spec rule N"); where
// the sources disagree or are silent (spec §12), the Windows profiles pick a documented default
// and the Profile has a field to switch it.
//
// A [Client], from Server.As(role), is a sessionapi.SessionAPI calling as that caller. The
// server records every call (Server.Calls), injects faults keyed by call (Server.InjectFault:
// on the nth call, on every call, or with a seeded probability; any status, and latency on the
// fake clock or in real time), and can be reset, snapshotted and restored.
//
// What the fake does not model is refused or listed, never silently ignored: a servername it
// does not answer to gets ERROR_BAD_NETPATH with the reason; sessions that no server could
// report (a client name with a backslash, idle longer than their age) are refused by Connect.
// The package conformance holds the fake to the same suite as real servers.
package fake
