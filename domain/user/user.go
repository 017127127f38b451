package user

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/domain"
)

// ErrAlreadyCreated is a creating decision on a stream that already holds the aggregate.
// Keys are allocated fresh, so it means a bug or a replayed command, never user input.
var ErrAlreadyCreated = errors.New("already created")

// DefaultTokenLifetime is how long a token lives when no expiry is given: InvenTree's
// default_token_expiry, today + 365 days.
const DefaultTokenLifetime = 365

// User is a user account with its API tokens.
//
// Rules:
//   - a user is created once; every other decision needs a user that exists and was not
//     deleted (else a NotFoundError);
//   - username, email and names follow Django's User model (see names.go); uniqueness of
//     the username is not decided here but by UsernameClaim, which the command appends
//     in the same atomic step;
//   - tokens belong to one user; a revoked token stays revoked; asking for a named token
//     (GET /api/user/me/token/) revokes the user's live tokens of that name and issues a
//     new one, since a key is never shown twice;
//   - deleting a user revokes its live tokens.
//
// Tokens live in the user's stream because every rule about them is per user; a stream
// per token would need a cross-stream index to find a user's tokens of one name.
type User struct {
	id        int64
	created   bool
	deleted   bool
	username  string
	email     string
	firstName string
	lastName  string
	staff     bool
	superuser bool
	active    bool
	password  uuid.UUID
	groups    []int64
	tokens    map[int64]*Token
}

// Token is what a user's stream knows of one of its API tokens.
type Token struct {
	ID         int64
	Name       string
	Expiry     Date
	Revoked    bool
	Credential uuid.UUID
}

// Live reports whether the token still authenticates on day today: not revoked and not
// past its expiry (a token is valid through its expiry day, as in InvenTree).
func (t Token) Live(today Date) bool { return !t.Revoked && !t.Expiry.Before(today) }

