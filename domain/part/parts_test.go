package part_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
)

var now = time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)

func fields(name string) part.PartFields {
	f := part.DefaultPartFields()
	f.Name = name
	return f
}

func givenPart(evs ...domain.Event) *part.Part {
	p := &part.Part{}
	for _, e := range evs {
		p.Apply(e)
	}
	return p
}

func partCreated(id int64, f part.PartFields) part.PartCreated {
	return part.PartCreated{ID: id, PartFields: f, CreatedAt: now}
}

func TestDefaultPartFields(t *testing.T) {
	f := part.DefaultPartFields()
	if !f.Active || !f.Component || !f.Purchaseable || f.Assembly || f.IsTemplate || f.Salable ||
		f.Trackable || f.Testable || f.Virtual || f.Locked || f.Consumable {
		t.Fatalf("defaults = %+v", f)
	}
}

// partCase is one rule check, run both on create and on update.
type partCase struct {
	name   string
	mutate func(*part.PartFields)
	facts  part.PartFacts
	field  string
	msg    string
	nf     string // field of an expected NotFoundError
}

var (
	cat3       = part.CategoryRef{ID: 3, Exists: true}
	template20 = part.PartRef{ID: 20, Exists: true, IsTemplate: true}
)

func partCases() []partCase {
	tooLong := func(field string, set func(*part.PartFields, string), n int) partCase {
		return partCase{
			name: field + " too long", mutate: func(f *part.PartFields) { set(f, strings.Repeat("x", n+1)) },
			field: field, msg: "Ensure this field has no more than " + itoa(n) + " characters.",
		}
	}
	return []partCase{
		{name: "valid"},
		{name: "name required", mutate: func(f *part.PartFields) { f.Name = "" }, field: "name", msg: "This field may not be blank."},
		tooLong("name", func(f *part.PartFields, s string) { f.Name = s }, 100),
		tooLong("description", func(f *part.PartFields, s string) { f.Description = s }, 250),
		tooLong("IPN", func(f *part.PartFields, s string) { f.IPN = s }, 100),
		tooLong("revision", func(f *part.PartFields, s string) { f.Revision = s }, 100),
		tooLong("keywords", func(f *part.PartFields, s string) { f.Keywords = s }, 250),
		tooLong("units", func(f *part.PartFields, s string) { f.Units = s }, 20),
		tooLong("link", func(f *part.PartFields, s string) { f.Link = s }, 2000),
		tooLong("notes", func(f *part.PartFields, s string) { f.Notes = s }, 50000),
		{name: "negative expiry", mutate: func(f *part.PartFields) { f.DefaultExpiry = -1 }, field: "default_expiry", msg: "Ensure this value is greater than or equal to 0."},
		{name: "negative minimum stock", mutate: func(f *part.PartFields) { f.MinimumStock = decimal.RequireFromString("-0.5") }, field: "minimum_stock", msg: "Ensure this value is greater than or equal to 0."},
		{name: "negative maximum stock", mutate: func(f *part.PartFields) { f.MaximumStock = decimal.NewFromInt(-1) }, field: "maximum_stock", msg: "Ensure this value is greater than or equal to 0."},
		{name: "in a category", mutate: func(f *part.PartFields) { f.Category = 3 }, facts: part.PartFacts{Category: cat3}},
		{name: "in a structural category", mutate: func(f *part.PartFields) { f.Category = 3 },
			facts: part.PartFacts{Category: part.CategoryRef{ID: 3, Exists: true, Structural: true}},
			field: "category", msg: "Parts cannot be assigned to structural part categories!"},
		{name: "in a missing category", mutate: func(f *part.PartFields) { f.Category = 3 }, facts: part.PartFacts{Category: part.CategoryRef{ID: 3}}, nf: "category"},
		{name: "variant of a template", mutate: func(f *part.PartFields) { f.VariantOf = 20 }, facts: part.PartFacts{VariantOf: template20}},
		{name: "variant of a non-template", mutate: func(f *part.PartFields) { f.VariantOf = 20 },
			facts: part.PartFacts{VariantOf: part.PartRef{ID: 20, Exists: true}}, nf: "variant_of"},
		{name: "variant of a missing part", mutate: func(f *part.PartFields) { f.VariantOf = 20 }, facts: part.PartFacts{VariantOf: part.PartRef{ID: 20}}, nf: "variant_of"},
		{name: "revision", mutate: func(f *part.PartFields) { f.RevisionOf = 30; f.Revision = "B" },
			facts: part.PartFacts{RevisionOf: part.PartRef{ID: 30, Exists: true}}},
		{name: "revision of a missing part", mutate: func(f *part.PartFields) { f.RevisionOf = 30; f.Revision = "B" },
			facts: part.PartFacts{RevisionOf: part.PartRef{ID: 30}}, nf: "revision_of"},
		{name: "revision of a revision", mutate: func(f *part.PartFields) { f.RevisionOf = 30; f.Revision = "B" },
			facts: part.PartFacts{RevisionOf: part.PartRef{ID: 30, Exists: true, RevisionOf: 29}},
			field: "revision_of", msg: "Cannot make a revision of a part which is already a revision"},
		{name: "revision without code", mutate: func(f *part.PartFields) { f.RevisionOf = 30 },
			facts: part.PartFacts{RevisionOf: part.PartRef{ID: 30, Exists: true}},
			field: "revision", msg: "Revision code must be specified"},
		{name: "revision of a template", mutate: func(f *part.PartFields) { f.RevisionOf = 30; f.Revision = "B" },
			facts: part.PartFacts{RevisionOf: part.PartRef{ID: 30, Exists: true, IsTemplate: true}},
			field: "revision_of", msg: "Cannot make a revision of a template part"},
		{name: "revision of a variant, same template", mutate: func(f *part.PartFields) { f.RevisionOf = 30; f.Revision = "B"; f.VariantOf = 20 },
			facts: part.PartFacts{VariantOf: template20, RevisionOf: part.PartRef{ID: 30, Exists: true, VariantOf: 20}}},
		{name: "revision of a variant, other template", mutate: func(f *part.PartFields) { f.RevisionOf = 30; f.Revision = "B" },
			facts: part.PartFacts{RevisionOf: part.PartRef{ID: 30, Exists: true, VariantOf: 20}},
			field: "revision_of", msg: "Parent part must point to the same template"},
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func check(t *testing.T, tt partCase, evs []domain.Event, err error) bool {
	t.Helper()
	switch {
	case tt.nf != "":
		var nf *domain.NotFoundError
		if !errors.As(err, &nf) || nf.Field != tt.nf {
			t.Fatalf("err = %v, want not found on %s", err, tt.nf)
		}
	case tt.msg != "":
		wantRule(t, err, tt.field, tt.msg)
	default:
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	if len(evs) != 0 {
		t.Fatalf("a refused decision returned events %+v", evs)
	}
	return false
}

func TestPartCreateRules(t *testing.T) {
	for _, tt := range partCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := fields("R_10K")
			if tt.mutate != nil {
				tt.mutate(&f)
			}
			evs, err := (&part.Part{}).Create(10, f, tt.facts, now)
			if check(t, tt, evs, err) {
				want := []domain.Event{partCreated(10, f)}
				if !reflect.DeepEqual(evs, want) {
					t.Fatalf("events = %+v, want %+v", evs, want)
				}
			}
		})
	}
}

