package commands_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/internal/auth"
	"github.com/stockledger/stockledger/internal/ledgertest"
)

var userClock = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

type userFixture struct {
	*ledgertest.Ledger
	h *commands.UserHandlers
}

func newUserFixture(t *testing.T) userFixture {
	t.Helper()
	l := ledgertest.New(t, ledgertest.Options{
		Events:      [][]domain.EventType{user.Events()},
		Migrations:  []ledgertest.Migration{auth.Migrate},
		MaxAttempts: 50,
	})
	h, err := commands.NewUserHandlers(commands.UserHandlersConfig{
		Executor: l.Executor, Credentials: auth.NewCredentials(l.Pool), Now: func() time.Time { return userClock },
	})
	if err != nil {
		t.Fatal(err)
	}
	return userFixture{Ledger: l, h: h}
}

func (f userFixture) load(t *testing.T, id int64) *user.User {
	t.Helper()
	u, _, err := commands.Load(context.Background(), f.Executor, fmt.Sprintf("user-%d", id), func() *user.User { return &user.User{} })
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f userFixture) credentials(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.Pool.QueryRow(context.Background(), `SELECT count(*) FROM credentials`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func userWantViolation(t *testing.T, err error, field, msg string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a rule error on %q", err, field)
	}
	for _, v := range re.Violations {
		if v.Field == field && (msg == "" || v.Message == msg) {
			return
		}
	}
	t.Fatalf("err = %v, want %q on %q", err, msg, field)
}

func TestNewUserHandlersRefusesMissingDependencies(t *testing.T) {
	if _, err := commands.NewUserHandlers(commands.UserHandlersConfig{}); err == nil {
		t.Fatal("no executor and no credentials accepted")
	}
}

const userMsgTaken = "A user with that username already exists."

// Many requests race for one username, in different cases: exactly one wins.
func TestUsernameUniqueUnderConcurrency(t *testing.T) {
	f := newUserFixture(t)
	const n = 16
	names := []string{"alice", "Alice", "ALICE", "aLiCe"}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		winner []int64
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, _, err := f.h.CreateUser(context.Background(), commands.CreateUser{Username: names[i%len(names)]})
			if err != nil {
				userWantViolation(t, err, "username", userMsgTaken)
				return
			}
			mu.Lock()
			winner = append(winner, id)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(winner) != 1 {
		t.Fatalf("%d users created with one name: %v", len(winner), winner)
	}
}

// Users race to rename themselves to one name: exactly one gets it, and the names they
// leave are free again.
func TestRenameUniqueUnderConcurrency(t *testing.T) {
	f := newUserFixture(t)
	ctx := context.Background()
	const n = 8
	ids := make([]int64, n)
	for i := range ids {
		id, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: fmt.Sprintf("user%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	var wg sync.WaitGroup
	results := make([]error, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := "Target"
			_, results[i] = f.h.UpdateUser(ctx, commands.UpdateUser{UserID: id, Changes: user.UserChanges{Username: &target}})
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range results {
		if err == nil {
			if won >= 0 {
				t.Fatalf("users %d and %d both renamed to Target", ids[won], ids[i])
			}
			won = i
			continue
		}
		userWantViolation(t, err, "username", userMsgTaken)
	}
	if won < 0 {
		t.Fatal("nobody got the name")
	}
	if got := f.load(t, ids[won]).Username(); got != "Target" {
		t.Fatalf("winner's username %q", got)
	}
	// The winner's old name is free; a change of case keeps the claim.
	if _, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: fmt.Sprintf("user%d", won)}); err != nil {
		t.Fatalf("old name not freed: %v", err)
	}
	lower := "target"
	if _, err := f.h.UpdateUser(ctx, commands.UpdateUser{UserID: ids[won], Changes: user.UserChanges{Username: &lower}}); err != nil {
		t.Fatalf("change of case: %v", err)
	}
	if _, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: "TARGET"}); err == nil {
		t.Fatal("name taken in another case was given again")
	}
}

