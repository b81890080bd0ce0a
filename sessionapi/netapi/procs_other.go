//go:build !windows

package netapi

// system is nil: there is no netapi32 to call.
var system procs
