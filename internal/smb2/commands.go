package smb2

import (
	"unicode/utf16"
)

// Dialects (MS-SMB2 2.2.3).
const (
	Dialect202      uint16 = 0x0202
	Dialect210      uint16 = 0x0210
	Dialect300      uint16 = 0x0300
	Dialect302      uint16 = 0x0302
	Dialect311      uint16 = 0x0311
	DialectWildcard uint16 = 0x02FF // the answer to an SMB1 NEGOTIATE that offers "SMB 2.???"
)

// Security mode bits.
const (
	SigningEnabled  uint16 = 0x0001
	SigningRequired uint16 = 0x0002
)

// Global capabilities (MS-SMB2 2.2.4). The server never offers CapEncryption: a client that
// sees it (impacket) insists on SMB3 encryption.
const (
	CapDFS              uint32 = 0x00000001
	CapLeasing          uint32 = 0x00000002
	CapLargeMTU         uint32 = 0x00000004
	CapMultiChannel     uint32 = 0x00000008
	CapPersistent       uint32 = 0x00000010
	CapDirectoryLeasing uint32 = 0x00000020
	CapEncryption       uint32 = 0x00000040
)

// Session flags of the SESSION_SETUP response.
const (
	SessionFlagIsGuest uint16 = 0x0001
	SessionFlagIsNull  uint16 = 0x0002
)

// MaxDialects bounds the dialects a NEGOTIATE may list (a real client lists at most 5).
const MaxDialects = 64

// body returns the fixed part of a command after the header, checking its StructureSize.
// MS-SMB2: an odd structure size means one byte of variable buffer follows, which may be
// absent when the buffer is empty; so the fixed part is size&^1 bytes.
func body(msg []byte, want uint16, what string) ([]byte, error) {
	if len(msg) < HeaderSize+2 {
		return nil, malformed("%s of %d bytes has no body", what, len(msg))
	}
	b := msg[HeaderSize:]
	if sz := le16(b); sz != want {
		return nil, malformed("%s structure size %d, want %d", what, sz, want)
	}
	if fixed := int(want &^ 1); len(b) < fixed {
		return nil, malformed("%s body of %d bytes, want at least %d", what, len(b), fixed)
	}
	return b, nil
}

// field returns msg[off:off+n] (offset from the start of the header), or an error when it
// is outside msg. A zero length is an empty buffer whatever the offset.
func field(msg []byte, off, n uint32, what string) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if uint64(off)+uint64(n) > uint64(len(msg)) || off < HeaderSize {
		return nil, malformed("%s at offset %d, %d bytes, outside a message of %d bytes", what, off, n, len(msg))
	}
	return msg[off : off+n], nil
}

// NegotiateRequest is an SMB2 NEGOTIATE request.
type NegotiateRequest struct {
	SecurityMode uint16
	Capabilities uint32
	ClientGUID   [16]byte
	Dialects     []uint16
}

// ParseNegotiateRequest decodes msg (header included).
func ParseNegotiateRequest(msg []byte) (*NegotiateRequest, error) {
	b, err := body(msg, 36, "NEGOTIATE request")
	if err != nil {
		return nil, err
	}
	n := int(le16(b[2:]))
	if n == 0 || n > MaxDialects {
		return nil, malformed("NEGOTIATE with %d dialects; want 1 to %d", n, MaxDialects)
	}
	if len(b) < 36+2*n {
		return nil, malformed("NEGOTIATE lists %d dialects in %d bytes", n, len(b)-36)
	}
	r := &NegotiateRequest{SecurityMode: le16(b[4:]), Capabilities: le32(b[8:]), Dialects: make([]uint16, n)}
	copy(r.ClientGUID[:], b[12:28])
	for i := range r.Dialects {
		r.Dialects[i] = le16(b[36+2*i:])
	}
	return r, nil
}

// NegotiateResponse is an SMB2 NEGOTIATE response (2.x: no negotiate contexts).
type NegotiateResponse struct {
	SecurityMode    uint16
	Dialect         uint16
	ServerGUID      [16]byte
	Capabilities    uint32
	MaxTransactSize uint32
	MaxReadSize     uint32
	MaxWriteSize    uint32
	SystemTime      uint64 // FILETIME
	ServerStartTime uint64
	SecurityBuffer  []byte
}

