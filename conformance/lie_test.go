package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionsim/sessionsim/fake"
	"github.com/sessionsim/sessionsim/sessionapi"
)

// lieEnv names the lie TestLiar tells, in the child process TestSuiteCatchesLies starts.
const lieEnv = "SESSIONSIM_CONFORMANCE_LIE"

// lie is a harness that claims one profile and runs a fake with another: a server that
// does not behave as it says.
type lie struct {
	name   string // "windows/HonorFilters=false"
	claim  string // the profile claimed
	mutate func(*fake.Profile)
	// claimMutate, when set, changes the claimed profile first (the actual one starts from it).
	claimMutate func(*fake.Profile)
	// wrap, when set, wraps the harness: a harness that misreports, not a server that lies.
	wrap    func(Harness) Harness
	mustErr []string // subtests that must fail
	mustOK  []string // subtests that must still pass (the lie is caught where it shows, not everywhere)
}

var lies = []lie{
	{name: "windows-legacy/GetInfoLevels1And2ForUsers=true", claim: "windows-legacy",
		mutate:  func(p *fake.Profile) { p.GetInfoLevels1And2ForUsers = true },
		mustErr: []string{"GetInfo/Access/User/Level1", "GetInfo/Access/User/Level2"},
		mustOK:  []string{"GetInfo/Access/User/Level10", "GetInfo/Access/Guest/Level1", "Enum/Access/User/Level1"}},
	{name: "windows/HonorFilters=false", claim: "windows",
		mutate:  func(p *fake.Profile) { p.HonorFilters = false },
		mustErr: []string{"Enum/Filter/Client/Match", "Enum/Filter/User/NoMatch", "Enum/Filter/Both/NoMatch", "GetInfo/NoMatch/Pair", "Enum/Level10/MoreData/PartialResult"},
		mustOK:  []string{"Enum/Level10/AllSessions", "Del/ByClient", "Enum/InvalidLevel/3"}},
	{name: "windows/TotalFromResume=false", claim: "windows",
		mutate:  func(p *fake.Profile) { p.TotalFromResume = false },
		mustErr: []string{"Enum/Level10/MoreData/ResumeAdvances", "Enum/Resume/Middle", "Enum/Filter/User/Match"},
		mustOK:  []string{"Enum/Level10/AllSessions", "Enum/Filter/User/NoMatch"}},
	{name: "windows/ClientNamePrefix=false", claim: "windows",
		mutate:  func(p *fake.Profile) { p.ClientNamePrefix = false },
		mustErr: []string{"Enum/Level0/AllSessions", "Enum/Level502/AllSessions", "GetInfo/Level10"},
		mustOK:  []string{"Enum/InvalidLevel/3", "Enum/Filter/User/NoMatch", "GetInfo/MissingBoth"}},
	{name: "windows/BothFiltersMiss=NERR_UserNotFound", claim: "windows",
		mutate:  func(p *fake.Profile) { p.BothFiltersMiss = sessionapi.NERR_UserNotFound },
		mustErr: []string{"Enum/Filter/Both/NoMatch", "GetInfo/NoMatch/Client"},
		mustOK:  []string{"Enum/Filter/Client/NoMatch", "Enum/Filter/User/NoMatch"}},
	{name: "windows/Arch=x86", claim: "windows",
		mutate:  func(p *fake.Profile) { p.Arch = sessionapi.X86 },
		mustErr: []string{"Enum/Level0/MoreData/PartialResult", "Enum/PrefMaxLen/OneByteShort"},
		mustOK:  []string{"Enum/Level10/AllSessions"}},
	{name: "windows/HonorPrefMaxLen=false", claim: "windows",
		mutate:  func(p *fake.Profile) { p.HonorPrefMaxLen = false },
		mustErr: []string{"Enum/Level1/MoreData/ResumeAdvances", "Enum/PrefMaxLen/TooSmall"},
		mustOK:  []string{"Enum/PrefMaxLen/ExactFit", "Enum/Paging/EachOnce/MaxPrefMaxLen"}},
	{name: "windows/TooSmall=OneEntry", claim: "windows",
		mutate:  func(p *fake.Profile) { p.TooSmall = fake.TooSmallOneEntry },
		mustErr: []string{"Enum/PrefMaxLen/TooSmall"},
		mustOK:  []string{"Enum/Level10/MoreData/ResumeAdvances"}},
	{name: "windows/Resume=Samba", claim: "windows",
		mutate: func(p *fake.Profile) { p.Resume = fake.ResumeSamba },
		// After a complete answer both leave the session count: only paging tells them apart.
		mustErr: []string{"Enum/Level10/MoreData/ResumeAdvances", "Enum/NoSeeds", "Enum/PrefMaxLen/TooSmall"},
		mustOK:  []string{"Enum/Resume/Null", "Enum/Level10/AllSessions"}},
	{name: "windows/CheckNames=false", claim: "windows",
		mutate:  func(p *fake.Profile) { p.CheckNames = false },
		mustErr: []string{"Enum/Filter/Client/NoPrefix", "Enum/Filter/User/TooLong", "Del/TooLong/Client", "GetInfo/NoPrefix"},
		mustOK:  []string{"Enum/Filter/Client/MaxLength", "Del/NoPrefix"}},
	{name: "windows/CaseSensitiveNames=true", claim: "windows",
		mutate:  func(p *fake.Profile) { p.CaseSensitiveNames = true },
		mustErr: []string{"Enum/Filter/Client/CaseInsensitive", "Enum/Filter/User/CaseInsensitive", "Del/CaseInsensitive", "GetInfo/CaseInsensitive"},
		mustOK:  []string{"Enum/Filter/Client/Match"}},
	{name: "windows/Level10 open to users", claim: "windows",
		mutate: func(p *fake.Profile) {
			p.Access.Level10 = fake.RolesOf(fake.Administrator, fake.DomainAdmin, fake.ServerOperator, fake.User)
		},
		mustErr: []string{"Enum/Access/User/Level10", "GetInfo/Access/User/Level10"},
		mustOK:  []string{"Enum/Access/User/Level1", "Enum/Access/Administrator/Level10"}},
	{name: "windows/no level 502", claim: "windows",
		mutate:  func(p *fake.Profile) { p.EnumLevels = []sessionapi.Level{0, 1, 2, 10} },
		mustErr: []string{"Enum/Level502/AllSessions", "Enum/Access/Administrator/Level502"},
		mustOK:  []string{"GetInfo/Level502", "Enum/Level2/AllSessions"}},
	{name: "windows/DelAccess for users", claim: "windows",
		mutate:  func(p *fake.Profile) { p.DelAccess |= fake.RolesOf(fake.User) },
		mustErr: []string{"Del/Access/User", "Del/CheckOrder/NoMatch/User"},
		mustOK:  []string{"Del/Access/Administrator"}},
	{name: "windows/DelBothEmpty=NERR_Success", claim: "windows",
		mutate:  func(p *fake.Profile) { p.DelBothEmpty = sessionapi.NERR_Success },
		mustErr: []string{"Del/Neither"},
		mustOK:  []string{"Del/ByBoth"}},
	{name: "windows/DelNoMatch=ERROR_ACCESS_DENIED", claim: "windows",
		mutate:  func(p *fake.Profile) { p.DelNoMatch = sessionapi.ERROR_ACCESS_DENIED },
		mustErr: []string{"Del/NoMatch/Client", "Del/NoMatch/User", "Del/Twice"},
		mustOK:  []string{"Del/ByClient"}},
	{name: "windows/DelStripsPrefix=true", claim: "windows",
		mutate:  func(p *fake.Profile) { p.DelStripsPrefix = true },
		mustErr: []string{"Del/NoPrefix", "Del/PrefixOnlyWithUser"},
		mustOK:  []string{"Del/ByClient"}},
	{name: "windows/ZeroResumeAfterSuccess=true", claim: "windows",
		mutate: func(p *fake.Profile) { p.ZeroResumeAfterSuccess = true },
		mustErr: []string{"Enum/Level10/AllSessions", "Enum/Resume/AfterSuccess", "Enum/Level10/MoreData/ResumeAdvances",
			"Enum/Resume/Middle"},
		// sessionapi.All stops on the status, so a collection sees no difference.
		mustOK: []string{"Enum/Resume/Null", "Enum/InvalidLevel/3", "Enum/Resume/PastEnd", "Enum/Paging/EachOnce/MaxPrefMaxLen"}},
	{name: "windows+ZeroResumeAfterSuccess/ZeroResumeAfterSuccess=false", claim: "windows",
		claimMutate: func(p *fake.Profile) { p.ZeroResumeAfterSuccess = true },
		mutate:      func(p *fake.Profile) { p.ZeroResumeAfterSuccess = false },
		mustErr:     []string{"Enum/Level10/AllSessions", "Enum/Resume/AfterSuccess", "Enum/Resume/PastEnd"},
		mustOK:      []string{"Enum/Resume/Null", "Enum/InvalidLevel/3"}},
	{name: "windows+ListCallerSession/Sessions hides the callers' sessions", claim: "windows",
		claimMutate: func(p *fake.Profile) { p.ListCallerSession = true },
		mutate:      func(*fake.Profile) {},
		wrap:        func(h Harness) Harness { return hidesOwn{h} },
		mustErr:     []string{"Enum/Level10/AllSessions", "Enum/NoSeeds", "Del/ByClient"},
		mustOK:      []string{"Enum/InvalidLevel/3", "Enum/Access/User/Level10", "Enum/Filter/Client/Match"}},
	{name: "samba/AccessFirst=false", claim: "samba",
		mutate:  func(p *fake.Profile) { p.AccessFirst = false },
		mustErr: []string{"Enum/CheckOrder/InvalidLevel/User", "Enum/Access/User/Level2"},
		mustOK:  []string{"Enum/Access/User/Level0", "Enum/Level1/AllSessions"}},
	{name: "samba/IdleAlwaysZero=false", claim: "samba",
		mutate:  func(p *fake.Profile) { p.IdleAlwaysZero = false },
		mustErr: []string{"Enum/Level1/AllSessions"},
		mustOK:  []string{"Enum/Level0/AllSessions"}},
	{name: "samba/HonorFilters=true", claim: "samba",
		mutate:  func(p *fake.Profile) { p.HonorFilters = true },
		mustErr: []string{"Enum/Filter/Client/Match", "GetInfo/NoMatch/Pair"},
		mustOK:  []string{"Enum/Level1/AllSessions", "Del/ByClient"}},
	{name: "samba/Resume=Positions", claim: "samba",
		mutate:  func(p *fake.Profile) { p.Resume = fake.ResumePositions },
		mustErr: []string{"Enum/Resume/AtEnd", "Enum/Level1/MoreData/ResumeAdvances", "Enum/Resume/AfterSuccess"},
		mustOK:  []string{"Enum/Resume/Null"}},
}

