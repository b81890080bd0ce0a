package windowstest_test

import (
	"fmt"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi/netapi/windowstest"
)

// What Get-SmbSession says, as the conformance suite sees it: the domain is cut off the user
// name, the client is its address.
func ExampleParseSmbSessions() {
	out := []byte(`{"SessionId":8813272891621,"ClientComputerName":"127.77.3.1","ClientUserName":"RUNNERVM\\alice","NumOpens":2,"Dialect":"3.1.1"}`)
	sessions, err := windowstest.ParseSmbSessions(out)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range sessions {
		o := s.Observed()
		fmt.Printf("%s %s opens=%d (SMB %s)\n", o.ClientName, o.UserName, o.OpenFiles, s.Dialect)
	}
	// Output: 127.77.3.1 alice opens=2 (SMB 3.1.1)
}

// The name of this machine each role's netapi32 calls go to.
func ExampleRoleServer() {
	for _, r := range []fake.Role{fake.Administrator, fake.User, fake.Anonymous} {
		fmt.Printf("%-13s \\\\%s\n", r, windowstest.RoleServer(r))
	}
	// Output:
	// administrator \\127.0.0.11
	// user          \\127.0.0.14
	// anonymous     \\127.0.0.16
}
