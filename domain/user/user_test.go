package user

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/domain"
)

var (
	at    = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	today = DateOf(at)
	cred1 = uuid.MustParse("0190a000-0000-7000-8000-000000000001")
	cred2 = uuid.MustParse("0190a000-0000-7000-8000-000000000002")
	cred3 = uuid.MustParse("0190a000-0000-7000-8000-000000000003")
)

func givenUser(evs ...domain.Event) *User {
	u := &User{}
	for _, e := range evs {
		u.Apply(e)
	}
	return u
}

var alice = UserCreated{User: 7, Username: "alice", Email: "alice@example.com", IsActive: true, DateJoined: at}

func ptr[T any](v T) *T { return &v }

// fields reports the fields of a RuleError, "" for none.
func fields(err error) []string {
	var re *domain.RuleError
	if !errors.As(err, &re) {
		return nil
	}
	var out []string
	for _, v := range re.Violations {
		out = append(out, v.Field)
	}
	return out
}

func isNotFound(err error, kind string) bool {
	var nf *domain.NotFoundError
	return errors.As(err, &nf) && nf.Kind == kind
}

func TestCreateUser(t *testing.T) {
	tests := []struct {
		name       string
		given      []domain.Event
		in         NewUser
		want       domain.Event
		wantFields []string
		wantErr    error
	}{
		{
			name: "valid",
			in:   NewUser{ID: 7, Username: " alice ", Email: "Alice@EXAMPLE.com", FirstName: "Alice", Active: true},
			want: UserCreated{User: 7, Username: "alice", Email: "Alice@example.com", FirstName: "Alice", IsActive: true, DateJoined: at},
		},
		{
			name: "unicode username is NFKC-normalised",
			in:   NewUser{ID: 7, Username: "ｊｏｓé.m+1@x", Active: true},
			want: UserCreated{User: 7, Username: "josé.m+1@x", IsActive: true, DateJoined: at},
		},
		{name: "blank username", in: NewUser{ID: 7, Username: "  "}, wantFields: []string{"username"}},
		{name: "username with a space", in: NewUser{ID: 7, Username: "al ice"}, wantFields: []string{"username"}},
		{name: "username with a slash", in: NewUser{ID: 7, Username: "al/ice"}, wantFields: []string{"username"}},
		{name: "username too long", in: NewUser{ID: 7, Username: strings.Repeat("a", 151)}, wantFields: []string{"username"}},
		{
			name:       "every problem at once",
			in:         NewUser{ID: 7, Username: "a b", Email: "nope", FirstName: strings.Repeat("x", 151), LastName: strings.Repeat("y", 151)},
			wantFields: []string{"username", "email", "first_name", "last_name"},
		},
		{name: "email without domain dot", in: NewUser{ID: 7, Username: "a", Email: "a@b"}, wantFields: []string{"email"}},
		{name: "email with display name", in: NewUser{ID: 7, Username: "a", Email: "A <a@b.com>"}, wantFields: []string{"email"}},
		{name: "a user is created once", given: []domain.Event{alice}, in: NewUser{ID: 7, Username: "bob"}, wantErr: ErrAlreadyCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := givenUser(tt.given...).Create(tt.in, at)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.wantFields != nil:
				if got := fields(err); !reflect.DeepEqual(got, tt.wantFields) {
					t.Fatalf("violations on %v (%v), want %v", got, err, tt.wantFields)
				}
			default:
				if err != nil || len(evs) != 1 || !reflect.DeepEqual(evs[0], tt.want) {
					t.Fatalf("Create = %#v, %v; want %#v", evs, err, tt.want)
				}
			}
		})
	}
}