// hidesOwn is a harness that leaves its callers' own sessions out of Sessions.
type hidesOwn struct{ Harness }

func (h hidesOwn) Sessions(ctx context.Context) ([]Observed, error) {
	all, err := h.Harness.Sessions(ctx)
	var seeded []Observed
	for _, o := range all {
		if o.Seeded {
			seeded = append(seeded, o)
		}
	}
	return seeded, err
}

// liar is a FakeHarness with a profile other than the one it claims.
type liar struct {
	Harness
	claim fake.Profile
}

func (l liar) Profile() fake.Profile { return l.claim }

// TestLiar runs the suite against a lying harness. It is the child process of
// TestSuiteCatchesLies and does nothing on its own.
func TestLiar(t *testing.T) {
	name := os.Getenv(lieEnv)
	if name == "" {
		t.Skip("runs as the child of TestSuiteCatchesLies, with " + lieEnv + " set")
	}
	for _, l := range lies {
		if l.name != name {
			continue
		}
		claim, err := fake.ProfileByName(l.claim)
		require.NoError(t, err)
		if l.claimMutate != nil {
			l.claimMutate(&claim)
		}
		actual := claim
		actual.EnumLevels = append([]sessionapi.Level(nil), claim.EnumLevels...)
		l.mutate(&actual)
		inner := FakeHarness(actual)
		Run(t, func(ctx context.Context) (Harness, error) {
			h, err := inner(ctx)
			if err == nil && l.wrap != nil {
				h = l.wrap(h)
			}
			return liar{Harness: h, claim: claim}, err
		})
		return
	}
	t.Fatalf("%s=%q names no lie", lieEnv, name)
}

