package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/domain/user"
)

// The part area end to end: /api/part/category/..., /api/part/... over HTTP, against
// the real server.

const (
	msgPartRequired    = "This field is required."
	msgPartInvalidPick = "Select a valid choice. That choice is not one of the available choices."
)

// ---- helpers ----

// newCategory creates a category through the API and returns its pk.
func newCategory(t *testing.T, c *Client, body map[string]any) int64 {
	t.Helper()
	return c.Create(t, "/api/part/category/", body)
}

// newPart creates a part through the API and returns its pk.
func newPart(t *testing.T, c *Client, body map[string]any) int64 {
	t.Helper()
	return c.Create(t, "/api/part/", body)
}

func categoryURL(pk int64) string { return fmt.Sprintf("/api/part/category/%d/", pk) }
func partURL(pk int64) string     { return fmt.Sprintf("/api/part/%d/", pk) }

// pksOf reads the pks of a list answer, bare or paged.
func pksOf(r *Response) []int64 {
	r.t.Helper()
	var rows []struct {
		PK int64 `json:"pk"`
	}
	if len(r.Body) > 0 && r.Body[0] == '{' {
		var page struct {
			Results json.RawMessage `json:"results"`
		}
		r.JSON(&page)
		if err := json.Unmarshal(page.Results, &rows); err != nil {
			r.t.Fatalf("%s: %v", r, err)
		}
	} else {
		r.JSON(&rows)
	}
	out := make([]int64, len(rows))
	for i, row := range rows {
		out[i] = row.PK
	}
	return out
}

// wantPKs fails unless the list at path holds exactly want, in that order.
func wantPKs(t *testing.T, c *Client, path string, want ...int64) {
	t.Helper()
	got := pksOf(c.For(t).Get(path, http.StatusOK))
	if want == nil {
		want = []int64{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("GET %s: pks %v, want %v", path, got, want)
	}
}

// wantSamePKs is wantPKs ignoring the order.
func wantSamePKs(t *testing.T, c *Client, path string, want ...int64) {
	t.Helper()
	got := pksOf(c.For(t).Get(path, http.StatusOK))
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("GET %s: pks %v, want %v (any order)", path, got, want)
	}
}

// errorBody renders a DRF error body for WantJSON.
func errorBody(field string, msgs ...string) string {
	b, _ := json.Marshal(map[string][]string{field: msgs})
	return string(b)
}

func ids(pks ...int64) string {
	s := make([]string, len(pks))
	for i, pk := range pks {
		s[i] = fmt.Sprint(pk)
	}
	return strings.Join(s, ",")
}

// ---- categories ----

func TestPartCategoryCRUD(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	// Create answers 201 with the read model's representation.
	created := a.Call(http.MethodPost, "/api/part/category/", map[string]any{
		"name": "Electronics", "description": "Things with electrons", "default_keywords": "elec", "icon": "ti:cpu:outline",
	}, http.StatusCreated)
	top := created.PK()
	created.WantJSON(fmt.Sprintf(`{"pk":%d,"name":"Electronics","description":"Things with electrons","default_location":null,
		"default_keywords":"elec","level":0,"parent":null,"part_count":0,"subcategories":0,"pathstring":"Electronics",
		"starred":false,"structural":false,"icon":"ti:cpu:outline","parent_default_location":null}`, top))

	child := newCategory(t, a, map[string]any{"name": "Resistors", "parent": top})
	grandchild := newCategory(t, a, map[string]any{"name": "SMD", "parent": fmt.Sprint(child)}) // a pk as text

	var c map[string]any
	a.Get(categoryURL(grandchild), http.StatusOK).JSON(&c)
	if c["pathstring"] != "Electronics/Resistors/SMD" || c["level"] != 2.0 || c["parent"] != float64(child) {
		t.Errorf("grandchild: %v", c)
	}
	if _, ok := c["path"]; ok {
		t.Errorf("path without path_detail: %v", c)
	}
	a.Get(categoryURL(grandchild)+"?path_detail=true", http.StatusOK).JSON(&c)
	path, _ := json.Marshal(c["path"])
	want := fmt.Sprintf(`[{"icon":"ti:cpu:outline","name":"Electronics","pk":%d},{"icon":"","name":"Resistors","pk":%d},{"icon":"","name":"SMD","pk":%d}]`, top, child, grandchild)
	if string(path) != want {
		t.Errorf("path %s, want %s", path, want)
	}
	a.Get(categoryURL(top), http.StatusOK).JSON(&c)
	if c["subcategories"] != 2.0 {
		t.Errorf("subcategories of the top: %v", c["subcategories"])
	}

	// PATCH changes what it names; null clears a nullable field.
	a.Call(http.MethodPatch, categoryURL(top), map[string]any{"description": "Changed", "default_keywords": nil}, http.StatusOK).JSON(&c)
	if c["description"] != "Changed" || c["default_keywords"] != nil || c["name"] != "Electronics" || c["icon"] != "ti:cpu:outline" {
		t.Errorf("after PATCH: %v", c)
	}
	// PUT needs the name; what it leaves out stays.
	a.Call(http.MethodPut, categoryURL(top), map[string]any{"description": "x"}, http.StatusBadRequest).
		WantJSON(errorBody("name", msgPartRequired))
	a.Call(http.MethodPut, categoryURL(top), map[string]any{"name": "Electrical"}, http.StatusOK).JSON(&c)
	if c["name"] != "Electrical" || c["description"] != "Changed" {
		t.Errorf("after PUT: %v", c)
	}
	// A rename shows in the paths below.
	a.Get(categoryURL(grandchild), http.StatusOK).JSON(&c)
	if c["pathstring"] != "Electrical/Resistors/SMD" {
		t.Errorf("pathstring after the rename: %v", c["pathstring"])
	}
	// Moving a category moves its subtree.
	a.Call(http.MethodPatch, categoryURL(child), map[string]any{"parent": nil}, http.StatusOK).JSON(&c)
	if c["level"] != 0.0 || c["parent"] != nil || c["pathstring"] != "Resistors" {
		t.Errorf("moved to the top: %v", c)
	}
	a.Get(categoryURL(grandchild), http.StatusOK).JSON(&c)
	if c["pathstring"] != "Resistors/SMD" || c["level"] != 1.0 {
		t.Errorf("below the moved category: %v", c)
	}

	// Unknown categories.
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		a.Do(m, categoryURL(999999), map[string]any{"name": "x"}).WantDetail(http.StatusNotFound, "No PartCategory matches the given query.")
	}
	// An unknown category is 404 before its body is read, as DRF finds the object first.
	a.Do(http.MethodPut, categoryURL(999999), map[string]any{}).WantDetail(http.StatusNotFound, "No PartCategory matches the given query.")

	a.Call(http.MethodDelete, categoryURL(grandchild), nil, http.StatusNoContent)
	a.Get(categoryURL(grandchild), http.StatusNotFound)
	a.Do(http.MethodDelete, categoryURL(grandchild), nil).WantDetail(http.StatusNotFound, "No PartCategory matches the given query.")
}

