package fake

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// Profile describes how a kind of server answers. Its fields are the behaviours on which
// servers differ or on which the sources are silent (spec §12); each open question has a
// documented default in the Windows profiles and is one field away from the alternative:
//
//	p := fake.Windows()
//	p.BothFiltersMiss = sessionapi.NERR_UserNotFound // spec §12 Q3
//	srv := fake.New(fake.WithProfile(p))
//
// The conformance suite reads the same fields to know what to expect of a real server that
// claims the profile.
type Profile struct {
	// Name is "windows", "windows-legacy" or "samba" for the built-ins.
	Name string
	// Description says in a line what the profile models.
	Description string

	// EnumLevels are the levels the server implements for NetSessionEnum; any other level gets
	// ERROR_INVALID_LEVEL. (Windows: 0, 1, 2, 10, 502. Samba: 0 and 1, S2.)
	EnumLevels []sessionapi.Level
	// Access says who may enumerate at each level (NetSessionGetInfo uses the same rule, spec
	// rule 56).
	Access LevelAccess
	// DelAccess says who may call NetSessionDel (spec rule 63; Samba S13).
	DelAccess RoleSet
	// GetInfoLevels1And2ForUsers lets every authenticated user (not guests or anonymous
	// callers) call NetSessionGetInfo at levels 1 and 2, as W-GET says of member servers and
	// workstations, against its own admin-only sentence (spec rule 55, §12 Q1 and Q13). Default
	// false: GetInfo follows Access, being an enumeration on the wire (rule 56).
	GetInfoLevels1And2ForUsers bool
	// AccessFirst checks access before the level and the names, as Samba does (S1). When false
	// the level is checked first (netapi32 checks it before any RPC, spec rule 75), then the
	// names, then access. Spec §12 Q3 leaves the order open; default false for Windows.
	AccessFirst bool

	// CheckNames applies the name rules: a ClientName must begin with `\\` (spec rule 4) and
	// no name may exceed MaxNameLength (rule 5). Samba applies neither (S8: filters ignored).
	CheckNames bool
	// MaxNameLength is the longest ClientName or UserName in UTF-16 units, terminator
	// included: 1,024 (spec rule 5).
	MaxNameLength int

	// HonorFilters applies the client and user qualifiers (spec rule 13). Samba ignores them (S8).
	HonorFilters bool
	// BothFiltersMiss is the status when both qualifiers are given and nothing matches; the
	// protocol allows NERR_UserNotFound or NERR_ClientNameNotFound (spec §12 Q3). Default
	// NERR_ClientNameNotFound.
	BothFiltersMiss sessionapi.Status
	// CaseSensitiveNames matches client and user names exactly; default false: Windows names
	// are case-insensitive, and Samba matches case-insensitively (S15, spec §12 Q6).
	CaseSensitiveNames bool

	// HonorPrefMaxLen packs entries into prefmaxlen bytes and answers ERROR_MORE_DATA (spec
	// rules 17-20). Samba ignores prefmaxlen (S9).
	HonorPrefMaxLen bool
	// Arch is the structure layout counted against prefmaxlen (spec §12 Q5). Default X64.
	Arch sessionapi.Arch
	// TooSmall is what happens when prefmaxlen is smaller than the first entry (spec §12 Q5).
	TooSmall TooSmallRule

	// Resume is how the resume handle moves (spec §5.4 and §12 Q4; Samba S11).
	Resume ResumeRule
	// ZeroResumeAfterSuccess makes a ResumePositions server reset the handle to 0 when it
	// answers NERR_Success, the rule the fake had before real Windows traffic showed
	// otherwise (capture A: 18 after the last entry). Default false: Windows leaves a
	// non-zero handle (see ResumePositions), and a client that loops until the handle reads
	// 0 never ends there. Set it to test code written for that older fake, or to model a
	// server that does reset it.
	ZeroResumeAfterSuccess bool
	// TotalFromResume counts totalentries from the resume position (spec rule 23); Samba
	// counts every session (S10).
	TotalFromResume bool
	// NewSessionsFirst puts new sessions at the front of the session list instead of the end.
	// With it, a session that connects while a client pages shifts the list under the resume
	// handle by one: the next page starts with the last entry of the previous page again (a
	// duplicate), and the new session itself is not seen in that pass, being in front of the
	// handle (spec rule 29). Default false: new sessions go last, where a pass that has not
	// reached the end yet sees them.
	//
	// Either way a session that ends behind the handle (at a position already returned)
	// shifts the list the other way: the first session the next page would have returned
	// moves to the position just returned, and the pass skips it, though it lived throughout.
	// See "Sessions that change while a client pages" in the package doc for the size of
	// the effect.
	NewSessionsFirst bool

	// ListCallerSession lists the caller's own session, as a real server does (capture A's
	// only entry is the caller's own, time 0, idle 0): a call from a Caller that has no
	// session of its own (Caller.Session zero) makes the fake connect one for it at its first
	// call that reaches the server — client Caller.ClientName (DefaultCallerClient,
	// "127.0.0.1", when empty), user Caller.Name — and every later call is activity on it
	// (idle 0 at the call). A Del that ends it ends it; the caller's next call connects
	// again, as a real client would.
	//
	// Default false in every built-in profile: an in-process client makes no connection, and
	// tests count the sessions they seeded. Turn it on to test that a collector drops its own
	// session (as SharpHound drops its own user: match the entry's user to the account the
	// collector runs as, and its client to the collector's address). The SMB server mode
	// lists real sessions, the caller's included, whatever this says.
	ListCallerSession bool

	// ClientNamePrefix prefixes sesi*_cname with `\\` (spec §12 Q6: what clients observe on
	// Windows). Samba returns the bare name (S4).
	ClientNamePrefix bool
	// GuestUserName, when set, replaces the user name of guest and anonymous sessions and
	// marks them SESS_GUEST, as Samba shows them ("nobody", S4 and S6).
	GuestUserName string
	// IdleAlwaysZero reports idle_time as 0, as Samba does (S5).
	IdleAlwaysZero bool
	// ReportNoEncryption passes SESS_NOENCRYPTION through; Samba never sets it (S6).
	ReportNoEncryption bool
	// PipesCountAsOpens makes an open named pipe count in sesi*_num_opens. The fake itself
	// counts only what OpenFile says; the SMB server mode (smbserver) asks this field whether a
	// client's \PIPE\srvsvc open is one. Samba 4.17 counts files only, never pipes (its
	// listing of the caller's own session shows num_opens 0 with the pipe open, seen live in
	// smbserver/interop's differential test). For Windows the field is true, the reading of
	// MS-SRVS ("files, devices, and pipes" opened) that no capture has checked yet.
	PipesCountAsOpens bool

	// DelBothEmpty is the status when NetSessionDel gets neither name (spec rule 58, §12 Q8);
	// NERR_Success means "delete every session", as Samba does (S16). Default
	// ERROR_INVALID_PARAMETER.
	DelBothEmpty sessionapi.Status
	// DelNoMatch is the status when nothing matched: NERR_ClientNameNotFound on Windows (spec
	// rule 61), ERROR_ACCESS_DENIED on Samba (S14). NERR_Success answers success.
	DelNoMatch sessionapi.Status
	// DelStripsPrefix accepts a client name with or without one leading `\\`, as Samba does
	// (S15); when false a name without it gets NERR_ClientNameNotFound (spec rule 59).
	DelStripsPrefix bool

	// UnknownServer is the status for a server name the fake does not answer to (spec §12
	// Q10). Default ERROR_BAD_NETPATH.
	UnknownServer sessionapi.Status
}

