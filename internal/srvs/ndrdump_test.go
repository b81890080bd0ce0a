package srvs_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/internal/ndr"
	"github.com/sessionsim/sessionsim/internal/srvs"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// TestNdrdumpAcceptsServedAnswers: what srvs answers, per profile, level, syntax and outcome
// (all entries, an ERROR_MORE_DATA page, a refusal), Samba's ndrdump (samba-testsuite) parses
// whole: NDR 2.0 with --validate (Samba re-encodes it to the same bytes), NDR64 with --ndr64
// (without --validate, which Samba 4.17 fails on Windows' own NDR64; see internal/ndr).
func TestNdrdumpAcceptsServedAnswers(t *testing.T) {
	bin, err := exec.LookPath("ndrdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ndrdump not on PATH (CI=true): install the Debian package samba-testsuite")
		}
		t.Skip("ndrdump not on PATH; install samba-testsuite")
	}
	countRE := regexp.MustCompile(`(?m)^\s*count\s*: 0x[0-9a-f]+ \((\d+)\)$`)
	ctx := context.Background()
	for _, pname := range fake.ProfileNames() {
		p, err := fake.ProfileByName(pname)
		require.NoError(t, err)
		srv := seeded(t, p)
		for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
			for _, role := range []fake.Role{fake.Administrator, fake.User} {
				h := srvs.NewHandler(srv.As(role))
				for _, l := range append(sessionapi.Levels(), 3) {
					for _, prefMaxLen := range []uint32{sessionapi.MaxPreferredLength, 300} {
						name := fmt.Sprintf("%s/%s/%s/level%d/prefmaxlen=%d", pname, syn, role, l, prefMaxLen)
						resume := uint32(0)
						stub := syn.EncodeSessEnumRequest(&ndr.SessEnumRequest{Level: l, MaxBuffer: prefMaxLen, Resume: &resume})
						resp, fault := h.Call(ctx, ndr.OpNetrSessionEnum, stub, syn == ndr.NDR64)
						require.Zero(t, fault, name)
						got, err := syn.DecodeSessEnumResponse(resp)
						require.NoError(t, err, name)
						dump := ndrdump(t, bin, name, "srvsvc_NetSessEnum", resp, syn)
						if l.ValidForEnum() {
							m := countRE.FindStringSubmatch(dump)
							require.NotNil(t, m, "%s: no count in\n%s", name, dump)
							assert.Equal(t, fmt.Sprint(len(got.Entries)), m[1], "%s: entries ndrdump read", name)
						}
					}
				}
				resp, fault := h.Call(ctx, ndr.OpNetrSessionDel, syn.EncodeSessDelRequest(&ndr.SessDelRequest{UserName: ptr("nobody-at-all")}), syn == ndr.NDR64)
				require.Zero(t, fault)
				ndrdump(t, bin, pname+"/del", "srvsvc_NetSessDel", resp, syn)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func ndrdump(t *testing.T, bin, name, fn string, b []byte, syn ndr.Syntax) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "stub.bin")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	args := []string{"--validate"}
	if syn == ndr.NDR64 {
		args = []string{"--ndr64"}
	}
	args = append(args, "srvsvc", fn, "out", file)
	out, err := exec.Command(bin, args...).CombinedOutput()
	dump := string(out)
	require.NoError(t, err, "%s: ndrdump %s:\n%s", name, strings.Join(args, " "), dump)
	require.Contains(t, dump, "pull returned Success", "%s:\n%s", name, dump)
	require.Contains(t, dump, "dump OK", "%s:\n%s", name, dump)
	require.NotContains(t, dump, "unread bytes", "%s:\n%s", name, dump)
	require.NotContains(t, dump, "differ", "%s:\n%s", name, dump)
	return dump
}
