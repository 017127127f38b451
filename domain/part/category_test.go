package part_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
)

func ptr[T any](v T) *T { return &v }

// given folds events into a fresh category.
func givenCategory(evs ...domain.Event) *part.Category {
	c := &part.Category{}
	for _, e := range evs {
		c.Apply(e)
	}
	return c
}

func created(id int64, f part.CategoryFields) part.CategoryCreated {
	return part.CategoryCreated{ID: id, CategoryFields: f}
}

// wantRule asserts that err is a RuleError with exactly the violation field: msg.
func wantRule(t *testing.T, err error, field, msg string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a rule error %q: %q", err, field, msg)
	}
	for _, v := range re.Violations {
		if v.Field == field && v.Message == msg {
			return
		}
	}
	t.Fatalf("violations = %+v, want %q: %q", re.Violations, field, msg)
}

func wantNotFound(t *testing.T, err error, kind string, id int64, field string) {
	t.Helper()
	var nf *domain.NotFoundError
	if !errors.As(err, &nf) || nf.Kind != kind || nf.ID != id || nf.Field != field {
		t.Fatalf("err = %v, want %s %d not found on %q", err, kind, id, field)
	}
}

func TestCategoryCreate(t *testing.T) {
	root := part.CategoryRef{ID: 1, Exists: true}
	tests := []struct {
		name   string
		fields part.CategoryFields
		parent part.CategoryRef
		field  string // "" with msg "" means success
		msg    string
		nf     bool
	}{
		{name: "top level", fields: part.CategoryFields{Name: "Electronics"}},
		{name: "child", fields: part.CategoryFields{Name: "Resistors", Parent: 1}, parent: root},
		{name: "child of structural", fields: part.CategoryFields{Name: "R", Parent: 1}, parent: part.CategoryRef{ID: 1, Exists: true, Structural: true}},
		{name: "name required", fields: part.CategoryFields{}, field: "name", msg: "This field may not be blank."},
		{name: "name too long", fields: part.CategoryFields{Name: strings.Repeat("n", 101)}, field: "name", msg: "Ensure this field has no more than 100 characters."},
		{name: "100 characters, not bytes", fields: part.CategoryFields{Name: strings.Repeat("é", 100)}},
		{name: "description too long", fields: part.CategoryFields{Name: "n", Description: strings.Repeat("d", 251)}, field: "description", msg: "Ensure this field has no more than 250 characters."},
		{name: "keywords too long", fields: part.CategoryFields{Name: "n", DefaultKeywords: strings.Repeat("k", 251)}, field: "default_keywords", msg: "Ensure this field has no more than 250 characters."},
		{name: "icon too long", fields: part.CategoryFields{Name: "n", Icon: strings.Repeat("i", 101)}, field: "icon", msg: "Ensure this field has no more than 100 characters."},
		{name: "missing parent", fields: part.CategoryFields{Name: "n", Parent: 9}, parent: part.CategoryRef{ID: 9}, nf: true},
		{name: "facts about another parent", fields: part.CategoryFields{Name: "n", Parent: 9}, parent: root, nf: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := (&part.Category{}).Create(5, tt.fields, tt.parent)
			switch {
			case tt.nf:
				wantNotFound(t, err, "PartCategory", tt.fields.Parent, "parent")
			case tt.msg != "":
				wantRule(t, err, tt.field, tt.msg)
			default:
				if err != nil {
					t.Fatal(err)
				}
				want := []domain.Event{created(5, tt.fields)}
				if !reflect.DeepEqual(evs, want) {
					t.Fatalf("events = %+v, want %+v", evs, want)
				}
			}
		})
	}
}

func TestCategoryCreateTwiceFails(t *testing.T) {
	c := givenCategory(created(5, part.CategoryFields{Name: "A"}))
	if _, err := c.Create(5, part.CategoryFields{Name: "A"}, part.CategoryRef{}); err == nil {
		t.Fatal("created twice")
	}
}

