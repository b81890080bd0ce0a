// Package srvsvc implements [sessionapi.SessionAPI] against a real server from any OS: MS-SRVS
// NetrSessionEnum (opnum 12) and NetrSessionDel (opnum 13) as DCE/RPC calls on the \PIPE\srvsvc
// named pipe of IPC$, over SMB2 (github.com/cloudsoda/go-smb2), with NTLM authentication.
//
// It is the third implementation beside the in-memory fake and netapi32 on Windows, and the
// one that lets the conformance tests run against a live Samba on Linux.
//
// # Using it
//
//	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "127.0.0.1", Port: 445, User: "admin",
//		Password: pw}.WithEnvPassword())
//	...
//	defer c.Close()
//	res, err := c.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
//
// One Client holds one SMB2 session (the caller's own session shows in the enumeration, as on
// Windows). By default it keeps one bound srvsvc pipe open and reuses it; Config.PipePerCall
// opens, binds and closes a pipe for every call instead (slower by three round trips, but a
// call never depends on the state an earlier one left).
//
// # How the Win32 calls map to the wire
//
//   - NetSessionEnum sends every argument as given: an empty string is a NULL pointer (spec
//     rule 3), a nil resume handle is a NULL pointer. The level is not checked client-side, so
//     the server's own answer to a bad level is observable (Samba checks access first, S1).
//   - NetSessionGetInfo is NetrSessionEnum with both filters, MaxPreferredLength and no resume
//     handle, returning the first entry (spec rule 56, as ReactOS's netapi32 does). Like
//     netapi32 it refuses level 502 (ERROR_INVALID_LEVEL) and empty names
//     (ERROR_INVALID_PARAMETER) before any RPC. A server that answers NERR_Success with no
//     entry gets [ErrNoSession]. Samba ignores the filters (S8), so against Samba this returns
//     the first session of all, which may not be the one asked for: that is the server's
//     answer, passed on unchanged.
//   - NetSessionDel sends both names as given ("" = NULL).
//
// A WERROR comes back as the [sessionapi.Status] of that number; ERROR_MORE_DATA comes with
// the entries that were returned. A DCE/RPC fault comes back as a [*FaultError] that also
// matches the sessionapi status of its number (errors.Is(err, sessionapi.NCA_S_OP_RNG_ERROR)).
// A connection the server closed or reset, at any stage, is a [*BrokenError] naming the stage
// (errors.Is(err, [ErrConnectionLost])), and bytes that are not SMB2 are one too
// ([ErrNotSMB2]); neither is a timeout, and the Client's next call dials a new connection. A
// caller's cancel is its context.Canceled, never a [*StageError]. Other transport failures
// are plain errors.
//
// # Deadlines
//
// Every wait is bounded, whether or not the context has a deadline: each stage — the TCP
// connect, the SMB2 negotiate, each session setup leg, the IPC$ tree connect, opening the
// pipe (CREATE), the bind, and each call — has its own limit, Config.StageTimeout
// ([DefaultStageTimeout], 15 s, when 0), and the context's deadline bounds the whole. A
// server that accepts and then says nothing, answers with a wrong MessageId, sends framed
// garbage or grants no credits gets a [*StageError] naming the stage (it matches
// context.DeadlineExceeded under errors.Is); a StageError means a deadline ran out, the
// stage's or the caller's, and nothing else. A server that answers every SMB2 NEGOTIATE with
// the wildcard dialect 0x02FF, which made go-smb2 renegotiate without end, gets
// [ErrRenegotiation] after [MaxNegotiates] (3) requests. Refused credentials are
// [ErrLogonFailure].
//
// # Credentials
//
// Config.Password and Config.Hash (an NT hash) come from the caller; [Config.WithEnvPassword]
// fills the password from SESSIONSIM_PASSWORD. Dial never reads the environment by itself, and
// Config's String and LogValue methods leave the secrets out, so a logged Config shows none.
package srvsvc
