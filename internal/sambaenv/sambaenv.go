package sambaenv

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/sessionsim/sessionsim/internal/smbconn"
	"github.com/sessionsim/sessionsim/sessionapi/srvsvc"
)

// EnvVar names the env file written by start.sh.
const EnvVar = "SESSIONSIM_SAMBA_ENV"

// Kind is one family of env files: the variable that names the file, the prefix of its keys,
// and how to make one (for the messages of ForTest). The Samba script and the Windows setup
// script write the same keys under different prefixes, so one loader and one way of opening
// seed sessions serve both.
type Kind struct {
	EnvVar string // the environment variable naming the env file
	Prefix string // the prefix of the keys in the file: HOST, PORT, DIR, SHARE, ADMIN, ...
	Server string // the server, for messages ("Samba")
	Hint   string // how to get an env file, for the skip and failure messages
}

// Samba is the env file of scripts/samba/start.sh.
var Samba = Kind{EnvVar: EnvVar, Prefix: "SESSIONSIM_SAMBA_", Server: "Samba",
	Hint: "start a Samba with scripts/samba/start.sh DIR and set " + EnvVar + "=DIR/env"}

// Windows is the env file of scripts/windows/setup.ps1: the same keys, prefixed
// SESSIONSIM_WINDOWS_, for the SMB server of the Windows machine the tests run on.
var Windows = Kind{EnvVar: "SESSIONSIM_WINDOWS_ENV", Prefix: "SESSIONSIM_WINDOWS_", Server: "the Windows SMB server",
	Hint: `run scripts\windows\setup.ps1 -Dir DIR as an administrator and set SESSIONSIM_WINDOWS_ENV=DIR\env`}

// Env is a running throw-away server: Samba from start.sh, or Windows from setup.ps1.
type Env struct {
	Host     string
	Port     int
	Dir      string
	Share    string
	Admin    string // BUILTIN\Administrators: may enumerate
	DelAdmin string // Samba: Domain Admins (and BUILTIN\Administrators), may enumerate and delete
	Plain    string // no privileges
	SrvOp    string // BUILTIN\Server Operators (may be empty in an older env file)
	Seeds    []string
	secrets  map[string]string
}

// Load reads a Samba env file (SESSIONSIM_SAMBA_* keys) and the passwords file it names.
func Load(path string) (*Env, error) { return Samba.Load(path) }

// Load reads an env file of kind k and the passwords file it names.
func (k Kind) Load(path string) (*Env, error) {
	vals, err := readKV(path)
	if err != nil {
		return nil, err
	}
	key := func(name string) string { return vals[k.Prefix+name] }
	e := &Env{Host: key("HOST"), Dir: key("DIR"), Share: key("SHARE"), Admin: key("ADMIN"),
		DelAdmin: key("DELADMIN"), Plain: key("PLAIN"), SrvOp: key("SRVOP")}
	if s := key("SEEDS"); s != "" {
		e.Seeds = strings.Split(s, ",")
	}
	e.Port, err = strconv.Atoi(key("PORT"))
	if err != nil {
		return nil, fmt.Errorf("%s: %sPORT: %w", path, k.Prefix, err)
	}
	if e.Host == "" || e.Admin == "" || e.DelAdmin == "" || e.Plain == "" || e.Share == "" {
		return nil, fmt.Errorf("%s: missing %sHOST, _ADMIN, _DELADMIN, _PLAIN or _SHARE", path, k.Prefix)
	}
	pwPath := key("PASSWORDS")
	if pwPath == "" {
		return nil, fmt.Errorf("%s: missing %sPASSWORDS", path, k.Prefix)
	}
	if e.secrets, err = readKV(pwPath); err != nil {
		return nil, err
	}
	return e, nil
}

func readKV(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// A BOM and CRLF endings are what Windows tools tend to write.
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: line %q is not KEY=VALUE", path, line)
		}
		out[k] = v
	}
	return out, sc.Err()
}

// Password returns a user's password.
func (e *Env) Password(user string) (string, error) {
	p, ok := e.secrets[user]
	if !ok {
		return "", fmt.Errorf("no password for %q in the passwords file", user)
	}
	return p, nil
}

// NTHash returns a user's NT hash.
func (e *Env) NTHash(user string) ([]byte, error) {
	h, ok := e.secrets[user+".nthash"]
	if !ok {
		return nil, fmt.Errorf("no NT hash for %q in the passwords file", user)
	}
	return hex.DecodeString(h)
}

