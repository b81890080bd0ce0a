package fake

import (
	"fmt"
	"strings"
)

// Role is who a caller is to the server: the group memberships that decide access.
type Role uint8

// The roles the profiles tell apart. DomainAdmin is a member of Domain Admins and of
// BUILTIN\Administrators (as on a domain member); on Samba only it (or root) may delete
// sessions, while plain Administrator may only enumerate (spec §13 S13).
const (
	Administrator  Role = iota + 1 // BUILTIN\Administrators
	DomainAdmin                    // Domain Admins, and through them BUILTIN\Administrators
	ServerOperator                 // BUILTIN\Server Operators
	User                           // an authenticated user without special membership
	Guest                          // logged on as the guest account
	Anonymous                      // a null session
)

var roleNames = [...]string{
	Administrator:  "administrator",
	DomainAdmin:    "domain-admin",
	ServerOperator: "server-operator",
	User:           "user",
	Guest:          "guest",
	Anonymous:      "anonymous",
}

// Roles lists every role.
func Roles() []Role {
	return []Role{Administrator, DomainAdmin, ServerOperator, User, Guest, Anonymous}
}

// String returns the role's name as scenario files spell it ("server-operator").
func (r Role) String() string {
	if int(r) < len(roleNames) && roleNames[r] != "" {
		return roleNames[r]
	}
	if r == 0 {
		return "no-role(0)"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole reads a role by name.
func ParseRole(name string) (Role, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, r := range Roles() {
		if roleNames[r] == n {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q: want one of %s", name, roleList())
}

// RoleSet is a set of roles.
type RoleSet uint8

// RolesOf makes a set.
func RolesOf(roles ...Role) RoleSet {
	var s RoleSet
	for _, r := range roles {
		s |= 1 << r
	}
	return s
}

// Has reports whether r is in the set.
func (s RoleSet) Has(r Role) bool { return s&(1<<r) != 0 }

// List returns the roles in the set, in the order of [Roles].
func (s RoleSet) List() []Role {
	var out []Role
	for _, r := range Roles() {
		if s.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// String lists the names, "none" for the empty set.
func (s RoleSet) String() string {
	var names []string
	for _, r := range s.List() {
		names = append(names, r.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// Caller identifies who makes a call. Role decides access; it must be set: a call with the
// zero Role fails with an error wrapping [ErrNoRole]. Name is recorded (for [Call]) and is
// the user of the caller's own session.
type Caller struct {
	Role Role
	Name string
	// ClientName is the computer the caller connects from, bare (no `\\`), as the server
	// would see it: the client of the caller's own session when the profile lists it
	// (Profile.ListCallerSession). Empty means DefaultCallerClient.
	ClientName string
	// Session says "I am session N": the caller's connection already is a session on the
	// server (the SMB server mode sets the ID Connect gave it), so the fake never makes
	// another one for it. Zero means the caller has no session of its own.
	Session SessionID
}

// DefaultCallerClient is the client of a caller's own session when Caller.ClientName is
// empty: an in-process caller is on the server's own machine. Windows shows a caller's client
// as its IP address (spec rule 44; capture A: `\\172.18.39.5`).
const DefaultCallerClient = "127.0.0.1"

// roleList names every role, for messages.
func roleList() string { return strings.Join(roleNames[1:], ", ") }

// String returns "name (role)" or just the role.
func (c Caller) String() string {
	if c.Name == "" {
		return c.Role.String()
	}
	return c.Name + " (" + c.Role.String() + ")"
}
