package srvs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/dcerpc"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// BenchmarkEnum101 is one NetrSessionEnum at level 1 of 101 sessions: in process on the fake
// (the peer), and through DCE/RPC and srvs (encode, fragment at 4,280 bytes, reassemble,
// decode) in each syntax. go test ./internal/srvs -run '^$' -bench Enum101 -benchmem
func BenchmarkEnum101(b *testing.B) {
	srv := fake.New()
	for i := range 101 {
		_, err := srv.Connect(fake.Session{ClientName: fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), UserName: fmt.Sprintf("user%03d", i)})
		require.NoError(b, err)
	}
	api := srv.As(fake.Administrator)
	ctx := context.Background()
	run := func(b *testing.B, a sessionapi.SessionAPI) {
		for b.Loop() {
			res, err := a.NetSessionEnum(ctx, "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil)
			if err != nil || len(res.Entries) != 101 {
				b.Fatalf("NetSessionEnum(level=1) = %v, read=%d; want 101", err, len(res.Entries))
			}
		}
	}
	b.Run("in-process", func(b *testing.B) { run(b, api) })
	b.Run("served-NDR20", func(b *testing.B) { run(b, dialWire(b, api, ndr.NDR20, dcerpc.DefaultFrag)) })
	b.Run("served-NDR64", func(b *testing.B) { run(b, dialWire(b, api, ndr.NDR64, dcerpc.DefaultFrag)) })
}
