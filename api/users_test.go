package api

import (
	"encoding/json"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

func TestRolesObject(t *testing.T) {
	all := user.PermSet{View: true, Add: true, Change: true, Delete: true}
	tests := []struct {
		name   string
		access user.Access
		want   string
	}{
		{"no groups", user.Access{Active: true},
			`{"admin":null,"part_category":null,"part":null,"bom":null,"stock_location":null,"stock":null,"build":null,"purchase_order":null,"sales_order":null,"return_order":null,"transfer_order":null}`},
		{"group member", user.Access{Active: true, Roles: map[user.Role]user.PermSet{
			user.RoleStock: {View: true}, user.RolePart: {View: true, Add: true, Change: true}, user.RoleBuild: all,
		}},
			`{"admin":null,"part_category":null,"part":["view","add","change"],"bom":null,"stock_location":null,"stock":["view"],"build":["view","add","change","delete"],"purchase_order":null,"sales_order":null,"return_order":null,"transfer_order":null}`},
		{"superuser without groups", user.Access{Active: true, Superuser: true},
			`{"admin":["view","add","change","delete"],"part_category":["view","add","change","delete"],"part":["view","add","change","delete"],"bom":["view","add","change","delete"],"stock_location":["view","add","change","delete"],"stock":["view","add","change","delete"],"build":["view","add","change","delete"],"purchase_order":["view","add","change","delete"],"sales_order":["view","add","change","delete"],"return_order":["view","add","change","delete"],"transfer_order":["view","add","change","delete"]}`},
		{"inactive superuser", user.Access{Superuser: true},
			`{"admin":null,"part_category":null,"part":null,"bom":null,"stock_location":null,"stock":null,"build":null,"purchase_order":null,"sales_order":null,"return_order":null,"transfer_order":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(rolesObject(effectiveRoles(tt.access)))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("roles\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPermissionDict(t *testing.T) {
	tests := []struct {
		name  string
		roles map[user.Role]user.PermSet
		model string
		want  []string // nil: the model is absent
	}{
		{"no roles", nil, "part", nil},
		{"one role", map[user.Role]user.PermSet{user.RoleStock: {View: true}}, "stockitem", []string{"view"}},
		{"Django's order", map[user.Role]user.PermSet{user.RoleStock: {View: true, Add: true, Change: true, Delete: true}},
			"stockitem", []string{"add", "change", "delete", "view"}},
		{"union of the roles covering a model", map[user.Role]user.PermSet{
			user.RolePart: {View: true}, user.RoleBuild: {View: true, Change: true},
		}, "part", []string{"change", "view"}},
		{"a role without permissions grants nothing", map[user.Role]user.PermSet{user.RoleAdmin: {}}, "user", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := permissionDict(tt.roles)[tt.model]
			if ok != (tt.want != nil) || len(got) != len(tt.want) {
				t.Fatalf("permissions[%s] = %v (present %v), want %v", tt.model, got, ok, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("permissions[%s] = %v, want %v", tt.model, got, tt.want)
				}
			}
		})
	}
}

func TestRoleTablesCoverEveryRole(t *testing.T) {
	for _, r := range user.Roles() {
		if roleLabels[r] == "" || len(roleModels[r]) == 0 {
			t.Errorf("role %s: label %q, %d models", r, roleLabels[r], len(roleModels[r]))
		}
	}
}

func TestOwnerPK(t *testing.T) {
	tests := []struct {
		id    int64
		group bool
		want  int64
	}{{1, false, 2}, {1, true, 3}, {7, false, 14}, {7, true, 15}}
	for _, tt := range tests {
		if got := OwnerPK(tt.id, tt.group); got != tt.want {
			t.Errorf("OwnerPK(%d, %v) = %d, want %d", tt.id, tt.group, got, tt.want)
		}
	}
}
