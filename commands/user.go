package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
)

// UserCredentials keeps the secrets that must never enter the event log (internal/auth's
// Credentials). A credential row is written before the event that refers to it: if the
// append then fails, the row is referred to by nothing and authenticates nobody, which
// is harmless; deleting it instead could break a login whose append did commit but whose
// answer was lost.
type UserCredentials interface {
	// NewPassword hashes and stores a password, returning its credential id.
	NewPassword(ctx context.Context, password string) (uuid.UUID, error)
	// NewTokenKey generates and stores an API token key created on the given day,
	// returning its credential id and the key, which is shown to the client once.
	NewTokenKey(ctx context.Context, created user.Date) (uuid.UUID, string, error)
	// Forget deletes credentials nothing should use any more.
	Forget(ctx context.Context, ids ...uuid.UUID) error
}

// UserHandlersConfig configures UserHandlers.
type UserHandlersConfig struct {
	// Executor runs the commands; it needs Keys. Required.
	Executor *Executor
	// Credentials stores passwords and token keys. Required.
	Credentials UserCredentials
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Location is the calendar of token dates (key suffix, default expiry), InvenTree's
	// server time zone. Default: UTC.
	Location *time.Location
	// Logger receives failures to delete credentials that are no longer used. Default:
	// discard.
	Logger *slog.Logger
}

// UserHandlers runs the commands on users, groups and API tokens.
//
// Usernames and group names are unique across aggregates, which no single stream can
// decide: each name has a claim stream (user.UsernameClaim, user.GroupNameClaim)
// appended in the same atomic step as the user or group, with the version it was read
// at, so two commands taking one name conflict and the retry sees the name taken.
type UserHandlers struct {
	x      *Executor
	creds  UserCredentials
	now    func() time.Time
	loc    *time.Location
	logger *slog.Logger
}

