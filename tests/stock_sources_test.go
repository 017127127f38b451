package tests

import (
	"fmt"
	"net/http"
	"testing"
)

// What parts and stock items show of purchase orders and supplier parts: the part's
// "ordering" figure and on_order filter, the items' purchase_order_reference, SKU, MPN
// and supplier_part_detail, and the supplier_part and purchase_order filters.

func TestPartOrderingFollowsOpenOrders(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	r := newReceiptSetup(t, a) // line 1: 3 packs of 100 of part; line 2: 4 of part2
	ordering := func(part int64) any {
		t.Helper()
		return getObject(t, a, partURL(part))["ordering"]
	}
	onOrder := func(v string) []int64 {
		t.Helper()
		return pksOf(a.Get("/api/part/?ordering=name&on_order="+v, http.StatusOK))
	}
	// A pending order counts, in the part's units: 3 packs of 100.
	if got := ordering(r.part); got != 300.0 {
		t.Errorf("ordering %v, want 300", got)
	}
	if got := ordering(r.part2); got != 4.0 {
		t.Errorf("ordering %v, want 4", got)
	}
	if got := onOrder("true"); fmt.Sprint(got) != fmt.Sprint([]int64{r.part2, r.part}) {
		t.Errorf("on order: %v", got)
	}
	// A cancelled order does not.
	cancelled := newOrder(t, a, map[string]any{"reference": "PO-0002", "supplier": r.supplier})
	newLine(t, a, map[string]any{"order": cancelled, "part": r.sp, "quantity": 7})
	if got := ordering(r.part); got != 1000.0 {
		t.Errorf("ordering %v, want 1000 with the second order", got)
	}
	a.Call(http.MethodPost, fmt.Sprintf("/api/order/po/%d/cancel/", cancelled), nil, http.StatusCreated)
	if got := ordering(r.part); got != 300.0 {
		t.Errorf("ordering %v after the cancel, want 300", got)
	}
	// What is received is no longer on order; a part with nothing to come is not on order.
	r.issue(t, a)
	a.Call(http.MethodPost, receiveURL(r.po), map[string]any{
		"items": []any{item("line_item", r.line1, "quantity", 1), item("line_item", r.line2, "quantity", 4)}, "location": r.shelf,
	}, http.StatusCreated)
	if got := ordering(r.part); got != 200.0 {
		t.Errorf("ordering %v after receiving a pack, want 200", got)
	}
	if got := ordering(r.part2); got != 0.0 {
		t.Errorf("ordering %v after receiving the line, want 0", got)
	}
	if got := onOrder("true"); fmt.Sprint(got) != fmt.Sprint([]int64{r.part}) {
		t.Errorf("on order: %v", got)
	}
	if got := onOrder("false"); fmt.Sprint(got) != fmt.Sprint([]int64{r.part2}) {
		t.Errorf("not on order: %v", got)
	}
	sorted := pksOf(a.Get("/api/part/?ordering=-ordering", http.StatusOK))
	if fmt.Sprint(sorted) != fmt.Sprint([]int64{r.part, r.part2}) {
		t.Errorf("by ordering: %v", sorted)
	}
	// The supplier part's figures follow too.
	if sp := getObject(t, a, supplierPartURL(r.sp)); sp["on_order"] != 2.0 || sp["in_stock"] != 100.0 {
		t.Errorf("supplier part on order %v, in stock %v", sp["on_order"], sp["in_stock"])
	}
}

