package stock

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// item folds events into an item, as a command loading its stream would.
func item(evs ...domain.Event) *Item {
	it := &Item{}
	for _, e := range evs {
		it.Apply(e)
	}
	return it
}

// plain is an item of part 1 at location 3 holding qty, deleted on depletion.
func plain(pk int64, qty string, edit ...func(*ItemData)) *Item {
	data := ItemData{Part: 1, Quantity: d(qty), Location: 3, Status: status.StockOK, DeleteOnDeplete: true}
	for _, f := range edit {
		f(&data)
	}
	return item(ItemCreated{PK: pk, ItemData: data})
}

func serialized(pk int64, serial string) *Item {
	return plain(pk, "1", func(d *ItemData) { d.Serial, d.SerialScope, d.DeleteOnDeplete = serial, 1, false })
}

// wantRule checks that err is a RuleError with a violation on field whose message
// contains msg.
func wantRule(t *testing.T, err error, field, msg string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a rule error on %q: %q", err, field, msg)
	}
	for _, v := range re.Violations {
		if v.Field == field && strings.Contains(v.Message, msg) {
			return
		}
	}
	t.Fatalf("violations %+v, want %q: %q", re.Violations, field, msg)
}

func apply(it *Item, evs []domain.Event) *Item {
	for _, e := range evs {
		it.Apply(e)
	}
	return it
}

func trackingOf(t *testing.T, e domain.Event) []Entry {
	t.Helper()
	v := reflect.ValueOf(e).FieldByName("Tracking")
	if !v.IsValid() {
		t.Fatalf("%T has no tracking", e)
	}
	return v.Interface().([]Entry)
}

func TestPlanNewStockRules(t *testing.T) {
	part := PartFacts{Exists: true, Active: true}
	trackable := PartFacts{Exists: true, Trackable: true, SerialScope: 40}
	loc := LocationFacts{Exists: true}
	tests := []struct {
		name  string
		req   NewStock
		part  PartFacts
		loc   LocationFacts
		field string
		msg   string
	}{
		{"no part", NewStock{Quantity: d("1")}, PartFacts{}, loc, "part", "Valid part must be supplied"},
		{"virtual part", NewStock{Part: 1, Quantity: d("1")}, PartFacts{Exists: true, Virtual: true}, loc, "part", "virtual parts"},
		{"negative quantity", NewStock{Part: 1, Quantity: d("-1")}, part, loc, "quantity", "greater than or equal to 0"},
		{"six decimal places", NewStock{Part: 1, Quantity: d("1.000001")}, part, loc, "quantity", "no more than 5 decimal places"},
		{"sixteen digits", NewStock{Part: 1, Quantity: d("12345678901.23456")}, part, loc, "quantity", "15 digits in total"},
		{"eleven whole digits", NewStock{Part: 1, Quantity: d("12345678901")}, part, loc, "quantity", "10 digits before the decimal point"},
		{"bad status", NewStock{Part: 1, Quantity: d("1"), Status: 99}, part, loc, "status", `"99" is not a valid choice.`},
		{"structural location", NewStock{Part: 1, Quantity: d("1"), Location: 3}, part, LocationFacts{Exists: true, Structural: true}, "location", "structural stock locations"},
		{"missing location", NewStock{Part: 1, Quantity: d("1"), Location: 3}, part, LocationFacts{}, "location", `Invalid pk "3"`},
		{"fractional trackable", NewStock{Part: 1, Quantity: d("1.5")}, trackable, loc, "quantity", "integer value for trackable parts"},
		{"serials for untracked part", NewStock{Part: 1, Quantity: d("2"), SerialNumbers: "1,2"}, part, loc, "serial_numbers", "non-trackable part"},
		{"serial count mismatch (quantity)", NewStock{Part: 1, Quantity: d("10"), SerialNumbers: "1-20"}, trackable, loc, "quantity", "exceeds allowed quantity (10)"},
		{"serial count mismatch (serial_numbers)", NewStock{Part: 1, Quantity: d("3"), SerialNumbers: "1,2"}, trackable, loc, "serial_numbers", "Number of unique serial numbers (2) must match quantity (3)"},
		{"batch too long", NewStock{Part: 1, Quantity: d("1"), Batch: strings.Repeat("b", 101)}, part, loc, "batch", "no more than 100 characters"},
		{"bad expiry", NewStock{Part: 1, Quantity: d("1"), ExpiryDate: "31/12/2025"}, part, loc, "expiry_date", "wrong format"},
		{"building without build", NewStock{Part: 1, Quantity: d("1"), IsBuilding: true}, part, loc, "build", "build reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := PlanNewStock(tc.req, tc.part, tc.loc, "", Settings{})
			wantRule(t, err, tc.field, tc.msg)
		})
	}

	data, serials, err := PlanNewStock(NewStock{Part: 5, Quantity: d("3"), SerialNumbers: "~+", Location: 3}, trackable, loc, "41", Settings{})
	if err != nil || strings.Join(serials, ",") != "42,43,44" || !data.Quantity.Equal(d("1")) || data.DeleteOnDeplete || data.SerialScope != 40 || data.Status != status.StockOK {
		t.Fatalf("serialized plan = %+v %v %v", data, serials, err)
	}
	data, _, _ = PlanNewStock(NewStock{Part: 5, Quantity: d("3")}, part, loc, "", Settings{})
	if !data.DeleteOnDeplete {
		t.Error("delete_on_deplete does not default to STOCK_DELETE_DEPLETED_DEFAULT (on)")
	}
	data, _, _ = PlanNewStock(NewStock{Part: 5, Quantity: d("3")}, part, loc, "", Settings{KeepDepletedByDefault: true})
	if data.DeleteOnDeplete {
		t.Error("delete_on_deplete ignores STOCK_DELETE_DEPLETED_DEFAULT off")
	}
	if _, _, err := PlanNewStock(NewStock{Part: 5, Quantity: d("0")}, part, loc, "", Settings{}); err != nil {
		t.Errorf("zero quantity refused: %v", err)
	}
	if got := SerialScopeFor(5, trackable, Settings{SerialsGloballyUnique: true}); got != 0 {
		t.Errorf("global scope = %d", got)
	}
	if got := SerialScopeFor(5, part, Settings{}); got != 5 {
		t.Errorf("scope of a part without a tree = %d", got)
	}
}

