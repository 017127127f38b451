package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
)

// reTokenKey is InvenTree's key format: "inv-", 40 hex digits, "-", the creation day.
var reTokenKey = regexp.MustCompile(`^inv-[0-9a-f]{40}-[0-9]{8}$`)

type authToken struct {
	Token  string `json:"token"`
	Name   string `json:"name"`
	Expiry string `json:"expiry"`
}

type apiToken struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Token    string  `json:"token"`
	Created  string  `json:"created"`
	Expiry   string  `json:"expiry"`
	LastSeen *string `json:"last_seen"`
	Active   bool    `json:"active"`
	Revoked  bool    `json:"revoked"`
	InUse    bool    `json:"in_use"`
	User     int64   `json:"user"`
	Detail   struct {
		PK       int64  `json:"pk"`
		Username string `json:"username"`
	} `json:"user_detail"`
}

func today() time.Time { return time.Now().UTC() }

// TestTokenFlowAsInvenTreePython logs in exactly as inventree-python does: GET /api/,
// Basic GET /api/user/me/, Basic GET /api/user/token/?name=..., then every request with
// `Authorization: Token <key>`.
func TestTokenFlowAsInvenTreePython(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	clerk := s.CreateUser(UserSpec{Username: "clerk", Roles: []string{"stock.view"}})
	basic := s.Basic("clerk", clerk.Password)

	var info struct {
		Server     string `json:"server"`
		APIVersion int    `json:"apiVersion"`
	}
	s.Anonymous().Get("/api/", http.StatusOK).JSON(&info)
	if info.Server != "InvenTree" || info.APIVersion != 530 {
		t.Fatalf("GET /api/ = %+v", info)
	}
	if got := basic.Get("/api/user/me/", http.StatusOK).Object()["username"]; got != "clerk" {
		t.Fatalf("me: username %v", got)
	}

	var tok authToken
	r := basic.Get("/api/user/token/?name=inventree-python-client", http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	r.JSON(&tok)
	wantExpiry := today().AddDate(0, 0, 365).Format(time.DateOnly)
	if !reTokenKey.MatchString(tok.Token) || tok.Name != "inventree-python-client" || tok.Expiry != wantExpiry {
		t.Fatalf("token %+v, want a key like inv-<40 hex>-<yyyymmdd>, the name, expiry %s", tok, wantExpiry)
	}
	if want := today().Format("20060102"); tok.Token[len(tok.Token)-8:] != want {
		t.Errorf("key %s does not end with the creation day %s", tok.Token, want)
	}

	client := s.Token(tok.Token)
	me := client.Get("/api/user/me/", http.StatusOK).Object()
	if me["username"] != "clerk" || me["pk"] != float64(clerk.PK) {
		t.Fatalf("me with the token: %v", me)
	}
	// The request header name as the client sends it.
	s.WithHeader("token "+tok.Token).Get("/api/user/me/", http.StatusOK)

	// The token list shows it redacted, active and in use by this very request.
	var list []apiToken
	client.Get("/api/user/tokens/", http.StatusOK).JSON(&list)
	i := slices.IndexFunc(list, func(x apiToken) bool { return x.Name == "inventree-python-client" })
	if i < 0 {
		t.Fatalf("token not listed: %+v", list)
	}
	got := list[i]
	if got.Token == tok.Token || got.Token[:8] != tok.Token[:8] || got.Token[len(got.Token)-12:] != tok.Token[len(tok.Token)-12:] ||
		!got.Active || got.Revoked || !got.InUse || got.User != clerk.PK || got.Detail.Username != "clerk" || got.Expiry != wantExpiry {
		t.Errorf("listed token %+v", got)
	}

	// The new path answers the same shape; asking again for a name replaces the token
	// of that name (API 530), since a key is never shown twice.
	var again authToken
	basic.Get("/api/user/me/token/?name=inventree-python-client", http.StatusOK).JSON(&again)
	if again.Token == tok.Token || !reTokenKey.MatchString(again.Token) || again.Name != tok.Name {
		t.Fatalf("second token %+v", again)
	}
	client.Do(http.MethodGet, "/api/user/me/", nil).WantDetail(http.StatusUnauthorized, "Invalid token.")
	s.Token(again.Token).Get("/api/user/me/", http.StatusOK)

	// Names are sanitised: trimmed, spaces to '-', at most 100 characters.
	var odd authToken
	basic.Get(query("/api/user/me/token/", "name", "  my script "), http.StatusOK).JSON(&odd)
	if odd.Name != "my-script" {
		t.Errorf("sanitised name %q", odd.Name)
	}
	long := bytes.Repeat([]byte("cat"), 100)
	basic.Get(query("/api/user/me/token/", "name", string(long)), http.StatusOK).JSON(&odd)
	if len(odd.Name) != 100 {
		t.Errorf("long name kept %d characters", len(odd.Name))
	}
	basic.Call(http.MethodGet, query("/api/user/me/token/", "name", "<b>x</b>"), nil, http.StatusBadRequest).
		WantJSON(`{"non_field_errors": ["Remove HTML tags from this value"]}`)

	// No POST on this endpoint, and no token without credentials.
	basic.Call(http.MethodPost, "/api/user/token/", map[string]any{}, http.StatusMethodNotAllowed)
	s.Anonymous().Do(http.MethodGet, "/api/user/token/", nil).
		WantDetail(http.StatusUnauthorized, "Authentication credentials were not provided.")
}

// TestTokenExpiryAndRevoke: an expired token and a revoked one no longer authenticate;
// users see and revoke only their own tokens, superusers everyone's with all_users.
func TestTokenExpiryAndRevoke(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	alice := s.CreateUser(UserSpec{Username: "alice"})
	bob := s.CreateUser(UserSpec{Username: "bob"})

	yesterday := today().AddDate(0, 0, -1).Format(time.DateOnly)
	var old apiToken
	alice.Call(http.MethodPost, "/api/user/tokens/", map[string]any{"name": "old", "expiry": yesterday}, http.StatusCreated).JSON(&old)
	if !reTokenKey.MatchString(old.Token) || old.Active || old.Expiry != yesterday || old.User != alice.PK {
		t.Fatalf("created token %+v: the creation answer shows the raw key, once", old)
	}
	// InvenTree: "Token has expired"; see TestAuthBadCredentials for the wording.
	s.Token(old.Token).Do(http.MethodGet, "/api/user/me/", nil).WantDetail(http.StatusUnauthorized, "Token has expired")

	var fresh apiToken
	alice.Call(http.MethodPost, "/api/user/tokens/", map[string]any{"name": "script"}, http.StatusCreated).JSON(&fresh)
	if !fresh.Active || fresh.Expiry != today().AddDate(0, 0, 365).Format(time.DateOnly) {
		t.Fatalf("fresh token %+v", fresh)
	}
	script := s.Token(fresh.Token)
	script.Get("/api/user/me/", http.StatusOK)
	var detail apiToken
	script.Get(fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), http.StatusOK).JSON(&detail)
	if detail.Token == fresh.Token || !detail.InUse || detail.LastSeen == nil || *detail.LastSeen != today().Format(time.DateOnly) {
		t.Errorf("token detail %+v: redacted, in use, seen today", detail)
	}

	// Bob neither sees nor revokes Alice's tokens; a superuser does with all_users.
	bob.Call(http.MethodGet, fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), nil, http.StatusNotFound).
		WantDetail(http.StatusNotFound, "No ApiToken matches the given query.")
	bob.Call(http.MethodDelete, fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), nil, http.StatusNotFound)
	var bobs []apiToken
	bob.Get("/api/user/tokens/", http.StatusOK).JSON(&bobs)
	for _, x := range bobs {
		if x.User != bob.PK {
			t.Errorf("bob lists a token of user %d", x.User)
		}
	}
	bob.Get(query("/api/user/tokens/", "user", fmt.Sprint(alice.PK)), http.StatusOK).WantJSON(`[]`)
	bob.Call(http.MethodPost, "/api/user/tokens/", map[string]any{"name": "x", "user": alice.PK}, http.StatusForbidden)
	var all []apiToken
	s.Admin.Get(query("/api/user/tokens/", "all_users", "true", "user", fmt.Sprint(alice.PK)), http.StatusOK).JSON(&all)
	if len(all) != 3 { // e2e (login), old, script
		t.Errorf("superuser lists %d of alice's tokens, want 3: %+v", len(all), all)
	}
	s.Admin.Get(fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), http.StatusNotFound)
	s.Admin.Get(fmt.Sprintf("/api/user/tokens/%d/?all_users=1", fresh.ID), http.StatusOK)

	// A superuser issues a token to another user.
	var issued apiToken
	s.Admin.Call(http.MethodPost, "/api/user/tokens/", map[string]any{"name": "for-bob", "user": bob.PK}, http.StatusCreated).JSON(&issued)
	if issued.User != bob.PK || issued.Detail.Username != "bob" {
		t.Errorf("issued %+v", issued)
	}
	if got := s.Token(issued.Token).Get("/api/user/me/", http.StatusOK).Object()["username"]; got != "bob" {
		t.Errorf("token issued to bob authenticates %v", got)
	}
	s.Admin.Call(http.MethodPost, "/api/user/tokens/", map[string]any{"user": 999999}, http.StatusBadRequest).
		WantJSON(`{"user": ["Invalid pk \"999999\" - object does not exist."]}`)

	// Revoking: 204, then the token is refused and listed as revoked.
	script.Call(http.MethodDelete, fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), nil, http.StatusNoContent)
	script.Do(http.MethodGet, "/api/user/me/", nil).WantDetail(http.StatusUnauthorized, "Token has been revoked")
	var after apiToken
	alice.Get(fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), http.StatusOK).JSON(&after)
	if !after.Revoked || after.Active {
		t.Errorf("revoked token %+v", after)
	}
	var revoked []apiToken
	alice.Get("/api/user/tokens/?revoked=true", http.StatusOK).JSON(&revoked)
	if len(revoked) != 1 || revoked[0].ID != fresh.ID {
		t.Errorf("revoked=true lists %+v", revoked)
	}
	// Revoking again changes nothing.
	alice.Call(http.MethodDelete, fmt.Sprintf("/api/user/tokens/%d/", fresh.ID), nil, http.StatusNoContent)

	// Paginated as DRF does.
	var page struct {
		Count   int        `json:"count"`
		Next    *string    `json:"next"`
		Results []apiToken `json:"results"`
	}
	alice.Get("/api/user/tokens/?limit=1&ordering=name", http.StatusOK).JSON(&page)
	if page.Count != 3 || len(page.Results) != 1 || page.Results[0].Name != "e2e" || page.Next == nil {
		t.Errorf("page %+v", page)
	}
}

