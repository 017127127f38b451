package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
)

// The stock area end to end: /api/stock/location/..., /api/stock/..., the stock
// actions and /api/stock/track/ over HTTP, against the real server.

// ---- helpers ----

func locationURL(pk int64) string  { return fmt.Sprintf("/api/stock/location/%d/", pk) }
func stockItemURL(pk int64) string { return fmt.Sprintf("/api/stock/%d/", pk) }

// stockLocation creates a location and returns its pk.
func stockLocation(t *testing.T, c *Client, name string, parent int64, extra ...map[string]any) int64 {
	t.Helper()
	body := map[string]any{"name": name}
	if parent != 0 {
		body["parent"] = parent
	}
	for _, e := range extra {
		for k, v := range e {
			body[k] = v
		}
	}
	return c.Create(t, "/api/stock/location/", body)
}

// stockItems creates stock and returns the pks of the items created.
func stockItems(t *testing.T, c *Client, body map[string]any) []int64 {
	t.Helper()
	return pksOf(c.For(t).Call(http.MethodPost, "/api/stock/", body, http.StatusCreated))
}

// stockItem creates one item of part with qty at location (0: none) and returns its
// pk.
func stockItem(t *testing.T, c *Client, part int64, qty string, location int64, extra ...map[string]any) int64 {
	t.Helper()
	body := map[string]any{"part": part, "quantity": qty, "location": location}
	if location == 0 {
		body["location"] = ""
	}
	for _, e := range extra {
		for k, v := range e {
			body[k] = v
		}
	}
	pks := stockItems(t, c, body)
	if len(pks) != 1 {
		t.Fatalf("created %v, want one item", pks)
	}
	return pks[0]
}

// object reads one object at path.
func getObject(t *testing.T, c *Client, path string) map[string]any {
	t.Helper()
	return c.For(t).Get(path, http.StatusOK).Object()
}

// quantityOf is an item's quantity as the API shows it.
func quantityOf(t *testing.T, c *Client, item int64) float64 {
	t.Helper()
	q, ok := getObject(t, c, stockItemURL(item))["quantity"].(float64)
	if !ok {
		t.Fatalf("item %d: quantity is no number", item)
	}
	return q
}

// trackingEntry is what the tests compare of a tracking entry.
type trackingEntry struct {
	Type   int
	Deltas string // JSON
}

// trackingOf is an item's tracking history, oldest first, as /api/stock/track/ gives
// it.
func trackingOf(t *testing.T, c *Client, item int64) []trackingEntry {
	t.Helper()
	var rows []struct {
		Item         *int64          `json:"item"`
		TrackingType int             `json:"tracking_type"`
		Deltas       json.RawMessage `json:"deltas"`
		Label        string          `json:"label"`
		Date         string          `json:"date"`
	}
	c.For(t).Get(query("/api/stock/track/", "item", fmt.Sprint(item), "ordering", "date"), http.StatusOK).JSON(&rows)
	out := make([]trackingEntry, len(rows))
	for i, r := range rows {
		if r.Label == "" || r.Date == "" || r.Item == nil || *r.Item != item {
			t.Errorf("tracking entry %+v: no label, date or item", r)
		}
		var v any
		_ = json.Unmarshal(r.Deltas, &v)
		d, _ := json.Marshal(v)
		out[i] = trackingEntry{Type: r.TrackingType, Deltas: string(d)}
	}
	return out
}

// wantTracking fails unless an item's history is want (deltas compared as JSON).
func wantTracking(t *testing.T, c *Client, item int64, want ...trackingEntry) {
	t.Helper()
	got := trackingOf(t, c, item)
	norm := make([]trackingEntry, len(want))
	for i, w := range want {
		var v any
		if err := json.Unmarshal([]byte(w.Deltas), &v); err != nil {
			t.Fatalf("bad expectation %q", w.Deltas)
		}
		d, _ := json.Marshal(v)
		norm[i] = trackingEntry{Type: w.Type, Deltas: string(d)}
	}
	if !slices.Equal(got, norm) {
		t.Errorf("item %d tracking\n got %v\nwant %v", item, got, norm)
	}
}

// wantNoEvents fails if anything was appended after head.
func wantNoEvents(t *testing.T, s *Server, head eventstore.Position) {
	t.Helper()
	if evs := s.For(t).EventsAfter(head); len(evs) > 0 {
		t.Errorf("a refused request appended %d events, the first %s on %s", len(evs), evs[0].Type, evs[0].Stream)
	}
}

// ---- auth ----

func stockAuthRows() []authRow {
	const (
		get, post, put, patch, del, opts = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions
		noLocation                       = "/api/stock/location/999999/"
		noItem                           = "/api/stock/999999/"
		noEntry                          = "/api/stock/track/999999/"
	)
	empty := map[string]any{}
	loc, item := user.RoleStockLocation, user.RoleStock
	view, add, change, remove := user.PermView, user.PermAdd, user.PermChange, user.PermDelete
	rows := []authRow{
		{Method: get, Path: "/api/stock/location/", Admits: hasRole, Role: loc, Perm: view},
		{Method: opts, Path: "/api/stock/location/", Admits: hasRole, Role: loc, Perm: view},
		{Method: post, Path: "/api/stock/location/", Admits: hasRole, Role: loc, Perm: add, Body: empty},
		{Method: get, Path: "/api/stock/location/tree/", Admits: hasRole, Role: loc, Perm: view},
		{Method: get, Path: noLocation, Admits: hasRole, Role: loc, Perm: view},
		{Method: put, Path: noLocation, Admits: hasRole, Role: loc, Perm: change, Body: empty},
		{Method: patch, Path: noLocation, Admits: hasRole, Role: loc, Perm: change, Body: empty},
		{Method: del, Path: noLocation, Admits: hasRole, Role: loc, Perm: remove},

		{Method: get, Path: "/api/stock/", Admits: hasRole, Role: item, Perm: view},
		{Method: opts, Path: "/api/stock/", Admits: hasRole, Role: item, Perm: view},
		{Method: post, Path: "/api/stock/", Admits: hasRole, Role: item, Perm: add, Body: empty},
		{Method: get, Path: noItem, Admits: hasRole, Role: item, Perm: view},
		{Method: put, Path: noItem, Admits: hasRole, Role: item, Perm: change, Body: empty},
		{Method: patch, Path: noItem, Admits: hasRole, Role: item, Perm: change, Body: empty},
		{Method: del, Path: noItem, Admits: hasRole, Role: item, Perm: remove},

		{Method: get, Path: "/api/stock/track/", Admits: hasRole, Role: item, Perm: view},
		{Method: get, Path: noEntry, Admits: hasRole, Role: item, Perm: view},
	}
	for _, action := range []string{"add", "remove", "count", "transfer", "merge", "change_status"} {
		rows = append(rows, authRow{Method: post, Path: "/api/stock/" + action + "/", Admits: hasRole, Role: item, Perm: add, Body: empty})
	}
	// InvenTree's StockItemContextMixin: role_required stock.change on every method; a
	// POST needs stock.add too, as for every stock write.
	for _, action := range []string{"serialize", "install", "uninstall"} {
		rows = append(rows,
			authRow{Method: post, Path: noItem + action + "/", Admits: hasRole, Role: item, Perm: add, Body: empty},
			authRow{Method: opts, Path: noItem + action + "/", Admits: hasRole, Role: item, Perm: change})
	}
	return rows
}

// ---- locations ----

