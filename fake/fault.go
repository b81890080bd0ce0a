package fake

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Op names one of the three calls.
type Op uint8

// The calls. OpAny matches all of them in a [Fault].
const (
	OpAny Op = iota
	OpEnum
	OpGetInfo
	OpDel
)

// String returns the Win32 function name ("NetSessionEnum"), or "any".
func (o Op) String() string {
	switch o {
	case OpEnum:
		return "NetSessionEnum"
	case OpGetInfo:
		return "NetSessionGetInfo"
	case OpDel:
		return "NetSessionDel"
	}
	return "any"
}

// ParseOp reads an op by Win32 name or short name ("enum", "getinfo", "del", "any").
func ParseOp(name string) (Op, error) {
	switch name {
	case "NetSessionEnum", "enum":
		return OpEnum, nil
	case "NetSessionGetInfo", "getinfo", "get-info":
		return OpGetInfo, nil
	case "NetSessionDel", "del", "delete":
		return OpDel, nil
	case "any", "":
		return OpAny, nil
	}
	return 0, fmt.Errorf("unknown call %q: want enum, getinfo, del or any", name)
}

// Fault is an injected failure or delay. Nth, Every or Probability says when it fires: Nth on
// the nth matching call, Every on each, and a fault with neither is a probability fault, which
// fires with chance Probability (0 never, 1 always: a sweep over p = 0, 0.5, 1 can start at 0).
// So Fault{Status: s} alone never fires: set Every for a fault on every call. It counts only
// the calls of its Op made after it was injected.
//
// Faults are the server's: they fire after the checks netapi32 makes on the client side (a
// bad level, GetInfo's missing names: those calls never reach a server) and after the server
// name (a call to another host never reaches this one), and before everything the server
// checks itself (access, the `\\` of a client name, lengths), which an unreachable server
// never gets to. See the package doc for the whole order.
type Fault struct {
	// Op is the call it applies to; OpAny for all three.
	Op Op
	// Nth fires on the nth matching call (1 = the next one), once.
	Nth int
	// Every fires on every matching call.
	Every bool
	// Probability fires on each matching call with this chance (0 to 1) when neither Nth nor
	// Every is set, drawn from a generator seeded with Seed, so a run repeats exactly.
	Probability float64
	Seed        uint64

	// Status is returned instead of the call's answer; NERR_Success means none (a pure delay).
	// Any status works, RPC_S_SERVER_UNAVAILABLE (1722) and ERROR_BAD_NETPATH (53) included.
	// The server's state does not change.
	Status sessionapi.Status
	// Latency delays the call: on the fake clock (the server's ManualClock moves forward by
	// it; InjectFault refuses this on a server without a *ManualClock), or, with RealTime, in
	// wall time (cut short by the context).
	Latency  time.Duration
	RealTime bool
}

// FaultID names an injected fault, for RemoveFault.
type FaultID uint64

// ErrInvalidFault is wrapped by every error about a fault that cannot work.
var ErrInvalidFault = errors.New("invalid fault")

// probabilistic reports whether the fault fires by chance: neither Nth nor Every is set.
func (f *Fault) probabilistic() bool { return f.Nth == 0 && !f.Every }

func (f *Fault) validate() error {
	switch {
	case f.Op > OpDel:
		return fmt.Errorf("%w: unknown op %d", ErrInvalidFault, f.Op)
	case f.Nth != 0 && f.Every:
		return fmt.Errorf("%w: set one of nth and every, not both", ErrInvalidFault)
	case f.Probability != 0 && !f.probabilistic():
		return fmt.Errorf("%w: probability %v with nth or every: set one trigger", ErrInvalidFault, f.Probability)
	case f.Nth < 0:
		return fmt.Errorf("%w: nth is %d; want 1 or more", ErrInvalidFault, f.Nth)
	case !(f.Probability >= 0 && f.Probability <= 1): // NaN too
		return fmt.Errorf("%w: probability is %v; want a number from 0 to 1", ErrInvalidFault, f.Probability)
	case f.Latency < 0:
		return fmt.Errorf("%w: latency is %v; want 0 or more", ErrInvalidFault, f.Latency)
	case f.Status == sessionapi.NERR_Success && f.Latency == 0:
		return fmt.Errorf("%w: neither a status nor a latency: it would do nothing", ErrInvalidFault)
	}
	return nil
}

// armedFault is a fault with its counters.
type armedFault struct {
	id    FaultID
	fault Fault
	seen  int
	done  bool
	rng   *rand.Rand
}

func (a *armedFault) fires(op Op) bool {
	if a.done || (a.fault.Op != OpAny && a.fault.Op != op) {
		return false
	}
	a.seen++
	switch {
	case a.fault.Every:
		return true
	case a.fault.Nth != 0:
		if a.seen == a.fault.Nth {
			a.done = true
			return true
		}
		return false
	default:
		return a.rng.Float64() < a.fault.Probability
	}
}