type rolesAnswer struct {
	User        int64               `json:"user"`
	Username    string              `json:"username"`
	Roles       map[string][]string `json:"roles"`
	Permissions map[string][]string `json:"permissions"`
	IsStaff     bool                `json:"is_staff"`
	IsSuperuser bool                `json:"is_superuser"`
}

// TestRoles: /api/user/me/roles/ (and the legacy /api/user/roles/) for a superuser, a
// group member and a user without groups.
func TestRoles(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	member := s.CreateUser(UserSpec{Username: "member", Roles: []string{"stock.view", "part.add", "build.all"}})
	loner := s.CreateUser(UserSpec{Username: "loner"})
	all := []string{"view", "add", "change", "delete"}

	cases := []struct {
		name      string
		who       *User
		want      map[string][]string
		superuser bool
		perm      string // a model the permissions must show
		permWant  []string
	}{
		{"superuser", s.Admin, map[string][]string{}, true, "stockitem", []string{"add", "change", "delete", "view"}},
		{"member", member, map[string][]string{
			"stock": {"view"}, "part": {"view", "add", "change"}, "build": all,
		}, false, "part", []string{"add", "change", "delete", "view"}}, // part: part.add + build.all
		{"no groups", loner, map[string][]string{}, false, "", nil},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/user/me/roles/", "/api/user/roles/"} {
			r := c.who.For(t).Get(path, http.StatusOK)
			var got rolesAnswer
			r.JSON(&got)
			if got.User != c.who.PK || got.Username != c.who.Username || got.IsSuperuser != c.superuser || got.IsStaff != c.superuser {
				t.Errorf("%s %s: %+v", c.name, path, got)
			}
			if len(got.Roles) != len(user.Roles()) {
				t.Errorf("%s: %d roles, want every one of the %d", c.name, len(got.Roles), len(user.Roles()))
			}
			for _, role := range user.Roles() {
				want := c.want[string(role)]
				if c.superuser {
					want = all
				}
				perms, present := got.Roles[string(role)]
				if !present || !slices.Equal(perms, want) {
					t.Errorf("%s: roles[%s] = %v (present %v), want %v (null when none)", c.name, role, perms, present, want)
				}
			}
			if c.perm != "" && !slices.Equal(got.Permissions[c.perm], c.permWant) {
				t.Errorf("%s: permissions[%s] = %v, want %v", c.name, c.perm, got.Permissions[c.perm], c.permWant)
			}
			if c.perm == "" && len(got.Permissions) != 0 {
				t.Errorf("%s: permissions %v, want none", c.name, got.Permissions)
			}
		}
	}
	// The roles object keeps InvenTree's order, and a role without permissions is null.
	body := string(loner.Get("/api/user/me/roles/", http.StatusOK).Body)
	want := `"roles":{"admin":null,"part_category":null,"part":null,"bom":null,"stock_location":null,"stock":null,` +
		`"build":null,"purchase_order":null,"sales_order":null,"return_order":null,"transfer_order":null}`
	if !bytes.Contains([]byte(body), []byte(want)) {
		t.Errorf("roles body %s\nwant it to contain %s", body, want)
	}
	// /api/user/me/?roles=true carries the same roles.
	me := member.Get("/api/user/me/?roles=true", http.StatusOK).Object()
	if roles, ok := me["roles"].(map[string]any); !ok || fmt.Sprint(roles["stock"]) != "[view]" {
		t.Errorf("me?roles=true: %v", me["roles"])
	}
	if perms, ok := loner.Get("/api/user/me/?roles=1", http.StatusOK).Object()["permissions"]; !ok || fmt.Sprint(perms) != "map[]" {
		t.Errorf("me?roles=1 without roles: permissions %v (present %v), want {}", perms, ok)
	}
	if _, ok := member.Get("/api/user/me/", http.StatusOK).Object()["roles"]; ok {
		t.Errorf("me without ?roles=true shows roles")
	}
}

