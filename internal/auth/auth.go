package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain/user"
)

// Error is a refused authentication. It wraps user.ErrInvalidToken or
// user.ErrBadCredentials (test with errors.Is); Detail is the message DRF gives for this
// case, for a 401 {"detail": ...}.
type Error struct {
	Err    error
	Detail string
}

func (e *Error) Error() string { return e.Err.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Err }

// AuthDetail is the message the client reads: DRF's or InvenTree's wording.
func (e *Error) AuthDetail() string { return e.Detail }

func tokenError(detail string) error { return &Error{Err: user.ErrInvalidToken, Detail: detail} }
func basicError(detail string) error { return &Error{Err: user.ErrBadCredentials, Detail: detail} }

// DRF's and InvenTree's wording.
const (
	msgInvalidToken      = "Invalid token."
	msgTokenNoCredential = "Invalid token header. No credentials provided."
	msgTokenSpaces       = "Invalid token header. Token string should not contain spaces."
	msgTokenChars        = "Invalid token header. Token string should not contain invalid characters."
	msgTokenRevoked      = "Token has been revoked"
	msgTokenExpired      = "Token has expired"
	msgUserInactive      = "User inactive or deleted."
	msgBasicNoCredential = "Invalid basic header. No credentials provided."
	msgBasicSpaces       = "Invalid basic header. Credentials string should not contain spaces."
	msgBasicEncoding     = "Invalid basic header. Credentials not correctly base64 encoded."
	msgBadCredentials    = "Invalid username/password."
)

// Config configures an Authenticator.
type Config struct {
	// Pool holds the credentials table and the users read model. Required.
	Pool *pgxpool.Pool
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Location is whose calendar decides that a token has expired (valid through its
	// expiry day, as InvenTree's server time zone does). Default: UTC.
	Location *time.Location
	// LastSeenEvery is how often at most a token's last use is written. Default: 1m.
	LastSeenEvery time.Duration
	// MaxHashing bounds concurrent password verifications, each of which takes argon2's
	// memory for some milliseconds. Default: GOMAXPROCS.
	MaxHashing int
	// Logger receives failures to record a token's last use. Default: discard.
	Logger *slog.Logger
}

// Authenticator tells who sent a request. It is safe for concurrent use.
type Authenticator struct {
	pool      *pgxpool.Pool
	now       func() time.Time
	loc       *time.Location
	every     time.Duration
	logger    *slog.Logger
	hashing   chan struct{}
	dummyHash string // verified against when there is no user, so timing tells nothing

	mu   sync.Mutex
	seen map[uuid.UUID]time.Time // last-use written per token credential
}

// New returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Pool == nil {
		return nil, errors.New("authenticator: no pool")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.LastSeenEvery <= 0 {
		cfg.LastSeenEvery = time.Minute
	}
	if cfg.MaxHashing <= 0 {
		cfg.MaxHashing = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dummy, err := HashPassword("no user has this password", DefaultArgon2)
	if err != nil {
		return nil, fmt.Errorf("authenticator: %w", err)
	}
	return &Authenticator{
		pool: cfg.Pool, now: cfg.Now, loc: cfg.Location, every: cfg.LastSeenEvery, logger: cfg.Logger,
		hashing: make(chan struct{}, cfg.MaxHashing), dummyHash: dummy, seen: map[uuid.UUID]time.Time{},
	}, nil
}

// Authenticate reads the Authorization header. The schemes are tried as InvenTree's
// DRF settings order them: Token, then Basic. It returns:
//   - (access, true, nil) for valid credentials;
//   - (zero, false, nil) when there are none, or a scheme this server does not take
//     (InvenTree's "Bearer" is OAuth2, which Stockledger does not implement);
//   - (zero, false, *Error) for wrong credentials: an unknown, expired or revoked token
//     or an inactive user's token (user.ErrInvalidToken), a wrong username or password
//     or an inactive user (user.ErrBadCredentials), or a malformed header;
//   - another error when the database fails.
//
// Header names are case-insensitive (net/http canonicalises them), and so is the
// scheme keyword, as in DRF.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (user.Access, bool, error) {
	header := r.Header.Get("Authorization")
	parts := strings.Fields(header)
	if len(parts) == 0 {
		return user.Access{}, false, nil
	}
	switch strings.ToLower(parts[0]) {
	case "token":
		switch {
		case len(parts) == 1:
			return user.Access{}, false, tokenError(msgTokenNoCredential)
		case len(parts) > 2:
			return user.Access{}, false, tokenError(msgTokenSpaces)
		case !utf8.ValidString(parts[1]):
			return user.Access{}, false, tokenError(msgTokenChars)
		}
		return a.token(ctx, parts[1])
	case "basic":
		switch {
		case len(parts) == 1:
			return user.Access{}, false, basicError(msgBasicNoCredential)
		case len(parts) > 2:
			return user.Access{}, false, basicError(msgBasicSpaces)
		}
		username, password, err := decodeBasic(parts[1])
		if err != nil {
			return user.Access{}, false, err
		}
		return a.basic(ctx, username, password)
	}
	return user.Access{}, false, nil
}

