// Package layout reads (and, for tests and fakes, writes) the buffers that netapi32 returns from
// NetSessionEnum and NetSessionGetInfo: an array of SESSION_INFO_<level> structures in the x86
// or x64 layout of spec §3, whose string members are absolute pointers to NUL-terminated
// UTF-16LE strings.
//
// It builds on every OS so that the decoding Windows relies on is tested on Linux. The code
// never dereferences an address itself: it asks a [Memory] for the bytes at an address. On
// Windows the Memory is the process's own memory behind the pointer netapi32 handed back; in
// tests it is a byte slice with a made-up base address ([Bytes]), where a pointer outside the
// slice is an error rather than a crash. Both run the same [Decode].
package layout
