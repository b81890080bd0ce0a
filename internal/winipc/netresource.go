package winipc

// netResource is NETRESOURCEW: four DWORDs, then four LPWSTRs. Go lays it out as the C
// compiler does in a 32-bit (32 bytes) and a 64-bit (48 bytes) process; the test checks both.
type netResource struct {
	scope, typ, displayType, usage uint32
	localName, remoteName          *uint16
	comment, provider              *uint16
}
