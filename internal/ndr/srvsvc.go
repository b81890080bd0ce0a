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

// scalarSize is the bytes one array element's scalars take at least: 4 per uint32, and 4 per
// pointer in NDR20, 8 in NDR64 (where each element is also padded to 8).
func scalarSize(l sessionapi.Level, ndr64 bool) int {
	if ndr64 {
		switch l {
		case sessionapi.Level0:
			return 8
		case sessionapi.Level1:
			return 32
		case sessionapi.Level2:
			return 40
		case sessionapi.Level10:
			return 24
		case sessionapi.Level502:
			return 48
		}
		return 0
	}
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

// EncodeSessEnumRequest writes the request stub in NDR20. The container it sends is the empty
// one of the requested level (count 0, NULL array), as Windows and impacket do.
func EncodeSessEnumRequest(q *SessEnumRequest) []byte { return NDR20.EncodeSessEnumRequest(q) }

// DecodeSessEnumRequest reads an NDR20 request stub. See [Syntax.DecodeSessEnumRequest].
func DecodeSessEnumRequest(b []byte) (*SessEnumRequest, error) {
	return NDR20.DecodeSessEnumRequest(b)
}

// EncodeSessEnumResponse writes an NDR20 response stub. See [Syntax.EncodeSessEnumResponse].
func EncodeSessEnumResponse(p *SessEnumResponse) []byte { return NDR20.EncodeSessEnumResponse(p) }

// DecodeSessEnumResponse reads an NDR20 response stub from an untrusted server.
func DecodeSessEnumResponse(b []byte) (*SessEnumResponse, error) {
	return NDR20.DecodeSessEnumResponse(b)
}

func (s Syntax) writer() *writer         { return &writer{ndr64: s == NDR64} }
func (s Syntax) reader(b []byte) *reader { return &reader{b: b, ndr64: s == NDR64} }

// writeEnumStruct writes SESSION_ENUM_STRUCT's fixed part: Level, the union's discriminant and,
// for a level with an arm, the container pointer. It reports whether the container follows.
func writeEnumStruct(w *writer, level sessionapi.Level, container bool) bool {
	w.alignStruct()
	w.u32(uint32(level)) // Level
	w.alignStruct()      // the union holds a pointer: aligned as one
	w.u32(uint32(level)) // the union's discriminant
	if !validArm(level) {
		// The empty default arm. NDR64 pads the structure to its alignment.
		w.alignStruct()
		return false
	}
	w.ptr(container)
	return container
}

// EncodeSessEnumRequest writes the request stub in syntax s. The container it sends is the
// empty one of the requested level (count 0, NULL array), as Windows and impacket do.
func (s Syntax) EncodeSessEnumRequest(q *SessEnumRequest) []byte {
	w := s.writer()
	w.uniqueStr(q.ServerName)
	w.uniqueStr(q.ClientName)
	w.uniqueStr(q.UserName)
	// [in, out, ref] LPSESSION_ENUM_STRUCT: no referent id for a top-level ref pointer.
	if writeEnumStruct(w, q.Level, true) {
		w.alignStruct()
		w.u32(0)     // EntriesRead
		w.ptr(false) // Buffer
	}
	w.u32(q.MaxBuffer)
	w.ptr(q.Resume != nil)
	if q.Resume != nil {
		w.u32(*q.Resume)
	}
	return w.bytes()
}

// DecodeSessEnumRequest reads a request stub in syntax s, from an untrusted client. A NULL
// string pointer reads as nil, a non-NULL empty string (what netapi32 sends for "") as a
// pointer to "". Every count is checked against the bytes present before anything is
// allocated; a string without its NUL is an error wrapping ErrMalformed.
func (s Syntax) DecodeSessEnumRequest(b []byte) (*SessEnumRequest, error) {
	r := s.reader(b)
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
		return nil, fmt.Errorf("NetrSessionEnum request (%s): %w", s, r.err)
	}
	return q, nil
}

// EncodeSessEnumResponse writes a response stub in syntax s: the container of Level,
// TotalEntries, the resume handle and the WERROR. Every string member is written as a non-NULL
// pointer, even when empty, as Samba and Windows do.
func (s Syntax) EncodeSessEnumResponse(p *SessEnumResponse) []byte {
	w := s.writer()
	// One allocation for the whole stub: a string takes at most 3 counts, padding and 2 bytes
	// per UTF-8 byte.
	size := 64
	for i := range p.Entries {
		e := &p.Entries[i]
		size += scalarSize(p.Level, w.ndr64) + 4*32 + 2*(len(e.ClientName)+len(e.UserName)+len(e.ClientType)+len(e.Transport))
	}
	w.b = make([]byte, size)
	if writeEnumStruct(w, p.Level, p.HasContainer || len(p.Entries) > 0) {
		n := uint32(len(p.Entries))
		w.alignStruct()
		w.u32(n)
		w.ptr(n > 0)
		if n > 0 {
			w.count(n) // conformance: the array's maximum count
			for i := range p.Entries {
				writeScalars(w, p.Level, &p.Entries[i])
			}
			for i := range p.Entries {
				writeDeferred(w, p.Level, &p.Entries[i])
			}
		}
	}
	w.u32(p.TotalEntries)
	w.ptr(p.Resume != nil)
	if p.Resume != nil {
		w.u32(*p.Resume)
	}
	w.u32(p.Result)
	return w.bytes()
}

