package stock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockledger/stockledger/domain"
)

// The rendered queries answer /api/stock/ with bytes the read model stores: each item
// row keeps its StockItem object (stock_items.doc), each location its LocationBrief
// (stock_locations.brief) and, with a parts join that has one, each part its PartBrief
// (PartsJoin.Brief). A page is those bytes spliced together: no row is decoded into an
// Item and encoded again, and PostgreSQL builds no JSON per request. The bytes are
// exactly what encoding/json writes for the Item that GetItem and ListItems return with
// the same filter; the tests hold the two together.
//
// The stored rendering has dates in UTC. A read model configured with another time zone
// renders its items from Items instead.

// ItemsJSON is a page of stock items as the API writes them.
type ItemsJSON struct {
	// Items holds the items' JSON objects separated by commas (the inside of a JSON
	// array), byte for byte what encoding/json, with HTML escaping off, writes for the
	// Items ListItems returns; after what the caller's dst held.
	Items []byte
	// Len is how many items Items holds.
	Len int
	// Total is how many items the filter selects in all, as ListItems counts them.
	Total int
}

// ListItemsJSON is ListItems, rendered: the items are appended to dst, which may be nil
// (a caller can leave room before them for what encloses them).
func (r *ReadModel) ListItemsJSON(ctx context.Context, f ItemFilter, dst []byte) (ItemsJSON, error) {
	if r.loc != time.UTC {
		return r.encodeItems(ctx, f, dst)
	}
	page, found, err := r.listItemsJSON(ctx, f, false, dst)
	if err == nil && !found {
		// InvenTree: a cascading filter on a location that does not exist filters nothing.
		page, _, err = r.listItemsJSON(ctx, f, true, dst)
	}
	if err != nil {
		return ItemsJSON{}, fmt.Errorf("list stock items: %w", err)
	}
	return page, nil
}

// GetItemJSON is GetItem, rendered: one item's JSON object, or a domain.NotFoundError.
func (r *ReadModel) GetItemJSON(ctx context.Context, pk int64, f ItemFilter) ([]byte, error) {
	if r.loc != time.UTC {
		it, err := r.GetItem(ctx, pk, f)
		if err != nil {
			return nil, err
		}
		return encodeItem(nil, it)
	}
	out, err := r.getItemJSON(ctx, pk, f)
	if err != nil {
		return nil, fmt.Errorf("stock item %d: %w", pk, err)
	}
	if out.Len == 0 {
		return nil, &domain.NotFoundError{Kind: "StockItem", ID: pk}
	}
	return out.Items, nil
}

func (r *ReadModel) getItemJSON(ctx context.Context, pk int64, f ItemFilter) (ItemsJSON, error) {
	cols := r.renderColumns(f)
	from := "stock_items i"
	if cols.location {
		from += " LEFT JOIN stock_locations l ON l.pk = i.location"
	}
	if cols.part {
		from += fmt.Sprintf(" LEFT JOIN %s p ON p.%s = i.part", r.parts.Table, r.parts.PK)
	}
	rows, err := r.pool.Query(ctx, "SELECT "+cols.sql+" FROM "+from+" WHERE i.pk = $1", pk)
	if err != nil {
		return ItemsJSON{}, err
	}
	out, _, err := r.renderItems(ctx, rows, f, cols, false, nil)
	return out, err
}

