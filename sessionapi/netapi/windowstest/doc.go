// Package windowstest is the conformance harness for the SMB server of the Windows machine the
// tests run on: it holds package netapi (netapi32.dll) and package srvsvc (MS-SRVS over SMB2,
// dialling the same machine) to the fake's "windows" profile.
//
// scripts/windows/setup.ps1 prepares the machine (local accounts, a share, the env file);
// SESSIONSIM_WINDOWS_ENV names the env file, whose keys are those of the Samba env file
// prefixed SESSIONSIM_WINDOWS_ (internal/sambaenv reads both).
//
// # Acting as a role
//
// Through [Srvsvc], a role is a srvsvc client logged on as that role's account from its own
// loopback address. Through [Netapi], netapi32 talks to a named server over an SMB connection
// that the Windows SMB client (the redirector) holds, and uses the credentials of a
// connection already open to that name. So each role gets its own name for this machine, a
// loopback address ([RoleServer]: 127.0.0.11 for the administrator, ...), the harness
// connects \\<that address>\IPC$ with the role's account (WNetAddConnection2W), and every
// call the suite makes with an empty servername goes to `\\<that address>`. One name per role
// is what lets several accounts be connected at once (one name with two accounts is
// ERROR_SESSION_CREDENTIAL_CONFLICT, 1219).
//
// Roles: administrator is SESSIONSIM_WINDOWS_ADMIN (a member of the local Administrators),
// user is SESSIONSIM_WINDOWS_PLAIN, server-operator is SESSIONSIM_WINDOWS_SRVOP when the env
// file names one (the group exists only on domain controllers), anonymous is a null session.
// A workgroup machine has no Domain Admins, and setup.ps1 leaves the Guest account disabled,
// as Windows ships it: those roles, and guest seed sessions, are skipped with that reason.
//
// # Seeding and observing
//
// Seed opens real SMB2 sessions with go-smb2 (internal/sambaenv, as for Samba) as the seed
// users, each client from its own loopback address (127.77.B.n, B a block per harness), to
// 127.0.0.1:445, holding open files where asked.
//
// Sessions does not ask the client under test: it runs PowerShell's Get-SmbSession (the SMB
// server's own view, through WMI) and maps its fields as follows:
//
//	Get-SmbSession        conformance.Observed        note
//	ClientComputerName    ClientName                  the client's IP address, as the server saw it (no `\\`)
//	ClientUserName        UserName                    DOMAIN\user: the domain (here the computer) is cut off,
//	                                                  as sesi*_username carries the bare name
//	NumOpens              OpenFiles
//	ANONYMOUS LOGON,      Guest (UserName "")         a null session (and the Guest account) are flagged guest,
//	Guest                                             as the Observed contract asks
//
// Dialect, SessionId, SecondsExists, SecondsIdle and TransportName are parsed ([SmbSession])
// but not compared: the suite checks times by rule, and Observed.ClientType and Transport
// stay empty, because Get-SmbSession has no cltype_name and whether its TransportName is
// sesi502_transport is not known (spec §12 Q9). If Windows fills those fields, entry sizes at
// levels 2 and 502 differ from the reference fake's, and the paging subtests at those levels
// will say so.
//
// Nothing in this package has run on Windows yet: the parts that can run elsewhere (the JSON
// of Get-SmbSession, the env file, the role → account and role → address mappings) are tested
// on Linux; the rest is built for windows/amd64 and windows/386 in CI and awaits the Windows
// workflow.
package windowstest
