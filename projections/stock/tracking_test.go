package stock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/status"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/projections/stock"
)

// entry is the part of a tracking entry the tests compare: type, deltas, notes.
type entry struct {
	Type   int
	Deltas string
	Notes  string
}

func (f *fixture) entries(item int64) []entry {
	f.t.Helper()
	var out []entry
	for _, e := range f.tracking(item) {
		var m map[string]any
		if err := json.Unmarshal(e.Deltas, &m); err != nil {
			f.t.Fatal(err)
		}
		canon, _ := json.Marshal(m) // sorted keys
		notes := ""
		if e.Notes != nil {
			notes = *e.Notes
		}
		out = append(out, entry{e.TrackingType, string(canon), notes})
	}
	return out
}

func (f *fixture) wantEntries(item int64, want ...entry) {
	f.t.Helper()
	if got := f.entries(item); !reflect.DeepEqual(got, want) {
		f.t.Fatalf("tracking of item %d:\n got %v\nwant %v", item, got, want)
	}
}

func line(pk int64, qty string) commands.StockLine {
	return commands.StockLine{PK: pk, Quantity: d(qty)}
}

// Each action leaves the tracking entries InvenTree records for it, with its deltas.
func TestTrackingEntriesPerAction(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	f.parts.set(2, stockdomain.PartFacts{Trackable: true})
	a := f.location("A", 0)
	b := f.location("B", 0)

	it := f.item(1, "100", a)
	created := entry{1, `{"quantity":100,"status":10}`, ""}
	f.wantEntries(it, created)

	f.do(f.h.Add(f.ctx, commands.AddStock{Items: []commands.StockLine{line(it, "5")}, Notes: "delivery"}))
	added := entry{11, `{"added":5,"quantity":105}`, "delivery"}
	f.do(f.h.Remove(f.ctx, commands.RemoveStock{Items: []commands.StockLine{line(it, "2.5")}}))
	removed := entry{12, `{"quantity":102.5,"removed":2.5}`, ""}
	f.do(f.h.Count(f.ctx, commands.CountStock{Items: []commands.StockLine{line(it, "100")}, Location: b, Notes: "stocktake"}))
	counted := entry{10, fmt.Sprintf(`{"location":%d,"old_location":%d,"quantity":100}`, b, a), "stocktake"}
	f.wantEntries(it, created, added, removed, counted)
	if raw := string(f.tracking(it)[1].Deltas); raw != `{"added": 5.0, "quantity": 105.0}` {
		t.Fatalf("quantities are not rendered as floats: %s", raw)
	}
	if got := f.getItem(it); *got.Location != b || *got.StocktakeDate != "2026-03-04" || !got.Quantity.Equal(d("100")) {
		t.Fatalf("after count: %+v", got)
	}

	// A full transfer moves the item; a partial one splits it.
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(it, "100")}, Location: a}))
	moved := entry{20, fmt.Sprintf(`{"location":%d,"quantity":100}`, a), ""}
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(it, "30")}, Location: b, Notes: "half"}))
	children, _, _ := f.rm.ListItems(context.Background(), stock.ItemFilter{Parent: &it})
	if len(children) != 1 || *children[0].Location != b || !children[0].Quantity.Equal(d("30")) {
		t.Fatalf("split-off items %+v", children)
	}
	child := children[0].PK
	splitChild := entry{42, fmt.Sprintf(`{"quantity":70,"removed":30,"stockitem":%d}`, child), "half"}
	f.wantEntries(child, entry{40, fmt.Sprintf(`{"quantity":30,"stockitem":%d}`, it), "half"})

	f.do(f.h.ChangeStatus(f.ctx, commands.ChangeStockStatus{Items: []int64{it}, Status: 55, Note: "dropped"}))
	edited := entry{5, `{"old_status":10,"old_status_logical":10,"status":55,"status_logical":55}`, "dropped"}
	f.wantEntries(it, created, added, removed, counted, moved, splitChild, edited)
	if got := f.getItem(it); got.Status != 55 || got.StatusText != "Damaged" || got.ChildItems != 1 || got.TrackingItems != 7 {
		t.Fatalf("after status change: %+v", got)
	}

	// Merging the child back into a new item; the merged ones are deleted and their
	// history stays, detached.
	target := f.item(1, "5", b)
	f.do(f.h.Merge(f.ctx, commands.MergeStock{Items: []int64{target, child}, Location: b, Notes: "tidy"}))
	f.wantEntries(target, created5(), entry{45, `{"added":30,"quantity":35}`, "tidy"})
	if _, err := f.rm.GetItem(context.Background(), child, stock.ItemFilter{}); err == nil {
		t.Fatal("merged item still listed")
	}
	detached, _, _ := f.rm.ListTracking(context.Background(), stock.TrackingFilter{Part: ref(int64(1)), Ordering: "date"})
	var orphans int
	for _, e := range detached {
		if e.Item == nil {
			orphans++
		}
	}
	if orphans != 1 {
		t.Fatalf("%d detached entries, want the merged item's 1", orphans)
	}

	// Serializing.
	bulk := f.item(2, "5", a)
	sns, res, err := f.h.Serialize(f.ctx, commands.SerializeStock{PK: bulk, Quantity: 2, SerialNumbers: "A1, A2", Destination: b, Notes: "sn"})
	f.do(res, err)
	f.wantEntries(bulk, entry{1, `{"quantity":5,"status":10}`, ""}, entry{13, `{"quantity":3,"removed":2}`, "sn"})
	f.wantEntries(sns[1], entry{40, `{"quantity":1}`, "sn"}, entry{6, `{"serial":"A2"}`, "sn"})
	if got := f.getItem(sns[1]); *got.Serial != "A2" || *got.Parent != bulk || *got.Location != b {
		t.Fatalf("serialized item %+v", got)
	}

	// Installing one serialized item into another, then taking it out.
	asm, comp := sns[0], sns[1]
	f.do(f.h.Install(f.ctx, commands.InstallStockItem{PK: asm, StockItem: comp, Note: "fit"}))
	if got := f.getItem(comp); got.BelongsTo == nil || *got.BelongsTo != asm || got.Location != nil || got.InStock {
		t.Fatalf("installed %+v", got)
	}
	if got := f.getItem(asm); got.InstalledItems != 1 {
		t.Fatalf("assembly %+v", got)
	}
	f.do(f.h.Uninstall(f.ctx, commands.UninstallStockItem{PK: comp, Location: a, Note: "out"}))
	f.wantEntries(comp, entry{40, `{"quantity":1}`, "sn"}, entry{6, `{"serial":"A2"}`, "sn"},
		entry{30, fmt.Sprintf(`{"quantity":1,"stockitem":%d}`, asm), "fit"},
		entry{31, fmt.Sprintf(`{"quantity":1,"stockitem":%d}`, asm), "out"})
	f.wantEntries(asm, entry{40, `{"quantity":1}`, "sn"}, entry{6, `{"serial":"A1"}`, "sn"},
		entry{35, fmt.Sprintf(`{"quantity":1,"stockitem":%d}`, comp), "fit"},
		entry{36, fmt.Sprintf(`{"quantity":1,"stockitem":%d}`, comp), "out"})
	if got := f.getItem(comp); got.BelongsTo != nil || *got.Location != a || !got.InStock {
		t.Fatalf("uninstalled %+v", got)
	}

	// An edit is tracked only when it changes the status.
	f.do(f.h.UpdateItem(f.ctx, commands.UpdateStockItem{PK: target, ItemEdit: stockdomain.ItemEdit{Batch: ref("X"), Quantity: ref(d("40"))}}))
	f.do(f.h.UpdateItem(f.ctx, commands.UpdateStockItem{PK: target, ItemEdit: stockdomain.ItemEdit{Status: ref(status.StockLost)}}))
	entries := f.entries(target)
	if len(entries) != 3 || entries[2].Type != 5 || entries[2].Deltas != `{"old_status":10,"old_status_logical":10,"status":70,"status_logical":70}` {
		t.Fatalf("edit tracking %v", entries)
	}
	if got := f.getItem(target); got.Batch != "X" || !got.Quantity.Equal(d("40")) || got.InStock {
		t.Fatalf("after edit %+v", got)
	}

	// Entries carry the user of the event's metadata; filters and ordering.
	all, total, err := f.rm.ListTracking(context.Background(), stock.TrackingFilter{Limit: 3})
	if err != nil || len(all) != 3 || total < 20 || all[0].User == nil || *all[0].User != 7 || all[0].Label == "" {
		t.Fatalf("tracking page %+v of %d: %v", all, total, err)
	}
	if all[0].PK < all[1].PK {
		t.Fatalf("default ordering is not newest first: %d, %d", all[0].PK, all[1].PK)
	}
	byUser, _, _ := f.rm.ListTracking(context.Background(), stock.TrackingFilter{User: ref(int64(8))})
	bySearch, _, _ := f.rm.ListTracking(context.Background(), stock.TrackingFilter{Search: "stockTAKE"})
	if len(byUser) != 0 || len(bySearch) != 1 || bySearch[0].Label != "Stock counted" {
		t.Fatalf("by user %d, by search %+v", len(byUser), bySearch)
	}
	one, err := f.rm.GetTracking(context.Background(), bySearch[0].PK)
	if err != nil || one.TrackingType != 10 || *one.Part != 1 {
		t.Fatalf("tracking entry %+v %v", one, err)
	}
}

