package users

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
)

// Queries reads the users read model. The token queries also read the last use of
// each token from internal/auth's credentials table (written by the authenticator, not
// projected), so that schema must be migrated too.
type Queries struct {
	pool *pgxpool.Pool
}

// NewQueries returns the read side on pool.
func NewQueries(pool *pgxpool.Pool) *Queries { return &Queries{pool: pool} }

// User is an account as InvenTree's user serializers show it.
type User struct {
	PK          int64
	Username    string
	Email       string
	FirstName   string
	LastName    string
	IsStaff     bool
	IsSuperuser bool
	IsActive    bool
	DateJoined  time.Time
	// HasPassword is false for an account created without one (InvenTree's API creates
	// users with an unusable password).
	HasPassword bool
	// Groups the user is a member of, by pk.
	Groups []GroupRef
}

// GroupRef names a group.
type GroupRef struct {
	PK   int64
	Name string
}

// UserRef is InvenTree's brief User (pk, username, names, email).
type UserRef struct {
	PK        int64
	Username  string
	FirstName string
	LastName  string
	Email     string
}

// Group is a group with its rule sets (one per role, InvenTree's order) and members.
type Group struct {
	PK       int64
	Name     string
	RuleSets []RuleSet
	Users    []UserRef
}

// RuleSet is a group's permissions in one role.
type RuleSet struct {
	PK    int64
	Group int64
	Role  user.Role
	Perms user.PermSet
}

// Token is an API token without its key: KeyHint is InvenTree's redacted form.
type Token struct {
	PK       int64
	User     int64
	Name     string
	KeyHint  string
	Created  time.Time
	Expiry   user.Date
	LastSeen *time.Time // nil: never used
	Revoked  bool
}

// Active is InvenTree's ApiToken.active: not revoked and not past its expiry on today.
func (t Token) Active(today user.Date) bool { return !t.Revoked && !t.Expiry.Before(today) }

// Page is a list request's paging, ordering and search, as the API received them.
type Page struct {
	// Limit is the page size; 0 returns every row.
	Limit int
	// Offset skips rows.
	Offset int
	// Ordering is DRF's ordering parameter: comma-separated fields, '-' for
	// descending. Fields the list does not offer are ignored, as DRF does.
	Ordering string
	// Search is DRF's search parameter: every term (split on spaces and commas) must
	// occur, case-insensitively, in one of the list's search fields.
	Search string
}

// UserFilter selects users; nil filters are off.
type UserFilter struct {
	Page
	IsActive    *bool
	IsStaff     *bool
	IsSuperuser *bool
}

// GroupFilter selects groups.
type GroupFilter struct {
	Page
}

// TokenFilter selects tokens.
type TokenFilter struct {
	Page
	// User restricts the list to one user's tokens; 0 lists every user's.
	User    int64
	Revoked *bool
}

// query is a SELECT being built: conditions and their arguments.
type query struct {
	where []string
	args  []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) cond(format string, v any) {
	q.where = append(q.where, fmt.Sprintf(format, q.arg(v)))
}

func (q *query) boolFilter(column string, v *bool) {
	if v != nil {
		q.cond(column+" = %s", *v)
	}
}

// search adds DRF SearchFilter's condition: each term matches one of columns.
func (q *query) search(search string, columns ...string) {
	terms := strings.FieldsFunc(search, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	for _, term := range terms {
		p := q.arg("%" + likeEscaper.Replace(term) + "%")
		ors := make([]string, len(columns))
		for i, c := range columns {
			ors[i] = c + " ILIKE " + p
		}
		q.where = append(q.where, "("+strings.Join(ors, " OR ")+")")
	}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (q *query) whereSQL() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

// orderSQL turns DRF's ordering into ORDER BY over the allowed fields, with tiebreak
// last so that pages are stable.
func orderSQL(ordering string, allowed map[string]string, tiebreak string) string {
	var terms []string
	for _, f := range strings.Split(ordering, ",") {
		f = strings.TrimSpace(f)
		dir := " ASC"
		if strings.HasPrefix(f, "-") {
			f, dir = f[1:], " DESC"
		}
		if col, ok := allowed[f]; ok {
			terms = append(terms, col+dir)
		}
	}
	return " ORDER BY " + strings.Join(append(terms, tiebreak), ", ")
}

func (q *query) pageSQL(p Page) string {
	s := ""
	if p.Limit > 0 {
		s += " LIMIT " + q.arg(p.Limit)
	}
	if p.Offset > 0 {
		s += " OFFSET " + q.arg(p.Offset)
	}
	return s
}

// count runs SELECT count(*) over from with q's conditions.
func (s *Queries) count(ctx context.Context, from string, q *query) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+from+q.whereSQL(), q.args...).Scan(&n)
	return n, err
}