// TestUserCreateAndUpdateRules: who may create and change accounts, and the 400s of
// Django's User model.
func TestUserCreateAndUpdateRules(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	reader := s.CreateUser(UserSpec{Username: "reader"})
	staffNoRole := s.CreateUser(UserSpec{Username: "staffnorole", Staff: true})
	roleNoStaff := s.CreateUser(UserSpec{Username: "rolenostaff", Roles: []string{"admin.add"}})
	manager := s.CreateUser(UserSpec{Username: "manager", Staff: true, Roles: []string{"admin.all"}})
	denied := `{"detail": "You do not have permission to perform this action."}`

	newUser := map[string]any{"username": "test", "first_name": "Test", "last_name": "User", "email": "aa@example.org"}
	// As InvenTree's test_user_api: 403 until staff with admin.add.
	reader.Call(http.MethodPost, "/api/user/", newUser, http.StatusForbidden).WantJSON(denied)
	staffNoRole.Call(http.MethodPost, "/api/user/", newUser, http.StatusForbidden).WantJSON(denied)
	roleNoStaff.Call(http.MethodPost, "/api/user/", newUser, http.StatusForbidden).WantJSON(denied)
	created := manager.Call(http.MethodPost, "/api/user/", newUser, http.StatusCreated).Object()
	for k, v := range map[string]any{"username": "test", "first_name": "Test", "last_name": "User", "email": "aa@example.org",
		"is_staff": false, "is_superuser": false, "is_active": true} {
		if created[k] != v {
			t.Errorf("created %s = %v, want %v", k, created[k], v)
		}
	}
	pk := int64(created["pk"].(float64))

	// Only a superuser may send is_superuser.
	manager.Call(http.MethodPost, "/api/user/", map[string]any{
		"username": "Superuser", "first_name": "", "last_name": "", "email": "", "is_superuser": true,
	}, http.StatusForbidden).WantJSON(`{"is_superuser": "Only a superuser can adjust this field"}`)
	manager.Call(http.MethodPatch, fmt.Sprintf("/api/user/%d/", pk), map[string]any{"is_superuser": true}, http.StatusForbidden)
	boss := s.Admin.Call(http.MethodPost, "/api/user/", map[string]any{
		"username": "boss", "first_name": "", "last_name": "", "email": "", "is_superuser": true, "is_staff": true,
	}, http.StatusCreated).Object()
	if boss["is_superuser"] != true {
		t.Errorf("superuser made %v", boss)
	}

	// Django's messages.
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"username": "TEST", "first_name": "", "last_name": "", "email": ""},
			`{"username": ["A user with that username already exists."]}`},
		{map[string]any{"username": "admin", "first_name": "", "last_name": "", "email": ""},
			`{"username": ["A user with that username already exists."]}`},
		{map[string]any{},
			`{"username": ["This field is required."], "first_name": ["This field is required."], "last_name": ["This field is required."], "email": ["This field is required."]}`},
		{map[string]any{"username": "bad name!", "first_name": "", "last_name": "", "email": "nope"},
			`{"username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."], "email": ["Enter a valid email address."]}`},
		{map[string]any{"username": "grouped", "first_name": "", "last_name": "", "email": "", "group_ids": []int64{424242}},
			`{"group_ids": ["Invalid pk \"424242\" - object does not exist."]}`},
	} {
		manager.Call(http.MethodPost, "/api/user/", c.body, http.StatusBadRequest).WantJSON(c.want)
	}

	// Anyone reads; editing needs staff with admin.change; PUT needs every name field.
	detail := fmt.Sprintf("/api/user/%d/", pk)
	reader.Get(detail, http.StatusOK)
	if n := len(reader.Get("/api/user/", http.StatusOK).List()); n != 7 {
		t.Errorf("user list has %d users, want 7", n)
	}
	reader.Call(http.MethodPatch, detail, map[string]any{"first_name": "X"}, http.StatusForbidden)
	manager.Call(http.MethodPut, detail, map[string]any{"first_name": "X"}, http.StatusBadRequest).
		WantJSON(`{"username": ["This field is required."], "last_name": ["This field is required."], "email": ["This field is required."]}`)
	changed := manager.Call(http.MethodPatch, detail, map[string]any{"first_name": "Tess", "is_active": false}, http.StatusOK).Object()
	if changed["first_name"] != "Tess" || changed["is_active"] != false || changed["last_name"] != "User" {
		t.Errorf("patched %v", changed)
	}
	manager.Call(http.MethodPatch, detail, map[string]any{"username": "reader"}, http.StatusBadRequest).
		WantJSON(`{"username": ["A user with that username already exists."]}`)
	manager.Call(http.MethodPatch, "/api/user/999999/", map[string]any{"username": "%%%"}, http.StatusNotFound).
		WantJSON(`{"detail": "No User matches the given query."}`)

	// Passwords: superusers only, Django's rules unless overridden, answer {}.
	setPW := fmt.Sprintf("/api/user/%d/set-password/", reader.PK)
	manager.Call(http.MethodPut, setPW, map[string]any{"password": "long-enough-1"}, http.StatusForbidden)
	s.Admin.Call(http.MethodPut, setPW, map[string]any{"password": 1}, http.StatusBadRequest).
		WantJSON(`{"password": ["This password is too short. It must contain at least 8 characters.", "This password is entirely numeric."]}`)
	s.Admin.Call(http.MethodPut, setPW, map[string]any{"password": 1, "override_warning": true}, http.StatusOK).WantJSON(`{}`)
	s.Basic("reader", "1").Get("/api/user/me/", http.StatusOK)
	s.Admin.Call(http.MethodPut, setPW, map[string]any{"password": "inventree"}, http.StatusOK).WantJSON(`{}`)
	s.Basic("reader", "1").Do(http.MethodGet, "/api/user/me/", nil).WantDetail(http.StatusUnauthorized, "Invalid username/password.")
	s.Basic("reader", "inventree").Get("/api/user/me/", http.StatusOK)
	// An account made through the API has no usable password until one is set.
	s.Basic("test", "").Do(http.MethodGet, "/api/user/me/", nil).WantDetail(http.StatusUnauthorized, "Invalid username/password.")

	// /me/: a user edits their own names and email, never their flags or groups.
	me := reader.Call(http.MethodPatch, "/api/user/me/", map[string]any{
		"first_name": "Rea", "is_staff": true, "is_superuser": true, "group_ids": []int64{manager.Group},
	}, http.StatusOK).Object()
	if me["first_name"] != "Rea" || me["is_staff"] != false || me["is_superuser"] != false || fmt.Sprint(me["groups"]) != "[]" {
		t.Errorf("me after PATCH: %v", me)
	}
	reader.Call(http.MethodPut, "/api/user/me/", map[string]any{"first_name": "R"}, http.StatusBadRequest)
	reader.Call(http.MethodPatch, "/api/user/me/", map[string]any{"email": "not-an-email"}, http.StatusBadRequest).
		WantJSON(`{"email": ["Enter a valid email address."]}`)

	// Deleting: staff with admin.delete; the user's tokens stop working; its name is free.
	victim := s.CreateUser(UserSpec{Username: "victim"})
	roleNoStaff.Call(http.MethodDelete, fmt.Sprintf("/api/user/%d/", victim.PK), nil, http.StatusForbidden)
	manager.Call(http.MethodDelete, fmt.Sprintf("/api/user/%d/", victim.PK), nil, http.StatusNoContent)
	victim.Call(http.MethodGet, "/api/user/me/", nil, http.StatusUnauthorized)
	manager.Get(fmt.Sprintf("/api/user/%d/", victim.PK), http.StatusNotFound)
	manager.Call(http.MethodPost, "/api/user/", map[string]any{"username": "victim", "first_name": "", "last_name": "", "email": ""}, http.StatusCreated)

	// A user may delete their own account.
	leaver := s.CreateUser(UserSpec{Username: "leaver"})
	leaver.Call(http.MethodDelete, "/api/user/me/", nil, http.StatusNoContent)
	s.Admin.Get(fmt.Sprintf("/api/user/%d/", leaver.PK), http.StatusNotFound)
}

