package smbserver

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/smb2"
	"github.com/sessionsim/sessionsim/internal/srvs"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// Statuses the smb2 package does not name, used only here.
const (
	statusPipeEmpty          smb2.Status = 0xC00000D9
	statusInfoLengthMismatch smb2.Status = 0xC0000004
)

// request is one command of a message, as the handlers see it.
type request struct {
	h    smb2.Header
	msg  []byte // this command, header included
	sess *session
	tree *tree
	// fileID is the request's FileID resolved against a related compound's previous CREATE.
	prevFile smb2.FileID
}

// reply is a handler's answer.
type reply struct {
	status    smb2.Status
	body      []byte // nil: an ERROR response is sent for status
	sessionID uint64 // overrides the header's (SESSION_SETUP of a new session)
	treeID    uint32 // overrides the header's (TREE_CONNECT)
	signWith  *session
	fileID    *smb2.FileID // a CREATE's new open, for related requests that follow
	close     bool         // close the connection after sending
	none      bool         // send nothing (CANCEL)
}

func fail(s smb2.Status) reply { return reply{status: s} }

// errorLike reports whether a status gets an ERROR response body: every error, but not
// STATUS_BUFFER_OVERFLOW (data follows) or STATUS_MORE_PROCESSING_REQUIRED (a token follows).
func errorLike(r *reply) bool { return r.body == nil }

// handleMessage answers one NetBIOS message: one SMB2 command or a compound of them, or the
// SMB1 NEGOTIATE a client may start with. It returns the framed response.
func (c *conn) handleMessage(msg []byte) ([]byte, bool) {
	if smb2.IsSMB1(msg) {
		return c.handleSMB1(msg)
	}
	parts, err := smb2.SplitCompound(msg, c.lim.MaxCompound)
	if err != nil {
		c.log.Debug("smbserver: bad message; closing", "err", err)
		return nil, true
	}
	out := smb2.StartFrame(c.out[:0])
	var starts []int
	var signers []*session
	var prevSess uint64
	var prevTree uint32
	var prevFile smb2.FileID
	var prevStatus smb2.Status
	closeAfter := false
	for i, p := range parts {
		h, err := smb2.ParseHeader(p)
		if err != nil || h.Flags&smb2.FlagResponse != 0 || h.Flags&smb2.FlagAsync != 0 && h.Command != smb2.Cancel {
			c.log.Debug("smbserver: bad header; closing", "err", err)
			return nil, true
		}
		if h.Command == smb2.Cancel {
			// Nothing is pending (requests run in order), so there is nothing to cancel and
			// no answer; CANCEL takes no credit.
			continue
		}
		charge := max(int(h.CreditCharge), 1)
		if charge > 1 || charge > c.credits {
			// Multi-credit requests are not negotiated (no CAP_LARGE_MTU); a request beyond
			// the credits granted breaks the protocol.
			c.log.Debug("smbserver: request beyond its credits; closing", "charge", charge, "credits", c.credits)
			return nil, true
		}
		c.credits -= charge
		related := i > 0 && h.Flags&smb2.FlagRelated != 0
		req := &request{h: h, msg: p, prevFile: smb2.AnyFileID}
		var r reply
		if related {
			req.h.SessionID, req.h.TreeID, req.prevFile = prevSess, prevTree, prevFile
		}
		if related && prevStatus.IsError() {
			// MS-SMB2 3.3.5.2.7.2: a related request after a failed one fails the same way.
			r = fail(prevStatus)
		} else {
			r = c.dispatch(req)
		}
		if r.close {
			closeAfter = true
		}
		if r.none {
			continue
		}
		// Grant what is asked within MaxCredits, and never leave the client without one.
		grant := max(min(int(h.Credits), c.lim.MaxCredits-c.credits), 0)
		if c.credits+grant == 0 {
			grant = 1
		}
		c.credits += grant

		rh := smb2.Header{CreditCharge: h.CreditCharge, Status: r.status, Command: h.Command, Credits: uint16(grant),
			Flags: smb2.FlagResponse, MessageID: h.MessageID, ProcessID: h.ProcessID,
			TreeID: req.h.TreeID, SessionID: req.h.SessionID}
		if related {
			rh.Flags |= smb2.FlagRelated
		}
		if r.sessionID != 0 {
			rh.SessionID = r.sessionID
		}
		if r.treeID != 0 {
			rh.TreeID = r.treeID
		}
		if len(starts) > 0 {
			for (len(out)-4)%8 != 0 {
				out = append(out, 0)
			}
		}
		starts = append(starts, len(out))
		signers = append(signers, r.signWith)
		out = smb2.AppendHeader(out, &rh)
		if errorLike(&r) {
			out = smb2.AppendErrorResponse(out)
		} else {
			out = append(out, r.body...)
		}
		prevSess, prevTree, prevStatus = rh.SessionID, rh.TreeID, r.status
		if r.fileID != nil {
			prevFile = *r.fileID
		}
		if closeAfter {
			break
		}
	}
	if len(starts) == 0 {
		return nil, closeAfter
	}
	// NextCommand and signatures, now that every part's length is known.
	for i, st := range starts {
		end := len(out)
		if i+1 < len(starts) {
			end = starts[i+1]
			binary.LittleEndian.PutUint32(out[st+20:], uint32(end-st))
		}
		if s := signers[i]; s != nil && s.key != nil {
			smb2.Sign(s.key, out[st:end])
		}
	}
	return smb2.FinishFrame(out), closeAfter
}

