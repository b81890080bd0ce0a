// Package sambatest is the conformance harness for a live Samba started by
// scripts/samba/start.sh: it holds package srvsvc to the fake's "samba" profile.
//
// API(role) is a srvsvc client logged on as the account of that role; Seed opens real SMB2
// sessions with go-smb2 as the seed users, each client from its own loopback address
// (127.77.B.n, B a block per harness), holding open files where asked; Sessions reads the
// server's own session and open-file tables with smbstatus, so the suite's expectations do
// not come from the client under test. It needs root on the machine that runs smbd (for
// smbstatus), which is how start.sh runs it.
package sambatest