func TestUpdateUser(t *testing.T) {
	tests := []struct {
		name       string
		given      []domain.Event
		ch         UserChanges
		want       []domain.Event
		wantFields []string
		notFound   bool
	}{
		{
			name:  "only changed fields are recorded",
			given: []domain.Event{alice},
			ch:    UserChanges{Username: ptr("alice"), Email: ptr("alice@example.com"), FirstName: ptr("Alice"), Active: ptr(true), Staff: ptr(true)},
			want:  []domain.Event{UserUpdated{User: 7, FirstName: ptr("Alice"), IsStaff: ptr(true)}},
		},
		{name: "nothing changes", given: []domain.Event{alice}, ch: UserChanges{Active: ptr(true)}},
		{
			name:  "deactivate",
			given: []domain.Event{alice},
			ch:    UserChanges{Active: ptr(false)},
			want:  []domain.Event{UserUpdated{User: 7, IsActive: ptr(false)}},
		},
		{
			name:  "rename",
			given: []domain.Event{alice},
			ch:    UserChanges{Username: ptr("Alice2")},
			want:  []domain.Event{UserUpdated{User: 7, Username: ptr("Alice2")}},
		},
		{name: "invalid username", given: []domain.Event{alice}, ch: UserChanges{Username: ptr(""), Email: ptr("x")}, wantFields: []string{"username", "email"}},
		{name: "unknown user", ch: UserChanges{Active: ptr(false)}, notFound: true},
		{name: "deleted user", given: []domain.Event{alice, UserDeleted{User: 7}}, ch: UserChanges{Active: ptr(false)}, notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := givenUser(tt.given...).Update(tt.ch)
			switch {
			case tt.notFound:
				if !isNotFound(err, "User") {
					t.Fatalf("err = %v, want User not found", err)
				}
			case tt.wantFields != nil:
				if got := fields(err); !reflect.DeepEqual(got, tt.wantFields) {
					t.Fatalf("violations on %v (%v), want %v", got, err, tt.wantFields)
				}
			default:
				if err != nil || !reflect.DeepEqual(evs, tt.want) {
					t.Fatalf("Update = %#v, %v; want %#v", evs, err, tt.want)
				}
			}
		})
	}
}

func TestChangePasswordAndGroups(t *testing.T) {
	u := givenUser(alice)
	evs, err := u.ChangePassword(cred1)
	if err != nil || !reflect.DeepEqual(evs, []domain.Event{UserPasswordChanged{User: 7, Credential: cred1}}) {
		t.Fatalf("ChangePassword = %v, %v", evs, err)
	}
	u.Apply(evs[0])
	if evs, err := u.ChangePassword(cred1); err != nil || evs != nil {
		t.Fatalf("same credential again = %v, %v", evs, err)
	}
	if _, err := u.ChangePassword(uuid.Nil); err == nil {
		t.Fatal("a nil credential was accepted")
	}

	evs, err = u.SetGroups([]int64{3, 1, 3})
	want := UserGroupsChanged{User: 7, Groups: []int64{1, 3}, Added: []int64{1, 3}}
	if err != nil || !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("SetGroups = %#v, %v", evs, err)
	}
	u.Apply(evs[0])
	evs, err = u.SetGroups([]int64{3, 4})
	want = UserGroupsChanged{User: 7, Groups: []int64{3, 4}, Added: []int64{4}, Removed: []int64{1}}
	if err != nil || !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("SetGroups = %#v, %v", evs, err)
	}
	u.Apply(evs[0])
	if evs, err := u.SetGroups([]int64{4, 3}); err != nil || evs != nil {
		t.Fatalf("same groups = %v, %v", evs, err)
	}
	evs, err = u.SetGroups(nil)
	want = UserGroupsChanged{User: 7, Groups: []int64{}, Removed: []int64{3, 4}}
	if err != nil || !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("SetGroups(nil) = %#v, %v", evs, err)
	}
	if _, err := u.SetGroups([]int64{0}); !reflect.DeepEqual(fields(err), []string{"group_ids"}) {
		t.Fatalf("pk 0: %v", err)
	}
}

func token(id int64, name string, expiry Date, credential uuid.UUID) ApiTokenCreated {
	return ApiTokenCreated{Token: id, User: 7, Name: name, Expiry: expiry, KeyHint: "inv-abcd****", Credential: credential, Created: at}
}