// TestGroupRuleSetsChangeAccess: changing a group's rule sets or a user's groups
// changes what the user may do on the very next request.
func TestGroupRuleSetsChangeAccess(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	keeper := s.CreateUser(UserSpec{Username: "keeper", Staff: true, Roles: []string{"stock.view"}})
	outsider := s.CreateUser(UserSpec{Username: "outsider"})
	newUser := func(name string) map[string]any {
		return map[string]any{"username": name, "first_name": "", "last_name": "", "email": ""}
	}
	keeper.Call(http.MethodPost, "/api/user/", newUser("one"), http.StatusForbidden)

	// The keeper's group: every role listed, with InvenTree's labels.
	var group struct {
		PK    int64 `json:"pk"`
		Name  string
		Roles []struct {
			PK        int64  `json:"pk"`
			Name      string `json:"name"`
			Label     string `json:"label"`
			Group     int64  `json:"group"`
			CanView   bool   `json:"can_view"`
			CanAdd    bool   `json:"can_add"`
			CanChange bool   `json:"can_change"`
			CanDelete bool   `json:"can_delete"`
		} `json:"roles"`
	}
	outsider.Get(fmt.Sprintf("/api/user/group/%d/", keeper.Group), http.StatusOK).JSON(&group)
	if len(group.Roles) != len(user.Roles()) {
		t.Fatalf("group has %d rule sets", len(group.Roles))
	}
	var adminRS int64
	for i, rs := range group.Roles {
		if rs.Name != string(user.Roles()[i]) || rs.Group != keeper.Group || rs.Label == "" {
			t.Errorf("rule set %d: %+v", i, rs)
		}
		if rs.Name == "stock" && (!rs.CanView || rs.CanAdd) {
			t.Errorf("stock rule set %+v, want view only", rs)
		}
		if rs.Name == "admin" {
			adminRS = rs.PK
			if rs.Label != "Admin" {
				t.Errorf("admin label %q", rs.Label)
			}
		}
	}

	// Only staff change rule sets; add implies change and view, as InvenTree's save.
	path := fmt.Sprintf("/api/user/ruleset/%d/", adminRS)
	outsider.Call(http.MethodPatch, path, map[string]any{"can_add": true}, http.StatusForbidden)
	s.Admin.Call(http.MethodPatch, path, map[string]any{"can_add": true}, http.StatusOK).
		WantJSON(fmt.Sprintf(`{"pk": %d, "name": "admin", "label": "Admin", "group": %d, "can_view": true, "can_add": true, "can_change": true, "can_delete": false}`, adminRS, keeper.Group))
	keeper.Call(http.MethodPost, "/api/user/", newUser("one"), http.StatusCreated)
	keeper.Call(http.MethodDelete, "/api/user/999999/", nil, http.StatusForbidden) // no admin.delete

	// Taking the permission back takes effect at once.
	s.Admin.Call(http.MethodPut, path, map[string]any{"can_view": false, "can_add": false, "can_change": false}, http.StatusOK)
	keeper.Call(http.MethodPost, "/api/user/", newUser("two"), http.StatusForbidden)

	// So does leaving and joining a group.
	editors := s.CreateGroup("editors", "admin.add")
	s.Admin.Call(http.MethodPatch, fmt.Sprintf("/api/user/%d/", keeper.PK), map[string]any{"group_ids": []int64{editors}}, http.StatusOK)
	keeper.Call(http.MethodPost, "/api/user/", newUser("two"), http.StatusCreated)
	roles := keeper.Get("/api/user/me/roles/", http.StatusOK).Object()["roles"].(map[string]any)
	if roles["stock"] != nil || fmt.Sprint(roles["admin"]) != "[view add change]" {
		t.Errorf("roles after moving groups: %v", roles)
	}
	// Deleting the group removes its roles from its members.
	s.Admin.Call(http.MethodDelete, fmt.Sprintf("/api/user/group/%d/", editors), nil, http.StatusNoContent)
	keeper.Call(http.MethodPost, "/api/user/", newUser("three"), http.StatusForbidden)
	if groups := keeper.Get("/api/user/me/", http.StatusOK).Object()["groups"]; fmt.Sprint(groups) != "[]" {
		t.Errorf("groups after delete: %v", groups)
	}

	// Groups: staff write, names unique, the output options of InvenTree.
	outsider.Call(http.MethodPost, "/api/user/group/", map[string]any{"name": "x"}, http.StatusForbidden)
	keeper.Call(http.MethodPost, "/api/user/group/", map[string]any{"name": "Keeper-roles"}, http.StatusBadRequest).
		WantJSON(`{"name": ["group with this name already exists."]}`)
	keeper.Call(http.MethodPost, "/api/user/group/", map[string]any{}, http.StatusBadRequest).
		WantJSON(`{"name": ["This field is required."]}`)
	made := keeper.Call(http.MethodPost, "/api/user/group/?role_detail=false", map[string]any{"name": "night shift"}, http.StatusCreated)
	made.WantJSON(fmt.Sprintf(`{"pk": %d, "name": "night shift"}`, made.PK()))
	keeper.Call(http.MethodPatch, fmt.Sprintf("/api/user/group/%d/?role_detail=0&user_detail=1", made.PK()), map[string]any{"name": "late shift"}, http.StatusOK).
		WantJSON(fmt.Sprintf(`{"pk": %d, "name": "late shift", "users": []}`, made.PK()))
	// The keeper left its first group above; the group still grants stock.view.
	var detail struct {
		Permissions map[string][]string `json:"permissions"`
		Users       []any               `json:"users"`
	}
	outsider.Get(fmt.Sprintf("/api/user/group/%d/?permission_detail=true&user_detail=true", keeper.Group), http.StatusOK).JSON(&detail)
	if fmt.Sprint(detail.Permissions["stockitem"]) != "[view]" || len(detail.Permissions) != 3 || detail.Users == nil || len(detail.Users) != 0 {
		t.Errorf("group details %+v", detail)
	}
	joined := s.CreateUser(UserSpec{Username: "joiner"})
	s.Admin.Call(http.MethodPatch, fmt.Sprintf("/api/user/%d/", joined.PK), map[string]any{"group_ids": []int64{keeper.Group}}, http.StatusOK)
	members := outsider.Get(fmt.Sprintf("/api/user/group/%d/?user_detail=true", keeper.Group), http.StatusOK).Object()["users"]
	if fmt.Sprint(members) != fmt.Sprintf("[map[email:joiner@example.com first_name: last_name: pk:%d username:joiner]]", joined.PK) {
		t.Errorf("group members %v", members)
	}
	var rulesets []map[string]any
	outsider.Get(query("/api/user/ruleset/", "group", fmt.Sprint(keeper.Group), "name", "stock"), http.StatusOK).JSON(&rulesets)
	if len(rulesets) != 1 || rulesets[0]["can_view"] != true {
		t.Errorf("ruleset filter: %v", rulesets)
	}
	outsider.Call(http.MethodGet, "/api/user/ruleset/?name=nope", nil, http.StatusBadRequest).
		WantJSON(`{"name": ["Select a valid choice. nope is not one of the available choices."]}`)
}

