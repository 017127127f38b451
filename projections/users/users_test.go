package users_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/auth"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections"
	"github.com/stockledger/stockledger/projections/users"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var clock = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

type fixture struct {
	*ledgertest.Ledger
	h    *commands.UserHandlers
	q    *users.Queries
	last eventstore.Position
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	l := ledgertest.New(t, ledgertest.Options{
		Events:     [][]domain.EventType{user.Events()},
		Migrations: []ledgertest.Migration{auth.Migrate, users.Migrate},
		Projectors: []projections.Projector{users.NewProjector()},
	})
	h, err := commands.NewUserHandlers(commands.UserHandlersConfig{
		Executor: l.Executor, Credentials: auth.NewCredentials(l.Pool), Now: func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Ledger: l, h: h, q: users.NewQueries(l.Pool)}
}

// did records where a command's events landed; sync waits for the read model there.
func (f *fixture) did(t *testing.T, res commands.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if f.last.Before(res.Position) {
		f.last = res.Position
	}
}

func (f *fixture) sync(t *testing.T) {
	t.Helper()
	f.Wait(t, f.last)
}

func (f *fixture) user(t *testing.T, c commands.CreateUser) int64 {
	t.Helper()
	id, res, err := f.h.CreateUser(context.Background(), c)
	f.did(t, res, err)
	return id
}

func (f *fixture) group(t *testing.T, name string, rules map[user.Role]user.PermSet) int64 {
	t.Helper()
	ctx := context.Background()
	id, res, err := f.h.CreateGroup(ctx, commands.CreateGroup{Name: name})
	f.did(t, res, err)
	for role, perms := range rules {
		res, err := f.h.SetGroupRuleSet(ctx, commands.SetGroupRuleSet{GroupID: id, Role: role, Perms: perms})
		f.did(t, res, err)
	}
	return id
}

// world is a small population: users with groups and tokens.
type world struct {
	alice, bob, carol   int64
	stock, parts, empty int64
	token1, token2      commands.IssuedUserToken
}

func populate(t *testing.T, f *fixture) world {
	t.Helper()
	ctx := context.Background()
	inactive := false
	var w world
	w.alice = f.user(t, commands.CreateUser{Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell", Staff: true, Password: "correct horse"})
	w.bob = f.user(t, commands.CreateUser{Username: "bob", FirstName: "Bob", LastName: "Smith", Active: &inactive})
	w.carol = f.user(t, commands.CreateUser{Username: "carol", FirstName: "Carol", LastName: "Smith", Superuser: true, Staff: true})
	w.stock = f.group(t, "Stock keepers", map[user.Role]user.PermSet{user.RoleStock: {Add: true}})
	w.parts = f.group(t, "Part editors", map[user.Role]user.PermSet{user.RolePart: {View: true}, user.RoleBOM: {Delete: true}})
	w.empty = f.group(t, "Nobody", nil)
	res, err := f.h.SetUserGroups(ctx, commands.SetUserGroups{UserID: w.alice, Groups: []int64{w.parts, w.stock}})
	f.did(t, res, err)
	res, err = f.h.SetUserGroups(ctx, commands.SetUserGroups{UserID: w.bob, Groups: []int64{w.parts}})
	f.did(t, res, err)
	w.token1, res, err = f.h.CreateUserToken(ctx, commands.CreateUserToken{UserID: w.alice, Name: "ci", Expiry: user.NewDate(2026, 6, 1)})
	f.did(t, res, err)
	w.token2, res, err = f.h.GetUserToken(ctx, commands.GetUserToken{UserID: w.alice, Name: "python client"})
	f.did(t, res, err)
	res, err = f.h.RevokeUserToken(ctx, commands.RevokeUserToken{UserID: w.alice, TokenID: w.token1.ID})
	f.did(t, res, err)
	f.sync(t)
	return w
}

func TestUsersReadModel(t *testing.T) {
	f := newFixture(t)
	w := populate(t, f)
	ctx := context.Background()

	alice, err := f.q.User(ctx, w.alice)
	if err != nil {
		t.Fatal(err)
	}
	want := users.User{
		PK: w.alice, Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell",
		IsStaff: true, IsActive: true, DateJoined: clock, HasPassword: true,
		Groups: []users.GroupRef{{PK: w.stock, Name: "Stock keepers"}, {PK: w.parts, Name: "Part editors"}},
	}
	alice.DateJoined = alice.DateJoined.UTC()
	if !reflect.DeepEqual(alice, want) {
		t.Fatalf("alice = %+v\nwant    %+v", alice, want)
	}
	if byName, err := f.q.UserByUsername(ctx, "alice"); err != nil || byName.PK != w.alice {
		t.Fatalf("UserByUsername = %+v, %v", byName, err)
	}
	if _, err := f.q.UserByUsername(ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown username: %v", err)
	}
	if _, err := f.q.User(ctx, 999); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown pk: %v", err)
	}

	no := false
	for _, tc := range []struct {
		name      string
		filter    users.UserFilter
		wantPKs   []int64
		wantTotal int
	}{
		{"all, by pk", users.UserFilter{}, []int64{w.alice, w.bob, w.carol}, 3},
		{"search in names", users.UserFilter{Page: users.Page{Search: "smith"}}, []int64{w.bob, w.carol}, 2},
		{"every term must match", users.UserFilter{Page: users.Page{Search: "smith car"}}, []int64{w.carol}, 1},
		{"ordering", users.UserFilter{Page: users.Page{Ordering: "-username"}}, []int64{w.carol, w.bob, w.alice}, 3},
		{"two orderings, unknown ignored", users.UserFilter{Page: users.Page{Ordering: "last_name,nope,-first_name"}}, []int64{w.alice, w.carol, w.bob}, 3},
		{"filter", users.UserFilter{IsActive: &no}, []int64{w.bob}, 1},
		{"page", users.UserFilter{Page: users.Page{Limit: 1, Offset: 1}}, []int64{w.bob}, 3},
		{"LIKE characters are literal", users.UserFilter{Page: users.Page{Search: "%"}}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := f.q.Users(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var pks []int64
			for _, u := range got {
				pks = append(pks, u.PK)
			}
			if !reflect.DeepEqual(pks, tc.wantPKs) || total != tc.wantTotal {
				t.Fatalf("got %v (count %d), want %v (count %d)", pks, total, tc.wantPKs, tc.wantTotal)
			}
		})
	}

	// Groups: every role has a rule set, normalised as InvenTree saves it.
	parts, err := f.q.Group(ctx, w.parts)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts.RuleSets) != len(user.Roles()) {
		t.Fatalf("%d rule sets, want one per role", len(parts.RuleSets))
	}
	for i, rs := range parts.RuleSets {
		role := user.Roles()[i]
		var wantPerms user.PermSet
		switch role {
		case user.RolePart:
			wantPerms = user.PermSet{View: true}
		case user.RoleBOM:
			wantPerms = user.PermSet{View: true, Change: true, Delete: true}
		}
		if rs.Role != role || rs.Group != w.parts || rs.PK != users.RuleSetPK(w.parts, role) || rs.Perms != wantPerms {
			t.Errorf("rule set %d = %+v", i, rs)
		}
		if g, r, ok := users.RuleSetOf(rs.PK); !ok || g != w.parts || r != role {
			t.Errorf("RuleSetOf(%d) = %d, %s, %v", rs.PK, g, r, ok)
		}
		one, err := f.q.RuleSet(ctx, rs.PK)
		if err != nil || one != rs {
			t.Errorf("RuleSet(%d) = %+v, %v", rs.PK, one, err)
		}
	}
	if got := []int64{parts.Users[0].PK, parts.Users[1].PK}; len(parts.Users) != 2 || !reflect.DeepEqual(got, []int64{w.alice, w.bob}) {
		t.Fatalf("members %+v", parts.Users)
	}
	groups, total, err := f.q.Groups(ctx, users.GroupFilter{Page: users.Page{Ordering: "name", Search: "e"}})
	if err != nil || total != 2 || len(groups) != 2 || groups[0].Name != "Part editors" || groups[1].Name != "Stock keepers" {
		t.Fatalf("Groups = %+v, %d, %v", groups, total, err)
	}

	// Tokens: hints only, revocation and expiry as issued.
	tokens, total, err := f.q.Tokens(ctx, users.TokenFilter{User: w.alice, Page: users.Page{Ordering: "name"}})
	if err != nil || total != 2 {
		t.Fatalf("Tokens = %+v, %d, %v", tokens, total, err)
	}
	today := user.DateOf(clock)
	ci, py := tokens[0], tokens[1]
	if ci.PK != w.token1.ID || ci.Name != "ci" || !ci.Revoked || ci.Active(today) || ci.Expiry != user.NewDate(2026, 6, 1) ||
		ci.KeyHint != user.RedactTokenKey(w.token1.Key) || ci.LastSeen != nil || !ci.Created.Equal(clock) {
		t.Errorf("ci token %+v", ci)
	}
	if py.PK != w.token2.ID || py.Name != "python-client" || py.Revoked || !py.Active(today) || py.Expiry != user.NewDate(2027, 3, 14) {
		t.Errorf("python token %+v", py)
	}
	no = false
	if live, _, err := f.q.Tokens(ctx, users.TokenFilter{Revoked: &no}); err != nil || len(live) != 1 || live[0].PK != w.token2.ID {
		t.Errorf("live tokens %+v, %v", live, err)
	}

	// Effective roles are the union of the groups' rule sets.
	acc, err := f.q.Access(ctx, w.alice)
	if err != nil {
		t.Fatal(err)
	}
	wantRoles := map[user.Role]user.PermSet{
		user.RoleStock: {View: true, Add: true, Change: true},
		user.RolePart:  {View: true},
		user.RoleBOM:   {View: true, Change: true, Delete: true},
	}
	if !reflect.DeepEqual(acc.Roles, wantRoles) || acc.UserID != w.alice || !acc.Active || !acc.Staff || acc.Superuser {
		t.Fatalf("alice's access %+v", acc)
	}
	if !acc.Can(user.RoleStock, user.PermAdd) || acc.Can(user.RoleStock, user.PermDelete) || acc.Can(user.RoleBuild, user.PermView) {
		t.Fatal("alice's permissions")
	}
	if acc, err := f.q.Access(ctx, w.carol); err != nil || len(acc.Roles) != 0 || !acc.Can(user.RoleAdmin, user.PermDelete) {
		t.Fatalf("carol (superuser, no groups): %+v, %v", acc, err)
	}
	if acc, err := f.q.Access(ctx, w.bob); err != nil || acc.Can(user.RolePart, user.PermView) {
		t.Fatalf("bob is inactive and may do nothing: %+v, %v", acc, err)
	}
}

func TestUsersReadModelFollowsChangesAndRebuilds(t *testing.T) {
	f := newFixture(t)
	w := populate(t, f)
	ctx := context.Background()

	// Rename a user and a group, take a role away by deleting a group, delete a user.
	newName, email := "alice.l", ""
	res, err := f.h.UpdateUser(ctx, commands.UpdateUser{UserID: w.alice, Changes: user.UserChanges{Username: &newName, Email: &email}})
	f.did(t, res, err)
	res, err = f.h.RenameGroup(ctx, commands.RenameGroup{GroupID: w.parts, Name: "Engineers"})
	f.did(t, res, err)
	res, err = f.h.DeleteGroup(ctx, commands.DeleteGroup{GroupID: w.stock})
	f.did(t, res, err)
	res, err = f.h.DeleteUser(ctx, commands.DeleteUser{UserID: w.bob})
	f.did(t, res, err)
	f.sync(t)

	check := func(t *testing.T) {
		t.Helper()
		alice, err := f.q.User(ctx, w.alice)
		if err != nil || alice.Username != "alice.l" || alice.Email != "" || !reflect.DeepEqual(alice.Groups, []users.GroupRef{{PK: w.parts, Name: "Engineers"}}) {
			t.Fatalf("alice = %+v, %v", alice, err)
		}
		acc, err := f.q.Access(ctx, w.alice)
		if err != nil || acc.Can(user.RoleStock, user.PermView) || !acc.Can(user.RoleBOM, user.PermDelete) {
			t.Fatalf("alice's access after the stock group went: %+v, %v", acc, err)
		}
		if _, err := f.q.Group(ctx, w.stock); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("deleted group: %v", err)
		}
		if _, err := f.q.User(ctx, w.bob); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("deleted user: %v", err)
		}
		parts, err := f.q.Group(ctx, w.parts)
		if err != nil || len(parts.Users) != 1 || parts.Users[0].PK != w.alice {
			t.Fatalf("members after bob's deletion: %+v, %v", parts, err)
		}
		if toks, _, err := f.q.Tokens(ctx, users.TokenFilter{}); err != nil || len(toks) != 2 {
			t.Fatalf("tokens %+v, %v", toks, err)
		}
	}
	check(t)

	// The read model is a function of the log: rebuilt from the start, it is the same.
	if _, err := f.Pool.Exec(ctx, `UPDATE users SET username = 'damaged'`); err != nil {
		t.Fatal(err)
	}
	if err := f.Runner.Rebuild(ctx, users.Name, nil); err != nil {
		t.Fatal(err)
	}
	check(t)
}
