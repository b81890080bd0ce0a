package ntlmssp_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
)

// An NTLMv2 logon: the server answers the client's NEGOTIATE with a CHALLENGE and verifies its
// AUTHENTICATE against the account's NT hash.
func ExampleServer() {
	cfg := ntlmssp.Config{
		NetBIOSName: "FILESRV01",
		Lookup: func(user, domain string) ([]byte, bool) {
			if strings.EqualFold(user, "alice") {
				return ntlmssp.NTHash("sessionsim"), true
			}
			return nil, false
		},
	}
	for _, pw := range []string{"sessionsim", "wrong"} {
		client := &ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: pw, Workstation: "WS1"}
		srv := ntlmssp.NewServer(cfg)
		challenge, _ := srv.Challenge(client.Negotiate())
		auth, _ := client.Authenticate(challenge)
		res, err := srv.Authenticate(auth)
		if errors.Is(err, ntlmssp.ErrLogonFailure) {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Printf("%s\\%s from %s, MIC %v, %d-byte session key\n", res.Domain, res.User, res.Workstation, res.MIC, len(res.SessionKey))
	}
	// Output:
	// WORKGROUP\alice from WS1, MIC true, 16-byte session key
	// refused: ntlmssp: logon failure: user "alice": wrong password (NTLMv2 proof does not match)
}

func ExampleNTHash() {
	fmt.Printf("%x\n", ntlmssp.NTHash("Password"))
	// Output: a4f49c406510bdcab6824ee7c30fd852
}