// NewUserHandlers returns the handlers.
func NewUserHandlers(cfg UserHandlersConfig) (*UserHandlers, error) {
	var errs []error
	if cfg.Executor == nil {
		errs = append(errs, errors.New("no executor"))
	} else if cfg.Executor.keys == nil {
		errs = append(errs, errors.New("executor has no key allocator"))
	}
	if cfg.Credentials == nil {
		errs = append(errs, errors.New("no credentials store"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("user handlers: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &UserHandlers{x: cfg.Executor, creds: cfg.Credentials, now: cfg.Now, loc: cfg.Location, logger: cfg.Logger}, nil
}

func userStream(pk int64) string      { return eventstore.Stream(user.CategoryUser, pk) }
func userGroupStream(pk int64) string { return eventstore.Stream(user.CategoryGroup, pk) }
func userNameClaimStream(username string) string {
	return user.CategoryUsername + "-" + user.UsernameKey(username)
}
func userGroupNameClaimStream(name string) string {
	return user.CategoryGroupName + "-" + user.GroupNameKey(name)
}

func newUserAggregate() *user.User          { return &user.User{} }
func newUsernameClaim() *user.UsernameClaim { return &user.UsernameClaim{} }

// userApply folds a decision's events into the aggregate that made it, so that a
// command can take a second decision on the new state.
func userApply(agg Aggregate, evs []domain.Event) {
	for _, e := range evs {
		agg.Apply(e)
	}
}

// userRules merges rule errors into one, so that a request hears every problem at
// once; any other error is returned as it is.
func userRules(errs ...error) error {
	out := &domain.RuleError{}
	for _, err := range errs {
		var re *domain.RuleError
		switch {
		case err == nil:
		case errors.As(err, &re):
			out.Violations = append(out.Violations, re.Violations...)
		default:
			return err
		}
	}
	return out.Err()
}

func (h *UserHandlers) today() user.Date { return user.DateOf(h.now().In(h.loc)) }

// forget deletes credentials after the events that replaced them were appended. It
// only tidies up, so a failure is logged rather than failing a command that happened.
func (h *UserHandlers) forget(ctx context.Context, ids ...uuid.UUID) {
	if err := h.creds.Forget(ctx, ids...); err != nil {
		h.logger.Warn("forget credentials", "count", len(ids), "err", err)
	}
}

// loadUser loads a user outside a transaction and refuses one that does not exist, so
// that a command can fail before it writes a credential.
func (h *UserHandlers) loadUser(ctx context.Context, id int64) (*user.User, error) {
	u, _, err := Load(ctx, h.x, userStream(id), newUserAggregate)
	if err != nil {
		return nil, err
	}
	if !u.Exists() {
		return nil, &domain.NotFoundError{Kind: "User", ID: id}
	}
	return u, nil
}

// userSetGroups decides u's memberships inside tx, loading every group the user joins
// to check that it exists. (A group deleted concurrently is not detected, since only
// streams with new events are version-checked; the read model then drops the
// membership, as InvenTree's cascade would.)
func userSetGroups(ctx context.Context, tx *Tx, u *user.User, groups []int64) ([]domain.Event, error) {
	evs, err := u.SetGroups(groups)
	if err != nil || len(evs) == 0 {
		return evs, err
	}
	for _, id := range evs[0].(user.UserGroupsChanged).Added {
		g := &user.Group{}
		if _, err := tx.Load(ctx, userGroupStream(id), g); err != nil {
			return nil, err
		}
		if !g.Exists() {
			return nil, &domain.NotFoundError{Kind: "Group", ID: id, Field: "group_ids"}
		}
	}
	return evs, nil
}

// CreateUser creates a user account.
type CreateUser struct {
	Username  string
	Email     string
	FirstName string
	LastName  string
	Staff     bool
	Superuser bool
	// Active is nil for InvenTree's default, an active account.
	Active *bool
	// Password is the initial password; "" leaves the account without a usable one, as
	// InvenTree's POST /api/user/ does (the user sets one later).
	Password string
	// OverridePasswordRules skips the strength rules (not the non-blank one).
	OverridePasswordRules bool
	// Groups are the pks of the groups the user joins.
	Groups []int64
}

// CreateUser runs cmd and returns the new user's pk.
func (h *UserHandlers) CreateUser(ctx context.Context, cmd CreateUser) (int64, Result, error) {
	nu := user.NewUser{
		Username: cmd.Username, Email: cmd.Email, FirstName: cmd.FirstName, LastName: cmd.LastName,
		Staff: cmd.Staff, Superuser: cmd.Superuser, Active: cmd.Active == nil || *cmd.Active,
	}.Normalized()
	var pwErr error
	if cmd.Password != "" {
		pwErr = user.CheckPassword(cmd.Password, cmd.OverridePasswordRules)
	}
	if err := userRules(nu.Check(), pwErr); err != nil {
		return 0, Result{}, err
	}
	// A taken name is the likeliest refusal: find it before hashing and storing a
	// password nobody would use. The claim in the transaction below still decides.
	if claim, _, err := Load(ctx, h.x, userNameClaimStream(nu.Username), newUsernameClaim); err != nil {
		return 0, Result{}, err
	} else if err := claim.CheckFree(); err != nil {
		return 0, Result{}, err
	}
	var credential uuid.UUID
	if cmd.Password != "" {
		var err error
		if credential, err = h.creds.NewPassword(ctx, cmd.Password); err != nil {
			return 0, Result{}, fmt.Errorf("create user %q: %w", nu.Username, err)
		}
	}
	id, err := h.x.NextKey(ctx, user.CategoryUser)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create user %q: %w", nu.Username, err)
	}
	nu.ID = id
	at := h.now()
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		u := newUserAggregate()
		stream := userStream(id)
		if _, err := tx.Load(ctx, stream, u); err != nil {
			return err
		}
		evs, err := u.Create(nu, at)
		if err != nil {
			return err
		}
		userApply(u, evs)
		claim, claimStream := &user.UsernameClaim{}, userNameClaimStream(nu.Username)
		if _, err := tx.Load(ctx, claimStream, claim); err != nil {
			return err
		}
		claimed, err := claim.Claim(id, nu.Username)
		if err != nil {
			return err
		}
		if credential != uuid.Nil {
			more, err := u.ChangePassword(credential)
			if err != nil {
				return err
			}
			userApply(u, more)
			evs = append(evs, more...)
		}
		more, err := userSetGroups(ctx, tx, u, cmd.Groups)
		if err != nil {
			return err
		}
		if err := tx.Emit(stream, append(evs, more...)...); err != nil {
			return err
		}
		return tx.Emit(claimStream, claimed...)
	})
	if err != nil {
		return 0, Result{}, err
	}
	return id, res, nil
}

// ChangeUserPassword sets a user's password (PUT /api/user/{id}/set-password/).
type ChangeUserPassword struct {
	UserID   int64
	Password string
	// Override skips the strength rules, as InvenTree's override_warning.
	Override bool
}

// ChangeUserPassword runs cmd. The replaced password's credential is deleted.
func (h *UserHandlers) ChangeUserPassword(ctx context.Context, cmd ChangeUserPassword) (Result, error) {
	if err := user.CheckPassword(cmd.Password, cmd.Override); err != nil {
		return Result{}, err
	}
	if _, err := h.loadUser(ctx, cmd.UserID); err != nil {
		return Result{}, err
	}
	credential, err := h.creds.NewPassword(ctx, cmd.Password)
	if err != nil {
		return Result{}, fmt.Errorf("change password of user %d: %w", cmd.UserID, err)
	}
	var old uuid.UUID
	res, err := Execute(ctx, h.x, userStream(cmd.UserID), newUserAggregate, func(u *user.User) ([]domain.Event, error) {
		old = u.Password()
		return u.ChangePassword(credential)
	})
	if err != nil {
		return Result{}, err
	}
	if old != uuid.Nil {
		h.forget(ctx, old)
	}
	return res, nil
}

// UpdateUser edits an account (PUT/PATCH /api/user/{id}/ and /api/user/me/).
type UpdateUser struct {
	UserID  int64
	Changes user.UserChanges
	// Groups, when not nil, replaces the user's memberships in the same decision
	// (InvenTree's group_ids).
	Groups *[]int64
}

// UpdateUser runs cmd. A new username is claimed and the old one released atomically
// with the change.
func (h *UserHandlers) UpdateUser(ctx context.Context, cmd UpdateUser) (Result, error) {
	return ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		u, stream := newUserAggregate(), userStream(cmd.UserID)
		if _, err := tx.Load(ctx, stream, u); err != nil {
			return err
		}
		before := u.Username()
		evs, err := u.Update(cmd.Changes)
		if err != nil {
			return err
		}
		userApply(u, evs)
		if after := u.Username(); user.UsernameKey(after) != user.UsernameKey(before) {
			if err := userMoveClaim(ctx, tx, cmd.UserID, before, after); err != nil {
				return err
			}
		}
		if cmd.Groups != nil {
			more, err := userSetGroups(ctx, tx, u, *cmd.Groups)
			if err != nil {
				return err
			}
			evs = append(evs, more...)
		}
		return tx.Emit(stream, evs...)
	})
}