func TestPartCategoryRules(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	// Required, blank, null, too long: every bad field at once.
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{}, http.StatusBadRequest).
		WantJSON(errorBody("name", msgPartRequired))
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": "  "}, http.StatusBadRequest).
		WantJSON(errorBody("name", "This field may not be blank."))
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": nil}, http.StatusBadRequest).
		WantJSON(errorBody("name", "This field may not be null."))
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{
		"name": strings.Repeat("n", 101), "description": strings.Repeat("d", 251),
		"default_keywords": strings.Repeat("k", 251), "icon": strings.Repeat("i", 101), "structural": "perhaps",
	}, http.StatusBadRequest).WantJSON(`{
		"name": ["Ensure this field has no more than 100 characters."],
		"description": ["Ensure this field has no more than 250 characters."],
		"default_keywords": ["Ensure this field has no more than 250 characters."],
		"icon": ["Ensure this field has no more than 100 characters."],
		"structural": ["Must be a valid boolean."]}`)
	// Lengths are counted in characters.
	newCategory(t, a, map[string]any{"name": strings.Repeat("é", 100)})
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": "x", "parent": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("parent", `Invalid pk "999999" - object does not exist.`))
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": "x", "parent": "abc"}, http.StatusBadRequest).
		WantJSON(errorBody("parent", "Incorrect type. Expected pk value, received str."))

	// Names are unique among siblings only.
	top := newCategory(t, a, map[string]any{"name": "Mechanical"})
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": "Mechanical"}, http.StatusBadRequest).
		WantJSON(errorBody("name", "Duplicate names cannot exist under the same parent"))
	b := newCategory(t, a, map[string]any{"name": "Mechanical", "parent": top})
	c := newCategory(t, a, map[string]any{"name": "Screws", "parent": b})
	other := newCategory(t, a, map[string]any{"name": "Screws", "parent": top})
	a.Call(http.MethodPatch, categoryURL(other), map[string]any{"parent": b}, http.StatusBadRequest).
		WantJSON(errorBody("name", "Duplicate names cannot exist under the same parent"))
	// A freed name can be taken again.
	a.Call(http.MethodPatch, categoryURL(other), map[string]any{"name": "Bolts"}, http.StatusOK)
	newCategory(t, a, map[string]any{"name": "Screws", "parent": top})

	// No cycles: not under itself, not under a descendant.
	a.Call(http.MethodPatch, categoryURL(top), map[string]any{"parent": top}, http.StatusBadRequest).
		WantJSON(errorBody("parent", "Invalid choice"))
	a.Call(http.MethodPatch, categoryURL(top), map[string]any{"parent": c}, http.StatusBadRequest).
		WantJSON(errorBody("parent", "Invalid choice"))
	a.Call(http.MethodPatch, categoryURL(b), map[string]any{"parent": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("parent", `Invalid pk "999999" - object does not exist.`))

	// Structural categories take no parts, and a category with parts cannot become one.
	structural := newCategory(t, a, map[string]any{"name": "Structural", "structural": true})
	a.Call(http.MethodPost, "/api/part/", map[string]any{"name": "P", "category": structural}, http.StatusBadRequest).
		WantJSON(errorBody("category", "Parts cannot be assigned to structural part categories!"))
	p := newPart(t, a, map[string]any{"name": "P", "category": c})
	a.Call(http.MethodPatch, partURL(p), map[string]any{"category": structural}, http.StatusBadRequest).
		WantJSON(errorBody("category", "Parts cannot be assigned to structural part categories!"))
	a.Call(http.MethodPatch, categoryURL(c), map[string]any{"structural": true}, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "You cannot make this part category structural because some parts are already assigned to it!"))
	// Parts below, not in it, do not count.
	a.Call(http.MethodPatch, categoryURL(b), map[string]any{"structural": true}, http.StatusOK)
}

// TestPartCategoryDelete covers InvenTree's four ways of deleting a category, with the
// options as its clients send them in the body.
func TestPartCategoryDelete(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	type tree struct{ root, cat, child, grandchild, partInCat, partInChild, partInGrandchild int64 }
	build := func(prefix string) tree {
		var tr tree
		tr.root = newCategory(t, a, map[string]any{"name": prefix + " root"})
		tr.cat = newCategory(t, a, map[string]any{"name": prefix + " cat", "parent": tr.root})
		tr.child = newCategory(t, a, map[string]any{"name": prefix + " child", "parent": tr.cat})
		tr.grandchild = newCategory(t, a, map[string]any{"name": prefix + " grandchild", "parent": tr.child})
		// Active parts: a category delete takes them along even so (a queryset delete).
		tr.partInCat = newPart(t, a, map[string]any{"name": prefix + " p1", "category": tr.cat})
		tr.partInChild = newPart(t, a, map[string]any{"name": prefix + " p2", "category": tr.child})
		tr.partInGrandchild = newPart(t, a, map[string]any{"name": prefix + " p3", "category": tr.grandchild})
		return tr
	}
	parentOf := func(pk int64) any {
		var c map[string]any
		a.Get(categoryURL(pk), http.StatusOK).JSON(&c)
		return c["parent"]
	}
	categoryOf := func(pk int64) any {
		var p map[string]any
		a.Get(partURL(pk), http.StatusOK).JSON(&p)
		return p["category"]
	}

	for _, tc := range []struct {
		name                 string
		body                 any
		deleteParts, subtree bool
	}{
		{"move everything up", nil, false, false},
		{"options false", map[string]any{"delete_parts": "0", "delete_child_categories": false}, false, false},
		{"delete parts", map[string]any{"delete_parts": "1"}, true, false},
		{"delete child categories", map[string]any{"delete_child_categories": true}, false, true},
		{"delete both", map[string]any{"delete_parts": 1, "delete_child_categories": "true"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := a.For(t)
			tr := build(tc.name)
			a.Call(http.MethodDelete, categoryURL(tr.cat), tc.body, http.StatusNoContent)
			a.Get(categoryURL(tr.cat), http.StatusNotFound)
			root := float64(tr.root)
			switch {
			case tc.subtree:
				a.Get(categoryURL(tr.child), http.StatusNotFound)
				a.Get(categoryURL(tr.grandchild), http.StatusNotFound)
			default:
				if got := parentOf(tr.child); got != root {
					t.Errorf("child's parent %v, want the root %v", got, root)
				}
				if got := parentOf(tr.grandchild); got != float64(tr.child) {
					t.Errorf("grandchild's parent %v, want the child", got)
				}
			}
			switch {
			case tc.deleteParts && tc.subtree:
				for _, p := range []int64{tr.partInCat, tr.partInChild, tr.partInGrandchild} {
					a.Get(partURL(p), http.StatusNotFound)
				}
			case tc.deleteParts:
				a.Get(partURL(tr.partInCat), http.StatusNotFound)
				if got := categoryOf(tr.partInChild); got != float64(tr.child) {
					t.Errorf("part in the child moved to %v", got)
				}
			case tc.subtree:
				for _, p := range []int64{tr.partInCat, tr.partInChild, tr.partInGrandchild} {
					if got := categoryOf(p); got != root {
						t.Errorf("part %d in category %v, want the root", p, got)
					}
				}
			default:
				if got := categoryOf(tr.partInCat); got != root {
					t.Errorf("part in the deleted category moved to %v, want the root", got)
				}
				if got := categoryOf(tr.partInGrandchild); got != float64(tr.grandchild) {
					t.Errorf("part in the grandchild moved to %v", got)
				}
			}
			// The counters follow.
			var r map[string]any
			a.Get(categoryURL(tr.root), http.StatusOK).JSON(&r)
			wantParts, wantSubs := 3.0, 2.0
			switch {
			case tc.deleteParts && tc.subtree:
				wantParts, wantSubs = 0, 0
			case tc.deleteParts:
				wantParts = 2
			case tc.subtree:
				wantSubs = 0
			}
			if r["part_count"] != wantParts || r["subcategories"] != wantSubs {
				t.Errorf("root part_count %v subcategories %v, want %v %v", r["part_count"], r["subcategories"], wantParts, wantSubs)
			}
		})
	}

	// A top-level category's parts and children go to the top level.
	top := newCategory(t, a, map[string]any{"name": "Top"})
	under := newCategory(t, a, map[string]any{"name": "Under", "parent": top})
	p := newPart(t, a, map[string]any{"name": "Loose", "category": top})
	a.Call(http.MethodDelete, categoryURL(top), nil, http.StatusNoContent)
	if got := parentOf(under); got != nil {
		t.Errorf("child of a deleted top-level category: parent %v", got)
	}
	if got := categoryOf(p); got != nil {
		t.Errorf("part of a deleted top-level category: category %v", got)
	}
	// The moved child holds its name at its new level; the deleted category's name is
	// free again.
	a.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": "Under"}, http.StatusBadRequest).
		WantJSON(errorBody("name", "Duplicate names cannot exist under the same parent"))
	newCategory(t, a, map[string]any{"name": "Top"})
}

