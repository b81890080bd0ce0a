package scenarios

import (
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/fake"
)

// playUntil applies the timeline events due at or before target, each at its own time, then
// moves the first server's clock (all clocks, with all) to target. Every event that changes
// something is told to record (when not nil), which writes it to the transcript.
func (sc *Scenario) playUntil(target time.Duration, record func(text string), all bool) error {
	for sc.next < len(sc.spec.Timeline) && sc.spec.Timeline[sc.next].At <= target {
		ev := &sc.spec.Timeline[sc.next]
		sc.next++
		if err := sc.moveServer(0, ev.At); err != nil {
			return err
		}
		if err := sc.moveServer(ev.Server, ev.At); err != nil {
			return err
		}
		sc.reached, sc.cursor = max(sc.reached, ev.At), max(sc.cursor, ev.At)
		text, err := sc.apply(ev)
		if err != nil {
			return fmt.Errorf("scenarios: %s:%d: timeline: %w", sc.spec.File, ev.Line, err)
		}
		if text != "" && record != nil {
			record(text)
		}
	}
	sc.reached, sc.cursor = max(sc.reached, target), max(sc.cursor, target)
	if all {
		return sc.moveTo(target)
	}
	return sc.moveServer(0, target)
}

func (sc *Scenario) apply(ev *Event) (string, error) {
	if ev.Kind == EventAdvance {
		return "", nil
	}
	if ev.Kind == EventJoin || ev.Kind == EventLeave {
		srv := sc.servers[ev.Server]
		if err := sc.setDown(ev.Server, srv, ev.Kind == EventLeave); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %s", ev.Kind, srv.Name()), nil
	}
	if ev.Kind == EventConnect {
		srv := sc.servers[ev.Server]
		now := srv.Now()
		sess := ev.Connect.Session
		sess.Created = now.Add(-ev.Connect.Age)
		sess.LastActivity = now.Add(-ev.Connect.Idle)
		id, err := srv.Connect(sess)
		if err != nil {
			return "", err
		}
		if ev.Connect.ID != "" {
			sc.idsMu.Lock()
			sc.ids[ev.Connect.ID] = sessionRef{server: ev.Server, id: id}
			sc.idsMu.Unlock()
		}
		return fmt.Sprintf("connect %s%s", sc.describe(ev.Server, ev.Connect.ID, sess.ClientName, sess.UserName), sc.on(ev.Server)), nil
	}
	sc.idsMu.RLock()
	ref, ok := sc.lookup(ev.Ref)
	sc.idsMu.RUnlock()
	if !ok {
		return "", fmt.Errorf("unknown session %q", ev.Ref)
	}
	srv := sc.servers[ref.server]
	if err := sc.moveServer(ref.server, ev.At); err != nil {
		return "", err
	}
	sess, ok := srv.Session(ref.id)
	if !ok {
		return "", fmt.Errorf("session %q (fake id %d) is gone", ev.Ref, ref.id)
	}
	who := sc.describe(ref.server, ev.Ref, sess.ClientName, sess.UserName) + sc.on(ref.server)
	switch ev.Kind {
	case EventDisconnect:
		return "disconnect " + who, srv.Disconnect(ref.id)
	case EventActivity:
		return "activity in " + who, srv.Activity(ref.id)
	case EventOpen:
		for range ev.Files {
			if err := srv.OpenFile(ref.id); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("open %d file(s) in %s", ev.Files, who), nil
	case EventClose:
		for range ev.Files {
			if err := srv.CloseFile(ref.id); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("close %d file(s) in %s", ev.Files, who), nil
	}
	return "", fmt.Errorf("unknown event %q", ev.Kind)
}

func (sc *Scenario) describe(_ int, id, client, user string) string {
	if user == "" {
		user = "(anonymous)"
	}
	if id == "" {
		return fmt.Sprintf("session from %s as %s", client, user)
	}
	return fmt.Sprintf("%s (%s as %s)", id, client, user)
}

func (sc *Scenario) on(server int) string {
	if len(sc.servers) == 1 {
		return ""
	}
	return " on " + sc.servers[server].Name()
}

// setDown makes a server unreachable (it left the network, or has not joined yet) or brings
// it back: while away every call gets its profile's UnknownServer status (ERROR_BAD_NETPATH),
// as for a host that is not there; its sessions stay.
func (sc *Scenario) setDown(i int, srv *fake.Server, down bool) error {
	switch {
	case down && sc.down[i] == 0:
		id, err := srv.InjectFault(fake.Fault{Op: fake.OpAny, Every: true, Status: srv.Profile().UnknownServer})
		if err != nil {
			return err
		}
		sc.down[i] = id
	case !down && sc.down[i] != 0:
		srv.RemoveFault(sc.down[i])
		sc.down[i] = 0
	}
	return nil
}
