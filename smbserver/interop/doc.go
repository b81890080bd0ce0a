// Package interop checks the served fake (`sessionsim serve`) with clients nobody on this
// project wrote: Samba's rpcclient and smbtorture, and impacket. It holds only tests.
//
// TestMain builds cmd/sessionsim once; each test serves a scenario from testdata/ on a free
// loopback port, waits for the `ready` line, runs a client, and compares what the client
// printed with what the same scenario's fake answers in-process (times aside: the served clock
// runs). The differential test does the same against a live Samba (scripts/samba/start.sh,
// SESSIONSIM_SAMBA_ENV) holding seeded sessions and a samba-profile fake seeded with them.
//
// A check whose tool is missing is skipped, except with CI=true, where it fails. Every check
// prints one line `interop: CLIENT CHECK: ok|FAIL ...` on stdout (go test -v) and, when
// SESSIONSIM_INTEROP_SUMMARY names a file, appends it there, for CI scripts to grep.
package interop
