package srvsvc_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/sambaenv"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// TestLiveResponsesAgreeWithNdrdump sends our requests to the live Samba, then reads Samba's
// response bytes twice: with our decoder and with Samba's ndrdump. Both must see the same
// sessions. With SESSIONSIM_RECORD_STUBS=DIR the stubs are also written there (that is how
// internal/ndr/testdata/samba-4.17 was made).
func TestLiveResponsesAgreeWithNdrdump(t *testing.T) {
	env := sambaenv.ForTest(t)
	bin, err := exec.LookPath("ndrdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ndrdump not on PATH (CI=true): install samba-testsuite")
		}
		t.Skip("ndrdump not on PATH")
	}
	ctx := liveCtx(t)
	seed(t, ctx, env, "alice", "127.0.0.21", 1)
	seed(t, ctx, env, "ssim-no-such-user", "127.0.0.22", 0)
	admin := dial(t, ctx, env.Config(env.Admin, ""))
	plain := dial(t, ctx, env.Config(env.Plain, ""))
	record := os.Getenv("SESSIONSIM_RECORD_STUBS")

	zero := uint32(0)
	for _, tc := range []struct {
		name string
		c    *srvsvc.Client
		q    ndr.SessEnumRequest
	}{
		{"enum-level0", admin, ndr.SessEnumRequest{Level: 0, MaxBuffer: sessionapi.MaxPreferredLength}},
		{"enum-level1-resume0", admin, ndr.SessEnumRequest{Level: 1, MaxBuffer: sessionapi.MaxPreferredLength, Resume: &zero}},
		{"enum-level2-invalid", admin, ndr.SessEnumRequest{Level: 2, MaxBuffer: sessionapi.MaxPreferredLength, Resume: &zero}},
		{"enum-level1-denied", plain, ndr.SessEnumRequest{Level: 1, MaxBuffer: sessionapi.MaxPreferredLength}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := srvsvc.RawCall(ctx, tc.c, ndr.OpNetrSessionEnum, ndr.EncodeSessEnumRequest(&tc.q))
			require.NoError(t, err)
			p, err := ndr.DecodeSessEnumResponse(out)
			require.NoError(t, err, "decoding Samba's %s response", tc.name)
			file := filepath.Join(t.TempDir(), "out.bin")
			if record != "" {
				file = filepath.Join(record, tc.name+".bin")
			}
			require.NoError(t, os.WriteFile(file, out, 0o644))
			// No --validate: Samba numbers its referent ids from 0x00020004, ndrdump from 0x00020000.
			dump, err := exec.Command(bin, "srvsvc", "srvsvc_NetSessEnum", "out", file).CombinedOutput()
			require.NoError(t, err, "ndrdump: %s", dump)
			var clients, users []string
			for _, line := range strings.Split(string(dump), "\n") {
				f := strings.Fields(line)
				if len(f) == 3 && f[1] == ":" && f[2] != "*" && f[2] != "NULL" {
					switch f[0] {
					case "client":
						clients = append(clients, strings.Trim(f[2], "'"))
					case "user":
						users = append(users, strings.Trim(f[2], "'"))
					}
				}
			}
			var ourClients, ourUsers []string
			for _, e := range p.Entries {
				ourClients = append(ourClients, e.ClientName)
				if tc.q.Level == 1 {
					ourUsers = append(ourUsers, e.UserName)
				}
			}
			assert.Equal(t, clients, ourClients, "client names: ndrdump vs our decoder")
			assert.Equal(t, users, ourUsers, "user names: ndrdump vs our decoder")
			t.Logf("%s: WERROR %d, %d entries, ndrdump agrees", tc.name, p.Result, len(p.Entries))
		})
	}
}