// AppendNegotiateResponse appends the body of r.
func AppendNegotiateResponse(b []byte, r *NegotiateResponse) []byte {
	b = put16(b, 65)
	b = put16(b, r.SecurityMode)
	b = put16(b, r.Dialect)
	b = put16(b, 0)
	b = append(b, r.ServerGUID[:]...)
	b = put32(b, r.Capabilities)
	b = put32(b, r.MaxTransactSize)
	b = put32(b, r.MaxReadSize)
	b = put32(b, r.MaxWriteSize)
	b = put64(b, r.SystemTime)
	b = put64(b, r.ServerStartTime)
	b = put16(b, HeaderSize+64)
	b = put16(b, uint16(len(r.SecurityBuffer)))
	b = put32(b, 0)
	return bufferOrPad(b, r.SecurityBuffer)
}

// bufferOrPad appends buf, or the one byte a structure with an odd size counts when empty.
func bufferOrPad(b, buf []byte) []byte {
	if len(buf) == 0 {
		return append(b, 0)
	}
	return append(b, buf...)
}

// SessionSetupRequest is an SMB2 SESSION_SETUP request.
type SessionSetupRequest struct {
	Flags             uint8
	SecurityMode      uint8
	Capabilities      uint32
	PreviousSessionID uint64
	SecurityBuffer    []byte // aliases the message
}

// ParseSessionSetupRequest decodes msg.
func ParseSessionSetupRequest(msg []byte) (*SessionSetupRequest, error) {
	b, err := body(msg, 25, "SESSION_SETUP request")
	if err != nil {
		return nil, err
	}
	r := &SessionSetupRequest{Flags: b[2], SecurityMode: b[3], Capabilities: le32(b[4:]), PreviousSessionID: le64(b[16:])}
	r.SecurityBuffer, err = field(msg, uint32(le16(b[12:])), uint32(le16(b[14:])), "SESSION_SETUP security buffer")
	return r, err
}

// AppendSessionSetupResponse appends a SESSION_SETUP response body.
func AppendSessionSetupResponse(b []byte, flags uint16, token []byte) []byte {
	b = put16(b, 9)
	b = put16(b, flags)
	if len(token) == 0 {
		b = put16(b, 0)
	} else {
		b = put16(b, HeaderSize+8)
	}
	b = put16(b, uint16(len(token)))
	return bufferOrPad(b, token)
}

// ParseSimple checks a request whose body is only StructureSize 4 and Reserved (LOGOFF,
// TREE_DISCONNECT, ECHO, CANCEL).
func ParseSimple(msg []byte, what string) error {
	_, err := body(msg, 4, what)
	return err
}

// AppendSimpleResponse appends the 4-byte body of a LOGOFF, TREE_DISCONNECT or ECHO response.
func AppendSimpleResponse(b []byte) []byte { return put16(put16(b, 4), 0) }

// AppendErrorResponse appends an ERROR response body (MS-SMB2 2.2.2) with no error data.
func AppendErrorResponse(b []byte) []byte {
	b = put16(b, 9)
	b = append(b, 0, 0)
	b = put32(b, 0)
	return append(b, 0)
}

// MaxPathChars bounds the UTF-16 code units of a share path or file name.
const MaxPathChars = 1024