func TestPartCategoryList(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	mech := newCategory(t, a, map[string]any{"name": "Mechanical", "description": "Moving things"})
	fast := newCategory(t, a, map[string]any{"name": "Fasteners", "parent": mech})
	screws := newCategory(t, a, map[string]any{"name": "Screws", "parent": fast})
	bear := newCategory(t, a, map[string]any{"name": "Bearings", "parent": mech})
	elec := newCategory(t, a, map[string]any{"name": "Electrical", "structural": true})
	pass := newCategory(t, a, map[string]any{"name": "Passives", "parent": elec, "description": "R, L and C"})
	newPart(t, a, map[string]any{"name": "M3 screw", "category": screws})
	newPart(t, a, map[string]any{"name": "608 bearing", "category": bear})

	const list = "/api/part/category/"
	// Default order: the tree, depth first, siblings by name.
	wantPKs(t, a, list, elec, pass, mech, bear, fast, screws)
	wantPKs(t, a, query(list, "parent", fmt.Sprint(mech)), bear, fast)
	wantPKs(t, a, query(list, "parent", fmt.Sprint(mech), "cascade", "true"), bear, fast, screws)
	wantPKs(t, a, query(list, "parent", fmt.Sprint(mech), "cascade", "1", "depth", "1"), bear, fast)
	wantPKs(t, a, query(list, "parent", "null"), elec, mech)
	wantPKs(t, a, query(list, "parent", "null", "cascade", "true"), elec, pass, mech, bear, fast, screws)
	wantPKs(t, a, query(list, "top_level", "true"), elec, mech)
	wantPKs(t, a, query(list, "top_level", "true", "cascade", "true"), elec, pass, mech, bear, fast, screws)
	wantPKs(t, a, query(list, "top_level", "false"), elec, pass, mech, bear, fast, screws)
	wantPKs(t, a, query(list, "cascade", "false"), elec, mech)
	wantPKs(t, a, query(list, "depth", "1"), elec, pass, mech, bear, fast)
	wantPKs(t, a, query(list, "depth", "0"), elec, mech)
	wantPKs(t, a, query(list, "structural", "true"), elec)
	wantPKs(t, a, query(list, "structural", "false"), pass, mech, bear, fast, screws)
	wantPKs(t, a, query(list, "name", "Screws"), screws)
	wantPKs(t, a, query(list, "name", "screws")) // exact
	wantPKs(t, a, query(list, "exclude_tree", fmt.Sprint(fast)), elec, pass, mech, bear)
	wantPKs(t, a, query(list, "starred", "true"))
	wantPKs(t, a, query(list, "starred", "false"), elec, pass, mech, bear, fast, screws)

	// Search: name, description and pathstring, every term.
	wantPKs(t, a, query(list, "search", "fast"), fast, screws)
	wantPKs(t, a, query(list, "search", "moving"), mech)
	wantPKs(t, a, query(list, "search", "mech screw"), screws)
	wantPKs(t, a, query(list, "search", "passive"), pass)
	wantPKs(t, a, query(list, "search", "nothing-like-it"))

	// Ordering.
	wantPKs(t, a, query(list, "ordering", "name"), bear, elec, fast, mech, pass, screws)
	wantPKs(t, a, query(list, "ordering", "-name"), screws, pass, mech, fast, elec, bear)
	wantPKs(t, a, query(list, "ordering", "level,name"), elec, mech, bear, fast, pass, screws)
	wantPKs(t, a, query(list, "ordering", "pathstring"), elec, pass, mech, bear, fast, screws)
	wantPKs(t, a, query(list, "ordering", "-part_count,name"), mech, bear, fast, screws, elec, pass)
	wantPKs(t, a, query(list, "ordering", "bogus"), elec, pass, mech, bear, fast, screws)

	// The counters and path_detail on list rows.
	var rows []map[string]any
	a.Get(query(list, "path_detail", "true", "name", "Mechanical"), http.StatusOK).JSON(&rows)
	if len(rows) != 1 || rows[0]["part_count"] != 2.0 || rows[0]["subcategories"] != 3.0 {
		t.Errorf("Mechanical: %v", rows)
	} else if path, _ := json.Marshal(rows[0]["path"]); string(path) != fmt.Sprintf(`[{"icon":"","name":"Mechanical","pk":%d}]`, mech) {
		t.Errorf("Mechanical path %s", path)
	}
	for _, row := range a.Get(list, http.StatusOK).List() {
		if _, ok := row["path"]; ok {
			t.Errorf("path without path_detail: %v", row)
		}
	}

	// Pagination: an envelope with limit, a bare array without.
	var page struct {
		Count    int              `json:"count"`
		Next     *string          `json:"next"`
		Previous *string          `json:"previous"`
		Results  []map[string]any `json:"results"`
	}
	a.Get(query(list, "limit", "4"), http.StatusOK).JSON(&page)
	if page.Count != 6 || len(page.Results) != 4 || page.Previous != nil || page.Next == nil ||
		!strings.HasSuffix(*page.Next, "/api/part/category/?limit=4&offset=4") {
		t.Errorf("first page: %+v", page)
	}
	a.Get(query(list, "limit", "4", "offset", "4"), http.StatusOK).JSON(&page)
	if page.Count != 6 || len(page.Results) != 2 || page.Next != nil || page.Previous == nil ||
		page.Results[0]["pk"] != float64(fast) {
		t.Errorf("second page: %+v", page)
	}
	a.Get(query(list, "limit", "2", "parent", fmt.Sprint(mech)), http.StatusOK).JSON(&page)
	if page.Count != 2 || page.Next != nil {
		t.Errorf("filtered page: %+v", page)
	}

	// Bad filter values.
	a.Call(http.MethodGet, query(list, "parent", "999999"), nil, http.StatusBadRequest).
		WantJSON(errorBody("parent", msgPartInvalidPick))
	a.Call(http.MethodGet, query(list, "exclude_tree", "999999"), nil, http.StatusBadRequest).
		WantJSON(errorBody("exclude_tree", msgPartInvalidPick))
	a.Call(http.MethodGet, query(list, "cascade", "perhaps", "depth", "deep"), nil, http.StatusBadRequest).
		WantJSON(`{"cascade": ["` + msgPartInvalidPick + `"], "depth": ["Enter a number."]}`)

	// The tree: every category, top levels first, then by name.
	tree := "/api/part/category/tree/"
	wantPKs(t, a, tree, elec, mech, bear, fast, pass, screws)
	wantPKs(t, a, query(tree, "ordering", "name"), bear, elec, fast, mech, pass, screws)
	wantPKs(t, a, query(tree, "ordering", "-level"), screws, pass, fast, bear, mech, elec)
	// Ties keep the pk order.
	wantPKs(t, a, query(tree, "ordering", "-subcategories"), mech, fast, elec, screws, bear, pass)
	var nodes []map[string]any
	a.Get(tree, http.StatusOK).JSON(&nodes)
	for _, n := range nodes {
		if n["pk"] == float64(fast) && (n["parent"] != float64(mech) || n["subcategories"] != 1.0 || n["structural"] != false) {
			t.Errorf("tree node: %v", n)
		}
	}
	a.Get(query(tree, "limit", "2"), http.StatusOK).JSON(&page)
	if page.Count != 6 || len(page.Results) != 2 {
		t.Errorf("tree page: %+v", page)
	}
}