func TestStockLocationCRUD(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	created := a.Call(http.MethodPost, "/api/stock/location/", map[string]any{
		"name": "Warehouse", "description": "Main store", "custom_icon": "ti:building:outline",
	}, http.StatusCreated)
	wh := created.PK()
	created.WantJSON(fmt.Sprintf(`{"pk":%d,"barcode_hash":"","name":"Warehouse","level":0,"description":"Main store",
		"parent":null,"pathstring":"Warehouse","items":0,"sublocations":0,"owner":null,"icon":"ti:building:outline",
		"custom_icon":"ti:building:outline","structural":false,"external":false,"location_type":null,
		"location_type_detail":null,"tags":[]}`, wh))
	shelf := stockLocation(t, a, "Shelf", wh)
	bin := stockLocation(t, a, "Bin", shelf)
	b := getObject(t, a, locationURL(bin))
	if b["pathstring"] != "Warehouse/Shelf/Bin" || b["level"] != 2.0 || b["parent"] != float64(shelf) {
		t.Errorf("bin = %v", b)
	}
	if _, ok := b["path"]; ok {
		t.Errorf("path without path_detail")
	}
	path := getObject(t, a, locationURL(bin)+"?path_detail=true")["path"]
	if got, _ := json.Marshal(path); string(got) != fmt.Sprintf(`[{"icon":"ti:building:outline","name":"Warehouse","pk":%d},{"icon":"","name":"Shelf","pk":%d},{"icon":"","name":"Bin","pk":%d}]`, wh, shelf, bin) {
		t.Errorf("path = %s", got)
	}
	if w := getObject(t, a, locationURL(wh)); w["sublocations"] != 2.0 {
		t.Errorf("warehouse sublocations %v", w["sublocations"])
	}

	// PATCH renames; the path below follows. PUT needs the name.
	a.Call(http.MethodPatch, locationURL(shelf), map[string]any{"name": "Rack"}, http.StatusOK)
	if p := getObject(t, a, locationURL(bin))["pathstring"]; p != "Warehouse/Rack/Bin" {
		t.Errorf("after rename: %v", p)
	}
	a.Call(http.MethodPut, locationURL(shelf), map[string]any{"description": "x"}, http.StatusBadRequest).
		WantJSON(errorBody("name", "This field is required."))
	a.Call(http.MethodPut, locationURL(shelf), map[string]any{"name": "Rack", "description": "Tall"}, http.StatusOK)
	// Moving to the top level, then back.
	top := a.Call(http.MethodPatch, locationURL(bin), map[string]any{"parent": nil}, http.StatusOK).Object()
	if top["parent"] != nil || top["pathstring"] != "Bin" || top["level"] != 0.0 {
		t.Errorf("moved to top: %v", top)
	}
	a.Call(http.MethodPatch, locationURL(bin), map[string]any{"parent": shelf}, http.StatusOK)

	// Rules.
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{}, http.StatusBadRequest).
		WantJSON(errorBody("name", "This field is required."))
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": ""}, http.StatusBadRequest).
		WantJSON(errorBody("name", "This field may not be blank."))
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": string(make([]byte, 101))}, http.StatusBadRequest)
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "X", "parent": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("parent", `Invalid pk "999999" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "X", "owner": 999998}, http.StatusBadRequest).
		WantJSON(errorBody("owner", `Invalid pk "999998" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "X", "location_type": 3}, http.StatusBadRequest).
		WantJSON(errorBody("location_type", `Invalid pk "3" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "Rack", "parent": wh}, http.StatusBadRequest).
		WantJSON(errorBody("name", "Duplicate names cannot exist under the same parent"))
	a.Call(http.MethodPatch, locationURL(wh), map[string]any{"parent": bin}, http.StatusBadRequest).
		WantJSON(errorBody("parent", "Invalid choice"))
	// The owner is a user's or a group's owner pk.
	owned := a.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "Office", "owner": 2 * s.Admin.PK}, http.StatusCreated).Object()
	if owned["owner"] != float64(2*s.Admin.PK) {
		t.Errorf("owner %v", owned["owner"])
	}

	a.Get(locationURL(999999), http.StatusNotFound).WantJSON(`{"detail":"No StockLocation matches the given query."}`)
	a.Call(http.MethodPatch, locationURL(999999), map[string]any{"name": "x"}, http.StatusNotFound)
	a.Call(http.MethodDelete, locationURL(999999), nil, http.StatusNotFound)
}

func TestStockLocationList(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	shelf := stockLocation(t, a, "Shelf", wh)
	bin := stockLocation(t, a, "Bin", shelf, map[string]any{"description": "small parts"})
	depot := stockLocation(t, a, "Depot", 0, map[string]any{"structural": true})
	remote := stockLocation(t, a, "Remote", depot, map[string]any{"external": true})
	part := newPart(t, a, map[string]any{"name": "Bolt"})
	stockItem(t, a, part, "1", bin)
	stockItem(t, a, part, "1", bin)
	stockItem(t, a, part, "1", shelf)

	const list = "/api/stock/location/"
	// Default order: tree_id (the top-level ancestor's pk), then depth first by name.
	wantPKs(t, a, list, wh, shelf, bin, depot, remote)
	wantPKs(t, a, query(list, "parent", fmt.Sprint(wh)), shelf)
	wantPKs(t, a, query(list, "parent", fmt.Sprint(wh), "cascade", "true"), shelf, bin)
	wantPKs(t, a, query(list, "parent", fmt.Sprint(wh), "cascade", "1", "depth", "1"), shelf)
	wantPKs(t, a, query(list, "parent", "null"), wh, depot)
	wantPKs(t, a, query(list, "top_level", "true"), wh, depot)
	wantPKs(t, a, query(list, "cascade", "false"), wh, depot)
	wantPKs(t, a, query(list, "top_level", "true", "cascade", "true"), wh, shelf, bin, depot, remote)
	wantPKs(t, a, query(list, "depth", "0"), wh, depot)
	wantPKs(t, a, query(list, "structural", "true"), depot)
	wantPKs(t, a, query(list, "external", "true"), remote)
	wantPKs(t, a, query(list, "name", "Shelf"), shelf)
	wantPKs(t, a, query(list, "search", "small"), bin)
	wantPKs(t, a, query(list, "search", "warehouse/shelf"), shelf, bin)
	wantPKs(t, a, query(list, "ordering", "name"), bin, depot, remote, shelf, wh)
	// items counts what lies below too: shelf and warehouse hold 3 each.
	wantPKs(t, a, query(list, "ordering", "-items,name"), shelf, wh, bin, depot, remote)
	wantPKs(t, a, query(list, "ordering", "-level,name"), bin, remote, shelf, depot, wh)

	// Item and sub-location counts cover everything below.
	w := getObject(t, a, locationURL(wh))
	if w["items"] != 3.0 || w["sublocations"] != 2.0 {
		t.Errorf("warehouse counts %v %v", w["items"], w["sublocations"])
	}

	// Pages.
	var page struct {
		Count    int              `json:"count"`
		Next     *string          `json:"next"`
		Previous *string          `json:"previous"`
		Results  []map[string]any `json:"results"`
	}
	a.Get(query(list, "limit", "2", "offset", "2"), http.StatusOK).JSON(&page)
	if page.Count != 5 || len(page.Results) != 2 || page.Next == nil || page.Previous == nil || page.Results[0]["pk"] != float64(bin) {
		t.Errorf("page = %+v", page)
	}

	// Bad filter values.
	a.Get(query(list, "parent", "999999"), http.StatusBadRequest).WantJSON(errorBody("parent", msgPartInvalidPick))
	a.Get(query(list, "parent", "x"), http.StatusBadRequest).WantJSON(errorBody("parent", msgPartInvalidPick))
	a.Get(query(list, "structural", "maybe"), http.StatusBadRequest).WantJSON(errorBody("structural", msgPartInvalidPick))
	a.Get(query(list, "depth", "deep"), http.StatusBadRequest).WantJSON(errorBody("depth", "Enter a number."))

	// The tree: every location, by level then name unless asked otherwise.
	const tree = "/api/stock/location/tree/"
	wantPKs(t, a, tree, depot, wh, remote, shelf, bin)
	wantPKs(t, a, query(tree, "ordering", "-sublocations"), wh, shelf, depot, bin, remote)
	wantPKs(t, a, query(tree, "parent", fmt.Sprint(wh)), shelf)
	wantPKs(t, a, query(tree, "search", "small"), bin)
	wantPKs(t, a, query(tree, "max_level", "0"), depot, wh)
	var nodes []map[string]any
	a.Get(query(tree, "tree_id", fmt.Sprint(wh)), http.StatusOK).JSON(&nodes)
	if len(nodes) != 3 || nodes[0]["tree_id"] != float64(wh) || nodes[0]["sublocations"] != 2.0 || nodes[0]["pathstring"] != "Warehouse" {
		t.Errorf("tree = %v", nodes)
	}
}

func TestStockLocationDelete(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	part := newPart(t, a, map[string]any{"name": "Bolt"})

	// Without options, items and sub-locations move up to the parent.
	wh := stockLocation(t, a, "Warehouse", 0)
	shelf := stockLocation(t, a, "Shelf", wh)
	bin := stockLocation(t, a, "Bin", shelf)
	onShelf := stockItem(t, a, part, "2", shelf)
	inBin := stockItem(t, a, part, "3", bin)
	a.Call(http.MethodDelete, locationURL(shelf), nil, http.StatusNoContent)
	a.Get(locationURL(shelf), http.StatusNotFound)
	if b := getObject(t, a, locationURL(bin)); b["parent"] != float64(wh) || b["pathstring"] != "Warehouse/Bin" {
		t.Errorf("bin after its parent's delete: %v", b)
	}
	if it := getObject(t, a, stockItemURL(onShelf)); it["location"] != float64(wh) {
		t.Errorf("item after its location's delete: %v", it["location"])
	}
	if w := getObject(t, a, locationURL(wh)); w["items"] != 2.0 || w["sublocations"] != 1.0 {
		t.Errorf("warehouse counts %v %v", w["items"], w["sublocations"])
	}

	// delete_stock_items=1 deletes the items; true is not "1" to InvenTree, so it keeps
	// them.
	a.Call(http.MethodDelete, locationURL(bin), map[string]any{"delete_stock_items": true}, http.StatusNoContent)
	if it := getObject(t, a, stockItemURL(inBin)); it["location"] != float64(wh) {
		t.Errorf("item kept: location %v", it["location"])
	}
	other := stockLocation(t, a, "Other", wh)
	gone := stockItem(t, a, part, "1", other)
	a.Call(http.MethodDelete, locationURL(other), map[string]any{"delete_stock_items": 1}, http.StatusNoContent)
	a.Get(stockItemURL(gone), http.StatusNotFound)

	// delete_sub_locations=1 deletes the whole subtree, its items move up unless deleted.
	depot := stockLocation(t, a, "Depot", 0)
	area := stockLocation(t, a, "Area", depot)
	room := stockLocation(t, a, "Room", area)
	kept := stockItem(t, a, part, "4", room)
	a.Call(http.MethodDelete, locationURL(area), map[string]any{"delete_sub_locations": "1"}, http.StatusNoContent)
	a.Get(locationURL(room), http.StatusNotFound)
	if it := getObject(t, a, stockItemURL(kept)); it["location"] != float64(depot) {
		t.Errorf("item of a deleted subtree: location %v", it["location"])
	}
	wantPKs(t, a, query("/api/stock/location/", "parent", fmt.Sprint(depot)))
}

// ---- items ----

func TestStockItemCreate(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	def := stockLocation(t, a, "Default", 0)
	other := stockLocation(t, a, "Other", 0)
	structural := stockLocation(t, a, "Structural", 0, map[string]any{"structural": true})
	bolt := newPart(t, a, map[string]any{"name": "Bolt", "IPN": "B-1", "default_location": def})
	tracked := newPart(t, a, map[string]any{"name": "Widget", "trackable": true})
	virtual := newPart(t, a, map[string]any{"name": "Licence", "virtual": true})
	expiring := newPart(t, a, map[string]any{"name": "Glue", "default_expiry": 10})

	// The answer is a list, with part_detail unless turned off.
	var created []map[string]any
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 10, "batch": "B7", "notes": "first"},
		http.StatusCreated).JSON(&created)
	if len(created) != 1 {
		t.Fatalf("created %v", created)
	}
	it := created[0]
	pk := int64(it["pk"].(float64))
	for k, want := range map[string]any{
		"part": float64(bolt), "quantity": 10.0, "location": float64(def), "batch": "B7", "notes": "first",
		"status": 10.0, "status_text": "OK", "in_stock": true, "serial": nil, "delete_on_deplete": true,
		"purchase_price": nil, "purchase_price_currency": "USD", "tracking_items": 1.0, "parent": nil,
	} {
		if g, _ := json.Marshal(it[k]); string(g) != mustJSON(want) {
			t.Errorf("created %s = %s, want %v", k, g, want)
		}
	}
	pd, ok := it["part_detail"].(map[string]any)
	if !ok || pd["name"] != "Bolt" || pd["full_name"] != "B-1 | Bolt" || pd["pk"] != float64(bolt) {
		t.Errorf("part_detail %v", it["part_detail"])
	}
	if _, ok := it["location_detail"]; ok {
		t.Errorf("location_detail without the flag")
	}
	wantTracking(t, a, pk, trackingEntry{1, `{"status":10,"quantity":10.0}`})
	plain := getObject(t, a, stockItemURL(pk)+"?part_detail=false&location_detail=true&path_detail=true")
	if _, ok := plain["part_detail"]; ok {
		t.Errorf("part_detail=false shows it")
	}
	if ld := plain["location_detail"].(map[string]any); ld["name"] != "Default" || ld["pathstring"] != "Default" {
		t.Errorf("location_detail %v", ld)
	}
	if lp := plain["location_path"].([]any); len(lp) != 1 {
		t.Errorf("location_path %v", lp)
	}

	// A location given is used; "" is none; null is the part's default.
	if l := getObject(t, a, stockItemURL(stockItem(t, a, bolt, "1", other)))["location"]; l != float64(other) {
		t.Errorf("explicit location %v", l)
	}
	if l := getObject(t, a, stockItemURL(stockItem(t, a, bolt, "1", 0)))["location"]; l != nil {
		t.Errorf(`"location": "" gave %v`, l)
	}
	nullLoc := stockItems(t, a, map[string]any{"part": bolt, "quantity": 1, "location": nil})[0]
	if l := getObject(t, a, stockItemURL(nullLoc))["location"]; l != float64(def) {
		t.Errorf(`"location": null gave %v`, l)
	}

	// The expiry date defaults to today + the part's default_expiry.
	exp := getObject(t, a, stockItemURL(stockItem(t, a, expiring, "1", other)))["expiry_date"]
	if d1, d2 := time.Now().AddDate(0, 0, 10).Format(time.DateOnly), time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly); exp != d1 && exp != d2 {
		t.Errorf("default expiry %v", exp)
	}

	// Serial numbers: one item each, quantity 1, in serial order.
	serials := stockItems(t, a, map[string]any{"part": tracked, "quantity": 3, "serial_numbers": "100-102", "location": other})
	if len(serials) != 3 {
		t.Fatalf("serialized create gave %v", serials)
	}
	for i, pk := range serials {
		it := getObject(t, a, stockItemURL(pk))
		if it["serial"] != fmt.Sprint(100+i) || it["quantity"] != 1.0 {
			t.Errorf("serial item %d: %v %v", i, it["serial"], it["quantity"])
		}
	}
	wantPKs(t, a, query("/api/stock/", "serialized", "true", "ordering", "serial"), serials...)
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": tracked, "quantity": 3, "serial_numbers": "1-2"}, http.StatusBadRequest).
		WantJSON(`{"quantity":["Number of unique serial numbers (2) must match quantity (3)"],
			"serial_numbers":["Number of unique serial numbers (2) must match quantity (3)"]}`)
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": tracked, "quantity": 2, "serial_numbers": "101, 200"}, http.StatusBadRequest).
		WantJSON(errorBody("serial_numbers", "The following serial numbers already exist or are invalid : 101"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 2, "serial_numbers": "1, 2"}, http.StatusBadRequest).
		WantJSON(errorBody("serial_numbers", "Serial numbers cannot be supplied for a non-trackable part"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": tracked, "quantity": 1.5}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "Quantity must be integer value for trackable parts"))

	// InvenTree's checks before the serializer, one at a time.
	head := s.Head()
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "Quantity is required"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"quantity": 1}, http.StatusBadRequest).
		WantJSON(errorBody("part", "Valid part must be supplied"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": 999999, "quantity": 1}, http.StatusBadRequest).
		WantJSON(errorBody("part", "Valid part must be supplied"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": "bolt", "quantity": 1}, http.StatusBadRequest).
		WantJSON(errorBody("part", "Valid part must be supplied"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "supplier_part": 4}, http.StatusBadRequest).
		WantJSON(errorBody("supplier_part", "The given supplier part does not exist"))
	// Then the fields and the rules.
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": virtual, "quantity": 1}, http.StatusBadRequest).
		WantJSON(errorBody("part", "Stock item cannot be created for virtual parts"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": -1}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "Ensure this value is greater than or equal to 0."))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": "many"}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "A valid number is required."))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "status": 99}, http.StatusBadRequest).
		WantJSON(errorBody("status", `"99" is not a valid choice.`))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "location": structural}, http.StatusBadRequest).
		WantJSON(errorBody("location", "Stock items cannot be located into structural stock locations!"))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "location": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("location", `Invalid pk "999999" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "purchase_price_currency": "XYZ"}, http.StatusBadRequest).
		WantJSON(errorBody("purchase_price_currency", `"XYZ" is not a valid choice.`))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "customer": 5}, http.StatusBadRequest).
		WantJSON(errorBody("customer", `Invalid pk "5" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/", map[string]any{"part": bolt, "quantity": 1, "expiry_date": "soon"}, http.StatusBadRequest).
		WantJSON(errorBody("expiry_date", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."))
	wantNoEvents(t, s, head)

	// Prices, currencies, status.
	priced := stockItem(t, a, bolt, "4", other, map[string]any{"purchase_price": "1.2345678", "purchase_price_currency": "EUR", "status": 50})
	p := getObject(t, a, stockItemURL(priced))
	if p["purchase_price"] != "1.234568" || p["purchase_price_currency"] != "EUR" || p["status"] != 50.0 || p["status_text"] != "Attention needed" {
		t.Errorf("priced item %v %v %v", p["purchase_price"], p["purchase_price_currency"], p["status"])
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestStockItemUpdateAndDelete(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	clerk := s.CreateUser(UserSpec{Roles: []string{"stock.all", "part.all", "stock_location.all"}})
	c := clerk.For(t)
	loc := stockLocation(t, c, "Shelf", 0)
	other := stockLocation(t, c, "Other", 0)
	structural := stockLocation(t, c, "Structural", 0, map[string]any{"structural": true})
	bolt := newPart(t, c, map[string]any{"name": "Bolt"})
	nut := newPart(t, c, map[string]any{"name": "Nut"})
	pk := stockItem(t, c, bolt, "10", loc)

	// PATCH changes what it sends and records each change, old and new, in one event.
	head := s.Head()
	got := c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{
		"batch": "B2", "quantity": "12", "notes": "recounted", "location": other, "status": 55, "expiry_date": "2030-01-31",
	}, http.StatusOK).Object()
	for k, want := range map[string]any{"batch": "B2", "quantity": 12.0, "notes": "recounted", "location": float64(other),
		"status": 55.0, "status_text": "Damaged", "expiry_date": "2030-01-31"} {
		if mustJSON(got[k]) != mustJSON(want) {
			t.Errorf("after PATCH %s = %v, want %v", k, got[k], want)
		}
	}
	evs := s.EventsAfter(head)
	if len(evs) != 1 || evs[0].Type != "StockItemUpdated" || evs[0].Metadata.UserID != clerk.PK {
		t.Fatalf("PATCH appended %v", evs)
	}
	var upd map[string]any
	if err := json.Unmarshal(evs[0].Data, &upd); err != nil {
		t.Fatal(err)
	}
	if mustJSON(upd["batch"]) != `{"new":"B2","old":""}` || mustJSON(upd["quantity"]) != `{"new":"12","old":"10"}` ||
		mustJSON(upd["location"]) != fmt.Sprintf(`{"new":%d,"old":%d}`, other, loc) {
		t.Errorf("event deltas %s", evs[0].Data)
	}
	// Only the status change is a tracking entry, as InvenTree records it.
	wantTracking(t, c, pk,
		trackingEntry{1, `{"status":10,"quantity":10.0}`},
		trackingEntry{5, `{"status":55,"status_logical":55,"old_status":10,"old_status_logical":10}`})
	// The locations' item counts follow.
	if n := getObject(t, c, locationURL(other))["items"]; n != 1.0 {
		t.Errorf("other location items %v", n)
	}

	// A PATCH that changes nothing appends nothing.
	head = s.Head()
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"batch": "B2"}, http.StatusOK)
	wantNoEvents(t, s, head)

	// PUT needs part and quantity; the whole object read back can be put back.
	c.Call(http.MethodPut, stockItemURL(pk), map[string]any{"batch": "B3"}, http.StatusBadRequest).
		WantJSON(`{"part":["This field is required."],"quantity":["This field is required."]}`)
	whole := getObject(t, c, stockItemURL(pk))
	whole["packaging"] = "box"
	if p := c.Call(http.MethodPut, stockItemURL(pk), whole, http.StatusOK).Object(); p["packaging"] != "box" || p["batch"] != "B2" {
		t.Errorf("after PUT %v %v", p["packaging"], p["batch"])
	}

	// Rules.
	head = s.Head()
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"part": nut}, http.StatusBadRequest).
		WantJSON(errorBody("part", "The part of a stock item cannot be changed"))
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"location": structural}, http.StatusBadRequest).
		WantJSON(errorBody("location", "Stock items cannot be located into structural stock locations!"))
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"quantity": -2}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "Ensure this value is greater than or equal to 0."))
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"serial": "S1"}, http.StatusBadRequest).
		WantJSON(`{"quantity":["Quantity must be 1 for item with a serial number"],"serial":["Serial number cannot be set if quantity greater than 1"]}`)
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"build": 3}, http.StatusBadRequest).
		WantJSON(errorBody("build", `Invalid pk "3" - object does not exist.`))
	c.Call(http.MethodPatch, stockItemURL(pk), map[string]any{"link": "not a url"}, http.StatusBadRequest).
		WantJSON(errorBody("link", "Enter a valid URL."))
	wantNoEvents(t, s, head)
	c.Call(http.MethodPatch, stockItemURL(999999), map[string]any{"batch": "x"}, http.StatusNotFound).
		WantJSON(`{"detail":"No StockItem matches the given query."}`)

	// A serial number is unique within the part.
	one := stockItem(t, c, bolt, "1", loc)
	two := stockItem(t, c, bolt, "1", loc)
	c.Call(http.MethodPatch, stockItemURL(one), map[string]any{"serial": "S1"}, http.StatusOK)
	c.Call(http.MethodPatch, stockItemURL(two), map[string]any{"serial": "S1"}, http.StatusBadRequest).
		WantJSON(errorBody("serial", "Stock item with this serial number already exists: S1"))

	// DELETE.
	c.Call(http.MethodDelete, stockItemURL(pk), nil, http.StatusNoContent)
	c.Get(stockItemURL(pk), http.StatusNotFound)
	c.Call(http.MethodDelete, stockItemURL(pk), nil, http.StatusNotFound)
	// The history stays, without its item.
	var entries []map[string]any
	c.Get(query("/api/stock/track/", "part", fmt.Sprint(bolt), "ordering", "date"), http.StatusOK).JSON(&entries)
	if len(entries) < 2 || entries[0]["item"] != nil {
		t.Errorf("history of a deleted item: %v", entries)
	}
	// Its serial number is free again once the item is gone.
	c.Call(http.MethodDelete, stockItemURL(one), nil, http.StatusNoContent)
	c.Call(http.MethodPatch, stockItemURL(two), map[string]any{"serial": "S1"}, http.StatusOK)
}

func TestStockItemList(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	shelf := stockLocation(t, a, "Shelf", wh)
	far := stockLocation(t, a, "Far", 0, map[string]any{"external": true})
	chair := newPart(t, a, map[string]any{"name": "Chair", "is_template": true, "IPN": "CH"})
	red := newPart(t, a, map[string]any{"name": "Red chair", "variant_of": chair})
	bolt := newPart(t, a, map[string]any{"name": "Bolt", "trackable": true, "description": "steel"})

	c1 := stockItem(t, a, chair, "5", wh, map[string]any{"batch": "A1"})
	r1 := stockItem(t, a, red, "2", shelf)
	b1 := stockItem(t, a, bolt, "1", far, map[string]any{"serial_numbers": "7"})
	b2 := stockItem(t, a, bolt, "1", 0, map[string]any{"serial_numbers": "12"})
	lost := stockItem(t, a, chair, "3", shelf, map[string]any{"status": 70, "batch": "a1"})
	empty := stockItem(t, a, bolt, "0", wh, map[string]any{"delete_on_deplete": false})

	const list = "/api/stock/"
	// Default ordering: part name, quantity, location (no location last).
	wantPKs(t, a, list, empty, b1, b2, lost, c1, r1)
	wantSamePKs(t, a, query(list, "part", fmt.Sprint(chair)), c1, lost, r1)
	wantSamePKs(t, a, query(list, "part", fmt.Sprint(chair), "include_variants", "false"), c1, lost)
	wantSamePKs(t, a, query(list, "location", fmt.Sprint(wh)), c1, r1, lost, empty)
	wantSamePKs(t, a, query(list, "location", fmt.Sprint(wh), "cascade", "false"), c1, empty)
	wantSamePKs(t, a, query(list, "location", "null", "cascade", "false"), b2)
	wantSamePKs(t, a, query(list, "location", "null"), c1, r1, b1, b2, lost, empty)
	wantSamePKs(t, a, query(list, "location", "999999"), c1, r1, b1, b2, lost, empty)
	wantSamePKs(t, a, query(list, "location", "999999", "cascade", "false"))
	wantSamePKs(t, a, query(list, "status", "70"), lost)
	wantSamePKs(t, a, query(list, "in_stock", "true"), c1, r1, b1, b2)
	wantSamePKs(t, a, query(list, "in_stock", "false"), lost, empty)
	wantSamePKs(t, a, query(list, "serialized", "true"), b1, b2)
	wantSamePKs(t, a, query(list, "serial", "12"), b2)
	wantSamePKs(t, a, query(list, "serial_gte", "8"), b2)
	wantSamePKs(t, a, query(list, "batch", "A1"), c1, lost)
	wantSamePKs(t, a, query(list, "has_batch", "true"), c1, lost)
	wantSamePKs(t, a, query(list, "external", "true"), b1)
	wantSamePKs(t, a, query(list, "depleted", "true"), empty)
	wantSamePKs(t, a, query(list, "min_stock", "3"), c1, lost)
	wantSamePKs(t, a, query(list, "search", "steel"), b1, b2, empty)
	wantSamePKs(t, a, query(list, "search", "CH"), c1, lost, r1)
	wantSamePKs(t, a, query(list, "search", "shelf"), r1, lost)
	wantPKs(t, a, query(list, "ordering", "-quantity"), c1, lost, r1, b1, b2, empty)
	wantPKs(t, a, query(list, "ordering", "serial", "serialized", "true"), b1, b2)
	wantPKs(t, a, query(list, "ordering", "location,pk", "location", fmt.Sprint(wh)), c1, empty, r1, lost)

	// part_detail is on by default; location_detail and path_detail when asked.
	var rows []map[string]any
	a.Get(query(list, "location_detail", "true", "path_detail", "true", "location", fmt.Sprint(shelf), "cascade", "false"), http.StatusOK).JSON(&rows)
	if len(rows) != 2 || rows[0]["part_detail"] == nil || rows[0]["location_detail"].(map[string]any)["pathstring"] != "Warehouse/Shelf" ||
		len(rows[0]["location_path"].([]any)) != 2 {
		t.Errorf("details %v", rows)
	}
	var bare []map[string]any
	a.Get(query(list, "part_detail", "false", "location", "null", "cascade", "false", "location_detail", "1"), http.StatusOK).JSON(&bare)
	if _, ok := bare[0]["part_detail"]; ok || len(bare) != 1 || bare[0]["location_detail"] != nil {
		t.Errorf("no part detail, null location detail: %v", bare)
	}
	if v, ok := bare[0]["location_detail"]; !ok || v != nil {
		t.Errorf("location_detail of an item without location: %v, %v", v, ok)
	}

	// Paging.
	var page struct {
		Count   int              `json:"count"`
		Results []map[string]any `json:"results"`
	}
	a.Get(query(list, "limit", "2", "offset", "1"), http.StatusOK).JSON(&page)
	if page.Count != 6 || len(page.Results) != 2 || page.Results[0]["pk"] != float64(b1) {
		t.Errorf("page %+v", page)
	}

	// Bad filter values.
	a.Get(query(list, "part", "999999"), http.StatusBadRequest).WantJSON(errorBody("part", msgPartInvalidPick))
	a.Get(query(list, "status", "ok"), http.StatusBadRequest).WantJSON(errorBody("status", "Enter a number."))
	a.Get(query(list, "in_stock", "perhaps"), http.StatusBadRequest).WantJSON(errorBody("in_stock", msgPartInvalidPick))
	a.Get(query(list, "belongs_to", "999999"), http.StatusBadRequest).WantJSON(errorBody("belongs_to", msgPartInvalidPick))
	a.Get(query(list, "updated_after", "yesterday"), http.StatusBadRequest).WantJSON(errorBody("updated_after", "Enter a valid date."))
	wantSamePKs(t, a, query(list, "updated_before", "2000-01-01"))
}

// ---- actions ----

func TestStockAdjustments(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	clerk := s.CreateUser(UserSpec{Roles: []string{"stock.add", "part.add", "stock_location.add"}})
	c := clerk.For(t)
	wh := stockLocation(t, c, "Warehouse", 0)
	bin := stockLocation(t, c, "Bin", wh)
	bolt := newPart(t, c, map[string]any{"name": "Bolt"})
	a := stockItem(t, c, bolt, "10", wh)
	b := stockItem(t, c, bolt, "4", wh)

	// Add: 201, the request echoed with five-place quantities and the defaults.
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{
		"items": []map[string]any{{"pk": a, "quantity": 5}, {"pk": b, "quantity": "1.5", "batch": "NEW"}}, "notes": "delivery",
	}, http.StatusCreated).WantJSON(fmt.Sprintf(`{"items":[{"pk":%d,"quantity":"5.00000","status":null,"merge":false},
		{"pk":%d,"quantity":"1.50000","batch":"NEW","status":null,"merge":false}],"notes":"delivery"}`, a, b))
	if q := quantityOf(t, c, a); q != 15 {
		t.Errorf("after add: %v", q)
	}
	if it := getObject(t, c, stockItemURL(b)); it["quantity"] != 5.5 || it["batch"] != "NEW" {
		t.Errorf("after add with batch: %v %v", it["quantity"], it["batch"])
	}

	// Remove.
	c.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 3, "status": 50}}},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"items":[{"pk":%d,"quantity":"3.00000","status":50,"merge":false}]}`, a))
	// Count, at a location.
	c.Call(http.MethodPost, "/api/stock/count/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 7}}, "location": bin, "notes": "stocktake"},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"items":[{"pk":%d,"quantity":"7.00000","status":null,"merge":false}],"notes":"stocktake","location":%d}`, a, bin))
	it := getObject(t, c, stockItemURL(a))
	if it["quantity"] != 7.0 || it["location"] != float64(bin) || it["status"] != 50.0 || it["stocktake_date"] == nil {
		t.Errorf("after count: %v %v %v %v", it["quantity"], it["location"], it["status"], it["stocktake_date"])
	}
	// Transfer of everything moves the item itself.
	c.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 7}}, "location": wh},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"items":[{"pk":%d,"quantity":"7.00000","status":null,"merge":false}],"location":%d}`, a, wh))
	// A transfer to where the item is records "Stock updated".
	c.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 7}}, "location": wh}, http.StatusCreated)

	// Every action is in the item's history, with InvenTree's codes and deltas.
	wantTracking(t, c, a,
		trackingEntry{1, `{"status":10,"quantity":10.0}`},
		trackingEntry{11, `{"added":5.0,"quantity":15.0}`},
		trackingEntry{12, `{"status":50,"status_logical":50,"old_status":10,"old_status_logical":10,"removed":3.0,"quantity":12.0}`},
		trackingEntry{10, fmt.Sprintf(`{"location":%d,"old_location":%d,"quantity":7.0}`, bin, wh)},
		trackingEntry{20, fmt.Sprintf(`{"location":%d,"quantity":7.0}`, wh)},
		trackingEntry{25, `{"quantity":7.0}`})
	wantTracking(t, c, b,
		trackingEntry{1, `{"status":10,"quantity":4.0}`},
		trackingEntry{11, `{"batch":"NEW","added":1.5,"quantity":5.5}`})
	// Each entry is signed by the user who acted.
	var entries []map[string]any
	c.Get(query("/api/stock/track/", "item", fmt.Sprint(a)), http.StatusOK).JSON(&entries)
	for _, e := range entries {
		if e["user"] != float64(clerk.PK) {
			t.Errorf("entry %v by %v, want %d", e["tracking_type"], e["user"], clerk.PK)
		}
	}

	// Request errors.
	head := s.Head()
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{}, http.StatusBadRequest).WantJSON(errorBody("items", "This field is required."))
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []any{}}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "A list of stock items must be provided"))
	c.Call(http.MethodPost, "/api/stock/count/", map[string]any{"items": []map[string]any{{"pk": a}}}, http.StatusBadRequest).
		WantJSON(`{"items":[{"quantity":["This field is required."]}]}`)
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": "x"}}}, http.StatusBadRequest).
		WantJSON(`{"items":[{"quantity":["A valid number is required."]}]}`)
	c.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": -1}}}, http.StatusBadRequest).
		WantJSON(`{"items":[{"quantity":["Ensure this value is greater than or equal to 0."]}]}`)
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": "0.000001"}}}, http.StatusBadRequest).
		WantJSON(`{"items":[{"quantity":["Ensure that there are no more than 5 decimal places."]}]}`)
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": 999999, "quantity": 1}}}, http.StatusBadRequest).
		WantJSON(`{"items":[{"pk":["Invalid pk \"999999\" - object does not exist."]}]}`)
	c.Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 1, "status": 99}}}, http.StatusBadRequest).
		WantJSON(`{"items":[{"status":["\"99\" is not a valid choice."]}]}`)
	c.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 1}}}, http.StatusBadRequest).
		WantJSON(errorBody("location", "This field is required."))
	c.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 1}}, "location": "here"}, http.StatusBadRequest).
		WantJSON(errorBody("location", "Incorrect type. Expected pk value, received str."))
	c.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 0}}, "location": bin}, http.StatusBadRequest).
		WantJSON(`{"items":[{"quantity":["Quantity must be greater than zero"]}]}`)
	c.Call(http.MethodPost, "/api/stock/count/", map[string]any{"items": []map[string]any{{"pk": a, "quantity": 1}}, "location": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("location", `Invalid pk "999999" - object does not exist.`))
	wantNoEvents(t, s, head)
}

// TestStockActionsAllOrNothing sends multi-item actions with one bad item: nothing
// changes, nothing is appended, and the error sits at the bad item's index.
func TestStockActionsAllOrNothing(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bin := stockLocation(t, a, "Bin", wh)
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	widget := newPart(t, a, map[string]any{"name": "Widget", "trackable": true})
	x := stockItem(t, a, bolt, "10", wh)
	y := stockItem(t, a, bolt, "10", wh)
	sn := stockItems(t, a, map[string]any{"part": widget, "quantity": 1, "serial_numbers": "A1", "location": wh})[0]

	head := s.Head()
	for _, tc := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": x, "quantity": 1}, {"pk": 999999, "quantity": 1}}},
			`{"items":[{},{"pk":["Invalid pk \"999999\" - object does not exist."]}]}`},
		{"/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": x, "quantity": 1}, {"pk": sn, "quantity": 1}}},
			`{"items":[{},{"quantity":["Quantity must be 1 for item with a serial number"]}]}`},
		{"/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": x, "quantity": 1}, {"pk": y, "quantity": -5}, {"pk": x, "quantity": 2}}},
			`{"items":[{},{"quantity":["Ensure this value is greater than or equal to 0."]},{}]}`},
		{"/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": x, "quantity": 5}, {"pk": sn, "quantity": 0}}, "location": bin},
			`{"items":[{},{"quantity":["Quantity must be greater than zero"]}]}`},
		{"/api/stock/count/", map[string]any{"items": []map[string]any{{"pk": y, "quantity": 1}, {"pk": sn, "quantity": 3}}},
			`{"items":[{},{"quantity":["Quantity must be 1 for item with a serial number"]}]}`},
	} {
		a.Call(http.MethodPost, tc.path, tc.body, http.StatusBadRequest).WantJSON(tc.want)
	}
	wantNoEvents(t, s, head)
	if qx, qy := quantityOf(t, a, x), quantityOf(t, a, y); qx != 10 || qy != 10 {
		t.Errorf("quantities changed: %v %v", qx, qy)
	}
	wantSamePKs(t, a, query("/api/stock/", "part", fmt.Sprint(bolt)), x, y)

	// The same item twice in one request: the second line sees the first.
	a.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": x, "quantity": 4}, {"pk": x, "quantity": 4}}}, http.StatusCreated)
	if q := quantityOf(t, a, x); q != 2 {
		t.Errorf("after removing 4 twice from 10: %v", q)
	}
}

// TestStockNeverNegative: InvenTree's behaviour, exactly. Removing more than an item
// holds removes what it holds (take_stock clamps at zero) and the entry records what
// was removed; an item so depleted is deleted when delete_on_deplete is set (the
// default). Transferring more than an item holds moves the whole item. No request can
// make a quantity negative.
func TestStockNeverNegative(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bin := stockLocation(t, a, "Bin", 0)
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})

	kept := stockItem(t, a, bolt, "10", wh, map[string]any{"delete_on_deplete": false})
	a.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": kept, "quantity": 15}}}, http.StatusCreated)
	if q := quantityOf(t, a, kept); q != 0 {
		t.Errorf("removing 15 of 10 left %v", q)
	}
	wantTracking(t, a, kept,
		trackingEntry{1, `{"status":10,"quantity":10.0}`},
		trackingEntry{12, `{"removed":10.0,"quantity":0.0}`})
	// Removing from an empty item removes nothing and records nothing.
	head := s.Head()
	a.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": kept, "quantity": 1}}}, http.StatusCreated)
	wantNoEvents(t, s, head)
	// An empty item cannot be moved (StockItem.move: not in stock).
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": kept, "quantity": 1}}, "location": bin}, http.StatusBadRequest).
		WantJSON(`{"items":[{"non_field_errors":["StockItem cannot be moved as it is not in stock"]}]}`)

	deleted := stockItem(t, a, bolt, "3", wh)
	a.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": deleted, "quantity": 5}}}, http.StatusCreated)
	a.Get(stockItemURL(deleted), http.StatusNotFound)

	whole := stockItem(t, a, bolt, "6", wh)
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": whole, "quantity": 100}}, "location": bin}, http.StatusCreated)
	if it := getObject(t, a, stockItemURL(whole)); it["quantity"] != 6.0 || it["location"] != float64(bin) {
		t.Errorf("transferring 100 of 6: %v at %v", it["quantity"], it["location"])
	}
	wantSamePKs(t, a, query("/api/stock/", "part", fmt.Sprint(bolt)), kept, whole)
}

func TestStockTransferSplitsAndMerges(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bin := stockLocation(t, a, "Bin", 0)
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	src := stockItem(t, a, bolt, "10", wh, map[string]any{"batch": "B1"})

	// A partial transfer splits a new item off to the destination.
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": src, "quantity": 4}}, "location": bin, "notes": "split"}, http.StatusCreated)
	if it := getObject(t, a, stockItemURL(src)); it["quantity"] != 6.0 || it["location"] != float64(wh) || it["child_items"] != 1.0 {
		t.Errorf("source after split: %v at %v, %v children", it["quantity"], it["location"], it["child_items"])
	}
	var children []map[string]any
	a.Get(query("/api/stock/", "parent", fmt.Sprint(src)), http.StatusOK).JSON(&children)
	if len(children) != 1 {
		t.Fatalf("children %v", children)
	}
	child := int64(children[0]["pk"].(float64))
	if c := children[0]; c["quantity"] != 4.0 || c["location"] != float64(bin) || c["batch"] != "B1" || c["parent"] != float64(src) {
		t.Errorf("split item %v", c)
	}
	wantTracking(t, a, src,
		trackingEntry{1, `{"status":10,"quantity":10.0}`},
		trackingEntry{42, fmt.Sprintf(`{"stockitem":%d,"removed":4.0,"quantity":6.0}`, child)})
	wantTracking(t, a, child, trackingEntry{40, fmt.Sprintf(`{"stockitem":%d,"quantity":4.0}`, src)})

	// With merge, a transfer folds into a matching item at the destination.
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": src, "quantity": 2, "merge": true}}, "location": bin}, http.StatusCreated)
	if q := quantityOf(t, a, child); q != 6 {
		t.Errorf("merge target holds %v", q)
	}
	if q := quantityOf(t, a, src); q != 4 {
		t.Errorf("merge source holds %v", q)
	}
	wantSamePKs(t, a, query("/api/stock/", "part", fmt.Sprint(bolt)), src, child)

	// Merge: the items after the first are folded into it, at the location.
	third := stockItem(t, a, bolt, "5", wh)
	a.Call(http.MethodPost, "/api/stock/merge/", map[string]any{"items": []map[string]any{{"item": child}, {"item": src}, {"item": third}}, "location": wh, "notes": "tidy"},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"items":[{"item":%d},{"item":%d},{"item":%d}],"location":%d,"notes":"tidy"}`, child, src, third, wh))
	if it := getObject(t, a, stockItemURL(child)); it["quantity"] != 15.0 || it["location"] != float64(wh) {
		t.Errorf("merged item %v at %v", it["quantity"], it["location"])
	}
	a.Get(stockItemURL(src), http.StatusNotFound)
	a.Get(stockItemURL(third), http.StatusNotFound)
	entries := trackingOf(t, a, child)
	if last := entries[len(entries)-1]; last.Type != 45 || last.Deltas != `{"added":9,"quantity":15}` {
		t.Errorf("merge entry %v", last)
	}

	// Merge rules.
	widget := newPart(t, a, map[string]any{"name": "Widget", "trackable": true})
	nut := newPart(t, a, map[string]any{"name": "Nut"})
	sn := stockItems(t, a, map[string]any{"part": widget, "quantity": 1, "serial_numbers": "1", "location": wh})[0]
	n1 := stockItem(t, a, nut, "1", wh)
	head := s.Head()
	a.Call(http.MethodPost, "/api/stock/merge/", map[string]any{"items": []map[string]any{{"item": child}}, "location": wh}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "At least two stock items must be provided"))
	a.Call(http.MethodPost, "/api/stock/merge/", map[string]any{"items": []map[string]any{{"item": child}, {"item": child}}, "location": wh}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Duplicate stock items"))
	a.Call(http.MethodPost, "/api/stock/merge/", map[string]any{"items": []map[string]any{{"item": child}, {"item": n1}}, "location": wh}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Stock items must refer to the same part"))
	a.Call(http.MethodPost, "/api/stock/merge/", map[string]any{"items": []map[string]any{{"item": child}, {"item": sn}}, "location": wh}, http.StatusBadRequest).
		WantJSON(`{"items":[{},{"item":["Serialized stock cannot be merged"]}]}`)
	a.Call(http.MethodPost, "/api/stock/merge/", map[string]any{"items": []map[string]any{{"item": child}, {"item": n1}}}, http.StatusBadRequest).
		WantJSON(errorBody("location", "This field is required."))
	wantNoEvents(t, s, head)
}

func TestStockSerialize(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bin := stockLocation(t, a, "Bin", 0)
	widget := newPart(t, a, map[string]any{"name": "Widget", "trackable": true})
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	bulk := stockItem(t, a, widget, "10", wh)

	// The answer is the list of new items.
	var created []map[string]any
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 3, "serial_numbers": "1-3", "destination": bin, "notes": "sn"},
		http.StatusCreated).JSON(&created)
	if len(created) != 3 || created[0]["serial"] != "1" || created[2]["serial"] != "3" || created[1]["location"] != float64(bin) ||
		created[0]["parent"] != float64(bulk) || created[0]["quantity"] != 1.0 || created[0]["part_detail"] == nil {
		t.Fatalf("serialized %v", created)
	}
	if q := quantityOf(t, a, bulk); q != 7 {
		t.Errorf("source keeps %v", q)
	}
	first := int64(created[0]["pk"].(float64))
	wantTracking(t, a, first,
		trackingEntry{40, `{"quantity":1.0}`},
		trackingEntry{6, `{"serial":"1"}`})
	entries := trackingOf(t, a, bulk)
	if last := entries[len(entries)-1]; last.Type != 13 || last.Deltas != `{"quantity":7,"removed":3}` {
		t.Errorf("serialize entry %v", last)
	}

	// "~" continues after the highest serial number; "+" counts on.
	var more []map[string]any
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 2, "serial_numbers": "~, ~", "destination": bin}, http.StatusCreated).JSON(&more)
	if len(more) != 2 || more[0]["serial"] != "4" || more[1]["serial"] != "5" {
		t.Errorf("~ gave %v", more)
	}
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 2, "serial_numbers": "10+", "destination": bin}, http.StatusCreated).JSON(&more)
	if len(more) != 2 || more[0]["serial"] != "10" || more[1]["serial"] != "11" {
		t.Errorf("10+ gave %v", more)
	}

	// Rules.
	head := s.Head()
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 3, "serial_numbers": "20, 21", "destination": bin}, http.StatusBadRequest).
		WantJSON(errorBody("serial_numbers", "Number of unique serial numbers (2) must match quantity (3)"))
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 2, "serial_numbers": "2, 30", "destination": bin}, http.StatusBadRequest).
		WantJSON(errorBody("serial_numbers", "Serial numbers already exist: 2"))
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 9, "serial_numbers": "40+", "destination": bin}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "Quantity must not exceed available stock quantity (3.00000)"))
	a.Call(http.MethodPost, stockItemURL(bulk)+"serialize/", map[string]any{"quantity": 1}, http.StatusBadRequest).
		WantJSON(`{"serial_numbers":["This field is required."],"destination":["This field is required."]}`)
	plain := stockItem(t, a, bolt, "5", wh)
	head = s.Head()
	a.Call(http.MethodPost, stockItemURL(plain)+"serialize/", map[string]any{"quantity": 1, "serial_numbers": "1", "destination": bin}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Serial numbers cannot be assigned to this part"))
	// InvenTree answers 201 and does nothing for an item that has a serial number.
	a.Call(http.MethodPost, stockItemURL(first)+"serialize/", map[string]any{"quantity": 1, "serial_numbers": "99", "destination": bin}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Stock item is already serialized"))
	a.Call(http.MethodPost, stockItemURL(999999)+"serialize/", map[string]any{"quantity": 1, "serial_numbers": "1", "destination": bin}, http.StatusNotFound)
	wantNoEvents(t, s, head)
}

func TestStockInstallAndStatus(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bin := stockLocation(t, a, "Bin", 0)
	chair := newPart(t, a, map[string]any{"name": "Chair", "assembly": true, "trackable": true})
	leg := newPart(t, a, map[string]any{"name": "Leg"})
	asm := stockItems(t, a, map[string]any{"part": chair, "quantity": 1, "serial_numbers": "C1", "location": wh})[0]
	legs := stockItem(t, a, leg, "10", wh)

	// Installing part of an item splits it; the split-off item is installed.
	a.Call(http.MethodPost, stockItemURL(asm)+"install/", map[string]any{"stock_item": legs, "quantity": 4, "note": "fit"},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"stock_item":%d,"quantity":4,"note":"fit"}`, legs))
	var installed []map[string]any
	a.Get(query("/api/stock/", "belongs_to", fmt.Sprint(asm)), http.StatusOK).JSON(&installed)
	if len(installed) != 1 || installed[0]["quantity"] != 4.0 || installed[0]["location"] != nil || installed[0]["in_stock"] != false {
		t.Fatalf("installed %v", installed)
	}
	fitted := int64(installed[0]["pk"].(float64))
	if q := quantityOf(t, a, legs); q != 6 {
		t.Errorf("legs left %v", q)
	}
	if it := getObject(t, a, stockItemURL(asm)); it["installed_items"] != 1.0 {
		t.Errorf("assembly installed_items %v", it["installed_items"])
	}
	entries := trackingOf(t, a, asm)
	if last := entries[len(entries)-1]; last.Type != 35 || last.Deltas != fmt.Sprintf(`{"quantity":4,"stockitem":%d}`, fitted) {
		t.Errorf("assembly entry %v", last)
	}
	entries = trackingOf(t, a, fitted)
	if last := entries[len(entries)-1]; last.Type != 30 || last.Deltas != fmt.Sprintf(`{"quantity":4,"stockitem":%d}`, asm) {
		t.Errorf("component entry %v", last)
	}
	// An installed item is not in stock: it cannot be installed again.
	a.Call(http.MethodPost, stockItemURL(asm)+"install/", map[string]any{"stock_item": fitted}, http.StatusBadRequest).
		WantJSON(errorBody("stock_item", "Stock item is unavailable"))
	a.Call(http.MethodPost, stockItemURL(asm)+"install/", map[string]any{"stock_item": legs, "quantity": 0}, http.StatusBadRequest).
		WantJSON(errorBody("quantity", "Ensure this value is greater than or equal to 1."))

	// Uninstall into a location.
	a.Call(http.MethodPost, stockItemURL(fitted)+"uninstall/", map[string]any{"location": bin},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"location":%d}`, bin))
	if it := getObject(t, a, stockItemURL(fitted)); it["belongs_to"] != nil || it["location"] != float64(bin) || it["in_stock"] != true {
		t.Errorf("after uninstall %v %v", it["belongs_to"], it["location"])
	}
	entries = trackingOf(t, a, fitted)
	if last := entries[len(entries)-1]; last.Type != 31 {
		t.Errorf("uninstall entry %v", last)
	}
	// InvenTree answers 201 to uninstalling an item that is not installed and does
	// nothing; here it is a 400 and nothing is appended.
	head := s.Head()
	a.Call(http.MethodPost, stockItemURL(fitted)+"uninstall/", map[string]any{"location": bin}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Stock item is not installed in another item"))
	a.Call(http.MethodPost, stockItemURL(fitted)+"uninstall/", map[string]any{}, http.StatusBadRequest).
		WantJSON(errorBody("location", "This field is required."))
	wantNoEvents(t, s, head)

	// change_status: every item, each change tracked as "Edited stock item".
	a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{legs, fitted}, "status": 65, "note": "QA"},
		http.StatusCreated).WantJSON(fmt.Sprintf(`{"items":[%d,%d],"status":65,"note":"QA"}`, legs, fitted))
	wantSamePKs(t, a, query("/api/stock/", "status", "65"), legs, fitted)
	wantSamePKs(t, a, query("/api/stock/", "in_stock", "false", "part", fmt.Sprint(leg)), legs, fitted)
	entries = trackingOf(t, a, legs)
	if last := entries[len(entries)-1]; last.Type != 5 || last.Deltas != `{"old_status":10,"old_status_logical":10,"status":65,"status_logical":65}` {
		t.Errorf("status entry %v", last)
	}
	head = s.Head()
	a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{legs, 999999}, "status": 10}, http.StatusBadRequest).
		WantJSON(errorBody("items", `Invalid pk "999999" - object does not exist.`))
	a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{}}, http.StatusBadRequest).
		WantJSON(errorBody("items", "No stock items selected"))
	a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{legs}, "status": 1}, http.StatusBadRequest).
		WantJSON(errorBody("status", `"1" is not a valid choice.`))
	wantNoEvents(t, s, head)
	// Items already in the status are left alone; the default status is OK.
	a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{legs}}, http.StatusCreated).
		WantJSON(fmt.Sprintf(`{"items":[%d],"status":10}`, legs))
}