func TestPartUpdateRules(t *testing.T) {
	for _, tt := range partCases() {
		t.Run(tt.name, func(t *testing.T) {
			p := givenPart(partCreated(10, fields("R_10K")))
			f := fields("R_10K")
			if tt.mutate != nil {
				tt.mutate(&f)
			}
			evs, err := p.Update(patchTo(f), tt.facts)
			if check(t, tt, evs, err) {
				if tt.mutate != nil && len(evs) != 1 {
					t.Fatalf("events = %+v, want one update", evs)
				}
				for _, e := range evs {
					p.Apply(e)
				}
				if got := p.Fields(); !reflect.DeepEqual(got, f) {
					t.Fatalf("fields after apply = %+v, want %+v", got, f)
				}
			}
		})
	}
}

// patchTo is a full PUT of f.
func patchTo(f part.PartFields) part.PartPatch {
	return part.PartPatch{
		Name: &f.Name, Description: &f.Description, IPN: &f.IPN, Revision: &f.Revision,
		Keywords: &f.Keywords, Category: &f.Category, DefaultLocation: &f.DefaultLocation,
		DefaultExpiry: &f.DefaultExpiry, Units: &f.Units, MinimumStock: &f.MinimumStock,
		MaximumStock: &f.MaximumStock, Active: &f.Active, Assembly: &f.Assembly,
		Component: &f.Component, IsTemplate: &f.IsTemplate, Purchaseable: &f.Purchaseable,
		Salable: &f.Salable, Trackable: &f.Trackable, Testable: &f.Testable, Virtual: &f.Virtual,
		Locked: &f.Locked, Consumable: &f.Consumable, Link: &f.Link, Notes: &f.Notes,
		VariantOf: &f.VariantOf, RevisionOf: &f.RevisionOf, Responsible: &f.Responsible,
		CreationUser: &f.CreationUser,
	}
}

