package scenarios

import (
	"fmt"
	"time"

	"github.com/sessionsim/sessionsim/transcript"
)

// playUntil applies the timeline events due at or before target, each at its own time, then
// moves the clocks to target. Every event that changes something is written to the transcript.
func (sc *Scenario) playUntil(target time.Duration, rec *transcript.Recorder) error {
	for sc.next < len(sc.spec.Timeline) && sc.spec.Timeline[sc.next].At <= target {
		ev := &sc.spec.Timeline[sc.next]
		sc.next++
		if err := sc.moveTo(ev.At); err != nil {
			return err
		}
		text, err := sc.apply(ev)
		if err != nil {
			return fmt.Errorf("scenarios: %s:%d: timeline: %w", sc.spec.File, ev.Line, err)
		}
		if text != "" {
			rec.Event(text)
		}
	}
	return sc.moveTo(target)
}

func (sc *Scenario) apply(ev *Event) (string, error) {
	if ev.Kind == EventAdvance {
		return "", nil
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
			sc.ids[ev.Connect.ID] = sessionRef{server: ev.Server, id: id}
		}
		return fmt.Sprintf("connect %s%s", sc.describe(ev.Server, ev.Connect.ID, sess.ClientName, sess.UserName), sc.on(ev.Server)), nil
	}
	ref, ok := sc.ids[ev.Ref]
	if !ok {
		return "", fmt.Errorf("unknown session %q", ev.Ref)
	}
	srv := sc.servers[ref.server]
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