// TestUserEventsCarryActorAndNoSecret: every change through the API is an event whose
// metadata names the user who made it, and no password or token key is ever in the log.
func TestUserEventsCarryActorAndNoSecret(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	manager := s.CreateUser(UserSpec{Username: "manager", Staff: true, Roles: []string{"admin.all"}})
	var secrets []string
	secrets = append(secrets, adminPassword, manager.Password, s.Admin.Token, manager.Token)

	actions := []struct {
		actor *User
		do    func(c *Client)
		types []string
	}{
		{manager, func(c *Client) {
			c.Call(http.MethodPost, "/api/user/group/", map[string]any{"name": "night"}, http.StatusCreated)
		}, []string{user.TypeGroupCreated, user.TypeGroupNameClaimed}},
		{manager, func(c *Client) {
			c.Call(http.MethodPost, "/api/user/", map[string]any{"username": "temp", "first_name": "", "last_name": "", "email": ""}, http.StatusCreated)
		}, []string{user.TypeUserCreated, user.TypeUsernameClaimed}},
		{s.Admin, func(c *Client) {
			pk := c.Get("/api/user/?search=temp", http.StatusOK).List()[0]["pk"]
			c.Call(http.MethodPut, fmt.Sprintf("/api/user/%v/set-password/", pk), map[string]any{"password": "temp-Secret-42"}, http.StatusOK)
			secrets = append(secrets, "temp-Secret-42")
		}, []string{user.TypeUserPasswordChanged}},
		{manager, func(c *Client) {
			var tok authToken
			c.Get("/api/user/me/token/?name=cli", http.StatusOK).JSON(&tok)
			var created apiToken
			c.Call(http.MethodPost, "/api/user/tokens/", map[string]any{"name": "ci"}, http.StatusCreated).JSON(&created)
			c.Call(http.MethodDelete, fmt.Sprintf("/api/user/tokens/%d/", created.ID), nil, http.StatusNoContent)
			secrets = append(secrets, tok.Token, created.Token)
		}, []string{user.TypeApiTokenCreated, user.TypeApiTokenCreated, user.TypeApiTokenRevoked}},
		{manager, func(c *Client) {
			c.Call(http.MethodPatch, "/api/user/me/", map[string]any{"last_name": "Manager"}, http.StatusOK)
		}, []string{user.TypeUserUpdated}},
		{manager, func(c *Client) {
			g := c.Get("/api/user/group/?search=night", http.StatusOK).List()[0]["pk"]
			c.Call(http.MethodPatch, fmt.Sprintf("/api/user/group/%v/", g), map[string]any{"name": "nights"}, http.StatusOK)
			u := c.Get("/api/user/?search=temp", http.StatusOK).List()[0]["pk"]
			c.Call(http.MethodPatch, fmt.Sprintf("/api/user/%v/", u), map[string]any{"last_name": "Worker", "group_ids": []any{g}}, http.StatusOK)
		}, []string{user.TypeGroupRenamed, user.TypeGroupNameClaimed, user.TypeGroupNameReleased, user.TypeUserUpdated, user.TypeUserGroupsChanged}},
		{manager, func(c *Client) {
			u := c.Get("/api/user/?search=temp", http.StatusOK).List()[0]["pk"]
			c.Call(http.MethodDelete, fmt.Sprintf("/api/user/%v/", u), nil, http.StatusNoContent)
		}, []string{user.TypeUserDeleted, user.TypeUsernameReleased}},
		{s.Admin, func(c *Client) {
			g := c.Get("/api/user/group/?search=night", http.StatusOK).List()[0]
			rs := g["roles"].([]any)[5].(map[string]any)["pk"]
			c.Call(http.MethodPatch, fmt.Sprintf("/api/user/ruleset/%v/", rs), map[string]any{"can_view": true}, http.StatusOK)
			c.Call(http.MethodDelete, fmt.Sprintf("/api/user/group/%v/", g["pk"]), nil, http.StatusNoContent)
		}, []string{user.TypeGroupRuleSetChanged, user.TypeGroupDeleted, user.TypeGroupNameReleased}},
	}
	for i, a := range actions {
		before := s.Head()
		a.do(a.actor.For(t))
		evs := s.EventsAfter(before)
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
			if e.Metadata.User != a.actor.Username || e.Metadata.UserID != a.actor.PK || e.Metadata.RequestID == "" {
				t.Errorf("action %d: %s on %s has metadata %+v, want user %s (%d) and a request id",
					i, e.Type, e.Stream, e.Metadata, a.actor.Username, a.actor.PK)
			}
		}
		if !slices.Equal(types, a.types) {
			t.Errorf("action %d appended %v, want %v", i, types, a.types)
		}
	}

	// No secret anywhere in the log: not in the data, not in the metadata.
	for _, e := range s.EventsAfter(eventstore.Start) {
		meta, err := json.Marshal(e.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if bytes.Contains(e.Data, []byte(secret)) || bytes.Contains(meta, []byte(secret)) {
				t.Errorf("%s on %s holds a secret: %s", e.Type, e.Stream, e.Data)
			}
		}
		if regexp.MustCompile(`inv-[0-9a-f]{40}`).Match(e.Data) || bytes.Contains(e.Data, []byte("argon2")) {
			t.Errorf("%s on %s holds a key or a hash: %s", e.Type, e.Stream, e.Data)
		}
	}
}

