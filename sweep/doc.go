// Package sweep enumerates the sessions of many servers at once, as a collector that visits
// every file server of a network does: a bounded number of servers at a time
// ([Config.Concurrency]), each with its own deadline ([Config.Timeout]), every result
// handed back as soon as its server is done, classified (answered, refused, unreachable,
// timed out, other error) with the sessions found, and a [Summary] at the end.
//
// The same sweep runs in-process on a scenario's fleet of fake servers ([FleetTargets]) and
// over the wire against real hosts ([HostTargets], MS-SRVS over SMB2 through package
// srvsvc), so a collector can be tested on ten thousand fake servers and then pointed at
// real ones. `sessionsim sweep SCENARIO` and `sessionsim enum` with several servers are the
// command-line forms.
//
// Each server's enumeration is [sessionapi.All] with the request of [Config.Request]: paged
// until NERR_Success, bounded by EnumRequest.MaxEntries (sessionapi.DefaultMaxEntries unless
// set). Entries are counted and, only when [Config.KeepEntries] says so, kept.
package sweep
