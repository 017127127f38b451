package tests

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

// Purchase orders end to end: orders, lines, extra lines, references, totals and
// filters over HTTP, against the real server.

func orderURL(pk int64) string     { return fmt.Sprintf("/api/order/po/%d/", pk) }
func orderLineURL(pk int64) string { return fmt.Sprintf("/api/order/po-line/%d/", pk) }

// purchaseSetup is a supplier with two supplier parts of two purchaseable parts.
type purchaseSetup struct {
	supplier, other  int64 // companies
	part, part2      int64 // parts
	sp, sp2, otherSP int64 // supplier parts (otherSP from the other supplier)
	shelf, bin       int64 // locations
}

func newPurchaseSetup(t *testing.T, a *Client) purchaseSetup {
	t.Helper()
	var p purchaseSetup
	p.supplier = newCompany(t, a, map[string]any{"name": "Digi", "currency": "EUR"})
	p.other = newCompany(t, a, map[string]any{"name": "Mouse"})
	p.part = newPart(t, a, map[string]any{"name": "R 10k", "purchaseable": true, "salable": true})
	p.part2 = newPart(t, a, map[string]any{"name": "C 100n", "purchaseable": true})
	p.sp = newSupplierPart(t, a, map[string]any{"part": p.part, "supplier": p.supplier, "SKU": "R10K-100", "pack_quantity": "100"})
	p.sp2 = newSupplierPart(t, a, map[string]any{"part": p.part2, "supplier": p.supplier, "SKU": "C100N"})
	p.otherSP = newSupplierPart(t, a, map[string]any{"part": p.part, "supplier": p.other, "SKU": "M-R10K"})
	p.shelf = stockLocation(t, a, "Shelf", 0)
	p.bin = stockLocation(t, a, "Bin", p.shelf)
	return p
}

// newOrder creates an order of supplier and returns its pk.
func newOrder(t *testing.T, c *Client, body map[string]any) int64 {
	t.Helper()
	return c.Create(t, "/api/order/po/", body)
}

// newLine adds a line and returns its pk.
func newLine(t *testing.T, c *Client, body map[string]any) int64 {
	t.Helper()
	return c.Create(t, "/api/order/po-line/", body)
}

func orderAuthRows() []authRow {
	const (
		get, post, put, patch, del, opts = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions
	)
	empty := map[string]any{}
	po := user.RolePurchaseOrder
	view, add, change, remove := user.PermView, user.PermAdd, user.PermChange, user.PermDelete
	var rows []authRow
	rows = append(rows, receiveAuthRows()...)
	for _, action := range []string{"issue", "hold", "cancel", "complete"} {
		rows = append(rows,
			authRow{Method: post, Path: "/api/order/po/999999/" + action + "/", Admits: hasRole, Role: po, Perm: add, Body: empty},
			authRow{Method: opts, Path: "/api/order/po/999999/" + action + "/", Admits: hasRole, Role: po, Perm: view})
	}
	for _, base := range []string{"/api/order/po/", "/api/order/po-line/", "/api/order/po-extra-line/"} {
		none := base + "999999/"
		rows = append(rows,
			authRow{Method: get, Path: base, Admits: hasRole, Role: po, Perm: view},
			authRow{Method: opts, Path: base, Admits: hasRole, Role: po, Perm: view},
			authRow{Method: post, Path: base, Admits: hasRole, Role: po, Perm: add, Body: empty},
			authRow{Method: get, Path: none, Admits: hasRole, Role: po, Perm: view},
			authRow{Method: put, Path: none, Admits: hasRole, Role: po, Perm: change, Body: empty},
			authRow{Method: patch, Path: none, Admits: hasRole, Role: po, Perm: change, Body: empty},
			authRow{Method: del, Path: none, Admits: hasRole, Role: po, Perm: remove},
		)
	}
	return rows
}