func TestPartCreateStripsIPN(t *testing.T) {
	f := fields("R")
	f.IPN = "  R-001 "
	evs, err := (&part.Part{}).Create(1, f, part.PartFacts{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[0].(part.PartCreated).IPN; got != "R-001" {
		t.Fatalf("IPN = %q", got)
	}
}

func TestPartSelfReferences(t *testing.T) {
	tests := []struct {
		name  string
		patch part.PartPatch
		facts part.PartFacts
		field string
		msg   string
	}{
		{name: "revision of itself", patch: part.PartPatch{RevisionOf: ptr(int64(10)), Revision: ptr("B")},
			field: "revision_of", msg: "Part cannot be a revision of itself"},
		{name: "variant of itself", patch: part.PartPatch{VariantOf: ptr(int64(10))},
			facts: part.PartFacts{VariantOf: part.PartRef{ID: 10, Exists: true, IsTemplate: true}},
			field: "variant_of", msg: "Invalid choice"},
		{name: "variant of its own variant", patch: part.PartPatch{VariantOf: ptr(int64(12))},
			facts: part.PartFacts{VariantOf: part.PartRef{ID: 12, Exists: true, IsTemplate: true, VariantOf: 11, VariantAncestors: []int64{11, 10}}},
			field: "variant_of", msg: "Invalid choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fields("T")
			f.IsTemplate = true
			p := givenPart(partCreated(10, f))
			_, err := p.Update(tt.patch, tt.facts)
			wantRule(t, err, tt.field, tt.msg)
		})
	}
}

func TestPartUpdateCarriesOnlyChanges(t *testing.T) {
	f := fields("R")
	f.MinimumStock = decimal.RequireFromString("1.0")
	p := givenPart(partCreated(10, f))

	// The same quantity written differently is no change.
	evs, err := p.Update(part.PartPatch{MinimumStock: ptr(decimal.NewFromInt(1)), Name: ptr("R")}, part.PartFacts{})
	if err != nil || len(evs) != 0 {
		t.Fatalf("events = %+v, err = %v; want none", evs, err)
	}

	evs, err = p.Update(part.PartPatch{Name: ptr("R2"), MaximumStock: ptr(decimal.NewFromInt(50)), Active: ptr(false)}, part.PartFacts{})
	if err != nil {
		t.Fatal(err)
	}
	want := part.PartUpdated{
		ID:           10,
		Name:         &part.Change[string]{Old: "R", New: "R2"},
		MaximumStock: &part.Change[decimal.Decimal]{Old: decimal.Decimal{}, New: decimal.NewFromInt(50)},
		Active:       &part.Change[bool]{Old: true, New: false},
	}
	if !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("events = %+v, want %+v", evs, want)
	}
}