// listItemsJSON renders a page in one statement: the filtered items sorted on their
// sort keys alone, then the page's rows read whole, with the count of all of them.
// found is false when a cascading location filter names no location and the page is
// empty.
//
// With a location filter, the items are found through the location index and the
// page's rows read again by address; parts and locations are looked up row by row. The
// statement's plan then depends on no argument's value, so PostgreSQL prepares it once
// per connection (a generic plan) instead of planning it on every request.
func (r *ReadModel) listItemsJSON(ctx context.Context, f ItemFilter, ignoreLocation bool, dst []byte) (ItemsJSON, bool, error) {
	sql, sel, cols := r.pageQuery(f, ignoreLocation)
	rows, err := r.pool.Query(ctx, sql, sel.args...)
	if err != nil {
		return ItemsJSON{}, false, err
	}
	out, total, err := r.renderItems(ctx, rows, f, cols, true, dst)
	if err != nil {
		return ItemsJSON{}, false, err
	}
	out.Total = total
	if f.Limit <= 0 {
		out.Total = out.Len
	}
	checkLocation := !ignoreLocation && f.Location != nil && (f.Cascade == nil || *f.Cascade)
	if out.Len == 0 && (checkLocation || f.Limit > 0 && f.Offset > 0) {
		// An empty page has no row to carry the count: past the end, or (cascading) no
		// such location.
		exists, args := "true", sel.args
		if checkLocation {
			args = append(args[:len(args):len(args)], *f.Location)
			exists = "EXISTS (SELECT 1 FROM stock_locations WHERE pk = $" + strconv.Itoa(len(args)) + ")"
		}
		var count int
		found := true
		if err := r.pool.QueryRow(ctx, "SELECT count(*), "+exists+" FROM "+sel.from+sel.whereSQL(), args...).
			Scan(&count, &found); err != nil {
			return ItemsJSON{}, false, err
		}
		if !found {
			return ItemsJSON{}, false, nil
		}
		if f.Limit > 0 {
			out.Total = count
		}
	}
	return out, true, nil
}

// pageQuery is listItemsJSON's statement; sel holds its arguments, and the FROM and
// WHERE of the items it selects.
func (r *ReadModel) pageQuery(f ItemFilter, ignoreLocation bool) (sql string, sel *query, cols renderColumns) {
	keys := r.itemOrdering(f.Ordering)
	sel = r.jsonSelection(f, keys, ignoreLocation)
	cols = r.renderColumns(f)
	inner := []string{"i.ctid AS tid", "i.pk"}
	var innerOrder, outerOrder []string
	for n, k := range keys {
		alias := "o" + strconv.Itoa(n)
		inner = append(inner, k.expr+" AS "+alias)
		innerOrder = append(innerOrder, k.expr+k.dir)
		outerOrder = append(outerOrder, "page."+alias+k.dir)
	}
	inner = append(inner, "count(*) OVER () AS total")
	page := "SELECT " + strings.Join(inner, ", ") + " FROM " + sel.from + sel.whereSQL() +
		" ORDER BY " + strings.Join(append(innerOrder, "i.pk"), ", ")
	// Literals, not arguments: a parameter would make the planner guess the page size,
	// and then plan every request anew.
	if f.Limit > 0 {
		page += " LIMIT " + strconv.Itoa(f.Limit)
	}
	if f.Offset > 0 {
		page += " OFFSET " + strconv.Itoa(f.Offset)
	}
	from := "(" + page + ") AS page JOIN stock_items i ON i.ctid = page.tid"
	if cols.location {
		from += " LEFT JOIN LATERAL (SELECT * FROM stock_locations WHERE pk = i.location OFFSET 0) l ON true"
	}
	if cols.part {
		from += r.partsLateral()
	}
	sql = "SELECT page.total, " + cols.sql + " FROM " + from +
		" ORDER BY " + strings.Join(append(outerOrder, "page.pk"), ", ")
	return sql, sel, cols
}

