// Package user holds users, groups and API tokens, and the role model that decides
// what a user may do. InvenTree's model: eleven roles, each with view, add, change and
// delete; a user has the union of its groups' rule sets; a superuser may do anything.
package user

import "errors"

// Role is one of InvenTree's rule sets.
type Role string

// The roles, in InvenTree's order. Their names are part of the API.
const (
	RoleAdmin         Role = "admin"
	RolePartCategory  Role = "part_category"
	RolePart          Role = "part"
	RoleBOM           Role = "bom"
	RoleStockLocation Role = "stock_location"
	RoleStock         Role = "stock"
	RoleBuild         Role = "build"
	RolePurchaseOrder Role = "purchase_order"
	RoleSalesOrder    Role = "sales_order"
	RoleReturnOrder   Role = "return_order"
	RoleTransferOrder Role = "transfer_order"
)

// Roles lists every role in InvenTree's order.
func Roles() []Role {
	return []Role{RoleAdmin, RolePartCategory, RolePart, RoleBOM, RoleStockLocation, RoleStock,
		RoleBuild, RolePurchaseOrder, RoleSalesOrder, RoleReturnOrder, RoleTransferOrder}
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	for _, x := range Roles() {
		if r == x {
			return true
		}
	}
	return false
}

// Perm is a permission within a role.
type Perm string

// The permissions, in InvenTree's order.
const (
	PermView   Perm = "view"
	PermAdd    Perm = "add"
	PermChange Perm = "change"
	PermDelete Perm = "delete"
)

// Perms lists every permission in InvenTree's order.
func Perms() []Perm { return []Perm{PermView, PermAdd, PermChange, PermDelete} }

// PermSet is the permissions held within one role.
type PermSet struct{ View, Add, Change, Delete bool }

// Has reports whether s holds p.
func (s PermSet) Has(p Perm) bool {
	switch p {
	case PermView:
		return s.View
	case PermAdd:
		return s.Add
	case PermChange:
		return s.Change
	case PermDelete:
		return s.Delete
	}
	return false
}

// Union is every permission held in s or t.
func (s PermSet) Union(t PermSet) PermSet {
	return PermSet{s.View || t.View, s.Add || t.Add, s.Change || t.Change, s.Delete || t.Delete}
}

// List is s's permissions in InvenTree's order; nil when s holds none.
func (s PermSet) List() []Perm {
	var out []Perm
	for _, p := range Perms() {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Access is what an authenticated user may do: who it is and its roles.
type Access struct {
	UserID    int64
	Username  string
	Active    bool
	Staff     bool
	Superuser bool
	// Roles holds the union of the user's groups' rule sets.
	Roles map[Role]PermSet
	// TokenID is the API token that authenticated the request, zero for other methods.
	// InvenTree's token list marks that token "in_use".
	TokenID int64
}

// Can reports whether the user holds perm in role. Superusers can do anything; an
// inactive user nothing.
func (a Access) Can(role Role, perm Perm) bool {
	if !a.Active {
		return false
	}
	if a.Superuser {
		return true
	}
	return a.Roles[role].Has(perm)
}

// Authentication outcomes an authenticator reports; api/ answers each with DRF's 401
// message. No credentials at all is not an error: the request is anonymous.
var (
	// ErrInvalidToken: an `Authorization: Token` key that is unknown, expired or revoked
	// ("Invalid token.").
	ErrInvalidToken = errors.New("invalid token")
	// ErrBadCredentials: HTTP Basic with a wrong username or password, or an inactive
	// user ("Invalid username/password.").
	ErrBadCredentials = errors.New("invalid username/password")
)