const userColumns = `u.pk, u.username, u.email, u.first_name, u.last_name, u.is_staff, u.is_superuser,
	u.is_active, u.date_joined, u.password_credential IS NOT NULL`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.PK, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.IsStaff, &u.IsSuperuser,
		&u.IsActive, &u.DateJoined, &u.HasPassword)
	return u, err
}

// User returns one user, or a *domain.NotFoundError.
func (s *Queries) User(ctx context.Context, pk int64) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.pk = $1`, pk))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, &domain.NotFoundError{Kind: "User", ID: pk}
	}
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", pk, err)
	}
	return s.withGroups(ctx, u)
}

// UserByUsername returns the user with exactly this username; an error wrapping
// domain.ErrNotFound when there is none.
func (s *Queries) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username = $1 ORDER BY u.pk LIMIT 1`,
		user.NormalizeUsername(username)))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", username, domain.ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", username, err)
	}
	return s.withGroups(ctx, u)
}

func (s *Queries) withGroups(ctx context.Context, u User) (User, error) {
	us := []User{u}
	if err := s.loadGroups(ctx, us); err != nil {
		return User{}, err
	}
	return us[0], nil
}

// userOrdering is InvenTree's UserList.ordering_fields.
var userOrdering = map[string]string{
	"email": "u.email", "username": "u.username", "first_name": "u.first_name", "last_name": "u.last_name",
	"is_staff": "u.is_staff", "is_superuser": "u.is_superuser", "is_active": "u.is_active",
}

// Users lists users and counts all that match (for "count" in a paginated answer).
// Search covers first_name, last_name and username, as InvenTree's UserList.
func (s *Queries) Users(ctx context.Context, f UserFilter) ([]User, int, error) {
	q := &query{}
	q.boolFilter("u.is_active", f.IsActive)
	q.boolFilter("u.is_staff", f.IsStaff)
	q.boolFilter("u.is_superuser", f.IsSuperuser)
	q.search(f.Search, "u.first_name", "u.last_name", "u.username")
	total, err := s.count(ctx, "users u", q)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	sql := `SELECT ` + userColumns + ` FROM users u` + q.whereSQL() + orderSQL(f.Ordering, userOrdering, "u.pk") + q.pageSQL(f.Page)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	us, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	if err := s.loadGroups(ctx, us); err != nil {
		return nil, 0, err
	}
	return us, total, nil
}

// loadGroups fills in each user's groups with one query.
func (s *Queries) loadGroups(ctx context.Context, us []User) error {
	if len(us) == 0 {
		return nil
	}
	index := make(map[int64]int, len(us))
	pks := make([]int64, len(us))
	for i, u := range us {
		index[u.PK], pks[i] = i, u.PK
		us[i].Groups = []GroupRef{}
	}
	rows, err := s.pool.Query(ctx, `SELECT m.user_pk, g.pk, g.name FROM user_group_members m
		JOIN user_groups g ON g.pk = m.group_pk WHERE m.user_pk = ANY($1) ORDER BY g.pk`, pks)
	if err != nil {
		return fmt.Errorf("groups of users: %w", err)
	}
	var userPK int64
	var g GroupRef
	_, err = pgx.ForEachRow(rows, []any{&userPK, &g.PK, &g.Name}, func() error {
		i := index[userPK]
		us[i].Groups = append(us[i].Groups, g)
		return nil
	})
	if err != nil {
		return fmt.Errorf("groups of users: %w", err)
	}
	return nil
}