// jsonSelection is the FROM and WHERE of the items f selects, with the sort keys' joins.
func (r *ReadModel) jsonSelection(f ItemFilter, keys []orderKey, ignoreLocation bool) *query {
	q := &query{from: "stock_items i"}
	r.itemFilters(q, f, true)
	cascade := f.Cascade == nil || *f.Cascade
	byLocation := false
	switch {
	case ignoreLocation:
	case f.Location != nil && cascade:
		// The subtree as an array the planner cannot see into: the plan does not depend on
		// the location (see the migration that pins the location's statistics).
		q.where("i.location = ANY(ARRAY(SELECT pk FROM stock_locations WHERE path_pks @> ARRAY[" + q.arg(*f.Location) + "::bigint]))")
		byLocation = true
	case f.Location != nil:
		q.where("i.location = ANY(ARRAY(SELECT " + q.arg(*f.Location) + "::bigint))")
		byLocation = true
	case f.LocationNull && !cascade:
		q.where("i.location IS NULL")
	}
	usesLocation, usesPart := f.External != nil || f.Search != "", r.parts != nil && f.Search != ""
	for _, k := range keys {
		usesLocation = usesLocation || strings.HasPrefix(k.expr, "l.")
		usesPart = usesPart || strings.HasPrefix(k.expr, "p.")
	}
	// A location's items are few enough to look each one's location and part up by key;
	// fencing the lookups (OFFSET 0) keeps the plan from depending on statistics.
	// Without one, the planner chooses, as it may need the whole table.
	if usesLocation {
		if byLocation {
			q.from += " LEFT JOIN LATERAL (SELECT * FROM stock_locations WHERE pk = i.location OFFSET 0) l ON true"
		} else {
			q.from += " LEFT JOIN stock_locations l ON l.pk = i.location"
		}
	}
	if usesPart {
		if byLocation {
			q.from += r.partsLateral()
		} else {
			q.from += fmt.Sprintf(" LEFT JOIN %s p ON p.%s = i.part", r.parts.Table, r.parts.PK)
		}
	}
	return q
}

func (r *ReadModel) partsLateral() string {
	return fmt.Sprintf(" LEFT JOIN LATERAL (SELECT * FROM %s WHERE %s = i.part OFFSET 0) p ON true", r.parts.Table, r.parts.PK)
}

// renderColumns are the columns an item's rendering reads, after the page's count:
// the stored object, the expiry date that decides expired and stale, and the details f
// asks for.
type renderColumns struct {
	sql      string
	location bool // joins the item's location as l
	path     bool // with the item's location and its path of pks
	part     bool // joins the item's part as p
	sources  bool // the item's purchase order and supplier part, for Sources
	// fallback: the part's stored brief and the part's pk, and Detail is rendered
	// afterwards for the parts without one (its SQL, subqueries and all, stays out of
	// the statement, which would set it up on every execution). Otherwise Detail
	// itself.
	fallback bool
}

func (r *ReadModel) renderColumns(f ItemFilter) renderColumns {
	c := renderColumns{location: f.LocationDetail || f.PathDetail, path: f.PathDetail, part: f.PartDetail && r.parts != nil}
	cols := []string{"i.doc", "CASE WHEN i.in_stock THEN i.expiry_date::text END"}
	if f.LocationDetail {
		cols = append(cols, "l.brief")
	}
	if c.path {
		cols = append(cols, "i.location", "l.path_pks")
	}
	if c.sources = r.sources != nil; c.sources {
		// As text, read from the driver's buffers: NULL for nearly every item.
		cols = append(cols, "i.purchase_order::text", "i.supplier_part::text")
	}
	if c.part {
		c.fallback = r.parts.Brief != ""
		if c.fallback {
			cols = append(cols, "p."+r.parts.Brief, "i.part")
		} else {
			cols = append(cols, "("+r.parts.Detail+")::jsonb::text")
		}
	}
	c.sql = strings.Join(cols, ", ")
	return c
}