// needs says what a command requires before its handler runs (Samba's smbd_smb2_table).
type needs struct{ session, tree bool }

var commandNeeds = map[smb2.Command]needs{
	smb2.Negotiate: {}, smb2.SessionSetup: {}, smb2.Echo: {},
	smb2.Logoff: {session: true}, smb2.TreeConnect: {session: true},
	smb2.TreeDisconnect: {true, true}, smb2.Create: {true, true}, smb2.Close: {true, true},
	smb2.Read: {true, true}, smb2.Write: {true, true}, smb2.Ioctl: {true, true}, smb2.QueryInfo: {true, true},
	smb2.Flush: {true, true}, smb2.Lock: {true, true}, smb2.QueryDirectory: {true, true},
	smb2.ChangeNotify: {true, true}, smb2.SetInfo: {true, true}, smb2.OplockBreak: {true, true},
}

func (c *conn) dispatch(req *request) reply {
	h := &req.h
	if !c.negotiated && h.Command != smb2.Negotiate {
		c.log.Debug("smbserver: command before NEGOTIATE; closing", "command", h.Command)
		return reply{status: smb2.StatusInvalidParameter, close: true}
	}
	nd, known := commandNeeds[h.Command]
	if !known {
		return fail(smb2.StatusNotImplemented)
	}
	if nd.session {
		sess := c.sessions[h.SessionID]
		if sess == nil || !sess.valid {
			return fail(smb2.StatusUserSessionDeleted)
		}
		req.sess = sess
		if st, ok := c.checkSignature(req); !ok {
			return fail(st)
		}
		if sess.inFake {
			if err := c.s.srv.Activity(sess.fakeID); errors.Is(err, fake.ErrNoSession) {
				// NetSessionDel ended it (perhaps this very client's call).
				sess.inFake, sess.deleted = false, true
			}
		}
		if sess.deleted && !(h.Command == smb2.Read && sess.pending() > 0) {
			// The session is gone, as on Windows, and the connection with it; only the answer
			// of the call that deleted it may still be read.
			c.log.Debug("smbserver: session deleted through NetSessionDel; closing", "session", sess.id)
			return reply{status: smb2.StatusUserSessionDeleted, close: true}
		}
		if nd.tree {
			t := sess.trees[h.TreeID]
			if t == nil {
				return reply{status: smb2.StatusNetworkNameDeleted, signWith: c.signer(req)}
			}
			req.tree = t
		}
	}
	var r reply
	switch h.Command {
	case smb2.Negotiate:
		return c.negotiate(req)
	case smb2.SessionSetup:
		return c.sessionSetup(req)
	case smb2.Echo:
		if smb2.ParseSimple(req.msg, "ECHO request") != nil {
			return fail(smb2.StatusInvalidParameter)
		}
		r = reply{body: smb2.AppendSimpleResponse(nil)}
		if s := c.sessions[h.SessionID]; s != nil && s.valid {
			req.sess = s
		}
	case smb2.Logoff:
		r = c.logoff(req)
	case smb2.TreeConnect:
		r = c.treeConnect(req)
	case smb2.TreeDisconnect:
		r = c.treeDisconnect(req)
	case smb2.Create:
		r = c.create(req)
	case smb2.Close:
		r = c.closeFile(req)
	case smb2.Read:
		r = c.read(req)
	case smb2.Write:
		r = c.write(req)
	case smb2.Ioctl:
		r = c.ioctl(req)
	case smb2.QueryInfo:
		r = c.queryInfo(req)
	default:
		r = fail(smb2.StatusNotSupported)
	}
	if r.signWith == nil {
		r.signWith = c.signer(req)
	}
	return r
}

