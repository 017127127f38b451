package stock_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections/stock"
)

func TestItemFieldsAndQueries(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{DefaultLocation: 0, DefaultExpiryDays: 10})
	f.parts.set(2, stockdomain.PartFacts{Trackable: true})
	top := f.location("Top", 0)
	mid := f.location("Mid", top)
	low := f.location("Low", mid)
	other := f.location("Other", 0)

	i1 := f.item(1, "10", low, func(r *stockdomain.NewStock) { r.Batch = "B-001"; r.Notes = "fragile" })
	i2 := f.item(1, "2.5", mid, func(r *stockdomain.NewStock) { r.Status = 55 })
	i3 := f.item(1, "0", top, func(r *stockdomain.NewStock) { r.DeleteOnDeplete = ref(false) })
	i4 := f.item(1, "4", other, func(r *stockdomain.NewStock) { r.Status = 60 })
	i5 := f.item(1, "1", 0)
	serials, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stockdomain.NewStock{
		Part: 2, Quantity: d("3"), SerialNumbers: "9, 10, 100", Location: other,
		PurchasePrice: ref(d("1.25")), PurchasePriceCurrency: "EUR",
	}})
	f.do(res, err)

	it := f.getItem(i1)
	raw, _ := json.Marshal(it)
	for _, want := range []string{`"quantity":10.0`, `"batch":"B-001"`, `"serial":null`, `"in_stock":true`,
		`"status":10`, `"status_text":"OK"`, `"expiry_date":"2026-03-14"`, `"creation_date":"2026-`, `"notes":"fragile"`,
		`"allocated":0.0`, `"tracking_items":1`, `"tags":[]`, `"delete_on_deplete":true`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("item JSON lacks %s: %s", want, raw)
		}
	}
	if strings.Contains(string(raw), "location_detail") || strings.Contains(string(raw), "part_detail") {
		t.Errorf("detail fields without the flags: %s", raw)
	}
	sn := f.getItem(serials[2])
	if *sn.Serial != "100" || *sn.PurchasePrice != "1.250000" || sn.PurchasePriceCurrency != "EUR" || !sn.Quantity.Equal(d("1")) {
		t.Fatalf("serialized item %+v", sn)
	}
	if _, err := f.rm.GetItem(context.Background(), 999, stock.ItemFilter{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing item: %v", err)
	}

	list := func(flt stock.ItemFilter) []int64 {
		t.Helper()
		items, _, err := f.rm.ListItems(context.Background(), flt)
		if err != nil {
			t.Fatal(err)
		}
		return pksOf(items)
	}
	no, yes := false, true
	tests := []struct {
		name string
		flt  stock.ItemFilter
		want []int64
	}{
		{"location cascades", stock.ItemFilter{Location: &mid, Ordering: "pk"}, []int64{i1, i2}},
		{"location without cascade", stock.ItemFilter{Location: &mid, Cascade: &no}, []int64{i2}},
		{"unknown location with cascade filters nothing", stock.ItemFilter{Location: ref(int64(999)), Ordering: "pk", Part: ref(int64(1))}, []int64{i1, i2, i3, i4, i5}},
		{"top-level items", stock.ItemFilter{LocationNull: true, Cascade: &no}, []int64{i5}},
		{"part", stock.ItemFilter{Part: ref(int64(2)), Ordering: "serial"}, serials},
		{"status", stock.ItemFilter{Status: ref(55)}, []int64{i2}},
		{"in stock", stock.ItemFilter{InStock: &yes, Part: ref(int64(1)), Ordering: "pk"}, []int64{i1, i2, i5}},
		{"not in stock", stock.ItemFilter{InStock: &no, Ordering: "pk"}, []int64{i3, i4}},
		{"serialized", stock.ItemFilter{Serialized: &yes, Ordering: "-serial"}, []int64{serials[2], serials[1], serials[0]}},
		{"serial", stock.ItemFilter{Serial: ref("10")}, []int64{serials[1]}},
		{"serial range", stock.ItemFilter{SerialGTE: ref(int64(10)), SerialLTE: ref(int64(99))}, []int64{serials[1]}},
		{"batch, any case", stock.ItemFilter{Batch: ref("b-001")}, []int64{i1}},
		{"has batch", stock.ItemFilter{HasBatch: &yes}, []int64{i1}},
		{"depleted", stock.ItemFilter{Depleted: &yes}, []int64{i3}},
		{"has purchase price", stock.ItemFilter{HasPurchasePrice: &yes, Ordering: "pk"}, serials},
		{"search batch", stock.ItemFilter{Search: "b-00"}, []int64{i1}},
		{"search notes and location", stock.ItemFilter{Search: "fragile low"}, []int64{i1}},
		{"search serial", stock.ItemFilter{Search: "100"}, []int64{serials[2]}},
		{"ordering by quantity, descending", stock.ItemFilter{Part: ref(int64(1)), Ordering: "-quantity"}, []int64{i1, i4, i2, i5, i3}},
		{"ordering by location path", stock.ItemFilter{Part: ref(int64(1)), Ordering: "location"}, []int64{i4, i3, i2, i1, i5}},
		{"min stock", stock.ItemFilter{MinStock: ref(d("4")), Ordering: "pk"}, []int64{i1, i4}},
	}
	for _, tc := range tests {
		if got := list(tc.flt); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	page, total, err := f.rm.ListItems(context.Background(), stock.ItemFilter{Limit: 2, Offset: 2, Ordering: "pk", LocationDetail: true, PathDetail: true})
	if err != nil || total != 8 || len(page) != 2 || page[0].PK != i3 {
		t.Fatalf("page %v of %d: %v", pksOf(page), total, err)
	}
	if ld := page[0].LocationDetail.Value; ld == nil || ld.PK != top || ld.Pathstring != "Top" {
		t.Fatalf("location detail %+v", ld)
	}
	if lp := page[1].LocationPath.Value; lp == nil || len(*lp) != 1 || (*lp)[0].PK != other {
		t.Fatalf("location path %+v", lp)
	}
	deep, err := f.rm.GetItem(context.Background(), i1, stock.ItemFilter{PathDetail: true})
	if lp := deep.LocationPath.Value; err != nil || lp == nil || len(*lp) != 3 || (*lp)[1].Name != "Mid" {
		t.Fatalf("path detail %+v %v", deep.LocationPath, err)
	}

	// Expired: in stock with an expiry date before today.
	today := clock.AddDate(0, 0, 11)
	expired, _, _ := f.rm.ListItems(context.Background(), stock.ItemFilter{Expired: &yes, Today: today, Ordering: "pk"})
	if !slices.Equal(pksOf(expired), []int64{i1, i2, i5}) || !expired[0].Expired {
		t.Fatalf("expired %v", pksOf(expired))
	}
	stale, _ := f.rm.GetItem(context.Background(), i1, stock.ItemFilter{Today: clock, StaleDays: 30})
	if !stale.Stale || stale.Expired {
		t.Fatalf("stale %+v", stale)
	}

	// The serial lookup the commands use for "~".
	latest, err := f.rm.LatestSerial(context.Background(), 2)
	if err != nil || latest != "100" {
		t.Fatalf("latest serial %q %v", latest, err)
	}
	next, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stockdomain.NewStock{Part: 2, Quantity: d("2"), SerialNumbers: "~+"}, NoDefaultLocation: true})
	f.do(res, err)
	if got := []string{*f.getItem(next[0]).Serial, *f.getItem(next[1]).Serial}; !slices.Equal(got, []string{"101", "102"}) {
		t.Fatalf("~+ gave %v", got)
	}
}