// renderItems renders the rows of a query selecting cols, after the page's count when
// counted, appending them to dst, and returns that count. A row is rendered as it
// arrives, unless it needs another query first (path_detail, a part without a stored
// brief): from then on the rows wait for the end, in order.
func (r *ReadModel) renderItems(ctx context.Context, rows pgx.Rows, f ItemFilter, cols renderColumns, counted bool, dst []byte) (ItemsJSON, int, error) {
	defer rows.Close()
	today, staleDate := r.expiryDays(f)
	out := ItemsJSON{Items: dst}
	var pending []renderedItem
	var total int64
	// The text columns are copied from the driver's buffers as they are; the others are
	// scanned (pgx wants a destination, nil to skip, for every column).
	dest := make([]any, len(rows.FieldDescriptions()))
	scan := func(vals [][]byte, targets ...any) error {
		clear(dest)
		copy(dest[len(dest)-len(vals):], targets)
		return rows.Scan(dest...)
	}
	for rows.Next() {
		vals := rows.RawValues()
		if counted {
			if out.Len == 0 && len(pending) == 0 {
				if err := scan(vals, &total); err != nil {
					return ItemsJSON{}, 0, err
				}
			}
			vals = vals[1:]
		}
		it := renderedItem{doc: vals[0]}
		if exp := vals[1]; exp != nil {
			it.expired = string(exp) < today
			it.stale = f.StaleDays > 0 && string(exp) < staleDate
		}
		vals = vals[2:]
		if f.LocationDetail {
			it.location, vals = vals[0], vals[1:]
		}
		if cols.path {
			if err := scan(vals, &it.locationPK, &it.path); err != nil {
				return ItemsJSON{}, 0, err
			}
			vals = vals[2:]
		}
		if cols.sources {
			var err error
			if it.order, err = textPK(vals[0]); err == nil {
				it.supplierPart, err = textPK(vals[1])
			}
			if err != nil {
				return ItemsJSON{}, 0, err
			}
			vals = vals[2:]
		}
		switch {
		case cols.fallback && vals[0] != nil:
			it.part = vals[0]
		case cols.fallback:
			if err := scan(vals, nil, &it.partPK); err != nil {
				return ItemsJSON{}, 0, err
			}
			it.needsPart = true
		case cols.part:
			it.partDetail = vals[0]
		}
		if cols.path || it.needsPart || it.order != 0 || it.supplierPart != 0 || len(pending) > 0 {
			pending = append(pending, it.copy())
			continue
		}
		start := len(out.Items)
		var err error
		if out.Items, err = r.renderItem(out.Items, out.Len, it, f, nil); err != nil {
			return ItemsJSON{}, 0, err
		}
		out.Len++
		if out.Len == 1 && counted {
			// Room for the rest of the page, sized on the first item, in one allocation.
			rest := int(total) - f.Offset - 1
			if f.Limit > 0 {
				rest = min(rest, f.Limit-1)
			}
			if rest > 0 {
				out.Items = slices.Grow(out.Items, rest*(len(out.Items)-start)*9/8)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return ItemsJSON{}, 0, err
	}
	if len(pending) == 0 {
		return out, int(total), nil
	}
	if err := r.partDetails(ctx, pending); err != nil {
		return ItemsJSON{}, 0, err
	}
	if err := r.renderSources(ctx, pending, f); err != nil {
		return ItemsJSON{}, 0, err
	}
	var steps map[int64]PathEntry
	if cols.path {
		var all []int64
		for _, it := range pending {
			all = append(all, it.path...)
		}
		var err error
		if steps, err = r.pathEntries(ctx, all); err != nil {
			return ItemsJSON{}, 0, err
		}
	}
	for _, it := range pending {
		var err error
		if out.Items, err = r.renderItem(out.Items, out.Len, it, f, steps); err != nil {
			return ItemsJSON{}, 0, err
		}
		out.Len++
	}
	return out, int(total), nil
}

// partDetails renders Detail for the items whose part has no stored brief, with one
// query for all of them: over the part's row, or over none for a part the parts read
// model does not hold, as the lists of Items render it.
func (r *ReadModel) partDetails(ctx context.Context, items []renderedItem) error {
	var pks []int64
	for _, it := range items {
		if it.needsPart {
			pks = append(pks, it.partPK)
		}
	}
	if len(pks) == 0 {
		return nil
	}
	rows, err := r.pool.Query(ctx, fmt.Sprintf(`SELECT x.pk, (%s)::jsonb::text
		FROM unnest($1::bigint[]) AS x(pk) LEFT JOIN %s p ON p.%s = x.pk`, r.parts.Detail, r.parts.Table, r.parts.PK), pks)
	if err != nil {
		return fmt.Errorf("part details: %w", err)
	}
	details := map[int64][]byte{}
	for rows.Next() {
		var pk int64
		var detail []byte
		if err := rows.Scan(&pk, &detail); err != nil {
			rows.Close()
			return fmt.Errorf("part details: %w", err)
		}
		details[pk] = detail
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("part details: %w", err)
	}
	for i := range items {
		if items[i].needsPart {
			items[i].partDetail = details[items[i].partPK]
		}
	}
	return nil
}

// renderedItem is one row of a rendered query.
type renderedItem struct {
	doc            []byte // the stored object
	expired, stale bool
	location       []byte // the location's stored brief; nil: none
	locationPK     *int64
	path           []int64
	part           []byte // the part's stored brief
	partDetail     []byte // else the part's Detail, rendered by PostgreSQL
	partPK         int64  // with needsPart: the part whose Detail is still to render
	needsPart      bool
	// The item's purchase order and supplier part (0: none), and what Sources says of
	// them, rendered: the members that replace the stored nulls, and the supplier part's
	// detail.
	order, supplierPart int64
	reference, numbers  []byte
	supplierPartDetail  []byte
}

// copy detaches the row from the driver's buffers, which the next row reuses.
func (it renderedItem) copy() renderedItem {
	it.doc = bytes.Clone(it.doc)
	it.location = bytes.Clone(it.location)
	it.part = bytes.Clone(it.part)
	it.partDetail = bytes.Clone(it.partDetail)
	return it
}

// renderItem appends item number n of a list to dst: the stored object with the day's
// flags and the details asked for, in Item's field order.
func (r *ReadModel) renderItem(dst []byte, n int, it renderedItem, f ItemFilter, steps map[int64]PathEntry) ([]byte, error) {
	if n > 0 {
		dst = append(dst, ',')
	}
	doc := it.doc
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return nil, errors.New("stored stock item is not a JSON object")
	}
	// The object is rendered with both flags false. Inside a rendered string every
	// quote is escaped, so the unescaped key can only be the member itself.
	if it.expired {
		doc = bytes.Replace(doc, []byte(`,"expired":false,`), []byte(`,"expired":true,`), 1)
	}
	if it.stale {
		doc = bytes.Replace(doc, []byte(`,"stale":false,`), []byte(`,"stale":true,`), 1)
	}
	if it.reference != nil {
		doc = bytes.Replace(doc, []byte(`,"purchase_order_reference":null,`), it.reference, 1)
	}
	if it.numbers != nil {
		doc = bytes.Replace(doc, []byte(`,"SKU":null,"MPN":null,`), it.numbers, 1)
	}
	dst = append(dst, doc[:len(doc)-1]...)
	if f.LocationDetail {
		dst = append(dst, `,"location_detail":`...)
		dst = appendOrNull(dst, it.location)
	}
	if f.PathDetail {
		dst = append(dst, `,"location_path":`...)
		if it.locationPK == nil {
			dst = append(dst, "null"...)
		} else {
			path := []PathEntry{}
			for _, pk := range it.path {
				path = append(path, steps[pk])
			}
			// As Detail.MarshalJSON writes it: json.Marshal, HTML escaping on.
			b, err := json.Marshal(path)
			if err != nil {
				return nil, err
			}
			dst = append(dst, b...)
		}
	}
	if f.PartDetail && r.parts != nil {
		dst = append(dst, `,"part_detail":`...)
		switch {
		case it.part != nil:
			dst = append(dst, it.part...)
		case it.partDetail != nil:
			// What encoding/json does with a json.RawMessage.
			var buf bytes.Buffer
			if err := json.Compact(&buf, it.partDetail); err != nil {
				return nil, fmt.Errorf("part detail: %w", err)
			}
			dst = append(dst, buf.Bytes()...)
		default:
			dst = append(dst, "null"...)
		}
	}
	if f.SupplierPartDetail && r.sources != nil {
		dst = append(dst, `,"supplier_part_detail":`...)
		if it.supplierPartDetail == nil {
			dst = append(dst, "null"...)
		} else {
			var buf bytes.Buffer
			if err := json.Compact(&buf, it.supplierPartDetail); err != nil {
				return nil, fmt.Errorf("supplier part detail: %w", err)
			}
			dst = append(dst, buf.Bytes()...)
		}
	}
	return append(dst, '}'), nil
}

// textPK reads a pk selected as text; NULL is 0.
func textPK(v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	pk, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stock item source %q: %w", v, err)
	}
	return pk, nil
}