// ---- parts ----

func TestPartCRUD(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	clerk := s.CreateUser(UserSpec{Roles: []string{"part.all", "part_category.view"}})
	c := clerk.For(t)
	cat := newCategory(t, s.Admin.Client, map[string]any{"name": "Passives"})
	sub := newCategory(t, s.Admin.Client, map[string]any{"name": "Resistors", "parent": cat})

	// A new part takes InvenTree's defaults, and the creating user, whatever the body
	// says about creation_user.
	before := time.Now()
	created := c.Call(http.MethodPost, "/api/part/", map[string]any{
		"name": "Resistor 10k", "IPN": " R-10K ", "description": "A resistor", "category": sub,
		"units": "ohm", "keywords": "res", "minimum_stock": "5.5", "creation_user": s.Admin.PK,
	}, http.StatusCreated)
	pk := created.PK()
	var p map[string]any
	created.JSON(&p)
	day := p["creation_date"]
	if day != before.Format(time.DateOnly) && day != before.UTC().Format(time.DateOnly) && day != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("creation_date %v", day)
	}
	delete(p, "creation_date")
	b, _ := json.Marshal(p)
	(&Response{t: t, Body: b}).WantJSON(fmt.Sprintf(`{"pk":%d,"active":true,"assembly":false,"barcode_hash":"","category":%d,
		"category_name":"Resistors","component":true,"creation_user":%d,"default_expiry":0,"default_location":null,
		"description":"A resistor","full_name":"R-10K | Resistor 10k","image":null,"IPN":"R-10K","is_template":false,
		"keywords":"res","link":null,"locked":false,"minimum_stock":5.5,"maximum_stock":0,"name":"Resistor 10k","notes":null,
		"purchaseable":true,"revision":"","revision_of":null,"revision_count":0,"salable":false,"starred":false,
		"thumbnail":"/static/img/blank_image.thumbnail.png","testable":false,"trackable":false,"units":"ohm","variant_of":null,
		"virtual":false,"consumable":false,"pricing_min":null,"pricing_max":null,"pricing_updated":null,"responsible":null,
		"category_default_location":null,"tags":[],"in_stock":0,"ordering":0,"variant_stock":0,"total_in_stock":0,"external_stock":0,
		"unallocated_stock":0,"stock_item_count":0}`, pk, sub, clerk.PK))

	// Details only when asked.
	c.Get(partURL(pk), http.StatusOK).JSON(&p)
	if _, ok := p["category_detail"]; ok {
		t.Errorf("category_detail without the flag")
	}
	if _, ok := p["category_path"]; ok {
		t.Errorf("category_path without the flag")
	}
	c.Get(partURL(pk)+"?category_detail=true&path_detail=1", http.StatusOK).JSON(&p)
	detail, _ := p["category_detail"].(map[string]any)
	if detail["pk"] != float64(sub) || detail["pathstring"] != "Passives/Resistors" {
		t.Errorf("category_detail %v", p["category_detail"])
	}
	if path, _ := json.Marshal(p["category_path"]); string(path) != fmt.Sprintf(`[{"icon":"","name":"Passives","pk":%d},{"icon":"","name":"Resistors","pk":%d}]`, cat, sub) {
		t.Errorf("category_path %s", path)
	}

	// PATCH changes what it names.
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"description": "Changed", "link": "https://example.com/r10k",
		"assembly": "true", "default_expiry": "30", "revision": "A"}, http.StatusOK).JSON(&p)
	if p["description"] != "Changed" || p["link"] != "https://example.com/r10k" || p["assembly"] != true ||
		p["default_expiry"] != 30.0 || p["full_name"] != "R-10K | Resistor 10k | A" || p["name"] != "Resistor 10k" || p["units"] != "ohm" {
		t.Errorf("after PATCH: %v", p)
	}
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"category": nil, "keywords": nil, "revision": nil}, http.StatusOK).JSON(&p)
	if p["category"] != nil || p["category_name"] != nil || p["keywords"] != nil || p["revision"] != "" {
		t.Errorf("after clearing: %v", p)
	}
	// PUT needs the name; what it leaves out stays.
	c.Call(http.MethodPut, partURL(pk), map[string]any{"description": "x"}, http.StatusBadRequest).
		WantJSON(errorBody("name", msgPartRequired))
	c.Call(http.MethodPut, partURL(pk), map[string]any{"name": "R10k", "category": sub}, http.StatusOK).JSON(&p)
	if p["name"] != "R10k" || p["description"] != "Changed" || p["category"] != float64(sub) {
		t.Errorf("after PUT: %v", p)
	}
	// creation_user and responsible are writable references.
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"creation_user": s.Admin.PK, "responsible": 2 * s.Admin.PK}, http.StatusOK).JSON(&p)
	if p["creation_user"] != float64(s.Admin.PK) || p["responsible"] != float64(2*s.Admin.PK) {
		t.Errorf("after setting users: %v", p)
	}
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"creation_user": 999999}, http.StatusBadRequest).
		WantJSON(errorBody("creation_user", `Invalid pk "999999" - object does not exist.`))
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"responsible": 1999999}, http.StatusBadRequest).
		WantJSON(errorBody("responsible", `Invalid pk "1999999" - object does not exist.`))

	// inventree-python saves by sending the whole object back: read-only fields are
	// ignored and nothing changes.
	var whole map[string]any
	c.Get(partURL(pk)+"?category_detail=true", http.StatusOK).JSON(&whole)
	unchanged := s.Head()
	c.Call(http.MethodPatch, partURL(pk), whole, http.StatusOK)
	c.Call(http.MethodPut, partURL(pk), whole, http.StatusOK)
	if evs := s.EventsAfter(unchanged); len(evs) != 0 {
		t.Errorf("sending a part back unchanged appended %d events (%s)", len(evs), evs[0].Type)
	}
	var wholeCat map[string]any
	c.Get(categoryURL(sub)+"?path_detail=true", http.StatusOK).JSON(&wholeCat)
	s.Admin.For(t).Call(http.MethodPatch, categoryURL(sub), wholeCat, http.StatusOK)
	if evs := s.EventsAfter(unchanged); len(evs) != 0 {
		t.Errorf("sending a category back unchanged appended %d events (%s)", len(evs), evs[0].Type)
	}

	// Unknown parts: 404 before the body is read.
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		c.Do(m, partURL(999999), map[string]any{}).WantDetail(http.StatusNotFound, "No Part matches the given query.")
	}

	// Delete: an active part cannot go, nor a locked one (the lock is checked first).
	c.Call(http.MethodDelete, partURL(pk), nil, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Cannot delete this part as it is still active"))
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"locked": true}, http.StatusOK)
	c.Call(http.MethodDelete, partURL(pk), nil, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Cannot delete this part as it is locked"))
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"active": false}, http.StatusOK)
	c.Call(http.MethodDelete, partURL(pk), nil, http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Cannot delete this part as it is locked"))
	c.Call(http.MethodPatch, partURL(pk), map[string]any{"locked": false}, http.StatusOK)
	c.Call(http.MethodDelete, partURL(pk), nil, http.StatusNoContent)
	c.Get(partURL(pk), http.StatusNotFound)
	c.Do(http.MethodDelete, partURL(pk), nil).WantDetail(http.StatusNotFound, "No Part matches the given query.")
	// Its name, IPN and revision are free again.
	newPart(t, c, map[string]any{"name": "R10k", "IPN": "R-10K"})
}

