package stock

import (
	"errors"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/domain"
)

func location(evs ...domain.Event) *Location {
	l := &Location{}
	for _, e := range evs {
		l.Apply(e)
	}
	return l
}

func TestLocationCreateRules(t *testing.T) {
	tests := []struct {
		name   string
		spec   LocationSpec
		parent ParentFacts
		field  string
		msg    string
	}{
		{"blank name", LocationSpec{}, ParentFacts{}, "name", "may not be blank"},
		{"long name", LocationSpec{Name: strings.Repeat("n", 101)}, ParentFacts{}, "name", "no more than 100 characters"},
		{"long description", LocationSpec{Name: "A", Description: strings.Repeat("d", 251)}, ParentFacts{}, "description", "no more than 250 characters"},
		{"long icon", LocationSpec{Name: "A", CustomIcon: strings.Repeat("i", 101)}, ParentFacts{}, "custom_icon", "no more than 100 characters"},
		{"missing parent", LocationSpec{Name: "A", Parent: 4}, ParentFacts{}, "parent", `Invalid pk "4"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&Location{}).Create(1, tc.spec, tc.parent)
			wantRule(t, err, tc.field, tc.msg)
		})
	}
	evs, err := (&Location{}).Create(2, LocationSpec{Name: "Shelf", Parent: 1, Structural: true}, ParentFacts{Exists: true, Ancestors: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	l := location(evs...)
	if !l.Exists() || l.Parent() != 1 || !l.Facts().Structural || l.Name() != "Shelf" {
		t.Fatalf("created %+v", l)
	}
	if _, err := l.Create(2, LocationSpec{Name: "Shelf"}, ParentFacts{}); err == nil {
		t.Fatal("created twice")
	}
}

func TestLocationUpdateRules(t *testing.T) {
	// Tree: 1 > 2 > 3.
	l := location(LocationCreated{PK: 2, Name: "B", Parent: 1})
	id := func(v int64) *int64 { return &v }
	yes := true
	tests := []struct {
		name     string
		edit     LocationEdit
		parent   ParentFacts
		hasItems bool
		field    string
		msg      string
	}{
		{"under itself", LocationEdit{Parent: id(2)}, ParentFacts{Exists: true, Ancestors: []int64{1, 2}}, false, "parent", "Invalid choice"},
		{"under its child", LocationEdit{Parent: id(3)}, ParentFacts{Exists: true, Ancestors: []int64{1, 2, 3}}, false, "parent", "Invalid choice"},
		{"missing parent", LocationEdit{Parent: id(9)}, ParentFacts{}, false, "parent", `Invalid pk "9"`},
		{"structural with items", LocationEdit{Structural: &yes}, ParentFacts{}, true, "", "You cannot make this stock location structural"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Update(tc.edit, tc.parent, tc.hasItems)
			wantRule(t, err, tc.field, tc.msg)
		})
	}
	name := "B2"
	evs, err := l.Update(LocationEdit{Name: &name, Parent: id(0), Structural: &yes}, ParentFacts{}, false)
	if err != nil {
		t.Fatal(err)
	}
	up := evs[0].(LocationUpdated)
	if up.Name.New != "B2" || up.Parent.Old != 1 || up.Parent.New != 0 || !up.Structural.New {
		t.Fatalf("update %+v", up)
	}
	if evs, _ := location(evs...).Update(LocationEdit{Name: &name}, ParentFacts{}, false); evs != nil {
		t.Fatal("an edit without changes decided something")
	}
	if _, err := (&Location{pk: 5}).Update(LocationEdit{}, ParentFacts{}, false); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("editing a missing location: %v", err)
	}
}

func TestLocationDelete(t *testing.T) {
	l := location(LocationCreated{PK: 2, Name: "B", Parent: 1})
	evs, err := l.Delete(DeleteOptions{DeleteStockItems: true})
	if err != nil {
		t.Fatal(err)
	}
	del := evs[0].(LocationDeleted)
	if del.Parent != 1 || !del.DeleteStockItems || del.DeleteSubLocations {
		t.Fatalf("deleted %+v", del)
	}
	l.Apply(del)
	if l.Exists() {
		t.Fatal("deleted location exists")
	}
	if _, err := l.Delete(DeleteOptions{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	child := location(LocationCreated{PK: 3, Name: "C", Parent: 2})
	if up := child.Reparent(1)[0].(LocationUpdated); up.Parent.New != 1 || up.Reason != ReasonLocationDeleted {
		t.Fatalf("reparent %+v", up)
	}
	if del := child.DeleteWith(2, DeleteOptions{DeleteSubLocations: true})[0].(LocationDeleted); del.DeletedWith != 2 {
		t.Fatalf("cascade delete %+v", del)
	}
}

func TestReservation(t *testing.T) {
	r := &Reservation{}
	evs, err := r.Reserve("k", 7)
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	r.Apply(evs[0])
	if evs, err := r.Reserve("k", 7); evs != nil || err != nil {
		t.Fatal("re-reserving one's own key decided something")
	}
	if _, err := r.Reserve("k", 8); !errors.Is(err, ErrKeyTaken) {
		t.Fatalf("taken key: %v", err)
	}
	if evs := r.Release(8); evs != nil {
		t.Fatal("released someone else's key")
	}
	for _, e := range r.Release(7) {
		r.Apply(e)
	}
	if r.Holder() != 0 {
		t.Fatal("not released")
	}
	if evs, err := r.Reserve("k", 8); err != nil || len(evs) != 1 {
		t.Fatal("a released key cannot be reserved again")
	}
}
