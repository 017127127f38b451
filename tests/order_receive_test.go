package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

// Receiving stock against purchase orders: POST /api/order/po/{id}/receive/.

func receiveURL(pk int64) string { return fmt.Sprintf("/api/order/po/%d/receive/", pk) }

// receiptSetup is a placed order of the purchase setup: line 1 orders 3 packs of 100 of
// the resistor at 2.50 a pack, line 2 orders 4 of the capacitor (a trackable part).
type receiptSetup struct {
	purchaseSetup
	po, line1, line2 int64
}

func newReceiptSetup(t *testing.T, a *Client) receiptSetup {
	t.Helper()
	r := receiptSetup{purchaseSetup: newPurchaseSetup(t, a)}
	a.Call(http.MethodPatch, partURL(r.part2), map[string]any{"trackable": true}, http.StatusOK)
	r.po = newOrder(t, a, map[string]any{"reference": "PO-0001", "supplier": r.supplier})
	r.line1 = newLine(t, a, map[string]any{"order": r.po, "part": r.sp, "quantity": 3, "purchase_price": "2.5", "purchase_price_currency": "EUR"})
	r.line2 = newLine(t, a, map[string]any{"order": r.po, "part": r.sp2, "quantity": 4, "destination": r.bin})
	return r
}

func (r receiptSetup) issue(t *testing.T, a *Client) {
	t.Helper()
	a.Call(http.MethodPost, fmt.Sprintf("/api/order/po/%d/issue/", r.po), nil, http.StatusCreated)
}

func receiveAuthRows() []authRow {
	return []authRow{
		{Method: http.MethodPost, Path: receiveURL(999999), Admits: hasRole, Role: user.RolePurchaseOrder, Perm: user.PermAdd, Body: map[string]any{}},
		{Method: http.MethodOptions, Path: receiveURL(999999), Admits: hasRole, Role: user.RolePurchaseOrder, Perm: user.PermView},
	}
}

// postWithHeader POSTs body as JSON with c's credentials and one more header (none when
// value is empty).
func postWithHeader(t *testing.T, c *Client, path string, body any, header, value string) *Response {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", c.auth)
	if value != "" {
		req.Header.Set(header, value)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{t: t, Method: http.MethodPost, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func item(fields ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

func TestPurchaseReceiveRules(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	r := newReceiptSetup(t, a)
	other := newOrder(t, a, map[string]any{"reference": "PO-0002", "supplier": r.supplier})
	otherLine := newLine(t, a, map[string]any{"order": other, "part": r.sp, "quantity": 1})
	structural := stockLocation(t, a, "Racks", 0, map[string]any{"structural": true})

	refused := func(body any, want string) {
		t.Helper()
		head := s.Head()
		a.Call(http.MethodPost, receiveURL(r.po), body, http.StatusBadRequest).WantJSON(want)
		wantNoEvents(t, s, head)
	}
	// Not placed yet.
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1)}, "location": r.shelf},
		errorBody("non_field_errors", "Lines can only be received against an order marked as 'PLACED'"))
	r.issue(t, a)

	refused(map[string]any{}, errorBody("items", "This field is required."))
	refused(map[string]any{"items": []any{}}, errorBody("non_field_errors", "Line items must be provided"))
	refused(map[string]any{"items": []any{map[string]any{}}},
		`{"items":[{"line_item":["This field is required."],"quantity":["This field is required."]}]}`)
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 0)}, "location": r.shelf},
		`{"items":[{"quantity":["Quantity must be greater than zero"]}]}`)
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1, "status", 999)}, "location": r.shelf},
		`{"items":[{"status":["\"999\" is not a valid choice."]}]}`)
	refused(map[string]any{"items": []any{item("line_item", 999999, "quantity", 1)}, "location": r.shelf},
		`{"items":[{"line_item":["Invalid pk \"999999\" - object does not exist."]}]}`)
	refused(map[string]any{"items": []any{item("line_item", otherLine, "quantity", 1)}, "location": r.shelf},
		errorBody("non_field_errors", "Line item does not match purchase order"))
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1)}},
		errorBody("location", "Destination location must be specified"))
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1)}, "location": 999999},
		errorBody("location", `Invalid pk "999999" - object does not exist.`))
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1, "location", structural)}},
		`{"items":[{"location":["Stock items cannot be located into structural stock locations!"]}]}`)
	refused(map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1, "barcode", "ABC")}, "location": r.shelf},
		`{"items":[{"barcode":["Barcodes cannot be assigned to received items on this server"]}]}`)

	// All or nothing: the first item is fine, the second is not, nothing is received.
	refused(map[string]any{"items": []any{
		item("line_item", r.line1, "quantity", 1),
		item("line_item", r.line1, "quantity", 1, "serial_numbers", "1-100"),
		item("line_item", r.line2, "quantity", 2, "serial_numbers", "1-3"),
	}, "location": r.shelf}, `{"items":[{},{"serial_numbers":["Serial numbers cannot be supplied for a non-trackable part"]},
		{"quantity":["Group range 1-3 exceeds allowed quantity (2)"],"serial_numbers":["Group range 1-3 exceeds allowed quantity (2)"]}]}`)
	if got := getObject(t, a, orderLineURL(r.line1)); got["received"] != 0.0 {
		t.Errorf("line 1 received %v after a refused receipt", got["received"])
	}
	wantPKs(t, a, fmt.Sprintf("/api/stock/?part=%d", r.part))

	// Serial numbers already in use are refused.
	stockItems(t, a, map[string]any{"part": r.part2, "quantity": 1, "serial_numbers": "7", "location": r.shelf})
	refused(map[string]any{"items": []any{item("line_item", r.line2, "quantity", 2, "serial_numbers", "6-7")}, "location": r.shelf},
		`{"items":[{"serial_numbers":["The following serial numbers already exist or are invalid: 7"]}]}`)

	// The action needs purchase_order.add.
	viewer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.view", "stock.all"}})
	viewer.For(t).Call(http.MethodPost, receiveURL(r.po), map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1)}, "location": r.shelf}, http.StatusForbidden)
	a.Call(http.MethodPost, receiveURL(999999), map[string]any{}, http.StatusNotFound)
}

