// Package idlekick is a small example of the code sessionsim's users write: an admin tool that
// closes sessions idle for longer than a limit. It depends only on sessionapi.SessionAPI, so
// its tests run against the fake (idlekick_test.go) and production runs against netapi32 or
// srvsvc.
package idlekick
