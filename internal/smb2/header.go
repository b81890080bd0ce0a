package smb2

import (
	"encoding/binary"
)

// HeaderSize is the size of the SMB2 header.
const HeaderSize = 64

// ProtocolID starts every SMB2 message.
const ProtocolID = "\xfeSMB"

// Command is an SMB2 command code.
type Command uint16

// The SMB2 commands (MS-SMB2 2.2.1).
const (
	Negotiate      Command = 0x0000
	SessionSetup   Command = 0x0001
	Logoff         Command = 0x0002
	TreeConnect    Command = 0x0003
	TreeDisconnect Command = 0x0004
	Create         Command = 0x0005
	Close          Command = 0x0006
	Flush          Command = 0x0007
	Read           Command = 0x0008
	Write          Command = 0x0009
	Lock           Command = 0x000A
	Ioctl          Command = 0x000B
	Cancel         Command = 0x000C
	Echo           Command = 0x000D
	QueryDirectory Command = 0x000E
	ChangeNotify   Command = 0x000F
	QueryInfo      Command = 0x0010
	SetInfo        Command = 0x0011
	OplockBreak    Command = 0x0012
)

var commandNames = [...]string{"NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
	"CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO", "QUERY_DIRECTORY",
	"CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK"}

func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return "command(0x" + hex16(uint16(c)) + ")"
}

func hex16(v uint16) string {
	const d = "0123456789ABCDEF"
	return string([]byte{d[v>>12], d[v>>8&15], d[v>>4&15], d[v&15]})
}

// Header flags (MS-SMB2 2.2.1.2).
const (
	FlagResponse   uint32 = 0x00000001
	FlagAsync      uint32 = 0x00000002
	FlagRelated    uint32 = 0x00000004
	FlagSigned     uint32 = 0x00000008
	FlagDFS        uint32 = 0x10000000
	FlagReplayOper uint32 = 0x20000000
)

// Header is the SMB2 header. For a sync message AsyncID is zero and ProcessID and TreeID
// are used; for an async one (FlagAsync) AsyncID replaces them.
type Header struct {
	CreditCharge uint16
	// Status is the channel sequence in a 2.x request (zero) and the NTSTATUS in a response.
	Status      Status
	Command     Command
	Credits     uint16 // CreditRequest in a request, CreditResponse in a response
	Flags       uint32
	NextCommand uint32
	MessageID   uint64
	AsyncID     uint64
	ProcessID   uint32
	TreeID      uint32
	SessionID   uint64
	Signature   [16]byte
}

// ParseHeader decodes the header at the start of msg.
func ParseHeader(msg []byte) (Header, error) {
	var h Header
	if len(msg) < HeaderSize {
		return h, malformed("SMB2 message of %d bytes, shorter than the %d-byte header", len(msg), HeaderSize)
	}
	if string(msg[:4]) != ProtocolID {
		return h, malformed("protocol id % x, want fe 53 4d 42", msg[:4])
	}
	if sz := le16(msg[4:]); sz != HeaderSize {
		return h, malformed("header structure size %d, want 64", sz)
	}
	h.CreditCharge = le16(msg[6:])
	h.Status = Status(le32(msg[8:]))
	h.Command = Command(le16(msg[12:]))
	h.Credits = le16(msg[14:])
	h.Flags = le32(msg[16:])
	h.NextCommand = le32(msg[20:])
	h.MessageID = le64(msg[24:])
	if h.Flags&FlagAsync != 0 {
		h.AsyncID = le64(msg[32:])
	} else {
		h.ProcessID = le32(msg[32:])
		h.TreeID = le32(msg[36:])
	}
	h.SessionID = le64(msg[40:])
	copy(h.Signature[:], msg[48:64])
	return h, nil
}

// AppendHeader appends h, 64 bytes.
func AppendHeader(b []byte, h *Header) []byte {
	b = append(b, ProtocolID...)
	b = put16(b, HeaderSize)
	b = put16(b, h.CreditCharge)
	b = put32(b, uint32(h.Status))
	b = put16(b, uint16(h.Command))
	b = put16(b, h.Credits)
	b = put32(b, h.Flags)
	b = put32(b, h.NextCommand)
	b = put64(b, h.MessageID)
	if h.Flags&FlagAsync != 0 {
		b = put64(b, h.AsyncID)
	} else {
		b = put32(b, h.ProcessID)
		b = put32(b, h.TreeID)
	}
	b = put64(b, h.SessionID)
	return append(b, h.Signature[:]...)
}

// SplitCompound cuts a message into the commands of a compound, following NextCommand. Each
// part keeps its header; offsets inside a part are relative to its start, as MS-SMB2 3.3.5.2.7
// says. At most max commands are returned; more is an error. A NextCommand that is not a
// multiple of 8, is shorter than a header or points past the message is an error.
func SplitCompound(msg []byte, max int) ([][]byte, error) {
	var parts [][]byte
	for {
		if len(parts) >= max {
			return parts, malformed("compound of more than %d commands", max)
		}
		if len(msg) < HeaderSize {
			return parts, malformed("compound part of %d bytes, shorter than a header", len(msg))
		}
		next := le32(msg[20:])
		if next == 0 {
			return append(parts, msg), nil
		}
		if next%8 != 0 || next < HeaderSize || uint64(next) > uint64(len(msg)) {
			return parts, malformed("NextCommand %d in a message of %d bytes", next, len(msg))
		}
		parts = append(parts, msg[:next])
		msg = msg[next:]
	}
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

func put16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func put32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func put64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