// Group returns one group with its rule sets and members, or a *domain.NotFoundError.
func (s *Queries) Group(ctx context.Context, pk int64) (Group, error) {
	var g Group
	err := s.pool.QueryRow(ctx, `SELECT pk, name FROM user_groups WHERE pk = $1`, pk).Scan(&g.PK, &g.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return Group{}, &domain.NotFoundError{Kind: "Group", ID: pk}
	}
	if err != nil {
		return Group{}, fmt.Errorf("group %d: %w", pk, err)
	}
	gs := []Group{g}
	if err := s.loadGroupDetails(ctx, gs); err != nil {
		return Group{}, err
	}
	return gs[0], nil
}

// Groups lists groups (search and ordering on name, as InvenTree's GroupList) and counts
// all that match.
func (s *Queries) Groups(ctx context.Context, f GroupFilter) ([]Group, int, error) {
	q := &query{}
	q.search(f.Search, "g.name")
	total, err := s.count(ctx, "user_groups g", q)
	if err != nil {
		return nil, 0, fmt.Errorf("count groups: %w", err)
	}
	sql := `SELECT g.pk, g.name FROM user_groups g` + q.whereSQL() +
		orderSQL(f.Ordering, map[string]string{"name": "g.name"}, "g.pk") + q.pageSQL(f.Page)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	gs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Group, error) {
		var g Group
		return g, row.Scan(&g.PK, &g.Name)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	if err := s.loadGroupDetails(ctx, gs); err != nil {
		return nil, 0, err
	}
	return gs, total, nil
}