// rolesSQL aggregates a user's rule sets over its groups, one array element per role,
// for the user row aliased u.
const rolesSQL = `LEFT JOIN LATERAL (
		SELECT array_agg(x.role ORDER BY x.role) AS roles,
		       array_agg(x.v ORDER BY x.role) AS v, array_agg(x.a ORDER BY x.role) AS a,
		       array_agg(x.c ORDER BY x.role) AS c, array_agg(x.d ORDER BY x.role) AS d
		FROM (
			SELECT rs.role, bool_or(rs.can_view) AS v, bool_or(rs.can_add) AS a,
			       bool_or(rs.can_change) AS c, bool_or(rs.can_delete) AS d
			FROM user_group_members m
			JOIN user_group_rulesets rs ON rs.group_pk = m.group_pk
			WHERE m.user_pk = u.pk
			GROUP BY rs.role
		) x
	) r ON true`

// roleArrays receives rolesSQL's columns.
type roleArrays struct {
	roles                []string
	view, add, chg, dele []bool
}

func (ra *roleArrays) scanTargets() []any {
	return []any{&ra.roles, &ra.view, &ra.add, &ra.chg, &ra.dele}
}

func (ra roleArrays) perms() map[user.Role]user.PermSet {
	out := make(map[user.Role]user.PermSet, len(ra.roles))
	for i, role := range ra.roles {
		if i < len(ra.view) && i < len(ra.add) && i < len(ra.chg) && i < len(ra.dele) {
			out[user.Role(role)] = user.PermSet{View: ra.view[i], Add: ra.add[i], Change: ra.chg[i], Delete: ra.dele[i]}
		}
	}
	return out
}

// token authenticates a key with one query: the digest's unique index leads to the
// token, its user and the user's roles.
func (a *Authenticator) token(ctx context.Context, key string) (user.Access, bool, error) {
	var (
		acc        user.Access
		credential uuid.UUID
		expiry     time.Time
		revoked    bool
		reason     *string
		lastUsed   *time.Time
		ra         roleArrays
	)
	dest := append([]any{&acc.TokenID, &credential, &expiry, &revoked, &reason, &lastUsed,
		&acc.UserID, &acc.Username, &acc.Active, &acc.Staff, &acc.Superuser}, ra.scanTargets()...)
	err := a.pool.QueryRow(ctx, `
		SELECT t.pk, c.id, t.expiry, t.revoked, t.revoke_reason, c.last_used_at,
		       u.pk, u.username, u.is_active, u.is_staff, u.is_superuser,
		       r.roles, r.v, r.a, r.c, r.d
		FROM credentials c
		JOIN user_api_tokens t ON t.credential = c.id
		JOIN users u ON u.pk = t.user_pk
		`+rolesSQL+`
		WHERE c.token_digest = $1`, TokenDigest(key)).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return user.Access{}, false, tokenError(msgInvalidToken)
	}
	if err != nil {
		return user.Access{}, false, fmt.Errorf("authenticate token: %w", err)
	}
	now := a.now()
	switch {
	case !acc.Active:
		return user.Access{}, false, tokenError(msgUserInactive)
	case revoked && reason != nil && *reason == user.RevokedReplaced:
		// InvenTree deletes a token replaced by name: its key is simply unknown.
		return user.Access{}, false, tokenError(msgInvalidToken)
	case revoked:
		return user.Access{}, false, tokenError(msgTokenRevoked)
	case user.DateOf(expiry).Before(user.DateOf(now.In(a.loc))):
		return user.Access{}, false, tokenError(msgTokenExpired)
	}
	acc.Roles = ra.perms()
	a.touch(ctx, credential, lastUsed, now)
	return acc, true, nil
}