// checkSignature verifies a signed request, and refuses an unsigned one on a session that
// requires signing.
func (c *conn) checkSignature(req *request) (smb2.Status, bool) {
	sess := req.sess
	if sess.key == nil {
		return 0, true // guest and anonymous sessions cannot sign
	}
	if req.h.Flags&smb2.FlagSigned != 0 {
		if !smb2.Verify(sess.key, req.msg) {
			c.log.Debug("smbserver: bad signature", "command", req.h.Command)
			return smb2.StatusAccessDenied, false
		}
		return 0, true
	}
	if sess.signRequired {
		return smb2.StatusAccessDenied, false
	}
	return 0, true
}

// signer is the session whose key signs the response: when the request was signed or the
// session requires signing.
func (c *conn) signer(req *request) *session {
	s := req.sess
	if s == nil || s.key == nil {
		return nil
	}
	if s.signRequired || req.h.Flags&smb2.FlagSigned != 0 {
		return s
	}
	return nil
}

// filetime converts to a Windows FILETIME.
func filetime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()/100 + 116444736000000000)
}

func (c *conn) serverSecMode() uint16 { return smb2.SigningEnabled }

func (c *conn) negotiateResponse(dialect uint16) []byte {
	return smb2.AppendNegotiateResponse(nil, &smb2.NegotiateResponse{
		SecurityMode: c.serverSecMode(), Dialect: dialect, ServerGUID: c.s.guid,
		MaxTransactSize: MaxIOSize, MaxReadSize: MaxIOSize, MaxWriteSize: MaxIOSize,
		SystemTime: filetime(time.Now()), SecurityBuffer: c.s.initialToken,
	})
}

// handleSMB1 answers an SMB1 NEGOTIATE that offers SMB2 (impacket starts so): "SMB 2.???"
// gets an SMB2 NEGOTIATE response with the wildcard dialect 0x02FF, after which the client
// sends an SMB2 NEGOTIATE; "SMB 2.002" alone selects 2.0.2 at once. Anything else is SMB1,
// which is not served: the connection is closed.
func (c *conn) handleSMB1(msg []byte) ([]byte, bool) {
	if c.negotiated {
		return nil, true
	}
	dialects, err := smb2.ParseSMB1Negotiate(msg)
	if err != nil {
		c.log.Debug("smbserver: SMB1 message; closing", "err", err)
		return nil, true
	}
	var dialect uint16
	switch {
	case slices.Contains(dialects, "SMB 2.???"):
		dialect = smb2.DialectWildcard
	case slices.Contains(dialects, "SMB 2.002"):
		dialect = smb2.Dialect202
		c.negotiated, c.dialect = true, smb2.Dialect202
	default:
		c.log.Debug("smbserver: SMB1-only client; closing (SMB1 is not served)", "dialects", dialects)
		return nil, true
	}
	out := smb2.StartFrame(c.out[:0])
	out = smb2.AppendHeader(out, &smb2.Header{Command: smb2.Negotiate, Credits: 1, Flags: smb2.FlagResponse})
	out = append(out, c.negotiateResponse(dialect)...)
	return smb2.FinishFrame(out), false
}

func (c *conn) negotiate(req *request) reply {
	if c.negotiated {
		c.log.Debug("smbserver: second NEGOTIATE; closing")
		return reply{status: smb2.StatusInvalidParameter, close: true}
	}
	n, err := smb2.ParseNegotiateRequest(req.msg)
	if err != nil {
		c.log.Debug("smbserver: bad NEGOTIATE; closing", "err", err)
		return reply{status: smb2.StatusInvalidParameter, close: true}
	}
	dialect := pickDialect(n.Dialects)
	if dialect == 0 {
		c.log.Debug("smbserver: no common dialect (2.0.2 and 2.1 are served); closing", "dialects", n.Dialects)
		return reply{status: smb2.StatusNotSupported, close: true}
	}
	c.negotiated, c.dialect = true, dialect
	c.clientSecMode, c.clientCaps, c.clientGUID = n.SecurityMode, n.Capabilities, n.ClientGUID
	return reply{body: c.negotiateResponse(dialect)}
}

