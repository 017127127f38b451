package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/users"
)

// The user area: accounts, groups and their rule sets, API tokens and the caller's
// roles, as InvenTree's users/api.py serves them (API 530), plus the legacy paths
// /api/user/token/ and /api/user/roles/ that inventree-python ≤ 0.23 still calls.
//
// Who may do what, from InvenTree's permission classes:
//   - /user/ and /user/{id}/ (StaffRolePermissionOrReadOnly): any authenticated user
//     reads; writing needs a staff user holding the admin role's permission for the
//     method, or a superuser. Only a superuser may send is_superuser (403 otherwise).
//   - /user/{id}/set-password/ (IsSuperuserOrSuperScope): superusers only.
//   - /user/group/ and /user/ruleset/ (IsStaffOrReadOnlyScope): any authenticated user
//     reads; staff write.
//   - /user/me/..., /user/token/, /user/roles/ and /user/tokens/: any authenticated
//     user, always about themselves; a superuser sees every user's tokens with
//     ?all_users=true and may issue a token to another user.

// UserQueries answers the users read model (projections/users.Queries).
type UserQueries interface {
	User(ctx context.Context, pk int64) (users.User, error)
	Users(ctx context.Context, f users.UserFilter) ([]users.User, int, error)
	Group(ctx context.Context, pk int64) (users.Group, error)
	Groups(ctx context.Context, f users.GroupFilter) ([]users.Group, int, error)
	RuleSet(ctx context.Context, pk int64) (users.RuleSet, error)
	RuleSets(ctx context.Context, group int64) ([]users.RuleSet, error)
	Token(ctx context.Context, pk int64) (users.Token, error)
	Tokens(ctx context.Context, f users.TokenFilter) ([]users.Token, int, error)
}

// UserCommands runs the commands on users, groups and tokens (commands.UserHandlers).
type UserCommands interface {
	CreateUser(ctx context.Context, cmd commands.CreateUser) (int64, commands.Result, error)
	UpdateUser(ctx context.Context, cmd commands.UpdateUser) (commands.Result, error)
	ChangeUserPassword(ctx context.Context, cmd commands.ChangeUserPassword) (commands.Result, error)
	DeleteUser(ctx context.Context, cmd commands.DeleteUser) (commands.Result, error)
	CreateGroup(ctx context.Context, cmd commands.CreateGroup) (int64, commands.Result, error)
	RenameGroup(ctx context.Context, cmd commands.RenameGroup) (commands.Result, error)
	DeleteGroup(ctx context.Context, cmd commands.DeleteGroup) (commands.Result, error)
	SetGroupRuleSet(ctx context.Context, cmd commands.SetGroupRuleSet) (commands.Result, error)
	CreateUserToken(ctx context.Context, cmd commands.CreateUserToken) (commands.IssuedUserToken, commands.Result, error)
	GetUserToken(ctx context.Context, cmd commands.GetUserToken) (commands.IssuedUserToken, commands.Result, error)
	RevokeUserToken(ctx context.Context, cmd commands.RevokeUserToken) (commands.Result, error)
}

var _ UserCommands = (*commands.UserHandlers)(nil)

// msgSuperuserField is InvenTree's refusal of is_superuser from a user who is not one.
const msgSuperuserField = "Only a superuser can adjust this field"

// userRoutes registers the user area. Without its dependencies (the API's own unit
// tests) it is not served.
func (s *server) userRoutes(r chi.Router) {
	if s.cfg.Users == nil || s.cfg.UserCommands == nil {
		return
	}
	s.handle(r, "/user/me/", endpoint{Get: s.getMe, Put: s.updateMe, Patch: s.updateMe, Delete: s.deleteMe, Meta: meta{
		Name:        "Me User Detail",
		Description: "Detail endpoint for current user.",
		Model:       "user",
		Fields:      meUserFields(),
	}})
	for _, p := range []string{"/user/me/token/", "/user/token/"} {
		s.handle(r, p, endpoint{Get: s.getAuthToken, Meta: meta{
			Name:        "Get Auth Token",
			Description: "Return authentication token for an authenticated user.",
		}})
	}
	for _, p := range []string{"/user/me/roles/", "/user/roles/"} {
		s.handle(r, p, endpoint{Get: s.getRoles, Meta: meta{
			Name:        "Role Details",
			Description: "API endpoint which lists the available role permissions for the current user.",
		}})
	}
	s.handle(r, "/user/tokens/", endpoint{Get: s.listTokens, Post: s.createToken, Meta: meta{
		Name: "Token List", Description: "List of user tokens for current user.", Model: "apitoken", Fields: tokenFields(),
	}})
	s.handle(r, "/user/tokens/{id:[0-9]+}/", endpoint{Get: s.getTokenDetail, Delete: s.revokeToken, Meta: meta{
		Name: "Token Detail", Description: "Details for a user token.", Model: "apitoken",
	}})

	admin := r.With(s.staffRoleOrReadOnly(user.RoleAdmin))
	s.handle(admin, "/user/", endpoint{Get: s.listUsers, Post: s.createUser, Meta: meta{
		Name: "User List", Description: "List endpoint for detail on all users.", Model: "user", Fields: userFields(),
	}})
	s.handle(admin, "/user/{id:[0-9]+}/", endpoint{Get: s.getUser, Put: s.updateUser, Patch: s.updateUser, Delete: s.deleteUser, Meta: meta{
		Name: "User Detail", Description: "Detail endpoint for a single user.", Model: "user", Fields: userFields(),
	}})
	s.handle(r.With(s.requireSuperuser), "/user/{id:[0-9]+}/set-password/", endpoint{Put: s.setPassword, Patch: s.setPassword, Meta: meta{
		Name: "User Detail Set Password", Description: "Allows superusers to set the password for a user.", Fields: setPasswordFields(),
	}})

	staff := r.With(s.staffOrReadOnly)
	s.handle(staff, "/user/group/", endpoint{Get: s.listGroups, Post: s.createGroup, Meta: meta{
		Name: "Group List", Description: "List endpoint for all auth groups.", Model: "group", Fields: groupFields(),
	}})
	s.handle(staff, "/user/group/{id:[0-9]+}/", endpoint{Get: s.getGroup, Put: s.updateGroup, Patch: s.updateGroup, Delete: s.deleteGroup, Meta: meta{
		Name: "Group Detail", Description: "Detail endpoint for a particular auth group.", Model: "group", Fields: groupFields(),
	}})
	s.handle(staff, "/user/ruleset/", endpoint{Get: s.listRuleSets, Meta: meta{
		Name: "Rule Set List", Description: "List endpoint for all RuleSet instances.", Model: "ruleset",
	}})
	s.handle(staff, "/user/ruleset/{id:[0-9]+}/", endpoint{Get: s.getRuleSet, Put: s.updateRuleSet, Patch: s.updateRuleSet, Meta: meta{
		Name: "Rule Set Detail", Description: "Detail endpoint for a particular RuleSet instance.", Model: "ruleset", Fields: ruleSetFields(),
	}})

	s.handle(r, "/user/owner/", endpoint{Get: s.listOwners, Meta: meta{
		Name: "Owner List", Description: "List API endpoint for Owner model.\n\nCannot create a new Owner object via the API, but can view existing instances.",
	}})
	s.handle(r, "/user/owner/{id:[0-9]+}/", endpoint{Get: s.getOwner, Meta: meta{
		Name: "Owner Detail", Description: "Detail API endpoint for Owner model.\n\nCannot edit or delete",
	}})
}

