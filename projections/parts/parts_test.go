package parts_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections"
	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/orders"
	"github.com/stockledger/stockledger/projections/parts"
	stockproj "github.com/stockledger/stockledger/projections/stock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var clock = time.Date(2026, 2, 3, 23, 30, 0, 0, time.FixedZone("CET", 3600))

type fixture struct {
	*ledgertest.Ledger
	t *testing.T
	h *commands.PartHandlers
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p, err := parts.NewProjector()
	if err != nil {
		t.Fatal(err)
	}
	l := ledgertest.New(t, ledgertest.Options{
		Events: [][]domain.EventType{part.Events()},
		// The part queries join the stock read model for the stock figures, and the
		// companies and orders read models for what is on order.
		Migrations: []ledgertest.Migration{parts.Migrate, stockproj.Migrate, companies.Migrate, orders.Migrate},
		Projectors: []projections.Projector{p},
	})
	h, err := commands.NewPartHandlers(l.Executor, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Ledger: l, t: t, h: h}
}

// wait blocks until the read model has applied res, as api/ does after a write.
func (f *fixture) wait(res commands.Result) {
	f.t.Helper()
	f.Wait(f.t, res.Position)
}

func (f *fixture) category(name string, parent int64, mutate ...func(*part.CategoryFields)) int64 {
	f.t.Helper()
	fields := part.CategoryFields{Name: name, Parent: parent}
	for _, m := range mutate {
		m(&fields)
	}
	id, res, err := f.h.CreatePartCategory(context.Background(), commands.CreatePartCategory{Fields: fields})
	if err != nil {
		f.t.Fatalf("create category %s: %v", name, err)
	}
	f.wait(res)
	return id
}

func (f *fixture) part(name string, category int64, mutate ...func(*part.PartFields)) int64 {
	f.t.Helper()
	fields := part.DefaultPartFields()
	fields.Name, fields.Category = name, category
	for _, m := range mutate {
		m(&fields)
	}
	id, res, err := f.h.CreatePart(context.Background(), commands.CreatePart{Fields: fields})
	if err != nil {
		f.t.Fatalf("create part %s: %v", name, err)
	}
	f.wait(res)
	return id
}

func (f *fixture) updateCategory(id int64, patch part.CategoryPatch) {
	f.t.Helper()
	res, err := f.h.UpdatePartCategory(context.Background(), commands.UpdatePartCategory{ID: id, Patch: patch})
	if err != nil {
		f.t.Fatal(err)
	}
	f.wait(res)
}

func (f *fixture) updatePart(id int64, patch part.PartPatch) {
	f.t.Helper()
	res, err := f.h.UpdatePart(context.Background(), commands.UpdatePart{ID: id, Patch: patch})
	if err != nil {
		f.t.Fatal(err)
	}
	f.wait(res)
}

