package ndr

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// ndrdump cross-checks our encoder against Samba's own NDR parser (Debian package
// samba-testsuite). With --validate ndrdump also pushes what it pulled and compares the bytes,
// so a pass means Samba would have produced exactly our bytes.

func ndrdumpPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ndrdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ndrdump not on PATH (CI=true): install the Debian package samba-testsuite")
		}
		t.Skip("ndrdump not on PATH; install samba-testsuite to cross-check against Samba's parser")
	}
	return p
}

// runNdrdump parses b as function fn's in or out and returns the dump.
func runNdrdump(t *testing.T, bin, fn, inout string, b []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "stub.bin")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	out, err := exec.Command(bin, "--validate", "srvsvc", fn, inout, file).CombinedOutput()
	dump := string(out)
	require.NoError(t, err, "ndrdump --validate srvsvc %s %s: %v\n%s", fn, inout, err, dump)
	require.Contains(t, dump, "dump OK", "ndrdump did not finish:\n%s", dump)
	require.NotContains(t, dump, "differ", "Samba re-encodes our bytes differently:\n%s", dump)
	return dump
}

var dumpLine = regexp.MustCompile(`^\s*(\w+)\s*: (.*)$`)

// dumpFields returns the "name: value" pairs of the dump for the names asked, in order,
// leaving out pointer lines ("*" or "NULL").
func dumpFields(dump string, names ...string) []string {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []string
	for _, line := range strings.Split(dump, "\n") {
		m := dumpLine.FindStringSubmatch(line)
		if m == nil || !want[m[1]] || m[2] == "*" || m[2] == "NULL" {
			continue
		}
		v := m[2]
		// Numbers print as "0x00000002 (2)": keep the decimal.
		if i := strings.LastIndex(v, "("); i > 0 && strings.HasSuffix(v, ")") && strings.HasPrefix(v, "0x") {
			v = v[i+1 : len(v)-1]
		}
		out = append(out, m[1]+"="+v)
	}
	return out
}

func TestNdrdumpAcceptsResponses(t *testing.T) {
	bin := ndrdumpPath(t)
	for name, p := range sampleResponses() {
		t.Run(name, func(t *testing.T) {
			dump := runNdrdump(t, bin, "srvsvc_NetSessEnum", "out", EncodeSessEnumResponse(p))
			var want []string
			want = append(want, fmt.Sprintf("level=%d", p.Level))
			if p.Level.ValidForEnum() {
				want = append(want, fmt.Sprintf("count=%d", len(p.Entries)))
			}
			f := sessionapi.FieldsOf(p.Level)
			for _, e := range p.Entries {
				want = append(want, "client='"+e.ClientName+"'")
				if f.Has(sessionapi.FieldUserName) {
					want = append(want, "user='"+e.UserName+"'")
				}
				if f.Has(sessionapi.FieldNumOpens) {
					want = append(want, "num_open="+strconv.FormatUint(uint64(e.NumOpens), 10))
				}
				if f.Has(sessionapi.FieldTime) {
					want = append(want, "time="+strconv.FormatUint(uint64(e.Time), 10))
				}
				if f.Has(sessionapi.FieldIdleTime) {
					want = append(want, "idle_time="+strconv.FormatUint(uint64(e.IdleTime), 10))
				}
				if f.Has(sessionapi.FieldUserFlags) {
					want = append(want, "user_flags="+strconv.FormatUint(uint64(e.UserFlags), 10))
				}
				if f.Has(sessionapi.FieldClientType) {
					want = append(want, "client_type='"+e.ClientType+"'")
				}
				if f.Has(sessionapi.FieldTransport) {
					want = append(want, "transport='"+e.Transport+"'")
				}
			}
			want = append(want, fmt.Sprintf("totalentries=%d", p.TotalEntries))
			if p.Resume != nil {
				want = append(want, fmt.Sprintf("resume_handle=%d", *p.Resume))
			}
			got := dumpFields(dump, "level", "count", "client", "user", "num_open", "time", "idle_time",
				"user_flags", "client_type", "transport", "totalentries", "resume_handle")
			assert.Equal(t, want, got, "ndrdump's reading of our %s response", name)
			werr := dumpFields(dump, "result")
			require.Len(t, werr, 1)
			if p.Result == 0 {
				assert.Equal(t, "result=WERR_OK", werr[0])
			} else {
				assert.NotEqual(t, "result=WERR_OK", werr[0])
			}
		})
	}
}

func TestNdrdumpAcceptsRequests(t *testing.T) {
	bin := ndrdumpPath(t)
	for name, q := range sampleRequests() {
		t.Run(name, func(t *testing.T) {
			dump := runNdrdump(t, bin, "srvsvc_NetSessEnum", "in", EncodeSessEnumRequest(q))
			var want []string
			for _, s := range []struct {
				n string
				v *string
			}{{"server_unc", q.ServerName}, {"client", q.ClientName}, {"user", q.UserName}} {
				if s.v != nil {
					want = append(want, s.n+"='"+*s.v+"'")
				}
			}
			want = append(want, fmt.Sprintf("level=%d", q.Level), fmt.Sprintf("max_buffer=%d", q.MaxBuffer))
			if q.Resume != nil {
				want = append(want, fmt.Sprintf("resume_handle=%d", *q.Resume))
			}
			assert.Equal(t, want, dumpFields(dump, "server_unc", "client", "user", "level", "max_buffer", "resume_handle"))
		})
	}
}

func TestNdrdumpAcceptsSessDel(t *testing.T) {
	bin := ndrdumpPath(t)
	q := &SessDelRequest{ServerName: ptr(`\\srv`), ClientName: ptr(`\\ws01`), UserName: ptr("alice")}
	dump := runNdrdump(t, bin, "srvsvc_NetSessDel", "in", EncodeSessDelRequest(q))
	assert.Equal(t, []string{`server_unc='\\srv'`, `client='\\ws01'`, "user='alice'"},
		dumpFields(dump, "server_unc", "client", "user"))
	dump = runNdrdump(t, bin, "srvsvc_NetSessDel", "out", EncodeSessDelResponse(uint32(sessionapi.ERROR_ACCESS_DENIED)))
	assert.Equal(t, []string{"result=WERR_ACCESS_DENIED"}, dumpFields(dump, "result"))
}