// userMoveClaim claims the new username for id and releases the old one, in tx.
func userMoveClaim(ctx context.Context, tx *Tx, id int64, before, after string) error {
	claim, claimStream := &user.UsernameClaim{}, userNameClaimStream(after)
	if _, err := tx.Load(ctx, claimStream, claim); err != nil {
		return err
	}
	claimed, err := claim.Claim(id, after)
	if err != nil {
		return err
	}
	old, oldStream := &user.UsernameClaim{}, userNameClaimStream(before)
	if _, err := tx.Load(ctx, oldStream, old); err != nil {
		return err
	}
	released, err := old.Release(id)
	if err != nil {
		return err
	}
	if err := tx.Emit(claimStream, claimed...); err != nil {
		return err
	}
	return tx.Emit(oldStream, released...)
}

// SetUserGroups replaces a user's memberships.
type SetUserGroups struct {
	UserID int64
	Groups []int64
}

// SetUserGroups runs cmd.
func (h *UserHandlers) SetUserGroups(ctx context.Context, cmd SetUserGroups) (Result, error) {
	groups := cmd.Groups
	return h.UpdateUser(ctx, UpdateUser{UserID: cmd.UserID, Groups: &groups})
}

// DeleteUser deletes an account (DELETE /api/user/{id}/): its live tokens are revoked,
// its username freed, and its credentials deleted.
type DeleteUser struct {
	UserID int64
}

