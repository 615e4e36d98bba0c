package httpapi

import (
	"charter/internal/account"
	"charter/internal/errs"
)

// The console (internal/web) declares its pages with the same access values
// as this API, so a page and the API call behind it admit exactly the same
// roles. These exported names are that shared vocabulary.

// Access says who may reach a route or a page.
type Access = access

// Public admits everyone, signed in or not.
func Public() Access { return public() }

// Roles admits a principal holding any of rs.
func Roles(rs ...account.Role) Access { return roles(rs...) }

// IsPublic reports whether a admits everyone.
func (a access) IsPublic() bool { return a.public }

// Admits reports whether p may pass; a public access admits everyone.
func (a access) Admits(p *account.Principal) bool {
	if a.public {
		return true
	}
	return p != nil && a.admits(p)
}

// RoleList is the roles a admits, for documentation and tests.
func (a access) RoleList() []account.Role { return append([]account.Role(nil), a.roles...) }

// AccessOf returns the access of the API route "METHOD /path" as the route
// table declares it, so a console page can say "as the API's POST
// /api/v1/users" instead of repeating its roles. ok is false when the table
// has no such route.
func AccessOf(route string) (a Access, ok bool) {
	for _, rt := range routeTable {
		if rt.method+" "+rt.path == route {
			return rt.allow, true
		}
	}
	return access{}, false
}

// StatusOf is the HTTP status of an error kind; the console shows its error
// pages with the same statuses the API answers with.
func StatusOf(k errs.Kind) int { return status(k) }
