package ndr

import (
	"fmt"
	"testing"

	"github.com/sessionsim/sessionsim/sessionapi"
)

func bench101() *SessEnumResponse {
	p := &SessEnumResponse{Level: sessionapi.Level1, HasContainer: true, TotalEntries: 101, Resume: ptr(uint32(101))}
	for i := range 101 {
		p.Entries = append(p.Entries, sessionapi.SessionInfo502{ClientName: fmt.Sprintf(`\\10.0.0.%d`, i), UserName: fmt.Sprintf("user%03d", i), NumOpens: 1, Time: 100})
	}
	return p
}

// BenchmarkSessEnumResponse101: encoding and decoding a level-1 answer of 101 sessions, per
// syntax. go test ./internal/ndr -run '^$' -bench SessEnumResponse101 -benchmem
func BenchmarkSessEnumResponse101(b *testing.B) {
	p := bench101()
	for _, syn := range syntaxes {
		b.Run("encode-"+syn.String(), func(b *testing.B) {
			for b.Loop() {
				syn.EncodeSessEnumResponse(p)
			}
		})
		stub := syn.EncodeSessEnumResponse(p)
		b.Run("decode-"+syn.String(), func(b *testing.B) {
			b.SetBytes(int64(len(stub)))
			for b.Loop() {
				if _, err := syn.DecodeSessEnumResponse(stub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