// ---- tracking ----

func TestStockTracking(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	clerk := s.CreateUser(UserSpec{Roles: []string{"stock.add"}})
	wh := stockLocation(t, a, "Warehouse", 0)
	chair := newPart(t, a, map[string]any{"name": "Chair", "is_template": true})
	red := newPart(t, a, map[string]any{"name": "Red chair", "variant_of": chair})
	c1 := stockItem(t, a, chair, "5", wh)
	r1 := stockItem(t, a, red, "2", wh)
	clerk.For(t).Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": r1, "quantity": 1}}, "notes": "found one"}, http.StatusCreated)

	const list = "/api/stock/track/"
	var all []map[string]any
	a.Get(list, http.StatusOK).JSON(&all)
	if len(all) != 3 || all[0]["tracking_type"] != 11.0 || all[0]["label"] != "Stock manually added" || all[0]["notes"] != "found one" {
		t.Fatalf("newest first: %v", all)
	}
	for _, k := range []string{"pk", "item", "part", "date", "deltas", "label", "notes", "tracking_type", "user"} {
		if _, ok := all[0][k]; !ok {
			t.Errorf("tracking entry without %s", k)
		}
	}
	for _, k := range []string{"item_detail", "user_detail"} {
		if _, ok := all[0][k]; ok {
			t.Errorf("%s without its flag", k)
		}
	}
	pks := pksOf(a.Get(list, http.StatusOK))
	wantPKs(t, a, query(list, "ordering", "date"), pks[2], pks[1], pks[0])
	wantPKs(t, a, query(list, "item", fmt.Sprint(r1)), pks[0], pks[1])
	wantPKs(t, a, query(list, "part", fmt.Sprint(chair)), pks[2])
	wantPKs(t, a, query(list, "part", fmt.Sprint(chair), "include_variants", "true"), pks...)
	wantPKs(t, a, query(list, "user", fmt.Sprint(clerk.PK)), pks[0])
	wantPKs(t, a, query(list, "search", "found"), pks[0])
	today := time.Now().UTC().Format(time.DateOnly)
	wantPKs(t, a, query(list, "min_date", "2000-01-01", "max_date", today), pks...)
	wantPKs(t, a, query(list, "max_date", "2000-01-01"))
	a.Get(query(list, "item", "999999"), http.StatusBadRequest).WantJSON(errorBody("item", msgPartInvalidPick))
	a.Get(query(list, "user", "999999"), http.StatusBadRequest).WantJSON(errorBody("user", msgPartInvalidPick))

	// Details when asked for.
	var detailed []map[string]any
	a.Get(query(list, "item", fmt.Sprint(r1), "item_detail", "true", "user_detail", "true"), http.StatusOK).JSON(&detailed)
	item, _ := detailed[0]["item_detail"].(map[string]any)
	u, _ := detailed[0]["user_detail"].(map[string]any)
	if item == nil || item["pk"] != float64(r1) || item["quantity"] != 3.0 || item["part_detail"] == nil || item["location_detail"] == nil ||
		u == nil || u["username"] != clerk.Username {
		t.Errorf("details %v", detailed[0])
	}

	// Detail.
	one := getObject(t, a, fmt.Sprintf("%s%d/", list, pks[0]))
	if one["pk"] != float64(pks[0]) || one["item"] != float64(r1) || one["part"] != float64(red) || one["user"] != float64(clerk.PK) {
		t.Errorf("entry %v", one)
	}
	a.Get(list+"999999/", http.StatusNotFound).WantJSON(`{"detail":"No StockItemTracking matches the given query."}`)
	if e := getObject(t, a, fmt.Sprintf("%s%d/", list, pks[2])); e["item"] != float64(c1) || e["tracking_type"] != 1.0 {
		t.Errorf("creation entry %v", e)
	}

	// Paged.
	var page struct {
		Count   int              `json:"count"`
		Results []map[string]any `json:"results"`
	}
	a.Get(query(list, "limit", "1"), http.StatusOK).JSON(&page)
	if page.Count != 3 || len(page.Results) != 1 {
		t.Errorf("page %+v", page)
	}
}

