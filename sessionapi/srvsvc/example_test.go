package srvsvc_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// A Config prints without its secrets, so it can be logged.
func ExampleConfig_String() {
	cfg := srvsvc.Config{Host: "fs01.example.com", User: "auditor", Domain: "EXAMPLE", Password: "hunter2"}
	fmt.Println(cfg)
	fmt.Println(srvsvc.Config{Host: "fs01.example.com"})
	// Output:
	// srvsvc.Config{Host:"fs01.example.com" Port:0 User:"auditor" Domain:"EXAMPLE" Auth:password}
	// srvsvc.Config{Host:"fs01.example.com" Port:0 User:"" Domain:"" Auth:anonymous}
}

// WithEnvPassword takes the password from SESSIONSIM_PASSWORD, so it never has to be on a
// command line.
func ExampleConfig_WithEnvPassword() {
	os.Setenv(srvsvc.PasswordEnv, "from-the-environment")
	defer os.Unsetenv(srvsvc.PasswordEnv)
	cfg := srvsvc.Config{Host: "fs01", User: "auditor"}.WithEnvPassword()
	fmt.Println(cfg.Password == "from-the-environment")
	// Output: true
}

// Dial, enumerate every session at level 1 with sessionapi.All, and close. (Not run: it
// needs a server.)
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := srvsvc.Dial(ctx, srvsvc.Config{Host: "fs01.example.com", User: "auditor", Domain: "EXAMPLE"}.WithEnvPassword())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for e, err := range sessionapi.All(ctx, c, sessionapi.EnumRequest{Level: sessionapi.Level1}) {
		if errors.Is(err, sessionapi.ERROR_ACCESS_DENIED) {
			log.Fatal("not an administrator on the server")
		}
		if err != nil {
			log.Fatal(err)
		}
		s := e.(*sessionapi.SessionInfo1)
		fmt.Printf("%s\t%s\t%d open\n", s.ClientName, s.UserName, s.NumOpens)
	}
}

// SplitServer turns what a user types into Config.Host and Config.Port.
func ExampleSplitServer() {
	for _, s := range []string{"fs01", `\\fs01`, "127.0.0.1:4455", "[::1]:445", "fe80::1"} {
		host, port, err := srvsvc.SplitServer(s)
		fmt.Println(host, port, err)
	}
	_, _, err := srvsvc.SplitServer("fs01:http")
	fmt.Println(err)
	// Output:
	// fs01 0 <nil>
	// fs01 0 <nil>
	// 127.0.0.1 4455 <nil>
	// ::1 445 <nil>
	// fe80::1 0 <nil>
	// srvsvc: server "fs01:http": want HOST or HOST:PORT with a port from 1 to 65535
}