func TestPartRules(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	post := func(body map[string]any, want string) {
		t.Helper()
		a.Call(http.MethodPost, "/api/part/", body, http.StatusBadRequest).WantJSON(want)
	}
	post(map[string]any{}, errorBody("name", msgPartRequired))
	post(map[string]any{"name": ""}, errorBody("name", "This field may not be blank."))
	// Every bad field at once.
	post(map[string]any{
		"name": strings.Repeat("n", 101), "description": strings.Repeat("d", 251), "IPN": strings.Repeat("i", 101),
		"revision": strings.Repeat("r", 101), "keywords": strings.Repeat("k", 251), "units": strings.Repeat("u", 21),
		"active": "sometimes", "minimum_stock": "lots", "default_expiry": -1, "category": "x", "link": "not a url",
	}, `{
		"name": ["Ensure this field has no more than 100 characters."],
		"description": ["Ensure this field has no more than 250 characters."],
		"IPN": ["Ensure this field has no more than 100 characters."],
		"revision": ["Ensure this field has no more than 100 characters."],
		"keywords": ["Ensure this field has no more than 250 characters."],
		"category": ["Incorrect type. Expected pk value, received str."],
		"default_expiry": ["Ensure this value is greater than or equal to 0."],
		"units": ["Ensure this field has no more than 20 characters."],
		"minimum_stock": ["A valid number is required."],
		"active": ["Must be a valid boolean."],
		"link": ["Enter a valid URL."]}`)
	post(map[string]any{"name": "x", "minimum_stock": -1, "maximum_stock": "-0.5"},
		`{"minimum_stock": ["Ensure this value is greater than or equal to 0."], "maximum_stock": ["Ensure this value is greater than or equal to 0."]}`)
	post(map[string]any{"name": "x", "link": "ftp:/nohost"}, errorBody("link", "Enter a valid URL."))
	post(map[string]any{"name": "x", "link": "javascript://alert(1)"}, errorBody("link", "Enter a valid URL."))
	post(map[string]any{"name": "x", "category": 999999}, errorBody("category", `Invalid pk "999999" - object does not exist.`))
	post(map[string]any{"name": "x", "variant_of": 999999}, errorBody("variant_of", `Invalid pk "999999" - object does not exist.`))
	post(map[string]any{"name": "x", "revision_of": 999999, "revision": "B"}, errorBody("revision_of", `Invalid pk "999999" - object does not exist.`))
	post(map[string]any{"name": "x", "responsible": 1999999}, errorBody("responsible", `Invalid pk "1999999" - object does not exist.`))
	post(map[string]any{"name": "x", "default_expiry": 1.5}, errorBody("default_expiry", "A valid integer is required."))
	newPart(t, a, map[string]any{"name": "x", "link": "", "notes": nil, "units": nil, "minimum_stock": 0})
	newPart(t, a, map[string]any{"name": strings.Repeat("ß", 100), "link": "HTTPS://EXAMPLE.COM"})

	// Name, IPN and revision together are unique, when either IPN or revision is set.
	newPart(t, a, map[string]any{"name": "Cap", "IPN": "C1"})
	post(map[string]any{"name": "Cap", "IPN": "C1"}, errorBody("non_field_errors", "Part with this Name, IPN and Revision already exists."))
	newPart(t, a, map[string]any{"name": "Cap", "IPN": "C2"})
	newPart(t, a, map[string]any{"name": "Plain"})
	newPart(t, a, map[string]any{"name": "Plain"})

	// Variants need a template; revisions follow Part.validate_revision.
	plain := newPart(t, a, map[string]any{"name": "Original"})
	post(map[string]any{"name": "v", "variant_of": plain}, errorBody("variant_of", fmt.Sprintf(`Invalid pk "%d" - object does not exist.`, plain)))
	tmpl := newPart(t, a, map[string]any{"name": "Template", "is_template": true})
	variant := newPart(t, a, map[string]any{"name": "Variant", "variant_of": tmpl, "is_template": true})
	a.Call(http.MethodPatch, partURL(tmpl), map[string]any{"variant_of": variant, "is_template": true}, http.StatusBadRequest).
		WantJSON(errorBody("variant_of", "Invalid choice"))
	post(map[string]any{"name": "rev", "revision_of": plain}, errorBody("revision", "Revision code must be specified"))
	post(map[string]any{"name": "rev", "revision_of": tmpl, "revision": "B"}, errorBody("revision_of", "Cannot make a revision of a template part"))
	rev := newPart(t, a, map[string]any{"name": "Original", "revision": "B", "revision_of": plain})
	post(map[string]any{"name": "Other name", "revision": "B", "revision_of": plain}, errorBody("non_field_errors", "Duplicate part revision already exists."))
	post(map[string]any{"name": "rev2", "revision": "C", "revision_of": rev}, errorBody("revision_of", "Cannot make a revision of a part which is already a revision"))
	a.Call(http.MethodPatch, partURL(plain), map[string]any{"revision_of": plain, "revision": "A"}, http.StatusBadRequest).
		WantJSON(errorBody("revision_of", "Part cannot be a revision of itself"))
	var p map[string]any
	a.Get(partURL(plain), http.StatusOK).JSON(&p)
	if p["revision_count"] != 1.0 {
		t.Errorf("revision_count %v", p["revision_count"])
	}

	// The body must be a JSON object.
	a.Call(http.MethodPost, "/api/part/", []byte(`[1]`), http.StatusBadRequest).
		WantJSON(errorBody("non_field_errors", "Invalid data. Expected a dictionary, but got list."))
	a.Call(http.MethodPost, "/api/part/", []byte(`{"name":`), http.StatusBadRequest)
}

