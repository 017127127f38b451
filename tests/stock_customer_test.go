package tests

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

// Stock given to a customer and taken back: /api/stock/assign/ and /api/stock/return/.

func stockCustomerAuthRows() []authRow {
	empty := map[string]any{}
	var rows []authRow
	for _, action := range []string{"assign", "return"} {
		rows = append(rows,
			authRow{Method: http.MethodPost, Path: "/api/stock/" + action + "/", Admits: hasRole, Role: user.RoleStock, Perm: user.PermAdd, Body: empty},
			authRow{Method: http.MethodOptions, Path: "/api/stock/" + action + "/", Admits: hasRole, Role: user.RoleStock, Perm: user.PermView})
	}
	return rows
}

func TestStockAssignToCustomer(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	customer := newCompany(t, a, map[string]any{"name": "Buyer Ltd", "is_customer": true})
	supplier := newCompany(t, a, map[string]any{"name": "Supplier"})
	salable := newPart(t, a, map[string]any{"name": "Widget", "salable": true})
	notForSale := newPart(t, a, map[string]any{"name": "Jig"})
	shelf := stockLocation(t, a, "Shelf", 0)
	item := stockItem(t, a, salable, "10", shelf)
	jig := stockItem(t, a, notForSale, "1", shelf)
	destroyed := stockItem(t, a, salable, "1", shelf, map[string]any{"status": 60})

	// Field rules first, then the customer, then the items.
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{}, http.StatusBadRequest).
		WantJSON(`{"items":["This field is required."],"customer":["This field is required."]}`)
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{"items": []any{map[string]any{"item": item}}, "customer": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("customer", `Invalid pk "999999" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{"items": []any{map[string]any{"item": item}}, "customer": supplier}, http.StatusBadRequest).
		WantJSON(errorBody("customer", "Selected company is not a customer"))
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{"items": []any{}, "customer": customer}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "A list of stock items must be provided"))

	// All or nothing: one refused item and nothing is assigned.
	head := s.Head()
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{
		"items":    []any{map[string]any{"item": item}, map[string]any{"item": jig}, map[string]any{"item": destroyed}, map[string]any{"item": 999999}},
		"customer": customer,
	}, http.StatusBadRequest).WantJSON(`{"items":[{},{"item":["Part must be salable"]},{"item":["Item must be in stock"]},
		{"item":["Invalid pk \"999999\" - object does not exist."]}]}`)
	wantNoEvents(t, s, head)

	r := a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{
		"items": []any{map[string]any{"item": item}}, "customer": customer, "notes": "sold at the counter",
	}, http.StatusCreated)
	r.WantJSON(fmt.Sprintf(`{"items":[{"item":%d}],"customer":%d,"notes":"sold at the counter"}`, item, customer))
	got := getObject(t, a, stockItemURL(item))
	if got["customer"] != float64(customer) || got["location"] != nil || got["in_stock"] != false || got["quantity"] != 10.0 {
		t.Errorf("assigned item %v", got)
	}
	wantTracking(t, a, item,
		trackingEntry{Type: 1, Deltas: `{"quantity":10.0,"status":10}`},
		trackingEntry{Type: 100, Deltas: fmt.Sprintf(`{"customer":%d,"customer_name":"Buyer Ltd"}`, customer)})
	wantPKs(t, a, fmt.Sprintf("/api/stock/?customer=%d", customer), item)
	if n := getObject(t, a, locationURL(shelf))["items"]; n != 2.0 {
		t.Errorf("shelf holds %v items, want 2", n)
	}
	// Stock at a customer is not in stock: it cannot be moved or given again.
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{
		"items": []any{map[string]any{"pk": item, "quantity": 1}}, "location": shelf,
	}, http.StatusBadRequest).WantJSON(`{"items":[{"pk":["Stock item is not in stock"]}]}`)
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{"items": []any{map[string]any{"item": item}}, "customer": customer},
		http.StatusBadRequest).WantJSON(`{"items":[{"item":["Item must be in stock"]}]}`)
}

func TestStockReturnFromCustomer(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	customer := newCompany(t, a, map[string]any{"name": "Buyer Ltd", "is_customer": true})
	widget := newPart(t, a, map[string]any{"name": "Widget", "salable": true})
	shelf := stockLocation(t, a, "Shelf", 0)
	returns := stockLocation(t, a, "Returns", 0)
	item := stockItem(t, a, widget, "10", shelf)
	inStock := stockItem(t, a, widget, "3", shelf)
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{"items": []any{map[string]any{"item": item}}, "customer": customer}, http.StatusCreated)
	wantShipped(t, a, widget, 10)

	a.Call(http.MethodPost, "/api/stock/return/", map[string]any{}, http.StatusBadRequest).
		WantJSON(`{"items":["This field is required."],"location":["This field is required."]}`)
	head := s.Head()
	a.Call(http.MethodPost, "/api/stock/return/", map[string]any{
		"items": []any{map[string]any{"pk": item, "quantity": 0}}, "location": returns,
	}, http.StatusBadRequest).WantJSON(`{"items":[{"quantity":["Quantity must be greater than zero"]}]}`)
	a.Call(http.MethodPost, "/api/stock/return/", map[string]any{
		"items": []any{map[string]any{"pk": item, "quantity": 2}, map[string]any{"pk": inStock, "quantity": 1}}, "location": returns,
	}, http.StatusBadRequest).WantJSON(`{"items":[{},{"pk":["Stock item is not assigned to a customer"]}]}`)
	a.Call(http.MethodPost, "/api/stock/return/", map[string]any{
		"items": []any{map[string]any{"pk": item, "quantity": 11}}, "location": returns,
	}, http.StatusBadRequest).WantJSON(`{"items":[{"quantity":["Quantity exceeds available stock"]}]}`)
	wantNoEvents(t, s, head)

	// Part of it comes back: split off at the customer, then returned.
	r := a.Call(http.MethodPost, "/api/stock/return/", map[string]any{
		"items": []any{map[string]any{"pk": item, "quantity": "4", "status": 55}}, "location": returns, "notes": "broken in transit",
	}, http.StatusCreated)
	r.WantJSON(fmt.Sprintf(`{"items":[{"pk":%d,"quantity":"4.00000","status":55,"merge":false}],"notes":"broken in transit","location":%d}`, item, returns))
	back := pksOf(a.Get(fmt.Sprintf("/api/stock/?location=%d", returns), http.StatusOK))
	if len(back) != 1 {
		t.Fatalf("items at returns: %v", back)
	}
	got := getObject(t, a, stockItemURL(back[0]))
	if got["quantity"] != 4.0 || got["customer"] != nil || got["status"] != 55.0 || got["parent"] != float64(item) || got["in_stock"] != true {
		t.Errorf("returned item %v", got)
	}
	wantTracking(t, a, back[0],
		trackingEntry{Type: 40, Deltas: fmt.Sprintf(`{"quantity":4.0,"stockitem":%d}`, item)},
		trackingEntry{Type: 105, Deltas: fmt.Sprintf(`{"status":55,"location":%d,"customer":%d,"customer_name":"Buyer Ltd"}`, returns, customer)})
	if got := getObject(t, a, stockItemURL(item)); got["quantity"] != 6.0 || got["customer"] != float64(customer) {
		t.Errorf("the item at the customer after a partial return: %v", got)
	}

	// The rest comes back whole.
	a.Call(http.MethodPost, "/api/stock/return/", map[string]any{
		"items": []any{map[string]any{"pk": item, "quantity": 6}}, "location": shelf,
	}, http.StatusCreated)
	got = getObject(t, a, stockItemURL(item))
	if got["quantity"] != 6.0 || got["customer"] != nil || got["location"] != float64(shelf) || got["in_stock"] != true {
		t.Errorf("returned item %v", got)
	}
	wantPKs(t, a, fmt.Sprintf("/api/stock/?customer=%d", customer))
	wantShipped(t, a, widget, 0) // all of it came back
}

// wantShipped checks what the monthly movement summary counts as shipped of part, over
// every month: stock given to customers less what they returned.
func wantShipped(t *testing.T, c *Client, part int64, want float64) {
	t.Helper()
	var shipped float64
	for _, r := range c.Get(fmt.Sprintf("/api/report/monthly-movements/?part=%d", part), http.StatusOK).List() {
		shipped += r["shipped"].(float64)
	}
	if shipped != want {
		t.Errorf("part %d: shipped %v, want %v", part, shipped, want)
	}
}

// TestStockReturnMerges: with merge, what comes back is folded into the item it was
// split from, when that item is where it comes back to.
func TestStockReturnMerges(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	customer := newCompany(t, a, map[string]any{"name": "Buyer", "is_customer": true})
	widget := newPart(t, a, map[string]any{"name": "Widget", "salable": true})
	shelf := stockLocation(t, a, "Shelf", 0)
	counter := stockLocation(t, a, "Counter", 0)
	origin := stockItem(t, a, widget, "10", shelf)
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{
		"items": []any{map[string]any{"pk": origin, "quantity": 4}}, "location": counter,
	}, http.StatusCreated)
	sold := pksOf(a.Get(fmt.Sprintf("/api/stock/?location=%d", counter), http.StatusOK))[0]
	a.Call(http.MethodPost, "/api/stock/assign/", map[string]any{"items": []any{map[string]any{"item": sold}}, "customer": customer}, http.StatusCreated)

	a.Call(http.MethodPost, "/api/stock/return/", map[string]any{
		"items": []any{map[string]any{"pk": sold, "quantity": 4}}, "location": shelf, "merge": true,
	}, http.StatusCreated)
	if q := quantityOf(t, a, origin); q != 10 {
		t.Errorf("origin holds %v, want 10", q)
	}
	a.Get(stockItemURL(sold), http.StatusNotFound)
}
