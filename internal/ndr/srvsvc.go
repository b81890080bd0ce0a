package ndr

import (
	"fmt"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Opnums of the two MS-SRVS calls (MS-SRVS 3.1.4.5 and 3.1.4.6; srvsvc.idl functions 0x0c and
// 0x0d).
const (
	OpNetrSessionEnum uint16 = 12
	OpNetrSessionDel  uint16 = 13
)

// SessEnumRequest is the [in] side of NetrSessionEnum. A nil string is a NULL pointer.
type SessEnumRequest struct {
	ServerName *string // [in, unique, string] SRVSVC_HANDLE
	ClientName *string // [in, unique, string]
	UserName   *string // [in, unique, string]
	Level      sessionapi.Level
	MaxBuffer  uint32  // PreferedMaximumLength
	Resume     *uint32 // [in, out, unique] ResumeHandle
}

// SessEnumResponse is the [out] side of NetrSessionEnum.
type SessEnumResponse struct {
	Level sessionapi.Level
	// HasContainer reports a non-NULL pointer in the union arm. The decoder sets it; an
	// encoder writes the container when it is set or when Entries is non-empty.
	HasContainer bool
	// Entries are the array's elements widened to SESSION_INFO_502: only the members of Level
	// (sessionapi.FieldsOf) are meaningful. A NULL string member reads as "".
	Entries      []sessionapi.SessionInfo502
	TotalEntries uint32
	Resume       *uint32
	Result       uint32 // WERROR
}

// SessDelRequest is the [in] side of NetrSessionDel.
type SessDelRequest struct {
	ServerName *string
	ClientName *string
	UserName   *string
}

// validArm reports whether the SESSION_ENUM_UNION has a (pointer) arm for the level; any other
// level selects the empty default arm.
func validArm(l sessionapi.Level) bool { return l.ValidForEnum() }

// scalarSize is the bytes one array element's scalars take (4 per pointer and per uint32).
func scalarSize(l sessionapi.Level) int {
	switch l {
	case sessionapi.Level0:
		return 4
	case sessionapi.Level1:
		return 24
	case sessionapi.Level2:
		return 28
	case sessionapi.Level10:
		return 16
	case sessionapi.Level502:
		return 32
	}
	return 0
}

// EncodeSessEnumRequest writes the request stub. The container it sends is the empty one of
// the requested level (count 0, NULL array), as Windows and impacket do.
func EncodeSessEnumRequest(q *SessEnumRequest) []byte {
	w := &writer{}
	w.uniqueStr(q.ServerName)
	w.uniqueStr(q.ClientName)
	w.uniqueStr(q.UserName)
	// [in, out, ref] LPSESSION_ENUM_STRUCT: no referent id for a top-level ref pointer.
	w.u32(uint32(q.Level)) // Level
	w.u32(uint32(q.Level)) // the union's discriminant
	if validArm(q.Level) {
		w.ptr(true)
		w.u32(0)     // EntriesRead
		w.ptr(false) // Buffer
	}
	w.u32(q.MaxBuffer)
	w.ptr(q.Resume != nil)
	if q.Resume != nil {
		w.u32(*q.Resume)
	}
	return w.b
}

// DecodeSessEnumRequest reads a request stub (for test servers and cross-checks).
func DecodeSessEnumRequest(b []byte) (*SessEnumRequest, error) {
	r := &reader{b: b}
	q := &SessEnumRequest{}
	q.ServerName = r.uniqueStr("ServerName")
	q.ClientName = r.uniqueStr("ClientName")
	q.UserName = r.uniqueStr("UserName")
	level, c := readEnumStruct(r)
	q.Level = level
	if r.err == nil && c.hasArray {
		// Clients send an empty container; one that carries entries is read and dropped.
		readEntries(r, level, c.count)
	}
	q.MaxBuffer = r.u32("PreferedMaximumLength")
	if r.ptr("ResumeHandle") {
		v := r.u32("ResumeHandle")
		q.Resume = &v
	}
	if r.err != nil {
		return nil, fmt.Errorf("NetrSessionEnum request: %w", r.err)
	}
	return q, nil
}

// EncodeSessEnumResponse writes a response stub: the container of Level, TotalEntries, the
// resume handle and the WERROR. Every string member is written as a non-NULL pointer, even when
// empty, as Samba does.
func EncodeSessEnumResponse(p *SessEnumResponse) []byte {
	w := &writer{}
	w.u32(uint32(p.Level))
	w.u32(uint32(p.Level))
	if validArm(p.Level) {
		has := p.HasContainer || len(p.Entries) > 0
		w.ptr(has)
		if has {
			n := uint32(len(p.Entries))
			w.u32(n)
			w.ptr(n > 0)
			if n > 0 {
				w.u32(n) // conformance: the array's maximum count
				for i := range p.Entries {
					writeScalars(w, p.Level, &p.Entries[i])
				}
				for i := range p.Entries {
					writeDeferred(w, p.Level, &p.Entries[i])
				}
			}
		}
	}
	w.u32(p.TotalEntries)
	w.ptr(p.Resume != nil)
	if p.Resume != nil {
		w.u32(*p.Resume)
	}
	w.u32(p.Result)
	return w.b
}

// writeScalars writes one element's fixed part: its members in declaration order, each string
// member as a non-NULL referent id whose string follows after the whole array.
func writeScalars(w *writer, l sessionapi.Level, e *sessionapi.SessionInfo502) {
	f := sessionapi.FieldsOf(l)
	w.ptr(true) // cname
	if f.Has(sessionapi.FieldUserName) {
		w.ptr(true)
	}
	if f.Has(sessionapi.FieldNumOpens) {
		w.u32(e.NumOpens)
	}
	if f.Has(sessionapi.FieldTime) {
		w.u32(e.Time)
	}
	if f.Has(sessionapi.FieldIdleTime) {
		w.u32(e.IdleTime)
	}
	if f.Has(sessionapi.FieldUserFlags) {
		w.u32(uint32(e.UserFlags))
	}
	if f.Has(sessionapi.FieldClientType) {
		w.ptr(true)
	}
	if f.Has(sessionapi.FieldTransport) {
		w.ptr(true)
	}
}

// writeDeferred writes one element's strings, in member order, after all the elements.
func writeDeferred(w *writer, l sessionapi.Level, e *sessionapi.SessionInfo502) {
	f := sessionapi.FieldsOf(l)
	w.str(e.ClientName)
	if f.Has(sessionapi.FieldUserName) {
		w.str(e.UserName)
	}
	if f.Has(sessionapi.FieldClientType) {
		w.str(e.ClientType)
	}
	if f.Has(sessionapi.FieldTransport) {
		w.str(e.Transport)
	}
}

// container is what readEnumStruct learns of the SESSION_ENUM_STRUCT's container.
type container struct {
	present  bool
	count    uint32
	hasArray bool
}

// readEnumStruct reads SESSION_ENUM_STRUCT up to (not including) the container's deferred
// array: Level, the union discriminant (which must equal Level) and, for a level with an arm,
// the container pointer and the container's EntriesRead and Buffer pointer.
func readEnumStruct(r *reader) (sessionapi.Level, container) {
	level := sessionapi.Level(r.u32("Level"))
	disc := r.u32("union discriminant")
	if r.err == nil && disc != uint32(level) {
		r.fail(fmt.Errorf("%w: SESSION_ENUM_STRUCT level %d but union discriminant %d", ErrMalformed, level, disc))
	}
	var c container
	if r.err != nil || !validArm(level) {
		return level, c
	}
	c.present = r.ptr("container")
	if c.present {
		c.count = r.u32("EntriesRead")
		c.hasArray = r.ptr("Buffer")
	}
	return level, c
}

// DecodeSessEnumResponse reads a response stub from an untrusted server.
func DecodeSessEnumResponse(b []byte) (*SessEnumResponse, error) {
	r := &reader{b: b}
	p := &SessEnumResponse{}
	level, c := readEnumStruct(r)
	p.Level = level
	p.HasContainer = c.present
	if r.err == nil && c.present {
		switch {
		case c.hasArray:
			p.Entries = readEntries(r, level, c.count)
		case c.count != 0:
			r.fail(fmt.Errorf("%w: EntriesRead %d with a NULL Buffer", ErrMalformed, c.count))
		}
	}
	p.TotalEntries = r.u32("TotalEntries")
	if r.ptr("ResumeHandle") {
		v := r.u32("ResumeHandle")
		p.Resume = &v
	}
	p.Result = r.u32("WERROR")
	if r.err != nil {
		return nil, fmt.Errorf("NetrSessionEnum response: %w", r.err)
	}
	return p, nil
}

// readEntries reads the conformant array of the container: its maximum count (which must equal
// EntriesRead), the elements' scalars, then the strings of each element in order.
func readEntries(r *reader, l sessionapi.Level, count uint32) []sessionapi.SessionInfo502 {
	maxCount := r.u32("array maximum count")
	if r.err != nil {
		return nil
	}
	if maxCount != count {
		r.fail(fmt.Errorf("%w: EntriesRead %d but the array holds %d", ErrMalformed, count, maxCount))
		return nil
	}
	size := scalarSize(l)
	if uint64(count)*uint64(size) > uint64(r.remaining()) {
		r.fail(fmt.Errorf("%w: %d entries of %d bytes claimed, %d bytes left", ErrShort, count, size, r.remaining()))
		return nil
	}
	f := sessionapi.FieldsOf(l)
	type ptrs struct{ cname, user, cltype, transport bool }
	entries := make([]sessionapi.SessionInfo502, count)
	has := make([]ptrs, count)
	for i := range entries {
		e, h := &entries[i], &has[i]
		h.cname = r.ptr("sesi_cname")
		if f.Has(sessionapi.FieldUserName) {
			h.user = r.ptr("sesi_username")
		}
		if f.Has(sessionapi.FieldNumOpens) {
			e.NumOpens = r.u32("sesi_num_opens")
		}
		if f.Has(sessionapi.FieldTime) {
			e.Time = r.u32("sesi_time")
		}
		if f.Has(sessionapi.FieldIdleTime) {
			e.IdleTime = r.u32("sesi_idle_time")
		}
		if f.Has(sessionapi.FieldUserFlags) {
			e.UserFlags = sessionapi.Flags(r.u32("sesi_user_flags"))
		}
		if f.Has(sessionapi.FieldClientType) {
			h.cltype = r.ptr("sesi_cltype_name")
		}
		if f.Has(sessionapi.FieldTransport) {
			h.transport = r.ptr("sesi_transport")
		}
	}
	for i := range entries {
		if r.err != nil {
			return nil
		}
		e, h := &entries[i], &has[i]
		if h.cname {
			e.ClientName = r.str("sesi_cname")
		}
		if h.user {
			e.UserName = r.str("sesi_username")
		}
		if h.cltype {
			e.ClientType = r.str("sesi_cltype_name")
		}
		if h.transport {
			e.Transport = r.str("sesi_transport")
		}
	}
	if r.err != nil {
		return nil
	}
	return entries
}

// EncodeSessDelRequest writes the NetrSessionDel request stub.
func EncodeSessDelRequest(q *SessDelRequest) []byte {
	w := &writer{}
	w.uniqueStr(q.ServerName)
	w.uniqueStr(q.ClientName)
	w.uniqueStr(q.UserName)
	return w.b
}

// DecodeSessDelRequest reads a NetrSessionDel request stub.
func DecodeSessDelRequest(b []byte) (*SessDelRequest, error) {
	r := &reader{b: b}
	q := &SessDelRequest{
		ServerName: r.uniqueStr("ServerName"),
		ClientName: r.uniqueStr("ClientName"),
		UserName:   r.uniqueStr("UserName"),
	}
	if r.err != nil {
		return nil, fmt.Errorf("NetrSessionDel request: %w", r.err)
	}
	return q, nil
}

// EncodeSessDelResponse writes the NetrSessionDel response stub: the WERROR alone.
func EncodeSessDelResponse(result uint32) []byte {
	w := &writer{}
	w.u32(result)
	return w.b
}

// DecodeSessDelResponse reads the NetrSessionDel response stub.
func DecodeSessDelResponse(b []byte) (uint32, error) {
	r := &reader{b: b}
	v := r.u32("WERROR")
	if r.err != nil {
		return 0, fmt.Errorf("NetrSessionDel response: %w", r.err)
	}
	return v, nil
}