func TestCreateTracksCreation(t *testing.T) {
	evs, err := (&Item{}).Create(7, ItemData{Part: 1, Quantity: d("5"), Status: status.StockOK, Location: 3}, "")
	if err != nil {
		t.Fatal(err)
	}
	tr := trackingOf(t, evs[0])
	if len(tr) != 1 || tr[0].Type != status.TrackingCreated || *tr[0].Deltas.Status != status.StockOK || !tr[0].Deltas.Quantity.Equal(d("5")) {
		t.Fatalf("tracking = %+v", tr)
	}
	if _, err := plain(7, "1").Create(7, ItemData{}, ""); err == nil {
		t.Fatal("created an item twice")
	}
}

func TestAdjustmentRules(t *testing.T) {
	atCustomer := func(d *ItemData) { d.Customer = 9 }
	bad := status.StockStatus(99)
	tests := []struct {
		name  string
		item  *Item
		act   func(*Item) ([]domain.Event, error)
		field string
		msg   string
	}{
		{"add to item at customer", plain(1, "5", atCustomer), func(it *Item) ([]domain.Event, error) {
			return it.Add(d("1"), Adjustment{}, "", Settings{})
		}, "pk", "Stock item is not in stock"},
		{"remove from installed item", plain(1, "5", func(d *ItemData) { d.BelongsTo = 2 }), func(it *Item) ([]domain.Event, error) {
			return it.Remove(d("1"), Adjustment{}, "", Settings{})
		}, "pk", "Stock item is not in stock"},
		{"count consumed item", plain(1, "5", func(d *ItemData) { d.ConsumedBy = 2 }), func(it *Item) ([]domain.Event, error) {
			return it.Count(d("1"), 0, Adjustment{}, "", "2025-01-01", Settings{})
		}, "pk", "Stock item is not in stock"},
		{"add negative", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			return it.Add(d("-1"), Adjustment{}, "", Settings{})
		}, "quantity", "greater than or equal to 0"},
		{"remove negative", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			return it.Remove(d("-1.234"), Adjustment{}, "", Settings{})
		}, "quantity", "greater than or equal to 0"},
		{"count negative", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			return it.Count(d("-1"), 0, Adjustment{}, "", "2025-01-01", Settings{})
		}, "quantity", "greater than or equal to 0"},
		{"add to serialized", serialized(1, "A1"), func(it *Item) ([]domain.Event, error) {
			return it.Add(d("1"), Adjustment{}, "", Settings{})
		}, "quantity", "Quantity must be 1 for item with a serial number"},
		{"count serialized as 2", serialized(1, "A1"), func(it *Item) ([]domain.Event, error) {
			return it.Count(d("2"), 0, Adjustment{}, "", "2025-01-01", Settings{})
		}, "quantity", "Quantity must be 1 for item with a serial number"},
		{"bad status override", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			return it.Add(d("1"), Adjustment{Status: &bad}, "", Settings{})
		}, "status", "not a valid choice"},
		{"missing item", &Item{pk: 12}, func(it *Item) ([]domain.Event, error) {
			return it.Add(d("1"), Adjustment{}, "", Settings{})
		}, "pk", `Invalid pk "12"`},
		{"transfer zero", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			evs, _, err := it.Transfer(d("0"), 4, Adjustment{}, 0, "", Settings{})
			return evs, err
		}, "quantity", "Quantity must be greater than zero"},
		{"transfer negative", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			evs, _, err := it.Transfer(d("-2"), 4, Adjustment{}, 0, "", Settings{})
			return evs, err
		}, "quantity", "greater than or equal to 0"},
		{"transfer item at customer", plain(1, "5", atCustomer), func(it *Item) ([]domain.Event, error) {
			evs, _, err := it.Transfer(d("5"), 4, Adjustment{}, 0, "", Settings{})
			return evs, err
		}, "pk", "Stock item is not in stock"},
		{"transfer empty item", plain(1, "0"), func(it *Item) ([]domain.Event, error) {
			evs, _, err := it.Transfer(d("1"), 4, Adjustment{}, 0, "", Settings{})
			return evs, err
		}, "", "StockItem cannot be moved as it is not in stock"},
		{"status change to invalid", plain(1, "5"), func(it *Item) ([]domain.Event, error) {
			return it.ChangeStatus(99, "")
		}, "status", "not a valid choice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.act(tc.item)
			wantRule(t, err, tc.field, tc.msg)
		})
	}
	// STOCK_ALLOW_OUT_OF_STOCK_TRANSFER lets items that are not in stock be adjusted.
	if _, _, err := plain(1, "5", atCustomer).Transfer(d("5"), 4, Adjustment{}, 0, "", Settings{AllowOutOfStockTransfer: true}); err != nil {
		t.Errorf("out-of-stock transfer with the setting on: %v", err)
	}
}

