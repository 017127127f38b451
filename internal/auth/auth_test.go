package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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

// fixture is the write side, the users projection running, and an authenticator.
type fixture struct {
	*ledgertest.Ledger
	h    *commands.UserHandlers
	auth *auth.Authenticator
	now  time.Time // the authenticator's clock
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
	f := &fixture{Ledger: l, h: h, now: clock}
	f.auth, err = auth.New(auth.Config{Pool: l.Pool, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sync waits until the read model shows what was appended up to res.
func (f *fixture) sync(t *testing.T, res commands.Result) {
	t.Helper()
	f.Wait(t, res.Position)
}

func (f *fixture) createUser(t *testing.T, c commands.CreateUser) int64 {
	t.Helper()
	id, res, err := f.h.CreateUser(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, res)
	return id
}

func (f *fixture) token(t *testing.T, userID int64, name string) commands.IssuedUserToken {
	t.Helper()
	tok, res, err := f.h.GetUserToken(context.Background(), commands.GetUserToken{UserID: userID, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, res)
	return tok
}

func (f *fixture) authenticate(header string) (user.Access, bool, error) {
	r := httptest.NewRequest("GET", "/api/user/me/", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return f.auth.Authenticate(context.Background(), r)
}

func basic(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

// refused asserts an authentication error wrapping want, with DRF's detail.
func refused(t *testing.T, acc user.Access, ok bool, err error, want error, detail string) {
	t.Helper()
	var ae *auth.Error
	if ok || acc.UserID != 0 || !errors.Is(err, want) || !errors.As(err, &ae) || ae.Detail != detail {
		t.Fatalf("got %+v, %v, %v; want refusal %v %q", acc, ok, err, want, detail)
	}
}

func TestPasswordAuthentication(t *testing.T) {
	f := newFixture(t)
	alice := f.createUser(t, commands.CreateUser{Username: "alice", Password: "correct horse", Staff: true})
	f.createUser(t, commands.CreateUser{Username: "nopass"})
	inactive := false
	f.createUser(t, commands.CreateUser{Username: "gone", Password: "correct horse", Active: &inactive})

	acc, ok, err := f.authenticate(basic("alice", "correct horse"))
	if err != nil || !ok || acc.UserID != alice || acc.Username != "alice" || !acc.Active || !acc.Staff || acc.Superuser || acc.TokenID != 0 {
		t.Fatalf("alice: %+v, %v, %v", acc, ok, err)
	}
	for _, tc := range []struct{ name, header string }{
		{"wrong password", basic("alice", "wrong horse")},
		{"username is matched exactly", basic("Alice", "correct horse")},
		{"unknown user", basic("bob", "correct horse")},
		{"no usable password", basic("nopass", "")},
		{"inactive user", basic("gone", "correct horse")},
		{"no colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acc, ok, err := f.authenticate(tc.header)
			refused(t, acc, ok, err, user.ErrBadCredentials, "Invalid username/password.")
		})
	}

	// A new password replaces the old one.
	res, err := f.h.ChangeUserPassword(context.Background(), commands.ChangeUserPassword{UserID: alice, Password: "battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, res)
	if _, ok, err := f.authenticate(basic("alice", "battery staple")); !ok || err != nil {
		t.Fatalf("new password: %v, %v", ok, err)
	}
	acc, ok, err = f.authenticate(basic("alice", "correct horse"))
	refused(t, acc, ok, err, user.ErrBadCredentials, "Invalid username/password.")
}

func TestTokenAuthentication(t *testing.T) {
	f := newFixture(t)
	alice := f.createUser(t, commands.CreateUser{Username: "alice", Password: "correct horse"})
	ctx := context.Background()
	gid, _, err := f.h.CreateGroup(ctx, commands.CreateGroup{Name: "Stock keepers"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.SetGroupRuleSet(ctx, commands.SetGroupRuleSet{GroupID: gid, Role: user.RoleStock, Perms: user.PermSet{Add: true}}); err != nil {
		t.Fatal(err)
	}
	res, err := f.h.SetUserGroups(ctx, commands.SetUserGroups{UserID: alice, Groups: []int64{gid}})
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t, res)
	tok := f.token(t, alice, "python")

	if !regexp.MustCompile(`^inv-[0-9a-f]{40}-20260314$`).MatchString(tok.Key) {
		t.Fatalf("key %q is not in InvenTree's format", tok.Key)
	}
	if tok.Expiry != user.NewDate(2027, 3, 14) {
		t.Fatalf("expiry %s, want today + 365 days", tok.Expiry)
	}

	for _, header := range []string{"Token " + tok.Key, "token " + tok.Key, "TOKEN  " + tok.Key + " "} {
		acc, ok, err := f.authenticate(header)
		if err != nil || !ok || acc.UserID != alice || acc.TokenID != tok.ID {
			t.Fatalf("%q: %+v, %v, %v", header, acc, ok, err)
		}
		if !acc.Can(user.RoleStock, user.PermChange) || acc.Can(user.RoleStock, user.PermDelete) || acc.Can(user.RolePart, user.PermView) {
			t.Fatalf("roles %+v", acc.Roles)
		}
	}
	// Header names are case-insensitive: InvenTree's Python client sends AUTHORIZATION,
	// which net/http files under its canonical name.
	r := httptest.NewRequest("GET", "/api/", nil)
	r.Header.Add("AUTHORIZATION", "Token "+tok.Key)
	if acc, ok, err := f.auth.Authenticate(ctx, r); !ok || err != nil || acc.UserID != alice {
		t.Fatalf("AUTHORIZATION header: %+v, %v, %v", acc, ok, err)
	}

	acc, ok, err := f.authenticate("Token inv-0000000000000000000000000000000000000000-20260314")
	refused(t, acc, ok, err, user.ErrInvalidToken, "Invalid token.")
}

func TestTokenRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice := f.createUser(t, commands.CreateUser{Username: "alice"})

	t.Run("expired", func(t *testing.T) {
		tok, res, err := f.h.CreateUserToken(ctx, commands.CreateUserToken{UserID: alice, Name: "short", Expiry: user.DateOf(clock)})
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, res)
		if _, ok, err := f.authenticate("Token " + tok.Key); !ok || err != nil {
			t.Fatalf("valid through its expiry day: %v, %v", ok, err)
		}
		f.now = clock.Add(24 * time.Hour)
		defer func() { f.now = clock }()
		acc, ok, err := f.authenticate("Token " + tok.Key)
		refused(t, acc, ok, err, user.ErrInvalidToken, "Token has expired")
	})

	t.Run("revoked", func(t *testing.T) {
		tok := f.token(t, alice, "revoke-me")
		res, err := f.h.RevokeUserToken(ctx, commands.RevokeUserToken{UserID: alice, TokenID: tok.ID})
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, res)
		acc, ok, err := f.authenticate("Token " + tok.Key)
		refused(t, acc, ok, err, user.ErrInvalidToken, "Token has been revoked")
	})

	t.Run("replaced by a token of the same name", func(t *testing.T) {
		first := f.token(t, alice, "client")
		second := f.token(t, alice, "client")
		acc, ok, err := f.authenticate("Token " + first.Key)
		// InvenTree deletes the replaced token, so its key is just unknown.
		refused(t, acc, ok, err, user.ErrInvalidToken, "Invalid token.")
		if _, ok, err := f.authenticate("Token " + second.Key); !ok || err != nil {
			t.Fatalf("new token: %v, %v", ok, err)
		}
	})

	t.Run("inactive user", func(t *testing.T) {
		tok := f.token(t, alice, "before-deactivation")
		inactive := false
		res, err := f.h.UpdateUser(ctx, commands.UpdateUser{UserID: alice, Changes: user.UserChanges{Active: &inactive}})
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, res)
		acc, ok, err := f.authenticate("Token " + tok.Key)
		refused(t, acc, ok, err, user.ErrInvalidToken, "User inactive or deleted.")
	})

	t.Run("deleted user", func(t *testing.T) {
		bob := f.createUser(t, commands.CreateUser{Username: "bob"})
		tok := f.token(t, bob, "")
		res, err := f.h.DeleteUser(ctx, commands.DeleteUser{UserID: bob})
		if err != nil {
			t.Fatal(err)
		}
		f.sync(t, res)
		acc, ok, err := f.authenticate("Token " + tok.Key)
		refused(t, acc, ok, err, user.ErrInvalidToken, "Invalid token.")
	})
}

func TestMalformedHeaders(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		header string
		want   error // nil: anonymous
		detail string
	}{
		{"", nil, ""},
		{"   ", nil, ""},
		{"Bearer abc", nil, ""}, // InvenTree's Bearer is OAuth2, which Stockledger does not serve
		{"Digest x=y", nil, ""},
		{"Token", user.ErrInvalidToken, "Invalid token header. No credentials provided."},
		{"Token a b", user.ErrInvalidToken, "Invalid token header. Token string should not contain spaces."},
		{"Token \xff\xfe", user.ErrInvalidToken, "Invalid token header. Token string should not contain invalid characters."},
		{"Basic", user.ErrBadCredentials, "Invalid basic header. No credentials provided."},
		{"Basic a b", user.ErrBadCredentials, "Invalid basic header. Credentials string should not contain spaces."},
		{"Basic !!!notbase64", user.ErrBadCredentials, "Invalid basic header. Credentials not correctly base64 encoded."},
	}
	for _, tt := range tests {
		acc, ok, err := f.authenticate(tt.header)
		if tt.want == nil {
			if ok || err != nil || acc.UserID != 0 {
				t.Errorf("%q: %+v, %v, %v; want anonymous", tt.header, acc, ok, err)
			}
			continue
		}
		var ae *auth.Error
		if ok || !errors.Is(err, tt.want) || !errors.As(err, &ae) || ae.Detail != tt.detail {
			t.Errorf("%q: %v, %v; want %v %q", tt.header, ok, err, tt.want, tt.detail)
		}
	}
}

// A token's last use is written, but not on every request.
func TestTokenLastSeen(t *testing.T) {
	f := newFixture(t)
	alice := f.createUser(t, commands.CreateUser{Username: "alice"})
	tok := f.token(t, alice, "")
	ctx := context.Background()
	q := users.NewQueries(f.Pool)

	seen := func() *time.Time {
		t.Helper()
		got, err := q.Token(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.LastSeen
	}
	if s := seen(); s != nil {
		t.Fatalf("last seen %v before any use", s)
	}
	if _, ok, err := f.authenticate("Token " + tok.Key); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if s := seen(); s == nil || !s.Equal(clock) {
		t.Fatalf("last seen %v, want %v", s, clock)
	}
	f.now = clock.Add(30 * time.Second)
	for range 5 {
		if _, ok, err := f.authenticate("Token " + tok.Key); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if s := seen(); !s.Equal(clock) {
		t.Fatalf("last seen %v rewritten within a minute", s)
	}
	f.now = clock.Add(2 * time.Minute)
	if _, ok, err := f.authenticate("Token " + tok.Key); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if s := seen(); !s.Equal(f.now) {
		t.Fatalf("last seen %v, want %v", s, f.now)
	}
}

// No secret reaches the log: neither a password, nor a token key, nor a hash of either.
func TestSecretsStayOutOfTheLog(t *testing.T) {
	f := newFixture(t)
	alice := f.createUser(t, commands.CreateUser{Username: "alice", Password: "correct horse"})
	tok := f.token(t, alice, "x")
	var hash string
	if err := f.Pool.QueryRow(context.Background(), `SELECT password_hash FROM credentials WHERE kind = 'password'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	recs, err := f.Store.ReadAll(context.Background(), eventstore.Start, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no events read")
	}
	for _, r := range recs {
		data := string(r.Data)
		for _, secret := range []string{"correct horse", tok.Key, tok.Key[8:44], hash, "argon2"} {
			if strings.Contains(data, secret) {
				t.Errorf("%s event %s holds a secret", r.Type, data)
			}
		}
	}
}

func TestPasswordHashing(t *testing.T) {
	p := auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h1, err := auth.HashPassword("pw", p)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := auth.HashPassword("pw", p)
	if h1 == h2 || !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hashes %q, %q", h1, h2)
	}
	if ok, err := auth.VerifyPassword("pw", h1); !ok || err != nil {
		t.Fatalf("verify: %v, %v", ok, err)
	}
	if ok, err := auth.VerifyPassword("PW", h1); ok || err != nil {
		t.Fatalf("verify wrong: %v, %v", ok, err)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=9999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!$!"} {
		if _, err := auth.VerifyPassword("pw", bad); !errors.Is(err, auth.ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) err = %v", bad, err)
		}
	}
}

func TestCredentialsForget(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := auth.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	c := auth.NewCredentials(pool)
	pw, err := c.NewPassword(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	tok, key, err := c.NewTokenKey(ctx, user.NewDate(2026, 1, 2))
	if err != nil || !strings.HasSuffix(key, "-20260102") {
		t.Fatal(key, err)
	}
	if err := c.Forget(ctx, pw, tok, uuid.New()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM credentials`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d credentials left (%v)", n, err)
	}
}