func TestPartList(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)

	mech := newCategory(t, a, map[string]any{"name": "Mechanical"})
	screws := newCategory(t, a, map[string]any{"name": "Screws", "parent": mech})
	bearings := newCategory(t, a, map[string]any{"name": "Bearings", "parent": mech})

	screw := newPart(t, a, map[string]any{"name": "Screw M3", "IPN": "SCR-M3", "category": screws, "units": "pcs", "description": "Metric"})
	bearing := newPart(t, a, map[string]any{"name": "Bearing 608", "category": bearings, "assembly": true, "salable": true})
	tmpl := newPart(t, a, map[string]any{"name": "Widget", "is_template": true, "trackable": true, "component": false})
	variant := newPart(t, a, map[string]any{"name": "Widget Blue", "IPN": "W-B", "variant_of": tmpl, "keywords": "azure"})
	rev := newPart(t, a, map[string]any{"name": "Bearing 608", "revision": "B", "revision_of": bearing})
	old := newPart(t, a, map[string]any{"name": "Obsolete", "active": false, "virtual": true, "consumable": true, "locked": true, "testable": true, "purchaseable": false})

	const list = "/api/part/"
	// Default order: name, then pk.
	wantPKs(t, a, list, bearing, rev, old, screw, tmpl, variant)

	// Category: cascading by default, null for none.
	wantSamePKs(t, a, query(list, "category", fmt.Sprint(mech)), screw, bearing)
	wantSamePKs(t, a, query(list, "category", fmt.Sprint(mech), "cascade", "false"))
	wantSamePKs(t, a, query(list, "category", fmt.Sprint(screws), "cascade", "0"), screw)
	wantSamePKs(t, a, query(list, "category", "null", "cascade", "false"), tmpl, variant, rev, old)
	wantSamePKs(t, a, query(list, "category", "null"), screw, bearing, tmpl, variant, rev, old)
	// InvenTree ignores a category that does not exist unless cascade is off.
	wantSamePKs(t, a, query(list, "category", "999999"), screw, bearing, tmpl, variant, rev, old)
	wantSamePKs(t, a, query(list, "category", "999999", "cascade", "false"))

	// Flags.
	for _, tc := range []struct {
		param, value string
		want         []int64
	}{
		{"active", "false", []int64{old}},
		{"assembly", "true", []int64{bearing}},
		{"component", "false", []int64{tmpl}},
		{"consumable", "true", []int64{old}},
		{"is_template", "true", []int64{tmpl}},
		{"locked", "1", []int64{old}},
		{"purchaseable", "false", []int64{old}},
		{"salable", "yes", []int64{bearing}},
		{"testable", "true", []int64{old}},
		{"trackable", "true", []int64{tmpl}},
		{"virtual", "true", []int64{old}},
		{"IPN", "scr-m3", []int64{screw}},
		{"has_ipn", "true", []int64{screw, variant}},
		{"has_units", "true", []int64{screw}},
		{"has_units", "false", []int64{bearing, tmpl, variant, rev, old}},
		{"is_variant", "true", []int64{variant}},
		{"variant_of", fmt.Sprint(tmpl), []int64{variant}},
		{"is_revision", "true", []int64{rev}},
		{"revision_of", fmt.Sprint(bearing), []int64{rev}},
		{"exclude_id", ids(screw, bearing, old), []int64{tmpl, variant, rev}},
		{"starred", "true", nil},
	} {
		wantSamePKs(t, a, query(list, tc.param, tc.value), tc.want...)
	}

	// Search: name, description, IPN, revision, keywords and the category's name.
	wantSamePKs(t, a, query(list, "search", "widget"), tmpl, variant)
	wantSamePKs(t, a, query(list, "search", "m3"), screw)
	wantSamePKs(t, a, query(list, "search", "metric"), screw)
	wantSamePKs(t, a, query(list, "search", "azure"), variant)
	wantSamePKs(t, a, query(list, "search", "bearings"), bearing)
	wantSamePKs(t, a, query(list, "search", "bearing b"), bearing, rev) // "b" is everywhere in "Bearing"
	wantSamePKs(t, a, query(list, "search", "widget blue"), variant)

	// Ordering.
	wantPKs(t, a, query(list, "ordering", "-name"), variant, tmpl, screw, old, bearing, rev)
	wantPKs(t, a, query(list, "ordering", "IPN,name"), bearing, rev, old, tmpl, screw, variant)
	wantPKs(t, a, query(list, "ordering", "-revision_count,name"), bearing, rev, old, screw, tmpl, variant)
	wantPKs(t, a, query(list, "ordering", "creation_date"), screw, bearing, tmpl, variant, rev, old)
	wantPKs(t, a, query(list, "ordering", "revision,name"), bearing, old, screw, tmpl, variant, rev)

	// Details on list rows.
	var rows []map[string]any
	a.Get(query(list, "IPN", "SCR-M3", "category_detail", "true", "path_detail", "true"), http.StatusOK).JSON(&rows)
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	if d, _ := rows[0]["category_detail"].(map[string]any); d["name"] != "Screws" {
		t.Errorf("category_detail %v", rows[0]["category_detail"])
	}
	if p, _ := json.Marshal(rows[0]["category_path"]); string(p) != fmt.Sprintf(`[{"icon":"","name":"Mechanical","pk":%d},{"icon":"","name":"Screws","pk":%d}]`, mech, screws) {
		t.Errorf("category_path %s", p)
	}
	a.Get(query(list, "is_template", "true", "category_detail", "true"), http.StatusOK).JSON(&rows)
	if v, ok := rows[0]["category_detail"]; !ok || v != nil {
		t.Errorf("category_detail of a part without category: %v (present %v)", v, ok)
	}

	// Pagination.
	var page struct {
		Count    int              `json:"count"`
		Next     *string          `json:"next"`
		Previous *string          `json:"previous"`
		Results  []map[string]any `json:"results"`
	}
	a.Get(query(list, "limit", "4", "offset", "2"), http.StatusOK).JSON(&page)
	if page.Count != 6 || len(page.Results) != 4 || page.Next != nil || page.Previous == nil ||
		!strings.HasSuffix(*page.Previous, "/api/part/?limit=4") || page.Results[0]["pk"] != float64(old) {
		t.Errorf("page: %+v", page)
	}
	a.Get(query(list, "limit", "1", "active", "true"), http.StatusOK).JSON(&page)
	if page.Count != 5 || len(page.Results) != 1 || page.Next == nil || !strings.Contains(*page.Next, "active=true") {
		t.Errorf("filtered page: %+v", page)
	}

	// Bad filter values.
	a.Call(http.MethodGet, query(list, "category", "abc", "active", "perhaps"), nil, http.StatusBadRequest).
		WantJSON(`{"category": ["Enter a number."], "active": ["` + msgPartInvalidPick + `"]}`)
	a.Call(http.MethodGet, query(list, "variant_of", "999999"), nil, http.StatusBadRequest).
		WantJSON(errorBody("variant_of", msgPartInvalidPick))
	a.Call(http.MethodGet, query(list, "revision_of", "0"), nil, http.StatusBadRequest).
		WantJSON(errorBody("revision_of", msgPartInvalidPick))
	a.Call(http.MethodGet, query(list, "exclude_id", "1,x"), nil, http.StatusBadRequest).
		WantJSON(errorBody("exclude_id", "Enter a number."))
}