func utf16String(b []byte, what string) (string, error) {
	if len(b)%2 != 0 {
		return "", malformed("%s of odd length %d", what, len(b))
	}
	if len(b)/2 > MaxPathChars {
		return "", malformed("%s of %d characters; limit %d", what, len(b)/2, MaxPathChars)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = le16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// AppendUTF16 appends s as UTF-16LE.
func AppendUTF16(b []byte, s string) []byte {
	for _, c := range utf16.Encode([]rune(s)) {
		b = put16(b, c)
	}
	return b
}

// ParseTreeConnectRequest returns the share path of a TREE_CONNECT request (`\\server\IPC$`).
func ParseTreeConnectRequest(msg []byte) (string, error) {
	b, err := body(msg, 9, "TREE_CONNECT request")
	if err != nil {
		return "", err
	}
	p, err := field(msg, uint32(le16(b[4:])), uint32(le16(b[6:])), "TREE_CONNECT path")
	if err != nil {
		return "", err
	}
	return utf16String(p, "TREE_CONNECT path")
}

// Share types and flags for TREE_CONNECT.
const (
	ShareTypeDisk  uint8 = 0x01
	ShareTypePipe  uint8 = 0x02
	ShareTypePrint uint8 = 0x03

	ShareFlagNoCaching uint32 = 0x00000030
)

// AppendTreeConnectResponse appends a TREE_CONNECT response body.
func AppendTreeConnectResponse(b []byte, shareType uint8, flags, caps, access uint32) []byte {
	b = put16(b, 16)
	b = append(b, shareType, 0)
	b = put32(b, flags)
	b = put32(b, caps)
	return put32(b, access)
}

// FileID names an open.
type FileID struct{ Persistent, Volatile uint64 }

// AnyFileID is the "use the previous open" id of a related compound (all ones).
var AnyFileID = FileID{^uint64(0), ^uint64(0)}

func fileID(b []byte) FileID { return FileID{le64(b), le64(b[8:])} }

func appendFileID(b []byte, f FileID) []byte { return put64(put64(b, f.Persistent), f.Volatile) }

// CreateRequest is the part of an SMB2 CREATE request a pipe server reads.
type CreateRequest struct {
	OplockLevel        uint8
	ImpersonationLevel uint32
	DesiredAccess      uint32
	FileAttributes     uint32
	ShareAccess        uint32
	CreateDisposition  uint32
	CreateOptions      uint32
	Name               string
	Contexts           []byte // create contexts, unparsed
}

// ParseCreateRequest decodes msg.
func ParseCreateRequest(msg []byte) (*CreateRequest, error) {
	b, err := body(msg, 57, "CREATE request")
	if err != nil {
		return nil, err
	}
	r := &CreateRequest{OplockLevel: b[3], ImpersonationLevel: le32(b[4:]), DesiredAccess: le32(b[24:]),
		FileAttributes: le32(b[28:]), ShareAccess: le32(b[32:]), CreateDisposition: le32(b[36:]), CreateOptions: le32(b[40:])}
	name, err := field(msg, uint32(le16(b[44:])), uint32(le16(b[46:])), "CREATE name")
	if err != nil {
		return nil, err
	}
	if r.Name, err = utf16String(name, "CREATE name"); err != nil {
		return nil, err
	}
	r.Contexts, err = field(msg, le32(b[48:]), le32(b[52:]), "CREATE contexts")
	return r, err
}

// FileTimes and sizes of an open, as CREATE and CLOSE responses carry them.
type FileTimes struct {
	Creation, LastAccess, LastWrite, Change uint64 // FILETIME
	AllocationSize, EndOfFile               uint64
	Attributes                              uint32
}

// File attributes.
const FileAttributeNormal uint32 = 0x00000080

// CreateResponse is an SMB2 CREATE response.
type CreateResponse struct {
	OplockLevel  uint8
	CreateAction uint32
	Times        FileTimes
	FileID       FileID
}

// Create actions.
const FileOpened uint32 = 0x00000001

// AppendCreateResponse appends a CREATE response body without create contexts.
func AppendCreateResponse(b []byte, r *CreateResponse) []byte {
	b = put16(b, 89)
	b = append(b, r.OplockLevel, 0)
	b = put32(b, r.CreateAction)
	b = appendTimes(b, &r.Times)
	b = put32(b, 0)
	b = appendFileID(b, r.FileID)
	b = put32(b, 0)
	b = put32(b, 0)
	return append(b, 0)
}

func appendTimes(b []byte, t *FileTimes) []byte {
	b = put64(b, t.Creation)
	b = put64(b, t.LastAccess)
	b = put64(b, t.LastWrite)
	b = put64(b, t.Change)
	b = put64(b, t.AllocationSize)
	b = put64(b, t.EndOfFile)
	return put32(b, t.Attributes)
}

// CloseFlagPostQueryAttrib asks CLOSE to return the file's attributes.
const CloseFlagPostQueryAttrib uint16 = 0x0001

// ParseCloseRequest decodes msg.
func ParseCloseRequest(msg []byte) (flags uint16, id FileID, err error) {
	b, err := body(msg, 24, "CLOSE request")
	if err != nil {
		return 0, id, err
	}
	return le16(b[2:]), fileID(b[8:]), nil
}

// AppendCloseResponse appends a CLOSE response body; t is nil when the times are not asked.
func AppendCloseResponse(b []byte, flags uint16, t *FileTimes) []byte {
	b = put16(b, 60)
	b = put16(b, flags)
	b = put32(b, 0)
	if t == nil {
		t = &FileTimes{}
	}
	return appendTimes(b, t)
}

// ReadRequest is an SMB2 READ request.
type ReadRequest struct {
	Length       uint32
	Offset       uint64
	FileID       FileID
	MinimumCount uint32
}

// ParseReadRequest decodes msg.
func ParseReadRequest(msg []byte) (*ReadRequest, error) {
	b, err := body(msg, 49, "READ request")
	if err != nil {
		return nil, err
	}
	return &ReadRequest{Length: le32(b[4:]), Offset: le64(b[8:]), FileID: fileID(b[16:]), MinimumCount: le32(b[32:])}, nil
}

// ReadResponseFixed is the size of a READ response body before its data.
const ReadResponseFixed = 16

// AppendReadResponseHeader appends the fixed part of a READ response body for n bytes of
// data, which the caller appends (or reads in place) after it.
func AppendReadResponseHeader(b []byte, n int) []byte {
	b = put16(b, 17)
	b = append(b, HeaderSize+ReadResponseFixed, 0)
	b = put32(b, uint32(n))
	b = put32(b, 0)
	return put32(b, 0)
}

// AppendReadResponse appends a READ response body carrying data.
func AppendReadResponse(b []byte, data []byte) []byte {
	b = put16(b, 17)
	b = append(b, HeaderSize+16, 0)
	b = put32(b, uint32(len(data)))
	b = put32(b, 0)
	b = put32(b, 0)
	return bufferOrPad(b, data)
}

// WriteRequest is an SMB2 WRITE request.
type WriteRequest struct {
	Offset uint64
	FileID FileID
	Flags  uint32
	Data   []byte // aliases the message
}

// ParseWriteRequest decodes msg.
func ParseWriteRequest(msg []byte) (*WriteRequest, error) {
	b, err := body(msg, 49, "WRITE request")
	if err != nil {
		return nil, err
	}
	r := &WriteRequest{Offset: le64(b[8:]), FileID: fileID(b[16:]), Flags: le32(b[44:])}
	r.Data, err = field(msg, uint32(le16(b[2:])), le32(b[4:]), "WRITE data")
	return r, err
}

// AppendWriteResponse appends a WRITE response body.
func AppendWriteResponse(b []byte, count uint32) []byte {
	b = put16(b, 17)
	b = put16(b, 0)
	b = put32(b, count)
	b = put32(b, 0)
	b = put16(b, 0)
	b = put16(b, 0)
	return append(b, 0)
}

// FSCTL codes.
const (
	FsctlPipeTransceive            uint32 = 0x0011C017
	FsctlPipePeek                  uint32 = 0x0011400C
	FsctlPipeWait                  uint32 = 0x00110018
	FsctlValidateNegotiateInfo     uint32 = 0x00140204
	FsctlQueryNetworkInterfaceInfo uint32 = 0x001401FC
	FsctlDFSGetReferrals           uint32 = 0x00060194
	FsctlDFSGetReferralsEx         uint32 = 0x000601B0
	IoctlFlagIsFsctl               uint32 = 0x00000001
)

// IoctlRequest is an SMB2 IOCTL request.
type IoctlRequest struct {
	CtlCode           uint32
	FileID            FileID
	Input             []byte // aliases the message
	MaxInputResponse  uint32
	MaxOutputResponse uint32
	Flags             uint32
}

// ParseIoctlRequest decodes msg.
func ParseIoctlRequest(msg []byte) (*IoctlRequest, error) {
	b, err := body(msg, 57, "IOCTL request")
	if err != nil {
		return nil, err
	}
	r := &IoctlRequest{CtlCode: le32(b[4:]), FileID: fileID(b[8:]), MaxInputResponse: le32(b[32:]),
		MaxOutputResponse: le32(b[44:]), Flags: le32(b[48:])}
	r.Input, err = field(msg, le32(b[24:]), le32(b[28:]), "IOCTL input")
	return r, err
}

// AppendIoctlResponse appends an IOCTL response body with output and no input echo.
func AppendIoctlResponse(b []byte, ctl uint32, id FileID, output []byte) []byte {
	b = put16(b, 49)
	b = put16(b, 0)
	b = put32(b, ctl)
	b = appendFileID(b, id)
	off := uint32(HeaderSize + 48)
	b = put32(b, off) // input offset: no input returned
	b = put32(b, 0)
	b = put32(b, off)
	b = put32(b, uint32(len(output)))
	b = put32(b, 0)
	b = put32(b, 0)
	return bufferOrPad(b, output)
}

// ValidateNegotiateInfo is FSCTL_VALIDATE_NEGOTIATE_INFO's request (MS-SMB2 2.2.31.4).
type ValidateNegotiateInfo struct {
	Capabilities uint32
	GUID         [16]byte
	SecurityMode uint16
	Dialects     []uint16
}

// ParseValidateNegotiateInfo decodes the IOCTL input.
func ParseValidateNegotiateInfo(in []byte) (*ValidateNegotiateInfo, error) {
	if len(in) < 24 {
		return nil, malformed("VALIDATE_NEGOTIATE_INFO of %d bytes, want at least 24", len(in))
	}
	n := int(le16(in[22:]))
	if n > MaxDialects || len(in) < 24+2*n {
		return nil, malformed("VALIDATE_NEGOTIATE_INFO lists %d dialects in %d bytes", n, len(in)-24)
	}
	v := &ValidateNegotiateInfo{Capabilities: le32(in), SecurityMode: le16(in[20:]), Dialects: make([]uint16, n)}
	copy(v.GUID[:], in[4:20])
	for i := range v.Dialects {
		v.Dialects[i] = le16(in[24+2*i:])
	}
	return v, nil
}

// AppendValidateNegotiateResponse appends the IOCTL output of VALIDATE_NEGOTIATE_INFO: the
// server's capabilities, GUID, security mode and dialect as its NEGOTIATE response said.
func AppendValidateNegotiateResponse(b []byte, caps uint32, guid [16]byte, secMode, dialect uint16) []byte {
	b = put32(b, caps)
	b = append(b, guid[:]...)
	b = put16(b, secMode)
	return put16(b, dialect)
}

// QueryInfoRequest is an SMB2 QUERY_INFO request.
type QueryInfoRequest struct {
	InfoType           uint8
	FileInfoClass      uint8
	OutputBufferLength uint32
	Input              []byte
	AdditionalInfo     uint32
	Flags              uint32
	FileID             FileID
}

// Info types and file information classes (MS-FSCC 2.4).
const (
	InfoFile       uint8 = 0x01
	InfoFilesystem uint8 = 0x02
	InfoSecurity   uint8 = 0x03
	InfoQuota      uint8 = 0x04

	FileBasicInformation       uint8 = 4
	FileStandardInformation    uint8 = 5
	FileInternalInformation    uint8 = 6
	FileEAInformation          uint8 = 7
	FileAccessInformation      uint8 = 8
	FilePositionInformation    uint8 = 14
	FileModeInformation        uint8 = 16
	FileAllInformation         uint8 = 18
	FilePipeInformation        uint8 = 23
	FilePipeLocalInformation   uint8 = 24
	FileNetworkOpenInformation uint8 = 34
)

// ParseQueryInfoRequest decodes msg.
func ParseQueryInfoRequest(msg []byte) (*QueryInfoRequest, error) {
	b, err := body(msg, 41, "QUERY_INFO request")
	if err != nil {
		return nil, err
	}
	if len(b) < 40 {
		return nil, malformed("QUERY_INFO body of %d bytes, want 40", len(b))
	}
	r := &QueryInfoRequest{InfoType: b[2], FileInfoClass: b[3], OutputBufferLength: le32(b[4:]),
		AdditionalInfo: le32(b[16:]), Flags: le32(b[20:]), FileID: fileID(b[24:])}
	r.Input, err = field(msg, uint32(le16(b[8:])), le32(b[12:]), "QUERY_INFO input")
	return r, err
}

// AppendQueryInfoResponse appends a QUERY_INFO response body.
func AppendQueryInfoResponse(b []byte, out []byte) []byte {
	b = put16(b, 9)
	b = put16(b, HeaderSize+8)
	b = put32(b, uint32(len(out)))
	return bufferOrPad(b, out)
}
