package dcerpc_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sessionsim/sessionsim/internal/dcerpc"
)

// upper answers opnum 1 with its stub in upper case.
type upper struct{}

func (upper) Call(_ context.Context, opnum uint16, stub []byte, ndr64 bool) ([]byte, uint32) {
	if opnum != 1 {
		return nil, 0x1C010002 // nca_s_op_rng_error
	}
	out := make([]byte, len(stub))
	for i, c := range stub {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out, 0
}

// msgPipe is what an SMB server does with a message-mode pipe: a WRITE goes to the
// ServerConn, a READ takes (part of) the next fragment.
type msgPipe struct{ sc *dcerpc.ServerConn }

func (p msgPipe) Write(b []byte) (int, error) {
	return len(b), p.sc.Write(context.Background(), b)
}

func (p msgPipe) Read(b []byte) (int, error) {
	n, more := p.sc.Read(b)
	if more {
		return n, errors.New("STATUS_BUFFER_OVERFLOW")
	}
	return n, nil
}

// The client of this package against its server, over an in-memory pipe.
func ExampleNewServerConn() {
	iface := dcerpc.SyntaxID{UUID: dcerpc.MustParseUUID("12345778-1234-abcd-ef00-0123456789ab"), Major: 1}
	sc := dcerpc.NewServerConn([]dcerpc.ServerInterface{{Syntax: iface, Handler: upper{}}}, dcerpc.ServerLimits{})
	c, err := dcerpc.Bind(msgPipe{sc}, iface, 0)
	if err != nil {
		panic(err)
	}
	out, err := c.Call(1, []byte("hello"))
	fmt.Println(string(out), err)
	_, err = c.Call(2, nil)
	fmt.Println(err)
	xmit, recv, _, _ := sc.Negotiated()
	fmt.Println(xmit, recv, sc.Pending())
	// Output:
	// HELLO <nil>
	// DCE/RPC fault NCA_S_OP_RNG_ERROR (0x1C010002)
	// 4280 4280 0
}

// ExampleNewBudget shares one budget between two pipes of a connection: the answers unread on
// one make the other refuse new requests until they are read.
func ExampleNewBudget() {
	conn := dcerpc.NewBudget(16, nil)
	lim := dcerpc.ServerLimits{Budget: conn}
	a := dcerpc.NewServerConn([]dcerpc.ServerInterface{{Syntax: dcerpc.NDR20, Handler: upper{}}}, lim)
	b := dcerpc.NewServerConn([]dcerpc.ServerInterface{{Syntax: dcerpc.NDR20, Handler: upper{}}}, lim)
	fmt.Println(conn.Used(), b.Full())
	// A bind (of an unknown interface) whose answer nobody reads: the answer is held, charged
	// to the shared budget.
	bind := []byte{5, 0, 11, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0,
		0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0}
	bind = append(bind, make([]byte, 40)...)
	_ = a.Write(context.Background(), bind)
	fmt.Println(conn.Used() >= conn.Limit(), b.Full())
	a.Close()
	fmt.Println(conn.Used(), b.Full())
	// Output:
	// 0 false
	// true true
	// 0 false
}
