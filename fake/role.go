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
	return 0, fmt.Errorf("unknown role %q: want one of %s", name, strings.Join(roleNames[1:], ", "))
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

// Caller identifies who makes a call. Name is only recorded (for [Call]); Role decides access.
type Caller struct {
	Role Role
	Name string
}

// String returns "name (role)" or just the role.
func (c Caller) String() string {
	if c.Name == "" {
		return c.Role.String()
	}
	return c.Name + " (" + c.Role.String() + ")"
}