// pickDialect chooses 2.1 over 2.0.2; SMB 3 is not served.
func pickDialect(offered []uint16) uint16 {
	switch {
	case slices.Contains(offered, smb2.Dialect210):
		return smb2.Dialect210
	case slices.Contains(offered, smb2.Dialect202):
		return smb2.Dialect202
	}
	return 0
}

func (c *conn) sessionSetup(req *request) reply {
	h := &req.h
	c.setupAttempts++
	if c.setupAttempts > c.lim.MaxSetupAttempts {
		c.log.Warn("smbserver: too many SESSION_SETUP requests; closing", "limit", c.lim.MaxSetupAttempts)
		return reply{status: smb2.StatusRequestNotAccepted, close: true}
	}
	ss, err := smb2.ParseSessionSetupRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	var sess *session
	if h.SessionID == 0 {
		if len(c.sessions) >= c.lim.MaxSessionsPerConn || c.setupsInProgress >= c.lim.MaxSetupsInProgress {
			c.log.Debug("smbserver: session limit", "sessions", len(c.sessions), "setups", c.setupsInProgress)
			return fail(smb2.StatusRequestNotAccepted)
		}
		sess = &session{id: c.s.nextSession.Add(1), acc: c.s.newAcceptor(),
			trees: map[uint32]*tree{}, opens: map[uint64]*open{}, nextTree: 1, nextOpen: 1}
		c.sessions[sess.id] = sess
		c.setupsInProgress++
	} else {
		sess = c.sessions[h.SessionID]
		if sess == nil {
			return fail(smb2.StatusUserSessionDeleted)
		}
		if sess.acc == nil {
			// Re-authentication of a logged-on session is not served.
			return reply{status: smb2.StatusRequestNotAccepted, signWith: sess.signingSession()}
		}
	}
	out, done, res, err := sess.acc.Step(ss.SecurityBuffer)
	if err == nil && !done {
		return reply{status: smb2.StatusMoreProcessingRequired, sessionID: sess.id,
			body: smb2.AppendSessionSetupResponse(nil, 0, out)}
	}
	sess.acc = nil
	c.setupsInProgress--
	var caller fake.Caller
	ok := err == nil && res != nil
	if ok {
		caller, ok = c.s.identity(res)
	}
	if !ok {
		delete(c.sessions, sess.id)
		c.log.Debug("smbserver: logon failure", "err", err)
		return reply{status: smb2.StatusLogonFailure, sessionID: sess.id}
	}
	fs := fake.Session{ClientName: c.peerIP, UserName: caller.Name, Transport: Transport}
	switch caller.Role {
	case fake.Anonymous:
		sess.flags = smb2.SessionFlagIsNull
		fs.UserName = ""
	case fake.Guest:
		sess.flags = smb2.SessionFlagIsGuest
		fs.Flags = sessionapi.SessGuest
		if fs.UserName == "" {
			fs.UserName = "guest"
		}
	default:
		if len(res.SessionKey) > 0 {
			sess.key = append([]byte(nil), res.SessionKey...)
			sess.signRequired = (c.clientSecMode|uint16(ss.SecurityMode))&smb2.SigningRequired != 0
		}
	}
	id, cerr := c.s.srv.Connect(fs)
	if cerr != nil {
		delete(c.sessions, sess.id)
		c.log.Warn("smbserver: the fake refused the session", "err", cerr)
		return reply{status: smb2.StatusInsufficientResources, sessionID: sess.id}
	}
	// The caller's connection is this session: the fake must not make another for it.
	caller.ClientName, caller.Session = c.peerIP, id
	sess.fakeID, sess.inFake, sess.caller, sess.valid = id, true, caller, true
	sess.api = newLocalAPI(c.s.srv.AsCaller(caller), c.s.srv.Name(), c.localIP, c.log)
	c.authed = true
	c.log.Debug("smbserver: logged on", "caller", caller.String(), "session", sess.id)
	return reply{sessionID: sess.id, body: smb2.AppendSessionSetupResponse(nil, sess.flags, out),
		signWith: sess.signingSession()}
}

// signingSession is s when it signs everything (the final SESSION_SETUP response and later).
func (s *session) signingSession() *session {
	if s.key != nil && s.signRequired {
		return s
	}
	return nil
}