func TestTokens(t *testing.T) {
	yesterday := today.AddDays(-1)
	live := token(1, "python", today, cred1)             // valid through today
	expired := token(2, "python", yesterday, cred2)      // same name, expired
	other := token(3, "other", today.AddDays(10), cred3) // other name
	revoked := token(4, "python", today.AddDays(5), uuid.New())
	base := []domain.Event{alice, live, expired, other, revoked, ApiTokenRevoked{Token: 4, User: 7, Name: "python", Reason: RevokedByRequest}}
	newCred := uuid.New()

	t.Run("issue with default expiry", func(t *testing.T) {
		evs, err := givenUser(alice).IssueToken(NewToken{ID: 9, Name: "my token", KeyHint: "h", Credential: newCred, Created: at}, today)
		want := ApiTokenCreated{Token: 9, User: 7, Name: "my token", Expiry: today.AddDays(365), KeyHint: "h", Credential: newCred, Created: at}
		if err != nil || !reflect.DeepEqual(evs, []domain.Event{want}) {
			t.Fatalf("IssueToken = %#v, %v", evs, err)
		}
	})
	t.Run("issue keeps an explicit expiry and checks the name", func(t *testing.T) {
		exp := NewDate(2030, 1, 1)
		evs, err := givenUser(alice).IssueToken(NewToken{ID: 9, Expiry: exp, KeyHint: "h", Credential: newCred}, today)
		if err != nil || evs[0].(ApiTokenCreated).Expiry != exp {
			t.Fatalf("IssueToken = %#v, %v", evs, err)
		}
		_, err = givenUser(alice).IssueToken(NewToken{ID: 9, Name: strings.Repeat("n", 101), KeyHint: "h", Credential: newCred}, today)
		if !reflect.DeepEqual(fields(err), []string{"name"}) {
			t.Fatalf("long name: %v", err)
		}
	})
	t.Run("a token pk is used once", func(t *testing.T) {
		_, err := givenUser(base...).IssueToken(NewToken{ID: 1, KeyHint: "h", Credential: newCred}, today)
		if !errors.Is(err, ErrAlreadyCreated) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no token for a deleted user", func(t *testing.T) {
		_, err := givenUser(alice, UserDeleted{User: 7}).IssueToken(NewToken{ID: 9, KeyHint: "h", Credential: newCred}, today)
		if !isNotFound(err, "User") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a named token replaces only the live tokens of that name", func(t *testing.T) {
		evs, err := givenUser(base...).ReplaceNamedToken(NewToken{ID: 9, Name: "  python ", KeyHint: "h", Credential: newCred, Created: at}, today)
		want := []domain.Event{
			ApiTokenRevoked{Token: 1, User: 7, Name: "python", Reason: RevokedReplaced},
			ApiTokenCreated{Token: 9, User: 7, Name: "python", Expiry: today.AddDays(365), KeyHint: "h", Credential: newCred, Created: at},
		}
		if err != nil || !reflect.DeepEqual(evs, want) {
			t.Fatalf("ReplaceNamedToken = %#v, %v", evs, err)
		}
	})
	t.Run("a named token refuses HTML", func(t *testing.T) {
		_, err := givenUser(alice).ReplaceNamedToken(NewToken{ID: 9, Name: "<b>x</b>", KeyHint: "h", Credential: newCred}, today)
		if !reflect.DeepEqual(fields(err), []string{""}) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		evs, err := givenUser(base...).RevokeToken(3)
		if err != nil || !reflect.DeepEqual(evs, []domain.Event{ApiTokenRevoked{Token: 3, User: 7, Name: "other", Reason: RevokedByRequest}}) {
			t.Fatalf("RevokeToken = %#v, %v", evs, err)
		}
	})
	t.Run("a revoked token stays revoked", func(t *testing.T) {
		u := givenUser(base...)
		if evs, err := u.RevokeToken(4); err != nil || evs != nil {
			t.Fatalf("revoking again = %v, %v", evs, err)
		}
		// Even a repeated creation event cannot bring it back.
		u.Apply(token(4, "python", today.AddDays(5), uuid.New()))
		if tok, _ := u.Token(4); !tok.Revoked || tok.Live(today) {
			t.Fatalf("token 4 = %+v after a repeated creation", tok)
		}
	})
	t.Run("another user's token is not found", func(t *testing.T) {
		if _, err := givenUser(base...).RevokeToken(99); !isNotFound(err, "ApiToken") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("deleting a user revokes its tokens", func(t *testing.T) {
		u := givenUser(append(base, UserPasswordChanged{User: 7, Credential: cred2})...)
		evs, err := u.Delete()
		want := []domain.Event{
			ApiTokenRevoked{Token: 1, User: 7, Name: "python", Reason: RevokedUserGone},
			ApiTokenRevoked{Token: 2, User: 7, Name: "python", Reason: RevokedUserGone},
			ApiTokenRevoked{Token: 3, User: 7, Name: "other", Reason: RevokedUserGone},
			UserDeleted{User: 7, Username: "alice"},
		}
		if err != nil || !reflect.DeepEqual(evs, want) {
			t.Fatalf("Delete = %#v, %v", evs, err)
		}
		if got := len(u.Credentials()); got != 5 {
			t.Fatalf("Credentials() has %d ids, want the password and 4 tokens", got)
		}
		for _, e := range evs {
			u.Apply(e)
		}
		if _, err := u.Delete(); !isNotFound(err, "User") {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestTokenLive(t *testing.T) {
	tests := []struct {
		tok  Token
		want bool
	}{
		{Token{Expiry: today}, true},
		{Token{Expiry: today.AddDays(1)}, true},
		{Token{Expiry: today.AddDays(-1)}, false},
		{Token{Expiry: today.AddDays(1), Revoked: true}, false},
	}
	for _, tt := range tests {
		if got := tt.tok.Live(today); got != tt.want {
			t.Errorf("%+v.Live(%s) = %v", tt.tok, today, got)
		}
	}
}

// Every event round-trips through the codec built from Events().
func TestEventsRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(Events())
	if err != nil {
		t.Fatal(err)
	}
	evs := []domain.Event{
		alice,
		UserUpdated{User: 7, Email: ptr(""), IsActive: ptr(false)},
		UserPasswordChanged{User: 7, Credential: cred1},
		UserGroupsChanged{User: 7, Groups: []int64{1, 2}, Added: []int64{2}},
		UserDeleted{User: 7, Username: "alice"},
		token(1, "x", today, cred2),
		ApiTokenRevoked{Token: 1, User: 7, Name: "x", Reason: RevokedReplaced},
		GroupCreated{Group: 1, Name: "Staff"},
		GroupRenamed{Group: 1, Name: "Crew", Previous: "Staff"},
		GroupRuleSetChanged{Group: 1, Role: RoleStock, View: true, Change: true},
		GroupDeleted{Group: 1, Name: "Crew"},
		UsernameClaimed{Username: "alice", User: 7},
		UsernameReleased{Username: "alice", User: 7},
		GroupNameClaimed{Name: "Crew", Group: 1},
		GroupNameReleased{Name: "Crew", Group: 1},
	}
	if len(evs) != len(Events()) {
		t.Fatalf("test covers %d events, the package has %d", len(evs), len(Events()))
	}
	for _, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(string(data)), "password\"") || strings.Contains(string(data), "hash") {
			t.Errorf("%s carries a secret-looking field: %s", e.EventType(), data)
		}
		got, err := codec.Decode(e.EventType(), 1, data)
		if err != nil {
			t.Fatalf("decode %s: %v", e.EventType(), err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s round trip: got %#v, want %#v", e.EventType(), got, e)
		}
	}
}