// DeleteUser runs cmd.
func (h *UserHandlers) DeleteUser(ctx context.Context, cmd DeleteUser) (Result, error) {
	var credentials []uuid.UUID
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		u, stream := newUserAggregate(), userStream(cmd.UserID)
		if _, err := tx.Load(ctx, stream, u); err != nil {
			return err
		}
		evs, err := u.Delete()
		if err != nil {
			return err
		}
		claim, claimStream := &user.UsernameClaim{}, userNameClaimStream(u.Username())
		if _, err := tx.Load(ctx, claimStream, claim); err != nil {
			return err
		}
		released, err := claim.Release(cmd.UserID)
		if err != nil {
			return err
		}
		credentials = u.Credentials()
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		return tx.Emit(claimStream, released...)
	})
	if err != nil {
		return Result{}, err
	}
	h.forget(ctx, credentials...)
	return res, nil
}

// CreateGroup creates a group with no permissions.
type CreateGroup struct {
	Name string
}

// CreateGroup runs cmd and returns the new group's pk.
func (h *UserHandlers) CreateGroup(ctx context.Context, cmd CreateGroup) (int64, Result, error) {
	name := user.NormalizeGroupName(cmd.Name)
	if err := user.CheckGroupName(name); err != nil {
		return 0, Result{}, err
	}
	id, err := h.x.NextKey(ctx, user.CategoryGroup)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create group %q: %w", name, err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		g, stream := &user.Group{}, userGroupStream(id)
		if _, err := tx.Load(ctx, stream, g); err != nil {
			return err
		}
		evs, err := g.Create(id, name)
		if err != nil {
			return err
		}
		claim, claimStream := &user.GroupNameClaim{}, userGroupNameClaimStream(name)
		if _, err := tx.Load(ctx, claimStream, claim); err != nil {
			return err
		}
		claimed, err := claim.Claim(id, name)
		if err != nil {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		return tx.Emit(claimStream, claimed...)
	})
	if err != nil {
		return 0, Result{}, err
	}
	return id, res, nil
}

// RenameGroup renames a group.
type RenameGroup struct {
	GroupID int64
	Name    string
}

// RenameGroup runs cmd, moving the name claim atomically with the rename.
func (h *UserHandlers) RenameGroup(ctx context.Context, cmd RenameGroup) (Result, error) {
	return ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		g, stream := &user.Group{}, userGroupStream(cmd.GroupID)
		if _, err := tx.Load(ctx, stream, g); err != nil {
			return err
		}
		before := g.Name()
		evs, err := g.Rename(cmd.Name)
		if err != nil || len(evs) == 0 {
			return err
		}
		userApply(g, evs)
		if after := g.Name(); user.GroupNameKey(after) != user.GroupNameKey(before) {
			claim, claimStream := &user.GroupNameClaim{}, userGroupNameClaimStream(after)
			if _, err := tx.Load(ctx, claimStream, claim); err != nil {
				return err
			}
			claimed, err := claim.Claim(cmd.GroupID, after)
			if err != nil {
				return err
			}
			old, oldStream := &user.GroupNameClaim{}, userGroupNameClaimStream(before)
			if _, err := tx.Load(ctx, oldStream, old); err != nil {
				return err
			}
			released, err := old.Release(cmd.GroupID)
			if err != nil {
				return err
			}
			if err := tx.Emit(claimStream, claimed...); err != nil {
				return err
			}
			if err := tx.Emit(oldStream, released...); err != nil {
				return err
			}
		}
		return tx.Emit(stream, evs...)
	})
}

