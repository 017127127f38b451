package tests

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/domain/user"
)

// The auth matrix: every endpoint the server serves, with the rule that admits a
// request, checked with no credentials, a bad token, a user who lacks the rule and a
// user who meets it. An area adds its endpoints as one function returning its rows and
// one line in authRows.

// admits is who an endpoint lets through.
type admits int

const (
	// public: anyone, even without credentials (GET /api/).
	public admits = iota + 1
	// authenticated: any user who logged in.
	authenticated
	// hasRole: a user holding Role's Perm (InvenTree's RolePermission); superusers too.
	hasRole
	// staff: staff users (DRF's IsAdminUser; superusers count).
	staff
	// staffWithRole: staff users holding Role's Perm, and superusers
	// (InvenTree's StaffRolePermissionOrReadOnly on a write).
	staffWithRole
	// superuser: superusers only.
	superuser
)

func (a admits) String() string {
	return [...]string{"?", "public", "authenticated", "role", "staff", "staff+role", "superuser"}[a]
}

// authRow is one method of one endpoint.
type authRow struct {
	Method string
	// Path is a concrete URL; detail rows name an object that does not exist (so that
	// an allowed write finds nothing to change) unless the endpoint is about the caller.
	Path   string
	Admits admits
	// Role and Perm, for hasRole and staffWithRole.
	Role user.Role
	Perm user.Perm
	// Body is sent by writes; nil sends none.
	Body any
	// Destructive rows are not sent by an allowed user (DELETE /api/user/me/ would
	// delete the user the other rows need).
	Destructive bool
}

// authRows lists every area's rows. Add one line per area.
func authRows() []authRow {
	return slices.Concat(
		rootAuthRows(),
		statusAuthRows(),
		userAuthRows(),
		partAuthRows(),
		stockAuthRows(),
		auditAuthRows(),
		historyAuthRows(),
		reportAuthRows(),
		companyAuthRows(),
		stockCustomerAuthRows(),
		orderAuthRows(),
	)
}

func rootAuthRows() []authRow {
	return []authRow{
		{Method: http.MethodGet, Path: "/api/", Admits: public},
		{Method: http.MethodGet, Path: "/api/version/", Admits: staff},
	}
}

func statusAuthRows() []authRow {
	rows := []authRow{
		{Method: http.MethodGet, Path: "/api/generic/status/", Admits: authenticated},
		{Method: http.MethodGet, Path: "/api/generic/status/custom/", Admits: authenticated},
		{Method: http.MethodGet, Path: "/api/generic/status/StockStatus/", Admits: authenticated},
	}
	for _, p := range []string{"/api/stock/status/", "/api/stock/track/status/", "/api/order/po/status/",
		"/api/order/so/status/", "/api/order/ro/status/", "/api/order/ro-line/status/", "/api/build/status/"} {
		rows = append(rows, authRow{Method: http.MethodGet, Path: p, Admits: authenticated})
	}
	return rows
}