// readOnlyMethod is DRF's SAFE_METHODS.
func readOnlyMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// staffRoleOrReadOnly is InvenTree's StaffRolePermissionOrReadOnly: any authenticated
// user may read; a write needs a superuser, or a staff user holding the role's
// permission for the method.
func (s *server) staffRoleOrReadOnly(role user.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, ok := AccessFrom(r.Context())
			switch {
			case !ok:
				s.fail(w, r, errNotAuthenticated)
			case readOnlyMethod(r.Method),
				a.Active && a.Superuser,
				a.Active && a.Staff && a.Can(role, methodPerm(r.Method)):
				next.ServeHTTP(w, r)
			default:
				s.fail(w, r, errPermissionDenied)
			}
		})
	}
}

// staffOrReadOnly is InvenTree's IsStaffOrReadOnlyScope: any authenticated user may
// read, staff users may write.
func (s *server) staffOrReadOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := AccessFrom(r.Context())
		switch {
		case !ok:
			s.fail(w, r, errNotAuthenticated)
		case readOnlyMethod(r.Method), isStaff(a, ok):
			next.ServeHTTP(w, r)
		default:
			s.fail(w, r, errPermissionDenied)
		}
	})
}

// requireSuperuser lets superusers through only (InvenTree's IsSuperuserOrSuperScope).
func (s *server) requireSuperuser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := AccessFrom(r.Context())
		switch {
		case !ok:
			s.fail(w, r, errNotAuthenticated)
		case a.Active && a.Superuser:
			next.ServeHTTP(w, r)
		default:
			s.fail(w, r, errPermissionDenied)
		}
	})
}

// requestUser is the authenticated user of a request; every user endpoint is guarded, so
// an anonymous request never gets here, but a handler must not act for nobody.
func requestUser(r *http.Request) (user.Access, error) {
	a, ok := AccessFrom(r.Context())
	if !ok {
		return user.Access{}, errNotAuthenticated
	}
	return a, nil
}

// refuseSuperuserField answers a request that sends is_superuser from a user who is no
// superuser as InvenTree does: 403 with the message on the field. DRF raises it as a
// PermissionDenied carrying a dict, a shape fail has no case for, so it is written here.
// It reports whether it answered.
func refuseSuperuserField(w http.ResponseWriter, b *body, a user.Access) (bool, error) {
	if !b.has("is_superuser") || a.Superuser {
		return false, nil
	}
	return true, writeJSON(w, http.StatusForbidden, map[string]string{"is_superuser": msgSuperuserField})
}

// usersPage is a list request's paging, ordering and search for the users read
// model, which applies DRF's ordering and search parameters itself.
func (s *server) usersPage(r *http.Request) (ListQuery, users.Page) {
	lq := s.listQuery(r, ordering{})
	v := r.URL.Query()
	return lq, users.Page{Limit: lq.Limit, Offset: lq.Offset, Ordering: lastValue(v, "ordering"), Search: searchParam(v)}
}

// tokenToday is the calendar day that decides whether a token is active: UTC's, as the
// authenticator and the token commands count days by default.
func (s *server) tokenToday() user.Date {
	now := time.Now
	if s.cfg.Now != nil {
		now = s.cfg.Now
	}
	return user.DateOf(now().UTC())
}

// ---- bodies ----