// TestPurchaseReceiveIntoLocations is the issue's "done when": a purchase placed,
// received in parts into several locations and completed, with the history of the
// received items in /api/stock/track/ and every step in the log.
func TestPurchaseReceiveIntoLocations(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	r := newReceiptSetup(t, a)
	r.issue(t, a)
	head := s.Head()

	// One pack of line 1 to the shelf, two capacitors (serialized) to line 2's destination.
	created := a.Call(http.MethodPost, receiveURL(r.po), map[string]any{
		"items": []any{
			item("line_item", r.line1, "quantity", "1", "location", r.shelf, "batch_code", "B-1", "note", "first box"),
			item("line_item", r.line2, "quantity", 2, "serial_numbers", "100+", "status", 50),
		},
	}, http.StatusCreated).List()
	if len(created) != 3 {
		t.Fatalf("created %d items, want 3: %v", len(created), created)
	}
	first := created[0]
	if first["quantity"] != 100.0 || first["location"] != float64(r.shelf) || first["supplier_part"] != float64(r.sp) ||
		first["purchase_order"] != float64(r.po) || first["batch"] != "B-1" || first["purchase_price"] != "0.025000" ||
		first["purchase_price_currency"] != "EUR" || first["notes"] != "first box" || first["part"] != float64(r.part) {
		t.Errorf("received item %v", first)
	}
	for i, serial := range []string{"100", "101"} {
		it := created[i+1]
		if it["serial"] != serial || it["quantity"] != 1.0 || it["location"] != float64(r.bin) || it["status"] != 50.0 {
			t.Errorf("serialized item %d: %v", i, it)
		}
	}
	firstPK := int64(first["pk"].(float64))
	wantTracking(t, a, firstPK, trackingEntry{Type: 70, Deltas: fmt.Sprintf(`{"location":%d,"purchaseorder":%d,"quantity":100.0}`, r.shelf, r.po)})
	track := a.Get(query("/api/stock/track/", "item", fmt.Sprint(firstPK)), http.StatusOK).List()
	if track[0]["label"] != "Received against Purchase Order" || track[0]["user"] != float64(s.Admin.PK) {
		t.Errorf("tracking entry %v", track[0])
	}
	// The log holds the receipt and the new items, in one append, by the admin.
	var types []string
	for _, ev := range s.EventsAfter(head) {
		types = append(types, ev.Type)
		if ev.Metadata.User != "admin" {
			t.Errorf("event %s by %q", ev.Type, ev.Metadata.User)
		}
	}
	if !slices.Contains(types, "PurchaseOrderReceived") || strings.Count(strings.Join(types, ","), "StockItemCreated") != 3 {
		t.Errorf("appended %v", types)
	}
	if got := getObject(t, a, orderLineURL(r.line1)); got["received"] != 1.0 {
		t.Errorf("line 1 received %v, want 1", got["received"])
	}
	if got := getObject(t, a, orderURL(r.po)); got["status"] != 20.0 || got["completed_lines"] != 0.0 {
		t.Errorf("order after a partial receipt %v", got)
	}

	// The rest of line 1 into the bin: the request's location.
	a.Call(http.MethodPost, receiveURL(r.po), map[string]any{
		"items": []any{item("line_item", r.line1, "quantity", 2)}, "location": r.bin,
	}, http.StatusCreated)
	if got := getObject(t, a, orderURL(r.po)); got["completed_lines"] != 1.0 || got["status"] != 20.0 {
		t.Errorf("order %v, want one line complete", got)
	}
	// The last two capacitors: line 2 has its destination; receiving it completes the
	// order.
	a.Call(http.MethodPost, receiveURL(r.po), map[string]any{
		"items": []any{item("line_item", r.line2, "quantity", 2, "serial_numbers", "102, 103")},
	}, http.StatusCreated)
	done := getObject(t, a, orderURL(r.po))
	if done["status"] != 30.0 || done["complete_date"] == nil || done["completed_lines"] != 2.0 {
		t.Errorf("order %v, want complete", done)
	}
	// Completing it as well, as clients do after receiving everything, changes nothing.
	head = s.Head()
	a.Call(http.MethodPost, fmt.Sprintf("/api/order/po/%d/complete/", r.po), map[string]any{}, http.StatusCreated).
		WantJSON(`{"accept_incomplete":false}`)
	wantNoEvents(t, s, head)
	wantSamePKs(t, a, fmt.Sprintf("/api/stock/?location=%d&part=%d&cascade=false", r.shelf, r.part), firstPK)
	if n := len(pksOf(a.Get(fmt.Sprintf("/api/stock/?location=%d", r.bin), http.StatusOK))); n != 5 {
		t.Errorf("%d items in the bin, want 5", n)
	}
	a.Call(http.MethodPost, receiveURL(r.po), map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1)}, "location": r.bin},
		http.StatusBadRequest).WantJSON(errorBody("non_field_errors", "Lines can only be received against an order marked as 'PLACED'"))
	// Stock was received against it: the order cannot be deleted.
	a.Call(http.MethodDelete, orderURL(r.po), nil, http.StatusBadRequest)
}

