package user

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/domain"
)

func givenGroup(evs ...domain.Event) *Group {
	g := &Group{}
	for _, e := range evs {
		g.Apply(e)
	}
	return g
}

var staff = GroupCreated{Group: 3, Name: "Staff"}

func TestGroupLifecycle(t *testing.T) {
	tests := []struct {
		name       string
		given      []domain.Event
		decide     func(*Group) ([]domain.Event, error)
		want       []domain.Event
		wantFields []string
		notFound   bool
		wantErr    error
	}{
		{
			name:   "create trims the name",
			decide: func(g *Group) ([]domain.Event, error) { return g.Create(3, "  Staff ") },
			want:   []domain.Event{staff},
		},
		{
			name:       "create needs a name",
			decide:     func(g *Group) ([]domain.Event, error) { return g.Create(3, " ") },
			wantFields: []string{"name"},
		},
		{
			name:       "names are at most 150 characters",
			decide:     func(g *Group) ([]domain.Event, error) { return g.Create(3, strings.Repeat("g", 151)) },
			wantFields: []string{"name"},
		},
		{
			name:    "a group is created once",
			given:   []domain.Event{staff},
			decide:  func(g *Group) ([]domain.Event, error) { return g.Create(3, "Other") },
			wantErr: ErrAlreadyCreated,
		},
		{
			name:   "rename",
			given:  []domain.Event{staff},
			decide: func(g *Group) ([]domain.Event, error) { return g.Rename("Crew") },
			want:   []domain.Event{GroupRenamed{Group: 3, Name: "Crew", Previous: "Staff"}},
		},
		{
			name:   "rename to the same name",
			given:  []domain.Event{staff},
			decide: func(g *Group) ([]domain.Event, error) { return g.Rename(" Staff") },
		},
		{
			name:     "rename a deleted group",
			given:    []domain.Event{staff, GroupDeleted{Group: 3, Name: "Staff"}},
			decide:   func(g *Group) ([]domain.Event, error) { return g.Rename("Crew") },
			notFound: true,
		},
		{
			name:   "delete",
			given:  []domain.Event{staff},
			decide: func(g *Group) ([]domain.Event, error) { return g.Delete() },
			want:   []domain.Event{GroupDeleted{Group: 3, Name: "Staff"}},
		},
		{
			name:     "delete an unknown group",
			decide:   func(g *Group) ([]domain.Event, error) { return g.Delete() },
			notFound: true,
		},
		{
			name:   "rule set",
			given:  []domain.Event{staff},
			decide: func(g *Group) ([]domain.Event, error) { return g.SetRuleSet(RoleStock, PermSet{Add: true}) },
			want:   []domain.Event{GroupRuleSetChanged{Group: 3, Role: RoleStock, View: true, Add: true, Change: true}},
		},
		{
			name:   "the same rule set again",
			given:  []domain.Event{staff, GroupRuleSetChanged{Group: 3, Role: RoleStock, View: true}},
			decide: func(g *Group) ([]domain.Event, error) { return g.SetRuleSet(RoleStock, PermSet{View: true}) },
		},
		{
			name:       "unknown role",
			given:      []domain.Event{staff},
			decide:     func(g *Group) ([]domain.Event, error) { return g.SetRuleSet("stocktake", PermSet{View: true}) },
			wantFields: []string{"name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.decide(givenGroup(tt.given...))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.notFound:
				if !isNotFound(err, "Group") {
					t.Fatalf("err = %v, want Group not found", err)
				}
			case tt.wantFields != nil:
				if got := fields(err); !reflect.DeepEqual(got, tt.wantFields) {
					t.Fatalf("violations on %v (%v), want %v", got, err, tt.wantFields)
				}
			default:
				if err != nil || !reflect.DeepEqual(evs, tt.want) {
					t.Fatalf("got %#v, %v; want %#v", evs, err, tt.want)
				}
			}
		})
	}
}

// InvenTree's RuleSet.save: add/change/delete imply view; add/delete imply change.
func TestNormalizeRuleSet(t *testing.T) {
	tests := []struct{ in, want PermSet }{
		{PermSet{}, PermSet{}},
		{PermSet{View: true}, PermSet{View: true}},
		{PermSet{Change: true}, PermSet{View: true, Change: true}},
		{PermSet{Add: true}, PermSet{View: true, Add: true, Change: true}},
		{PermSet{Delete: true}, PermSet{View: true, Change: true, Delete: true}},
		{PermSet{View: true, Add: true, Change: true, Delete: true}, PermSet{View: true, Add: true, Change: true, Delete: true}},
	}
	for _, tt := range tests {
		if got := NormalizeRuleSet(tt.in); got != tt.want {
			t.Errorf("NormalizeRuleSet(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestClaims(t *testing.T) {
	var c UsernameClaim
	evs, err := c.Claim(7, "alice")
	if err != nil || !reflect.DeepEqual(evs, []domain.Event{UsernameClaimed{Username: "alice", User: 7}}) {
		t.Fatalf("Claim = %v, %v", evs, err)
	}
	c.Apply(evs[0])
	if evs, err := c.Claim(7, "Alice"); err != nil || evs != nil {
		t.Fatalf("claim by the holder = %v, %v", evs, err)
	}
	_, err = c.Claim(8, "alice")
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Violations[0] != (domain.Violation{Field: "username", Message: "A user with that username already exists."}) {
		t.Fatalf("claim by another user: %v", err)
	}
	if err := c.CheckFree(); err == nil {
		t.Fatal("a held name reads as free")
	}
	if _, err := c.Release(8); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("release by another user: %v", err)
	}
	evs, err = c.Release(7)
	if err != nil || !reflect.DeepEqual(evs, []domain.Event{UsernameReleased{Username: "alice", User: 7}}) {
		t.Fatalf("Release = %v, %v", evs, err)
	}
	c.Apply(evs[0])
	if c.Holder() != 0 {
		t.Fatal("released name still held")
	}
	if _, err := c.Claim(8, "alice"); err != nil {
		t.Fatalf("claim of a released name: %v", err)
	}

	var g GroupNameClaim
	g.Apply(GroupNameClaimed{Name: "Staff", Group: 3})
	_, err = g.Claim(4, "staff")
	if !errors.As(err, &re) || re.Violations[0] != (domain.Violation{Field: "name", Message: "group with this name already exists."}) {
		t.Fatalf("group name taken: %v", err)
	}
	if evs, err := g.Release(3); err != nil || len(evs) != 1 {
		t.Fatalf("Release = %v, %v", evs, err)
	}
}
