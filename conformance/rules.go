package conformance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Tier is how far a behaviour has been checked against a real server of a kind. The tiers are
// never blurred: a behaviour seen once in a Windows capture is not "verified", and one that
// only the documentation describes is "spec-only" however well sourced.
type Tier uint8

// The tiers, from none to the strongest.
const (
	// NotApplicable: the profile has no such behaviour (written "—").
	NotApplicable Tier = iota
	// SpecOnly: from the sources in BEHAVIOUR.md alone; no server of the kind was watched.
	SpecOnly
	// SeenInCapture: real Windows traffic from a public source shows it (BEHAVIOUR.md §14:
	// capture A, a real capture; B, a test vector that corroborates).
	SeenInCapture
	// VerifiedLive: this repository's CI checks it against a running Samba 4.17
	// (TestConformanceSamba), or a committed recording of a real server replays on the fake.
	VerifiedLive
)

func (t Tier) String() string {
	switch t {
	case NotApplicable:
		return "—"
	case SpecOnly:
		return "spec-only"
	case SeenInCapture:
		return "seen in a real Windows capture"
	case VerifiedLive:
		return "verified live"
	}
	return fmt.Sprintf("Tier(%d)", uint8(t))
}

// Evidence is a tier and what exactly backs it: which capture, build, level and what it
// shows, or what a live run checks.
type Evidence struct {
	Tier Tier
	Note string
}

func (e Evidence) String() string {
	if e.Note == "" || e.Tier == NotApplicable {
		return e.Tier.String()
	}
	return e.Tier.String() + ": " + e.Note
}

// Rule is one behaviour of the fidelity table: the rules of BEHAVIOUR.md it covers, what the
// fake does under each profile, the Profile field that switches it, and the evidence for each
// kind of server. The README's fidelity table is generated from Rules (FidelityTable), and the
// suite checks that every behaviour claimed verified on Samba is checked by a subtest.
type Rule struct {
	// ID names the behaviour; it stays the same when the text changes.
	ID string
	// Rules are the BEHAVIOUR.md rules it covers: "24", "Q4", "S11", "W6".
	Rules []string
	// Title says what the behaviour is about.
	Title string
	// Windows is what the `windows` and `windows-legacy` profiles do, Switch the Profile
	// fields that change it, OnWindows the evidence from real Windows.
	Windows   string
	Switch    string
	OnWindows Evidence
	// Samba is what the `samba` profile does, OnSamba the evidence from a live Samba.
	Samba   string
	OnSamba Evidence
}

// The captures, as the Windows evidence names them.
const (
	capA = "capture A (Windows 10 1903 client, Server 2019-family DC build 17763, level 10)"
	capB = "B (level 10, corroboration)"
)

var (
	specOnly   = Evidence{Tier: SpecOnly}
	live       = Evidence{Tier: VerifiedLive}
	noEvidence = Evidence{}
)

