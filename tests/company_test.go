package tests

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

// The company area end to end: companies, addresses, contacts, manufacturer parts and
// supplier parts over HTTP, against the real server.

func companyURL(pk int64) string      { return fmt.Sprintf("/api/company/%d/", pk) }
func supplierPartURL(pk int64) string { return fmt.Sprintf("/api/company/part/%d/", pk) }
func manufacturerPartURL(pk int64) string {
	return fmt.Sprintf("/api/company/part/manufacturer/%d/", pk)
}

// newCompany creates a company and returns its pk.
func newCompany(t *testing.T, c *Client, body map[string]any) int64 {
	t.Helper()
	return c.Create(t, "/api/company/", body)
}

// newSupplierPart creates a supplier part and returns its pk.
func newSupplierPart(t *testing.T, c *Client, body map[string]any) int64 {
	t.Helper()
	return c.Create(t, "/api/company/part/", body)
}

func companyAuthRows() []authRow {
	const (
		get, post, put, patch, del, opts = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions
	)
	empty := map[string]any{}
	po := user.RolePurchaseOrder
	view, add, change, remove := user.PermView, user.PermAdd, user.PermChange, user.PermDelete
	var rows []authRow
	for _, base := range []string{"/api/company/", "/api/company/address/", "/api/company/contact/",
		"/api/company/part/", "/api/company/part/manufacturer/"} {
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

func TestCompanyCRUD(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	// InvenTree's defaults: a supplier, active, in the default currency.
	r := a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "Acme"}, http.StatusCreated)
	acme := r.PK()
	r.WantJSON(fmt.Sprintf(`{"pk":%d,"name":"Acme","description":"","website":"","phone":"","email":null,
		"currency":"USD","contact":"","link":"","image":null,"active":true,"is_customer":false,
		"is_manufacturer":false,"is_supplier":true,"notes":null,"parts_supplied":0,"parts_manufactured":0,
		"primary_address":null,"tax_id":"","tags":[]}`, acme))

	a.Call(http.MethodPatch, companyURL(acme), map[string]any{
		"description": "Widgets", "email": "sales@acme.example", "currency": "EUR", "is_customer": true,
		"website": "https://acme.example",
	}, http.StatusOK)
	got := getObject(t, a, companyURL(acme))
	if got["email"] != "sales@acme.example" || got["currency"] != "EUR" || got["is_customer"] != true || got["website"] != "https://acme.example" {
		t.Errorf("after PATCH: %v", got)
	}

	// Field rules, in DRF's words.
	a.Call(http.MethodPost, "/api/company/", map[string]any{}, http.StatusBadRequest).WantJSON(errorBody("name", "This field is required."))
	a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "X", "currency": "XYZ"}, http.StatusBadRequest).
		WantJSON(errorBody("currency", `"XYZ" is not a valid choice.`))
	a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "X", "email": "nope"}, http.StatusBadRequest).
		WantJSON(errorBody("email", "Enter a valid email address."))
	a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "X", "website": "not a url"}, http.StatusBadRequest).
		WantJSON(errorBody("website", "Enter a valid URL."))

	// (name, email) is unique; without an e-mail a name may repeat.
	head := s.Head()
	a.Call(http.MethodPost, "/api/company/", map[string]any{"name": "Acme", "email": "sales@acme.example"}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "The fields name, email must make a unique set."))
	wantNoEvents(t, s, head)
	newCompany(t, a, map[string]any{"name": "Acme"})
	// A new e-mail frees the old pair.
	a.Call(http.MethodPatch, companyURL(acme), map[string]any{"email": "info@acme.example"}, http.StatusOK)
	newCompany(t, a, map[string]any{"name": "Acme", "email": "sales@acme.example"})

	a.Call(http.MethodDelete, companyURL(acme), nil, http.StatusNoContent)
	a.Get(companyURL(acme), http.StatusNotFound).WantDetail(http.StatusNotFound, "No Company matches the given query.")
	newCompany(t, a, map[string]any{"name": "Acme", "email": "info@acme.example"})
}