// TestOwners: every group and user is an owner, groups odd and users even.
func TestOwners(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	crew := s.CreateGroup("crew")
	sam := s.CreateUser(UserSpec{Username: "sam"})
	s.Admin.Call(http.MethodPatch, fmt.Sprintf("/api/user/%d/", sam.PK), map[string]any{"is_active": false}, http.StatusOK)

	type owner struct {
		PK         int64  `json:"pk"`
		OwnerID    int64  `json:"owner_id"`
		OwnerModel string `json:"owner_model"`
		Name       string `json:"name"`
		Label      string `json:"label"`
	}
	var all []owner
	s.Admin.Get("/api/user/owner/", http.StatusOK).JSON(&all)
	want := []owner{
		{2 * s.Admin.PK, s.Admin.PK, "user", "admin", "user"},
		{2*crew + 1, crew, "group", "crew", "group"},
		{2 * sam.PK, sam.PK, "user", "sam", "user"},
	}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("owners %+v, want %+v", all, want)
	}
	var active []owner
	s.Admin.Get("/api/user/owner/?is_active=true&search=a", http.StatusOK).JSON(&active)
	if fmt.Sprint(active) != fmt.Sprint(want[:1]) {
		t.Errorf("active owners matching a: %+v", active)
	}
	var one owner
	s.Admin.Get(fmt.Sprintf("/api/user/owner/%d/", 2*crew+1), http.StatusOK).JSON(&one)
	if one != want[1] {
		t.Errorf("owner %+v", one)
	}
	s.Admin.Get("/api/user/owner/999/", http.StatusNotFound).WantDetail(http.StatusNotFound, "No Owner matches the given query.")
}