func TestAddRemoveCount(t *testing.T) {
	damaged := status.StockDamaged
	batch := "B2"

	it := plain(1, "10")
	evs, err := it.Add(d("2.5"), Adjustment{Status: &damaged, Batch: &batch}, "more", Settings{})
	if err != nil {
		t.Fatal(err)
	}
	apply(it, evs)
	tr := trackingOf(t, evs[0])[0]
	if !it.Quantity().Equal(d("12.5")) || it.data.Status != status.StockDamaged || it.data.Batch != "B2" ||
		tr.Type != status.TrackingStockAdd || !tr.Deltas.Added.Equal(d("2.5")) || !tr.Deltas.Quantity.Equal(d("12.5")) ||
		*tr.Deltas.OldStatus != status.StockOK || *tr.Deltas.Status != status.StockDamaged || *tr.Deltas.Batch != "B2" || tr.Notes != "more" {
		t.Fatalf("after add: %+v, tracking %+v", it.data, tr)
	}
	if evs, _ := it.Add(d("0"), Adjustment{}, "", Settings{}); evs != nil {
		t.Error("adding zero decided something")
	}

	// Removing more than held removes what is held; the item is deleted on depletion.
	evs, err = it.Remove(d("25"), Adjustment{}, "", Settings{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("over-remove = %+v, %v", evs, err)
	}
	rm := evs[0].(StockRemoved)
	if !rm.Quantity.Equal(d("12.5")) || !rm.NewQuantity.IsZero() || !rm.Tracking[0].Deltas.Removed.Equal(d("12.5")) {
		t.Fatalf("removed %+v", rm)
	}
	if del := evs[1].(ItemDeleted); del.Reason != ReasonDepleted {
		t.Fatalf("deletion %+v", del)
	}

	keep := plain(2, "3", func(d *ItemData) { d.DeleteOnDeplete = false })
	evs, _ = keep.Remove(d("3"), Adjustment{}, "", Settings{})
	apply(keep, evs)
	if len(evs) != 1 || !keep.Quantity().IsZero() || !keep.Exists() {
		t.Fatalf("depleting a kept item = %+v", evs)
	}
	if evs, _ := keep.Remove(d("1"), Adjustment{}, "", Settings{}); evs != nil {
		t.Error("removing from an empty item decided something")
	}

	// A serialized item is never deleted on depletion, and can be counted back to 1.
	sn := serialized(3, "X1")
	evs, _ = sn.Remove(d("1"), Adjustment{}, "", Settings{})
	apply(sn, evs)
	if len(evs) != 1 || !sn.Quantity().IsZero() || !sn.Exists() {
		t.Fatalf("removing a serialized item = %+v", evs)
	}
	evs, err = sn.Count(d("1"), 0, Adjustment{}, "found it", "2025-02-03", Settings{})
	apply(sn, evs)
	if err != nil || !sn.Quantity().Equal(d("1")) || sn.data.StocktakeDate != "2025-02-03" {
		t.Fatalf("count of serialized = %+v %v", sn.data, err)
	}

	// A count at a new location records both locations.
	c := plain(4, "7")
	evs, _ = c.Count(d("5"), 8, Adjustment{}, "", "2025-02-03", Settings{})
	apply(c, evs)
	tr = trackingOf(t, evs[0])[0]
	if c.data.Location != 8 || tr.Type != status.TrackingStockCount || *tr.Deltas.Location != 8 || *tr.Deltas.OldLocation != 3 || !tr.Deltas.Quantity.Equal(d("5")) {
		t.Fatalf("count with location: %+v %+v", c.data, tr)
	}
	// Counting without a location leaves no location deltas; the same count is still
	// recorded.
	evs, _ = c.Count(d("5"), 0, Adjustment{}, "", "2025-02-04", Settings{})
	tr = trackingOf(t, evs[0])[0]
	if len(evs) != 1 || tr.Deltas.Location != nil || tr.Deltas.OldLocation != nil {
		t.Fatalf("recount: %+v", evs)
	}
	// Counting to zero deletes an item deleted on depletion.
	evs, _ = c.Count(d("0"), 0, Adjustment{}, "", "2025-02-04", Settings{})
	if len(evs) != 2 || evs[1].(ItemDeleted).Reason != ReasonDepleted {
		t.Fatalf("count to zero = %+v", evs)
	}
}

func TestTransfer(t *testing.T) {
	it := plain(1, "10", func(d *ItemData) { d.Batch = "B1"; d.StocktakeDate = "2024-01-01" })
	if !it.SplitsOn(d("4")) || it.SplitsOn(d("10")) || it.SplitsOn(d("11")) || it.SplitsOn(d("0")) {
		t.Fatal("SplitsOn")
	}
	// Partial: a new item takes 4 to location 8, the old one keeps 6 at 3.
	rejected := status.StockRejected
	own, sp, err := it.Transfer(d("4"), 8, Adjustment{Status: &rejected}, 20, "split", Settings{})
	if err != nil || sp == nil || sp.PK != 20 {
		t.Fatalf("split = %+v %+v %v", own, sp, err)
	}
	apply(it, own)
	child := item(sp.Events...)
	if !it.Quantity().Equal(d("6")) || it.data.Location != 3 || it.data.Status != status.StockOK {
		t.Fatalf("source after split: %+v", it.data)
	}
	cd := child.Data()
	if !cd.Quantity.Equal(d("4")) || cd.Location != 8 || cd.Parent != 1 || cd.Batch != "B1" || cd.Status != status.StockRejected || cd.StocktakeDate != "2024-01-01" {
		t.Fatalf("split-off item: %+v", cd)
	}
	pt := trackingOf(t, own[0])[0]
	if pt.Type != status.TrackingSplitChildItem || *pt.Deltas.StockItem != 20 || !pt.Deltas.Removed.Equal(d("4")) || !pt.Deltas.Quantity.Equal(d("6")) || pt.Deltas.Location != nil {
		t.Fatalf("parent tracking %+v", pt)
	}
	ct := trackingOf(t, sp.Events[0])[0]
	if ct.Type != status.TrackingSplitFromParent || *ct.Deltas.StockItem != 1 || !ct.Deltas.Quantity.Equal(d("4")) || *ct.Deltas.Status != status.StockRejected || ct.Notes != "split" {
		t.Fatalf("child tracking %+v", ct)
	}

	// Moving more than held moves the whole item, recording what it held.
	own, sp, err = it.Transfer(d("100"), 9, Adjustment{}, 0, "", Settings{})
	if err != nil || sp != nil {
		t.Fatalf("full move = %+v %+v %v", own, sp, err)
	}
	mv := own[0].(ItemMoved)
	if mv.Location.Old != 3 || mv.Location.New != 9 || !mv.Quantity.Equal(d("6")) || mv.Tracking[0].Type != status.TrackingStockMove || *mv.Tracking[0].Deltas.Location != 9 {
		t.Fatalf("move %+v", mv)
	}
	apply(it, own)
	// Moving it where it is records "Stock updated" without a location delta.
	own, _, _ = it.Transfer(d("6"), 9, Adjustment{}, 0, "", Settings{})
	if tr := trackingOf(t, own[0])[0]; tr.Type != status.TrackingStockUpdate || tr.Deltas.Location != nil {
		t.Fatalf("self move tracking %+v", tr)
	}
	// A split needs a key.
	if _, _, err := plain(5, "10").Transfer(d("1"), 9, Adjustment{}, 0, "", Settings{}); err == nil {
		t.Fatal("split without a key")
	}
	// An item in production can be moved (move passes allow_production).
	if _, _, err := plain(6, "10", func(d *ItemData) { d.IsBuilding, d.Build = true, 1 }).Transfer(d("2"), 9, Adjustment{}, 30, "", Settings{}); err != nil {
		t.Fatalf("moving stock in production: %v", err)
	}
}

func TestChangeStatus(t *testing.T) {
	it := plain(1, "10")
	if evs, _ := it.ChangeStatus(status.StockOK, ""); evs != nil {
		t.Fatal("changing to the same status decided something")
	}
	evs, err := it.ChangeStatus(status.StockDamaged, "dropped")
	if err != nil {
		t.Fatal(err)
	}
	tr := trackingOf(t, evs[0])[0]
	if tr.Type != status.TrackingEdited || *tr.Deltas.Status != status.StockDamaged || *tr.Deltas.StatusLogical != status.StockDamaged ||
		*tr.Deltas.OldStatus != status.StockOK || *tr.Deltas.OldStatusLogical != status.StockOK || tr.Notes != "dropped" {
		t.Fatalf("tracking %+v", tr)
	}
}

func TestMergeRules(t *testing.T) {
	loc := LocationFacts{Exists: true}
	withSupplier := func(sp int64) func(*ItemData) { return func(d *ItemData) { d.SupplierPart = sp } }
	tests := []struct {
		name  string
		items []*Item
		opts  MergeOptions
		loc   LocationFacts
		field string
		msg   string
	}{
		{"one item", []*Item{plain(1, "1")}, MergeOptions{}, loc, "", "At least two stock items must be provided"},
		{"duplicate", []*Item{plain(1, "1"), plain(1, "1")}, MergeOptions{}, loc, "", "Duplicate stock items"},
		{"other part", []*Item{plain(1, "1"), plain(2, "1", func(d *ItemData) { d.Part = 2 })}, MergeOptions{}, loc, "", "Stock items must refer to the same part"},
		{"other supplier part", []*Item{plain(1, "1", withSupplier(100)), plain(2, "1", withSupplier(101))}, MergeOptions{}, loc, "", "same supplier part"},
		{"other status", []*Item{plain(1, "1"), plain(2, "1", func(d *ItemData) { d.Status = status.StockDamaged })}, MergeOptions{}, loc, "", "Stock status codes must match"},
		{"serialized", []*Item{serialized(1, "1"), serialized(2, "2")}, MergeOptions{}, loc, "items.0.item", "Serialized stock cannot be merged"},
		{"at customer", []*Item{plain(1, "1"), plain(2, "1", func(d *ItemData) { d.Customer = 4 })}, MergeOptions{}, loc, "items.1.item", "assigned to a customer"},
		{"sold", []*Item{plain(1, "1"), plain(2, "1", func(d *ItemData) { d.SalesOrder = 4 })}, MergeOptions{}, loc, "items.1.item", "assigned to a sales order"},
		{"installed", []*Item{plain(1, "1", func(d *ItemData) { d.BelongsTo = 4 }), plain(2, "1")}, MergeOptions{}, loc, "items.0.item", "installed in another item"},
		{"holds installed items", []*Item{apply(plain(1, "1"), []domain.Event{ItemComponentInstalled{PK: 1, Component: 9}}), plain(2, "1")}, MergeOptions{}, loc, "items.0.item", "contains other items"},
		{"in production", []*Item{plain(1, "1"), plain(2, "1", func(d *ItemData) { d.IsBuilding = true })}, MergeOptions{}, loc, "items.1.item", "currently in production"},
		{"missing item", []*Item{plain(1, "1"), {pk: 7}}, MergeOptions{}, loc, "items.1.item", `Invalid pk "7"`},
		{"missing location", []*Item{plain(1, "1"), plain(2, "1")}, MergeOptions{}, LocationFacts{}, "location", "Invalid pk"},
		{"structural location", []*Item{plain(1, "1"), plain(2, "1")}, MergeOptions{}, LocationFacts{Exists: true, Structural: true}, "location", "structural"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(tc.items, 5, tc.loc, tc.opts, "")
			wantRule(t, err, tc.field, tc.msg)
		})
	}

	price := func(p, cur string) func(*ItemData) {
		return func(d *ItemData) { d.PurchasePrice, d.PurchasePriceCurrency = dec(decimal.RequireFromString(p)), cur }
	}
	a := plain(1, "100", withSupplier(100), price("1", "USD"), func(d *ItemData) { d.Parent = 2 })
	b := plain(2, "100", withSupplier(101), price("2", "USD"))
	c := plain(3, "50", withSupplier(101), price("9", "EUR"))
	res, err := Merge([]*Item{a, b, c}, 5, loc, MergeOptions{AllowMismatchedSuppliers: true}, "merge")
	if err != nil {
		t.Fatal(err)
	}
	apply(a, res.Target)
	m := res.Target[0].(ItemsMerged)
	if !a.Quantity().Equal(d("250")) || a.data.Location != 5 || !a.data.PurchasePrice.Equal(d("1.5")) || a.data.Parent != 0 || !m.ParentCleared {
		t.Fatalf("merged target %+v (%+v)", a.data, m)
	}
	if tr := m.Tracking[0]; tr.Type != status.TrackingMergedStockItems || !tr.Deltas.Quantity.Equal(d("250")) || !tr.Deltas.Added.Equal(d("150")) {
		t.Fatalf("merge tracking %+v", tr)
	}
	if len(res.Merged) != 2 || res.Merged[1][0].(ItemDeleted).MergedInto != 1 || res.Merged[1][0].(ItemDeleted).Reason != ReasonMerged {
		t.Fatalf("merged items' events %+v", res.Merged)
	}
}