func TestCompanyList(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	zeta := newCompany(t, a, map[string]any{"name": "Zeta", "is_supplier": true})
	alpha := newCompany(t, a, map[string]any{"name": "Alpha", "is_supplier": false, "is_customer": true})
	maker := newCompany(t, a, map[string]any{"name": "Makers", "is_manufacturer": true, "description": "fab"})

	wantPKs(t, a, "/api/company/", alpha, maker, zeta)
	wantPKs(t, a, "/api/company/?ordering=-name", zeta, maker, alpha)
	wantPKs(t, a, "/api/company/?is_customer=true", alpha)
	wantPKs(t, a, "/api/company/?is_supplier=true", maker, zeta)
	wantPKs(t, a, "/api/company/?is_manufacturer=1", maker)
	wantPKs(t, a, "/api/company/?search=fab", maker)
	wantPKs(t, a, "/api/company/?name=Zeta", zeta)
	page := a.Get("/api/company/?limit=2", http.StatusOK).Object()
	if page["count"] != 3.0 || len(page["results"].([]any)) != 2 {
		t.Errorf("paged list: %v", page)
	}
	a.Get("/api/company/?is_customer=maybe", http.StatusBadRequest).
		WantJSON(errorBody("is_customer", "Select a valid choice. That choice is not one of the available choices."))
}

func TestCompanyAddressesAndContacts(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	acme := newCompany(t, a, map[string]any{"name": "Acme"})
	other := newCompany(t, a, map[string]any{"name": "Other"})

	// The first address is primary whatever the request says.
	first := a.Call(http.MethodPost, "/api/company/address/", map[string]any{
		"company": acme, "title": "HQ", "line1": "1 Main St", "country": "NZ",
	}, http.StatusCreated)
	first.WantJSON(fmt.Sprintf(`{"pk":%d,"company":%d,"title":"HQ","primary":true,"line1":"1 Main St","line2":"",
		"postal_code":"","postal_city":"","province":"","country":"NZ","shipping_notes":"",
		"internal_shipping_notes":"","link":""}`, first.PK(), acme))
	hq := first.PK()
	if pa := getObject(t, a, companyURL(acme))["primary_address"].(map[string]any); pa["pk"] != float64(hq) || pa["line1"] != "1 Main St" {
		t.Errorf("primary_address %v", pa)
	}
	// A new primary address makes the others non-primary.
	depot := a.Call(http.MethodPost, "/api/company/address/", map[string]any{
		"company": acme, "title": "Depot", "primary": true,
	}, http.StatusCreated).PK()
	if getObject(t, a, fmt.Sprintf("/api/company/address/%d/", hq))["primary"] != false {
		t.Error("the old primary address stayed primary")
	}
	wantPKs(t, a, fmt.Sprintf("/api/company/address/?company=%d&ordering=title", acme), depot, hq)
	a.Call(http.MethodPost, "/api/company/address/", map[string]any{"company": 999999, "title": "X"}, http.StatusBadRequest).
		WantJSON(errorBody("company", `Invalid pk "999999" - object does not exist.`))
	a.Call(http.MethodPost, "/api/company/address/", map[string]any{"company": acme}, http.StatusBadRequest).
		WantJSON(errorBody("title", "This field is required."))

	// An address moves to another company under its pk.
	a.Call(http.MethodPatch, fmt.Sprintf("/api/company/address/%d/", hq), map[string]any{"company": other}, http.StatusOK)
	moved := getObject(t, a, fmt.Sprintf("/api/company/address/%d/", hq))
	if moved["company"] != float64(other) || moved["primary"] != true {
		t.Errorf("moved address %v, want company %d and primary (its only address)", moved, other)
	}
	a.Call(http.MethodDelete, fmt.Sprintf("/api/company/address/%d/", depot), nil, http.StatusNoContent)
	a.Get(fmt.Sprintf("/api/company/address/%d/", depot), http.StatusNotFound)

	c := a.Call(http.MethodPost, "/api/company/contact/", map[string]any{"company": acme, "name": "Jo", "role": "Buyer"}, http.StatusCreated)
	c.WantJSON(fmt.Sprintf(`{"pk":%d,"company":%d,"company_name":"Acme","name":"Jo","phone":"","email":"","role":"Buyer"}`, c.PK(), acme))
	a.Call(http.MethodPatch, fmt.Sprintf("/api/company/contact/%d/", c.PK()), map[string]any{"email": "jo@acme.example"}, http.StatusOK)
	wantPKs(t, a, "/api/company/contact/?search=acme", c.PK())
	wantPKs(t, a, fmt.Sprintf("/api/company/contact/?company=%d", other))
	a.Call(http.MethodDelete, fmt.Sprintf("/api/company/contact/%d/", c.PK()), nil, http.StatusNoContent)

	// Deleting a company takes its addresses and contacts along.
	a.Call(http.MethodDelete, companyURL(other), nil, http.StatusNoContent)
	a.Get(fmt.Sprintf("/api/company/address/%d/", hq), http.StatusNotFound)
}