// Apply folds one event of the user's stream.
func (u *User) Apply(e domain.Event) {
	switch e := e.(type) {
	case UserCreated:
		u.id, u.created = e.User, true
		u.username, u.email, u.firstName, u.lastName = e.Username, e.Email, e.FirstName, e.LastName
		u.staff, u.superuser, u.active = e.IsStaff, e.IsSuperuser, e.IsActive
	case UserUpdated:
		setIf(&u.username, e.Username)
		setIf(&u.email, e.Email)
		setIf(&u.firstName, e.FirstName)
		setIf(&u.lastName, e.LastName)
		setIf(&u.staff, e.IsStaff)
		setIf(&u.superuser, e.IsSuperuser)
		setIf(&u.active, e.IsActive)
	case UserPasswordChanged:
		u.password = e.Credential
	case UserGroupsChanged:
		u.groups = slices.Clone(e.Groups)
	case UserDeleted:
		u.deleted = true
	case ApiTokenCreated:
		if u.tokens == nil {
			u.tokens = map[int64]*Token{}
		}
		if _, seen := u.tokens[e.Token]; !seen {
			u.tokens[e.Token] = &Token{ID: e.Token, Name: e.Name, Expiry: e.Expiry, Credential: e.Credential}
		}
	case ApiTokenRevoked:
		if t, ok := u.tokens[e.Token]; ok {
			t.Revoked = true
		}
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ID is the user's pk.
func (u *User) ID() int64 { return u.id }

// Exists reports whether the user was created and not deleted.
func (u *User) Exists() bool { return u.created && !u.deleted }

// Username is the current username.
func (u *User) Username() string { return u.username }

// Active, Staff and Superuser are the account's flags.
func (u *User) Active() bool    { return u.active }
func (u *User) Staff() bool     { return u.staff }
func (u *User) Superuser() bool { return u.superuser }

// Password is the credential id of the current password; uuid.Nil when the user has no
// usable password.
func (u *User) Password() uuid.UUID { return u.password }

// Groups are the pks of the groups the user is a member of, sorted.
func (u *User) Groups() []int64 { return slices.Clone(u.groups) }

// Token returns one of the user's tokens.
func (u *User) Token(id int64) (Token, bool) {
	t, ok := u.tokens[id]
	if !ok {
		return Token{}, false
	}
	return *t, true
}

// Tokens lists the user's tokens by pk.
func (u *User) Tokens() []Token {
	out := make([]Token, 0, len(u.tokens))
	for _, t := range u.tokens {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Token) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Credentials lists every credential the user's events refer to: its password and its
// tokens, revoked ones included.
func (u *User) Credentials() []uuid.UUID {
	var out []uuid.UUID
	if u.password != uuid.Nil {
		out = append(out, u.password)
	}
	for _, t := range u.Tokens() {
		out = append(out, t.Credential)
	}
	return out
}

func (u *User) notFound() error { return &domain.NotFoundError{Kind: "User", ID: u.id} }

// NewUser is what a user is created with.
type NewUser struct {
	ID        int64
	Username  string
	Email     string
	FirstName string
	LastName  string
	Staff     bool
	Superuser bool
	Active    bool
}

// Normalized returns n with its username and email in stored form.
func (n NewUser) Normalized() NewUser {
	n.Username = NormalizeUsername(n.Username)
	n.Email = NormalizeEmail(n.Email)
	return n
}

// Check reports every rule n breaks (n must be normalised). Callers use it to refuse a
// request before writing anything.
func (n NewUser) Check() error {
	errs := &domain.RuleError{}
	checkUsername(n.Username, "username", errs)
	checkEmail(n.Email, "email", errs)
	checkPersonName(n.FirstName, "first_name", errs)
	checkPersonName(n.LastName, "last_name", errs)
	return errs.Err()
}

// Create decides to create the user at the given moment.
func (u *User) Create(n NewUser, at time.Time) ([]domain.Event, error) {
	if u.created {
		return nil, fmt.Errorf("create user %d: %w", u.id, ErrAlreadyCreated)
	}
	if n.ID <= 0 {
		return nil, fmt.Errorf("create user: invalid pk %d", n.ID)
	}
	n = n.Normalized()
	if err := n.Check(); err != nil {
		return nil, err
	}
	return []domain.Event{UserCreated{
		User: n.ID, Username: n.Username, Email: n.Email, FirstName: n.FirstName, LastName: n.LastName,
		IsStaff: n.Staff, IsSuperuser: n.Superuser, IsActive: n.Active, DateJoined: at.UTC(),
	}}, nil
}

// UserChanges are the fields an update sets; nil leaves a field as it is.
type UserChanges struct {
	Username  *string
	Email     *string
	FirstName *string
	LastName  *string
	Staff     *bool
	Superuser *bool
	Active    *bool
}

// Update decides an edit of the account. Only fields whose value changes are recorded;
// nothing changes, no event.
func (u *User) Update(ch UserChanges) ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	errs := &domain.RuleError{}
	ev := UserUpdated{User: u.id}
	changed := false
	if ch.Username != nil {
		name := NormalizeUsername(*ch.Username)
		checkUsername(name, "username", errs)
		changed = changedTo(&ev.Username, u.username, name) || changed
	}
	if ch.Email != nil {
		email := NormalizeEmail(*ch.Email)
		checkEmail(email, "email", errs)
		changed = changedTo(&ev.Email, u.email, email) || changed
	}
	if ch.FirstName != nil {
		checkPersonName(*ch.FirstName, "first_name", errs)
		changed = changedTo(&ev.FirstName, u.firstName, *ch.FirstName) || changed
	}
	if ch.LastName != nil {
		checkPersonName(*ch.LastName, "last_name", errs)
		changed = changedTo(&ev.LastName, u.lastName, *ch.LastName) || changed
	}
	if ch.Staff != nil {
		changed = changedTo(&ev.IsStaff, u.staff, *ch.Staff) || changed
	}
	if ch.Superuser != nil {
		changed = changedTo(&ev.IsSuperuser, u.superuser, *ch.Superuser) || changed
	}
	if ch.Active != nil {
		changed = changedTo(&ev.IsActive, u.active, *ch.Active) || changed
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if !changed {
		return nil, nil
	}
	return []domain.Event{ev}, nil
}

// changedTo records v in *field when it differs from old.
func changedTo[T comparable](field **T, old, v T) bool {
	if v == old {
		return false
	}
	*field = &v
	return true
}

// ChangePassword decides that the password stored under credential is now the user's.
func (u *User) ChangePassword(credential uuid.UUID) ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	if credential == uuid.Nil {
		return nil, fmt.Errorf("change password of user %d: no credential", u.id)
	}
	if credential == u.password {
		return nil, nil
	}
	return []domain.Event{UserPasswordChanged{User: u.id, Credential: credential}}, nil
}

// SetGroups decides the user's memberships: exactly groups. That the groups exist is
// checked by the command, which loads them.
func (u *User) SetGroups(groups []int64) ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	want := slices.Clone(groups)
	slices.Sort(want)
	want = slices.Compact(want)
	for _, g := range want {
		if g <= 0 {
			return nil, domain.Invalid("group_ids", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", g))
		}
	}
	if slices.Equal(want, u.groups) {
		return nil, nil
	}
	ev := UserGroupsChanged{User: u.id, Groups: want}
	if ev.Groups == nil {
		ev.Groups = []int64{}
	}
	for _, g := range want {
		if !slices.Contains(u.groups, g) {
			ev.Added = append(ev.Added, g)
		}
	}
	for _, g := range u.groups {
		if !slices.Contains(want, g) {
			ev.Removed = append(ev.Removed, g)
		}
	}
	return []domain.Event{ev}, nil
}

// Delete decides to delete the user: its tokens that are not revoked yet are revoked
// first, so that the token history reads complete.
func (u *User) Delete() ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	var evs []domain.Event
	for _, t := range u.Tokens() {
		if !t.Revoked {
			evs = append(evs, ApiTokenRevoked{Token: t.ID, User: u.id, Name: t.Name, Reason: RevokedUserGone})
		}
	}
	return append(evs, UserDeleted{User: u.id, Username: u.username}), nil
}

// NewToken is a token about to be issued. Its key was generated and stored outside the
// domain; only its redacted form and the credential id come here.
type NewToken struct {
	ID         int64
	Name       string
	Expiry     Date // zero: today + DefaultTokenLifetime days
	KeyHint    string
	Credential uuid.UUID
	Created    time.Time
}

// IssueToken decides to issue a token (POST /api/user/tokens/). The name is kept as
// given, as InvenTree does there; several tokens may share a name.
func (u *User) IssueToken(t NewToken, today Date) ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	errs := &domain.RuleError{}
	checkTokenName(t.Name, "name", errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	ev, err := u.tokenCreated(t, today)
	if err != nil {
		return nil, err
	}
	return []domain.Event{ev}, nil
}

// ReplaceNamedToken decides what GET /api/user/me/token/?name= does in API 530: the
// name is sanitised, the user's live tokens of that name are revoked, and a new token is
// issued, because an existing key is never shown again.
func (u *User) ReplaceNamedToken(t NewToken, today Date) ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	name, err := SanitizeTokenName(t.Name)
	if err != nil {
		return nil, err
	}
	t.Name = name
	created, err := u.tokenCreated(t, today)
	if err != nil {
		return nil, err
	}
	var evs []domain.Event
	for _, old := range u.Tokens() {
		if old.Name == name && old.Live(today) {
			evs = append(evs, ApiTokenRevoked{Token: old.ID, User: u.id, Name: old.Name, Reason: RevokedReplaced})
		}
	}
	return append(evs, created), nil
}

