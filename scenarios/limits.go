package scenarios

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Limits on the work a replay may do, so that every file the loader accepts replays within
// bounded time and memory. They are checked when the file loads, from what each step could
// do at most (every session of the server it calls, the smallest entries per page), before
// anything is generated: a file refused here says which step crossed which limit.
const (
	// MaxReplayCalls is the most calls the steps may make, all pages of all: true included.
	// Each call costs its transcript lines and a record in the fake's call log (about 250
	// bytes): 250,000 calls keep a replay of the largest file within a few seconds and well
	// inside 1 GiB, where 4,000,000 (the first limit) let a 200-byte file page 2,000,000
	// sessions three at a time for 23 s and 1.2 GB.
	MaxReplayCalls = 250_000
	// MaxReplayEntries is the most entries the steps may get back, all calls together.
	MaxReplayEntries = 6_000_000
	// MaxCallEntries is the most entries one call may return: what one answer holds in memory
	// at once (about 220 bytes an entry, the fake's answer and the transcript's copy). Page a
	// larger server with prefmaxlen and all: true.
	MaxCallEntries = 1_000_000
	// MaxReplayScan is the most sessions the steps and the timeline may look at, all calls
	// together: a filtered enumeration, a GetInfo or a NetSessionDel reads the whole session
	// list, and so does a disconnect.
	MaxReplayScan = 400_000_000
	// MaxFilesPerEvent is the most files one open: or close: event may open or close (each is
	// one change to the fake); MaxReplayFileOps bounds them all together.
	MaxFilesPerEvent = 1_000_000
	MaxReplayFileOps = 20_000_000
	// MaxReplaySleep is the most wall-clock time the steps may spend in latency faults on the
	// real clock (slow servers with clock: real), counted as if every such fault fired.
	MaxReplaySleep = 10 * time.Second
)

// checkWork adds up what the steps and the timeline could cost and refuses a file past a limit.
func (p *parser) checkWork(stepNodes []stepAt) {
	servers := p.spec.Servers
	most := make([]int, len(servers)) // sessions a server can hold at most
	for i := range servers {
		most[i] = servers[i].SessionCount()
	}
	var scan, fileOps int64
	for _, ev := range p.spec.Timeline {
		switch ev.Kind {
		case EventOpen, EventClose:
			fileOps += int64(ev.Files)
		case EventConnect:
			most[ev.Server]++
			if servers[ev.Server].Profile.NewSessionsFirst {
				scan += int64(most[ev.Server]) // inserted at the front
			}
		case EventDisconnect:
			scan += int64(most[ev.Server])
		}
		at := &yaml.Node{Line: ev.Line, Column: 1} // the event's line
		switch {
		case scan > MaxReplayScan:
			p.w.bad(at, "timeline", "the connects and disconnects up to here read %d sessions in all; want at most %d (MaxReplayScan)", scan, MaxReplayScan)
			return
		case fileOps > MaxReplayFileOps:
			p.w.bad(at, "timeline", "the open: and close: events up to here change %d files in all; want at most %d (MaxReplayFileOps)", fileOps, MaxReplayFileOps)
			return
		}
	}
	var sleep time.Duration
	realLatency := func(i int) time.Duration {
		var d time.Duration
		for _, f := range servers[i].Faults {
			if f.RealTime {
				d += f.Latency
			}
		}
		return d
	}
	var calls, entries int64
	for i := range p.spec.Steps {
		st := &p.spec.Steps[i]
		if st.Op == "" {
			continue
		}
		target := 0
		if len(servers) > 1 {
			var ok bool
			if target, ok = p.serverByName(st.ServerName); !ok && st.ServerName != "" {
				calls++ // an unknown server answers at once
				continue
			}
		}
		n := int64(most[target])
		prof := &servers[target].Profile
		filtered := st.UncClientName != "" || st.UserName != ""
		var c, e, perCall int64
		switch st.Op {
		case transcript.OpEnum:
			perCall = n
			paged := st.PrefMaxLen != sessionapi.MaxPreferredLength && prof.HonorPrefMaxLen
			if paged {
				// At least one entry a page, and no more than the smallest entries fill.
				perCall = min(n, int64(st.PrefMaxLen)/int64(max(sessionapi.StructSize(st.Level, sessionapi.X86), 1))+1)
			}
			c, e = 1, n
			if st.All {
				c = 1
				if paged {
					perPage := max(int64(st.PrefMaxLen)/maxEntryBytes(st.Level), 1)
					c = min(n+1, n/perPage+2)
				}
			}
			if filtered || !st.All {
				scan += c * n
			}
		case transcript.OpGetInfo:
			c, e, perCall = 1, 1, 1
			scan += n
		case transcript.OpDel:
			c = 1
			scan += n
		}
		calls += c
		entries += e
		if rl := realLatency(target); rl > 0 {
			sleep += time.Duration(min(c, int64(MaxReplaySleep/time.Millisecond))) * rl
		}
		node, path := stepNodes[i].n, stepNodes[i].path
		switch {
		case sleep > MaxReplaySleep:
			p.w.bad(node, path, "the steps up to here can wait %v on real-clock latency; want at most %v (MaxReplaySleep): use clock: fake", sleep, MaxReplaySleep)
			return
		case perCall > MaxCallEntries:
			p.w.bad(node, path, "one call here can return %d entries; want at most %d (MaxCallEntries): set prefmaxlen and all: true to page", perCall, MaxCallEntries)
			return
		case calls > MaxReplayCalls:
			p.w.bad(node, path, "the steps up to here can make %d calls (pages included); want at most %d (MaxReplayCalls): a larger prefmaxlen or fewer steps", calls, MaxReplayCalls)
			return
		case entries > MaxReplayEntries:
			p.w.bad(node, path, "the steps up to here can return %d entries; want at most %d (MaxReplayEntries)", entries, MaxReplayEntries)
			return
		case scan > MaxReplayScan:
			p.w.bad(node, path, "the steps up to here can read %d sessions (filters, GetInfo and Del read the whole list, each page again); want at most %d (MaxReplayScan)", scan, MaxReplayScan)
			return
		}
	}
}

// maxEntryBytes is the most one entry of a level can take against prefmaxlen: the x64
// structure and its strings at their longest, in UTF-16 with terminators.
func maxEntryBytes(l sessionapi.Level) int64 {
	name := int64(2 * (maxName + 1))
	typ := int64(2 * (MaxTypeLength + 1))
	n := int64(sessionapi.StructSize(l, sessionapi.X64))
	switch l {
	case sessionapi.Level0:
		n += name
	case sessionapi.Level1, sessionapi.Level10:
		n += 2 * name
	case sessionapi.Level2:
		n += 2*name + typ
	case sessionapi.Level502:
		n += 2*name + 2*typ
	}
	return max(n, 1)
}

// stepAt is where a step is in the file, for checkWork's messages.
type stepAt struct {
	n    *yaml.Node
	path string
}
