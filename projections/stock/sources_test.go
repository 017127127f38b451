package stock_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/stockledger/stockledger/projections/stock"
)

// sources is a Sources over fixed answers, counting its calls.
type sources struct {
	stock.ItemSources
	calls int
	asked [][]int64
}

func (s *sources) StockSources(_ context.Context, orders, sps []int64, detail bool) (stock.ItemSources, error) {
	s.calls++
	s.asked = append(s.asked, orders, sps)
	out := stock.ItemSources{OrderReferences: s.OrderReferences, SupplierParts: map[int64]stock.SupplierPartSource{}}
	for pk, sp := range s.SupplierParts {
		if !detail {
			sp.Detail = nil
		}
		out.SupplierParts[pk] = sp
	}
	return out, nil
}

// Items with a purchase order or supplier part show their reference, SKU, MPN and,
// asked for, the supplier part's detail; the rendered answers stay byte for byte the
// encoded Items.
func TestRenderedItemsWithSources(t *testing.T) {
	rf := newRenderFixture(t)
	ctx := context.Background()
	// The fixture's item with purchase order 11 and supplier part 10; another with a
	// supplier part and an order the sources do not hold; a third with supplier part 10
	// only.
	sourced := rf.items[len(rf.items)-1]
	var serial int64
	if err := rf.Pool.QueryRow(ctx, `SELECT pk FROM stock_items WHERE supplier_part = 10`).Scan(&serial); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Pool.Exec(ctx, `UPDATE stock_items SET supplier_part = 12, purchase_order = 13 WHERE pk = $1`, rf.items[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Pool.Exec(ctx, `UPDATE stock_items SET supplier_part = 10 WHERE pk = $1`, sourced); err != nil {
		t.Fatal(err)
	}
	mpn := awkward[8]
	src := &sources{ItemSources: stock.ItemSources{
		OrderReferences: map[int64]string{11: "PO-" + awkward[3]},
		SupplierParts: map[int64]stock.SupplierPartSource{10: {
			SKU: awkward[5], MPN: &mpn,
			Detail: json.RawMessage(`{"pk": 10, "SKU": "\u003cb\u003e", "pack_quantity_native": 1.0}`),
		}},
	}}
	rm, err := stock.NewReadModel(rf.Pool, stock.ReadModelConfig{Sources: src})
	if err != nil {
		t.Fatal(err)
	}

	it, err := rm.GetItem(ctx, serial, stock.ItemFilter{SupplierPartDetail: true, Today: clock})
	if err != nil {
		t.Fatal(err)
	}
	if it.PurchaseOrderReference == nil || *it.PurchaseOrderReference != "PO-"+awkward[3] ||
		it.SKU == nil || *it.SKU != awkward[5] || it.MPN == nil || *it.MPN != mpn ||
		string(it.SupplierPartDetail) != `{"pk": 10, "SKU": "\u003cb\u003e", "pack_quantity_native": 1.0}` {
		t.Fatalf("sourced item: %+v", it)
	}
	other, err := rm.GetItem(ctx, rf.items[0], stock.ItemFilter{SupplierPartDetail: true, Today: clock})
	if err != nil {
		t.Fatal(err)
	}
	if other.PurchaseOrderReference != nil || other.SKU != nil || other.MPN != nil || string(other.SupplierPartDetail) != "null" {
		t.Fatalf("item of unknown sources: %+v", other)
	}

	yes := true
	filters := map[string]stock.ItemFilter{
		"all":            {},
		"supplier part":  {SupplierPart: ref(int64(10))},
		"purchase order": {PurchaseOrder: ref(int64(11))},
		"unknown order":  {PurchaseOrder: ref(int64(13))},
		"no such order":  {PurchaseOrder: ref(int64(99))},
		"in stock":       {InStock: &yes, Ordering: "-stock"},
	}
	for name, f := range filters {
		for _, page := range [][2]int{{0, 0}, {3, 0}, {3, 3}} {
			for details := range 4 {
				f := f
				f.Today, f.Limit, f.Offset = clock, page[0], page[1]
				f.SupplierPartDetail, f.PathDetail = details&1 != 0, details&2 != 0
				compareList(t, ctx, rm, f, fmt.Sprintf("%s/%v/%02b", name, page, details))
			}
		}
	}
	for _, pk := range rf.items {
		for details := range 2 {
			f := stock.ItemFilter{Today: clock, SupplierPartDetail: details == 1, LocationDetail: true}
			want, err := rm.GetItem(ctx, pk, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rm.GetItemJSON(ctx, pk, f)
			if err != nil {
				t.Fatal(err)
			}
			if w := encoded(t, want); string(got) != w {
				t.Errorf("item %d %b:\n got %s\nwant %s", pk, details, got, w)
			}
		}
	}

	// Each order and supplier part is asked for once per page; a page without any asks
	// nothing.
	src.calls, src.asked = 0, nil
	page, err := rm.ListItemsJSON(ctx, stock.ItemFilter{Today: clock}, nil)
	if err != nil || page.Len != len(rf.items) {
		t.Fatal(page.Len, err)
	}
	if src.calls != 1 || !slices.Equal(src.asked[0], []int64{11, 13}) || !slices.Equal(src.asked[1], []int64{10, 12}) {
		t.Errorf("asked %d times: %v", src.calls, src.asked)
	}
	src.calls = 0
	if _, err := rm.ListItemsJSON(ctx, stock.ItemFilter{Today: clock, Status: ref(55)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rm.ListItems(ctx, stock.ItemFilter{Today: clock, Status: ref(55)}); err != nil {
		t.Fatal(err)
	}
	if src.calls != 0 {
		t.Errorf("a page without sources asked %d times", src.calls)
	}
}