func TestPurchaseOrderCRUD(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	p := newPurchaseSetup(t, a)
	contact := a.Call(http.MethodPost, "/api/company/contact/", map[string]any{"company": p.supplier, "name": "Jo"}, http.StatusCreated).PK()
	otherContact := a.Call(http.MethodPost, "/api/company/contact/", map[string]any{"company": p.other, "name": "Al"}, http.StatusCreated).PK()

	// OPTIONS suggests the first reference.
	opts := a.Call(http.MethodOptions, "/api/order/po/", nil, http.StatusOK).Object()
	if def := opts["actions"].(map[string]any)["POST"].(map[string]any)["reference"].(map[string]any)["default"]; def != "PO-0001" {
		t.Errorf("suggested reference %v, want PO-0001", def)
	}

	r := a.Call(http.MethodPost, "/api/order/po/", map[string]any{
		"reference": "PO-0001", "supplier": p.supplier, "description": "First order", "contact": contact,
		"target_date": "2031-01-31",
	}, http.StatusCreated)
	po := r.PK()
	got := r.Object()
	created := got["created_by"].(map[string]any)
	if got["status"] != 10.0 || got["status_text"] != "Pending" || got["supplier_name"] != "Digi" || got["line_items"] != 0.0 ||
		created["username"] != "admin" || got["creation_date"] == nil || got["total_price"] != "0.000000" ||
		got["contact_detail"].(map[string]any)["name"] != "Jo" || got["overdue"] != false {
		t.Errorf("created order %v", got)
	}
	if _, ok := got["supplier_detail"]; ok {
		t.Error("supplier_detail without the flag")
	}
	if d := getObject(t, a, orderURL(po)+"?supplier_detail=true")["supplier_detail"].(map[string]any); d["name"] != "Digi" || d["currency"] != "EUR" {
		t.Errorf("supplier_detail %v", d)
	}
	// The next suggestion follows the highest reference.
	opts = a.Call(http.MethodOptions, "/api/order/po/", nil, http.StatusOK).Object()
	if def := opts["actions"].(map[string]any)["POST"].(map[string]any)["reference"].(map[string]any)["default"]; def != "PO-0002" {
		t.Errorf("suggested reference %v, want PO-0002", def)
	}

	// Rules, each refused with nothing appended.
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"supplier": p.supplier}, errorBody("reference", "This field is required.")},
		{map[string]any{"reference": "PO-0001", "supplier": p.supplier}, errorBody("reference", "Purchase Order with this Reference already exists.")},
		{map[string]any{"reference": "ORDER-7", "supplier": p.supplier}, errorBody("reference", "Reference must match required pattern: PO-{ref:04d}")},
		{map[string]any{"reference": "PO-0009"}, errorBody("supplier", "This field is required.")},
		{map[string]any{"reference": "PO-0009", "supplier": 999999}, errorBody("supplier", `Invalid pk "999999" - object does not exist.`)},
		{map[string]any{"reference": "PO-0009", "supplier": p.supplier, "contact": otherContact}, errorBody("contact", "Contact does not match selected company")},
		{map[string]any{"reference": "PO-0009", "supplier": p.supplier, "start_date": "2030-02-01", "target_date": "2030-01-01"},
			`{"target_date":["Target date must be after start date"],"start_date":["Start date must be before target date"]}`},
		{map[string]any{"reference": "PO-0009", "supplier": p.supplier, "project_code": 4}, errorBody("project_code", `Invalid pk "4" - object does not exist.`)},
	} {
		head := s.Head()
		a.Call(http.MethodPost, "/api/order/po/", c.body, http.StatusBadRequest).WantJSON(c.want)
		wantNoEvents(t, s, head)
	}

	// A renamed order frees its reference.
	a.Call(http.MethodPatch, orderURL(po), map[string]any{"reference": "PO-0010", "supplier_reference": "DK-1"}, http.StatusOK)
	second := newOrder(t, a, map[string]any{"reference": "PO-0001", "supplier": p.supplier})
	if got := getObject(t, a, orderURL(po)); got["reference"] != "PO-0010" || got["supplier_reference"] != "DK-1" {
		t.Errorf("after PATCH: %v", got)
	}
	a.Call(http.MethodDelete, orderURL(second), nil, http.StatusNoContent)
	a.Get(orderURL(second), http.StatusNotFound).WantDetail(http.StatusNotFound, "No PurchaseOrder matches the given query.")
	newOrder(t, a, map[string]any{"reference": "PO-0001", "supplier": p.supplier})

	// The supplier cannot be deleted while it has orders.
	a.Call(http.MethodDelete, companyURL(p.supplier), nil, http.StatusBadRequest)
}