func TestSupplierAndManufacturerParts(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	supplier := newCompany(t, a, map[string]any{"name": "Digi"})
	maker := newCompany(t, a, map[string]any{"name": "Yageo", "is_manufacturer": true, "is_supplier": false})
	customer := newCompany(t, a, map[string]any{"name": "Buyer", "is_customer": true, "is_supplier": false})
	res := newPart(t, a, map[string]any{"name": "R 10k", "IPN": "R-10K", "purchaseable": true})
	cable := newPart(t, a, map[string]any{"name": "Cable", "units": "m", "purchaseable": true})
	unbuyable := newPart(t, a, map[string]any{"name": "Made here", "purchaseable": false})

	mp := a.Call(http.MethodPost, "/api/company/part/manufacturer/", map[string]any{
		"part": res, "manufacturer": maker, "MPN": "RC0603",
	}, http.StatusCreated)
	mp.WantJSON(fmt.Sprintf(`{"pk":%d,"part":%d,"manufacturer":%d,"description":null,"MPN":"RC0603","link":null,
		"barcode_hash":"","notes":null,"tags":[]}`, mp.PK(), res, maker))
	a.Call(http.MethodPost, "/api/company/part/manufacturer/", map[string]any{"part": res, "manufacturer": maker, "MPN": "RC0603"},
		http.StatusBadRequest).WantJSON(errorBody("non_field_errors", "The fields part, manufacturer, MPN must make a unique set."))
	a.Call(http.MethodPost, "/api/company/part/manufacturer/", map[string]any{"part": res, "manufacturer": supplier, "MPN": "X"},
		http.StatusBadRequest).WantJSON(errorBody("manufacturer", fmt.Sprintf(`Invalid pk "%d" - object does not exist.`, supplier)))
	pretty := getObject(t, a, manufacturerPartURL(mp.PK())+"?pretty=true&manufacturer_detail=true&part_detail=true")
	if pretty["pretty_name"] != "Yageo | RC0603" || pretty["manufacturer_detail"].(map[string]any)["name"] != "Yageo" ||
		pretty["part_detail"].(map[string]any)["name"] != "R 10k" {
		t.Errorf("manufacturer part details %v", pretty)
	}

	r := a.Call(http.MethodPost, "/api/company/part/", map[string]any{
		"part": res, "supplier": supplier, "SKU": "311-10K", "manufacturer_part": mp.PK(), "pack_quantity": "100",
		"packaging": "Reel",
	}, http.StatusCreated)
	sp := r.PK()
	got := r.Object()
	if got["pack_quantity"] != "100" || got["pack_quantity_native"] != 100.0 || got["MPN"] != "RC0603" || got["in_stock"] != 0.0 ||
		got["on_order"] != 0.0 || got["primary"] != false || got["active"] != true || got["packaging"] != "Reel" {
		t.Errorf("created supplier part %v", got)
	}
	// Rules: a purchaseable part, a supplier, a matching manufacturer part, unique SKU.
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"part": unbuyable, "supplier": supplier, "SKU": "A"}, errorBody("part", fmt.Sprintf(`Invalid pk "%d" - object does not exist.`, unbuyable))},
		{map[string]any{"part": res, "supplier": customer, "SKU": "A"}, errorBody("supplier", fmt.Sprintf(`Invalid pk "%d" - object does not exist.`, customer))},
		{map[string]any{"part": cable, "supplier": supplier, "SKU": "A", "manufacturer_part": mp.PK()}, errorBody("manufacturer_part", "Linked manufacturer part must reference the same base part")},
		{map[string]any{"part": res, "supplier": supplier, "SKU": "311-10K"}, errorBody("non_field_errors", "The fields part, supplier, SKU must make a unique set.")},
		{map[string]any{"part": res, "supplier": supplier, "SKU": "B", "pack_quantity": "0"}, errorBody("pack_quantity", "Pack units must be greater than zero")},
		{map[string]any{"part": res, "supplier": supplier, "SKU": "B", "pack_quantity": "2 m"}, errorBody("pack_quantity", "Pack units must be compatible with the base part units")},
		{map[string]any{"part": res, "supplier": supplier}, errorBody("SKU", "This field is required.")},
	} {
		head := s.Head()
		a.Call(http.MethodPost, "/api/company/part/", c.body, http.StatusBadRequest).WantJSON(c.want)
		wantNoEvents(t, s, head)
	}
	// A pack in the part's own units.
	spool := newSupplierPart(t, a, map[string]any{"part": cable, "supplier": supplier, "SKU": "CBL", "pack_quantity": "25 m"})
	if got := getObject(t, a, supplierPartURL(spool))["pack_quantity_native"]; got != 25.0 {
		t.Errorf("pack_quantity_native %v, want 25", got)
	}

	// One primary supplier part per part: a new primary one displaces the old.
	a.Call(http.MethodPatch, supplierPartURL(sp), map[string]any{"primary": true}, http.StatusOK)
	second := newSupplierPart(t, a, map[string]any{"part": res, "supplier": supplier, "SKU": "311-10K-CT", "primary": true})
	if getObject(t, a, supplierPartURL(sp))["primary"] != false || getObject(t, a, supplierPartURL(second))["primary"] != true {
		t.Error("the primary supplier part was not displaced")
	}
	wantPKs(t, a, fmt.Sprintf("/api/company/part/?part=%d&primary=true", res), second)

	// Filters, details and pretty names.
	wantPKs(t, a, fmt.Sprintf("/api/company/part/?supplier=%d&ordering=SKU", supplier), sp, second, spool)
	wantPKs(t, a, fmt.Sprintf("/api/company/part/?manufacturer=%d", maker), sp)
	wantPKs(t, a, fmt.Sprintf("/api/company/part/?company=%d", maker), sp)
	wantPKs(t, a, "/api/company/part/?MPN=rc0603", sp)
	wantPKs(t, a, "/api/company/part/?SKU=cbl", spool)
	wantPKs(t, a, "/api/company/part/?search=yageo", sp)
	detail := getObject(t, a, supplierPartURL(sp)+"?pretty=true&supplier_detail=true&manufacturer_detail=true&manufacturer_part_detail=true&part_detail=true")
	if detail["pretty_name"] != "R-10K | Digi | 311-10K | Yageo | RC0603" {
		t.Errorf("pretty_name %v", detail["pretty_name"])
	}
	if detail["supplier_detail"].(map[string]any)["name"] != "Digi" || detail["manufacturer_detail"].(map[string]any)["name"] != "Yageo" ||
		detail["manufacturer_part_detail"].(map[string]any)["MPN"] != "RC0603" || detail["part_detail"].(map[string]any)["IPN"] != "R-10K" {
		t.Errorf("supplier part details %v", detail)
	}
	if _, ok := getObject(t, a, supplierPartURL(sp))["supplier_detail"]; ok {
		t.Error("supplier_detail shown without the flag")
	}
	if n := getObject(t, a, companyURL(supplier))["parts_supplied"]; n != 3.0 {
		t.Errorf("parts_supplied %v, want 3", n)
	}
	if n := getObject(t, a, companyURL(maker))["parts_manufactured"]; n != 1.0 {
		t.Errorf("parts_manufactured %v, want 1", n)
	}

	// available stamps availability_updated.
	a.Call(http.MethodPatch, supplierPartURL(spool), map[string]any{"available": 500}, http.StatusOK)
	if got := getObject(t, a, supplierPartURL(spool)); got["available"] != 500.0 || got["availability_updated"] == nil {
		t.Errorf("after available: %v", got)
	}

	// Deleting a manufacturer part deletes the supplier parts linked to it.
	a.Call(http.MethodDelete, manufacturerPartURL(mp.PK()), nil, http.StatusNoContent)
	a.Get(supplierPartURL(sp), http.StatusNotFound)
	// Its SKU is free again.
	newSupplierPart(t, a, map[string]any{"part": res, "supplier": supplier, "SKU": "311-10K"})

	// Deleting the supplier deletes what it supplies.
	a.Call(http.MethodDelete, companyURL(supplier), nil, http.StatusNoContent)
	wantPKs(t, a, "/api/company/part/")
}

