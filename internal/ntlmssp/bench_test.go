package ntlmssp_test

import (
	"testing"

	"github.com/sessionsim/sessionsim/internal/ntlmssp"
	"github.com/sessionsim/sessionsim/internal/ntlmssp/ntlmtest"
)

// BenchmarkAcceptor is the server's share of one NTLMv2 logon with MIC and key exchange
// (Challenge + Authenticate); BenchmarkInitiator is the client's share, measured alike, as the
// peer to compare with.
func BenchmarkAcceptor(b *testing.B) {
	cfg := testConfig()
	cfg.Rand = nil
	c := &ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "sessionsim"}
	neg := c.Negotiate()
	s := ntlmssp.NewServer(cfg)
	ch, err := s.Challenge(neg)
	if err != nil {
		b.Fatal(err)
	}
	auth, err := c.Authenticate(ch)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// A fresh server per logon; the same AUTHENTICATE does not verify against a new
		// challenge, so the server is primed with the recorded one through Rand.
		s := ntlmssp.NewServer(withChallenge(cfg, ch))
		if _, err := s.Challenge(neg); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Authenticate(auth); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInitiator(b *testing.B) {
	cfg := testConfig()
	cfg.Rand = nil
	ch, err := ntlmssp.NewServer(cfg).Challenge((&ntlmtest.Client{}).Negotiate())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c := &ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "sessionsim"}
		c.Negotiate()
		if _, err := c.Authenticate(ch); err != nil {
			b.Fatal(err)
		}
	}
}

// withChallenge makes Rand yield the server challenge of a recorded CHALLENGE_MESSAGE.
func withChallenge(cfg ntlmssp.Config, challenge []byte) ntlmssp.Config {
	cfg.Rand = &repeatReader{b: challenge[24:32]}
	return cfg
}

type repeatReader struct{ b []byte }

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.b)
	}
	return n, nil
}