func TestPurchaseOrderLines(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	p := newPurchaseSetup(t, a)
	po := newOrder(t, a, map[string]any{"reference": "PO-0001", "supplier": p.supplier})

	r := a.Call(http.MethodPost, "/api/order/po-line/", map[string]any{
		"order": po, "part": p.sp, "quantity": 5, "purchase_price": "2.5", "purchase_price_currency": "EUR",
		"destination": p.bin, "reference": "first",
	}, http.StatusCreated)
	line := r.PK()
	got := r.Object()
	if got["quantity"] != 5.0 || got["received"] != 0.0 || got["purchase_price"] != "2.500000" || got["total_price"] != "12.500000" ||
		got["sku"] != "R10K-100" || got["internal_part"] != float64(p.part) || got["internal_part_name"] != "R 10k" ||
		got["destination_detail"].(map[string]any)["name"] != "Bin" || got["order"] != float64(po) {
		t.Errorf("created line %v", got)
	}
	// merge_items (on by default) adds to the matching line.
	merged := a.Call(http.MethodPost, "/api/order/po-line/", map[string]any{
		"order": po, "part": p.sp, "quantity": 3, "destination": p.bin,
	}, http.StatusCreated)
	if merged.PK() != line || merged.Object()["quantity"] != 8.0 {
		t.Errorf("merged line %s, want line %d with 8", merged, line)
	}
	unmerged := newLine(t, a, map[string]any{"order": po, "part": p.sp, "quantity": 1, "destination": p.bin, "merge_items": false})
	if unmerged == line {
		t.Error("merge_items false merged")
	}
	second := newLine(t, a, map[string]any{"order": po, "part": p.sp2, "quantity": "2", "purchase_price": 1, "purchase_price_currency": "EUR"})

	// Rules.
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"order": po, "part": p.sp, "quantity": 0}, errorBody("quantity", "Quantity must be greater than zero")},
		{map[string]any{"order": po, "part": p.sp, "quantity": -1}, errorBody("quantity", "Ensure this value is greater than or equal to 0.")},
		{map[string]any{"order": po, "part": p.otherSP, "quantity": 1},
			`{"part":["Supplier must match purchase order"],"order":["Purchase order must match supplier"]}`},
		{map[string]any{"order": 999999, "part": p.sp, "quantity": 1}, errorBody("order", `Invalid pk "999999" - object does not exist.`)},
		{map[string]any{"order": po, "part": 999999, "quantity": 1}, errorBody("part", `Invalid pk "999999" - object does not exist.`)},
		{map[string]any{"order": po, "part": p.sp, "quantity": 1, "build_order": 3}, errorBody("build_order", `Invalid pk "3" - object does not exist.`)},
	} {
		head := s.Head()
		a.Call(http.MethodPost, "/api/order/po-line/", c.body, http.StatusBadRequest).WantJSON(c.want)
		wantNoEvents(t, s, head)
	}

	a.Call(http.MethodPatch, orderLineURL(second), map[string]any{"quantity": 4}, http.StatusOK)
	a.Call(http.MethodPatch, orderLineURL(second), map[string]any{"order": 999999}, http.StatusBadRequest)

	// Extra lines and the order's total.
	extra := a.Call(http.MethodPost, "/api/order/po-extra-line/", map[string]any{
		"order": po, "quantity": 1, "reference": "Shipping", "price": "7.25", "price_currency": "EUR",
	}, http.StatusCreated)
	if x := extra.Object(); x["price"] != "7.250000" || x["total_price"] != "7.250000" || x["order"] != float64(po) {
		t.Errorf("extra line %v", x)
	}
	// 8 x 2.5 + 1 x (no price) + 4 x 1 + 7.25, in the supplier's EUR.
	if got := getObject(t, a, orderURL(po)); got["total_price"] != "31.250000" || got["line_items"] != 3.0 || got["order_currency"] != nil {
		t.Errorf("order %v, want total 31.25 over 3 lines", got)
	}
	// A price in another currency cannot be converted without exchange rates.
	a.Call(http.MethodPatch, fmt.Sprintf("/api/order/po-extra-line/%d/", extra.PK()), map[string]any{"price_currency": "USD"}, http.StatusOK)
	if got := getObject(t, a, orderURL(po)); got["total_price"] != nil {
		t.Errorf("total %v, want null for a mixed-currency order", got["total_price"])
	}
	a.Call(http.MethodPatch, orderURL(po), map[string]any{"order_currency": "USD"}, http.StatusOK)
	if got := getObject(t, a, orderURL(po)); got["total_price"] != nil || got["order_currency"] != "USD" {
		t.Errorf("order %v", got)
	}

	// Lists, filters, details.
	wantPKs(t, a, fmt.Sprintf("/api/order/po-line/?order=%d", po), line, unmerged, second)
	wantPKs(t, a, fmt.Sprintf("/api/order/po-line/?part=%d", p.sp2), second)
	wantPKs(t, a, fmt.Sprintf("/api/order/po-line/?base_part=%d&ordering=-quantity", p.part), line, unmerged)
	wantPKs(t, a, "/api/order/po-line/?has_pricing=true", line, second)
	wantPKs(t, a, "/api/order/po-line/?search=C100N", second)
	wantPKs(t, a, "/api/order/po-line/?pending=true", line, unmerged, second)
	wantPKs(t, a, fmt.Sprintf("/api/order/po-extra-line/?order=%d", po), extra.PK())
	d := getObject(t, a, orderLineURL(line)+"?part_detail=true&order_detail=true")
	if d["part_detail"].(map[string]any)["name"] != "R 10k" || d["supplier_part_detail"].(map[string]any)["SKU"] != "R10K-100" ||
		d["order_detail"].(map[string]any)["reference"] != "PO-0001" {
		t.Errorf("line details %v", d)
	}
	a.Get("/api/order/po-line/?order=999999", http.StatusBadRequest).
		WantJSON(errorBody("order", "Select a valid choice. That choice is not one of the available choices."))

	a.Call(http.MethodDelete, orderLineURL(unmerged), nil, http.StatusNoContent)
	a.Call(http.MethodDelete, fmt.Sprintf("/api/order/po-extra-line/%d/", extra.PK()), nil, http.StatusNoContent)
	wantPKs(t, a, fmt.Sprintf("/api/order/po-line/?order=%d", po), line, second)
	// A supplier part on order cannot be deleted.
	a.Call(http.MethodDelete, supplierPartURL(p.sp), nil, http.StatusBadRequest)
	// Deleting the order takes its lines.
	a.Call(http.MethodDelete, orderURL(po), nil, http.StatusNoContent)
	wantPKs(t, a, "/api/order/po-line/")
}