func (c *conn) logoff(req *request) reply {
	if smb2.ParseSimple(req.msg, "LOGOFF request") != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	signer := c.signer(req)
	c.endSession(req.sess)
	delete(c.sessions, req.sess.id)
	return reply{body: smb2.AppendSimpleResponse(nil), signWith: signer}
}

// Maximal access of the IPC$ tree connect, as Windows Server answers it (evidence A, frame 543).
const ipcMaximalAccess = 0x011F01FF

func (c *conn) treeConnect(req *request) reply {
	path, err := smb2.ParseTreeConnectRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	share := path[strings.LastIndexByte(path, '\\')+1:]
	if !strings.EqualFold(share, "IPC$") {
		return fail(smb2.StatusBadNetworkName)
	}
	sess := req.sess
	if len(sess.trees) >= c.lim.MaxTreesPerSession {
		return fail(smb2.StatusInsufficientResources)
	}
	t := &tree{id: sess.nextTree}
	sess.nextTree++
	sess.trees[t.id] = t
	return reply{treeID: t.id, body: smb2.AppendTreeConnectResponse(nil, smb2.ShareTypePipe, smb2.ShareFlagNoCaching, 0, ipcMaximalAccess)}
}

func (c *conn) treeDisconnect(req *request) reply {
	if smb2.ParseSimple(req.msg, "TREE_DISCONNECT request") != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	for _, o := range req.sess.opens {
		if o.tree == req.tree.id {
			c.closeOpen(req.sess, o)
		}
	}
	delete(req.sess.trees, req.tree.id)
	return reply{body: smb2.AppendSimpleResponse(nil)}
}