// writeScalars writes one element's fixed part: its members in declaration order, each string
// member as a non-NULL referent id whose string follows after the whole array.
func writeScalars(w *writer, l sessionapi.Level, e *sessionapi.SessionInfo502) {
	f := sessionapi.FieldsOf(l)
	w.alignStruct()
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
	r.alignStruct()
	level := sessionapi.Level(r.u32("Level"))
	r.alignStruct()
	disc := r.u32("union discriminant")
	if r.err == nil && disc != uint32(level) {
		r.fail(fmt.Errorf("%w: SESSION_ENUM_STRUCT level %d but union discriminant %d", ErrMalformed, level, disc))
	}
	var c container
	if r.err != nil {
		return level, c
	}
	if !validArm(level) {
		r.alignStruct()
		return level, c
	}
	c.present = r.ptr("container")
	if c.present {
		r.alignStruct()
		c.count = r.u32("EntriesRead")
		c.hasArray = r.ptr("Buffer")
	}
	return level, c
}

// DecodeSessEnumResponse reads a response stub in syntax s from an untrusted server.
func (s Syntax) DecodeSessEnumResponse(b []byte) (*SessEnumResponse, error) {
	r := s.reader(b)
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
		return nil, fmt.Errorf("NetrSessionEnum response (%s): %w", s, r.err)
	}
	return p, nil
}

// readEntries reads the conformant array of the container: its maximum count (which must equal
// EntriesRead), the elements' scalars, then the strings of each element in order.
func readEntries(r *reader, l sessionapi.Level, count uint32) []sessionapi.SessionInfo502 {
	maxCount := r.count("array maximum count", "")
	if r.err != nil {
		return nil
	}
	if maxCount != count {
		r.fail(fmt.Errorf("%w: EntriesRead %d but the array holds %d", ErrMalformed, count, maxCount))
		return nil
	}
	size := scalarSize(l, r.ndr64)
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
		r.alignStruct()
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

// EncodeSessDelRequest writes the NetrSessionDel request stub in NDR20.
func EncodeSessDelRequest(q *SessDelRequest) []byte { return NDR20.EncodeSessDelRequest(q) }

// DecodeSessDelRequest reads an NDR20 NetrSessionDel request stub.
func DecodeSessDelRequest(b []byte) (*SessDelRequest, error) { return NDR20.DecodeSessDelRequest(b) }

// EncodeSessDelResponse writes the NetrSessionDel response stub: the WERROR alone (the same in
// both syntaxes).
func EncodeSessDelResponse(result uint32) []byte { return NDR20.EncodeSessDelResponse(result) }

// DecodeSessDelResponse reads the NetrSessionDel response stub.
func DecodeSessDelResponse(b []byte) (uint32, error) { return NDR20.DecodeSessDelResponse(b) }

// EncodeSessDelRequest writes the NetrSessionDel request stub in syntax s.
func (s Syntax) EncodeSessDelRequest(q *SessDelRequest) []byte {
	w := s.writer()
	w.uniqueStr(q.ServerName)
	w.uniqueStr(q.ClientName)
	w.uniqueStr(q.UserName)
	return w.bytes()
}

// DecodeSessDelRequest reads a NetrSessionDel request stub in syntax s, from an untrusted
// client, keeping NULL (nil) apart from a non-NULL empty string.
func (s Syntax) DecodeSessDelRequest(b []byte) (*SessDelRequest, error) {
	r := s.reader(b)
	q := &SessDelRequest{
		ServerName: r.uniqueStr("ServerName"),
		ClientName: r.uniqueStr("ClientName"),
		UserName:   r.uniqueStr("UserName"),
	}
	if r.err != nil {
		return nil, fmt.Errorf("NetrSessionDel request (%s): %w", s, r.err)
	}
	return q, nil
}

// EncodeSessDelResponse writes the NetrSessionDel response stub in syntax s.
func (s Syntax) EncodeSessDelResponse(result uint32) []byte {
	w := s.writer()
	w.u32(result)
	return w.bytes()
}

// DecodeSessDelResponse reads the NetrSessionDel response stub in syntax s.
func (s Syntax) DecodeSessDelResponse(b []byte) (uint32, error) {
	r := s.reader(b)
	v := r.u32("WERROR")
	if r.err != nil {
		return 0, fmt.Errorf("NetrSessionDel response (%s): %w", s, r.err)
	}
	return v, nil
}