// renderSources renders, for the items with a purchase order or supplier part, what
// Sources says of them, with one call for all of them: the members with which
// renderItem replaces the stored nulls, as encoding/json writes the Item's fields.
func (r *ReadModel) renderSources(ctx context.Context, items []renderedItem, f ItemFilter) error {
	if r.sources == nil {
		return nil
	}
	var orders, sps []int64
	for _, it := range items {
		if it.order != 0 {
			orders = append(orders, it.order)
		}
		if it.supplierPart != 0 {
			sps = append(sps, it.supplierPart)
		}
	}
	src, err := r.readSources(ctx, orders, sps, f)
	if err != nil {
		return err
	}
	for i := range items {
		it := &items[i]
		if ref, ok := src.OrderReferences[it.order]; ok && it.order != 0 {
			if it.reference, err = appendJSON([]byte(`,"purchase_order_reference":`), ref); err != nil {
				return err
			}
			it.reference = append(it.reference, ',')
		}
		sp, ok := src.SupplierParts[it.supplierPart]
		if !ok || it.supplierPart == 0 {
			continue
		}
		if it.numbers, err = appendJSON([]byte(`,"SKU":`), sp.SKU); err == nil {
			it.numbers, err = appendJSON(append(it.numbers, `,"MPN":`...), sp.MPN)
		}
		if err != nil {
			return err
		}
		it.numbers = append(it.numbers, ',')
		it.supplierPartDetail = sp.Detail
	}
	return nil
}

