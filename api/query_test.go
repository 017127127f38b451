package api

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestQueryReaders(t *testing.T) {
	read := func(target string, fn func(q *query) any) (any, string) {
		q := newQuery(httptest.NewRequest("GET", target, nil))
		v := fn(q)
		var msgs []string
		if err := q.err(); err != nil {
			for _, v := range q.errs.Violations {
				msgs = append(msgs, v.Field+": "+v.Message)
			}
		}
		return v, strings.Join(msgs, "; ")
	}
	type result struct {
		V  any
		OK bool
	}
	boolean := func(q *query) any { v, ok := q.boolean("in_stock"); return result{v, ok} }
	pk := func(q *query) any { v, ok := q.pk("part"); return result{v, ok} }
	nullPK := func(q *query) any { v, ok := q.nullablePK("location"); return result{v, ok} }
	integer := func(q *query) any { v, ok := q.integer("depth"); return result{v, ok} }
	const invalid = "Select a valid choice. That choice is not one of the available choices."
	tests := []struct {
		target string
		fn     func(q *query) any
		want   result
		msg    string
	}{
		{"/?in_stock=true", boolean, result{true, true}, ""},
		{"/?in_stock=True", boolean, result{true, true}, ""},
		{"/?in_stock=1", boolean, result{true, true}, ""},
		{"/?in_stock=YES", boolean, result{true, true}, ""},
		{"/?in_stock=false", boolean, result{false, true}, ""},
		{"/?in_stock=0", boolean, result{false, true}, ""},
		{"/?in_stock=No", boolean, result{false, true}, ""},
		{"/?in_stock=", boolean, result{false, false}, ""},
		{"/", boolean, result{false, false}, ""},
		{"/?in_stock=maybe", boolean, result{false, false}, "in_stock: " + invalid},
		{"/?in_stock=true&in_stock=false", boolean, result{false, true}, ""}, // Django: the last value
		{"/?part=12", pk, result{int64(12), true}, ""},
		{"/?part=abc", pk, result{int64(0), false}, "part: " + invalid},
		{"/?part=0", pk, result{int64(0), false}, "part: " + invalid},
		{"/?part=null", pk, result{int64(0), false}, "part: " + invalid},
		{"/?location=null", nullPK, result{int64(0), true}, ""},
		{"/?location=7", nullPK, result{int64(7), true}, ""},
		{"/?location=x", nullPK, result{int64(0), false}, "location: " + invalid},
		{"/?depth=2", integer, result{int64(2), true}, ""},
		{"/?depth=two", integer, result{int64(0), false}, "depth: Enter a number."},
	}
	for _, tt := range tests {
		got, msg := read(tt.target, tt.fn)
		if got != tt.want || msg != tt.msg {
			t.Errorf("%s: got %v %q, want %v %q", tt.target, got, msg, tt.want, tt.msg)
		}
	}
	// Every bad filter at once, as a 400.
	a := newTestAPI(t)
	wantJSON(t, a.do(t, "GET", "/api/widget/?big=perhaps&location=somewhere", "", token("viewer")), 400,
		`{"big": ["`+invalid+`"], "location": ["`+invalid+`"]}`)
}

func TestPagination(t *testing.T) {
	a := newTestAPI(t)
	tests := []struct {
		target string
		want   string
	}{
		// No limit: a bare array, as InvenTree's clients expect.
		{"/api/widget/", `[{"pk":1,"name":"alpha","quantity":"1.5"},{"pk":2,"name":"bravo","quantity":"2"},{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"},{"pk":5,"name":"echo","quantity":"5"}]`},
		{"/api/widget/?offset=2", `[{"pk":1,"name":"alpha","quantity":"1.5"},{"pk":2,"name":"bravo","quantity":"2"},{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"},{"pk":5,"name":"echo","quantity":"5"}]`},
		// A limit DRF does not accept is no limit.
		{"/api/widget/?big=1&limit=abc", `[{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"},{"pk":5,"name":"echo","quantity":"5"}]`},
		{"/api/widget/?big=1&limit=0", `[{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"},{"pk":5,"name":"echo","quantity":"5"}]`},
		{"/api/widget/?big=1&limit=-2", `[{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"},{"pk":5,"name":"echo","quantity":"5"}]`},
		// A page; the links keep the other parameters, sorted as DRF sorts them.
		{"/api/widget/?limit=2&format=json&search=a", `{"count":5,"next":"http://example.com/api/widget/?format=json&limit=2&offset=2&search=a","previous":null,"results":[{"pk":1,"name":"alpha","quantity":"1.5"},{"pk":2,"name":"bravo","quantity":"2"}]}`},
		{"/api/widget/?limit=2&offset=2", `{"count":5,"next":"http://example.com/api/widget/?limit=2&offset=4","previous":"http://example.com/api/widget/?limit=2","results":[{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"}]}`},
		{"/api/widget/?limit=2&offset=3", `{"count":5,"next":null,"previous":"http://example.com/api/widget/?limit=2&offset=1","results":[{"pk":4,"name":"delta","quantity":"4"},{"pk":5,"name":"echo","quantity":"5"}]}`},
		{"/api/widget/?limit=1&offset=9", `{"count":5,"next":null,"previous":"http://example.com/api/widget/?limit=1&offset=8","results":[]}`},
		// A bad offset is 0.
		{"/api/widget/?limit=4&offset=x", `{"count":5,"next":"http://example.com/api/widget/?limit=4&offset=4","previous":null,"results":[{"pk":1,"name":"alpha","quantity":"1.5"},{"pk":2,"name":"bravo","quantity":"2"},{"pk":3,"name":"charlie","quantity":"3"},{"pk":4,"name":"delta","quantity":"4"}]}`},
		// count() in inventree-python.
		{"/api/widget/?limit=1&big=true", `{"count":3,"next":"http://example.com/api/widget/?big=true&limit=1&offset=1","previous":null,"results":[{"pk":3,"name":"charlie","quantity":"3"}]}`},
	}
	for _, tt := range tests {
		got := a.do(t, "GET", tt.target, "", token("viewer"))
		if got.status != 200 || got.body != tt.want {
			t.Errorf("%s:\n got %d %s\nwant %s", tt.target, got.status, got.body, tt.want)
		}
	}
	// An empty list is [], never null.
	if got := a.do(t, "GET", "/api/generic/status/custom/", "", token("viewer")); got.body != "[]" {
		t.Errorf("empty list %q", got.body)
	}
	if got := a.do(t, "GET", "/api/generic/status/custom/?limit=10", "", token("viewer")); got.body != `{"count":0,"next":null,"previous":null,"results":[]}` {
		t.Errorf("empty page %q", got.body)
	}
}

