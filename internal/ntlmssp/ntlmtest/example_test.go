package ntlmtest_test

import (
	"errors"
	"fmt"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
)

// A client that sends an NTLMv1-sized response, to check that an acceptor refuses it.
func ExampleClient() {
	srv := ntlmssp.NewServer(ntlmssp.Config{
		NetBIOSName: "FILESRV01",
		Lookup:      func(user, _ string) ([]byte, bool) { return ntlmssp.NTHash("pw"), true },
	})
	c := &ntlmtest.Client{User: "alice", Password: "pw", NTLMv1: true}
	challenge, _ := srv.Challenge(c.Negotiate())
	auth, _ := c.Authenticate(challenge)
	_, err := srv.Authenticate(auth)
	fmt.Println(errors.Is(err, ntlmssp.ErrLogonFailure))
	// Output: true
}