// appendJSON appends v as encodeItem writes it: HTML escaping off.
func appendJSON(dst []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

func appendOrNull(dst, v []byte) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	return append(dst, v...)
}

// expiryDays are the dates an item's expiry date is compared with: expired before
// today, stale before today + StaleDays (InvenTree's annotations).
func (r *ReadModel) expiryDays(f ItemFilter) (today, stale string) {
	now := f.Today
	if now.IsZero() {
		now = time.Now()
	}
	now = now.In(r.loc)
	return now.Format(time.DateOnly), now.AddDate(0, 0, f.StaleDays).Format(time.DateOnly)
}

// encodeItems renders ListItems with encoding/json, for a read model whose time zone
// the stored rendering does not have.
func (r *ReadModel) encodeItems(ctx context.Context, f ItemFilter, dst []byte) (ItemsJSON, error) {
	items, total, err := r.ListItems(ctx, f)
	if err != nil {
		return ItemsJSON{}, err
	}
	out := ItemsJSON{Items: dst, Len: len(items), Total: total}
	for i, it := range items {
		if i > 0 {
			out.Items = append(out.Items, ',')
		}
		if out.Items, err = encodeItem(out.Items, it); err != nil {
			return ItemsJSON{}, err
		}
	}
	return out, nil
}

// encodeItem appends it as the API's encoder writes it: HTML escaping off.
func encodeItem(dst []byte, it Item) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(it); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}
