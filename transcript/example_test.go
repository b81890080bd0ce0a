package transcript_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
	"github.com/sessionsim/sessionsim/transcript"
)

// Record the calls made through any sessionapi.SessionAPI (here the fake) and write them in
// the golden format.
func ExampleRecorder() {
	srv := fake.New()
	if _, err := srv.Connect(fake.Session{ClientName: "10.0.0.5", UserName: "guest", Flags: sessionapi.SessGuest}); err != nil {
		log.Fatal(err)
	}
	tr := &transcript.Transcript{Source: transcript.SourceReplay,
		Servers: []transcript.Server{{Name: srv.Name(), Profile: "windows", Time: srv.Now()}}}
	rec := transcript.NewRecorder(tr, srv.Now(), srv.Now)
	api := rec.As("admin", srv.As(fake.Administrator))
	if _, err := api.NetSessionEnum(context.Background(), "", "", "", sessionapi.Level1, sessionapi.MaxPreferredLength, nil); err != nil {
		log.Fatal(err)
	}
	y, err := tr.YAML()
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(y)
	// Output:
	// # sessionsim transcript, format 1: one item per call (or timeline event).
	// # args without resume = a NULL resume handle; entries carry only the members their level has.
	//
	// transcript: 1
	// source: replay
	// servers:
	//   - name: FILESRV01
	//     profile: windows
	//     time: "2026-01-05T09:00:00Z"
	// calls:
	//   - seq: 1
	//     at: 0s
	//     caller: admin
	//     call: NetSessionEnum
	//     args: {level: 1, prefmaxlen: MAX_PREFERRED_LENGTH}
	//     status: NERR_Success
	//     entriesread: 1
	//     totalentries: 1
	//     entries:
	//       - {cname: \\10.0.0.5, username: guest, num_opens: 0, time: 0, idle_time: 0, user_flags: SESS_GUEST}
}

// Compare two transcripts line by line.
func ExampleDiff() {
	fmt.Print(transcript.Diff("recorded", "status: NERR_Success\nentries: 3\n", "fake", "status: NERR_Success\nentries: 2\n"))
	// Output:
	// --- recorded
	// +++ fake
	// @@ -1,2 +1,2 @@
	//  status: NERR_Success
	// -entries: 3
	// +entries: 2
}

// Print a transcript for people: one line per call, its entries as a table.
func ExampleTranscript_WriteTable() {
	h := uint32(0)
	out := uint32(1)
	tr := &transcript.Transcript{Source: transcript.SourceRecording, Calls: []transcript.Call{{
		Seq: 1, Caller: "admin", Op: transcript.OpEnum, Level: sessionapi.Level10, PrefMaxLen: 64,
		ResumeIn: &h, ResumeOut: &out, Status: sessionapi.ERROR_MORE_DATA, TotalEntries: 2,
		Entries: []transcript.Entry{transcript.EntryOf(&sessionapi.SessionInfo10{ClientName: `\\ws01`, UserName: "bob", Time: 60})},
	}}}
	if err := tr.WriteTable(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// recording
	//
	// #1   +0s      admin: NetSessionEnum(level=10, prefmaxlen=64, resume=0) = ERROR_MORE_DATA, read=1, total=2, resume=1
	//      CNAME   USERNAME  TIME  IDLE_TIME
	//      \\ws01  bob       60    0
}

// Record the fixed battery against a server (here a fake Windows server; `sessionsim record`
// does the same against a live one).
func ExampleRecordBattery() {
	srv := fake.New()
	for _, user := range []string{"alice", "bob"} {
		if _, err := srv.Connect(fake.Session{ClientName: "ws-" + user, UserName: user}); err != nil {
			log.Fatal(err)
		}
	}
	tr, err := transcript.RecordBattery(context.Background(), srv.As(fake.Administrator), transcript.BatteryConfig{
		Server: "FILESRV01", ServerName: `\\FILESRV01`, Caller: "admin", Role: "administrator",
		Profile: "windows", Now: srv.Now,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tr.Servers[0].Sessions), "sessions observed,", len(tr.Calls), "calls")
	for _, c := range tr.Calls[:2] {
		fmt.Println(c.String())
	}
	// Output:
	// 2 sessions observed, 28 calls
	// NetSessionEnum(server="\\FILESRV01", level=502, prefmaxlen=MAX_PREFERRED_LENGTH) = NERR_Success, read=2, total=2
	// NetSessionEnum(server="\\FILESRV01", level=0, prefmaxlen=MAX_PREFERRED_LENGTH) = NERR_Success, read=2, total=2
}

// Stream a transcript as it is made: the header first, then each call as it happens, then
// Close. The bytes are those of Transcript.YAML for the same transcript.
func ExampleNewYAMLWriter() {
	w := transcript.NewYAMLWriter(os.Stdout)
	if err := w.WriteHeader(&transcript.Transcript{Source: transcript.SourceRecording,
		Servers: []transcript.Server{{Name: "FS01", Time: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}}}); err != nil {
		log.Fatal(err)
	}
	for i := range 2 {
		c := &transcript.Call{Seq: i + 1, Op: transcript.OpEnum, Level: sessionapi.Level0, PrefMaxLen: sessionapi.MaxPreferredLength,
			TotalEntries: 1, Entries: []transcript.Entry{transcript.EntryOf(&sessionapi.SessionInfo0{ClientName: `\\ws01`})}}
		if err := w.WriteCall(c); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// # sessionsim transcript, format 1: one item per call (or timeline event).
	// # args without resume = a NULL resume handle; entries carry only the members their level has.
	//
	// transcript: 1
	// source: recording
	// servers:
	//   - name: FS01
	//     time: "2026-01-05T09:00:00Z"
	// calls:
	//   - seq: 1
	//     at: 0s
	//     call: NetSessionEnum
	//     args: {level: 0, prefmaxlen: MAX_PREFERRED_LENGTH}
	//     status: NERR_Success
	//     entriesread: 1
	//     totalentries: 1
	//     entries:
	//       - {cname: \\ws01}
	//   - seq: 2
	//     at: 0s
	//     call: NetSessionEnum
	//     args: {level: 0, prefmaxlen: MAX_PREFERRED_LENGTH}
	//     status: NERR_Success
	//     entriesread: 1
	//     totalentries: 1
	//     entries:
	//       - {cname: \\ws01}
}

// Show a name from a server on a terminal: control characters escaped, long values cut.
func ExampleEscape() {
	fmt.Println(transcript.Escape("ws01\x1b]0;owned\x07\r\nforged"))
	fmt.Println(transcript.Escape("\u202egnp.exe"))
	fmt.Println(transcript.EscapeN("a-very-long-client-name", 6))
	// Output:
	// ws01\x1b]0;owned\x07\r\nforged
	// \u202egnp.exe
	// a-very…(+17 bytes)
}