// ---- concurrency ----

// TestStockConcurrentTransfers has several clients take stock off the same item at
// once, by partial transfers (each a split), whole transfers and removals. Whatever
// interleaving the server sees, no unit is lost or made: what the item keeps plus what
// was split off plus what was removed is what it held.
func TestStockConcurrentTransfers(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bins := []int64{stockLocation(t, a, "A", 0), stockLocation(t, a, "B", 0), stockLocation(t, a, "C", 0)}
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	src := stockItem(t, a, bolt, "100", wh, map[string]any{"delete_on_deplete": false})

	const clients, rounds = 6, 5
	type outcome struct {
		status  int
		removed bool
	}
	results := make(chan outcome, clients*rounds)
	done := make(chan struct{})
	for i := range clients {
		c := s.Token(s.Admin.Token).For(t)
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range rounds {
				var r *Response
				if (i+j)%3 == 2 {
					r = c.Do(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": src, "quantity": 2}}})
					results <- outcome{r.Status, true}
					continue
				}
				r = c.Do(http.MethodPost, "/api/stock/transfer/", map[string]any{
					"items": []map[string]any{{"pk": src, "quantity": 3}}, "location": bins[(i+j)%len(bins)],
				})
				results <- outcome{r.Status, false}
			}
		}()
	}
	for range clients {
		<-done
	}
	close(results)
	ok, removals, busy := 0, 0, 0
	for o := range results {
		switch o.status {
		case http.StatusCreated:
			ok++
			if o.removed {
				removals++
			}
		case http.StatusServiceUnavailable: // too many conflicts: refused, nothing appended
			busy++
		default:
			t.Errorf("status %d", o.status)
		}
	}
	splits := ok - removals
	t.Logf("%d splits, %d removals, %d refused as busy", splits, removals, busy)
	var items []map[string]any
	a.Get(query("/api/stock/", "part", fmt.Sprint(bolt)), http.StatusOK).JSON(&items)
	total := 0.0
	for _, it := range items {
		total += it["quantity"].(float64)
	}
	if want := 100.0 - 2*float64(removals); total != want {
		t.Errorf("%d items hold %v after %d splits and %d removals; want %v", len(items), total, splits, removals, want)
	}
	if len(items) != 1+splits {
		t.Errorf("%d items after %d splits", len(items), splits)
	}
	if q := quantityOf(t, a, src); q != 100-3*float64(splits)-2*float64(removals) {
		t.Errorf("source holds %v after %d splits and %d removals", q, splits, removals)
	}
	// The history agrees: one split entry per split, one removal entry per removal.
	counts := map[int]int{}
	for _, e := range trackingOf(t, a, src) {
		counts[e.Type]++
	}
	if counts[42] != splits || counts[12] != removals {
		t.Errorf("history %v after %d splits and %d removals", counts, splits, removals)
	}
	if splits == 0 {
		t.Errorf("no transfer got through")
	}
}