func TestListQuery(t *testing.T) {
	a := newTestAPI(t)
	o := widgetOrdering()
	tests := []struct {
		target  string
		limit   int
		offset  int
		orderBy string
		search  []string
	}{
		{"/", 0, 0, "w.name ASC, w.id ASC", nil},
		{"/?ordering=-quantity", 0, 0, "w.quantity DESC, w.id DESC", nil},
		{"/?ordering=quantity,-name", 0, 0, "w.quantity ASC, w.name DESC, w.id DESC", nil},
		{"/?ordering=bogus,quantity", 0, 0, "w.quantity ASC, w.id ASC", nil},
		{"/?ordering=bogus", 0, 0, "w.name ASC, w.id ASC", nil}, // nothing valid: the default
		{"/?ordering=--name", 0, 0, "w.name ASC, w.id ASC", nil},
		{"/?ordering=ref", 0, 0, "w.ref_int ASC, w.ref ASC, w.id ASC", nil},
		{"/?ordering=%20-ref%20", 0, 0, "w.ref_int DESC, w.ref DESC, w.id DESC", nil},
		{"/?ordering=w.id", 0, 0, "w.name ASC, w.id ASC", nil}, // SQL is never taken from the request
		{"/?limit=5&offset=10", 5, 10, "w.name ASC, w.id ASC", nil},
		{"/?limit=+5&offset=-1", 5, 0, "w.name ASC, w.id ASC", nil},
		{"/?offset=10", 0, 0, "w.name ASC, w.id ASC", nil},
		{"/?search=M2x4%20LPHS", 0, 0, "w.name ASC, w.id ASC", []string{"M2x4", "LPHS"}},
		{`/?search=%22red+chair%22+blue,,green%20`, 0, 0, "w.name ASC, w.id ASC", []string{"red chair", "blue", "green"}},
		{`/?search=%22red+chair%22,blue`, 0, 0, "w.name ASC, w.id ASC", []string{`"red chair"`, "blue"}}, // as DRF splits it
		{"/?search=%20%20", 0, 0, "w.name ASC, w.id ASC", nil},
	}
	for _, tt := range tests {
		q := a.s.listQuery(httptest.NewRequest("GET", tt.target, nil), o)
		if q.Limit != tt.limit || q.Offset != tt.offset || q.OrderBy() != tt.orderBy || !reflect.DeepEqual(q.Search, tt.search) {
			t.Errorf("%s: limit %d offset %d order %q search %q", tt.target, q.Limit, q.Offset, q.OrderBy(), q.Search)
		}
	}
	q := a.s.listQuery(httptest.NewRequest("GET", "/?search_regex=1&search_whole=true", nil), o)
	if !q.SearchRegex || !q.SearchWhole {
		t.Errorf("search flags: %+v", q)
	}
	// The primary key is not repeated when the ordering names it.
	pk := ordering{Fields: map[string][]string{"pk": {"w.id"}}, PK: "w.id"}
	if got := pk.resolve("-pk"); len(got) != 1 || !got[0].Desc {
		t.Errorf("resolve(-pk) = %v", got)
	}
	if got := (ordering{}).resolve("name"); got != nil || (ListQuery{}).OrderBy() != "" {
		t.Errorf("no ordering: %v", got)
	}
}
