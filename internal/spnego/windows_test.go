package spnego

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
)

// Real tokens of a Windows 10 client and a Windows Server 2019-family DC (testdata/README.md:
// OTRF Security-Datasets "Empire Remote Get Session", frames 516, 537 and 541 of TCP stream 5).
func windowsToken(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	b, err := hex.DecodeString(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	return b
}

var (
	oidNEGOEX  = []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e} // 1.3.6.1.4.1.311.2.2.30
	oidKRB5U2U = []byte{0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03} // 1.2.840.113554.1.2.2.3
)

// TestWindowsClientKerberosFirst: a Windows client prefers Kerberos and sends an AP-REQ as its
// optimistic token; NTLMSSP is its last mechanism. The acceptor must pick NTLMSSP with
// request-mic, then take NTLMSSP and the client's mechListMIC over Windows' own mechTypes.
func TestWindowsClientKerberosFirst(t *testing.T) {
	init := windowsToken(t, "mordor_f537_session_setup_req_negtokeninit.hex")
	it, err := parseInit(init)
	require.NoError(t, err)
	require.Equal(t, [][]byte{oidMSKerberos, oidKerberos, oidNEGOEX, oidNTLMSSP}, it.mechs, "Windows 10's mechTypes")
	require.True(t, len(it.mechToken) > 1000 && it.mechToken[0] == 0x60, "the optimistic token is a GSS-wrapped Kerberos AP-REQ")

	a := NewAcceptor(testConfig())
	out, done, _, err := a.Step(init)
	require.NoError(t, err)
	require.False(t, done)
	r := decodeServerResp(t, out)
	assert.Equal(t, requestMIC, r.negState)
	assert.Equal(t, oidNTLMSSP, r.supportedMech)
	assert.Nil(t, r.responseToken, "the AP-REQ is dropped; NTLMSSP has not started")

	c := &ntlmtest.Client{User: "alice", Domain: "THESHIRE", Password: "sessionsim", Workstation: "WORKSTATION5"}
	out, _, _, err = a.Step(clientResp(c.Negotiate(), nil))
	require.NoError(t, err)
	auth, err := c.Authenticate(decodeServerResp(t, out).responseToken)
	require.NoError(t, err)
	sec, err := c.Security()
	require.NoError(t, err)
	out, done, res, err := a.Step(clientResp(auth, sec.GetMIC(it.mechTypes)))
	require.NoError(t, err)
	require.True(t, done)
	assert.Equal(t, "alice", res.User)
	r = decodeServerResp(t, out)
	assert.Equal(t, acceptCompleted, r.negState)
	assert.NoError(t, sec.VerifyMIC(it.mechTypes, r.mechListMIC), "our mechListMIC over Windows' mechTypes")
}

// TestWindowsServerTokens decodes what a Windows server sends, with the parsers of this package:
// its NegTokenInit2 (the shape of InitialToken) and its final negTokenResp.
func TestWindowsServerTokens(t *testing.T) {
	it, err := parseInit(windowsToken(t, "mordor_f516_negotiate_rsp_negtokeninit2.hex"))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{oidNEGOEX, oidMSKerberos, oidKerberos, oidKRB5U2U, oidNTLMSSP}, it.mechs)
	assert.Contains(t, string(windowsToken(t, "mordor_f516_negotiate_rsp_negtokeninit2.hex")), NegHint, "the hint InitialToken sends too")

	r := decodeServerResp(t, windowsToken(t, "mordor_f541_session_setup_rsp_negtokenresp.hex"))
	assert.Equal(t, acceptCompleted, r.negState)
	assert.Equal(t, oidMSKerberos, r.supportedMech)
	assert.NotEmpty(t, r.responseToken, "the AP-REP")
	assert.Nil(t, r.mechListMIC, "no mechListMIC when the preferred mechanism was chosen")
}
