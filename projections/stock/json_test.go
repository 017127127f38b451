package stock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/internal/pgtest"
	partsrm "github.com/stockledger/stockledger/projections/parts"
	"github.com/stockledger/stockledger/projections/stock"
)

// awkward are texts that JSON encoders disagree on: quotes, backslashes, control
// characters, HTML's characters, U+2028 and U+2029, non-ASCII.
var awkward = []string{
	"", "plain", `say "hi"`, `back\slash`, "tab\there", "line\nbreak\r\n", "bell\x07 esc\x1b del\x7f",
	"\x01\x02\x03\x04\x05\x06\x08\x0b\x0c\x0e\x0f\x10\x1f", "<b>bold</b> & co", "sep\u2028arator\u2029",
	"naïve café 日本語 🙂", `</script>`, "\\u0041", "trailing }",
}

// encoded is what the API's encoder writes for v: encoding/json, HTML escaping off.
func encoded(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// The stored rendering writes every value as the Go encoder writes the Item: rows
// written directly with awkward strings, numbers, times and references.
func TestStoredRenderingMatchesGo(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := stock.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	for i, name := range awkward {
		if _, err := pool.Exec(ctx, `INSERT INTO stock_locations (pk, name, path_pks, name_path, pathstring, level, tree_id)
			VALUES ($1, $2, ARRAY[$1::bigint], ARRAY[$2::text], $2, 0, $1)`, i+1, name); err != nil {
			t.Fatal(err)
		}
	}
	quantities := []string{"0", "1", "10", "2.5", "2.50", "0.000100", "1234567.891", "-3", "-0.5",
		"100000000000000000000", "0.00000000000000000001", "1000.000"}
	prices := []any{nil, "0", "1.25", "0.0000005", "-2.0000004", "123456789.1234565"}
	times := []time.Time{
		time.Date(2026, 3, 4, 10, 30, 59, 999999000, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 0, 0, time.FixedZone("X", -5*3600)),
		time.Date(999, 1, 2, 3, 4, 0, 0, time.UTC),
		time.Date(12345, 6, 7, 8, 9, 0, 0, time.UTC),
	}
	dates := []any{nil, "2026-03-01", "0999-01-02", "12345-06-07"}
	codes := append(status.StockStatusClass().Codes, status.Code{Key: 1})
	n := max(len(awkward), len(quantities), len(times)*len(dates))
	for i := range n {
		str := func(k int) any {
			if k%4 == 3 {
				return nil
			}
			return awkward[(i+k)%len(awkward)]
		}
		ref := func(k int) any { // an item written before this one, as references always are
			if (i+k)%3 == 0 || i == 0 {
				return nil
			}
			return int64(1 + (i*7+k)%i)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO stock_items (pk, part, quantity, serial, batch, location,
				belongs_to, build, consumed_by, customer, delete_on_deplete, expiry_date, is_building, link, notes,
				owner, packaging, parent, purchase_order, sales_order, status, supplier_part, creation_date,
				stocktake_date, updated, purchase_price, purchase_price_currency, tracking_items)
			VALUES ($1, $2, $3::numeric, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, $14, $15, $16, $17, $18,
				$19, $20, $21, $22, $23, $24::date, $25, $26::numeric, $27, $28)`,
			i+1, int64(i%3+1), quantities[i%len(quantities)], str(0), awkward[i%len(awkward)],
			[]any{nil, int64(i%len(awkward) + 1)}[min(i%5, 1)], ref(1), ref(2), ref(3), ref(4), i%2 == 0,
			dates[i%len(dates)], i%7 == 0, awkward[(i+3)%len(awkward)], str(1), ref(5), str(2), ref(6), ref(7),
			ref(8), codes[i%len(codes)].Key, ref(9), times[i%len(times)], dates[(i/len(times))%len(dates)],
			times[(i+1)%len(times)], prices[i%len(prices)], awkward[(i+5)%len(awkward)], i%4); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := stock.NewReadModel(pool, stock.ReadModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for pk := int64(1); pk <= int64(n); pk++ {
		f := stock.ItemFilter{LocationDetail: true, Today: clock, StaleDays: 400}
		want, err := rm.GetItem(ctx, pk, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rm.GetItemJSON(ctx, pk, f)
		if err != nil {
			t.Fatal(err)
		}
		if w := encoded(t, want); string(got) != w {
			t.Errorf("item %d:\n got %s\nwant %s", pk, got, w)
		}
	}
	for _, code := range codes {
		var label string
		if err := pool.QueryRow(ctx, `SELECT stock_status_label($1)`, code.Key).Scan(&label); err != nil {
			t.Fatal(err)
		}
		if want := status.StockStatus(code.Key).Label(); label != want {
			t.Errorf("stock_status_label(%d) = %q, want %q", code.Key, label, want)
		}
	}
}

// renderFixture is a ledger with items of every kind, and read models with and without
// a parts join.
type renderFixture struct {
	*fixture
	joined *stock.ReadModel // with parts and their stored briefs
	items  []int64
	locs   []int64
}

func newRenderFixture(t *testing.T) *renderFixture {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	if err := partsrm.Migrate(ctx, f.Pool, nil); err != nil {
		t.Fatal(err)
	}
	rf := &renderFixture{fixture: f}

	// Parts 1-3 in the parts read model (part 3 without a stored brief); part 4 only in
	// the commands' view, as when the parts projection lags.
	if _, err := f.Pool.Exec(ctx, `INSERT INTO part_categories (pk, name, default_location, path_ids, path_names)
		VALUES (1, 'Top', 77, '{1}', '{Top}'), (2, 'Sub', NULL, '{1,2}', '{Top,Sub}')`); err != nil {
		t.Fatal(err)
	}
	for pk, name := range map[int64]string{1: "Widget <1> & \"co\"", 2: "Anchor\u2028x", 3: "Bolt\tM3"} {
		if _, err := f.Pool.Exec(ctx, `INSERT INTO parts (pk, name, description, ipn, revision, category, minimum_stock,
				active, assembly, component, is_template, purchaseable, salable, trackable, testable, virtual, locked,
				consumable, created_at, creation_date)
			VALUES ($1, $2, $3, $4, $5, $6, $7, true, false, true, false, true, false, $8, false, false, false, false, now(), now())`,
			pk, name, awkward[pk+2], fmt.Sprintf("IPN-%d", pk%3), []string{"", "B", ""}[pk%3], []any{nil, 2, 1}[pk%3],
			[]string{"0", "1.5", "0.0000005"}[pk%3], pk == 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := partsrm.Migrate(ctx, f.Pool, nil); err != nil { // renders the briefs
		t.Fatal(err)
	}
	if _, err := f.Pool.Exec(ctx, `UPDATE parts SET brief = NULL WHERE pk = 3`); err != nil {
		t.Fatal(err)
	}
	var err error
	rf.joined, err = stock.NewReadModel(f.Pool, stock.ReadModelConfig{Parts: &stock.PartsJoin{
		Table: "parts", PK: "pk", Name: "name", IPN: "ipn", Description: "description", VariantOf: "variant_of",
		Detail: partsrm.BriefSQL, Brief: partsrm.BriefColumn,
	}})
	if err != nil {
		t.Fatal(err)
	}

	for pk := int64(1); pk <= 4; pk++ {
		f.parts.set(pk, stockdomain.PartFacts{Trackable: pk == 2, DefaultExpiryDays: int(pk % 2 * 20)})
	}
	top := f.location(awkward[2], 0)
	mid := f.location("Mid <&> \u2028", top, func(s *stockdomain.LocationSpec) { s.CustomIcon = "fa-box" })
	low := f.location(strings.Repeat("long name ", 9), mid)
	deep := f.location(strings.Repeat("deeper ", 14), low) // a path over 250 characters
	other := f.location("Other\\", 0)
	rf.locs = []int64{top, mid, low, other, deep}

	add := func(part int64, qty string, location int64, edit ...func(*stockdomain.NewStock)) int64 {
		pk := f.item(part, qty, location, edit...)
		rf.items = append(rf.items, pk)
		return pk
	}
	a := add(1, "10", low, func(r *stockdomain.NewStock) {
		r.Batch, r.Notes, r.Packaging, r.Link = awkward[3], awkward[9], awkward[6], "https://example.com/?a=1&b=<2>"
	})
	b := add(1, "2.5", mid, func(r *stockdomain.NewStock) { r.Status = 55; r.ExpiryDate = "2026-03-01" })
	add(3, "0", top, func(r *stockdomain.NewStock) { r.DeleteOnDeplete = ref(false); r.Notes = awkward[7] })
	add(4, "4", other, func(r *stockdomain.NewStock) { r.Status = 60; r.ExpiryDate = "2026-03-20" })
	add(1, "0.000100", 0, func(r *stockdomain.NewStock) { r.ExpiryDate = "2026-03-30" })
	add(3, "1234567.891", deep, func(r *stockdomain.NewStock) {
		r.PurchasePrice, r.PurchasePriceCurrency = ref(d("1.234567")), "EUR"
	})
	serials, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stockdomain.NewStock{
		Part: 2, Quantity: d("3"), SerialNumbers: "9, 10, 100", Location: other, PurchasePrice: ref(d("1.25")),
		PurchasePriceCurrency: "USD",
	}})
	f.do(res, err)
	rf.items = append(rf.items, serials...)

	// Splits (children), an installation, a merge and a deletion, so that parents and
	// installed items are counted.
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(a, "3")}, Location: other}))
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(a, "1")}, Location: mid}))
	f.do(f.h.Install(f.ctx, commands.InstallStockItem{PK: serials[0], StockItem: serials[1]}))
	f.do(f.h.Remove(f.ctx, commands.RemoveStock{Items: []commands.StockLine{line(b, "0.5")}}))
	f.do(f.h.UpdateItem(f.ctx, commands.UpdateStockItem{PK: b, ItemEdit: stockdomain.ItemEdit{Notes: ref(awkward[10])}}))
	var all []int64
	if err := f.Pool.QueryRow(ctx, `SELECT array_agg(pk ORDER BY pk) FROM stock_items`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	rf.items = all

	// Fields no command of this package sets, set on the rows directly.
	if _, err := f.Pool.Exec(ctx, `UPDATE stock_items SET customer = 5, sales_order = 6, build = 7, owner = 8,
		consumed_by = 9, supplier_part = 10, purchase_order = 11, is_building = true, stocktake_date = '2025-12-31',
		serial = $2, updated = '2026-01-02 03:04:05.678+02'
		WHERE pk = $1`, serials[2], awkward[4]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pool.Exec(ctx, `UPDATE stock_items SET purchase_price = 0.0000005, quantity = 7.10 WHERE pk = $1`, all[len(all)-1]); err != nil {
		t.Fatal(err)
	}
	return rf
}

// The rendered answers are byte for byte the encoded Items, for every filter, ordering,
// page and detail the list takes.
func TestRenderedItemsMatchEncodedItems(t *testing.T) {
	rf := newRenderFixture(t)
	ctx := context.Background()
	yes, no := true, false
	low, mid := rf.locs[2], rf.locs[1]
	filters := map[string]stock.ItemFilter{
		"all":                        {},
		"location":                   {Location: &mid},
		"location, no cascade":       {Location: &mid, Cascade: &no},
		"leaf location":              {Location: &low},
		"empty location":             {Location: ref(rf.locs[0]), Status: ref(85)},
		"unknown location":           {Location: ref(int64(999))},
		"unknown location, no casc.": {Location: ref(int64(999)), Cascade: &no},
		"no location":                {LocationNull: true, Cascade: &no},
		"status":                     {Status: ref(55)},
		"in stock":                   {InStock: &yes},
		"not in stock":               {InStock: &no},
		"expired":                    {Expired: &yes, Today: clock},
		"stale":                      {Today: clock, StaleDays: 30},
		"search":                     {Search: "long widget"},
		"search, location":           {Search: `"co" other`},
		"external":                   {External: &no, Location: &mid},
		"parts":                      {Parts: []int64{1, 3}, Ordering: "-stock"},
		"pks":                        {PKs: rf.items[2:5]},
		"serialized":                 {Serialized: &yes, Ordering: "serial"},
		"installed":                  {Installed: &yes},
		"min stock":                  {MinStock: ref(d("2"))},
	}
	orderings := []string{"", "pk", "-quantity", "location", "-location,pk", "part__name", "-IPN", "batch",
		"updated", "-creation_date", "expiry_date", "stocktake_date", "purchase_price", "packaging", "status",
		"-serial", "stock", "nonsense"}
	pages := [][2]int{{0, 0}, {100, 0}, {2, 0}, {2, 3}, {3, 100}, {0, 2}}
	models := map[string]*stock.ReadModel{"no parts join": rf.rm, "parts join": rf.joined}

	type variant struct {
		filter, ordering string
		page             [2]int
		details          int // bits: part, location, path
	}
	var variants []variant
	for fname := range filters {
		for _, pg := range pages {
			for details := range 8 {
				variants = append(variants, variant{fname, "", pg, details})
			}
		}
		for _, ord := range orderings {
			variants = append(variants, variant{fname, ord, pages[3], 7})
		}
	}
	for _, fname := range []string{"all", "location", "search", "stale"} {
		for _, ord := range orderings {
			for _, pg := range pages {
				variants = append(variants, variant{fname, ord, pg, 0}, variant{fname, ord, pg, 5})
			}
		}
	}
	n := 0
	for mname, rm := range models {
		for _, v := range variants {
			f := filters[v.filter]
			if f.Today.IsZero() {
				f.Today = clock
			}
			if v.ordering != "" {
				f.Ordering = v.ordering
			}
			f.Limit, f.Offset = v.page[0], v.page[1]
			f.PartDetail, f.LocationDetail, f.PathDetail = v.details&1 != 0, v.details&2 != 0, v.details&4 != 0
			compareList(t, ctx, rm, f, fmt.Sprintf("%s/%s/%q/%v/%03b", mname, v.filter, f.Ordering, v.page, v.details))
			n++
		}
	}
	t.Logf("%d lists compared", n)

	for mname, rm := range models {
		for _, pk := range append(rf.items, 999) {
			for details := range 8 {
				f := stock.ItemFilter{Today: clock, StaleDays: 10 * (details % 2),
					PartDetail: details&1 != 0, LocationDetail: details&2 != 0, PathDetail: details&4 != 0}
				want, err := rm.GetItem(ctx, pk, f)
				got, gotErr := rm.GetItemJSON(ctx, pk, f)
				if pk == 999 {
					if !errors.Is(err, domain.ErrNotFound) || !errors.Is(gotErr, domain.ErrNotFound) {
						t.Fatalf("missing item: %v, %v", err, gotErr)
					}
					continue
				}
				if err != nil || gotErr != nil {
					t.Fatal(err, gotErr)
				}
				if w := encoded(t, want); string(got) != w {
					t.Errorf("%s item %d %03b:\n got %s\nwant %s", mname, pk, details, got, w)
				}
			}
		}
	}
}

func compareList(t *testing.T, ctx context.Context, rm *stock.ReadModel, f stock.ItemFilter, name string) {
	t.Helper()
	items, total, err := rm.ListItems(ctx, f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got, err := rm.ListItemsJSON(ctx, f, []byte("["))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var want []string
	for _, it := range items {
		want = append(want, encoded(t, it))
	}
	if w := "[" + strings.Join(want, ","); string(got.Items) != w || got.Len != len(items) || got.Total != total {
		t.Errorf("%s: %d of %d\n got %s\nwant %d of %d %s", name, got.Len, got.Total, got.Items, len(items), total, w)
	}
}

// A read model rendering dates in another time zone renders its items itself.
func TestRenderedItemsInAnotherTimeZone(t *testing.T) {
	rf := newRenderFixture(t)
	ctx := context.Background()
	rm, err := stock.NewReadModel(rf.Pool, stock.ReadModelConfig{Location: time.FixedZone("CET", 3600)})
	if err != nil {
		t.Fatal(err)
	}
	f := stock.ItemFilter{Limit: 5, LocationDetail: true, Today: clock}
	compareList(t, ctx, rm, f, "CET")
	got, err := rm.GetItemJSON(ctx, rf.items[0], f)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := rm.GetItem(ctx, rf.items[0], f)
	if w := encoded(t, want); string(got) != w {
		t.Errorf("got %s\nwant %s", got, w)
	}
}

// The stored counts of installed and split-off items are the rows' own counts, through
// splits, installations, merges and deletions, and after a rebuild.
func TestLinkCountsFollowTheRows(t *testing.T) {
	f := newFixture(t)
	f.parts.set(1, stockdomain.PartFacts{})
	f.parts.set(2, stockdomain.PartFacts{Trackable: true})
	a, b := f.location("A", 0), f.location("B", 0)
	x := f.item(1, "50", a)
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(x, "10")}, Location: b}))
	f.do(f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{line(x, "5")}, Location: b}))
	sns, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stockdomain.NewStock{Part: 2, Quantity: d("3"), SerialNumbers: "1-3", Location: a}})
	f.do(res, err)
	f.do(f.h.Install(f.ctx, commands.InstallStockItem{PK: sns[0], StockItem: sns[1]}))
	f.do(f.h.Install(f.ctx, commands.InstallStockItem{PK: sns[0], StockItem: sns[2]}))
	f.do(f.h.Uninstall(f.ctx, commands.UninstallStockItem{PK: sns[2], Location: b}))
	check := func(when string) {
		t.Helper()
		var wrong []string
		rows, err := f.Pool.Query(context.Background(), `SELECT pk, installed_items, child_items,
				(SELECT count(*) FROM stock_items c WHERE c.belongs_to = i.pk),
				(SELECT count(*) FROM stock_items c WHERE c.parent = i.pk)
			FROM stock_items i ORDER BY pk`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var counted int
		for rows.Next() {
			var pk, installed, children, wantInstalled, wantChildren int64
			if err := rows.Scan(&pk, &installed, &children, &wantInstalled, &wantChildren); err != nil {
				t.Fatal(err)
			}
			if installed != wantInstalled || children != wantChildren {
				wrong = append(wrong, fmt.Sprintf("%d: %d/%d, want %d/%d", pk, installed, children, wantInstalled, wantChildren))
			}
			counted += int(children + installed)
		}
		if len(wrong) > 0 || counted == 0 {
			t.Errorf("%s: counts %v (%d links)", when, wrong, counted)
		}
	}
	check("after splits and installations")
	var children []int64
	if err := f.Pool.QueryRow(context.Background(), `SELECT array_agg(pk ORDER BY pk) FROM stock_items WHERE parent = $1`, x).Scan(&children); err != nil {
		t.Fatal(err)
	}
	f.do(f.h.Merge(f.ctx, commands.MergeStock{Items: []int64{children[0], x}, Location: b}))
	check("after a merge")
	f.do(f.h.DeleteItem(f.ctx, commands.DeleteStockItem{PK: children[1]}))
	check("after a deletion")
	if err := f.Runner.Rebuild(context.Background(), stock.ProjectorName, nil); err != nil {
		t.Fatal(err)
	}
	check("after a rebuild")
}
