// Package smbserver serves a [fake.Server] over SMB2, so that any MS-SRVS client — impacket,
// Samba's rpcclient and smbtorture, netapi32, this module's sessionapi/srvsvc — can call
// NetrSessionEnum (all five levels) and NetrSessionDel on it through the \PIPE\srvsvc named
// pipe. It is what `sessionsim serve` runs, and a Go API for tests of SMB-level code.
//
// # Protocol
//
// SMB 2.0.2 and 2.1 over direct TCP (and the NetBIOS session request of port 139), with the
// SMB2 answer to an SMB1 NEGOTIATE that offers SMB2; HMAC-SHA256 signing, signed whenever the
// client asks for it; FSCTL_VALIDATE_NEGOTIATE_INFO; NTLMv2 logons through SPNEGO
// (internal/spnego), anonymous (null) and guest logons. Only the IPC$ share and the srvsvc
// pipe exist: another share is STATUS_BAD_NETWORK_NAME, another pipe
// STATUS_OBJECT_NAME_NOT_FOUND. Pipe bytes go to the DCE/RPC server of internal/dcerpc, its
// calls to the fake through internal/srvs.
//
// Not served: SMB1, SMB 3.x (and so encryption; CAP_ENCRYPTION is never offered, since a
// client that sees it insists on it), Kerberos, files, multi-credit requests.
//
// # Sessions
//
// A client that logs on is a session in the fake, as on a real server: client name its IP
// address, user name its account (empty for a null session, flagged SESS_GUEST for a guest),
// num_opens its open pipes, idle time reset by every request. LOGOFF or the end of the
// connection ends it; a NetSessionDel that ends it closes the connection after the deleting
// call's answer has been read. Calls run as [fake.Server.AsCaller] with the account's role,
// and a servername naming this server by the address the client connected to, "localhost"
// or nothing is the fake's own name.
//
// # Limits
//
// Every connection is one goroutine handling its requests in order, under a handshake
// deadline until its first logon, an idle deadline between requests and a write deadline per
// response; a panic closes only that connection. [Limits] bounds connections, message sizes
// (smaller before logon), sessions, session setups, trees, pipes, credits, compounds, the
// DCE/RPC fragment and request sizes, and the bytes pipes buffer: unread DCE/RPC answers and
// requests being reassembled, per pipe (MaxRPCPending), per connection (MaxRPCPendingPerConn,
// 16 MiB) and per server (MaxRPCPendingPerServer, 256 MiB). A client over one of these gets
// STATUS_INSUFFICIENT_RESOURCES on its WRITE or TRANSCEIVE, which takes nothing (read the
// answers, then send again), and a request within a WRITE that crossed it the fault
// RPC_S_SERVER_TOO_BUSY (1723), not executed. Its zero value means the documented defaults.
//
// A DCE/RPC request over MaxRPCRequest (4 MiB, Samba's limit) closes the pipe, as Samba
// does: the WRITE gets STATUS_PIPE_DISCONNECTED, a transport failure for the client, not the
// ERROR_ACCESS_DENIED a sweep would count as refused; the server logs it at warn level.
package smbserver