func TestCategoryUpdate(t *testing.T) {
	base := part.CategoryFields{Name: "IC", Description: "chips", Parent: 1}
	tests := []struct {
		name  string
		patch part.CategoryPatch
		facts part.CategoryUpdateFacts
		want  *part.CategoryUpdated // nil: no events
		field string
		msg   string
		nf    int64 // missing parent expected
	}{
		{name: "nothing changes", patch: part.CategoryPatch{Name: ptr("IC")}},
		{name: "rename carries old and new", patch: part.CategoryPatch{Name: ptr("Chips")},
			want: &part.CategoryUpdated{ID: 5, Name: &part.Change[string]{Old: "IC", New: "Chips"}}},
		{name: "move carries from and to", patch: part.CategoryPatch{Parent: ptr(int64(2))},
			facts: part.CategoryUpdateFacts{Parent: part.CategoryRef{ID: 2, Exists: true, Ancestors: []int64{1}}},
			want:  &part.CategoryUpdated{ID: 5, Parent: &part.Change[int64]{Old: 1, New: 2}}},
		{name: "move to top level", patch: part.CategoryPatch{Parent: ptr(int64(0))},
			want: &part.CategoryUpdated{ID: 5, Parent: &part.Change[int64]{Old: 1, New: 0}}},
		{name: "own parent", patch: part.CategoryPatch{Parent: ptr(int64(5))},
			facts: part.CategoryUpdateFacts{Parent: part.CategoryRef{ID: 5, Exists: true, Ancestors: []int64{1}}},
			field: "parent", msg: "Invalid choice"},
		{name: "under a descendant", patch: part.CategoryPatch{Parent: ptr(int64(7))},
			facts: part.CategoryUpdateFacts{Parent: part.CategoryRef{ID: 7, Exists: true, Ancestors: []int64{6, 5, 1}}},
			field: "parent", msg: "Invalid choice"},
		{name: "under a missing category", patch: part.CategoryPatch{Parent: ptr(int64(8))},
			facts: part.CategoryUpdateFacts{Parent: part.CategoryRef{ID: 8}}, nf: 8},
		{name: "structural without parts", patch: part.CategoryPatch{Structural: ptr(true)},
			want: &part.CategoryUpdated{ID: 5, Structural: &part.Change[bool]{Old: false, New: true}}},
		{name: "structural with parts", patch: part.CategoryPatch{Structural: ptr(true)},
			facts: part.CategoryUpdateFacts{DirectParts: 2},
			field: "", msg: "You cannot make this part category structural because some parts are already assigned to it!"},
		{name: "blank name", patch: part.CategoryPatch{Name: ptr("")}, field: "name", msg: "This field may not be blank."},
		{name: "every field", patch: part.CategoryPatch{
			Description: ptr("d"), DefaultLocation: ptr(int64(3)), DefaultKeywords: ptr("k"), Icon: ptr("ti:x"),
		}, want: &part.CategoryUpdated{ID: 5,
			Description:     &part.Change[string]{Old: "chips", New: "d"},
			DefaultLocation: &part.Change[int64]{Old: 0, New: 3},
			DefaultKeywords: &part.Change[string]{Old: "", New: "k"},
			Icon:            &part.Change[string]{Old: "", New: "ti:x"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := givenCategory(created(5, base))
			evs, err := c.Update(tt.patch, tt.facts)
			switch {
			case tt.nf != 0:
				wantNotFound(t, err, "PartCategory", tt.nf, "parent")
			case tt.msg != "":
				wantRule(t, err, tt.field, tt.msg)
			case tt.want == nil:
				if err != nil || len(evs) != 0 {
					t.Fatalf("events = %+v, err = %v; want none", evs, err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(evs, []domain.Event{*tt.want}) {
					t.Fatalf("events = %+v, want %+v", evs, *tt.want)
				}
				// Folding the event gives the patched fields.
				c.Apply(evs[0])
				if got, want := c.Fields(), tt.patch.Apply(base); got != want {
					t.Fatalf("fields after apply = %+v, want %+v", got, want)
				}
			}
		})
	}
}

func TestCategoryUpdateOrDeleteOfMissingCategory(t *testing.T) {
	deleted := givenCategory(created(5, part.CategoryFields{Name: "A"}), part.CategoryDeleted{ID: 5})
	for name, c := range map[string]*part.Category{"never created": {}, "deleted": deleted} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Update(part.CategoryPatch{Name: ptr("B")}, part.CategoryUpdateFacts{}); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("update: %v", err)
			}
			if _, err := c.Delete(part.DeleteOptions{}); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("delete: %v", err)
			}
			if _, err := c.MoveUp(1, 0); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("move up: %v", err)
			}
			if _, err := c.DeleteWith(1, part.DeleteOptions{}); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("delete with: %v", err)
			}
		})
	}
}

func TestCategoryDelete(t *testing.T) {
	c := givenCategory(created(5, part.CategoryFields{Name: "IC", Parent: 1}))
	evs, err := c.Delete(part.DeleteOptions{DeleteParts: true})
	if err != nil {
		t.Fatal(err)
	}
	want := part.CategoryDeleted{ID: 5, Name: "IC", Parent: 1, DeleteParts: true}
	if !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("events = %+v", evs)
	}
	c.Apply(evs[0])
	if c.Exists() {
		t.Fatal("deleted category still exists")
	}
}

func TestCategoryMoveUp(t *testing.T) {
	tests := []struct {
		name    string
		parent  int64
		deleted int64
		to      int64
		wantErr bool
	}{
		{name: "child of the deleted category", parent: 5, deleted: 5, to: 1},
		{name: "to the top level", parent: 5, deleted: 5, to: 0},
		{name: "not a child of it", parent: 4, deleted: 5, to: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := givenCategory(created(6, part.CategoryFields{Name: "T", Parent: tt.parent}))
			evs, err := c.MoveUp(tt.deleted, tt.to)
			if tt.wantErr {
				if err == nil {
					t.Fatal("moved a category that is not a child of the deleted one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := part.CategoryParentChanged{ID: 6, From: tt.deleted, To: tt.to}
			if !reflect.DeepEqual(evs, []domain.Event{want}) {
				t.Fatalf("events = %+v", evs)
			}
			c.Apply(evs[0])
			if c.Fields().Parent != tt.to {
				t.Fatalf("parent = %d, want %d", c.Fields().Parent, tt.to)
			}
		})
	}
}

func TestCategoryDeleteWith(t *testing.T) {
	c := givenCategory(created(7, part.CategoryFields{Name: "D", Parent: 6}))
	evs, err := c.DeleteWith(5, part.DeleteOptions{DeleteChildCategories: true})
	if err != nil {
		t.Fatal(err)
	}
	want := part.CategoryDeleted{ID: 7, Name: "D", Parent: 6, DeleteChildCategories: true, DeletedWith: 5}
	if !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("events = %+v", evs)
	}
}

func TestCategoryRef(t *testing.T) {
	c := givenCategory(created(7, part.CategoryFields{Name: "D", Parent: 6, Structural: true}))
	got := c.Ref([]int64{6, 1})
	want := part.CategoryRef{ID: 7, Exists: true, Structural: true, Ancestors: []int64{6, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ref = %+v", got)
	}
	if ref := (&part.Category{}).Ref(nil); ref.Exists || ref.ID != 0 {
		t.Fatalf("ref of an empty stream = %+v", ref)
	}
}
