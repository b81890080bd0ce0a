// Package idlekick is a small example of the code sessionsim's users write: an admin tool that
// closes sessions idle for longer than a limit. It depends only on sessionapi.SessionAPI, so
// its tests run against the fake (idlekick_test.go) and production runs against netapi32 or
// srvsvc.
//
// It is written to be copied, so it is careful where the API is treacherous: sessions have no
// identity, and NetSessionDel ends every session that matches its names (all of a client's
// for an anonymous session's empty user name). Kick sends a delete only when every session it
// matches is idle, reports what the delete ended, and stops paging on the status, never on the
// resume handle (Windows leaves it non-zero after the last page).
package idlekick