// LevelAccess says who may call at each level.
type LevelAccess struct {
	Level0, Level1, Level2, Level10, Level502 RoleSet
}

// For returns the roles allowed at a level (none for an unknown level).
func (a LevelAccess) For(l sessionapi.Level) RoleSet {
	switch l {
	case sessionapi.Level0:
		return a.Level0
	case sessionapi.Level1:
		return a.Level1
	case sessionapi.Level2:
		return a.Level2
	case sessionapi.Level10:
		return a.Level10
	case sessionapi.Level502:
		return a.Level502
	}
	return 0
}

// TooSmallRule is what NetSessionEnum does when not even one entry fits in prefmaxlen.
type TooSmallRule uint8

// The choices for spec §12 Q5.
const (
	// TooSmallMoreData returns no entries and ERROR_MORE_DATA, the resume handle unchanged:
	// the literal reading of "the maximum number of entries that fit" (spec rule 18). Default.
	TooSmallMoreData TooSmallRule = iota
	// TooSmallOneEntry returns the first entry anyway, and ERROR_MORE_DATA if more remain.
	TooSmallOneEntry
	// TooSmallBufTooSmall fails with NERR_BufTooSmall (spec §12 Q12).
	TooSmallBufTooSmall
)

// ResumeRule is how the resume handle moves.
type ResumeRule uint8

// The choices.
const (
	// ResumePositions (Windows default, spec §12 Q4): on ERROR_MORE_DATA the handle becomes
	// the number of session-list positions consumed so far (a 1-based index: never 0, which
	// would restart). On NERR_Success it is the positions consumed by the whole pass, which
	// is the session list's length, and at least 1: never 0 (Windows' own value is its own: 18
	// in capture A and 7 in B, each with one session). A later call with that handle starts
	// at the end and gets NERR_Success with no entries (spec rule 27), the handle unchanged.
	// Profile.ZeroResumeAfterSuccess brings back 0 after success. Either way, stop paging on
	// the status, never on the handle.
	ResumePositions ResumeRule = iota
	// ResumeSamba (S11): the handle is where to start; out it is the total when entries were
	// returned from k < total, 0 when k ≥ total; a NULL handle stays NULL.
	ResumeSamba
)

var (
	admins    = RolesOf(Administrator, DomainAdmin, ServerOperator)
	authUsers = RolesOf(Administrator, DomainAdmin, ServerOperator, User)
)