func created5() entry { return entry{1, `{"quantity":5,"status":10}`, ""} }

// A delete_on_deplete item removed to zero is deleted; its history stays.
func TestDepletionDeletes(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	loc := f.location("L", 0)
	gone := f.item(1, "3", loc)
	kept := f.item(1, "3", loc, func(r *stockdomain.NewStock) { r.DeleteOnDeplete = ref(false) })
	f.do(f.h.Remove(f.ctx, commands.RemoveStock{Items: []commands.StockLine{line(gone, "10"), line(kept, "10")}}))
	if _, err := f.rm.GetItem(context.Background(), gone, stock.ItemFilter{}); err == nil {
		t.Fatal("depleted item still listed")
	}
	if got := f.getItem(kept); !got.Quantity.IsZero() || got.InStock {
		t.Fatalf("kept item %+v", got)
	}
	if l := f.getLocation(loc); l.Items != 1 {
		t.Fatalf("location counts %d items", l.Items)
	}
	entries, _, _ := f.rm.ListTracking(context.Background(), stock.TrackingFilter{Ordering: "date"})
	var types []int
	for _, e := range entries {
		types = append(types, e.TrackingType)
	}
	if !slices.Equal(types, []int{1, 1, 12, 12}) || entries[2].Item != nil {
		t.Fatalf("entries %v, first removal on item %v", types, entries[2].Item)
	}
	if dl := deltas(t, entries[2]); dl["removed"] != 3.0 || dl["quantity"] != 0.0 {
		t.Fatalf("removal deltas %s", entries[2].Deltas)
	}
}