// DeleteGroup deletes a group and frees its name.
type DeleteGroup struct {
	GroupID int64
}

// DeleteGroup runs cmd.
func (h *UserHandlers) DeleteGroup(ctx context.Context, cmd DeleteGroup) (Result, error) {
	return ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		g, stream := &user.Group{}, userGroupStream(cmd.GroupID)
		if _, err := tx.Load(ctx, stream, g); err != nil {
			return err
		}
		evs, err := g.Delete()
		if err != nil {
			return err
		}
		claim, claimStream := &user.GroupNameClaim{}, userGroupNameClaimStream(g.Name())
		if _, err := tx.Load(ctx, claimStream, claim); err != nil {
			return err
		}
		released, err := claim.Release(cmd.GroupID)
		if err != nil {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		return tx.Emit(claimStream, released...)
	})
}

// SetGroupRuleSet sets a group's permissions in one role (PUT/PATCH
// /api/user/ruleset/{id}/). The permissions are normalised as InvenTree does.
type SetGroupRuleSet struct {
	GroupID int64
	Role    user.Role
	Perms   user.PermSet
}

// SetGroupRuleSet runs cmd.
func (h *UserHandlers) SetGroupRuleSet(ctx context.Context, cmd SetGroupRuleSet) (Result, error) {
	return Execute(ctx, h.x, userGroupStream(cmd.GroupID), func() *user.Group { return &user.Group{} },
		func(g *user.Group) ([]domain.Event, error) { return g.SetRuleSet(cmd.Role, cmd.Perms) })
}

// IssuedUserToken is a token just issued. Key is the only copy of the raw key there will
// ever be: it is shown to the client once and stored nowhere.
type IssuedUserToken struct {
	ID     int64
	User   int64
	Name   string
	Key    string
	Expiry user.Date
}

// CreateUserToken issues a token (POST /api/user/tokens/).
type CreateUserToken struct {
	UserID int64
	Name   string
	// Expiry is the last day the token is valid; zero for today + 365 days.
	Expiry user.Date
}

// CreateUserToken runs cmd.
func (h *UserHandlers) CreateUserToken(ctx context.Context, cmd CreateUserToken) (IssuedUserToken, Result, error) {
	if err := user.CheckTokenName(cmd.Name); err != nil {
		return IssuedUserToken{}, Result{}, err
	}
	return h.issueToken(ctx, cmd.UserID, func(u *user.User, t user.NewToken, today user.Date) ([]domain.Event, error) {
		t.Name, t.Expiry = cmd.Name, cmd.Expiry
		return u.IssueToken(t, today)
	})
}

// GetUserToken is GET /api/user/me/token/?name=: in API 530 it replaces the user's live
// token of that (sanitised) name with a new one and returns the new key.
type GetUserToken struct {
	UserID int64
	Name   string
}

// GetUserToken runs cmd.
func (h *UserHandlers) GetUserToken(ctx context.Context, cmd GetUserToken) (IssuedUserToken, Result, error) {
	if _, err := user.SanitizeTokenName(cmd.Name); err != nil {
		return IssuedUserToken{}, Result{}, err
	}
	return h.issueToken(ctx, cmd.UserID, func(u *user.User, t user.NewToken, today user.Date) ([]domain.Event, error) {
		t.Name = cmd.Name
		return u.ReplaceNamedToken(t, today)
	})
}