// Rules is the fidelity table, in the README's order.
var Rules = []Rule{
	{ID: "levels", Rules: []string{"10", "11", "51", "S2"}, Title: "valid levels",
		Windows: "Enum 0, 1, 2, 10, 502; GetInfo without 502; else `ERROR_INVALID_LEVEL`", Switch: "`EnumLevels`",
		OnWindows: Evidence{SeenInCapture, capA + " and " + capB + " answer level 10; every other level spec-only"},
		Samba:     "Enum 0 and 1 only (S2)", OnSamba: live},
	{ID: "level10-fields", Rules: []string{"38", "39", "40", "41", "42", "W2"}, Title: "fields per level",
		Windows: "each level's members, from the session", Switch: "—",
		OnWindows: Evidence{SeenInCapture, capA + ", " + capB + ": a level-10 entry carries cname, username, time, idle_time; levels 0, 1, 2, 502 spec-only"},
		Samba:     "levels 0 and 1 (S4-S6)", OnSamba: live},
	{ID: "check-order", Rules: []string{"Q3", "S1", "75"}, Title: "order of checks",
		Windows: "netapi32's own checks (level; GetInfo's two names), then server name and injected faults, then names, then access", Switch: "`AccessFirst`",
		OnWindows: specOnly, Samba: "access first (S1)", OnSamba: live},
	{ID: "enum-access", Rules: []string{"33", "34", "35", "36", "Q1", "Q2", "Q13", "65"}, Title: "who may enumerate",
		Windows: "`windows`: every level admin-only (Administrators, Server Operators); `windows-legacy`: 0 and 10 for authenticated users", Switch: "`Access` per level",
		OnWindows: specOnly, Samba: "BUILTIN\\Administrators only (S1)", OnSamba: live},
	{ID: "getinfo-access", Rules: []string{"55", "Q1"}, Title: "GetInfo levels 1 and 2 for users",
		Windows: "off", Switch: "`GetInfoLevels1And2ForUsers`", OnWindows: specOnly, Samba: "—", OnSamba: noEvidence},
	{ID: "del-access", Rules: []string{"63", "S13"}, Title: "who may delete",
		Windows: "Administrators, Server Operators", Switch: "`DelAccess`", OnWindows: specOnly,
		Samba: "Domain Admins only (S13)", OnSamba: live},
	{ID: "servername", Rules: []string{"1", "2", "W3"}, Title: "server name",
		Windows: "empty, or one of the fake's names with or without `\\\\`, any case", Switch: "`fake.WithName`",
		OnWindows: Evidence{SeenInCapture, capA + ": netapi32 sent `MORDORDC`, without `\\\\`"},
		Samba:     "same", OnSamba: Evidence{SpecOnly, "the server ignores it on the wire (rule 2); the suite cannot know a real server's other names"}},
	{ID: "empty-filters", Rules: []string{"3", "12", "W3"}, Title: "empty names are no filter",
		Windows: "`\"\"` is NULL: every client, every user", Switch: "—",
		OnWindows: Evidence{SeenInCapture, capA + ": ClientName and UserName went as non-NULL empty strings; the server listed every session"},
		Samba:     "same", OnSamba: Evidence{VerifiedLive, "for NULL: `sessionapi/srvsvc` sends an empty name as NULL"}},
	{ID: "unc-prefix", Rules: []string{"4"}, Title: "client name must start `\\\\`",
		Windows: "`NERR_InvalidComputer`", Switch: "`CheckNames`", OnWindows: specOnly,
		Samba: "not checked (S8)", OnSamba: live},
	{ID: "name-length", Rules: []string{"5", "59"}, Title: "names over 1,024 characters",
		Windows: "`ERROR_INVALID_PARAMETER`", Switch: "`MaxNameLength`, `CheckNames`", OnWindows: specOnly,
		Samba: "not checked", OnSamba: live},
	{ID: "filters", Rules: []string{"12", "13", "14", "15", "16", "Q3", "S8"}, Title: "filters",
		Windows: "client and user, case-insensitive; no match: `NERR_ClientNameNotFound` / `NERR_UserNotFound`; both given: `NERR_ClientNameNotFound`",
		Switch:  "`HonorFilters`, `CaseSensitiveNames`, `BothFiltersMiss`", OnWindows: specOnly,
		Samba: "ignored (S8)", OnSamba: live},
	{ID: "cname", Rules: []string{"43", "Q6", "S4", "W2"}, Title: "`sesi*_cname` form",
		Windows: "`\\\\` and the client's name as connected (an IPv4 address for a served client)", Switch: "`ClientNamePrefix`",
		OnWindows: Evidence{SeenInCapture, capA + ": `\\\\172.18.39.5`, the client's IPv4 address though it connected by name; " + capB + ": `\\\\100.100.100.51`"},
		Samba:     "bare name (S4)", OnSamba: live},
	{ID: "guests", Rules: []string{"48", "S4", "S6"}, Title: "guest and anonymous sessions",
		Windows: "user as seeded, flags as seeded", Switch: "`GuestUserName`", OnWindows: specOnly,
		Samba: "user `nobody`, `SESS_GUEST`", OnSamba: live},
	{ID: "times", Rules: []string{"45", "46", "47", "S5", "W1"}, Title: "`num_opens`, `time`, `idle_time`",
		Windows: "open files (served: a client's open pipes count too); from the fake clock", Switch: "`IdleAlwaysZero`, `PipesCountAsOpens`",
		OnWindows: Evidence{SeenInCapture, capA + ": the caller's own session at time 0, idle_time 0; num_opens spec-only"},
		Samba:     "idle always 0 (S5); an open pipe is not counted", OnSamba: Evidence{VerifiedLive, "`num_opens` (the pipe not counted: `TestDifferentialSamba`), idle 0"}},
	{ID: "noencryption", Rules: []string{"48", "S6"}, Title: "`SESS_NOENCRYPTION`",
		Windows: "passed through", Switch: "`ReportNoEncryption`", OnWindows: specOnly,
		Samba: "never set (S6)", OnSamba: Evidence{SpecOnly, "seen once by hand (S6); CI seeds no unencrypted session"}},
	{ID: "own-session", Rules: []string{"W1", "S7"}, Title: "the caller's own session",
		Windows: "not listed for an in-process client; the served fake lists every real session, the caller's included", Switch: "`ListCallerSession`",
		OnWindows: Evidence{SeenInCapture, capA + ": the only entry was the caller's own"},
		Samba:     "same switch", OnSamba: Evidence{VerifiedLive, "listed (S7); the live harness reports it with `Observed.Seeded` false"}},
	{ID: "prefmaxlen", Rules: []string{"17", "18", "19", "20", "Q5", "S9"}, Title: "`prefmaxlen` packing",
		Windows: "x64 structure sizes plus UTF-16 strings with NUL; no partial entries; fewer than one entry: 0 entries and `ERROR_MORE_DATA`",
		Switch:  "`Arch`, `TooSmall`", OnWindows: specOnly, Samba: "ignored (S9)", OnSamba: live},
	{ID: "totalentries", Rules: []string{"11", "23", "S10"}, Title: "`totalentries`",
		Windows: "matching entries from the resume position", Switch: "`TotalFromResume`", OnWindows: specOnly,
		Samba: "all sessions (S10)", OnSamba: live},
	{ID: "resume", Rules: []string{"24", "25", "26", "27", "28", "30", "31", "32", "Q4", "S11", "W6"}, Title: "resume handle",
		Windows: "after `ERROR_MORE_DATA`: list positions consumed (never 0); after `NERR_Success`: the session count, never 0, and a call with it gets `NERR_Success` and nothing (rule 27)",
		Switch:  "`Resume`, `ZeroResumeAfterSuccess` (0 after success, the old rule)",
		OnWindows: Evidence{SeenInCapture, capA + ": 18 after `NERR_Success` with its one entry; " + capB + ": 7. " +
			"This contradicts the fake's old rule of 0 after success; after `ERROR_MORE_DATA` still spec-only"},
		Samba: "S11", OnSamba: live},
	{ID: "churn", Rules: []string{"29"}, Title: "sessions changing between pages",
		Windows: "a session that ends behind the handle makes the pass skip the next one; with `NewSessionsFirst` a new session repeats the previous page's last entry and is missed by that pass; `sessionapi/pager` says what it costs to catch up",
		Switch:  "`NewSessionsFirst`", OnWindows: specOnly, Samba: "—", OnSamba: noEvidence},
	{ID: "getinfo", Rules: []string{"51", "52", "53", "54", "56", "S8"}, Title: "GetInfo",
		Windows: "level and both names checked first, then an enumeration with both filters, first entry", Switch: "—",
		OnWindows: specOnly, Samba: "first session of all (S8)", OnSamba: live},
	{ID: "del", Rules: []string{"57", "58", "59", "60", "61", "62", "Q8", "S14", "S15", "S16"}, Title: "Del",
		Windows: "every match; neither name: `ERROR_INVALID_PARAMETER`; no match, or a client name without `\\\\`: `NERR_ClientNameNotFound`",
		Switch:  "`DelBothEmpty`, `DelNoMatch`, `DelStripsPrefix`", OnWindows: specOnly,
		Samba: "both empty deletes all; no match `ERROR_ACCESS_DENIED`; one `\\\\` stripped (S14-S16)", OnSamba: live},
	{ID: "del-gone", Rules: []string{"S17"}, Title: "sessions gone after Del",
		Windows: "at once", Switch: "—", OnWindows: specOnly,
		Samba: "after a few ms", OnSamba: Evidence{VerifiedLive, "with a bounded wait"}},
	{ID: "unknown-server", Rules: []string{"Q10"}, Title: "unknown server name",
		Windows: "`ERROR_BAD_NETPATH`; faults do not fire", Switch: "`UnknownServer`", OnWindows: specOnly,
		Samba: "same", OnSamba: Evidence{NotApplicable, "client side"}},
	{ID: "error-outputs", Rules: []string{"Q11", "S3"}, Title: "outputs on error",
		Windows: "no entries, resume handle untouched (the Go API returns the error)", Switch: "—", OnWindows: specOnly,
		Samba: "S3: level echoed, empty", OnSamba: Evidence{VerifiedLive, "partly: the portable API shows no entries and the handle"}},
	{ID: "ndr64", Rules: []string{"W4", "W5"}, Title: "NDR64 and the bind",
		Windows: "the served fake accepts a bind offering NDR32, NDR64 and feature negotiation, as `golden/windows-wire` replays", Switch: "—",
		OnWindows: Evidence{SeenInCapture, capA + ": the server rejected NDR32, accepted NDR64 and acknowledged feature negotiation 0x3; the call went by FSCTL_PIPE_TRANSCEIVE"},
		Samba:     "—", OnSamba: noEvidence},
}

