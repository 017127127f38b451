package part_test

import (
	"reflect"
	"testing"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
)

func TestReservation(t *testing.T) {
	reserved := func(scope part.Scope, key string, owner int64) domain.Event {
		return part.UniqueKeyReserved{Scope: scope, Key: key, Owner: owner}
	}
	tests := []struct {
		name   string
		given  []domain.Event
		scope  part.Scope
		key    string
		owner  int64
		want   []domain.Event
		field  string
		msg    string
		anyErr bool
	}{
		{name: "free key", scope: part.ScopePartName, key: "k", owner: 1,
			want: []domain.Event{reserved(part.ScopePartName, "k", 1)}},
		{name: "already mine", given: []domain.Event{reserved(part.ScopePartName, "k", 1)},
			scope: part.ScopePartName, key: "k", owner: 1},
		{name: "released key", given: []domain.Event{reserved(part.ScopePartName, "k", 1), part.UniqueKeyReleased{Scope: part.ScopePartName, Key: "k", Owner: 1}},
			scope: part.ScopePartName, key: "k", owner: 2,
			want: []domain.Event{reserved(part.ScopePartName, "k", 2)}},
		{name: "part name taken", given: []domain.Event{reserved(part.ScopePartName, "k", 1)},
			scope: part.ScopePartName, key: "k", owner: 2,
			field: "", msg: "Part with this Name, IPN and Revision already exists."},
		{name: "revision taken", given: []domain.Event{reserved(part.ScopePartRevision, "k", 1)},
			scope: part.ScopePartRevision, key: "k", owner: 2,
			field: "", msg: "Duplicate part revision already exists."},
		{name: "category name taken", given: []domain.Event{reserved(part.ScopeCategoryName, "k", 1)},
			scope: part.ScopeCategoryName, key: "k", owner: 2,
			field: "name", msg: "Duplicate names cannot exist under the same parent"},
		{name: "another key on the same stream", given: []domain.Event{reserved(part.ScopePartName, "other", 1)},
			scope: part.ScopePartName, key: "k", owner: 2, anyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &part.Reservation{}
			for _, e := range tt.given {
				r.Apply(e)
			}
			evs, err := r.Reserve(tt.scope, tt.key, tt.owner)
			switch {
			case tt.anyErr:
				if err == nil {
					t.Fatal("no error")
				}
			case tt.msg != "":
				wantRule(t, err, tt.field, tt.msg)
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(evs, tt.want) {
					t.Fatalf("events = %+v, want %+v", evs, tt.want)
				}
			}
		})
	}
}

func TestReservationRelease(t *testing.T) {
	r := &part.Reservation{}
	r.Apply(part.UniqueKeyReserved{Scope: part.ScopeCategoryName, Key: "0/\"A\"", Owner: 4})
	if evs := r.Release(5); len(evs) != 0 {
		t.Fatalf("a non-holder released: %+v", evs)
	}
	evs := r.Release(4)
	want := []domain.Event{part.UniqueKeyReleased{Scope: part.ScopeCategoryName, Key: "0/\"A\"", Owner: 4}}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events = %+v", evs)
	}
	r.Apply(evs[0])
	if r.Owner() != 0 {
		t.Fatalf("owner after release = %d", r.Owner())
	}
	if evs := r.Release(4); len(evs) != 0 {
		t.Fatalf("released twice: %+v", evs)
	}
}

func TestCategoryNameKey(t *testing.T) {
	if part.CategoryNameKey(1, "A") == part.CategoryNameKey(0, "A") {
		t.Error("same key under different parents")
	}
	if part.CategoryNameKey(1, "A") == part.CategoryNameKey(1, "a") {
		t.Error("names compare exactly, as InvenTree's filter does")
	}
}