func TestPurchaseOrderList(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	p := newPurchaseSetup(t, a)
	o1 := newOrder(t, a, map[string]any{"reference": "PO-0001", "supplier": p.supplier, "target_date": "2000-01-01", "description": "old"})
	o2 := newOrder(t, a, map[string]any{"reference": "PO-0002", "supplier": p.other})
	o10 := newOrder(t, a, map[string]any{"reference": "PO-10", "supplier": p.supplier, "supplier_reference": "XYZ"})
	newLine(t, a, map[string]any{"order": o10, "part": p.sp2, "quantity": 1})

	// Default ordering: reference, descending, numerically.
	wantPKs(t, a, "/api/order/po/", o10, o2, o1)
	wantPKs(t, a, "/api/order/po/?ordering=reference", o1, o2, o10)
	wantPKs(t, a, fmt.Sprintf("/api/order/po/?supplier=%d", p.supplier), o10, o1)
	wantPKs(t, a, "/api/order/po/?overdue=true", o1)
	wantPKs(t, a, "/api/order/po/?outstanding=true", o10, o2, o1)
	wantPKs(t, a, "/api/order/po/?status=10&has_target_date=false", o10, o2)
	wantPKs(t, a, "/api/order/po/?reference=po-0002", o2)
	wantPKs(t, a, "/api/order/po/?search=xyz", o10)
	wantPKs(t, a, fmt.Sprintf("/api/order/po/?part=%d", p.part2), o10)
	wantPKs(t, a, fmt.Sprintf("/api/order/po/?supplier_part=%d", p.sp2), o10)
	wantPKs(t, a, "/api/order/po/?target_date_before=2001-01-01", o1)
	if got := getObject(t, a, orderURL(o1)); got["overdue"] != true {
		t.Errorf("o1 overdue %v", got["overdue"])
	}
	a.Get("/api/order/po/?supplier=999999", http.StatusBadRequest)
	a.Get("/api/order/po/?project_code=999999", http.StatusBadRequest)
	page := a.Get("/api/order/po/?limit=1&offset=1", http.StatusOK).Object()
	if page["count"] != 3.0 || page["results"].([]any)[0].(map[string]any)["pk"] != float64(o2) {
		t.Errorf("page %v", page)
	}
	// The next suggestion follows PO-10.
	opts := a.Call(http.MethodOptions, "/api/order/po/", nil, http.StatusOK).Object()
	if def := opts["actions"].(map[string]any)["POST"].(map[string]any)["reference"].(map[string]any)["default"]; def != "PO-0011" {
		t.Errorf("suggested reference %v, want PO-0011", def)
	}
}

func TestPurchaseOrderRoles(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	p := newPurchaseSetup(t, a)
	viewer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.view"}})
	buyer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.add"}})
	viewer.For(t).Call(http.MethodPost, "/api/order/po/", map[string]any{"reference": "PO-0001", "supplier": p.supplier}, http.StatusForbidden)
	po := buyer.For(t).Call(http.MethodPost, "/api/order/po/", map[string]any{"reference": "PO-0001", "supplier": p.supplier}, http.StatusCreated).Object()
	if po["created_by"].(map[string]any)["username"] != buyer.Username {
		t.Errorf("created_by %v, want %s", po["created_by"], buyer.Username)
	}
	viewer.For(t).Get("/api/order/po/", http.StatusOK)
}

