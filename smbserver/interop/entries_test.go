package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sessionsim/sessionsim/sessionapi"
)

// entry is one session as a client printed it, with the members its level has.
type entry struct {
	Level             int
	CName, User       string
	Opens, Time, Idle uint32
	Flags             uint32
	CLType, Transport string
}

// String renders the entry without its times (time, idle_time), which the served fake's running
// clock moves between the in-process answer and the wire.
func (e entry) String() string {
	switch e.Level {
	case 0:
		return fmt.Sprintf("{cname:%q}", e.CName)
	case 1:
		return fmt.Sprintf("{cname:%q user:%q opens:%d flags:%#x}", e.CName, e.User, e.Opens, e.Flags)
	case 2:
		return fmt.Sprintf("{cname:%q user:%q opens:%d flags:%#x cltype:%q}", e.CName, e.User, e.Opens, e.Flags, e.CLType)
	case 10:
		return fmt.Sprintf("{cname:%q user:%q}", e.CName, e.User)
	default:
		return fmt.Sprintf("{cname:%q user:%q opens:%d flags:%#x cltype:%q transport:%q}", e.CName, e.User, e.Opens, e.Flags, e.CLType, e.Transport)
	}
}

func fromInfo(i sessionapi.Info) entry {
	switch v := i.(type) {
	case *sessionapi.SessionInfo0:
		return entry{Level: 0, CName: v.ClientName}
	case *sessionapi.SessionInfo1:
		return entry{Level: 1, CName: v.ClientName, User: v.UserName, Opens: v.NumOpens, Time: v.Time, Idle: v.IdleTime, Flags: uint32(v.UserFlags)}
	case *sessionapi.SessionInfo2:
		return entry{Level: 2, CName: v.ClientName, User: v.UserName, Opens: v.NumOpens, Time: v.Time, Idle: v.IdleTime, Flags: uint32(v.UserFlags), CLType: v.ClientType}
	case *sessionapi.SessionInfo10:
		return entry{Level: 10, CName: v.ClientName, User: v.UserName, Time: v.Time, Idle: v.IdleTime}
	case *sessionapi.SessionInfo502:
		return entry{Level: 502, CName: v.ClientName, User: v.UserName, Opens: v.NumOpens, Time: v.Time, Idle: v.IdleTime, Flags: uint32(v.UserFlags), CLType: v.ClientType, Transport: v.Transport}
	}
	panic(fmt.Sprintf("unknown Info %T", i))
}

// answer is one call's outcome: the NET_API_STATUS, and for an enumeration its entries.
type answer struct {
	Status  sessionapi.Status
	Total   uint32
	Entries []entry
}

// String renders the answer without times; two answers are alike when their strings are equal.
func (a answer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v total=%d", a.Status, a.Total)
	for _, e := range a.Entries {
		b.WriteString("\n  " + e.String())
	}
	return b.String()
}

// without drops the entries keep rejects (the client's own session), adjusting the total.
func (a answer) without(drop func(entry) bool) answer {
	out := answer{Status: a.Status, Total: a.Total}
	for _, e := range a.Entries {
		if drop(e) {
			if out.Total > 0 {
				out.Total--
			}
			continue
		}
		out.Entries = append(out.Entries, e)
	}
	return out
}

// ownSession matches the calling client's own session: from a loopback address (with or
// without `\\`) as user. The scenarios of testdata/ hold no session from 127.0.0.0/8.
func ownSession(user string) func(entry) bool {
	return func(e entry) bool {
		return strings.HasPrefix(strings.TrimPrefix(e.CName, `\\`), "127.") && (e.Level == 0 || strings.EqualFold(e.User, user))
	}
}

// expectEnum asks the in-process fake the question a client asked the wire.
func expectEnum(ctx context.Context, api sessionapi.SessionAPI, client, user string, level int) answer {
	res, err := api.NetSessionEnum(ctx, "", client, user, sessionapi.Level(level), sessionapi.MaxPreferredLength, nil)
	a := answer{Status: statusOf(err), Total: res.TotalEntries}
	for _, i := range res.Entries {
		a.Entries = append(a.Entries, fromInfo(i))
	}
	return a
}

func statusOf(err error) sessionapi.Status {
	if err == nil {
		return sessionapi.NERR_Success
	}
	if s, ok := sessionapi.StatusOf(err); ok {
		return s
	}
	return sessionapi.Status(0xFFFFFFFF)
}