var outcomeLine = regexp.MustCompile(`--- (PASS|FAIL|SKIP): TestLiar/(\S+)`)

// TestSuiteCatchesLies proves the suite is not vacuous: a fake whose profile differs from the
// claimed one in one field must fail the subtests about that field, and still pass others.
// Each lie runs in a child process (this test binary, -test.run=^TestLiar$), so that the
// failures it must produce do not fail this run.
func TestSuiteCatchesLies(t *testing.T) {
	if os.Getenv(lieEnv) != "" {
		t.Skip("in the child process")
	}
	for _, l := range lies {
		t.Run(strings.ReplaceAll(l.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLiar$", "-test.v", "-test.count=1")
			// The child's runs fail on purpose: keep them out of the CI report.
			cmd.Env = append(os.Environ(), lieEnv+"="+l.name, ReportEnv+"=")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite passed a harness that lies (%s):\n%s", l.name, out.String())

			outcome := map[string]string{}
			sc := bufio.NewScanner(&out)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if m := outcomeLine.FindStringSubmatch(sc.Text()); m != nil {
					outcome[m[2]] = m[1]
				}
			}
			require.NotEmpty(t, outcome, "no subtest outcome in the child's output:\n%s", out.String())
			for _, name := range l.mustErr {
				assert.Equal(t, "FAIL", outcome[name], "subtest %s against a harness that lies (%s)", name, l.name)
			}
			for _, name := range l.mustOK {
				assert.Equal(t, "PASS", outcome[name], "subtest %s against a harness that lies (%s)", name, l.name)
			}
			var failed []string
			for name, o := range outcome {
				if o == "FAIL" {
					failed = append(failed, name)
				}
			}
			t.Logf("%s: %d of %d subtests fail", l.name, len(failed), len(outcome))
			if testing.Verbose() && len(failed) > 0 {
				t.Log(fmt.Sprint(len(failed), " failed: ", strings.Join(failed, " ")))
			}
		})
	}
}
