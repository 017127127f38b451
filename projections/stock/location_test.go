package stock_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/projections/stock"
)

func locationPKs(locs []stock.Location) []int64 {
	var out []int64
	for _, l := range locs {
		out = append(out, l.PK)
	}
	return out
}

func TestLocationsTreePathsAndCounts(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	a := f.location("Warehouse", 0)
	b := f.location("Shelf", a, func(s *stockdomain.LocationSpec) { s.Description = "top shelf" })
	c := f.location("Bin", b)
	z := f.location("Annex", 0, func(s *stockdomain.LocationSpec) { s.Structural = true })
	f.item(1, "5", c)
	f.item(1, "7", b)
	f.item(1, "1", 0)

	lc := f.getLocation(c)
	if lc.Pathstring != "Warehouse/Shelf/Bin" || lc.Level != 2 || *lc.Parent != b || lc.Items != 1 {
		t.Fatalf("bin = %+v", lc)
	}
	if la := f.getLocation(a); la.Items != 2 || la.Sublocations != 2 || la.Level != 0 || la.Parent != nil {
		t.Fatalf("warehouse = %+v", la)
	}
	if lb := f.getLocation(b); lb.Items != 2 || lb.Sublocations != 1 {
		t.Fatalf("shelf = %+v", lb)
	}
	if _, err := f.rm.GetLocation(context.Background(), 999, false); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing location: %v", err)
	}
	withPath, err := f.rm.GetLocation(context.Background(), c, true)
	if err != nil || len(withPath.Path) != 3 || withPath.Path[0].Name != "Warehouse" || withPath.Path[2].PK != c {
		t.Fatalf("path detail = %+v %v", withPath.Path, err)
	}

	// Filters, with InvenTree's semantics.
	list := func(flt stock.LocationFilter) []int64 {
		t.Helper()
		locs, _, err := f.rm.ListLocations(context.Background(), flt)
		if err != nil {
			t.Fatal(err)
		}
		return locationPKs(locs)
	}
	no, yes := false, true
	tests := []struct {
		name string
		flt  stock.LocationFilter
		want []int64
	}{
		{"all, tree order", stock.LocationFilter{}, []int64{a, b, c, z}},
		{"parent, no cascade", stock.LocationFilter{Parent: &a, Cascade: &no}, []int64{b}},
		{"parent, cascade", stock.LocationFilter{Parent: &a, Cascade: &yes}, []int64{b, c}},
		{"parent with depth", stock.LocationFilter{Parent: &a, Cascade: &yes, Depth: ref(1)}, []int64{b}},
		{"parent null", stock.LocationFilter{ParentNull: true}, []int64{a, z}},
		{"no cascade without parent: top level", stock.LocationFilter{Cascade: &no}, []int64{a, z}},
		{"top level", stock.LocationFilter{TopLevel: &yes}, []int64{a, z}},
		{"depth 1", stock.LocationFilter{Depth: ref(1)}, []int64{a, b, z}},
		{"structural", stock.LocationFilter{Structural: &yes}, []int64{z}},
		{"name", stock.LocationFilter{Name: ref("Bin")}, []int64{c}},
		{"search description", stock.LocationFilter{Search: "TOP"}, []int64{b}},
		{"search pathstring", stock.LocationFilter{Search: "house/shelf"}, []int64{b, c}},
		{"exclude tree", stock.LocationFilter{ExcludeTree: &b}, []int64{a, z}},
		{"ordering by items, desc", stock.LocationFilter{Ordering: "-items,name"}, []int64{b, a, c, z}},
		{"ordering by name", stock.LocationFilter{Ordering: "name"}, []int64{z, c, b, a}},
	}
	for _, tc := range tests {
		if got := list(tc.flt); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	page, total, err := f.rm.ListLocations(context.Background(), stock.LocationFilter{Limit: 2, Offset: 1})
	if err != nil || total != 4 || len(page) != 2 || page[0].PK != b {
		t.Fatalf("page = %v total %d %v", locationPKs(page), total, err)
	}
	tree, _, err := f.rm.LocationTree(context.Background(), stock.TreeFilter{})
	if err != nil || len(tree) != 4 || tree[0].PK != a || tree[0].Sublocations != 2 || tree[2].TreeID != a {
		t.Fatalf("tree = %+v %v", tree, err)
	}

	// Renaming the shelf renames the paths below it; moving it moves its counts.
	f.do(f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: b, LocationEdit: stockdomain.LocationEdit{Name: ref("Rack")}}))
	if lc := f.getLocation(c); lc.Pathstring != "Warehouse/Rack/Bin" {
		t.Fatalf("after rename: %q", lc.Pathstring)
	}
	d2 := f.location("Depot", 0)
	f.do(f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: b, LocationEdit: stockdomain.LocationEdit{Parent: &d2}}))
	lc = f.getLocation(c)
	if lc.Pathstring != "Depot/Rack/Bin" || lc.Level != 2 {
		t.Fatalf("after move: %+v", lc)
	}
	if la, ld := f.getLocation(a), f.getLocation(d2); la.Items != 0 || la.Sublocations != 0 || ld.Items != 2 || ld.Sublocations != 2 {
		t.Fatalf("counts after move: warehouse %+v, depot %+v", la, ld)
	}
	if tree, _, _ := f.rm.LocationTree(context.Background(), stock.TreeFilter{TreeID: &d2}); len(tree) != 3 {
		t.Fatalf("depot tree = %+v", tree)
	}
}