func (u *User) tokenCreated(t NewToken, today Date) (ApiTokenCreated, error) {
	switch {
	case t.ID <= 0:
		return ApiTokenCreated{}, fmt.Errorf("issue token to user %d: invalid pk %d", u.id, t.ID)
	case t.Credential == uuid.Nil || t.KeyHint == "":
		return ApiTokenCreated{}, fmt.Errorf("issue token %d to user %d: no credential", t.ID, u.id)
	case u.tokens[t.ID] != nil:
		return ApiTokenCreated{}, fmt.Errorf("issue token %d to user %d: %w", t.ID, u.id, ErrAlreadyCreated)
	}
	if t.Expiry.IsZero() {
		t.Expiry = today.AddDays(DefaultTokenLifetime)
	}
	return ApiTokenCreated{
		Token: t.ID, User: u.id, Name: t.Name, Expiry: t.Expiry, KeyHint: t.KeyHint,
		Credential: t.Credential, Created: t.Created.UTC(),
	}, nil
}

// RevokeToken decides to revoke one of the user's tokens. Revoking a revoked token
// changes nothing; a token of another user is not found.
func (u *User) RevokeToken(id int64) ([]domain.Event, error) {
	if !u.Exists() {
		return nil, u.notFound()
	}
	t, ok := u.tokens[id]
	if !ok {
		return nil, &domain.NotFoundError{Kind: "ApiToken", ID: id}
	}
	if t.Revoked {
		return nil, nil
	}
	return []domain.Event{ApiTokenRevoked{Token: id, User: u.id, Name: t.Name, Reason: RevokedByRequest}}, nil
}
