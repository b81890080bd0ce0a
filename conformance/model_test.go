package conformance

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// fourSessions are what the model tests observe: four sessions of equal entry size.
var fourSessions = []Observed{
	{ClientName: "WS01", UserName: "alice", Seeded: true}, {ClientName: "WS02", UserName: "bob", Seeded: true},
	{ClientName: "WS03", UserName: "alice", Seeded: true}, {ClientName: "WS04", UserName: "bob", Seeded: true},
}

// TestModel32BitResumeHandle: a resume handle of 2^31 or more is past the end of any list,
// also where int is 32 bits (GOARCH=386), where int(handle) would be negative and the model
// would expect entries from "position -1" (issue 9 class 8).
func TestModel32BitResumeHandle(t *testing.T) {
	for _, name := range fake.ProfileNames() {
		p, err := fake.ProfileByName(name)
		if err != nil {
			t.Fatal(err)
		}
		m := &model{p: p, all: fourSessions}
		for _, h := range []uint32{1 << 31, 1<<31 + 1, 0xFFFFFFFE, 0xFFFFFFFF} {
			resume := h
			w := m.enumMax(fake.Administrator, sessionapi.Level0, "", "", &resume)
			call := fmt.Sprintf("profile %s: model of NetSessionEnum(level=0, prefmaxlen=MAX_PREFERRED_LENGTH, resume=%d)", name, h)
			assert.Equal(t, sessionapi.NERR_Success, w.status, "%s: status", call)
			assert.Equal(t, 0, w.read, "%s: read", call)
			assert.Empty(t, w.entries, "%s: entries", call)
			if p.TotalFromResume {
				assert.Equal(t, 0, w.total, "%s: total", call)
			} else {
				assert.Equal(t, len(fourSessions), w.total, "%s: total", call)
			}
		}
	}
}

// TestModel32BitPrefMaxLen: a prefmaxlen of 2^31 or more holds every entry, also where int is
// 32 bits (GOARCH=386), where int(prefmaxlen) would be negative and the model would expect
// ERROR_MORE_DATA with nothing (issue 9 class 8).
func TestModel32BitPrefMaxLen(t *testing.T) {
	p := fake.Windows()
	m := &model{p: p, all: fourSessions}
	sizes := []int{40, 40, 40, 40}
	for _, b := range []uint32{1 << 31, 1<<31 + 7, 0xFFFFFFFE} {
		w := m.enumPage(sizes, b)
		call := fmt.Sprintf("model of NetSessionEnum(level=10, prefmaxlen=%d, resume=0)", b)
		assert.Equal(t, sessionapi.NERR_Success, w.status, "%s: status", call)
		assert.Equal(t, len(sizes), w.read, "%s: read", call)
	}
	// And the ordinary case still pages: two entries and a half fit, two come back.
	w := m.enumPage(sizes, 100)
	assert.Equal(t, sessionapi.ERROR_MORE_DATA, w.status, "model of NetSessionEnum(prefmaxlen=100): status")
	assert.Equal(t, 2, w.read, "model of NetSessionEnum(prefmaxlen=100): read")
}