func userAuthRows() []authRow {
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
		noUser                     = "/api/user/999999/"
		noGroup                    = "/api/user/group/999999/"
		noRuleSet                  = "/api/user/ruleset/99999901/"
		noToken                    = "/api/user/tokens/999999/"
	)
	empty := map[string]any{}
	return []authRow{
		{Method: get, Path: "/api/user/me/", Admits: authenticated},
		{Method: patch, Path: "/api/user/me/", Admits: authenticated, Body: empty},
		{Method: put, Path: "/api/user/me/", Admits: authenticated, Body: empty},
		{Method: del, Path: "/api/user/me/", Admits: authenticated, Destructive: true},
		{Method: get, Path: "/api/user/me/token/?name=matrix", Admits: authenticated},
		{Method: get, Path: "/api/user/token/?name=matrix", Admits: authenticated},
		{Method: get, Path: "/api/user/me/roles/", Admits: authenticated},
		{Method: get, Path: "/api/user/roles/", Admits: authenticated},
		{Method: get, Path: "/api/user/tokens/", Admits: authenticated},
		{Method: post, Path: "/api/user/tokens/", Admits: authenticated, Body: map[string]any{"name": "matrix"}},
		{Method: get, Path: noToken, Admits: authenticated},
		{Method: del, Path: noToken, Admits: authenticated},

		{Method: get, Path: "/api/user/", Admits: authenticated},
		{Method: post, Path: "/api/user/", Admits: staffWithRole, Role: user.RoleAdmin, Perm: user.PermAdd, Body: empty},
		{Method: get, Path: noUser, Admits: authenticated},
		{Method: put, Path: noUser, Admits: staffWithRole, Role: user.RoleAdmin, Perm: user.PermChange, Body: empty},
		{Method: patch, Path: noUser, Admits: staffWithRole, Role: user.RoleAdmin, Perm: user.PermChange, Body: empty},
		{Method: del, Path: noUser, Admits: staffWithRole, Role: user.RoleAdmin, Perm: user.PermDelete},
		{Method: put, Path: noUser + "set-password/", Admits: superuser, Body: empty},
		{Method: patch, Path: noUser + "set-password/", Admits: superuser, Body: empty},

		{Method: get, Path: "/api/user/group/", Admits: authenticated},
		{Method: post, Path: "/api/user/group/", Admits: staff, Body: empty},
		{Method: get, Path: noGroup, Admits: authenticated},
		{Method: put, Path: noGroup, Admits: staff, Body: empty},
		{Method: patch, Path: noGroup, Admits: staff, Body: empty},
		{Method: del, Path: noGroup, Admits: staff},
		{Method: get, Path: "/api/user/ruleset/", Admits: authenticated},
		{Method: get, Path: noRuleSet, Admits: authenticated},
		{Method: put, Path: noRuleSet, Admits: staff, Body: empty},
		{Method: patch, Path: noRuleSet, Admits: staff, Body: empty},

		{Method: get, Path: "/api/user/owner/", Admits: authenticated},
		{Method: get, Path: "/api/user/owner/999999/", Admits: authenticated},
	}
}

// TestAuthMatrix checks every row of authRows.
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	nobody := s.CreateUser(UserSpec{Username: "nobody"})
	holders := &holderCache{s: s, users: map[string]*User{}}

	for _, row := range authRows() {
		name := fmt.Sprintf("%s %s (%s %s.%s)", row.Method, row.Path, row.Admits, row.Role, row.Perm)
		t.Run(name, func(t *testing.T) {
			// Without credentials: 401 with DRF's message and InvenTree's scheme.
			if row.Admits != public {
				r := s.Anonymous().For(t).Do(row.Method, row.Path, row.Body)
				r.WantDetail(http.StatusUnauthorized, "Authentication credentials were not provided.")
				if got := r.Header.Get("WWW-Authenticate"); got != "Token" {
					t.Errorf("WWW-Authenticate %q, want Token", got)
				}
			}
			// A token nobody issued is refused everywhere, public endpoints included, as
			// DRF authenticates every request.
			bad := s.Token("inv-0000000000000000000000000000000000000000-20240101").For(t)
			bad.Do(row.Method, row.Path, row.Body).WantDetail(http.StatusUnauthorized, "Invalid token.")

			// A user who does not meet the rule: 403.
			if lacking := holders.lacking(t, row); lacking != nil {
				lacking.For(t).Do(row.Method, row.Path, row.Body).
					WantDetail(http.StatusForbidden, "You do not have permission to perform this action.")
			}
			// A user who meets it gets past authentication and permission.
			if row.Destructive {
				return
			}
			allowed := holders.meeting(t, row, nobody)
			if r := allowed.For(t).Do(row.Method, row.Path, row.Body); r.Status == http.StatusUnauthorized ||
				r.Status == http.StatusForbidden || r.Status >= 500 {
				t.Errorf("allowed user: %s", r)
			}
		})
	}
}