// userBody is InvenTree's ExtendedUserSerializer (and UserCreateSerializer, which
// the user list uses): the account, its groups, its flags and its profile.
type userBody struct {
	PK          int64          `json:"pk"`
	Username    string         `json:"username"`
	FirstName   string         `json:"first_name"`
	LastName    string         `json:"last_name"`
	Email       string         `json:"email"`
	Groups      []userGroupRef `json:"groups"`
	IsStaff     bool           `json:"is_staff"`
	IsSuperuser bool           `json:"is_superuser"`
	IsActive    bool           `json:"is_active"`
	Profile     briefProfile   `json:"profile"`
}

type userGroupRef struct {
	PK   int64  `json:"pk"`
	Name string `json:"name"`
}

// briefProfile is InvenTree's BriefUserProfileSerializer. Stockledger keeps no user
// profiles, so every user has InvenTree's defaults.
type briefProfile struct {
	DisplayName  *string `json:"displayname"`
	Position     *string `json:"position"`
	Status       *string `json:"status"`
	Location     *string `json:"location"`
	Active       bool    `json:"active"`
	Contact      *string `json:"contact"`
	Type         string  `json:"type"`
	Organisation *string `json:"organisation"`
	PrimaryGroup *int64  `json:"primary_group"`
}

// meProfile is InvenTree's UserProfileSerializer, what /user/me/ shows.
type meProfile struct {
	Language *string `json:"language"`
	Theme    any     `json:"theme"`
	Widgets  any     `json:"widgets"`
	briefProfile
}

func defaultUserProfile() briefProfile { return briefProfile{Active: true, Type: "internal"} }

func newUserBody(u users.User) userBody {
	groups := make([]userGroupRef, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = userGroupRef{g.PK, g.Name}
	}
	return userBody{
		PK: u.PK, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		Groups: groups, IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser, IsActive: u.IsActive,
		Profile: defaultUserProfile(),
	}
}

// meBody is InvenTree's MeUserSerializer: the full profile, and the roles and
// permissions when asked for with ?roles=true.
type meBody struct {
	userBody
	Profile     meProfile            `json:"profile"`
	Roles       object               `json:"roles,omitempty"`
	Permissions *map[string][]string `json:"permissions,omitempty"`
}