func TestSerialize(t *testing.T) {
	trackable := PartFacts{Exists: true, Trackable: true}
	loc := LocationFacts{Exists: true}
	it := plain(1, "10")
	tests := []struct {
		name  string
		qty   int
		expr  string
		dest  int64
		df    LocationFacts
		part  PartFacts
		field string
		msg   string
	}{
		{"too many", 13, "1-13", 4, loc, trackable, "quantity", "Quantity must not exceed available stock quantity (10.00000)"},
		{"negative", -1, "1", 4, loc, trackable, "quantity", "greater than zero"},
		{"not trackable", 3, "1-3", 4, loc, PartFacts{Exists: true}, "", "Serial numbers cannot be assigned to this part"},
		{"bad expression", 3, "1,2", 4, loc, trackable, "serial_numbers", "must match quantity (3)"},
		{"no destination", 3, "1-3", 0, loc, trackable, "destination", "may not be null"},
		{"missing destination", 3, "1-3", 4, LocationFacts{}, trackable, "destination", "Invalid pk"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := it.PlanSerialize(tc.qty, tc.expr, tc.dest, tc.df, tc.part, "")
			wantRule(t, err, tc.field, tc.msg)
		})
	}
	serials, err := it.PlanSerialize(3, "1-3", 4, loc, trackable, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := it.Serialize(serials, []int64{11, 12, 13}, 4, LocationFacts{Exists: true, Structural: true}, trackable, "", Settings{}); err == nil {
		t.Fatal("serialized into a structural location")
	}
	own, spawned, err := it.Serialize(serials, []int64{11, 12, 13}, 4, loc, trackable, "sn", Settings{})
	if err != nil || len(spawned) != 3 {
		t.Fatalf("serialize = %v %v", spawned, err)
	}
	apply(it, own)
	if !it.Quantity().Equal(d("7")) {
		t.Fatalf("remaining %s", it.Quantity())
	}
	tr := trackingOf(t, own[0])[0]
	if tr.Type != status.TrackingStockSerialized || !tr.Deltas.Removed.Equal(d("3")) || !tr.Deltas.Quantity.Equal(d("7")) {
		t.Fatalf("source tracking %+v", tr)
	}
	child := item(spawned[1].Events...)
	cd := child.Data()
	if cd.Serial != "2" || !cd.Quantity.Equal(d("1")) || cd.Parent != 1 || cd.Location != 4 || cd.DeleteOnDeplete || cd.SerialScope != 1 {
		t.Fatalf("serialized child %+v", cd)
	}
	ct := trackingOf(t, spawned[1].Events[0])
	if len(ct) != 2 || ct[0].Type != status.TrackingSplitFromParent || !ct[0].Deltas.Quantity.Equal(d("1")) || ct[1].Type != status.TrackingAssignedSerial || *ct[1].Deltas.Serial != "2" {
		t.Fatalf("child tracking %+v", ct)
	}
	// Serializing everything depletes (and deletes) the source.
	own, _, _ = it.Serialize([]string{"4", "5", "6", "7", "8", "9", "10"}, []int64{1, 2, 3, 4, 5, 6, 7}, 4, loc, trackable, "", Settings{})
	if len(own) != 2 || own[1].(ItemDeleted).Reason != ReasonDepleted {
		t.Fatalf("full serialization = %+v", own)
	}
	// An item that has a serial number is left alone.
	if own, sp, err := serialized(2, "Q").Serialize([]string{"1"}, []int64{3}, 4, loc, trackable, "", Settings{}); own != nil || sp != nil || err != nil {
		t.Fatal("re-serialized a serialized item")
	}
}