func TestPartsJoin(t *testing.T) {
	f := newFixture(t)
	if _, err := f.Pool.Exec(context.Background(), `CREATE TABLE parts (pk bigint PRIMARY KEY, name text, ipn text, description text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pool.Exec(context.Background(), `INSERT INTO parts VALUES (1, 'Widget', 'W-1', 'a widget'), (2, 'Anchor', 'A-9', 'heavy')`); err != nil {
		t.Fatal(err)
	}
	rm, err := stock.NewReadModel(f.Pool, stock.ReadModelConfig{Parts: &stock.PartsJoin{
		Table: "parts", PK: "pk", Name: "name", IPN: "ipn", Description: "description",
		Detail: "jsonb_build_object('pk', p.pk, 'name', p.name, 'IPN', p.ipn)",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stock.NewReadModel(f.Pool, stock.ReadModelConfig{Parts: &stock.PartsJoin{Table: "parts; drop"}}); err == nil {
		t.Fatal("accepted a table name that is not an identifier")
	}
	f.parts.set(1, stockdomain.PartFacts{})
	f.parts.set(2, stockdomain.PartFacts{})
	w := f.item(1, "5", 0)
	a := f.item(2, "9", 0)
	a2 := f.item(2, "1", 0)
	items, _, err := rm.ListItems(context.Background(), stock.ItemFilter{PartDetail: true})
	if err != nil {
		t.Fatal(err)
	}
	// Default ordering: part name, then quantity.
	if !slices.Equal(pksOf(items), []int64{a2, a, w}) {
		t.Fatalf("order %v", pksOf(items))
	}
	if !strings.Contains(string(items[2].PartDetail), `"name": "Widget"`) {
		t.Fatalf("part detail %s", items[2].PartDetail)
	}
	found, _, _ := rm.ListItems(context.Background(), stock.ItemFilter{Search: "w-1"})
	if !slices.Equal(pksOf(found), []int64{w}) {
		t.Fatalf("IPN search %v", pksOf(found))
	}
}

// The generated in_stock column spells out StockStatusGroups.AVAILABLE_CODES; it must
// agree with the status catalogue.
func TestInStockColumnMatchesStatusCatalogue(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := stock.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	for _, code := range status.StockStatusClass().Codes {
		var inStock bool
		if err := pool.QueryRow(ctx, `INSERT INTO stock_items (pk, part, quantity, status, creation_date, updated)
			VALUES ($1, 1, 1, $2, now(), now()) RETURNING in_stock`, code.Key, code.Key).Scan(&inStock); err != nil {
			t.Fatal(err)
		}
		if want := status.StockStatus(code.Key).InStock(); inStock != want {
			t.Errorf("status %d (%s): in_stock %v, catalogue says %v", code.Key, code.Name, inStock, want)
		}
	}
}