func TestPartDelete(t *testing.T) {
	tests := []struct {
		name   string
		active bool
		locked bool
		msg    string
	}{
		{name: "inactive", active: false},
		{name: "active", active: true, msg: "Cannot delete this part as it is still active"},
		{name: "locked", locked: true, msg: "Cannot delete this part as it is locked"},
		// InvenTree checks the lock first.
		{name: "locked and active", active: true, locked: true, msg: "Cannot delete this part as it is locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fields("R")
			f.Active, f.Locked, f.IPN, f.Category = tt.active, tt.locked, "R-1", 3
			p := givenPart(partCreated(10, f))
			evs, err := p.Delete()
			if tt.msg != "" {
				wantRule(t, err, "", tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := part.PartDeleted{ID: 10, Name: "R", IPN: "R-1", Category: 3}
			if !reflect.DeepEqual(evs, []domain.Event{want}) {
				t.Fatalf("events = %+v", evs)
			}
			p.Apply(evs[0])
			if p.Exists() {
				t.Fatal("deleted part still exists")
			}
			if _, err := p.Delete(); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

func TestPartDeleteWithCategoryIgnoresActiveAndLock(t *testing.T) {
	f := fields("R")
	f.Locked, f.Category = true, 7
	p := givenPart(partCreated(10, f))
	evs, err := p.DeleteWithCategory(5)
	if err != nil {
		t.Fatal(err)
	}
	want := part.PartDeleted{ID: 10, Name: "R", Category: 7, DeletedWithCategory: 5}
	if !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("events = %+v", evs)
	}
}

func TestPartMoveForCategoryDelete(t *testing.T) {
	f := fields("R")
	f.Category = 7
	p := givenPart(partCreated(10, f))
	evs, err := p.MoveForCategoryDelete(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := part.PartCategoryChanged{ID: 10, From: 7, To: 1, DeletedCategory: 5}
	if !reflect.DeepEqual(evs, []domain.Event{want}) {
		t.Fatalf("events = %+v", evs)
	}
	p.Apply(evs[0])
	if p.Fields().Category != 1 {
		t.Fatalf("category = %d", p.Fields().Category)
	}
	if evs, err := p.MoveForCategoryDelete(5, 1); err != nil || len(evs) != 0 {
		t.Fatalf("moving to the same category: %+v, %v", evs, err)
	}
	if _, err := (&part.Part{}).MoveForCategoryDelete(5, 1); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("moving a missing part: %v", err)
	}
}

func TestPartUniqueKeys(t *testing.T) {
	tests := []struct {
		name        string
		ipn, rev    string
		revisionOf  int64
		nameKey     bool
		revisionKey bool
	}{
		{name: "name only: duplicates allowed"},
		{name: "with IPN", ipn: "R-1", nameKey: true},
		{name: "with revision", rev: "A", nameKey: true},
		{name: "blank IPN is no IPN", ipn: "  "},
		{name: "revision of another part", rev: "B", revisionOf: 3, nameKey: true, revisionKey: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fields("R")
			f.IPN, f.Revision, f.RevisionOf = tt.ipn, tt.rev, tt.revisionOf
			if _, ok := f.NameKey(); ok != tt.nameKey {
				t.Errorf("name key: %v", ok)
			}
			if _, ok := f.RevisionKey(); ok != tt.revisionKey {
				t.Errorf("revision key: %v", ok)
			}
		})
	}
	// Keys are unambiguous: a separator inside a field does not make two parts collide.
	a, b := fields("a/b"), fields("a")
	a.IPN, b.IPN = "c", "b/c"
	ka, _ := a.NameKey()
	kb, _ := b.NameKey()
	if ka == kb {
		t.Fatalf("keys collide: %s", ka)
	}
	// Stripping happens before the key is taken.
	c, d := fields("R"), fields("R")
	c.IPN, d.IPN = "R-1", " R-1 "
	kc, _ := c.NameKey()
	kd, _ := d.NameKey()
	if kc != kd {
		t.Fatalf("keys %s and %s differ", kc, kd)
	}
}

func TestPartRef(t *testing.T) {
	f := fields("T")
	f.IsTemplate, f.VariantOf, f.RevisionOf = true, 4, 0
	p := givenPart(partCreated(10, f))
	got := p.Ref([]int64{4})
	want := part.PartRef{ID: 10, Exists: true, IsTemplate: true, VariantOf: 4, VariantAncestors: []int64{4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ref = %+v", got)
	}
}

// Every event survives the codec: what is appended is what is folded on load.
func TestEventsRoundTripThroughTheCodec(t *testing.T) {
	codec, err := domain.NewCodec(part.Events())
	if err != nil {
		t.Fatal(err)
	}
	f := fields("R")
	f.MinimumStock = decimal.RequireFromString("2.5")
	evs := []domain.Event{
		created(1, part.CategoryFields{Name: "A", Parent: 2, Structural: true}),
		part.CategoryUpdated{ID: 1, Name: &part.Change[string]{Old: "A", New: "B"}, Parent: &part.Change[int64]{Old: 2, New: 0}},
		part.CategoryParentChanged{ID: 1, From: 2, To: 3},
		part.CategoryDeleted{ID: 1, Name: "B", DeleteParts: true, DeletedWith: 9},
		partCreated(10, f),
		part.PartUpdated{ID: 10, MinimumStock: &part.Change[decimal.Decimal]{Old: decimal.Zero, New: decimal.RequireFromString("1.25")}},
		part.PartCategoryChanged{ID: 10, From: 1, To: 2, DeletedCategory: 1},
		part.PartDeleted{ID: 10, Name: "R", DeletedWithCategory: 1},
		part.UniqueKeyReserved{Scope: part.ScopePartName, Key: "k", Owner: 10},
		part.UniqueKeyReleased{Scope: part.ScopePartName, Key: "k", Owner: 10},
	}
	if len(evs) != len(part.Events()) {
		t.Fatalf("%d sample events for %d types", len(evs), len(part.Events()))
	}
	for _, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := codec.Decode(e.EventType(), 1, data)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(data) {
			t.Errorf("%s: %s became %s", e.EventType(), data, again)
		}
	}
}