// ---- part figures ----

// TestStockPartFigures checks the stock figures /api/part/ reads from the stock read
// model after stock actions: in_stock (the part's own items in stock), variant_stock,
// total_in_stock, external_stock, unallocated_stock and stock_item_count.
func TestStockPartFigures(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	far := stockLocation(t, a, "Far", 0, map[string]any{"external": true})
	chair := newPart(t, a, map[string]any{"name": "Chair", "is_template": true})
	red := newPart(t, a, map[string]any{"name": "Red chair", "variant_of": chair})

	figures := func(part int64) string {
		t.Helper()
		p := getObject(t, a, partURL(part))
		keys := []string{"in_stock", "variant_stock", "total_in_stock", "external_stock", "unallocated_stock", "stock_item_count"}
		out := ""
		for _, k := range keys {
			out += fmt.Sprintf("%s=%v ", k, p[k])
		}
		return out
	}
	want := func(part int64, in, variant, external float64, count int) {
		t.Helper()
		exp := fmt.Sprintf("in_stock=%v variant_stock=%v total_in_stock=%v external_stock=%v unallocated_stock=%v stock_item_count=%v ",
			in, variant, in+variant, external, in+variant, count)
		if got := figures(part); got != exp {
			t.Errorf("part %d:\n got %s\nwant %s", part, got, exp)
		}
	}
	want(chair, 0, 0, 0, 0)

	c1 := stockItem(t, a, chair, "10", wh)
	c2 := stockItem(t, a, chair, "5", far)
	r1 := stockItem(t, a, red, "3", wh)
	want(chair, 15, 3, 5, 2)
	want(red, 3, 0, 0, 1)

	a.Call(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": c1, "quantity": 2}}}, http.StatusCreated)
	want(chair, 17, 3, 5, 2)
	a.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": r1, "quantity": 1}}}, http.StatusCreated)
	want(chair, 17, 2, 5, 2)
	// A split adds an item, not stock.
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": c1, "quantity": 4}}, "location": far}, http.StatusCreated)
	want(chair, 17, 2, 9, 3)
	// Items out of stock count as items, not as stock.
	a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{c2}, "status": 70}, http.StatusCreated)
	want(chair, 12, 2, 4, 3)
	a.Call(http.MethodPost, "/api/stock/count/", map[string]any{"items": []map[string]any{{"pk": c1, "quantity": 1}}}, http.StatusCreated)
	want(chair, 5, 2, 4, 3)
	a.Call(http.MethodDelete, stockItemURL(c2), nil, http.StatusNoContent)
	want(chair, 5, 2, 4, 2)

	// The part list answers the same figures and orders by them.
	wantPKs(t, a, query("/api/part/", "ordering", "-in_stock"), chair, red)
	wantPKs(t, a, query("/api/part/", "ordering", "total_in_stock"), red, chair)
}