func TestPurchaseOrderTransitions(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	p := newPurchaseSetup(t, a)
	po := newOrder(t, a, map[string]any{"reference": "PO-0001", "supplier": p.supplier})
	newLine(t, a, map[string]any{"order": po, "part": p.sp, "quantity": 2})
	action := func(pk int64, name string, body any, want int) *Response {
		t.Helper()
		return a.Call(http.MethodPost, fmt.Sprintf("/api/order/po/%d/%s/", pk, name), body, want)
	}
	statusOf := func(pk int64) float64 {
		t.Helper()
		return getObject(t, a, orderURL(pk))["status"].(float64)
	}
	refused := func(pk int64, name string, body any, want string) {
		t.Helper()
		head := s.Head()
		action(pk, name, body, http.StatusBadRequest).WantJSON(want)
		wantNoEvents(t, s, head)
	}

	// Completing a pending order, and issuing twice, are refused with the reason.
	refused(po, "complete", map[string]any{"accept_incomplete": true}, errorBody("non_field_errors", "Only a placed order can be completed"))
	head := s.Head()
	action(po, "issue", nil, http.StatusCreated).WantJSON(`{}`)
	evs := s.EventsAfter(head)
	if len(evs) != 1 || evs[0].Type != "PurchaseOrderIssued" || evs[0].Metadata.User != "admin" {
		t.Fatalf("issue appended %+v", evs)
	}
	if got := getObject(t, a, orderURL(po)); got["status"] != 20.0 || got["status_text"] != "Placed" || got["issue_date"] == nil {
		t.Errorf("issued order %v", got)
	}
	refused(po, "issue", nil, errorBody("non_field_errors", "Only a pending or on-hold order can be issued"))

	action(po, "hold", nil, http.StatusCreated)
	if statusOf(po) != 25 {
		t.Errorf("status %v, want 25", statusOf(po))
	}
	refused(po, "hold", nil, errorBody("non_field_errors", "Only a pending or placed order can be placed on hold"))
	// inventree-python builds this URL with a doubled slash.
	a.Call(http.MethodPost, fmt.Sprintf("/api/order/po//%d/issue/", po), map[string]any{}, http.StatusCreated)
	if statusOf(po) != 20 {
		t.Errorf("status %v, want 20", statusOf(po))
	}

	refused(po, "complete", map[string]any{}, errorBody("accept_incomplete", "Order has incomplete line items"))
	action(po, "complete", map[string]any{"accept_incomplete": true}, http.StatusCreated).WantJSON(`{"accept_incomplete":true}`)
	if got := getObject(t, a, orderURL(po)); got["status"] != 30.0 || got["complete_date"] == nil || got["status_text"] != "Complete" {
		t.Errorf("completed order %v", got)
	}
	refused(po, "cancel", nil, errorBody("non_field_errors", "Order cannot be cancelled"))
	// A complete order is locked.
	a.Call(http.MethodPatch, orderURL(po), map[string]any{"description": "late edit"}, http.StatusBadRequest).
		WantJSON(errorBody("reference", "This order is locked and cannot be modified"))

	other := newOrder(t, a, map[string]any{"reference": "PO-0002", "supplier": p.supplier})
	action(other, "cancel", nil, http.StatusCreated)
	if statusOf(other) != 40 {
		t.Errorf("status %v, want 40", statusOf(other))
	}
	refused(other, "cancel", nil, errorBody("non_field_errors", "Order cannot be cancelled"))
	refused(other, "issue", nil, errorBody("non_field_errors", "Only a pending or on-hold order can be issued"))
	a.Call(http.MethodPost, "/api/order/po/999999/issue/", nil, http.StatusNotFound)

	// The actions need purchase_order.add.
	third := newOrder(t, a, map[string]any{"reference": "PO-0003", "supplier": p.supplier})
	viewer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.view"}})
	buyer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.add"}})
	for _, name := range []string{"issue", "hold", "cancel", "complete"} {
		viewer.For(t).Call(http.MethodPost, fmt.Sprintf("/api/order/po/%d/%s/", third, name), nil, http.StatusForbidden)
	}
	buyer.For(t).Call(http.MethodPost, fmt.Sprintf("/api/order/po/%d/issue/", third), nil, http.StatusCreated)
}
