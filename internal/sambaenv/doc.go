// Package sambaenv reads the env file that scripts/samba/start.sh writes, and opens the SMB
// sessions the live tests and the Samba conformance harness enumerate: real sessions as real
// users, from chosen loopback addresses, holding open files.
package sambaenv