// TestAuthMatrixCoversEveryRoute fails for every route of the API that no row of
// authRows exercises, so that no endpoint goes unchecked. (Which methods a route
// serves cannot be read from the router, which answers every method, 405 included,
// only after authentication; an area lists its methods itself.)
func TestAuthMatrixCoversEveryRoute(t *testing.T) {
	t.Parallel()
	s := startBare(t)
	routes, ok := s.App.Handler().(chi.Routes)
	if !ok {
		t.Fatalf("the handler is a %T, not a chi router", s.App.Handler())
	}
	rows := authRows()
	seen := map[string]bool{}
	err := chi.Walk(routes, func(_, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !strings.HasPrefix(route, "/api/") || seen[route] {
			return nil
		}
		seen[route] = true
		re := routePattern(route)
		if !slices.ContainsFunc(rows, func(r authRow) bool {
			path, _, _ := strings.Cut(r.Path, "?")
			return re.MatchString(path)
		}) {
			t.Errorf("route %s has no row in the auth matrix: add one per method to its area's rows (listed in authRows)", route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 10 {
		t.Fatalf("walked only %d API routes: %v", len(seen), seen)
	}
}

// routePattern turns a chi pattern ("/api/user/{id:[0-9]+}/") into a regular
// expression matching the paths it serves.
func routePattern(route string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for route != "" {
		open := strings.IndexByte(route, '{')
		if open < 0 {
			b.WriteString(regexp.QuoteMeta(route))
			break
		}
		b.WriteString(regexp.QuoteMeta(route[:open]))
		end := strings.IndexByte(route[open:], '}') + open
		if _, expr, ok := strings.Cut(route[open+1:end], ":"); ok {
			b.WriteString("(?:" + expr + ")")
		} else {
			b.WriteString("[^/]+")
		}
		route = route[end+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestAuthBadCredentials checks that wrong credentials of each kind are refused with
// 401 on an endpoint any user may call. DRF words each case differently (the comments);
// the API answers every bad token "Invalid token." until api/errors.go shows
// internal/auth's Error.Detail, so only the status is pinned for those.
func TestAuthBadCredentials(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	for _, header := range []string{
		"Token",     // Invalid token header. No credentials provided.
		"Token a b", // Invalid token header. Token string should not contain spaces.
		"Token nope",
		"Basic",     // Invalid basic header. No credentials provided.
		"Basic !!!", // Invalid basic header. Credentials not correctly base64 encoded.
	} {
		if r := s.WithHeader(header).Do(http.MethodGet, "/api/user/me/", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%q: %s, want 401", header, r)
		}
	}
	s.Token("nope").Do(http.MethodGet, "/api/user/me/", nil).WantDetail(http.StatusUnauthorized, "Invalid token.")
	s.Basic("admin", "wrong").Do(http.MethodGet, "/api/user/me/", nil).
		WantDetail(http.StatusUnauthorized, "Invalid username/password.")
	s.Basic("ghost", adminPassword).Do(http.MethodGet, "/api/user/me/", nil).
		WantDetail(http.StatusUnauthorized, "Invalid username/password.")
}

// holderCache makes, once per test server, the users the matrix needs: a user holding
// exactly a role's permission (staff or not) and a staff user with no role.
type holderCache struct {
	s     *Server
	mu    sync.Mutex
	users map[string]*User
}

func (h *holderCache) get(t *testing.T, key string, spec UserSpec) *User {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if u, ok := h.users[key]; ok {
		return u
	}
	spec.Username = "holder-" + strings.NewReplacer(".", "-", "+", "-").Replace(key)
	u := h.s.For(t).CreateUser(spec)
	h.users[key] = u
	return u
}

// lacking is a user the row refuses (403), or nil when every user is admitted.
func (h *holderCache) lacking(t *testing.T, row authRow) *User {
	t.Helper()
	switch row.Admits {
	case hasRole:
		// Everything but the permission needed, staff included.
		return h.get(t, "staff", UserSpec{Staff: true})
	case staff:
		// Every role, but not staff.
		return h.get(t, "all-roles", UserSpec{Roles: allRoles()})
	case staffWithRole:
		// The role without staff; staff without the role is checked in the user tests.
		return h.get(t, string(row.Role)+"."+string(row.Perm), UserSpec{Roles: []string{string(row.Role) + "." + string(row.Perm)}})
	case superuser:
		// Staff with every role, yet no superuser.
		return h.get(t, "staff+all-roles", UserSpec{Staff: true, Roles: allRoles()})
	}
	return nil
}

// meeting is a user the row admits, with no more than it needs.
func (h *holderCache) meeting(t *testing.T, row authRow, nobody *User) *User {
	t.Helper()
	switch row.Admits {
	case hasRole:
		return h.get(t, string(row.Role)+"."+string(row.Perm), UserSpec{Roles: []string{string(row.Role) + "." + string(row.Perm)}})
	case staff:
		return h.get(t, "staff", UserSpec{Staff: true})
	case staffWithRole:
		return h.get(t, "staff+"+string(row.Role)+"."+string(row.Perm), UserSpec{Staff: true, Roles: []string{string(row.Role) + "." + string(row.Perm)}})
	case superuser:
		return h.s.Admin
	}
	return nobody
}

func allRoles() []string {
	var out []string
	for _, r := range user.Roles() {
		out = append(out, string(r)+".all")
	}
	return out
}
