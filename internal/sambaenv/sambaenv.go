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

// Env is a running throw-away Samba.
type Env struct {
	Host     string
	Port     int
	Dir      string
	Share    string
	Admin    string // BUILTIN\Administrators: may enumerate
	DelAdmin string // Domain Admins (and BUILTIN\Administrators): may enumerate and delete
	Plain    string // no privileges
	SrvOp    string // BUILTIN\Server Operators (may be empty in an older env file)
	Seeds    []string
	secrets  map[string]string
}

// Load reads an env file and the passwords file it names.
func Load(path string) (*Env, error) {
	vals, err := readKV(path)
	if err != nil {
		return nil, err
	}
	e := &Env{Host: vals["SESSIONSIM_SAMBA_HOST"], Dir: vals["SESSIONSIM_SAMBA_DIR"],
		Share: vals["SESSIONSIM_SAMBA_SHARE"], Admin: vals["SESSIONSIM_SAMBA_ADMIN"],
		DelAdmin: vals["SESSIONSIM_SAMBA_DELADMIN"], Plain: vals["SESSIONSIM_SAMBA_PLAIN"],
		SrvOp: vals["SESSIONSIM_SAMBA_SRVOP"]}
	if s := vals["SESSIONSIM_SAMBA_SEEDS"]; s != "" {
		e.Seeds = strings.Split(s, ",")
	}
	e.Port, err = strconv.Atoi(vals["SESSIONSIM_SAMBA_PORT"])
	if err != nil {
		return nil, fmt.Errorf("%s: SESSIONSIM_SAMBA_PORT: %w", path, err)
	}
	if e.Host == "" || e.Admin == "" || e.DelAdmin == "" || e.Plain == "" || e.Share == "" {
		return nil, fmt.Errorf("%s: missing SESSIONSIM_SAMBA_HOST, _ADMIN, _DELADMIN, _PLAIN or _SHARE", path)
	}
	pwPath := vals["SESSIONSIM_SAMBA_PASSWORDS"]
	if pwPath == "" {
		return nil, fmt.Errorf("%s: missing SESSIONSIM_SAMBA_PASSWORDS", path)
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
		line := strings.TrimSpace(sc.Text())
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
	stop := t.Skipf
	if os.Getenv("CI") == "true" {
		stop = t.Fatalf
	}
	path := os.Getenv(EnvVar)
	if path == "" {
		stop("%s is not set: start a Samba with scripts/samba/start.sh DIR and set %s=DIR/env", EnvVar, EnvVar)
		return nil
	}
	e, err := Load(path)
	if err != nil {
		stop("loading %s=%s: %v", EnvVar, path, err)
		return nil
	}
	if err := e.Reachable(t.Context()); err != nil {
		stop("Samba from %s is not reachable: %v", path, err)
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