// issueToken stores a fresh key, allocates the token's pk, and lets decide issue it.
func (h *UserHandlers) issueToken(ctx context.Context, userID int64,
	decide func(*user.User, user.NewToken, user.Date) ([]domain.Event, error)) (IssuedUserToken, Result, error) {
	if _, err := h.loadUser(ctx, userID); err != nil {
		return IssuedUserToken{}, Result{}, err
	}
	now := h.now()
	today := user.DateOf(now.In(h.loc))
	credential, key, err := h.creds.NewTokenKey(ctx, today)
	if err != nil {
		return IssuedUserToken{}, Result{}, fmt.Errorf("issue token to user %d: %w", userID, err)
	}
	id, err := h.x.NextKey(ctx, user.CategoryToken)
	if err != nil {
		return IssuedUserToken{}, Result{}, fmt.Errorf("issue token to user %d: %w", userID, err)
	}
	var created user.ApiTokenCreated
	res, err := Execute(ctx, h.x, userStream(userID), newUserAggregate, func(u *user.User) ([]domain.Event, error) {
		evs, err := decide(u, user.NewToken{ID: id, KeyHint: user.RedactTokenKey(key), Credential: credential, Created: now}, today)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(evs, func(e domain.Event) bool { _, ok := e.(user.ApiTokenCreated); return ok })
		if i < 0 {
			return nil, fmt.Errorf("issue token to user %d: the decision issued none", userID)
		}
		created = evs[i].(user.ApiTokenCreated)
		return evs, nil
	})
	if err != nil {
		return IssuedUserToken{}, Result{}, err
	}
	return IssuedUserToken{ID: id, User: userID, Name: created.Name, Key: key, Expiry: created.Expiry}, res, nil
}

// RevokeUserToken revokes a token of a user (DELETE /api/user/tokens/{id}/). The API
// finds the token's user in the read model; a token of another user is not found.
type RevokeUserToken struct {
	UserID  int64
	TokenID int64
}

// RevokeUserToken runs cmd. Revoking a revoked token changes nothing.
func (h *UserHandlers) RevokeUserToken(ctx context.Context, cmd RevokeUserToken) (Result, error) {
	return Execute(ctx, h.x, userStream(cmd.UserID), newUserAggregate,
		func(u *user.User) ([]domain.Event, error) { return u.RevokeToken(cmd.TokenID) })
}

// EnsureAdmin is the bootstrap of a superuser from INVENTREE_ADMIN_USER,
// INVENTREE_ADMIN_PASSWORD and INVENTREE_ADMIN_EMAIL at every server start. Like
// InvenTree, it creates the account (staff and superuser) when the username is free and
// otherwise does nothing: an existing account keeps its password, flags and email, so
// that a password changed in the application survives restarts with the old
// environment. It reports whether it created the account; several servers starting at
// once create it once.
func (h *UserHandlers) EnsureAdmin(ctx context.Context, username, password, email string) (bool, error) {
	if username == "" || password == "" {
		return false, errors.New("ensure admin: a username and a password are required")
	}
	nu := user.NewUser{Username: username, Email: email}.Normalized()
	if err := nu.Check(); err != nil {
		return false, fmt.Errorf("ensure admin %q: %w", username, err)
	}
	taken := func() (bool, error) {
		claim, _, err := Load(ctx, h.x, userNameClaimStream(nu.Username), newUsernameClaim)
		return err == nil && claim.Holder() != 0, err
	}
	if held, err := taken(); held || err != nil {
		return false, err
	}
	_, _, err := h.CreateUser(ctx, CreateUser{
		Username: nu.Username, Email: nu.Email, Staff: true, Superuser: true,
		Password: password, OverridePasswordRules: true,
	})
	var re *domain.RuleError
	if errors.As(err, &re) {
		// Another server may have taken the name between our look and our append.
		if held, lookErr := taken(); held && lookErr == nil {
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("ensure admin %q: %w", username, err)
	}
	return true, nil
}