// Config returns a srvsvc Config for user ("" for anonymous; a name without a password entry
// logs on with an empty password, which Samba maps to guest) from localAddr ("" for any).
func (e *Env) Config(user, localAddr string) srvsvc.Config {
	pw := e.secrets[user]
	return srvsvc.Config{Host: e.Host, Port: e.Port, User: user, Password: pw, LocalAddr: localAddr}
}

// Reachable dials the server's port once.
func (e *Env) Reachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)))
	if err != nil {
		return err
	}
	return c.Close()
}

// ForTest loads the env named by SESSIONSIM_SAMBA_ENV and checks the server answers. When
// the variable is unset or the server is unreachable the test fails if CI=true and is skipped
// otherwise. It holds the env directory's lock until the test ends, so live tests in
// different packages take turns on the one server.
func ForTest(t testing.TB) *Env {
	t.Helper()
	return Samba.ForTest(t)
}

// ForTest is the package ForTest for env files of kind k.
func (k Kind) ForTest(t testing.TB) *Env {
	t.Helper()
	stop := t.Skipf
	if os.Getenv("CI") == "true" {
		stop = t.Fatalf
	}
	path := os.Getenv(k.EnvVar)
	if path == "" {
		stop("%s is not set: %s", k.EnvVar, k.Hint)
		return nil
	}
	e, err := k.Load(path)
	if err != nil {
		stop("loading %s=%s: %v", k.EnvVar, path, err)
		return nil
	}
	if err := e.Reachable(t.Context()); err != nil {
		stop("%s from %s is not reachable: %v", k.Server, path, err)
		return nil
	}
	if e.Dir != "" {
		unlock, err := lockDir(e.Dir)
		if err != nil {
			t.Fatalf("locking %s for the live tests: %v", e.Dir, err)
		}
		t.Cleanup(unlock)
	}
	return e
}

// Session is an SMB session opened as a seed, with its open files.
type Session struct {
	User      string
	LocalAddr string
	conn      *smbconn.Conn
	share     *smb2.Share
	files     []*smb2.File
}

// OpenSession logs user on from localAddr and opens openFiles files on the share (created
// under a name unique to the session, and kept open until Close). An empty user is an
// anonymous session; a user without a password entry gets an empty password (a guest logon
// under map to guest = Bad User).
func (e *Env) OpenSession(ctx context.Context, user, localAddr string, openFiles int) (*Session, error) {
	c, err := smbconn.Dial(ctx, smbconn.Params{Host: e.Host, Port: e.Port, LocalAddr: localAddr,
		User: user, Password: e.secrets[user]})
	if err != nil {
		return nil, err
	}
	s := &Session{User: user, LocalAddr: localAddr, conn: c}
	if openFiles > 0 {
		s.share, err = c.Session.WithContext(ctx).Mount(`\\` + e.Host + `\` + e.Share)
		if err != nil {
			s.Close(ctx)
			return nil, fmt.Errorf("mounting %s as %q: %w", e.Share, user, err)
		}
		share := s.share.WithContext(ctx)
		for i := range openFiles {
			name := fmt.Sprintf("seed-%s-%s-%d-%d", strings.ReplaceAll(localAddr, ".", "_"), safe(user), time.Now().UnixNano(), i)
			f, err := share.Create(name)
			if err != nil {
				s.Close(ctx)
				return nil, fmt.Errorf("opening %s on %s as %q: %w", name, e.Share, user, err)
			}
			s.files = append(s.files, f)
		}
	}
	return s, nil
}

func safe(user string) string {
	if user == "" {
		return "anonymous"
	}
	return user
}

// Alive reports whether the server still holds the session (an SMB echo is answered).
func (s *Session) Alive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.conn.Session.WithContext(ctx).Echo() == nil
}

// Close closes the files (removing them), the share and the session. Errors from a session
// the server already ended are ignored.
func (s *Session) Close(ctx context.Context) error {
	var errs []error
	for _, f := range s.files {
		name := f.Name()
		if err := f.Close(); err == nil && s.share != nil {
			_ = s.share.WithContext(ctx).Remove(name)
		}
	}
	s.files = nil
	if s.share != nil {
		_ = s.share.WithContext(ctx).Umount()
		s.share = nil
	}
	if s.conn != nil {
		if err := s.conn.Close(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		s.conn = nil
	}
	return errors.Join(errs...)
}
