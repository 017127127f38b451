package api

import (
	"slices"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

func TestAuditKinds(t *testing.T) {
	view := user.PermSet{View: true}
	for _, tc := range []struct {
		name   string
		access user.Access
		want   []string // nil: every kind
	}{
		{"superuser", user.Access{Active: true, Superuser: true}, nil},
		{"inactive superuser", user.Access{Superuser: true}, []string{}},
		{"no role", user.Access{Active: true, Staff: true}, []string{}},
		{"stock viewer", user.Access{Active: true, Roles: map[user.Role]user.PermSet{user.RoleStock: view}},
			[]string{"stockitem", "stockserial"}},
		{"stock adder, who may view", user.Access{Active: true, Roles: map[user.Role]user.PermSet{user.RoleStock: {Add: true, View: true}}},
			[]string{"stockitem", "stockserial"}},
		{"part and category viewer", user.Access{Active: true, Roles: map[user.Role]user.PermSet{user.RolePart: view, user.RolePartCategory: view}},
			[]string{"part", "partcategory", "partunique"}},
		{"admin role", user.Access{Active: true, Roles: map[user.Role]user.PermSet{user.RoleAdmin: view}},
			[]string{"apitoken", "group", "groupname", "user", "username"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := auditKinds(tc.access)
			if (got == nil) != (tc.want == nil) || !slices.Equal(got, tc.want) {
				t.Errorf("auditKinds = %#v, want %#v", got, tc.want)
			}
			for _, k := range []string{"stockitem", "part", "user", "purchaseorder"} {
				if want := tc.want == nil || slices.Contains(tc.want, k); mayReadKind(tc.access, k) != want {
					t.Errorf("mayReadKind(%s) = %v", k, !want)
				}
			}
		})
	}
}