func TestLocationRules(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	a := f.location("A", 0)
	b := f.location("B", a)
	c := f.location("C", b)

	// Sibling names are unique; the same name elsewhere is fine.
	_, _, err := f.h.CreateLocation(f.ctx, commands.CreateStockLocation{LocationSpec: stockdomain.LocationSpec{Name: "B", Parent: a}})
	wantViolation(t, err, "name", "Duplicate names cannot exist under the same parent")
	f.location("B", c)
	// Renaming frees the old name.
	f.do(f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: b, LocationEdit: stockdomain.LocationEdit{Name: ref("B2")}}))
	f.location("B", a)

	// No move under one's own subtree.
	_, err = f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: a, LocationEdit: stockdomain.LocationEdit{Parent: &c}})
	wantViolation(t, err, "parent", "Invalid choice")

	// A location holding items cannot become structural; stock cannot go into one.
	f.item(1, "1", c)
	_, err = f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: c, LocationEdit: stockdomain.LocationEdit{Structural: ref(true)}})
	wantViolation(t, err, "", "You cannot make this stock location structural")
	f.do(f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: a, LocationEdit: stockdomain.LocationEdit{Structural: ref(true)}}))
	_, _, err = f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stockdomain.NewStock{Part: 1, Quantity: d("1"), Location: a}})
	wantViolation(t, err, "location", "structural stock locations")
}

// The four combinations of InvenTree's test_stock_location_delete.
func TestDeleteLocationOptions(t *testing.T) {
	for name, opts := range map[string]stockdomain.DeleteOptions{
		"move everything up": {}, "delete items": {DeleteStockItems: true},
		"delete sublocations": {DeleteSubLocations: true}, "delete all": {DeleteStockItems: true, DeleteSubLocations: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.parts.set(1, stockdomain.PartFacts{})
			parent := f.location("Parent", 0)
			doomed := f.location("Doomed", parent)
			var direct, below []int64
			for range 3 {
				direct = append(direct, f.item(1, "1", doomed))
			}
			var subs []int64
			for i := range 3 {
				sub := f.location("Sub "+string(rune('a'+i)), doomed)
				subs = append(subs, sub)
				for range 3 {
					below = append(below, f.item(1, "1", sub))
				}
			}
			f.do(f.h.DeleteLocation(f.ctx, commands.DeleteStockLocation{PK: doomed, DeleteOptions: opts}))

			if _, err := f.rm.GetLocation(context.Background(), doomed, false); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("deleted location still listed: %v", err)
			}
			count := func(pks []int64) (n int) {
				for _, pk := range pks {
					if _, err := f.rm.GetItem(context.Background(), pk, stock.ItemFilter{}); err == nil {
						n++
					}
				}
				return n
			}
			switch {
			case opts.DeleteStockItems && opts.DeleteSubLocations:
				if count(direct)+count(below) != 0 {
					t.Fatal("items survived")
				}
			case opts.DeleteStockItems:
				if count(direct) != 0 || count(below) != 9 {
					t.Fatalf("%d direct, %d lower items left", count(direct), count(below))
				}
			default:
				for _, pk := range direct {
					if it := f.getItem(pk); it.Location == nil || *it.Location != parent {
						t.Fatalf("item %d at %v, want the parent", pk, it.Location)
					}
				}
			}
			for _, sub := range subs {
				l, err := f.rm.GetLocation(context.Background(), sub, false)
				switch {
				case opts.DeleteSubLocations && err == nil:
					t.Fatalf("sub-location %d survived", sub)
				case !opts.DeleteSubLocations && (err != nil || *l.Parent != parent || l.Pathstring != "Parent/"+l.Name):
					t.Fatalf("sub-location %d = %+v, %v", sub, l, err)
				}
			}
			if opts.DeleteSubLocations && !opts.DeleteStockItems {
				for _, pk := range below {
					if it := f.getItem(pk); *it.Location != parent {
						t.Fatalf("lower item %d at %v, want the parent", pk, *it.Location)
					}
				}
			}
			// The parent's counts match what is left under it.
			items, _, err := f.rm.ListItems(context.Background(), stock.ItemFilter{Location: &parent})
			if err != nil {
				t.Fatal(err)
			}
			lp := f.getLocation(parent)
			wantSubs := map[bool]int{true: 0, false: 3}[opts.DeleteSubLocations]
			if lp.Items != len(items) || lp.Sublocations != wantSubs {
				t.Fatalf("parent counts %d items (listed %d), %d sublocations (want %d)", lp.Items, len(items), lp.Sublocations, wantSubs)
			}
			// A deleted sub-location's name is free again; a kept one's moved with it.
			if !opts.DeleteSubLocations {
				_, _, err := f.h.CreateLocation(f.ctx, commands.CreateStockLocation{LocationSpec: stockdomain.LocationSpec{Name: "Sub a", Parent: parent}})
				wantViolation(t, err, "name", "Duplicate names")
			}
			f.location("Doomed", parent)
		})
	}
}