// ---- OPTIONS and roles ----

func TestStockOptions(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	part := newPart(t, a, map[string]any{"name": "Bolt"})
	item := stockItem(t, a, part, "1", wh)

	type metadata struct {
		Name        string                               `json:"name"`
		Description string                               `json:"description"`
		Actions     map[string]map[string]map[string]any `json:"actions"`
		Model       string                               `json:"model"`
	}
	options := func(c *Client, path string) metadata {
		t.Helper()
		var m metadata
		c.For(t).Call(http.MethodOptions, path, nil, http.StatusOK).JSON(&m)
		return m
	}
	actions := func(m metadata) []string {
		var out []string
		for k := range m.Actions {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	field := func(m metadata, action, name string, want map[string]any) {
		t.Helper()
		for k, v := range want {
			if got := mustJSON(m.Actions[action][name][k]); got != mustJSON(v) {
				t.Errorf("%s %s field %s.%s = %s, want %s", m.Name, action, name, k, got, mustJSON(v))
			}
		}
	}

	m := options(a, "/api/stock/")
	if m.Name != "Stock List" || m.Model != "stockitem" || !slices.Equal(actions(m), []string{"GET", "POST"}) {
		t.Errorf("stock list: %+v", m)
	}
	field(m, "POST", "part", map[string]any{"type": "related field", "required": true, "model": "part", "api_url": "/api/part/"})
	field(m, "POST", "quantity", map[string]any{"type": "float", "required": true})
	field(m, "POST", "location", map[string]any{"type": "related field", "model": "stocklocation", "api_url": "/api/stock/location/", "label": "Stock Location"})
	field(m, "POST", "serial_numbers", map[string]any{"type": "string", "required": false})
	field(m, "POST", "status", map[string]any{"type": "choice", "default": 10})
	field(m, "POST", "in_stock", map[string]any{"read_only": true})
	field(m, "POST", "batch", map[string]any{"max_length": 100})
	if len(m.Actions["POST"]["status"]["choices"].([]any)) != 8 {
		t.Errorf("status choices %v", m.Actions["POST"]["status"]["choices"])
	}
	m = options(a, stockItemURL(item))
	if m.Name != "Stock Detail" || m.Model != "stockitem" || !slices.Equal(actions(m), []string{"DELETE", "GET", "PUT"}) {
		t.Errorf("stock detail: %+v", m)
	}
	m = options(a, "/api/stock/location/")
	if m.Name != "Stock Location List" || m.Model != "stocklocation" || !slices.Equal(actions(m), []string{"GET", "POST"}) {
		t.Errorf("location list: %+v", m)
	}
	field(m, "POST", "name", map[string]any{"type": "string", "required": true, "max_length": 100})
	field(m, "POST", "parent", map[string]any{"type": "related field", "model": "stocklocation"})
	m = options(a, locationURL(wh))
	if m.Name != "Stock Location Detail" || !slices.Equal(actions(m), []string{"DELETE", "GET", "PUT"}) {
		t.Errorf("location detail: %+v", m)
	}
	m = options(a, "/api/stock/transfer/")
	if m.Name != "Stock Transfer" || !slices.Equal(actions(m), []string{"POST"}) {
		t.Errorf("transfer: %+v", m)
	}
	field(m, "POST", "location", map[string]any{"required": true, "type": "related field"})
	if ch := m.Actions["POST"]["items"]["child"].(map[string]any)["children"].(map[string]any); ch["quantity"].(map[string]any)["type"] != "decimal" {
		t.Errorf("transfer items %v", ch)
	}

	// A user sees only the actions its roles allow.
	viewer := s.CreateUser(UserSpec{Roles: []string{"stock.view"}})
	if m := options(viewer.Client, "/api/stock/"); !slices.Equal(actions(m), []string{"GET"}) {
		t.Errorf("viewer's stock list actions %v", actions(m))
	}
	viewer.For(t).Do(http.MethodOptions, "/api/stock/location/", nil).WantDetail(http.StatusForbidden, "You do not have permission to perform this action.")
	viewer.For(t).Do(http.MethodOptions, stockItemURL(item)+"serialize/", nil).WantDetail(http.StatusForbidden, "You do not have permission to perform this action.")
}

func TestStockRoles(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	part := newPart(t, a, map[string]any{"name": "Bolt"})
	item := stockItem(t, a, part, "10", wh)
	move := map[string]any{"items": []map[string]any{{"pk": item, "quantity": 1}}, "location": wh}

	locationsOnly := s.CreateUser(UserSpec{Roles: []string{"stock_location.all"}}).For(t)
	locationsOnly.Get("/api/stock/location/", http.StatusOK)
	locationsOnly.Call(http.MethodPost, "/api/stock/location/", map[string]any{"name": "New"}, http.StatusCreated)
	locationsOnly.Get("/api/stock/", http.StatusForbidden)
	locationsOnly.Call(http.MethodPost, "/api/stock/transfer/", move, http.StatusForbidden)

	viewer := s.CreateUser(UserSpec{Roles: []string{"stock.view"}}).For(t)
	viewer.Get(stockItemURL(item), http.StatusOK)
	viewer.Get("/api/stock/track/", http.StatusOK)
	viewer.Call(http.MethodPost, "/api/stock/transfer/", move, http.StatusForbidden)
	viewer.Call(http.MethodPatch, stockItemURL(item), map[string]any{"batch": "x"}, http.StatusForbidden)
	viewer.Get("/api/stock/location/", http.StatusForbidden)

	changer := s.CreateUser(UserSpec{Roles: []string{"stock.change"}}).For(t)
	changer.Call(http.MethodPatch, stockItemURL(item), map[string]any{"batch": "x"}, http.StatusOK)
	changer.Call(http.MethodPost, "/api/stock/transfer/", move, http.StatusForbidden)
	changer.Call(http.MethodDelete, stockItemURL(item), nil, http.StatusForbidden)

	adder := s.CreateUser(UserSpec{Roles: []string{"stock.add"}}).For(t)
	adder.Call(http.MethodPost, "/api/stock/transfer/", move, http.StatusCreated)
	adder.Call(http.MethodPost, "/api/stock/", map[string]any{"part": part, "quantity": 1}, http.StatusCreated)
	adder.Call(http.MethodDelete, stockItemURL(item), nil, http.StatusForbidden)

	deleter := s.CreateUser(UserSpec{Roles: []string{"stock.delete"}}).For(t)
	deleter.Call(http.MethodDelete, stockItemURL(item), nil, http.StatusNoContent)
}