// werr maps the WERROR names Samba's NDR printer uses to the statuses.
var werr = map[string]sessionapi.Status{
	"WERR_OK":                      sessionapi.NERR_Success,
	"WERR_ACCESS_DENIED":           sessionapi.ERROR_ACCESS_DENIED,
	"WERR_NOT_ENOUGH_MEMORY":       sessionapi.ERROR_NOT_ENOUGH_MEMORY,
	"WERR_NOT_SUPPORTED":           sessionapi.ERROR_NOT_SUPPORTED,
	"WERR_BAD_NETPATH":             sessionapi.ERROR_BAD_NETPATH,
	"WERR_INVALID_PARAMETER":       sessionapi.ERROR_INVALID_PARAMETER,
	"WERR_INVALID_PARAM":           sessionapi.ERROR_INVALID_PARAMETER,
	"WERR_INVALID_LEVEL":           sessionapi.ERROR_INVALID_LEVEL,
	"WERR_MORE_DATA":               sessionapi.ERROR_MORE_DATA,
	"WERR_NERR_USERNOTFOUND":       sessionapi.NERR_UserNotFound,
	"WERR_NERR_CLIENTNAMENOTFOUND": sessionapi.NERR_ClientNameNotFound,
	"WERR_NERR_INVALIDCOMPUTER":    sessionapi.NERR_InvalidComputer,
	"WERR_NERR_BUFTOOSMALL":        sessionapi.NERR_BufTooSmall,
}

var (
	ndrField = regexp.MustCompile(`^\s*(\w+)\s+: (.*)$`)
	ndrNum   = regexp.MustCompile(`^0x[0-9a-fA-F]+ \((\d+)\)$`)
	ndrInfo  = regexp.MustCompile(`^\s*array: struct srvsvc_NetSessInfo(\d+)$`)
	ndrRes   = regexp.MustCompile(`^WERR_\w+$|^0x[0-9a-fA-F]+$`)
)

// errNoOut is returned when rpcclient printed no NDR `out:` block for the function: it never
// got an answer (a transport or logon failure).
var errNoOut = errors.New("no `out:` block in rpcclient's -d 10 output")

// parseRpcclient reads the NDR print (rpcclient -d 10) of the last `out: struct FUNCTION`.
func parseRpcclient(out, function string) (answer, error) {
	i := strings.LastIndex(out, "out: struct "+function)
	if i < 0 {
		return answer{}, errNoOut
	}
	var a answer
	var cur *entry
	seenResult := false
	sc := bufio.NewScanner(strings.NewReader(out[i:]))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() && !seenResult {
		line := sc.Text()
		if m := ndrInfo.FindStringSubmatch(line); m != nil {
			lvl, _ := strconv.Atoi(m[1])
			a.Entries = append(a.Entries, entry{Level: lvl})
			cur = &a.Entries[len(a.Entries)-1]
			continue
		}
		m := ndrField.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key, val := m[1], m[2]
		str := ""
		if len(val) >= 2 && val[0] == '\'' && val[len(val)-1] == '\'' {
			str = val[1 : len(val)-1]
		}
		var num uint32
		if n := ndrNum.FindStringSubmatch(val); n != nil {
			v, _ := strconv.ParseUint(n[1], 10, 32)
			num = uint32(v)
		}
		switch key {
		case "result":
			if !ndrRes.MatchString(val) {
				return a, fmt.Errorf("unrecognised result %q", val)
			}
			if s, ok := werr[val]; ok {
				a.Status = s
			} else if v, err := strconv.ParseUint(strings.TrimPrefix(val, "0x"), 16, 32); err == nil && strings.HasPrefix(val, "0x") {
				a.Status = sessionapi.Status(v)
			} else {
				return a, fmt.Errorf("result %s: not in the table of WERROR names", val)
			}
			seenResult = true
		case "totalentries":
			if ndrNum.MatchString(val) {
				a.Total = num
			}
		}
		if cur == nil {
			continue
		}
		switch key {
		case "client":
			cur.CName = str
		case "user":
			cur.User = str
		case "num_open":
			cur.Opens = num
		case "time":
			cur.Time = num
		case "idle_time":
			cur.Idle = num
		case "user_flags":
			cur.Flags = num
		case "client_type":
			cur.CLType = str
		case "transport":
			cur.Transport = str
		}
	}
	if !seenResult {
		return a, fmt.Errorf("no result in the `out:` block of %s", function)
	}
	return a, nil
}

// impacketLine is one line of testdata/impacket_srvs.py.
type impacketLine struct {
	Cmd          string           `json:"cmd"`
	Level        int              `json:"level"`
	Status       int64            `json:"status"`
	TotalEntries uint32           `json:"totalentries"`
	Entries      []map[string]any `json:"entries"`
}

func parseImpacket(out string) ([]answer, error) {
	var as []answer
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l impacketLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		a := answer{Status: sessionapi.Status(uint32(l.Status)), Total: l.TotalEntries}
		for _, m := range l.Entries {
			e := entry{Level: l.Level}
			str := func(k string) string { s, _ := m[k].(string); return s }
			num := func(k string) uint32 { f, _ := m[k].(float64); return uint32(f) }
			e.CName, e.User, e.CLType, e.Transport = str("cname"), str("username"), str("cltype_name"), str("transport")
			e.Opens, e.Time, e.Idle, e.Flags = num("num_opens"), num("time"), num("idle_time"), num("user_flags")
			a.Entries = append(a.Entries, e)
		}
		as = append(as, a)
	}
	return as, nil
}