func TestInstallUninstall(t *testing.T) {
	assembly := plain(1, "1")
	tests := []struct {
		name  string
		comp  *Item
		qty   string
		inBOM bool
		s     Settings
		field string
		msg   string
	}{
		{"not in BOM", plain(2, "5"), "1", false, Settings{}, "stock_item", "Selected part is not in the Bill of Materials"},
		{"unavailable", plain(2, "5", func(d *ItemData) { d.Status = status.StockDestroyed }), "1", true, Settings{}, "stock_item", "Stock item is unavailable"},
		{"already installed", plain(2, "5", func(d *ItemData) { d.BelongsTo = 7 }), "1", true, Settings{}, "stock_item", "Stock item is unavailable"},
		{"empty", plain(2, "0"), "1", true, Settings{}, "stock_item", "Stock item is unavailable"},
		{"less than one", plain(2, "5"), "0", true, Settings{}, "quantity", "at least 1"},
		{"more than held", plain(2, "5"), "6", true, Settings{}, "quantity", "must not exceed available quantity"},
		{"itself", plain(1, "5"), "1", true, Settings{}, "stock_item", "Item cannot belong to itself"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := assembly.Install(tc.comp, d(tc.qty), tc.inBOM, 0, "", tc.s)
			wantRule(t, err, tc.field, tc.msg)
		})
	}
	if _, _, _, err := assembly.Install(plain(2, "5"), d("5"), false, 0, "", Settings{SkipBOMCheck: true}); err != nil {
		t.Fatalf("install without BOM enforcement: %v", err)
	}

	// Installing part of an item splits it and installs the new one.
	comp := plain(2, "5")
	asm, own, sp, err := assembly.Install(comp, d("2"), true, 30, "fit", Settings{})
	if err != nil || sp == nil {
		t.Fatal(sp, err)
	}
	apply(assembly, asm)
	apply(comp, own)
	installed := item(sp.Events...)
	if !comp.Quantity().Equal(d("3")) || installed.BelongsTo() != 1 || installed.Data().Location != 0 || !installed.Quantity().Equal(d("2")) {
		t.Fatalf("after install: comp %+v installed %+v", comp.data, installed.data)
	}
	if got := assembly.Installed(); len(got) != 1 || got[0] != 30 {
		t.Fatalf("assembly holds %v", got)
	}
	it := trackingOf(t, sp.Events[1])[0]
	at := trackingOf(t, asm[0])[0]
	if it.Type != status.TrackingInstalledIntoAssembly || *it.Deltas.StockItem != 1 || at.Type != status.TrackingInstalledChildItem || *at.Deltas.StockItem != 30 || !at.Deltas.Quantity.Equal(d("2")) {
		t.Fatalf("install tracking %+v / %+v", it, at)
	}
	// Now the assembly holds an item, it can neither be merged nor deleted on depletion.
	if assembly.canDelete() || assembly.mergeable() == "" {
		t.Fatal("an assembly with installed items counts as empty")
	}

	// Uninstall into location 6.
	own, asm, err = installed.Uninstall(assembly, 6, "out")
	if err != nil {
		t.Fatal(err)
	}
	apply(installed, own)
	apply(assembly, asm)
	if installed.BelongsTo() != 0 || installed.Data().Location != 6 || len(assembly.Installed()) != 0 {
		t.Fatalf("after uninstall: %+v, assembly holds %v", installed.data, assembly.Installed())
	}
	ut, pt := trackingOf(t, own[0])[0], trackingOf(t, asm[0])[0]
	if ut.Type != status.TrackingRemovedFromAssembly || *ut.Deltas.StockItem != 1 || pt.Type != status.TrackingRemovedChildItem || *pt.Deltas.StockItem != 30 {
		t.Fatalf("uninstall tracking %+v / %+v", ut, pt)
	}
	if own, parent, err := installed.Uninstall(assembly, 6, ""); own != nil || parent != nil || err != nil {
		t.Fatal("uninstalled an item that is not installed")
	}
}