func TestGroupNamesAreUnique(t *testing.T) {
	f := newUserFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.h.CreateGroup(ctx, commands.CreateGroup{Name: "Stock keepers"})
		}()
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		if err == nil {
			created++
		} else {
			userWantViolation(t, err, "name", "group with this name already exists.")
		}
	}
	if created != 1 {
		t.Fatalf("%d groups named alike", created)
	}
	other, _, err := f.h.CreateGroup(ctx, commands.CreateGroup{Name: "Buyers"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.h.RenameGroup(ctx, commands.RenameGroup{GroupID: other, Name: "stock KEEPERS"})
	userWantViolation(t, err, "name", "group with this name already exists.")
	if _, err := f.h.RenameGroup(ctx, commands.RenameGroup{GroupID: other, Name: "Purchasing"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.h.CreateGroup(ctx, commands.CreateGroup{Name: "Buyers"}); err != nil {
		t.Fatalf("a renamed group's old name is not free: %v", err)
	}
	if _, err := f.h.DeleteGroup(ctx, commands.DeleteGroup{GroupID: other}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.h.CreateGroup(ctx, commands.CreateGroup{Name: "Purchasing"}); err != nil {
		t.Fatalf("a deleted group's name is not free: %v", err)
	}
}

func TestEnsureAdminIsIdempotent(t *testing.T) {
	f := newUserFixture(t)
	ctx := context.Background()

	// Several servers start at once: the admin is created once.
	var wg sync.WaitGroup
	created := make([]bool, 6)
	for i := range created {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if created[i], err = f.h.EnsureAdmin(ctx, "admin", "12345", "admin@example.com"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("admin created %d times", n)
	}
	claim, _, err := commands.Load(ctx, f.Executor, "username-admin", func() *user.UsernameClaim { return &user.UsernameClaim{} })
	if err != nil {
		t.Fatal(err)
	}
	adminID := claim.Holder()
	admin := f.load(t, adminID)
	if !admin.Exists() || admin.Username() != "admin" || !admin.Superuser() || !admin.Staff() || !admin.Active() || admin.Password() == uuid.Nil {
		t.Fatalf("admin = %+v", admin)
	}

	// A later start with another password leaves the account as it is.
	if c, err := f.h.EnsureAdmin(ctx, "admin", "another password", "other@example.com"); c || err != nil {
		t.Fatalf("second start: %v, %v", c, err)
	}
	if got := f.load(t, adminID).Password(); got != admin.Password() {
		t.Fatal("the admin's password was replaced on restart")
	}
	if _, err := f.h.EnsureAdmin(ctx, "", "x", ""); err == nil {
		t.Fatal("no username accepted")
	}
}

func TestCreateUserReportsEveryProblemAndWritesNothing(t *testing.T) {
	f := newUserFixture(t)
	_, _, err := f.h.CreateUser(context.Background(), commands.CreateUser{Username: "a b", Email: "nope", Password: "123"})
	var re *domain.RuleError
	if !errors.As(err, &re) || len(re.Violations) != 4 { // username, email, password too short and numeric
		t.Fatalf("err = %v", err)
	}
	if n := f.credentials(t); n != 0 {
		t.Fatalf("%d credentials written for a refused user", n)
	}
	_, _, err = f.h.CreateUser(context.Background(), commands.CreateUser{Username: "bob", Groups: []int64{42}})
	var nf *domain.NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "Group" || nf.ID != 42 || nf.Field != "group_ids" {
		t.Fatalf("unknown group: %v", err)
	}
}

func TestPasswordsAndDeletion(t *testing.T) {
	f := newUserFixture(t)
	ctx := context.Background()
	id, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: "alice", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	first := f.load(t, id).Password()
	if _, err := f.h.ChangeUserPassword(ctx, commands.ChangeUserPassword{UserID: id, Password: "short"}); err == nil {
		t.Fatal("a short password was accepted")
	}
	if _, err := f.h.ChangeUserPassword(ctx, commands.ChangeUserPassword{UserID: id, Password: "short", Override: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.load(t, id).Password(); got == first || got == uuid.Nil {
		t.Fatal("password credential not replaced")
	}
	if n := f.credentials(t); n != 1 {
		t.Fatalf("%d credentials after a password change, want the new one only", n)
	}
	if _, err := f.h.ChangeUserPassword(ctx, commands.ChangeUserPassword{UserID: 999, Password: "correct horse"}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}

	if _, _, err := f.h.GetUserToken(ctx, commands.GetUserToken{UserID: id, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.DeleteUser(ctx, commands.DeleteUser{UserID: id}); err != nil {
		t.Fatal(err)
	}
	if n := f.credentials(t); n != 0 {
		t.Fatalf("%d credentials left after deleting their user", n)
	}
	if _, err := f.h.DeleteUser(ctx, commands.DeleteUser{UserID: id}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: "alice"}); err != nil {
		t.Fatalf("a deleted user's name is not free: %v", err)
	}
}

func TestUserTokens(t *testing.T) {
	f := newUserFixture(t)
	ctx := context.Background()
	alice, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	bob, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}

	first, _, err := f.h.GetUserToken(ctx, commands.GetUserToken{UserID: alice, Name: " python client "})
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "python-client" || first.Expiry != user.NewDate(2027, 3, 14) || first.User != alice {
		t.Fatalf("token %+v", first)
	}
	second, _, err := f.h.GetUserToken(ctx, commands.GetUserToken{UserID: alice, Name: "python client"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := f.h.GetUserToken(ctx, commands.GetUserToken{UserID: alice, Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	u := f.load(t, alice)
	live := map[int64]bool{}
	for _, tok := range u.Tokens() {
		live[tok.ID] = tok.Live(user.DateOf(userClock))
	}
	if want := map[int64]bool{first.ID: false, second.ID: true, other.ID: true}; !reflect.DeepEqual(live, want) {
		t.Fatalf("tokens live %v, want %v (a named token replaces its namesake only)", live, want)
	}
	if first.Key == second.Key {
		t.Fatal("a key was handed out twice")
	}

	if _, err := f.h.RevokeUserToken(ctx, commands.RevokeUserToken{UserID: bob, TokenID: second.ID}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoking another user's token: %v", err)
	}
	res, err := f.h.RevokeUserToken(ctx, commands.RevokeUserToken{UserID: alice, TokenID: second.ID})
	if err != nil || res.Appended != 1 {
		t.Fatalf("revoke: %+v, %v", res, err)
	}
	if res, err := f.h.RevokeUserToken(ctx, commands.RevokeUserToken{UserID: alice, TokenID: second.ID}); err != nil || res.Appended != 0 {
		t.Fatalf("revoking again: %+v, %v", res, err)
	}

	before := f.credentials(t)
	_, _, err = f.h.GetUserToken(ctx, commands.GetUserToken{UserID: alice, Name: "<b>x</b>"})
	userWantViolation(t, err, "", "Remove HTML tags from this value")
	if _, _, err := f.h.CreateUserToken(ctx, commands.CreateUserToken{UserID: 999}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("token for an unknown user: %v", err)
	}
	if after := f.credentials(t); after != before {
		t.Fatalf("refused token requests wrote %d credentials", after-before)
	}

	tok, _, err := f.h.CreateUserToken(ctx, commands.CreateUserToken{UserID: bob, Name: "ci job", Expiry: user.NewDate(2026, 4, 1)})
	if err != nil || tok.Name != "ci job" || tok.Expiry != user.NewDate(2026, 4, 1) {
		t.Fatalf("CreateUserToken = %+v, %v", tok, err)
	}
}

func TestSetGroupsAndRuleSets(t *testing.T) {
	f := newUserFixture(t)
	ctx := context.Background()
	alice, _, err := f.h.CreateUser(ctx, commands.CreateUser{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := f.h.CreateGroup(ctx, commands.CreateGroup{Name: "Stock"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.h.SetUserGroups(ctx, commands.SetUserGroups{UserID: alice, Groups: []int64{g, g + 100}})
	var nf *domain.NotFoundError
	if !errors.As(err, &nf) || nf.ID != g+100 || nf.Field != "group_ids" {
		t.Fatalf("unknown group: %v", err)
	}
	if _, err := f.h.SetUserGroups(ctx, commands.SetUserGroups{UserID: alice, Groups: []int64{g}}); err != nil {
		t.Fatal(err)
	}
	if got := f.load(t, alice).Groups(); !reflect.DeepEqual(got, []int64{g}) {
		t.Fatalf("groups %v", got)
	}
	if _, err := f.h.SetGroupRuleSet(ctx, commands.SetGroupRuleSet{GroupID: g, Role: "nope", Perms: user.PermSet{View: true}}); err == nil {
		t.Fatal("unknown role accepted")
	}
	res, err := f.h.SetGroupRuleSet(ctx, commands.SetGroupRuleSet{GroupID: g, Role: user.RoleStock, Perms: user.PermSet{Delete: true}})
	if err != nil || res.Appended != 1 {
		t.Fatalf("SetGroupRuleSet = %+v, %v", res, err)
	}
	grp, _, err := commands.Load(ctx, f.Executor, fmt.Sprintf("group-%d", g), func() *user.Group { return &user.Group{} })
	if err != nil || grp.RuleSet(user.RoleStock) != (user.PermSet{View: true, Change: true, Delete: true}) {
		t.Fatalf("rule set %+v, %v", grp.RuleSet(user.RoleStock), err)
	}
}