func TestStockItemsShowTheirSources(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	r := newReceiptSetup(t, a)
	maker := newCompany(t, a, map[string]any{"name": "Yageo", "is_manufacturer": true, "is_supplier": false})
	mp := a.Call(http.MethodPost, "/api/company/part/manufacturer/", map[string]any{
		"part": r.part2, "manufacturer": maker, "MPN": "CC0603<X7R>",
	}, http.StatusCreated).PK()
	a.Call(http.MethodPatch, supplierPartURL(r.sp2), map[string]any{"manufacturer_part": mp}, http.StatusOK)
	r.issue(t, a)
	a.Call(http.MethodPost, receiveURL(r.po), map[string]any{
		"items":    []any{item("line_item", r.line1, "quantity", 1), item("line_item", r.line2, "quantity", 1, "serial_numbers", "7")},
		"location": r.shelf,
	}, http.StatusCreated)
	plain := a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": r.part, "quantity": 5, "location": r.shelf},
		http.StatusCreated).List()[0]

	items := a.Get(fmt.Sprintf("/api/stock/?purchase_order=%d&ordering=pk", r.po), http.StatusOK).List()
	if len(items) != 2 {
		t.Fatalf("items of the order: %v", items)
	}
	resistor, capacitor := items[0], items[1]
	if resistor["purchase_order_reference"] != "PO-0001" || resistor["SKU"] != "R10K-100" || resistor["MPN"] != nil {
		t.Errorf("received resistor %v", resistor)
	}
	if capacitor["SKU"] != "C100N" || capacitor["MPN"] != "CC0603<X7R>" || capacitor["purchase_order_reference"] != "PO-0001" {
		t.Errorf("received capacitor %v", capacitor)
	}
	if _, ok := resistor["supplier_part_detail"]; ok {
		t.Errorf("supplier_part_detail without asking: %v", resistor)
	}
	if plain["SKU"] != nil || plain["purchase_order_reference"] != nil {
		t.Errorf("item of no order %v", plain)
	}

	// supplier_part_detail: the brief supplier part, null for an item without one.
	detailed := getObject(t, a, fmt.Sprintf("/api/stock/%d/?supplier_part_detail=true", int64(capacitor["pk"].(float64))))
	d, ok := detailed["supplier_part_detail"].(map[string]any)
	if !ok || d["pk"] != float64(r.sp2) || d["SKU"] != "C100N" || d["MPN"] != "CC0603<X7R>" || d["in_stock"] != 1.0 ||
		d["manufacturer_part"] != float64(mp) || d["part"] != float64(r.part2) || d["supplier"] != float64(r.supplier) {
		t.Errorf("supplier_part_detail %v", detailed["supplier_part_detail"])
	}
	for _, absent := range []string{"available", "on_order", "availability_updated", "supplier_detail", "part_detail", "pretty_name"} {
		if _, ok := d[absent]; ok {
			t.Errorf("supplier_part_detail has %s: %v", absent, d)
		}
	}
	list := a.Get(fmt.Sprintf("/api/stock/?location=%d&supplier_part_detail=true&ordering=pk", r.shelf), http.StatusOK).List()
	if len(list) != 3 || list[2]["supplier_part_detail"] != nil || list[0]["supplier_part_detail"] == nil {
		t.Errorf("listed details %v", list)
	}

	// The filters; an id that names nothing is refused, as InvenTree's model choices.
	wantSamePKs(t, a, fmt.Sprintf("/api/stock/?supplier_part=%d", r.sp2), int64(capacitor["pk"].(float64)))
	wantSamePKs(t, a, fmt.Sprintf("/api/stock/?supplier_part=%d", r.otherSP))
	a.Get("/api/stock/?supplier_part=999999", http.StatusBadRequest).WantJSON(errorBody("supplier_part", msgChoice))
	a.Get("/api/stock/?purchase_order=999999", http.StatusBadRequest).WantJSON(errorBody("purchase_order", msgChoice))

	// The reference and numbers follow edits of the order and the supplier part.
	a.Call(http.MethodPatch, orderURL(r.po), map[string]any{"reference": "PO-0042"}, http.StatusOK)
	a.Call(http.MethodPatch, supplierPartURL(r.sp), map[string]any{"SKU": "R10K-C"}, http.StatusOK)
	again := getObject(t, a, fmt.Sprintf("/api/stock/%d/", int64(resistor["pk"].(float64))))
	if again["purchase_order_reference"] != "PO-0042" || again["SKU"] != "R10K-C" {
		t.Errorf("after the edits %v", again)
	}
}

const msgChoice = "Select a valid choice. That choice is not one of the available choices."

func TestStockItemWithSupplierPart(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	p := newPurchaseSetup(t, a) // sp: packs of 100 of part; sp2: single units of part2

	refused := func(body map[string]any, want string) {
		t.Helper()
		head := s.Head()
		a.Call(http.MethodPost, "/api/stock/", body, http.StatusBadRequest).WantJSON(want)
		wantNoEvents(t, s, head)
	}
	refused(map[string]any{"part": p.part, "quantity": 2, "supplier_part": 999999}, errorBody("supplier_part", "The given supplier part does not exist"))
	refused(map[string]any{"part": p.part, "quantity": 2, "supplier_part": p.sp},
		errorBody("use_pack_size", "The supplier part has a pack size defined, but flag use_pack_size not set"))
	refused(map[string]any{"part": p.part, "quantity": 2, "supplier_part": p.sp2},
		errorBody("supplier_part", "Part type ('C 100n - ') must be R 10k - "))

	// In packs: 2 packs of 100, the price per pack divided among the units.
	packs := a.Call(http.MethodPost, "/api/stock/", map[string]any{
		"part": p.part, "quantity": 2, "supplier_part": p.sp, "use_pack_size": true, "purchase_price": "5",
		"location": p.shelf,
	}, http.StatusCreated).List()[0]
	if packs["quantity"] != 200.0 || packs["supplier_part"] != float64(p.sp) || packs["purchase_price"] != "0.050000" ||
		packs["SKU"] != "R10K-100" {
		t.Errorf("stock in packs %v", packs)
	}
	units := a.Call(http.MethodPost, "/api/stock/", map[string]any{
		"part": p.part, "quantity": 2, "supplier_part": p.sp, "use_pack_size": false, "purchase_price": "5",
	}, http.StatusCreated).List()[0]
	if units["quantity"] != 2.0 || units["purchase_price"] != "5.000000" {
		t.Errorf("stock in units %v", units)
	}
	plain := a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": p.part2, "quantity": 3, "supplier_part": p.sp2},
		http.StatusCreated).List()[0]
	if plain["quantity"] != 3.0 || plain["SKU"] != "C100N" {
		t.Errorf("stock of a single-unit supplier part %v", plain)
	}

	// An edit sets or clears the supplier part, of the item's own part only.
	pk := int64(units["pk"].(float64))
	a.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"supplier_part": p.sp2}, http.StatusBadRequest).
		WantJSON(errorBody("supplier_part", "Part type ('C 100n - ') must be R 10k - "))
	a.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"supplier_part": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("supplier_part", `Invalid pk "999999" - object does not exist.`))
	if got := a.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"supplier_part": p.otherSP}, http.StatusOK).Object(); got["supplier_part"] != float64(p.otherSP) || got["SKU"] != "M-R10K" {
		t.Errorf("after setting the supplier part %v", got)
	}
	if got := a.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"supplier_part": nil}, http.StatusOK).Object(); got["supplier_part"] != nil || got["SKU"] != nil {
		t.Errorf("after clearing the supplier part %v", got)
	}
	// The supplier part's stock counts its items.
	if got := getObject(t, a, supplierPartURL(p.sp)); got["in_stock"] != 200.0 {
		t.Errorf("supplier part in stock %v, want 200", got["in_stock"])
	}
}