func (f *fixture) deleteCategory(id int64, opts part.DeleteOptions) {
	f.t.Helper()
	ctx := context.Background()
	contents, err := parts.CategoryContents(ctx, f.Pool, id)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.h.DeletePartCategory(ctx, commands.DeletePartCategory{
		ID: id, Options: opts, Contents: commands.PartCategoryContents(contents),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.wait(res)
}

func (f *fixture) getCategory(id int64) parts.Category {
	f.t.Helper()
	c, err := parts.GetCategory(context.Background(), f.Pool, id, true)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// checkConsistent recomputes every stored counter and path from scratch and compares.
func (f *fixture) checkConsistent() {
	f.t.Helper()
	rows, err := f.Pool.Query(context.Background(), `
		SELECT c.pk, c.name,
			c.part_count, (SELECT count(*) FROM parts p JOIN part_categories pc ON pc.pk = p.category
				WHERE pc.path_ids @> ARRAY[c.pk]),
			c.subcategories, (SELECT count(*) FROM part_categories d WHERE d.path_ids @> ARRAY[c.pk] AND d.pk <> c.pk),
			c.path_ids = coalesce((SELECT p.path_ids FROM part_categories p WHERE p.pk = c.parent), '{}') || c.pk,
			c.path_names = coalesce((SELECT p.path_names FROM part_categories p WHERE p.pk = c.parent), '{}') || c.name
		FROM part_categories c`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var name string
		var parts, wantParts, subs, wantSubs int64
		var pathOK, namesOK bool
		if err := rows.Scan(&pk, &name, &parts, &wantParts, &subs, &wantSubs, &pathOK, &namesOK); err != nil {
			f.t.Fatal(err)
		}
		if parts != wantParts || subs != wantSubs || !pathOK || !namesOK {
			f.t.Errorf("category %d %s: part_count %d (want %d), subcategories %d (want %d), path ok %v, names ok %v",
				pk, name, parts, wantParts, subs, wantSubs, pathOK, namesOK)
		}
	}
}

// shop builds InvenTree's test fixture shape:
//
//	Electronics > Resistors, Capacitors, IC > Transceivers
//	Mechanical > Fasteners
type shop struct {
	electronics, resistors, capacitors, ic, transceivers, mechanical, fasteners int64
	r10k, r4k7, c100n, max232, m3, m4, widget                                   int64
}

func buildShop(f *fixture) shop {
	var s shop
	s.electronics = f.category("Electronics", 0, func(c *part.CategoryFields) { c.DefaultLocation = 7; c.Description = "Electronic components" })
	s.resistors = f.category("Resistors", s.electronics)
	s.capacitors = f.category("Capacitors", s.electronics, func(c *part.CategoryFields) { c.Icon = "ti:capacitor" })
	s.ic = f.category("IC", s.electronics, func(c *part.CategoryFields) { c.DefaultLocation = 8 })
	s.transceivers = f.category("Transceivers", s.ic)
	s.mechanical = f.category("Mechanical", 0, func(c *part.CategoryFields) { c.Structural = true })
	s.fasteners = f.category("Fasteners", s.mechanical, func(c *part.CategoryFields) { c.DefaultKeywords = "screw" })

	s.r10k = f.part("R_10K_0805", s.resistors, func(p *part.PartFields) {
		p.IPN, p.Description, p.Keywords, p.Units = "R-0001", "10k resistor", "smd passive", "pcs"
		p.MinimumStock = decimal.RequireFromString("100.5")
	})
	s.r4k7 = f.part("R_4K7_0603", s.resistors, func(p *part.PartFields) {
		p.IPN, p.Description, p.Salable, p.DefaultLocation = "r-0002", "4k7 resistor", true, 9
	})
	s.c100n = f.part("C_100N", s.capacitors, func(p *part.PartFields) { p.Description = "ceramic capacitor"; p.Assembly = true })
	s.max232 = f.part("MAX232", s.transceivers, func(p *part.PartFields) { p.Trackable, p.Testable = true, true })
	s.m3 = f.part("M3 screw", s.fasteners, func(p *part.PartFields) { p.IsTemplate = true; p.Purchaseable = false })
	s.m4 = f.part("M4 screw", s.fasteners, func(p *part.PartFields) { p.VariantOf = s.m3; p.Virtual = true })
	s.widget = f.part("Widget", 0, func(p *part.PartFields) {
		p.Active, p.Locked, p.Consumable, p.Revision, p.Component = false, true, true, "A", false
	})
	return s
}

func TestCategoriesShape(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	f.checkConsistent()

	got := f.getCategory(s.transceivers)
	want := parts.Category{
		PK: s.transceivers, Name: "Transceivers", Level: 2, Parent: &s.ic,
		PartCount: 1, Subcategories: 0, Pathstring: "Electronics/IC/Transceivers",
		ParentDefaultLocation: ptr(int64(8)),
	}
	path := got.Path
	got.Path = parts.Detail[[]parts.TreePath]{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("category = %+v\nwant       %+v", got, want)
	}
	wantPath := []parts.TreePath{{PK: s.electronics, Name: "Electronics"}, {PK: s.ic, Name: "IC"}, {PK: s.transceivers, Name: "Transceivers"}}
	if !path.Requested || !reflect.DeepEqual(*path.Value, wantPath) {
		t.Fatalf("path = %+v", path)
	}

	e := f.getCategory(s.electronics)
	if e.PartCount != 4 || e.Subcategories != 4 || e.Level != 0 || e.Parent != nil || e.ParentDefaultLocation != nil ||
		*e.DefaultLocation != 7 || e.Description != "Electronic components" {
		t.Fatalf("electronics = %+v", e)
	}
	if ic := f.getCategory(s.ic); *ic.ParentDefaultLocation != 7 {
		t.Fatalf("IC's parent default location = %v", ic.ParentDefaultLocation)
	}
	if fa := f.getCategory(s.fasteners); *fa.DefaultKeywords != "screw" || fa.PartCount != 2 {
		t.Fatalf("fasteners = %+v", fa)
	}

	// JSON: InvenTree's keys and types; path only when asked for.
	plain, err := parts.GetCategory(context.Background(), f.Pool, s.capacitors, false)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	b, _ := json.Marshal(plain)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pk", "name", "description", "default_location", "default_keywords", "level", "parent",
		"part_count", "subcategories", "pathstring", "starred", "structural", "icon", "parent_default_location"} {
		if _, ok := m[key]; !ok {
			t.Errorf("key %s missing from %s", key, b)
		}
	}
	if _, ok := m["path"]; ok || m["default_keywords"] != nil || m["icon"] != "ti:capacitor" {
		t.Errorf("capacitors = %s", b)
	}

	if _, err := parts.GetCategory(context.Background(), f.Pool, 999, false); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing category: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPathstringFollowsRenamesAndMoves(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)

	f.updateCategory(s.ic, part.CategoryPatch{Name: ptr("Chips")})
	if got := f.getCategory(s.transceivers).Pathstring; got != "Electronics/Chips/Transceivers" {
		t.Fatalf("after rename: %q", got)
	}
	sub := f.category("Subcategory", s.transceivers)
	if got := f.getCategory(sub).Pathstring; got != "Electronics/Chips/Transceivers/Subcategory" {
		t.Fatalf("new child: %q", got)
	}
	// Move the Chips subtree under Mechanical: counters leave Electronics and reach
	// Mechanical, levels and paths follow.
	f.updateCategory(s.ic, part.CategoryPatch{Parent: &s.mechanical})
	f.checkConsistent()
	if got := f.getCategory(sub); got.Pathstring != "Mechanical/Chips/Transceivers/Subcategory" || got.Level != 3 {
		t.Fatalf("after move: %+v", got)
	}
	if e, m := f.getCategory(s.electronics), f.getCategory(s.mechanical); e.PartCount != 3 || e.Subcategories != 2 ||
		m.PartCount != 3 || m.Subcategories != 4 {
		t.Fatalf("electronics %d/%d, mechanical %d/%d", e.PartCount, e.Subcategories, m.PartCount, m.Subcategories)
	}
	// To the top level.
	f.updateCategory(sub, part.CategoryPatch{Parent: ptr(int64(0))})
	if got := f.getCategory(sub); got.Pathstring != "Subcategory" || got.Level != 0 || got.Parent != nil {
		t.Fatalf("at top level: %+v", got)
	}
	// A part moving between categories moves its count.
	f.updatePart(s.max232, part.PartPatch{Category: &s.resistors})
	f.checkConsistent()
	if got := f.getCategory(s.electronics).PartCount; got != 4 {
		t.Fatalf("electronics part count = %d", got)
	}
	f.updatePart(s.max232, part.PartPatch{Category: ptr(int64(0))})
	f.checkConsistent()
}

// InvenTree's own test (part/test_category.py test_path_string): a path longer than 250
// characters keeps its ends.
func TestLongPathstring(t *testing.T) {
	f := newFixture(t)
	parent := f.category("Cat", 0)
	for i := range 26 {
		letter := string(rune('A' + i))
		parent = f.category(strings.Repeat(letter, 10), parent)
	}
	want := "Cat/AAAAAAAAAA/BBBBBBBBBB/CCCCCCCCCC/DDDDDDDDDD/EEEEEEEEEE/FFFFFFFFFF/GGGGGGGGGG/HHHHHHHHHH/IIIIIIIIII/JJJJJJJJJJ/KKKKKKKKK...OO/PPPPPPPPPP/QQQQQQQQQQ/RRRRRRRRRR/SSSSSSSSSS/TTTTTTTTTT/UUUUUUUUUU/VVVVVVVVVV/WWWWWWWWWW/XXXXXXXXXX/YYYYYYYYYY/ZZZZZZZZZZ"
	if got := f.getCategory(parent).Pathstring; got != want {
		t.Fatalf("pathstring = %q", got)
	}
}

func TestListCategories(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	ctx := context.Background()
	yes, no := ptr(true), ptr(false)
	tests := []struct {
		name   string
		filter parts.CategoryFilter
		want   []int64
		total  int
	}{
		{name: "all, in tree order", filter: parts.CategoryFilter{},
			want: []int64{s.electronics, s.capacitors, s.ic, s.transceivers, s.resistors, s.mechanical, s.fasteners}},
		{name: "children of electronics", filter: parts.CategoryFilter{Parent: &s.electronics},
			want: []int64{s.capacitors, s.ic, s.resistors}},
		{name: "everything below electronics", filter: parts.CategoryFilter{Parent: &s.electronics, Cascade: yes},
			want: []int64{s.capacitors, s.ic, s.transceivers, s.resistors}},
		{name: "below electronics, one level", filter: parts.CategoryFilter{Parent: &s.electronics, Cascade: yes, Depth: ptr(1)},
			want: []int64{s.capacitors, s.ic, s.resistors}},
		{name: "parent null", filter: parts.CategoryFilter{ParentNull: true}, want: []int64{s.electronics, s.mechanical}},
		{name: "top level", filter: parts.CategoryFilter{TopLevel: yes}, want: []int64{s.electronics, s.mechanical}},
		{name: "top level with cascade", filter: parts.CategoryFilter{TopLevel: yes, Cascade: yes},
			want: []int64{s.electronics, s.capacitors, s.ic, s.transceivers, s.resistors, s.mechanical, s.fasteners}},
		{name: "cascade false", filter: parts.CategoryFilter{Cascade: no}, want: []int64{s.electronics, s.mechanical}},
		{name: "depth 1", filter: parts.CategoryFilter{Depth: ptr(1)},
			want: []int64{s.electronics, s.capacitors, s.ic, s.resistors, s.mechanical, s.fasteners}},
		{name: "structural", filter: parts.CategoryFilter{Structural: yes}, want: []int64{s.mechanical}},
		{name: "name", filter: parts.CategoryFilter{Name: ptr("IC")}, want: []int64{s.ic}},
		{name: "search in the description", filter: parts.CategoryFilter{Search: "components"}, want: []int64{s.electronics}},
		{name: "search in the pathstring", filter: parts.CategoryFilter{Search: "electronics/ic"},
			want: []int64{s.ic, s.transceivers}},
		{name: "every search term must match", filter: parts.CategoryFilter{Search: "transc, electronics"},
			want: []int64{s.transceivers}},
		{name: "search is case-insensitive and escapes wildcards", filter: parts.CategoryFilter{Search: "%"}, want: []int64{}},
		{name: "exclude tree", filter: parts.CategoryFilter{ExcludeTree: &s.ic},
			want: []int64{s.electronics, s.capacitors, s.resistors, s.mechanical, s.fasteners}},
		{name: "order by name", filter: parts.CategoryFilter{Ordering: "name"},
			want: []int64{s.capacitors, s.electronics, s.fasteners, s.ic, s.mechanical, s.resistors, s.transceivers}},
		{name: "order by part count, descending, then level", filter: parts.CategoryFilter{Ordering: "-part_count,level,bogus", Parent: &s.electronics, Cascade: yes},
			want: []int64{s.resistors, s.capacitors, s.ic, s.transceivers}},
		{name: "order by pathstring, descending", filter: parts.CategoryFilter{Ordering: "-pathstring", ParentNull: true},
			want: []int64{s.mechanical, s.electronics}},
		{name: "a page", filter: parts.CategoryFilter{Page: parts.Page{Limit: 2, Offset: 1}},
			want: []int64{s.capacitors, s.ic}, total: 7},
		{name: "past the end", filter: parts.CategoryFilter{Page: parts.Page{Limit: 2, Offset: 10}}, want: []int64{}, total: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cats, total, err := parts.ListCategories(ctx, f.Pool, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, c := range cats {
				got = append(got, c.PK)
				if c.Path.Requested {
					t.Error("path without path_detail")
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pks = %v, want %v", got, tt.want)
			}
			wantTotal := tt.total
			if wantTotal == 0 {
				wantTotal = len(tt.want)
			}
			if total != wantTotal {
				t.Errorf("total = %d, want %d", total, wantTotal)
			}
		})
	}
	cats, _, err := parts.ListCategories(ctx, f.Pool, parts.CategoryFilter{PathDetail: true, Name: ptr("Fasteners")})
	if err != nil || len(cats) != 1 || len(*cats[0].Path.Value) != 2 {
		t.Fatalf("path detail: %+v, %v", cats, err)
	}
}

func TestCategoryTree(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	nodes, total, err := parts.CategoryTree(context.Background(), f.Pool, "", parts.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, n := range nodes {
		got = append(got, n.PK)
	}
	want := []int64{s.electronics, s.mechanical, s.capacitors, s.fasteners, s.ic, s.resistors, s.transceivers}
	if !slices.Equal(got, want) || total != 7 {
		t.Fatalf("tree = %v (%d), want %v", got, total, want)
	}
	tr := nodes[len(nodes)-1]
	if tr.TreeID != s.electronics || tr.Level != 2 || *tr.Parent != s.ic || tr.Pathstring != "Electronics/IC/Transceivers" {
		t.Fatalf("transceivers node = %+v", tr)
	}
	b, _ := json.Marshal(nodes[0])
	for _, key := range []string{`"pk"`, `"name"`, `"description"`, `"pathstring"`, `"parent":null`, `"tree_id"`, `"level"`, `"icon"`, `"structural"`, `"subcategories":4`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("%s lacks %s", b, key)
		}
	}
	nodes, _, err = parts.CategoryTree(context.Background(), f.Pool, "-subcategories", parts.Page{Limit: 1})
	if err != nil || len(nodes) != 1 || nodes[0].PK != s.electronics {
		t.Fatalf("by subcategories: %+v, %v", nodes, err)
	}
}

func TestListParts(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	rev := f.part("Widget", 0, func(p *part.PartFields) { p.RevisionOf = s.widget; p.Revision = "B" })
	ctx := context.Background()
	yes, no := ptr(true), ptr(false)
	tests := []struct {
		name   string
		filter parts.PartFilter
		want   []int64
		total  int
	}{
		{name: "all by name", want: []int64{s.c100n, s.m3, s.m4, s.max232, s.r10k, s.r4k7, s.widget, rev}},
		{name: "category cascades by default", filter: parts.PartFilter{Category: &s.electronics},
			want: []int64{s.c100n, s.max232, s.r10k, s.r4k7}},
		{name: "category without cascade", filter: parts.PartFilter{Category: &s.electronics, Cascade: no}, want: []int64{}},
		{name: "category null without cascade", filter: parts.PartFilter{CategoryNull: true, Cascade: no}, want: []int64{s.widget, rev}},
		{name: "category null cascades to everything", filter: parts.PartFilter{CategoryNull: true},
			want: []int64{s.c100n, s.m3, s.m4, s.max232, s.r10k, s.r4k7, s.widget, rev}},
		{name: "active", filter: parts.PartFilter{Active: no}, want: []int64{s.widget}},
		{name: "assembly", filter: parts.PartFilter{Assembly: yes}, want: []int64{s.c100n}},
		{name: "component", filter: parts.PartFilter{Component: no}, want: []int64{s.widget}},
		{name: "purchaseable", filter: parts.PartFilter{Purchaseable: no}, want: []int64{s.m3}},
		{name: "salable", filter: parts.PartFilter{Salable: yes}, want: []int64{s.r4k7}},
		{name: "trackable and testable", filter: parts.PartFilter{Trackable: yes, Testable: yes}, want: []int64{s.max232}},
		{name: "virtual", filter: parts.PartFilter{Virtual: yes}, want: []int64{s.m4}},
		{name: "template", filter: parts.PartFilter{IsTemplate: yes}, want: []int64{s.m3}},
		{name: "locked", filter: parts.PartFilter{Locked: yes}, want: []int64{s.widget}},
		{name: "consumable", filter: parts.PartFilter{Consumable: yes}, want: []int64{s.widget}},
		{name: "IPN ignores case", filter: parts.PartFilter{IPN: ptr("R-0002")}, want: []int64{s.r4k7}},
		{name: "has IPN", filter: parts.PartFilter{HasIPN: yes}, want: []int64{s.r10k, s.r4k7}},
		{name: "has no IPN", filter: parts.PartFilter{HasIPN: no}, want: []int64{s.c100n, s.m3, s.m4, s.max232, s.widget, rev}},
		{name: "has units", filter: parts.PartFilter{HasUnits: yes}, want: []int64{s.r10k}},
		{name: "variants", filter: parts.PartFilter{IsVariant: yes}, want: []int64{s.m4}},
		{name: "variants of", filter: parts.PartFilter{VariantOf: &s.m3}, want: []int64{s.m4}},
		{name: "revisions", filter: parts.PartFilter{IsRevision: yes}, want: []int64{rev}},
		{name: "revisions of", filter: parts.PartFilter{RevisionOf: &s.widget}, want: []int64{rev}},
		{name: "default location", filter: parts.PartFilter{DefaultLocation: ptr(int64(9))}, want: []int64{s.r4k7}},
		{name: "exclude ids", filter: parts.PartFilter{ExcludeID: []int64{s.widget, rev, s.m3}},
			want: []int64{s.c100n, s.m4, s.max232, s.r10k, s.r4k7}},
		{name: "search every term in any field", filter: parts.PartFilter{Search: "resistor, smd"}, want: []int64{s.r10k}},
		{name: "search the category name", filter: parts.PartFilter{Search: "fasten"}, want: []int64{s.m3, s.m4}},
		{name: "search the IPN", filter: parts.PartFilter{Search: "r-000"}, want: []int64{s.r10k, s.r4k7}},
		{name: "order by IPN descending", filter: parts.PartFilter{Ordering: "-IPN", HasIPN: yes}, want: []int64{s.r4k7, s.r10k}},
		{name: "order by revision count", filter: parts.PartFilter{Ordering: "-revision_count,name", Category: nil, Search: "widget"},
			want: []int64{s.widget, rev}},
		{name: "order by category", filter: parts.PartFilter{Ordering: "category", Category: &s.electronics},
			want: []int64{s.r10k, s.r4k7, s.c100n, s.max232}},
		{name: "a page", filter: parts.PartFilter{Page: parts.Page{Limit: 3, Offset: 2}}, want: []int64{s.m4, s.max232, s.r10k}, total: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, total, err := parts.ListParts(ctx, f.Pool, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, p := range ps {
				got = append(got, p.PK)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pks = %v, want %v", got, tt.want)
			}
			wantTotal := tt.total
			if wantTotal == 0 {
				wantTotal = len(tt.want)
			}
			if total != wantTotal {
				t.Errorf("total = %d, want %d", total, wantTotal)
			}
		})
	}
}

func TestPartShape(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	ctx := context.Background()

	p, err := parts.GetPart(ctx, f.Pool, s.r10k, parts.PartDetail{})
	if err != nil {
		t.Fatal(err)
	}
	if p.FullName != "R-0001 | R_10K_0805" || *p.CategoryName != "Resistors" || *p.CategoryDefaultLocation != 7 ||
		*p.CreationDate != "2026-02-03" || p.Thumbnail != parts.BlankThumbnail || !p.MinimumStock.Equal(decimal.RequireFromString("100.5")) {
		t.Fatalf("part = %+v", p)
	}
	b, _ := json.Marshal(p)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pk", "active", "assembly", "barcode_hash", "category", "category_name", "component",
		"creation_date", "creation_user", "default_expiry", "default_location", "description", "full_name", "image", "IPN",
		"is_template", "keywords", "link", "locked", "minimum_stock", "maximum_stock", "name", "notes", "purchaseable",
		"revision", "revision_of", "revision_count", "salable", "starred", "thumbnail", "testable", "trackable", "units",
		"variant_of", "virtual", "consumable", "pricing_min", "pricing_max", "pricing_updated", "responsible",
		"category_default_location", "tags"} {
		if _, ok := m[key]; !ok {
			t.Errorf("key %s missing", key)
		}
	}
	for _, key := range []string{"category_detail", "category_path"} {
		if _, ok := m[key]; ok {
			t.Errorf("%s present without its flag", key)
		}
	}
	// InvenTree's floats are JSON numbers.
	if m["minimum_stock"] != 100.5 || m["maximum_stock"] != 0.0 || m["keywords"] != "smd passive" || m["link"] != nil {
		t.Errorf("json = %s", b)
	}

	// Details when asked for; a part without a category shows them as null.
	d := parts.PartDetail{CategoryDetail: true, PathDetail: true}
	p, err = parts.GetPart(ctx, f.Pool, s.max232, d)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.CategoryDetail.Value; c == nil || c.PK != s.transceivers || c.Path.Requested {
		t.Fatalf("category detail = %+v", p.CategoryDetail)
	}
	if path := *p.CategoryPath.Value; len(path) != 3 || path[2].Name != "Transceivers" {
		t.Fatalf("category path = %+v", path)
	}
	if p.CategoryDefaultLocation == nil || *p.CategoryDefaultLocation != 8 {
		t.Fatalf("category default location = %v, want IC's", p.CategoryDefaultLocation)
	}
	w, err := parts.GetPart(ctx, f.Pool, s.widget, d)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(w)
	for _, frag := range []string{`"category_detail":null`, `"category_path":null`, `"category_name":null`, `"full_name":"Widget | A"`, `"active":false`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("%s lacks %s", b, frag)
		}
	}
	list, _, err := parts.ListParts(ctx, f.Pool, parts.PartFilter{PartDetail: d, Category: &s.fasteners})
	if err != nil || len(list) != 2 || list[0].CategoryDetail.Value.Name != "Fasteners" {
		t.Fatalf("list with details: %+v, %v", list, err)
	}

	if _, err := parts.GetPart(ctx, f.Pool, 999, parts.PartDetail{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing part: %v", err)
	}
	if n, err := parts.CountDirectParts(ctx, f.Pool, s.resistors); err != nil || n != 2 {
		t.Fatalf("direct parts = %d, %v", n, err)
	}
}

func TestPartEditsReachTheReadModel(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	ctx := context.Background()
	f.updatePart(s.r10k, part.PartPatch{
		Name: ptr("R_10K"), IPN: ptr(""), Keywords: ptr(""), Link: ptr("https://example.com/r"),
		MaximumStock: ptr(decimal.NewFromInt(500)), Active: ptr(false), DefaultLocation: ptr(int64(0)),
		Notes: ptr("n"), Responsible: ptr(int64(4)), DefaultExpiry: ptr(int64(30)),
	})
	p, err := parts.GetPart(ctx, f.Pool, s.r10k, parts.PartDetail{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "R_10K" || p.IPN != "" || p.FullName != "R_10K" || p.Keywords != nil || *p.Link != "https://example.com/r" ||
		!p.MaximumStock.Equal(decimal.NewFromInt(500)) || p.Active || p.DefaultLocation != nil || *p.Notes != "n" ||
		*p.Responsible != 4 || p.DefaultExpiry != 30 {
		t.Fatalf("part = %+v", p)
	}
	res, err := f.h.DeletePart(ctx, commands.DeletePart{ID: s.r10k})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(res)
	if _, err := parts.GetPart(ctx, f.Pool, s.r10k, parts.PartDetail{}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted part: %v", err)
	}
	f.checkConsistent()
	if got := f.getCategory(s.electronics).PartCount; got != 3 {
		t.Fatalf("electronics part count = %d", got)
	}
}

func TestCategoryDeletesInTheReadModel(t *testing.T) {
	tests := []struct {
		name        string
		opts        part.DeleteOptions
		wantParts   []string // part names left
		wantCats    []string // pathstrings left
		electronics int64    // part_count of Electronics after deleting IC
	}{
		{name: "move up", opts: part.DeleteOptions{},
			wantParts: []string{"C_100N", "M3 screw", "M4 screw", "MAX232", "R_10K_0805", "R_4K7_0603", "Widget", "X1"},
			wantCats: []string{"Electronics", "Electronics/Capacitors", "Electronics/Resistors", "Electronics/Transceivers",
				"Electronics/Transceivers/Deep", "Mechanical", "Mechanical/Fasteners"},
			electronics: 5},
		{name: "delete parts", opts: part.DeleteOptions{DeleteParts: true},
			wantParts: []string{"C_100N", "M3 screw", "M4 screw", "MAX232", "R_10K_0805", "R_4K7_0603", "Widget"},
			wantCats: []string{"Electronics", "Electronics/Capacitors", "Electronics/Resistors", "Electronics/Transceivers",
				"Electronics/Transceivers/Deep", "Mechanical", "Mechanical/Fasteners"},
			electronics: 4},
		{name: "delete children", opts: part.DeleteOptions{DeleteChildCategories: true},
			wantParts:   []string{"C_100N", "M3 screw", "M4 screw", "MAX232", "R_10K_0805", "R_4K7_0603", "Widget", "X1"},
			wantCats:    []string{"Electronics", "Electronics/Capacitors", "Electronics/Resistors", "Mechanical", "Mechanical/Fasteners"},
			electronics: 5},
		{name: "delete everything", opts: part.DeleteOptions{DeleteParts: true, DeleteChildCategories: true},
			wantParts:   []string{"C_100N", "M3 screw", "M4 screw", "R_10K_0805", "R_4K7_0603", "Widget"},
			wantCats:    []string{"Electronics", "Electronics/Capacitors", "Electronics/Resistors", "Mechanical", "Mechanical/Fasteners"},
			electronics: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := buildShop(f)
			ctx := context.Background()
			deep := f.category("Deep", s.transceivers)
			f.part("X1", s.ic)
			f.part("D1", deep, func(p *part.PartFields) { p.IPN = "D-1" })
			f.deleteCategory(s.ic, tt.opts)
			f.checkConsistent()

			cats, _, err := parts.ListCategories(ctx, f.Pool, parts.CategoryFilter{Ordering: "pathstring"})
			if err != nil {
				t.Fatal(err)
			}
			var gotCats []string
			for _, c := range cats {
				gotCats = append(gotCats, c.Pathstring)
			}
			if !slices.Equal(gotCats, tt.wantCats) {
				t.Errorf("categories = %v\nwant         %v", gotCats, tt.wantCats)
			}
			ps, _, err := parts.ListParts(ctx, f.Pool, parts.PartFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var gotParts []string
			for _, p := range ps {
				if p.Name != "D1" {
					gotParts = append(gotParts, p.Name)
				}
			}
			if !slices.Equal(gotParts, tt.wantParts) {
				t.Errorf("parts = %v\nwant    %v", gotParts, tt.wantParts)
			}
			if got := f.getCategory(s.electronics).PartCount; got != tt.electronics+deepParts(tt.opts) {
				t.Errorf("electronics part count = %d, want %d", got, tt.electronics+deepParts(tt.opts))
			}
		})
	}
}

// deepParts is how many of the parts below IC's children (D1) stay under Electronics.
func deepParts(opts part.DeleteOptions) int64 {
	if opts.DeleteParts && opts.DeleteChildCategories {
		return 0
	}
	return 1
}

// dump reads both tables completely, in a fixed order.
func dump(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var out string
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT coalesce(json_agg(c ORDER BY c.pk), '[]') FROM part_categories c)::text ||
		(SELECT coalesce(json_agg(p ORDER BY p.pk), '[]') FROM parts p)::text`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRebuildGivesIdenticalRows(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	f.updateCategory(s.ic, part.CategoryPatch{Name: ptr("Chips"), Parent: &s.mechanical})
	f.updatePart(s.r10k, part.PartPatch{Category: &s.transceivers, Description: ptr("moved")})
	extra := f.category("Extra", s.transceivers)
	f.part("E1", extra)
	f.deleteCategory(s.transceivers, part.DeleteOptions{})
	f.deleteCategory(s.resistors, part.DeleteOptions{DeleteParts: true})
	before := dump(t, f.Pool)
	f.Stop() // a rebuild runs with the server's runner stopped

	if _, err := f.Pool.Exec(context.Background(), `UPDATE part_categories SET part_count = 999, name = 'damaged'`); err != nil {
		t.Fatal(err)
	}
	if err := f.Runner.Rebuild(context.Background(), parts.Name, nil); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, f.Pool); after != before {
		t.Fatalf("rebuild differs:\nbefore %s\nafter  %s", before, after)
	}
	f.checkConsistent()
}

// Events of other aggregates pass through untouched.
func TestProjectorIgnoresOtherEvents(t *testing.T) {
	p, err := parts.NewProjector()
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "parts" {
		t.Fatalf("name = %q", p.Name())
	}
	if err := p.Project(context.Background(), nil, []eventstore.Recorded{{Type: "StockItemMoved", Data: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
}

func recorded(t *testing.T, evs ...domain.Event) []eventstore.Recorded {
	t.Helper()
	out := make([]eventstore.Recorded, len(evs))
	for i, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = eventstore.Recorded{Type: e.EventType(), Schema: 1, Data: data, Stream: "test-1"}
	}
	return out
}

// permutations returns every order of evs.
func permutations(evs []domain.Event) [][]domain.Event {
	if len(evs) <= 1 {
		return [][]domain.Event{slices.Clone(evs)}
	}
	var out [][]domain.Event
	for i := range evs {
		rest := slices.Concat(evs[:i], evs[i+1:])
		for _, p := range permutations(rest) {
			out = append(out, append([]domain.Event{evs[i]}, p...))
		}
	}
	return out
}

// The events of one category delete may reach the projector in any order: the read
// model ends the same, and consistent, whichever order the command appended them in.
func TestProjectionIsOrderIndependentWithinADelete(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := parts.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	proj, err := parts.NewProjector()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{Ledger: &ledgertest.Ledger{Pool: pool}, t: t}
	pf := func(id, category int64) part.PartCreated {
		fields := part.DefaultPartFields()
		fields.Name, fields.Category = "P", category
		return part.PartCreated{ID: id, PartFields: fields, CreatedAt: clock}
	}
	// A(1) > B(2) > C(3), D(4) > E(5); parts 10 in B, 11 in C, 12 in A.
	setup := []domain.Event{
		part.CategoryCreated{ID: 4, CategoryFields: part.CategoryFields{Name: "D"}},
		part.CategoryCreated{ID: 5, CategoryFields: part.CategoryFields{Name: "E", Parent: 4}},
		part.CategoryCreated{ID: 1, CategoryFields: part.CategoryFields{Name: "A", Parent: 5}},
		part.CategoryCreated{ID: 2, CategoryFields: part.CategoryFields{Name: "B", Parent: 1}},
		part.CategoryCreated{ID: 3, CategoryFields: part.CategoryFields{Name: "C", Parent: 2}},
		pf(10, 2), pf(11, 3), pf(12, 1),
	}
	deletes := map[string][]domain.Event{
		"move up": {
			part.CategoryDeleted{ID: 1},
			part.CategoryParentChanged{ID: 2, From: 1, To: 5},
			part.PartCategoryChanged{ID: 12, From: 1, To: 5, DeletedCategory: 1},
		},
		"delete parts, move children": {
			part.CategoryDeleted{ID: 1, DeleteParts: true},
			part.CategoryParentChanged{ID: 2, From: 1, To: 5},
			part.PartDeleted{ID: 12, DeletedWithCategory: 1},
		},
		"delete children, move parts": {
			part.CategoryDeleted{ID: 1, DeleteChildCategories: true},
			part.CategoryDeleted{ID: 2, DeletedWith: 1},
			part.CategoryDeleted{ID: 3, DeletedWith: 1},
			part.PartCategoryChanged{ID: 10, From: 2, To: 5, DeletedCategory: 1},
			part.PartCategoryChanged{ID: 11, From: 3, To: 5, DeletedCategory: 1},
		},
		"delete everything": {
			part.CategoryDeleted{ID: 1, DeleteParts: true, DeleteChildCategories: true},
			part.CategoryDeleted{ID: 2, DeletedWith: 1},
			part.CategoryDeleted{ID: 3, DeletedWith: 1},
			part.PartDeleted{ID: 10, DeletedWithCategory: 1},
			part.PartDeleted{ID: 11, DeletedWithCategory: 1},
		},
	}
	apply := func(evs []domain.Event) {
		t.Helper()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `TRUNCATE part_categories, parts`); err != nil {
				return err
			}
			return proj.Project(ctx, tx, recorded(t, slices.Concat(setup, evs)...))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, evs := range deletes {
		t.Run(name, func(t *testing.T) {
			f.t = t
			orders := permutations(evs)
			apply(orders[0])
			want := dump(t, pool)
			f.checkConsistent()
			for _, order := range orders[1:] {
				apply(order)
				if got := dump(t, pool); got != want {
					t.Fatalf("order %v gives\n%s\nwant\n%s", order, got, want)
				}
			}
		})
	}
}
