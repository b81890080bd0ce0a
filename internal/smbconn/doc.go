// Package smbconn opens an SMB2 session with go-smb2 from a chosen local address. The srvsvc
// client and the Samba test harness share it: the harness opens the sessions that the client
// then enumerates, and both must dial the same way.
package smbconn