// FidelityTable renders Rules as the README's fidelity table (Markdown).
func FidelityTable() string {
	var b strings.Builder
	b.WriteString("| behaviour (rules) | `windows` / `windows-legacy` profiles | switch (`fake.Profile`) | evidence from Windows | `samba` profile | evidence from Samba 4.17 |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range Rules {
		fmt.Fprintf(&b, "| %s (%s) | %s | %s | %s | %s | %s |\n", r.Title, strings.Join(r.Rules, ", "),
			r.Windows, r.Switch, r.OnWindows, r.Samba, r.OnSamba)
	}
	return b.String()
}

// citations say which BEHAVIOUR.md rules each subtest checks, by patterns over the subtest
// names (anchored regular expressions).
var citations = []struct {
	pattern *regexp.Regexp
	rules   []string
}{
	{regexp.MustCompile(`^Enum/Level\d+/AllSessions$`), []string{"3", "10", "11", "12", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48", "Q6", "S2", "S4", "S5", "S6", "S7", "S8", "S10", "W1", "W2", "W3"}},
	{regexp.MustCompile(`^Enum/Flags/Guest/`), []string{"48", "S4", "S6"}},
	{regexp.MustCompile(`^Enum/InvalidLevel/`), []string{"10", "Q11", "S2", "S3"}},
	{regexp.MustCompile(`^Enum/NoSeeds$`), []string{"15", "W1", "S7"}},
	{regexp.MustCompile(`^Enum/Access/`), []string{"33", "34", "35", "36", "37", "65", "Q1", "Q2", "Q11", "Q13", "S1", "S3"}},
	{regexp.MustCompile(`^Enum/CheckOrder/`), []string{"4", "5", "75", "Q3", "S1"}},
	{regexp.MustCompile(`^Enum/Filter/`), []string{"3", "4", "5", "12", "13", "14", "16", "Q3", "Q6", "S8"}},
	{regexp.MustCompile(`^Enum/Level\d+/MoreData/`), []string{"17", "18", "19", "20", "23", "24", "25", "26", "27", "28", "Q4", "Q5", "S9", "S10", "S11", "W6"}},
	{regexp.MustCompile(`^Enum/PrefMaxLen/`), []string{"17", "18", "19", "20", "Q5", "Q12", "S9"}},
	{regexp.MustCompile(`^Enum/Resume/`), []string{"23", "24", "25", "26", "27", "32", "Q4", "S10", "S11", "W6"}},
	{regexp.MustCompile(`^Enum/Resume/Null`), []string{"30"}},
	{regexp.MustCompile(`^Enum/Paging/`), []string{"24", "28", "76", "S7", "S9", "S11"}},
	{regexp.MustCompile(`^GetInfo/`), []string{"52", "53", "54", "56", "S8"}},
	{regexp.MustCompile(`^GetInfo/(Level|InvalidLevel)`), []string{"51"}},
	{regexp.MustCompile(`^GetInfo/Access/`), []string{"55", "Q1", "Q13", "S1"}},
	{regexp.MustCompile(`^GetInfo/(TooLong|NoPrefix|CaseInsensitive|NoMatch)`), []string{"4", "5", "13", "14", "Q6"}},
	{regexp.MustCompile(`^Del/`), []string{"57", "60", "61", "62", "Q8", "S14", "S15", "S16", "S17", "64"}},
	{regexp.MustCompile(`^Del/(Neither|NoMatch)`), []string{"58"}},
	{regexp.MustCompile(`^Del/(NoPrefix|TooLong|MaxLength|PrefixOnly)`), []string{"59"}},
	{regexp.MustCompile(`^Del/(Access|CheckOrder)`), []string{"63", "S13"}},
}

// RulesOf returns the BEHAVIOUR.md rules a subtest checks (see Subtests), sorted as
// BEHAVIOUR.md orders them; none for a name that is not a subtest.
func RulesOf(subtest string) []string {
	if !slices.Contains(Subtests(), subtest) {
		return nil
	}
	var out []string
	for _, c := range citations {
		if c.pattern.MatchString(subtest) {
			for _, r := range c.rules {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	slices.SortFunc(out, compareRuleIDs)
	return out
}

// compareRuleIDs orders rule ids as BEHAVIOUR.md does: 1-84, Q1-Q13, S1-S17, W1-W6.
func compareRuleIDs(a, b string) int {
	series := func(id string) (int, int) {
		var n int
		s := 0
		switch {
		case strings.HasPrefix(id, "Q"):
			s, id = 1, id[1:]
		case strings.HasPrefix(id, "S"):
			s, id = 2, id[1:]
		case strings.HasPrefix(id, "W"):
			s, id = 3, id[1:]
		}
		fmt.Sscanf(id, "%d", &n)
		return s, n
	}
	sa, na := series(a)
	sb, nb := series(b)
	if sa != sb {
		return sa - sb
	}
	return na - nb
}
