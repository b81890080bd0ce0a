// Package sambaenv reads the env file that scripts/samba/start.sh writes (or, as [Windows],
// the one scripts/windows/setup.ps1 writes), and opens the SMB sessions the live tests and the
// conformance harnesses enumerate: real sessions as real users, from chosen loopback
// addresses, holding open files.
package sambaenv
