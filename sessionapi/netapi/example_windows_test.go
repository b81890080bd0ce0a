//go:build windows

package netapi_test

import (
	"context"
	"fmt"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/netapi"
)

// Listing the SMB sessions on this computer at level 10, every page of ERROR_MORE_DATA
// followed and freed. (No Output: the sessions depend on the machine.)
func Example() {
	var api netapi.API
	for e, err := range sessionapi.All(context.Background(), &api, sessionapi.EnumRequest{Level: sessionapi.Level10}) {
		if err != nil {
			fmt.Println("NetSessionEnum:", err)
			return
		}
		s := e.(*sessionapi.SessionInfo10)
		fmt.Printf("%s %s idle %ds\n", s.ClientName, s.UserName, s.IdleTime)
	}
}