func TestEditRules(t *testing.T) {
	s := func(v string) *string { return &v }
	q := func(v string) *decimal.Decimal { x := d(v); return &x }
	loc := func(v int64) *int64 { return &v }
	tests := []struct {
		name  string
		item  *Item
		edit  ItemEdit
		lf    LocationFacts
		part  PartFacts
		set   Settings
		field string
		msg   string
	}{
		{"serial edit forbidden", serialized(1, "54321"), ItemEdit{Serial: s("98765")}, LocationFacts{}, PartFacts{}, Settings{ForbidSerialEdit: true}, "serial", "Editing of serial numbers is not allowed"},
		{"serial with quantity 2", plain(1, "2"), ItemEdit{Serial: s("7")}, LocationFacts{}, PartFacts{}, Settings{}, "serial", "Serial number cannot be set if quantity greater than 1"},
		{"structural location", plain(1, "2"), ItemEdit{Location: loc(9)}, LocationFacts{Exists: true, Structural: true}, PartFacts{}, Settings{}, "location", "structural"},
		{"negative quantity", plain(1, "2"), ItemEdit{Quantity: q("-1")}, LocationFacts{}, PartFacts{}, Settings{}, "quantity", "greater than or equal to 0"},
		{"fractional trackable", plain(1, "2"), ItemEdit{Quantity: q("1.5")}, LocationFacts{}, PartFacts{Trackable: true}, Settings{}, "quantity", "integer value"},
		{"deleted item", apply(plain(1, "2"), []domain.Event{ItemDeleted{PK: 1}}), ItemEdit{Batch: s("x")}, LocationFacts{}, PartFacts{}, Settings{}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.item.Edit(tc.edit, tc.lf, tc.part, tc.set)
			if tc.msg == "" {
				if !errors.Is(err, domain.ErrNotFound) {
					t.Fatalf("err = %v, want not found", err)
				}
				return
			}
			wantRule(t, err, tc.field, tc.msg)
		})
	}

	// A first serial number may be set when editing is forbidden.
	if _, err := plain(1, "1").Edit(ItemEdit{Serial: s("54321")}, LocationFacts{}, PartFacts{}, Settings{ForbidSerialEdit: true}); err != nil {
		t.Fatalf("setting a first serial: %v", err)
	}
	it := plain(1, "2")
	if evs, _ := it.Edit(ItemEdit{Batch: s(""), Location: loc(3)}, LocationFacts{}, PartFacts{}, Settings{}); evs != nil {
		t.Fatalf("an edit without changes decided %+v", evs)
	}
	evs, err := it.Edit(ItemEdit{Quantity: q("5"), Batch: s(" B7 ")}, LocationFacts{}, PartFacts{}, Settings{})
	up := evs[0].(ItemUpdated)
	if err != nil || up.Batch.New != "B7" || !up.Quantity.New.Equal(d("5")) || len(up.Tracking) != 0 {
		t.Fatalf("edit = %+v %v", up, err)
	}
	st := status.StockLost
	evs, _ = it.Edit(ItemEdit{Status: &st}, LocationFacts{}, PartFacts{}, Settings{})
	if tr := trackingOf(t, evs[0]); len(tr) != 1 || tr[0].Type != status.TrackingEdited || *tr[0].Deltas.OldStatus != status.StockOK {
		t.Fatalf("status edit tracking %+v", tr)
	}
	price := decimal.NullDecimal{Decimal: d("2.5"), Valid: true}
	evs, _ = it.Edit(ItemEdit{PurchasePrice: &price}, LocationFacts{}, PartFacts{}, Settings{})
	apply(it, evs)
	if !it.data.PurchasePrice.Equal(d("2.5")) {
		t.Fatalf("price %v", it.data.PurchasePrice)
	}
	evs, _ = it.Edit(ItemEdit{PurchasePrice: &decimal.NullDecimal{}}, LocationFacts{}, PartFacts{}, Settings{})
	apply(it, evs)
	if it.data.PurchasePrice != nil {
		t.Fatal("price not cleared")
	}
}