// touch records that a token was used, at most once per LastSeenEvery per token: the
// stored time and an in-process memory both hold writes back, so busy clients cost no
// write per request. It is bookkeeping, not an event: a failure is logged, not returned.
func (a *Authenticator) touch(ctx context.Context, credential uuid.UUID, stored *time.Time, now time.Time) {
	if stored != nil && now.Sub(*stored) < a.every {
		return
	}
	a.mu.Lock()
	if last, ok := a.seen[credential]; ok && now.Sub(last) < a.every {
		a.mu.Unlock()
		return
	}
	a.seen[credential] = now
	if len(a.seen) > 10000 {
		for id, t := range a.seen {
			if now.Sub(t) >= a.every {
				delete(a.seen, id)
			}
		}
	}
	a.mu.Unlock()
	if _, err := a.pool.Exec(ctx, `UPDATE credentials SET last_used_at = $2 WHERE id = $1`, credential, now); err != nil {
		a.logger.Warn("record token use", "credential", credential, "err", err)
	}
}

// decodeBasic reads "base64(username:password)" as DRF does: UTF-8, else Latin-1.
func decodeBasic(b64 string) (username, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return "", "", basicError(msgBasicEncoding)
		}
	}
	s := string(raw)
	if !utf8.Valid(raw) {
		runes := make([]rune, len(raw))
		for i, b := range raw {
			runes[i] = rune(b)
		}
		s = string(runes)
	}
	username, password, _ = strings.Cut(s, ":")
	return username, password, nil
}

// basic authenticates a username and password. Django's ModelBackend matches the
// username exactly; an unknown user, a user without a usable password and an inactive
// user are all "Invalid username/password.", and all cost one argon2 verification.
func (a *Authenticator) basic(ctx context.Context, username, password string) (user.Access, bool, error) {
	var (
		acc  user.Access
		hash *string
		ra   roleArrays
	)
	dest := append([]any{&acc.UserID, &acc.Username, &acc.Active, &acc.Staff, &acc.Superuser, &hash}, ra.scanTargets()...)
	err := a.pool.QueryRow(ctx, `
		SELECT u.pk, u.username, u.is_active, u.is_staff, u.is_superuser, c.password_hash,
		       r.roles, r.v, r.a, r.c, r.d
		FROM users u
		LEFT JOIN credentials c ON c.id = u.password_credential AND c.kind = 'password'
		`+rolesSQL+`
		WHERE u.username = $1
		ORDER BY u.pk
		LIMIT 1`, username).Scan(dest...)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return user.Access{}, false, fmt.Errorf("authenticate %q: %w", username, err)
	}
	encoded := a.dummyHash
	if found && hash != nil {
		encoded = *hash
	}
	ok, err := a.verify(ctx, password, encoded)
	if err != nil {
		return user.Access{}, false, fmt.Errorf("authenticate %q: %w", username, err)
	}
	if !found || hash == nil || !ok || !acc.Active {
		return user.Access{}, false, basicError(msgBadCredentials)
	}
	acc.Roles = ra.perms()
	return acc, true, nil
}

// verify runs one argon2 verification, waiting its turn among MaxHashing.
func (a *Authenticator) verify(ctx context.Context, password, encoded string) (bool, error) {
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.hashing }()
	return VerifyPassword(password, encoded)
}