// Rebuilding from the log gives the same rows, tracking pks included.
func TestRebuildGivesIdenticalRows(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	f.parts.set(2, stockdomain.PartFacts{Trackable: true})
	a := f.location("A", 0)
	b := f.location("B", a)
	c := f.location("C", b)
	x := f.item(1, "50", c)
	y := f.item(1, "20", b)
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(x, "10"), line(y, "20")}, Location: a}))
	f.do(f.h.Remove(f.ctx, commands.RemoveStock{Items: []commands.StockLine{line(x, "5")}}))
	sns, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stockdomain.NewStock{Part: 2, Quantity: d("3"), SerialNumbers: "1-3", Location: c}})
	f.do(res, err)
	f.do(f.h.Install(f.ctx, commands.InstallStockItem{PK: sns[0], StockItem: sns[1]}))
	f.do(f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: b, LocationEdit: stockdomain.LocationEdit{Name: ref("B2"), Parent: ref(int64(0))}}))
	f.do(f.h.DeleteLocation(f.ctx, commands.DeleteStockLocation{PK: c}))
	f.do(f.h.DeleteItem(f.ctx, commands.DeleteStockItem{PK: y}))

	before := f.dump()
	if err := f.Runner.Rebuild(context.Background(), stock.ProjectorName, nil); err != nil {
		t.Fatal(err)
	}
	if after := f.dump(); after != before {
		t.Fatalf("rebuild differs:\nbefore %s\nafter  %s", before, after)
	}
}

// dump renders every read-model row, in pk order.
func (f *fixture) dump() string {
	f.t.Helper()
	var out string
	for _, table := range []string{"stock_locations", "stock_items", "stock_tracking"} {
		var rows string
		if err := f.Pool.QueryRow(context.Background(),
			`SELECT coalesce(json_agg(t ORDER BY t.pk)::text, '') FROM `+table+` t`).Scan(&rows); err != nil {
			f.t.Fatal(err)
		}
		out += table + ": " + rows + "\n"
	}
	return out
}

// InvenTree's StockTransferMergeTest: transfers with merge fold into an existing lot.
func TestTransferWithMerge(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	src, dest := f.location("Source", 0), f.location("Dest", 0)
	existing := f.item(1, "100", dest)
	whole := f.item(1, "50", src)
	part := f.item(1, "30", src)
	separate := f.item(1, "20", src)
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Location: dest, Items: []commands.StockLine{
		{PK: whole, Quantity: d("50"), Merge: true},
		{PK: part, Quantity: d("10"), Merge: true},
		{PK: separate, Quantity: d("20")},
	}}))
	if got := f.getItem(existing); !got.Quantity.Equal(d("160")) {
		t.Fatalf("existing lot holds %s", got.Quantity)
	}
	if _, err := f.rm.GetItem(context.Background(), whole, stock.ItemFilter{}); err == nil {
		t.Fatal("the fully merged item still exists")
	}
	if got := f.getItem(part); !got.Quantity.Equal(d("20")) || *got.Location != src {
		t.Fatalf("partly merged item %+v", got)
	}
	if got := f.getItem(separate); *got.Location != dest {
		t.Fatalf("item moved without merge is at %v", got.Location)
	}
	f.wantEntries(existing, created100(),
		entry{45, fmt.Sprintf(`{"added":50,"location":%d,"quantity":150,"stockitem":%d}`, dest, whole), ""},
		entry{45, fmt.Sprintf(`{"added":10,"location":%d,"quantity":160,"stockitem":%d}`, dest, part), ""})
	f.wantEntries(part, entry{1, `{"quantity":30,"status":10}`, ""}) // the untracked split
	if l := f.getLocation(dest); l.Items != 2 {
		t.Fatalf("destination holds %d items", l.Items)
	}
}

func created100() entry { return entry{1, `{"quantity":100,"status":10}`, ""} }