func TestDelete(t *testing.T) {
	if _, err := serialized(1, "1").Delete(Settings{ForbidDeleteSerialized: true}); err == nil {
		t.Fatal("deleted a serialized item with STOCK_ALLOW_DELETE_SERIALIZED off")
	}
	evs, err := serialized(1, "1").Delete(Settings{})
	if err != nil || evs[0].(ItemDeleted).Serial != "1" || evs[0].(ItemDeleted).SerialScope != 1 {
		t.Fatalf("delete = %+v %v", evs, err)
	}
	gone := apply(plain(2, "1"), evs[:0])
	gone.Apply(ItemDeleted{PK: 2})
	if _, err := gone.Delete(Settings{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	if evs := plain(3, "1").Relocate(3); evs != nil {
		t.Fatal("relocated to the same place")
	}
	if mv := plain(3, "1").Relocate(1)[0].(ItemMoved); mv.Reason != ReasonLocationDeleted || len(mv.Tracking) != 0 {
		t.Fatalf("relocation %+v", mv)
	}
}

func TestCheckDestination(t *testing.T) {
	wantRule(t, CheckDestination("location", 0, LocationFacts{}), "location", "may not be null")
	wantRule(t, CheckDestination("location", 4, LocationFacts{}), "location", `Invalid pk "4"`)
	wantRule(t, CheckDestination("location", 4, LocationFacts{Exists: true, Structural: true}), "location", "Structural locations cannot be assigned stock items")
	if err := CheckDestination("location", 4, LocationFacts{Exists: true}); err != nil {
		t.Fatal(err)
	}
}

func TestEventsAreListed(t *testing.T) {
	codec, err := domain.NewCodec(Events())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []domain.Event{
		LocationCreated{}, LocationUpdated{}, LocationDeleted{}, ItemCreated{}, ItemUpdated{}, StockAdded{},
		StockRemoved{}, StockCounted{}, ItemMoved{}, ItemSplit{}, ItemsMerged{}, StatusChanged{},
		ItemSerialized{}, ItemInstalled{}, ItemUninstalled{}, ItemComponentInstalled{},
		ItemComponentRemoved{}, ItemDeleted{}, KeyReserved{}, KeyReleased{},
	} {
		if _, err := codec.Decode(e.EventType(), 1, []byte(`{}`)); err != nil {
			t.Errorf("%s: %v", e.EventType(), err)
		}
	}
}

func TestTransferWithMerge(t *testing.T) {
	batch := func(b string) func(*ItemData) { return func(d *ItemData) { d.Batch = b } }
	at := func(loc int64) func(*ItemData) { return func(d *ItemData) { d.Location = loc } }
	source := plain(1, "50", batch("B1"))
	other := plain(2, "10", at(8))
	sameBatch := plain(3, "10", at(8), batch("B1"))
	damaged := plain(4, "10", at(8), func(d *ItemData) { d.Status = status.StockDamaged })
	if got := source.TransferTarget([]*Item{damaged, other, sameBatch}); got != sameBatch {
		t.Fatalf("target %v, want the item with the same batch", got)
	}
	if got := source.TransferTarget([]*Item{damaged}); got != nil {
		t.Fatalf("merged into an item with another status: %v", got.PK())
	}
	if got := serialized(5, "1").TransferTarget([]*Item{other}); got != nil {
		t.Fatal("a serialized item found a merge target")
	}

	// Part of the source: it keeps the rest, untracked; the target records the merge.
	into, own, err := other.AbsorbTransfer(source, d("20"), 8, Adjustment{}, "m", Settings{})
	if err != nil {
		t.Fatal(err)
	}
	rm := own[0].(StockRemoved)
	if !rm.NewQuantity.Equal(d("30")) || rm.MergedInto != 2 || len(rm.Tracking) != 0 {
		t.Fatalf("source %+v", rm)
	}
	tr := trackingOf(t, into[0])[0]
	if tr.Type != status.TrackingMergedStockItems || *tr.Deltas.StockItem != 1 || *tr.Deltas.Location != 8 ||
		!tr.Deltas.Quantity.Equal(d("30")) || !tr.Deltas.Added.Equal(d("20")) {
		t.Fatalf("target tracking %+v", tr)
	}
	// All of it: the source is deleted into the target.
	_, own, _ = other.AbsorbTransfer(source, d("50"), 8, Adjustment{}, "", Settings{})
	if del := own[0].(ItemDeleted); del.Reason != ReasonMerged || del.MergedInto != 2 {
		t.Fatalf("full merge %+v", del)
	}
	if _, _, err := damaged.AbsorbTransfer(source, d("5"), 8, Adjustment{}, "", Settings{}); err == nil {
		t.Fatal("absorbed an item that cannot be merged")
	}
}

// TestItemMovedSchema1 reads moves as schema 1 stored them: "from" and "to", each left
// out when there was no location.
func TestItemMovedSchema1(t *testing.T) {
	codec, err := domain.NewCodec(Events())
	if err != nil {
		t.Fatal(err)
	}
	if got := codec.Schema(TypeItemMoved); got != 2 {
		t.Fatalf("StockItemMoved is written with schema %d, want 2", got)
	}
	for _, tc := range []struct {
		name     string
		stored   string
		old, new int64
	}{
		{"between locations", `{"pk":7,"from":3,"to":9,"quantity":"6","tracking":[{"type":20,"deltas":{"location":9}}]}`, 3, 9},
		{"from no location", `{"pk":7,"to":9,"quantity":"6"}`, 0, 9},
		{"to no location (a location deleted at the top level)", `{"pk":7,"from":3,"quantity":"6","reason":"location_deleted"}`, 3, 0},
		{"null members", `{"pk":7,"from":null,"to":4,"quantity":"6"}`, 0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := codec.Decode(TypeItemMoved, 1, []byte(tc.stored))
			if err != nil {
				t.Fatal(err)
			}
			mv := ev.(ItemMoved)
			if mv.PK != 7 || mv.Location != (Change[int64]{Old: tc.old, New: tc.new}) || !mv.Quantity.Equal(d("6")) {
				t.Fatalf("decoded %+v", mv)
			}
			it := plain(7, "6")
			it.Apply(mv)
			if it.Data().Location != tc.new {
				t.Fatalf("item at %d after the move, want %d", it.Data().Location, tc.new)
			}
		})
	}
	if _, err := codec.Decode(TypeItemMoved, 1, []byte(`{"pk":7,"from":"attic"}`)); err == nil {
		t.Fatal("a schema 1 move with a location that is no pk decoded")
	}
	// Schema 2 payloads are read as they are.
	ev, err := codec.Decode(TypeItemMoved, 2, []byte(`{"pk":7,"location":{"old":1,"new":2},"quantity":"1"}`))
	if err != nil || ev.(ItemMoved).Location.New != 2 {
		t.Fatalf("schema 2: %+v, %v", ev, err)
	}
}
