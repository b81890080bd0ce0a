// Package winipc opens IPC$ connections with the Windows SMB client (WNetAddConnection2W in
// mpr.dll), the way `net use \\server\IPC$ /user:NAME` does.
//
// netapi32 reaches a named server through the SMB client, which reuses the credentials of a
// connection already open to that name. So connecting \\server\IPC$ as an account first is
// how a program calls NetSessionEnum "as" that account without impersonation. The Windows
// conformance harness (sessionapi/netapi/windowstest) and `sessionsim enum|record --api
// netapi` both do it. One name can be connected with one account at a time
// (ERROR_SESSION_CREDENTIAL_CONFLICT, 1219): give each account its own name for the server,
// such as another loopback address.
//
// On other systems Connect fails with an error wrapping errors.ErrUnsupported.
package winipc
