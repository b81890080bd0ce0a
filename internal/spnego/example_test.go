package spnego_test

import (
	"fmt"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
	"github.com/sessionsim/sessionsim/internal/spnego"
)

// A SESSION_SETUP exchange in raw NTLMSSP (SPNEGO tokens are handled by the same Step): each
// request's security buffer goes in, the response's comes out, until done.
func ExampleAcceptor_Step() {
	acc := spnego.NewAcceptor(ntlmssp.Config{
		NetBIOSName: "FILESRV01",
		Lookup: func(user, domain string) ([]byte, bool) {
			return ntlmssp.NTHash("sessionsim"), user == "alice"
		},
	})
	client := &ntlmtest.Client{User: "alice", Password: "sessionsim"}

	challenge, done, _, _ := acc.Step(client.Negotiate())
	fmt.Println("after NEGOTIATE, done:", done) // STATUS_MORE_PROCESSING_REQUIRED
	auth, _ := client.Authenticate(challenge)
	_, done, res, err := acc.Step(auth)
	fmt.Println("after AUTHENTICATE, done:", done, "user:", res.User, "err:", err)
	// Output:
	// after NEGOTIATE, done: false
	// after AUTHENTICATE, done: true user: alice err: <nil>
}

func ExampleInitialToken() {
	fmt.Printf("% x\n", spnego.InitialToken()[:22])
	// Output: 60 48 06 06 2b 06 01 05 05 02 a0 3e 30 3c a0 0e 30 0c 06 0a 2b 06
}
