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
//
// NDR64 is checked with --ndr64 but without --validate: Samba 4.17's NDR64 push does not read
// back (its own re-encoding of capture A's Windows stubs fails to pull, "validate pull FAILED",
// Bad Switch / Bad Array Size). Without it ndrdump still parses our bytes field by field and
// warns of any byte left unread, which is what a padding or width mistake would show.

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

// runNdrdump parses b as function fn's in or out, in syntax syn, and returns the dump.
func runNdrdump(t *testing.T, bin, fn, inout string, b []byte, syn Syntax) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "stub.bin")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	args := []string{"--validate"}
	if syn == NDR64 {
		args = []string{"--ndr64"}
	}
	args = append(args, "srvsvc", fn, inout, file)
	out, err := exec.Command(bin, args...).CombinedOutput()
	dump := string(out)
	require.NoError(t, err, "ndrdump %s: %v\n%s", strings.Join(args, " "), err, dump)
	require.Contains(t, dump, "pull returned Success", "ndrdump could not parse our %s bytes:\n%s", syn, dump)
	require.Contains(t, dump, "dump OK", "ndrdump did not finish:\n%s", dump)
	require.NotContains(t, dump, "unread bytes", "ndrdump left part of our %s bytes unread:\n%s", syn, dump)
	require.NotContains(t, dump, "differ", "Samba re-encodes our bytes differently:\n%s", dump)
	return dump
}

var syntaxes = []Syntax{NDR20, NDR64}

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

// TestNdrdumpAcceptsResponses covers what the served fake encodes: every level, its
// ERROR_MORE_DATA and error answers and the empty default arm, in both syntaxes.
func TestNdrdumpAcceptsResponses(t *testing.T) {
	bin := ndrdumpPath(t)
	for name, p := range sampleResponses() {
		for _, syn := range syntaxes {
			t.Run(name+"/"+syn.String(), func(t *testing.T) { checkNdrdumpResponse(t, bin, name, p, syn) })
		}
	}
}

func checkNdrdumpResponse(t *testing.T, bin, name string, p *SessEnumResponse, syn Syntax) {
	t.Helper()
	dump := runNdrdump(t, bin, "srvsvc_NetSessEnum", "out", syn.EncodeSessEnumResponse(p), syn)
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
}

func TestNdrdumpAcceptsRequests(t *testing.T) {
	bin := ndrdumpPath(t)
	for name, q := range sampleRequests() {
		for _, syn := range syntaxes {
			t.Run(name+"/"+syn.String(), func(t *testing.T) { checkNdrdumpRequest(t, bin, q, syn) })
		}
	}
}

func checkNdrdumpRequest(t *testing.T, bin string, q *SessEnumRequest, syn Syntax) {
	t.Helper()
	dump := runNdrdump(t, bin, "srvsvc_NetSessEnum", "in", syn.EncodeSessEnumRequest(q), syn)
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
}

func TestNdrdumpAcceptsSessDel(t *testing.T) {
	bin := ndrdumpPath(t)
	for _, syn := range syntaxes {
		t.Run(syn.String(), func(t *testing.T) {
			q := &SessDelRequest{ServerName: ptr(`\\srv`), ClientName: ptr(`\\ws01`), UserName: ptr("alice")}
			dump := runNdrdump(t, bin, "srvsvc_NetSessDel", "in", syn.EncodeSessDelRequest(q), syn)
			assert.Equal(t, []string{`server_unc='\\srv'`, `client='\\ws01'`, "user='alice'"},
				dumpFields(dump, "server_unc", "client", "user"))
			q = &SessDelRequest{UserName: ptr("")}
			dump = runNdrdump(t, bin, "srvsvc_NetSessDel", "in", syn.EncodeSessDelRequest(q), syn)
			assert.Equal(t, []string{"user=''"}, dumpFields(dump, "server_unc", "client", "user"))
			for _, st := range []sessionapi.Status{sessionapi.NERR_Success, sessionapi.ERROR_ACCESS_DENIED, sessionapi.NERR_ClientNameNotFound} {
				dump = runNdrdump(t, bin, "srvsvc_NetSessDel", "out", syn.EncodeSessDelResponse(uint32(st)), syn)
				require.Len(t, dumpFields(dump, "result"), 1)
			}
			assert.Equal(t, []string{"result=WERR_NERR_CLIENTNAMENOTFOUND"}, dumpFields(dump, "result"))
		})
	}
}