func (s *Queries) loadGroupDetails(ctx context.Context, gs []Group) error {
	if len(gs) == 0 {
		return nil
	}
	index := make(map[int64]int, len(gs))
	pks := make([]int64, len(gs))
	for i, g := range gs {
		index[g.PK], pks[i] = i, g.PK
		gs[i].RuleSets, gs[i].Users = []RuleSet{}, []UserRef{}
	}
	rules, err := s.ruleSets(ctx, `WHERE group_pk = ANY($1)`, pks)
	if err != nil {
		return err
	}
	for _, r := range rules {
		i := index[r.Group]
		gs[i].RuleSets = append(gs[i].RuleSets, r)
	}
	rows, err := s.pool.Query(ctx, `SELECT m.group_pk, u.pk, u.username, u.first_name, u.last_name, u.email
		FROM user_group_members m JOIN users u ON u.pk = m.user_pk WHERE m.group_pk = ANY($1) ORDER BY u.pk`, pks)
	if err != nil {
		return fmt.Errorf("members of groups: %w", err)
	}
	var groupPK int64
	var u UserRef
	_, err = pgx.ForEachRow(rows, []any{&groupPK, &u.PK, &u.Username, &u.FirstName, &u.LastName, &u.Email}, func() error {
		i := index[groupPK]
		gs[i].Users = append(gs[i].Users, u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("members of groups: %w", err)
	}
	return nil
}

func (s *Queries) ruleSets(ctx context.Context, where string, args ...any) ([]RuleSet, error) {
	rows, err := s.pool.Query(ctx, `SELECT pk, group_pk, role, can_view, can_add, can_change, can_delete
		FROM user_group_rulesets `+where+` ORDER BY pk`, args...)
	if err != nil {
		return nil, fmt.Errorf("rule sets: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RuleSet, error) {
		var r RuleSet
		var role string
		err := row.Scan(&r.PK, &r.Group, &role, &r.Perms.View, &r.Perms.Add, &r.Perms.Change, &r.Perms.Delete)
		r.Role = user.Role(role)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("rule sets: %w", err)
	}
	return out, nil
}

// RuleSet returns one rule set by its pk, or a *domain.NotFoundError.
func (s *Queries) RuleSet(ctx context.Context, pk int64) (RuleSet, error) {
	rs, err := s.ruleSets(ctx, `WHERE pk = $1`, pk)
	if err != nil {
		return RuleSet{}, err
	}
	if len(rs) == 0 {
		return RuleSet{}, &domain.NotFoundError{Kind: "RuleSet", ID: pk}
	}
	return rs[0], nil
}

// RuleSets lists the rule sets of one group, or of every group when group is 0.
func (s *Queries) RuleSets(ctx context.Context, group int64) ([]RuleSet, error) {
	if group == 0 {
		return s.ruleSets(ctx, ``)
	}
	return s.ruleSets(ctx, `WHERE group_pk = $1`, group)
}

// tokenOrdering is InvenTree's ApiTokenList ordering fields.
var tokenOrdering = map[string]string{
	"created": "t.created", "expiry": "t.expiry", "last_seen": "c.last_used_at", "user": "t.user_pk",
	"name": "t.name", "revoked": "t.revoked",
}

const tokenFrom = `user_api_tokens t LEFT JOIN credentials c ON c.id = t.credential`

const tokenColumns = `t.pk, t.user_pk, t.name, t.key_hint, t.created, t.expiry, c.last_used_at, t.revoked`

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	var expiry time.Time
	err := row.Scan(&t.PK, &t.User, &t.Name, &t.KeyHint, &t.Created, &expiry, &t.LastSeen, &t.Revoked)
	t.Expiry = user.DateOf(expiry)
	return t, err
}

// Token returns one token, or a *domain.NotFoundError.
func (s *Queries) Token(ctx context.Context, pk int64) (Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM `+tokenFrom+` WHERE t.pk = $1`, pk))
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, &domain.NotFoundError{Kind: "ApiToken", ID: pk}
	}
	if err != nil {
		return Token{}, fmt.Errorf("token %d: %w", pk, err)
	}
	return t, nil
}

// Tokens lists tokens (search on name, as InvenTree searches its key and name; the key
// is not stored) and counts all that match.
func (s *Queries) Tokens(ctx context.Context, f TokenFilter) ([]Token, int, error) {
	q := &query{}
	if f.User != 0 {
		q.cond("t.user_pk = %s", f.User)
	}
	q.boolFilter("t.revoked", f.Revoked)
	q.search(f.Search, "t.name")
	total, err := s.count(ctx, tokenFrom, q)
	if err != nil {
		return nil, 0, fmt.Errorf("count tokens: %w", err)
	}
	sql := `SELECT ` + tokenColumns + ` FROM ` + tokenFrom + q.whereSQL() + orderSQL(f.Ordering, tokenOrdering, "t.pk") + q.pageSQL(f.Page)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tokens: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Token, error) { return scanToken(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list tokens: %w", err)
	}
	return ts, total, nil
}

// Access is what the user may do: its flags and the union of its groups' rule sets
// (what /api/user/me/roles/ shows). A *domain.NotFoundError when there is no such user.
func (s *Queries) Access(ctx context.Context, pk int64) (user.Access, error) {
	acc := user.Access{Roles: map[user.Role]user.PermSet{}}
	err := s.pool.QueryRow(ctx, `SELECT pk, username, is_active, is_staff, is_superuser FROM users WHERE pk = $1`, pk).
		Scan(&acc.UserID, &acc.Username, &acc.Active, &acc.Staff, &acc.Superuser)
	if errors.Is(err, pgx.ErrNoRows) {
		return user.Access{}, &domain.NotFoundError{Kind: "User", ID: pk}
	}
	if err != nil {
		return user.Access{}, fmt.Errorf("access of user %d: %w", pk, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT rs.role, bool_or(rs.can_view), bool_or(rs.can_add), bool_or(rs.can_change), bool_or(rs.can_delete)
		FROM user_group_members m JOIN user_group_rulesets rs ON rs.group_pk = m.group_pk
		WHERE m.user_pk = $1 GROUP BY rs.role`, pk)
	if err != nil {
		return user.Access{}, fmt.Errorf("roles of user %d: %w", pk, err)
	}
	var role string
	var p user.PermSet
	_, err = pgx.ForEachRow(rows, []any{&role, &p.View, &p.Add, &p.Change, &p.Delete}, func() error {
		if p != (user.PermSet{}) {
			acc.Roles[user.Role(role)] = p
		}
		return nil
	})
	if err != nil {
		return user.Access{}, fmt.Errorf("roles of user %d: %w", pk, err)
	}
	return acc, nil
}
