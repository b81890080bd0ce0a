package rpctest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Handler answers one reassembled request: a response stub, or a non-zero fault status.
type Handler func(opnum uint16, stub []byte) (resp []byte, fault uint32)

// Server is the server end. The zero value answers bind with 4280-byte fragments and faults
// every call with nca_s_op_rng_error.
type Server struct {
	Handler Handler
	// Frag is the fragment size announced in bind_ack and used for responses (0: 4280).
	Frag int
	// NakReason, if non-nil, answers the bind with a bind_nak carrying it.
	NakReason *uint16
	// RejectContext answers the bind with a bind_ack whose context result is 2 (provider
	// rejection), reason 1 (abstract syntax not supported).
	RejectContext bool
	// ReadChunk, if positive, makes the pipe behave in byte mode: each Read returns at most
	// ReadChunk bytes, across fragment boundaries.
	ReadChunk int

	mu        sync.Mutex
	out       []byte   // byte mode: queued bytes
	msgs      [][]byte // message mode: queued fragments
	stub      []byte   // request being reassembled
	opnum     uint16
	inRequest bool
	// Fragments counts the request fragments received, RespFragments the response fragments
	// sent: tests read them to check fragmentation really happened.
	Fragments     int
	RespFragments int
	// MaxInFrag is the largest request fragment seen.
	MaxInFrag int
	// Calls counts the reassembled requests answered.
	Calls int
}

func (s *Server) frag() int {
	if s.Frag <= 0 {
		return 4280
	}
	return s.Frag
}

// Write accepts one PDU from the client.
func (s *Server) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(b) < 16 || b[0] != 5 || int(binary.LittleEndian.Uint16(b[8:])) != len(b) {
		return 0, fmt.Errorf("rpctest: malformed PDU of %d bytes", len(b))
	}
	ptype, flags, callID := b[2], b[3], binary.LittleEndian.Uint32(b[12:])
	switch ptype {
	case 11: // bind
		s.queue(s.bindReply(callID))
	case 0: // request
		s.Fragments++
		s.MaxInFrag = max(s.MaxInFrag, len(b))
		if len(b) < 24 {
			return 0, errors.New("rpctest: short request")
		}
		if flags&1 != 0 {
			s.stub, s.inRequest = nil, true
			s.opnum = binary.LittleEndian.Uint16(b[22:])
		} else if !s.inRequest {
			return 0, errors.New("rpctest: continuation fragment without a first fragment")
		}
		s.stub = append(s.stub, b[24:]...)
		if flags&2 != 0 {
			s.inRequest = false
			s.Calls++
			h := s.Handler
			var resp []byte
			fault := uint32(0x1C010002)
			if h != nil {
				resp, fault = h(s.opnum, s.stub)
			}
			if fault != 0 {
				s.queue(fault3(callID, fault))
			} else {
				s.queueResponse(callID, resp)
			}
		}
	default:
		return 0, fmt.Errorf("rpctest: unexpected packet type %d", ptype)
	}
	return len(b), nil
}

func (s *Server) queue(pdu []byte) {
	binary.LittleEndian.PutUint16(pdu[8:], uint16(len(pdu)))
	if s.ReadChunk > 0 {
		s.out = append(s.out, pdu...)
	} else {
		s.msgs = append(s.msgs, pdu)
	}
}

func hdr(ptype, flags byte, callID uint32) []byte {
	b := []byte{5, 0, ptype, flags, 0x10, 0, 0, 0, 0, 0, 0, 0}
	return binary.LittleEndian.AppendUint32(b, callID)
}

func (s *Server) bindReply(callID uint32) []byte {
	if s.NakReason != nil {
		b := hdr(13, 3, callID)
		b = binary.LittleEndian.AppendUint16(b, *s.NakReason)
		return append(b, 0) // no versions list
	}
	b := hdr(12, 3, callID)
	b = binary.LittleEndian.AppendUint16(b, uint16(s.frag()))
	b = binary.LittleEndian.AppendUint16(b, uint16(s.frag()))
	b = binary.LittleEndian.AppendUint32(b, 0x1234)
	port := []byte("\\PIPE\\srvsvc\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(port)))
	b = append(b, port...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, 1, 0, 0, 0)
	if s.RejectContext {
		b = append(b, 2, 0, 1, 0)
		b = append(b, make([]byte, 20)...)
		return b
	}
	b = append(b, 0, 0, 0, 0)
	// NDR 2.0 as it appears on the wire.
	b = append(b, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60)
	return binary.LittleEndian.AppendUint32(b, 2)
}

func fault3(callID, status uint32) []byte {
	b := hdr(3, 3, callID)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, status)
	return binary.LittleEndian.AppendUint32(b, 0)
}

func (s *Server) queueResponse(callID uint32, stub []byte) {
	chunk := s.frag() - 24
	for off := 0; ; {
		end := min(off+chunk, len(stub))
		var flags byte
		if off == 0 {
			flags |= 1
		}
		if end == len(stub) {
			flags |= 2
		}
		b := hdr(2, flags, callID)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)-off))
		b = append(b, 0, 0, 0, 0)
		b = append(b, stub[off:end]...)
		s.queue(b)
		s.RespFragments++
		off = end
		if off == len(stub) {
			return
		}
	}
}

// Read returns the next queued fragment (message mode) or up to ReadChunk queued bytes (byte
// mode). Like a message-mode pipe read into a too-small buffer, a fragment larger than b is an
// error.
func (s *Server) Read(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ReadChunk > 0 {
		if len(s.out) == 0 {
			return 0, errors.New("rpctest: read with nothing queued")
		}
		n := copy(b[:min(len(b), s.ReadChunk)], s.out)
		s.out = s.out[n:]
		return n, nil
	}
	if len(s.msgs) == 0 {
		return 0, errors.New("rpctest: read with nothing queued")
	}
	m := s.msgs[0]
	if len(m) > len(b) {
		return 0, fmt.Errorf("rpctest: STATUS_BUFFER_OVERFLOW: %d-byte message, %d-byte buffer", len(m), len(b))
	}
	s.msgs = s.msgs[1:]
	return copy(b, m), nil
}

// Inject queues raw bytes as the next message, for malformed-reply tests.
func (s *Server) Inject(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ReadChunk > 0 {
		s.out = append(s.out, b...)
	} else {
		s.msgs = append(s.msgs, b)
	}
}