// userRefBody is InvenTree's UserSerializer: the brief form of a user.
type userRefBody struct {
	PK        int64  `json:"pk"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
}

// roleLabels are InvenTree's RULESET_CHOICES labels.
var roleLabels = map[user.Role]string{
	user.RoleAdmin:         "Admin",
	user.RolePartCategory:  "Part Categories",
	user.RolePart:          "Parts",
	user.RoleBOM:           "Bills of Material",
	user.RoleStockLocation: "Stock Locations",
	user.RoleStock:         "Stock Items",
	user.RoleBuild:         "Build Orders",
	user.RolePurchaseOrder: "Purchase Orders",
	user.RoleSalesOrder:    "Sales Orders",
	user.RoleReturnOrder:   "Return Orders",
	user.RoleTransferOrder: "Transfer Orders",
}

// roleModels are the Django models each role grants permissions on (InvenTree's
// get_ruleset_models, model names only), from which the "permissions" objects are
// derived: Django's per-model permissions are the union of the roles covering a model.
var roleModels = map[user.Role][]string{
	user.RoleAdmin: {"group", "user", "permission", "apitoken", "ruleset", "labeltemplate", "reportasset",
		"reportsnippet", "reporttemplate", "emailaddress", "emailconfirmation", "socialaccount", "socialapp",
		"socialtoken", "totpdevice", "statictoken", "staticdevice", "authenticator", "application", "grant",
		"idtoken", "accesstoken", "refreshtoken", "pluginconfig", "pluginsetting", "pluginusersetting",
		"barcodescanresult", "newsfeedentry", "tag", "taggeditem", "flagstate", "machineconfig",
		"machinesetting", "emailmessage", "emailthread", "mailbox", "messageattachment", "message"},
	user.RolePartCategory: {"partcategory", "partcategoryparametertemplate", "partcategorystar"},
	user.RolePart: {"part", "partpricing", "partsellpricebreak", "partinternalpricebreak", "parttesttemplate",
		"partrelated", "partstar", "partstocktake", "partcategorystar", "supplierpart", "manufacturerpart"},
	user.RoleBOM:           {"bomitem", "bomitemsubstitute"},
	user.RoleStockLocation: {"stocklocation", "stocklocationtype"},
	user.RoleStock:         {"stockitem", "stockitemtracking", "stockitemtestresult"},
	user.RoleBuild: {"part", "partcategory", "bomitem", "bomitemsubstitute", "build", "builditem", "buildline",
		"stockitem", "stocklocation"},
	user.RolePurchaseOrder: {"company", "contact", "address", "manufacturerpart", "supplierpart",
		"supplierpricebreak", "purchaseorder", "purchaseorderlineitem", "purchaseorderextraline"},
	user.RoleSalesOrder: {"company", "contact", "address", "salesorder", "salesorderallocation",
		"salesorderlineitem", "salesorderextraline", "salesordershipment"},
	user.RoleReturnOrder:   {"company", "contact", "address", "returnorder", "returnorderlineitem", "returnorderextraline"},
	user.RoleTransferOrder: {"transferorder", "transferorderallocation", "transferorderlineitem"},
}

// permissionDict is InvenTree's generate_permission_dict over the Django permissions
// the roles grant: model -> permissions, in Django's order (by codename).
func permissionDict(roles map[user.Role]user.PermSet) map[string][]string {
	per := map[string]user.PermSet{}
	for role, perms := range roles {
		for _, model := range roleModels[role] {
			per[model] = per[model].Union(perms)
		}
	}
	out := make(map[string][]string, len(per))
	for model, p := range per {
		var list []string
		for _, x := range []user.Perm{user.PermAdd, user.PermChange, user.PermDelete, user.PermView} {
			if p.Has(x) {
				list = append(list, string(x))
			}
		}
		if list != nil {
			out[model] = list
		}
	}
	return out
}

// effectiveRoles is what a user holds in each role: everything for a superuser, the
// union of its groups' rule sets otherwise.
func effectiveRoles(a user.Access) map[user.Role]user.PermSet {
	out := make(map[user.Role]user.PermSet, len(user.Roles()))
	for _, role := range user.Roles() {
		switch {
		case !a.Active:
		case a.Superuser:
			out[role] = user.PermSet{View: true, Add: true, Change: true, Delete: true}
		default:
			out[role] = a.Roles[role]
		}
	}
	return out
}

// rolesObject is the "roles" of InvenTree's RoleSerializer: every role in InvenTree's
// order, with its permissions in InvenTree's order, null when it has none.
func rolesObject(roles map[user.Role]user.PermSet) object {
	out := make(object, 0, len(user.Roles()))
	for _, role := range user.Roles() {
		var perms any
		if list := roles[role].List(); list != nil {
			perms = list
		}
		out = append(out, member{string(role), perms})
	}
	return out
}

// ruleSetBody is InvenTree's RuleSetSerializer.
type ruleSetBody struct {
	PK        int64  `json:"pk"`
	Name      string `json:"name"`
	Label     string `json:"label"`
	Group     int64  `json:"group"`
	CanView   bool   `json:"can_view"`
	CanAdd    bool   `json:"can_add"`
	CanChange bool   `json:"can_change"`
	CanDelete bool   `json:"can_delete"`
}

func newRuleSetBody(rs users.RuleSet) ruleSetBody {
	return ruleSetBody{
		PK: rs.PK, Name: string(rs.Role), Label: roleLabels[rs.Role], Group: rs.Group,
		CanView: rs.Perms.View, CanAdd: rs.Perms.Add, CanChange: rs.Perms.Change, CanDelete: rs.Perms.Delete,
	}
}

// groupBody is InvenTree's GroupSerializer with its output options: roles unless
// role_detail=false, users with user_detail=true, permissions with
// permission_detail=true.
type groupBody struct {
	PK          int64                `json:"pk"`
	Name        string               `json:"name"`
	Permissions *map[string][]string `json:"permissions,omitempty"`
	Roles       *[]ruleSetBody       `json:"roles,omitempty"`
	Users       *[]userRefBody       `json:"users,omitempty"`
}

// groupOptions are the output options of the group endpoints.
type groupOptions struct{ roles, users, permissions bool }

func groupOptionsOf(r *http.Request) groupOptions {
	v := r.URL.Query()
	o := groupOptions{roles: true}
	if x := lastValue(v, "role_detail"); x != "" {
		o.roles = str2bool(x)
	}
	o.users = str2bool(lastValue(v, "user_detail"))
	o.permissions = str2bool(lastValue(v, "permission_detail"))
	return o
}

func newGroupBody(g users.Group, o groupOptions) groupBody {
	b := groupBody{PK: g.PK, Name: g.Name}
	if o.roles {
		roles := make([]ruleSetBody, len(g.RuleSets))
		for i, rs := range g.RuleSets {
			roles[i] = newRuleSetBody(rs)
		}
		b.Roles = &roles
	}
	if o.users {
		members := make([]userRefBody, len(g.Users))
		for i, u := range g.Users {
			members[i] = userRefBody{u.PK, u.Username, u.FirstName, u.LastName, u.Email}
		}
		b.Users = &members
	}
	if o.permissions {
		held := map[user.Role]user.PermSet{}
		for _, rs := range g.RuleSets {
			held[rs.Role] = rs.Perms
		}
		perms := permissionDict(held)
		b.Permissions = &perms
	}
	return b
}

// tokenBody is InvenTree's ApiTokenSerializer. Token is the redacted key, except in
// the answer to the POST that created it.
type tokenBody struct {
	Created    string      `json:"created"`
	Expiry     user.Date   `json:"expiry"`
	ID         int64       `json:"id"`
	LastSeen   *string     `json:"last_seen"`
	Name       string      `json:"name"`
	Token      string      `json:"token"`
	Active     bool        `json:"active"`
	Revoked    bool        `json:"revoked"`
	User       int64       `json:"user"`
	UserDetail userRefBody `json:"user_detail"`
	InUse      bool        `json:"in_use"`
}

// dateTimeFormat is InvenTree's REST_FRAMEWORK DATETIME_FORMAT.
const dateTimeFormat = "2006-01-02 15:04"

func newTokenBody(t users.Token, owner userRefBody, a user.Access, today user.Date) tokenBody {
	b := tokenBody{
		Created: t.Created.UTC().Format(dateTimeFormat), Expiry: t.Expiry, ID: t.PK, Name: t.Name,
		Token: t.KeyHint, Active: t.Active(today), Revoked: t.Revoked, User: t.User, UserDetail: owner,
		InUse: a.TokenID != 0 && a.TokenID == t.PK,
	}
	if t.LastSeen != nil {
		day := user.DateOf(t.LastSeen.UTC()).String()
		b.LastSeen = &day
	}
	return b
}

func userRef(u users.User) userRefBody {
	return userRefBody{u.PK, u.Username, u.FirstName, u.LastName, u.Email}
}

// ---- /user/me/ ----

func (s *server) getMe(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	return s.writeMe(w, r, a)
}

// writeMe answers the caller's account from the read model, so that the answer to a
// write shows it. ?roles=true adds the roles and permissions /user/me/roles/ shows,
// as the request was authenticated with them.
func (s *server) writeMe(w http.ResponseWriter, r *http.Request, a user.Access) error {
	u, err := s.cfg.Users.User(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	body := meBody{userBody: newUserBody(u), Profile: meProfile{briefProfile: defaultUserProfile()}}
	if str2bool(lastValue(r.URL.Query(), "roles")) {
		held := effectiveRoles(user.Access{Active: u.IsActive, Superuser: u.IsSuperuser, Roles: a.Roles})
		perms := permissionDict(held)
		body.Roles, body.Permissions = rolesObject(held), &perms
	}
	return writeJSON(w, http.StatusOK, body)
}

// updateMe edits the caller's own account: username, names and email. The flags and
// group_ids are read-only here (InvenTree's MeUserSerializer makes the flags read-only;
// taking group_ids here would let anyone join any group).
func (s *server) updateMe(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	ch := readUserNames(b)
	if err := b.err(); err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.UpdateUser(r.Context(), commands.UpdateUser{UserID: a.UserID, Changes: ch})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	return s.writeMe(w, r, a)
}

func (s *server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.DeleteUser(r.Context(), commands.DeleteUser{UserID: a.UserID})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// readUserNames reads the fields every user serializer writes: username, names and
// email, all required in a PUT (DRF's CharField and EmailField, blank allowed except
// for the username). Their rules (format, length) are the domain's.
func readUserNames(b *body) user.UserChanges {
	var ch user.UserChanges
	if v, ok := b.str("username", required); ok {
		ch.Username = &v
	}
	if v, ok := b.str("first_name", required, allowBlank); ok {
		ch.FirstName = &v
	}
	if v, ok := b.str("last_name", required, allowBlank); ok {
		ch.LastName = &v
	}
	if v, ok := b.str("email", required, allowBlank); ok {
		ch.Email = &v
	}
	return ch
}

// ---- /user/roles/ ----

// roleBody is InvenTree's RoleSerializer.
type roleBody struct {
	User        int64               `json:"user"`
	Username    string              `json:"username"`
	Roles       object              `json:"roles"`
	Permissions map[string][]string `json:"permissions"`
	IsStaff     bool                `json:"is_staff"`
	IsSuperuser bool                `json:"is_superuser"`
}

// getRoles answers the caller's roles as the request was authenticated with them.
func (s *server) getRoles(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	held := effectiveRoles(a)
	return writeJSON(w, http.StatusOK, roleBody{
		User: a.UserID, Username: a.Username, Roles: rolesObject(held), Permissions: permissionDict(held),
		IsStaff: a.Staff, IsSuperuser: a.Superuser,
	})
}

// ---- tokens ----

// getAuthToken is GET /user/me/token/?name= (and the legacy /user/token/): it issues a
// token of that name to the caller, replacing a live one of the same name, and shows
// its key this once. It answers only once the read model has the token, because the
// client authenticates with it on its very next request.
func (s *server) getAuthToken(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	issued, res, err := s.cfg.UserCommands.GetUserToken(r.Context(), commands.GetUserToken{
		UserID: a.UserID, Name: lastValue(r.URL.Query(), "name"),
	})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Token  string    `json:"token"`
		Name   string    `json:"name"`
		Expiry user.Date `json:"expiry"`
	}{issued.Key, issued.Name, issued.Expiry})
}

// tokenScope reads which users' tokens a request may see: its own, or everyone's for a
// superuser asking with ?all_users=true (InvenTree's TokenMixin.get_queryset).
func tokenScope(r *http.Request, a user.Access) (all bool) {
	return a.Superuser && str2bool(lastValue(r.URL.Query(), "all_users"))
}

// visibleToken returns the token pk if the caller may see it, else a not-found error.
func (s *server) visibleToken(r *http.Request, a user.Access, pk int64) (users.Token, error) {
	t, err := s.cfg.Users.Token(r.Context(), pk)
	if err != nil {
		return users.Token{}, err
	}
	if t.User != a.UserID && !tokenScope(r, a) {
		return users.Token{}, &domain.NotFoundError{Kind: "ApiToken", ID: pk}
	}
	return t, nil
}

// tokenBodies renders tokens with their users' brief details.
func (s *server) tokenBodies(ctx context.Context, ts []users.Token, a user.Access) ([]tokenBody, error) {
	owners := map[int64]userRefBody{}
	out := make([]tokenBody, len(ts))
	for i, t := range ts {
		owner, ok := owners[t.User]
		if !ok {
			u, err := s.cfg.Users.User(ctx, t.User)
			if err != nil {
				return nil, fmt.Errorf("owner of token %d: %w", t.PK, err)
			}
			owner = userRef(u)
			owners[t.User] = owner
		}
		out[i] = newTokenBody(t, owner, a, s.tokenToday())
	}
	return out, nil
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	revoked, hasRevoked := q.boolean("revoked")
	owner, hasOwner := q.pk("user")
	if err := q.err(); err != nil {
		return err
	}
	lq, page := s.usersPage(r)
	f := users.TokenFilter{Page: page, User: a.UserID}
	if tokenScope(r, a) {
		f.User = owner // 0 when absent: every user's
	} else if hasOwner && owner != a.UserID {
		return writeList(w, lq, 0, []tokenBody(nil))
	}
	if hasRevoked {
		f.Revoked = &revoked
	}
	ts, total, err := s.cfg.Users.Tokens(r.Context(), f)
	if err != nil {
		return err
	}
	rows, err := s.tokenBodies(r.Context(), ts, a)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) getTokenDetail(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	t, err := s.visibleToken(r, a, pk)
	if err != nil {
		return err
	}
	rows, err := s.tokenBodies(r.Context(), []users.Token{t}, a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rows[0])
}

// createToken is POST /user/tokens/: a token of the given name and expiry, for the
// caller or, for a superuser, for the user given. The answer shows the raw key, once.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	name, _ := b.str("name", allowBlank, maxLength(100))
	expiry, hasExpiry := b.date("expiry")
	owner, hasOwner := b.pk("user")
	if err := b.err(); err != nil {
		return err
	}
	if !hasOwner {
		owner = a.UserID
	}
	if owner != a.UserID && !a.Superuser {
		return errPermissionDenied
	}
	cmd := commands.CreateUserToken{UserID: owner, Name: name}
	if hasExpiry {
		cmd.Expiry = user.DateOf(expiry)
	}
	issued, res, err := s.cfg.UserCommands.CreateUserToken(r.Context(), cmd)
	var nf *domain.NotFoundError
	if errors.As(err, &nf) && nf.Kind == "User" && hasOwner {
		return &domain.NotFoundError{Kind: "User", ID: owner, Field: "user"}
	}
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	t, err := s.cfg.Users.Token(r.Context(), issued.ID)
	if err != nil {
		return err
	}
	rows, err := s.tokenBodies(r.Context(), []users.Token{t}, a)
	if err != nil {
		return err
	}
	rows[0].Token = issued.Key
	return writeJSON(w, http.StatusCreated, rows[0])
}

// revokeToken is DELETE /user/tokens/{id}/: InvenTree revokes the token, keeping it
// listed.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	t, err := s.visibleToken(r, a, pk)
	if err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.RevokeUserToken(r.Context(), commands.RevokeUserToken{UserID: t.User, TokenID: t.PK})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// ---- /user/ ----

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	var f users.UserFilter
	for _, flag := range []struct {
		name string
		dst  **bool
	}{{"is_active", &f.IsActive}, {"is_staff", &f.IsStaff}, {"is_superuser", &f.IsSuperuser}} {
		if v, ok := q.boolean(flag.name); ok {
			*flag.dst = &v
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	lq, page := s.usersPage(r)
	f.Page = page
	us, total, err := s.cfg.Users.Users(r.Context(), f)
	if err != nil {
		return err
	}
	rows := make([]userBody, len(us))
	for i, u := range us {
		rows[i] = newUserBody(u)
	}
	return writeList(w, lq, total, rows)
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, pk)
}

func (s *server) writeUser(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	u, err := s.cfg.Users.User(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, status, newUserBody(u))
}

// userFlags reads is_staff, is_superuser and is_active into ch.
func userFlags(b *body, ch *user.UserChanges) {
	for _, flag := range []struct {
		name string
		dst  **bool
	}{{"is_staff", &ch.Staff}, {"is_superuser", &ch.Superuser}, {"is_active", &ch.Active}} {
		if v, ok := b.boolean(flag.name); ok {
			*flag.dst = &v
		}
	}
}

// createUser is POST /user/. As InvenTree's, the account has no usable password until
// a superuser sets one (set-password/) or the user resets it.
func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	if done, err := refuseSuperuserField(w, b, a); done {
		return err
	}
	ch := readUserNames(b)
	userFlags(b, &ch)
	groups, _ := b.pkList("group_ids")
	if err := b.err(); err != nil {
		return err
	}
	cmd := commands.CreateUser{
		Username: derefOrZero(ch.Username), FirstName: derefOrZero(ch.FirstName), LastName: derefOrZero(ch.LastName), Email: derefOrZero(ch.Email),
		Staff: derefOrZero(ch.Staff), Superuser: derefOrZero(ch.Superuser), Active: ch.Active, Groups: groups,
	}
	pk, res, err := s.cfg.UserCommands.CreateUser(r.Context(), cmd)
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusCreated, pk)
}

// updateUser is PUT/PATCH /user/{id}/: names, email, flags and, with group_ids, the
// memberships.
func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	a, err := requestUser(r)
	if err != nil {
		return err
	}
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	// DRF finds the object before it reads the body: an unknown user is a 404 whatever
	// was sent.
	if _, err := s.cfg.Users.User(r.Context(), pk); err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	if done, err := refuseSuperuserField(w, b, a); done {
		return err
	}
	cmd := commands.UpdateUser{UserID: pk, Changes: readUserNames(b)}
	userFlags(b, &cmd.Changes)
	if groups, ok := b.pkList("group_ids"); ok {
		cmd.Groups = &groups
	}
	if err := b.err(); err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.UpdateUser(r.Context(), cmd)
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, pk)
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.DeleteUser(r.Context(), commands.DeleteUser{UserID: pk})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// setPassword is PUT/PATCH /user/{id}/set-password/: InvenTree answers {} and checks
// the password rules unless override_warning is true.
func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.cfg.Users.User(r.Context(), pk); err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	password, hasPassword := b.str("password", required)
	override, _ := b.boolean("override_warning")
	if err := b.err(); err != nil {
		return err
	}
	if hasPassword {
		res, err := s.cfg.UserCommands.ChangeUserPassword(r.Context(), commands.ChangeUserPassword{
			UserID: pk, Password: password, Override: override,
		})
		if err != nil {
			return err
		}
		// The authenticator reads the password through the read model.
		if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, struct{}{})
}

// ---- groups and rule sets ----

func (s *server) listGroups(w http.ResponseWriter, r *http.Request) error {
	lq, page := s.usersPage(r)
	gs, total, err := s.cfg.Users.Groups(r.Context(), users.GroupFilter{Page: page})
	if err != nil {
		return err
	}
	o := groupOptionsOf(r)
	rows := make([]groupBody, len(gs))
	for i, g := range gs {
		rows[i] = newGroupBody(g, o)
	}
	return writeList(w, lq, total, rows)
}

func (s *server) getGroup(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, pk)
}

func (s *server) writeGroup(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	g, err := s.cfg.Users.Group(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, status, newGroupBody(g, groupOptionsOf(r)))
}

func (s *server) createGroup(w http.ResponseWriter, r *http.Request) error {
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	name, _ := b.str("name", required, maxLength(150))
	if err := b.err(); err != nil {
		return err
	}
	pk, res, err := s.cfg.UserCommands.CreateGroup(r.Context(), commands.CreateGroup{Name: name})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusCreated, pk)
}

func (s *server) updateGroup(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.cfg.Users.Group(r.Context(), pk); err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	name, hasName := b.str("name", required, maxLength(150))
	if err := b.err(); err != nil {
		return err
	}
	if hasName {
		res, err := s.cfg.UserCommands.RenameGroup(r.Context(), commands.RenameGroup{GroupID: pk, Name: name})
		if err != nil {
			return err
		}
		if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
			return err
		}
	}
	return s.writeGroup(w, r, http.StatusOK, pk)
}

func (s *server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.DeleteGroup(r.Context(), commands.DeleteGroup{GroupID: pk})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// listRuleSets lists rule sets, filtered by group and name (a role), searched and
// ordered by name; there are eleven per group, so paging is done here.
func (s *server) listRuleSets(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	group, _ := q.pk("group")
	role, hasRole := q.str("name")
	if hasRole && !user.Role(role).Valid() {
		q.errs.Add("name", fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", role))
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	all, err := s.cfg.Users.RuleSets(r.Context(), group)
	if err != nil {
		return err
	}
	terms := searchTerms(searchParam(r.URL.Query()))
	rows := make([]ruleSetBody, 0, len(all))
	for _, rs := range all {
		if hasRole && string(rs.Role) != role || !searchMatches(string(rs.Role), terms) {
			continue
		}
		rows = append(rows, newRuleSetBody(rs))
	}
	switch strings.TrimSpace(lastValue(r.URL.Query(), "ordering")) {
	case "name":
		slices.SortStableFunc(rows, func(x, y ruleSetBody) int { return cmp.Compare(x.Name, y.Name) })
	case "-name":
		slices.SortStableFunc(rows, func(x, y ruleSetBody) int { return cmp.Compare(y.Name, x.Name) })
	}
	return writeList(w, lq, len(rows), pageRows(rows, lq))
}

// searchMatches is DRF's search over one field: every term occurs, case-insensitively.
func searchMatches(field string, terms []string) bool {
	field = strings.ToLower(field)
	for _, t := range terms {
		if !strings.Contains(field, strings.ToLower(t)) {
			return false
		}
	}
	return true
}

// pageRows cuts the page lq asks for out of rows.
func pageRows[T any](rows []T, lq ListQuery) []T {
	if !lq.Paged() {
		return rows
	}
	from := min(lq.Offset, len(rows))
	return rows[from:min(from+lq.Limit, len(rows))]
}

func (s *server) getRuleSet(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	rs, err := s.cfg.Users.RuleSet(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRuleSetBody(rs))
}

// updateRuleSet is PUT/PATCH /user/ruleset/{id}/. Its flags all have defaults, so a
// PUT changes only what it sends, as a PATCH does; the rest keeps the value the read
// model shows. InvenTree's RuleSet.save implications (add implies change and view, ...)
// are the domain's.
func (s *server) updateRuleSet(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	rs, err := s.cfg.Users.RuleSet(r.Context(), pk)
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	perms := rs.Perms
	for _, flag := range []struct {
		name string
		dst  *bool
	}{{"can_view", &perms.View}, {"can_add", &perms.Add}, {"can_change", &perms.Change}, {"can_delete", &perms.Delete}} {
		if v, ok := b.boolean(flag.name); ok {
			*flag.dst = v
		}
	}
	if err := b.err(); err != nil {
		return err
	}
	res, err := s.cfg.UserCommands.SetGroupRuleSet(r.Context(), commands.SetGroupRuleSet{GroupID: rs.Group, Role: rs.Role, Perms: perms})
	if err != nil {
		return err
	}
	if err := s.awaitProjections(r.Context(), res, users.Name); err != nil {
		return err
	}
	if rs, err = s.cfg.Users.RuleSet(r.Context(), pk); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newRuleSetBody(rs))
}

// ---- owners ----

// ownerBody is InvenTree's OwnerSerializer. InvenTree keeps an Owner row per user and
// per group; Stockledger derives the owner pk from theirs (OwnerPK), so that it is
// stable across rebuilds without a table of its own.
type ownerBody struct {
	PK         int64  `json:"pk"`
	OwnerID    int64  `json:"owner_id"`
	OwnerModel string `json:"owner_model"`
	Name       string `json:"name"`
	Label      string `json:"label"`
}

// OwnerPK is the owner pk of a user (group false) or a group: users are even, groups
// odd.
func OwnerPK(id int64, group bool) int64 {
	if group {
		return 2*id + 1
	}
	return 2 * id
}

func userOwner(u users.User) ownerBody {
	return ownerBody{OwnerPK(u.PK, false), u.PK, "user", u.Username, "user"}
}

func groupOwner(g users.Group) ownerBody {
	return ownerBody{OwnerPK(g.PK, true), g.PK, "group", g.Name, "group"}
}

// listOwners lists every group and user as an owner, by owner pk, searched on the
// name word by word and filtered on is_active (which applies to users only), as
// InvenTree's OwnerList.
func (s *server) listOwners(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	active, hasActive := q.boolean("is_active")
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	gs, _, err := s.cfg.Users.Groups(r.Context(), users.GroupFilter{})
	if err != nil {
		return err
	}
	f := users.UserFilter{}
	if hasActive {
		f.IsActive = &active
	}
	us, _, err := s.cfg.Users.Users(r.Context(), f)
	if err != nil {
		return err
	}
	terms := strings.Fields(searchParam(r.URL.Query()))
	var rows []ownerBody
	for _, g := range gs {
		rows = append(rows, groupOwner(g))
	}
	for _, u := range us {
		rows = append(rows, userOwner(u))
	}
	rows = slices.DeleteFunc(rows, func(o ownerBody) bool { return !searchMatches(o.Name, terms) })
	slices.SortStableFunc(rows, func(x, y ownerBody) int { return cmp.Compare(x.PK, y.PK) })
	return writeList(w, lq, len(rows), pageRows(rows, lq))
}

func (s *server) getOwner(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	var o ownerBody
	if pk%2 == 1 {
		g, gerr := s.cfg.Users.Group(r.Context(), pk/2)
		err, o = gerr, groupOwner(g)
	} else {
		u, uerr := s.cfg.Users.User(r.Context(), pk/2)
		err, o = uerr, userOwner(u)
	}
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.NotFoundError{Kind: "Owner", ID: pk}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

// ---- OPTIONS field descriptions ----

func userFields() []fieldMeta {
	return []fieldMeta{
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "username", Type: typeString, Required: true, Label: "Username", HelpText: "Username"},
		{Name: "first_name", Type: typeString, Required: true, Label: "First Name", HelpText: "First name of the user"},
		{Name: "last_name", Type: typeString, Required: true, Label: "Last Name", HelpText: "Last name of the user"},
		{Name: "email", Type: typeEmail, Required: true, Label: "Email", HelpText: "Email address of the user"},
		{Name: "groups", Type: typeField, ReadOnly: true, Label: "Groups"},
		{Name: "group_ids", Type: typeRelated, Label: "Group ids", Model: "group", APIURL: "/api/user/group/"},
		{Name: "is_staff", Type: typeBoolean, Label: "Staff", HelpText: "Does this user have staff permissions"},
		{Name: "is_superuser", Type: typeBoolean, Label: "Superuser", HelpText: "Is this user a superuser"},
		{Name: "is_active", Type: typeBoolean, Label: "Active", HelpText: "Is this user account active"},
		{Name: "profile", Type: typeNested, ReadOnly: true, Label: "Profile"},
	}
}

func meUserFields() []fieldMeta {
	fields := slices.DeleteFunc(userFields(), func(f fieldMeta) bool { return f.Name == "group_ids" })
	for i := range fields {
		switch fields[i].Name {
		case "is_staff", "is_superuser", "is_active":
			fields[i].ReadOnly = true
		}
	}
	return fields
}

func setPasswordFields() []fieldMeta {
	return []fieldMeta{
		{Name: "password", Type: typeString, Required: true, Label: "Password", HelpText: "Password for the user"},
		{Name: "override_warning", Type: typeBoolean, Label: "Override warning", HelpText: "Override the warning about password rules"},
	}
}

func groupFields() []fieldMeta {
	return []fieldMeta{
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "name", Type: typeString, Required: true, Label: "Name", MaxLength: 150},
		{Name: "roles", Type: typeField, ReadOnly: true, Label: "Roles"},
	}
}

func ruleSetFields() []fieldMeta {
	return []fieldMeta{
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "name", Type: typeString, ReadOnly: true, Label: "Name", HelpText: "Permission set"},
		{Name: "label", Type: typeString, ReadOnly: true, Label: "Label"},
		{Name: "group", Type: typeInteger, ReadOnly: true, Label: "Group", HelpText: "Group"},
		{Name: "can_view", Type: typeBoolean, Label: "View", HelpText: "Permission to view items", Default: false},
		{Name: "can_add", Type: typeBoolean, Label: "Add", HelpText: "Permission to add items", Default: false},
		{Name: "can_change", Type: typeBoolean, Label: "Change", HelpText: "Permissions to edit items", Default: false},
		{Name: "can_delete", Type: typeBoolean, Label: "Delete", HelpText: "Permission to delete items", Default: false},
	}
}

func tokenFields() []fieldMeta {
	return []fieldMeta{
		{Name: "id", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "name", Type: typeString, Label: "Token Name", HelpText: "Custom token name", MaxLength: 100},
		{Name: "expiry", Type: typeDate, Label: "Expiry Date", HelpText: "Token expiry date"},
		{Name: "token", Type: typeString, ReadOnly: true, Label: "Token"},
		{Name: "user", Type: typeRelated, Label: "User", Model: "user", APIURL: "/api/user/"},
		{Name: "revoked", Type: typeBoolean, Label: "Revoked", HelpText: "Token has been revoked", Default: false},
	}
}

// derefOrZero is *p, or the zero value for nil.
func derefOrZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