// TestPurchaseReceiveIdempotent: a client retry with the same Idempotency-Key does not
// receive twice, and answers the first receipt's items.
func TestPurchaseReceiveIdempotent(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	r := newReceiptSetup(t, a)
	r.issue(t, a)
	body := map[string]any{"items": []any{item("line_item", r.line1, "quantity", 1)}, "location": r.shelf}
	send := func(key string, body any, want int) *Response {
		t.Helper()
		resp := postWithHeader(t, a, receiveURL(r.po), body, "Idempotency-Key", key)
		if resp.Status != want {
			t.Fatalf("%s, want %d", resp, want)
		}
		return resp
	}

	first := pksOf(send("retry-1", body, http.StatusCreated))
	head := s.Head()
	again := pksOf(send("retry-1", body, http.StatusCreated))
	if !slices.Equal(first, again) {
		t.Errorf("the retry answered %v, want %v", again, first)
	}
	wantNoEvents(t, s, head)
	if got := getObject(t, a, orderLineURL(r.line1)); got["received"] != 1.0 {
		t.Errorf("received %v after a retry, want 1", got["received"])
	}
	// The same key for another request is refused.
	send("retry-1", map[string]any{"items": []any{item("line_item", r.line1, "quantity", 2)}, "location": r.shelf}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "This Idempotency-Key was already used for a different request"))
	// Without a key, the same body is another receipt.
	send("", body, http.StatusCreated)
	if got := getObject(t, a, orderLineURL(r.line1)); got["received"] != 2.0 {
		t.Errorf("received %v, want 2", got["received"])
	}

	// Concurrent retries of one request: one receipt.
	var wg sync.WaitGroup
	answers := make([][]int64, 4)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = pksOf(send("retry-2", map[string]any{"items": []any{item("line_item", r.line2, "quantity", 1)}, "location": r.shelf}, http.StatusCreated))
		}()
	}
	wg.Wait()
	for _, got := range answers[1:] {
		if !slices.Equal(got, answers[0]) {
			t.Errorf("concurrent retries answered %v", answers)
		}
	}
	if got := getObject(t, a, orderLineURL(r.line2)); got["received"] != 1.0 {
		t.Errorf("line 2 received %v after concurrent retries, want 1", got["received"])
	}
}