// pipeName normalises a CREATE name: `\srvsvc`, `srvsvc`, `PIPE\srvsvc` all name srvsvc.
func pipeName(name string) string {
	n := strings.ToLower(strings.TrimLeft(name, `\`))
	n = strings.TrimPrefix(n, `pipe\`)
	return n
}

func (c *conn) create(req *request) reply {
	cr, err := smb2.ParseCreateRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	if pipeName(cr.Name) != "srvsvc" {
		return fail(smb2.StatusObjectNameNotFound)
	}
	sess := req.sess
	if len(sess.opens) >= c.lim.MaxOpensPerSession {
		return fail(smb2.StatusInsufficientResources)
	}
	// Whether the pipe counts in num_opens is the profile's: Windows yes, Samba no.
	counted := c.s.srv.Profile().PipesCountAsOpens
	if counted {
		if err := c.s.srv.OpenFile(sess.fakeID); err != nil {
			return fail(smb2.StatusInsufficientResources)
		}
	}
	n := sess.nextOpen
	sess.nextOpen++
	o := &open{id: smb2.FileID{Persistent: n, Volatile: n}, tree: req.tree.id, counted: counted,
		rpc: dcerpc.NewServerConn([]dcerpc.ServerInterface{{Syntax: srvs.Syntax, Handler: srvs.NewHandler(sess.api)}}, c.lim.rpc(c.rpcBudget, c.log))}
	sess.opens[n] = o
	return reply{fileID: &o.id, body: smb2.AppendCreateResponse(nil, &smb2.CreateResponse{
		CreateAction: smb2.FileOpened, FileID: o.id, Times: pipeTimes})}
}

// pipeTimes are what Windows reports for a pipe open (evidence A, frame 548): no times, 4 KiB
// allocated, FILE_ATTRIBUTE_NORMAL.
var pipeTimes = smb2.FileTimes{AllocationSize: 4096, Attributes: smb2.FileAttributeNormal}

// openOf finds the open a request names (a related request may name the previous CREATE's).
func (c *conn) openOf(req *request, id smb2.FileID) *open {
	if id == smb2.AnyFileID {
		id = req.prevFile
	}
	o := req.sess.opens[id.Volatile]
	if o == nil || o.id != id || o.tree != req.tree.id {
		return nil
	}
	return o
}

func (c *conn) closeFile(req *request) reply {
	flags, id, err := smb2.ParseCloseRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	o := c.openOf(req, id)
	if o == nil {
		return fail(smb2.StatusFileClosed)
	}
	c.closeOpen(req.sess, o)
	var t *smb2.FileTimes
	if flags&smb2.CloseFlagPostQueryAttrib != 0 {
		t = &pipeTimes
	}
	return reply{body: smb2.AppendCloseResponse(nil, flags&smb2.CloseFlagPostQueryAttrib, t)}
}

func (c *conn) write(req *request) reply {
	w, err := smb2.ParseWriteRequest(req.msg)
	if err != nil || len(w.Data) > MaxIOSize {
		return fail(smb2.StatusInvalidParameter)
	}
	o := c.openOf(req, w.FileID)
	if o == nil {
		return fail(smb2.StatusFileClosed)
	}
	if c.pipeFull(o, "WRITE") {
		return fail(smb2.StatusInsufficientResources)
	}
	if err := o.rpc.Write(c.ctx, slices.Clone(w.Data)); err != nil {
		c.log.Debug("smbserver: DCE/RPC protocol error; pipe closed", "err", err)
		c.closeOpen(req.sess, o)
		return fail(smb2.StatusPipeDisconnected)
	}
	return reply{body: smb2.AppendWriteResponse(nil, uint32(len(w.Data)))}
}

// pipeFull reports (and logs) whether a WRITE or TRANSCEIVE to o is refused whole, untaken:
// the pipe's own unread answers are at MaxRPCPending, or the connection's pipes hold
// MaxRPCPendingPerConn, or the server's MaxRPCPendingPerServer. The client reads its answers
// and sends again; nothing grows meanwhile.
func (c *conn) pipeFull(o *open, op string) bool {
	if !o.rpc.Full() {
		return false
	}
	c.log.Debug("smbserver: pipe request refused with STATUS_INSUFFICIENT_RESOURCES: DCE/RPC answers unread",
		"op", op, "pipe_unread", o.rpc.Pending(), "pipe_limit", c.lim.MaxRPCPending,
		"conn_held", c.rpcBudget.Used(), "conn_limit", c.lim.MaxRPCPendingPerConn,
		"server_held", c.s.rpcBudget.Used(), "server_limit", c.lim.MaxRPCPendingPerServer)
	return true
}

// readPipe reads up to room bytes of the current response fragment into b after its
// len(b) bytes, which have room for them.
func readPipe(o *open, b []byte, room uint32) ([]byte, smb2.Status) {
	n := min(int(room), o.rpc.Pending(), MaxIOSize)
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	got, more := o.rpc.Read(b[start:])
	b = b[:start+got]
	if more {
		return b, smb2.StatusBufferOverflow
	}
	return b, smb2.StatusSuccess
}

func (c *conn) read(req *request) reply {
	r, err := smb2.ParseReadRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	o := c.openOf(req, r.FileID)
	if o == nil {
		return fail(smb2.StatusFileClosed)
	}
	if o.rpc.Pending() == 0 {
		// A blocking read on Windows would wait for a response; requests run in order here,
		// so none can come.
		return fail(statusPipeEmpty)
	}
	// The data is read straight into the response body, after its fixed part.
	n := min(int(r.Length), o.rpc.Pending(), MaxIOSize)
	body := smb2.AppendReadResponseHeader(make([]byte, 0, smb2.ReadResponseFixed+max(n, 1)), n)
	body, st := readPipe(o, body, r.Length)
	got := len(body) - smb2.ReadResponseFixed
	binary.LittleEndian.PutUint32(body[4:], uint32(got))
	if got == 0 {
		body = append(body, 0) // the structure's one byte of buffer
	}
	return reply{status: st, body: body}
}

func (c *conn) ioctl(req *request) reply {
	io, err := smb2.ParseIoctlRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	switch io.CtlCode {
	case smb2.FsctlValidateNegotiateInfo:
		return c.validateNegotiate(req, io)
	case smb2.FsctlPipeTransceive:
		o := c.openOf(req, io.FileID)
		if o == nil {
			return fail(smb2.StatusFileClosed)
		}
		if len(io.Input) > MaxIOSize {
			return fail(smb2.StatusInvalidParameter)
		}
		if c.pipeFull(o, "TRANSCEIVE") {
			return fail(smb2.StatusInsufficientResources)
		}
		if err := o.rpc.Write(c.ctx, slices.Clone(io.Input)); err != nil {
			c.log.Debug("smbserver: DCE/RPC protocol error; pipe closed", "err", err)
			c.closeOpen(req.sess, o)
			return fail(smb2.StatusPipeDisconnected)
		}
		data, st := readPipe(o, nil, io.MaxOutputResponse)
		return reply{status: st, body: smb2.AppendIoctlResponse(nil, io.CtlCode, o.id, data)}
	case smb2.FsctlPipeWait:
		return reply{body: smb2.AppendIoctlResponse(nil, io.CtlCode, io.FileID, nil)}
	case smb2.FsctlDFSGetReferrals, smb2.FsctlDFSGetReferralsEx:
		return fail(smb2.StatusNotFound)
	}
	// FSCTL_QUERY_NETWORK_INTERFACE_INFO (multichannel) and the rest: an IPC$ tree has no
	// such device.
	return fail(smb2.StatusNotSupported)
}

// validateNegotiate answers FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 3.3.5.15.12): the client
// checks that nobody tampered with NEGOTIATE. A mismatch means exactly that: the connection
// is dropped, as the spec says.
func (c *conn) validateNegotiate(req *request, io *smb2.IoctlRequest) reply {
	v, err := smb2.ParseValidateNegotiateInfo(io.Input)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	if io.MaxOutputResponse < 24 {
		return fail(smb2.StatusInvalidParameter)
	}
	if v.Capabilities != c.clientCaps || v.GUID != c.clientGUID || v.SecurityMode != c.clientSecMode || pickDialect(v.Dialects) != c.dialect {
		c.log.Warn("smbserver: VALIDATE_NEGOTIATE_INFO does not match NEGOTIATE; closing")
		return reply{status: smb2.StatusAccessDenied, close: true}
	}
	out := smb2.AppendValidateNegotiateResponse(nil, 0, c.s.guid, c.serverSecMode(), c.dialect)
	// Always signed when the session can sign: the client refuses an unsigned answer.
	return reply{body: smb2.AppendIoctlResponse(nil, io.CtlCode, io.FileID, out), signWith: keyed(req.sess)}
}

func keyed(s *session) *session {
	if s != nil && s.key != nil {
		return s
	}
	return nil
}

func (c *conn) queryInfo(req *request) reply {
	q, err := smb2.ParseQueryInfoRequest(req.msg)
	if err != nil {
		return fail(smb2.StatusInvalidParameter)
	}
	o := c.openOf(req, q.FileID)
	if o == nil {
		return fail(smb2.StatusFileClosed)
	}
	if q.InfoType != smb2.InfoFile {
		return fail(smb2.StatusNotSupported)
	}
	var b []byte
	le := binary.LittleEndian
	switch q.FileInfoClass {
	case smb2.FileStandardInformation:
		// As Windows answers for a pipe (evidence A, frame 551): 4 KiB allocated, empty, one
		// link, delete pending, not a directory.
		b = le.AppendUint64(b, 4096)
		b = le.AppendUint64(b, 0)
		b = le.AppendUint32(b, 1)
		b = append(b, 1, 0, 0, 0)
	case smb2.FileBasicInformation:
		b = make([]byte, 32, 40)
		b = le.AppendUint32(b, smb2.FileAttributeNormal)
		b = le.AppendUint32(b, 0)
	case smb2.FilePipeInformation:
		b = le.AppendUint32(b, 1) // FILE_PIPE_MESSAGE_MODE
		b = le.AppendUint32(b, 0) // FILE_PIPE_QUEUE_OPERATION
	case smb2.FilePipeLocalInformation:
		b = le.AppendUint32(b, 1)          // NamedPipeType: message
		b = le.AppendUint32(b, 2)          // NamedPipeConfiguration: full duplex
		b = le.AppendUint32(b, 0xFFFFFFFF) // MaximumInstances: unlimited
		b = le.AppendUint32(b, uint32(len(req.sess.opens)))
		b = le.AppendUint32(b, MaxIOSize) // InboundQuota
		b = le.AppendUint32(b, uint32(o.rpc.Pending()))
		b = le.AppendUint32(b, MaxIOSize) // OutboundQuota
		b = le.AppendUint32(b, MaxIOSize) // WriteQuotaAvailable
		b = le.AppendUint32(b, 3)         // NamedPipeState: connected
		b = le.AppendUint32(b, 0)         // NamedPipeEnd: client end
	default:
		return fail(smb2.StatusInvalidInfoClass)
	}
	if int(q.OutputBufferLength) < len(b) {
		return fail(statusInfoLengthMismatch)
	}
	return reply{body: smb2.AppendQueryInfoResponse(nil, b)}
}