// ---- OPTIONS ----

func TestPartOptions(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	cat := newCategory(t, a, map[string]any{"name": "C"})
	p := newPart(t, a, map[string]any{"name": "P"})

	type metadata struct {
		Name        string                               `json:"name"`
		Description string                               `json:"description"`
		Renders     []string                             `json:"renders"`
		Parses      []string                             `json:"parses"`
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

	m := options(a, "/api/part/category/")
	if m.Name != "Category List" || m.Model != "partcategory" || !slices.Equal(actions(m), []string{"GET", "POST"}) {
		t.Errorf("category list: %+v", m)
	}
	if f := m.Actions["POST"]["name"]; f["type"] != "string" || f["required"] != true || f["max_length"] != 100.0 || f["label"] != "Name" {
		t.Errorf("category name field: %v", f)
	}
	if f := m.Actions["POST"]["default_location"]; f["api_url"] != "/api/stock/location/" {
		t.Errorf("category default_location field: %v", f)
	}
	if f := m.Actions["POST"]["parent"]; f["type"] != "related field" || f["model"] != "partcategory" || f["api_url"] != "/api/part/category/" {
		t.Errorf("category parent field: %v", f)
	}
	if f := m.Actions["POST"]["pathstring"]; f["read_only"] != true {
		t.Errorf("pathstring field: %v", f)
	}
	m = options(a, categoryURL(cat))
	if m.Name != "Category Detail" || !slices.Equal(actions(m), []string{"DELETE", "GET", "PUT"}) {
		t.Errorf("category detail: %+v", m)
	}
	m = options(a, "/api/part/category/tree/")
	if m.Name != "Category Tree" || m.Model != "partcategory" || !slices.Equal(actions(m), []string{"GET"}) {
		t.Errorf("category tree: %+v", m)
	}

	m = options(a, "/api/part/")
	if m.Name != "Part List" || m.Model != "part" || !slices.Equal(actions(m), []string{"GET", "POST"}) ||
		m.Description != "API endpoint for accessing a list of Part objects, or creating a new Part instance." {
		t.Errorf("part list: %+v", m)
	}
	fields := m.Actions["POST"]
	for name, want := range map[string]map[string]any{
		"name":          {"type": "string", "required": true, "max_length": 100.0},
		"active":        {"type": "boolean", "default": true},
		"component":     {"type": "boolean", "default": true},
		"purchaseable":  {"type": "boolean", "default": true},
		"assembly":      {"type": "boolean", "default": false},
		"category":      {"type": "related field", "model": "partcategory", "api_url": "/api/part/category/", "label": "Category", "help_text": "Part category", "required": false},
		"barcode_hash":  {"help_text": "Unique hash of barcode data", "read_only": true},
		"variant_of":    {"type": "related field", "model": "part", "filters": map[string]any{"is_template": true}},
		"IPN":           {"type": "string", "default": "", "max_length": 100.0, "help_text": "Internal Part Number", "required": false},
		"minimum_stock": {"type": "float", "default": 0.0},
		"full_name":     {"read_only": true},
		"link":          {"type": "url", "max_length": 2000.0},
	} {
		for k, v := range want {
			got, _ := json.Marshal(fields[name][k])
			exp, _ := json.Marshal(v)
			if string(got) != string(exp) {
				t.Errorf("part field %s.%s = %s, want %s", name, k, got, exp)
			}
		}
	}
	m = options(a, partURL(p))
	if m.Name != "Part Detail" || !slices.Equal(actions(m), []string{"DELETE", "GET", "PUT"}) {
		t.Errorf("part detail: %+v", m)
	}

	// A user sees only the actions its roles allow.
	viewer := s.CreateUser(UserSpec{Roles: []string{"part.view", "part_category.view"}})
	if m := options(viewer.Client, "/api/part/"); !slices.Equal(actions(m), []string{"GET"}) {
		t.Errorf("viewer's part list actions %v", actions(m))
	}
	if m := options(viewer.Client, categoryURL(cat)); !slices.Equal(actions(m), []string{"GET"}) {
		t.Errorf("viewer's category detail actions %v", actions(m))
	}
	editor := s.CreateUser(UserSpec{Roles: []string{"part.change"}})
	if m := options(editor.Client, partURL(p)); !slices.Equal(actions(m), []string{"GET", "PUT"}) {
		t.Errorf("editor's part detail actions %v", actions(m))
	}
	// OPTIONS needs the view permission.
	nobody := s.CreateUser(UserSpec{Roles: []string{"stock.view"}})
	nobody.For(t).Do(http.MethodOptions, "/api/part/", nil).WantDetail(http.StatusForbidden, "You do not have permission to perform this action.")
	s.Anonymous().For(t).Do(http.MethodOptions, "/api/part/category/", nil).WantDetail(http.StatusUnauthorized, "Authentication credentials were not provided.")
}

// ---- roles and history ----

// TestPartRoles checks that each permission of the two roles opens exactly its methods.
func TestPartRoles(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	cat := newCategory(t, a, map[string]any{"name": "C"})
	p := newPart(t, a, map[string]any{"name": "P", "active": false})

	partsOnly := s.CreateUser(UserSpec{Roles: []string{"part.all"}}).For(t)
	partsOnly.Get("/api/part/", http.StatusOK)
	partsOnly.Get(partURL(p), http.StatusOK)
	partsOnly.Get("/api/part/category/", http.StatusForbidden)
	partsOnly.Call(http.MethodPost, "/api/part/category/", map[string]any{"name": "x"}, http.StatusForbidden)
	// Filing a part in a category needs only the part role, as in InvenTree.
	partsOnly.Call(http.MethodPatch, partURL(p), map[string]any{"category": cat}, http.StatusOK)

	catsOnly := s.CreateUser(UserSpec{Roles: []string{"part_category.all"}}).For(t)
	catsOnly.Get("/api/part/category/tree/", http.StatusOK)
	catsOnly.Get("/api/part/", http.StatusForbidden)
	catsOnly.Call(http.MethodDelete, partURL(p), nil, http.StatusForbidden)

	viewer := s.CreateUser(UserSpec{Roles: []string{"part.view"}}).For(t)
	viewer.Get(partURL(p), http.StatusOK)
	viewer.Call(http.MethodPost, "/api/part/", map[string]any{"name": "x"}, http.StatusForbidden)
	viewer.Call(http.MethodPatch, partURL(p), map[string]any{"name": "x"}, http.StatusForbidden)
	viewer.Call(http.MethodDelete, partURL(p), nil, http.StatusForbidden)
	adder := s.CreateUser(UserSpec{Roles: []string{"part.add"}}).For(t)
	adder.Call(http.MethodPost, "/api/part/", map[string]any{"name": "x"}, http.StatusCreated)
	adder.Call(http.MethodDelete, partURL(p), nil, http.StatusForbidden)
	deleter := s.CreateUser(UserSpec{Roles: []string{"part.delete"}}).For(t)
	deleter.Call(http.MethodDelete, partURL(p), nil, http.StatusNoContent)
}

// TestPartHistory checks that every event a part or category write appends records
// who made it and in which request.
func TestPartHistory(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	clerk := s.CreateUser(UserSpec{Roles: []string{"part.all", "part_category.all"}})
	c := clerk.For(t)
	before := s.Head()

	top := newCategory(t, c, map[string]any{"name": "Top"})
	cat := newCategory(t, c, map[string]any{"name": "Cat", "parent": top})
	c.Call(http.MethodPatch, categoryURL(cat), map[string]any{"name": "Renamed"}, http.StatusOK)
	p := newPart(t, c, map[string]any{"name": "P", "IPN": "P-1", "category": cat})
	c.Call(http.MethodPatch, partURL(p), map[string]any{"active": false}, http.StatusOK)
	q := newPart(t, c, map[string]any{"name": "Q", "category": cat})
	c.Call(http.MethodDelete, partURL(p), nil, http.StatusNoContent)
	c.Call(http.MethodDelete, categoryURL(cat), nil, http.StatusNoContent)

	evs := s.EventsAfter(before)
	types := map[string]int{}
	requests := map[string]bool{}
	for _, e := range evs {
		types[e.Type]++
		if e.Metadata.User != clerk.Username || e.Metadata.UserID != clerk.PK || e.Metadata.RequestID == "" {
			t.Errorf("%s on %s: metadata %+v, want user %s (%d) and a request id", e.Type, e.Stream, e.Metadata, clerk.Username, clerk.PK)
		}
		requests[e.Metadata.RequestID] = true
	}
	for _, typ := range []string{"PartCategoryCreated", "PartCategoryUpdated", "PartCreated", "PartUpdated",
		"PartDeleted", "PartCategoryChanged", "PartCategoryDeleted", "PartUniqueKeyReserved", "PartUniqueKeyReleased"} {
		if types[typ] == 0 {
			t.Errorf("no %s among %v", typ, types)
		}
	}
	if len(requests) != 8 {
		t.Errorf("%d request ids for 8 writes", len(requests))
	}
	// The part moved by the category delete went to the top category.
	var part map[string]any
	c.Get(partURL(q), http.StatusOK).JSON(&part)
	if part["category"] != float64(top) {
		t.Errorf("part of the deleted category is in %v", part["category"])
	}
}

// TestPartCategoryDeleteSeesCommittedWrites files parts in a category straight through
// the command handlers (which, unlike the API, do not wait for the read models) while
// another transaction on the cluster is open, then deletes the category with
// delete_parts. The delete reads the category's contents from the read model after
// waiting for it to reach the log's head; but the PostgreSQL store's Head is the newest
// event readers can see, below the cluster's oldest open transaction, so the parts are
// not in the contents and are left pointing at a deleted category. It passes once the
// log head the API waits for is the newest committed event.
func TestPartCategoryDeleteSeesCommittedWrites(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	h, err := commands.NewPartHandlers(s.App.Executor, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cat := newCategory(t, a, map[string]any{"name": "Bin"})

	// An open transaction holding a transaction id, as any writer elsewhere on the
	// cluster does for a moment; it ends while the delete waits.
	hold, err := s.App.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	var pks []int64
	for i := range 3 {
		f := part.DefaultPartFields()
		f.Name, f.Category = fmt.Sprintf("P%d", i), cat
		pk, _, err := h.CreatePart(ctx, commands.CreatePart{Fields: f})
		if err != nil {
			t.Fatal(err)
		}
		pks = append(pks, pk)
	}
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = hold.Rollback(ctx)
	}()
	a.Call(http.MethodDelete, categoryURL(cat), map[string]any{"delete_parts": "1"}, http.StatusNoContent)
	for _, pk := range pks {
		a.Get(partURL(pk), http.StatusNotFound)
	}
}

// partAuthRows are the part area's rows of the auth matrix.
func partAuthRows() []authRow {
	const (
		get, post, put, patch, del, opts = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions
		noCategory                       = "/api/part/category/999999/"
		noPart                           = "/api/part/999999/"
	)
	empty := map[string]any{}
	cat, part := user.RolePartCategory, user.RolePart
	view, add, change, remove := user.PermView, user.PermAdd, user.PermChange, user.PermDelete
	return []authRow{
		{Method: get, Path: "/api/part/category/", Admits: hasRole, Role: cat, Perm: view},
		{Method: opts, Path: "/api/part/category/", Admits: hasRole, Role: cat, Perm: view},
		{Method: post, Path: "/api/part/category/", Admits: hasRole, Role: cat, Perm: add, Body: empty},
		{Method: get, Path: "/api/part/category/tree/", Admits: hasRole, Role: cat, Perm: view},
		{Method: get, Path: noCategory, Admits: hasRole, Role: cat, Perm: view},
		{Method: put, Path: noCategory, Admits: hasRole, Role: cat, Perm: change, Body: empty},
		{Method: patch, Path: noCategory, Admits: hasRole, Role: cat, Perm: change, Body: empty},
		{Method: del, Path: noCategory, Admits: hasRole, Role: cat, Perm: remove},

		{Method: get, Path: "/api/part/", Admits: hasRole, Role: part, Perm: view},
		{Method: opts, Path: "/api/part/", Admits: hasRole, Role: part, Perm: view},
		{Method: post, Path: "/api/part/", Admits: hasRole, Role: part, Perm: add, Body: empty},
		{Method: get, Path: noPart, Admits: hasRole, Role: part, Perm: view},
		{Method: put, Path: noPart, Admits: hasRole, Role: part, Perm: change, Body: empty},
		{Method: patch, Path: noPart, Admits: hasRole, Role: part, Perm: change, Body: empty},
		{Method: del, Path: noPart, Admits: hasRole, Role: part, Perm: remove},
	}
}