// Windows is the default profile: Windows 10 1607 and Server 2019 and later, where every level,
// 0 and 10 included, is for Administrators and Server Operators only (spec rule 34).
func Windows() Profile {
	return Profile{
		Name:               "windows",
		Description:        "Windows 10 1607 / Server 2019 and later: every level admin-only",
		EnumLevels:         sessionapi.Levels(),
		Access:             LevelAccess{Level0: admins, Level1: admins, Level2: admins, Level10: admins, Level502: admins},
		DelAccess:          admins,
		CheckNames:         true,
		MaxNameLength:      1024,
		HonorFilters:       true,
		BothFiltersMiss:    sessionapi.NERR_ClientNameNotFound,
		HonorPrefMaxLen:    true,
		Arch:               sessionapi.X64,
		TooSmall:           TooSmallMoreData,
		Resume:             ResumePositions,
		TotalFromResume:    true,
		ClientNamePrefix:   true,
		ReportNoEncryption: true,
		PipesCountAsOpens:  true,
		DelBothEmpty:       sessionapi.ERROR_INVALID_PARAMETER,
		DelNoMatch:         sessionapi.NERR_ClientNameNotFound,
		UnknownServer:      sessionapi.ERROR_BAD_NETPATH,
	}
}

// WindowsLegacy is Windows before the 1607 hardening: levels 0 and 10 are open to every
// authenticated user (not guests or anonymous callers), levels 1, 2 and 502 to Administrators
// and Server Operators (spec rules 33-35).
func WindowsLegacy() Profile {
	p := Windows()
	p.Name = "windows-legacy"
	p.Description = "Windows before 10 1607 / Server 2019: levels 0 and 10 open to authenticated users"
	p.Access.Level0 = authUsers
	p.Access.Level10 = authUsers
	return p
}

// Samba is Samba's smbd (source3) as observed live on 4.17 (spec §13, S1-S17): levels 0 and 1
// for BUILTIN\Administrators only, filters and prefmaxlen ignored, Del for Domain Admins.
func Samba() Profile {
	return Profile{
		Name:            "samba",
		Description:     "Samba 4.17 smbd as observed live (spec §13)",
		EnumLevels:      []sessionapi.Level{sessionapi.Level0, sessionapi.Level1},
		Access:          LevelAccess{Level0: RolesOf(Administrator, DomainAdmin), Level1: RolesOf(Administrator, DomainAdmin)},
		DelAccess:       RolesOf(DomainAdmin),
		AccessFirst:     true,
		Arch:            sessionapi.X64,
		Resume:          ResumeSamba,
		GuestUserName:   "nobody",
		IdleAlwaysZero:  true,
		DelBothEmpty:    sessionapi.NERR_Success,
		DelNoMatch:      sessionapi.ERROR_ACCESS_DENIED,
		DelStripsPrefix: true,
		UnknownServer:   sessionapi.ERROR_BAD_NETPATH,
	}
}

// Profiles returns the built-in profiles by name.
func Profiles() map[string]Profile {
	return map[string]Profile{"windows": Windows(), "windows-legacy": WindowsLegacy(), "samba": Samba()}
}

// ProfileNames lists the built-in profile names, sorted.
func ProfileNames() []string { return []string{"samba", "windows", "windows-legacy"} }

// ProfileByName returns a built-in profile.
func ProfileByName(name string) (Profile, error) {
	p, ok := Profiles()[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q: want one of %s", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

// ImplementsEnumLevel reports whether the profile implements l for NetSessionEnum.
func (p *Profile) ImplementsEnumLevel(l sessionapi.Level) bool {
	return slices.Contains(p.EnumLevels, l)
}

// ImplementsGetInfoLevel reports whether NetSessionGetInfo works at l: a level the client
// accepts (no 502) that the server implements for enumeration.
func (p *Profile) ImplementsGetInfoLevel(l sessionapi.Level) bool {
	return l.ValidForGetInfo() && p.ImplementsEnumLevel(l)
}

// CanEnum reports whether role passes the access check of an enumeration at level l. For a
// level the server does not implement, the check is the server's check for the call as a
// whole: a role allowed at any implemented level passes, and then meets ERROR_INVALID_LEVEL
// (Samba checks BUILTIN\Administrators once per call, before the level: spec rule 65, S1, S2).
func (p *Profile) CanEnum(r Role, l sessionapi.Level) bool {
	if p.ImplementsEnumLevel(l) {
		return p.Access.For(l).Has(r)
	}
	for _, il := range p.EnumLevels {
		if p.Access.For(il).Has(r) {
			return true
		}
	}
	return false
}

// CanGetInfo reports whether role passes the access check of NetSessionGetInfo at level l.
func (p *Profile) CanGetInfo(r Role, l sessionapi.Level) bool {
	if p.GetInfoLevels1And2ForUsers && (l == sessionapi.Level1 || l == sessionapi.Level2) && authUsers.Has(r) {
		return true
	}
	return p.CanEnum(r, l)
}

// CanDel reports whether role may delete sessions.
func (p *Profile) CanDel(r Role) bool { return p.DelAccess.Has(r) }

// ClientNameOut returns how a bare client name appears in sesi*_cname.
func (p *Profile) ClientNameOut(bare string) string {
	if p.ClientNamePrefix {
		return `\\` + bare
	}
	return bare
}