// TestSupplierPartFromPythonClient creates a supplier part as inventree-python's tests
// do: with a manufacturer name and an MPN, which link an existing manufacturer part.
func TestSupplierPartLinksManufacturerByName(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	supplier := newCompany(t, a, map[string]any{"name": "Digi"})
	maker := newCompany(t, a, map[string]any{"name": "Yageo", "is_manufacturer": true})
	part := newPart(t, a, map[string]any{"name": "R", "purchaseable": true})
	mp := a.Call(http.MethodPost, "/api/company/part/manufacturer/", map[string]any{"part": part, "manufacturer": maker, "MPN": "M1"}, http.StatusCreated).PK()
	sp := a.Call(http.MethodPost, "/api/company/part/", map[string]any{
		"part": part, "supplier": supplier, "SKU": "S1", "manufacturer": "Yageo", "MPN": "M1",
	}, http.StatusCreated).Object()
	if sp["manufacturer_part"] != float64(mp) {
		t.Errorf("manufacturer_part %v, want %d", sp["manufacturer_part"], mp)
	}
	// An MPN with no manufacturer part links nothing, as in InvenTree.
	sp = a.Call(http.MethodPost, "/api/company/part/", map[string]any{
		"part": part, "supplier": supplier, "SKU": "S2", "MPN": "M1",
	}, http.StatusCreated).Object()
	if sp["manufacturer_part"] != nil {
		t.Errorf("manufacturer_part %v, want none", sp["manufacturer_part"])
	}
}

func TestCompanyOptionsAndRoles(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	viewer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.view"}})
	buyer := s.CreateUser(UserSpec{Roles: []string{"purchase_order.add"}})
	stockOnly := s.CreateUser(UserSpec{Roles: []string{"stock.all"}})

	opts := buyer.For(t).Call(http.MethodOptions, "/api/company/", nil, http.StatusOK).Object()
	post := opts["actions"].(map[string]any)["POST"].(map[string]any)
	if post["currency"].(map[string]any)["default"] != "USD" || post["name"].(map[string]any)["required"] != true {
		t.Errorf("OPTIONS POST %v", post)
	}
	if _, ok := viewer.For(t).Call(http.MethodOptions, "/api/company/", nil, http.StatusOK).Object()["actions"].(map[string]any)["POST"]; ok {
		t.Error("a viewer is offered POST")
	}
	viewer.For(t).Call(http.MethodPost, "/api/company/", map[string]any{"name": "X"}, http.StatusForbidden)
	stockOnly.For(t).Get("/api/company/", http.StatusForbidden)
	buyer.For(t).Call(http.MethodPost, "/api/company/", map[string]any{"name": "X"}, http.StatusCreated)
}
