package parts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// DB is what the queries need: a pool, a connection or a transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Page is the part of a list to return; a zero Limit returns everything from Offset,
// as InvenTree does for a list request without limit.
type Page struct {
	Limit  int
	Offset int
}

// query collects the conditions and arguments of one SELECT.
type query struct {
	where []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) cond(c string) { q.where = append(q.where, c) }

func (q *query) whereClause() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

func (q *query) pageClause(p Page) string {
	s := ""
	if p.Limit > 0 {
		s += " LIMIT " + q.arg(p.Limit)
	}
	if p.Offset > 0 {
		s += " OFFSET " + q.arg(p.Offset)
	}
	return s
}

// search adds DRF's SearchFilter: the text is split into terms at whitespace and
// commas, and every term must appear (case-insensitively) in one of the columns.
func (q *query) search(text string, columns ...string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\x00", ""), ",", " ")
	for _, term := range strings.Fields(text) {
		p := q.arg("%" + likeEscaper.Replace(term) + "%")
		ors := make([]string, len(columns))
		for i, c := range columns {
			ors[i] = c + " ILIKE " + p
		}
		q.cond("(" + strings.Join(ors, " OR ") + ")")
	}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// orderBy turns DRF's ordering parameter ("name,-level") into ORDER BY expressions.
// Unknown fields are dropped, as DRF's OrderingFilter drops them; with none left the
// default applies. pk breaks ties so that pages do not overlap.
func orderBy(ordering string, fields map[string][]string, dflt []string, pk string) string {
	var exprs []string
	for _, f := range strings.Split(ordering, ",") {
		f = strings.TrimSpace(f)
		desc := strings.HasPrefix(f, "-")
		cols, ok := fields[strings.TrimPrefix(f, "-")]
		if !ok {
			continue
		}
		for _, c := range cols {
			if desc {
				c += " DESC"
			}
			exprs = append(exprs, c)
		}
	}
	if len(exprs) == 0 {
		exprs = append(exprs, dflt...)
	}
	return " ORDER BY " + strings.Join(append(exprs, pk), ", ")
}

// count runs SELECT count(*) for the rows a list query selects.
func count(ctx context.Context, db DB, from string, q *query) (int, error) {
	var n int
	err := db.QueryRow(ctx, "SELECT count(*) FROM "+from+q.whereClause(), q.args...).Scan(&n)
	return n, err
}

// Categories.

// ancestorDefaultLocation is the nearest default location among the ancestors of the
// category row c (mptt's get_ancestors walked upwards, as Part.get_default_location
// does).
const ancestorDefaultLocation = `(SELECT a.default_location FROM part_categories a
	WHERE a.pk = ANY(c.path_ids[1:c.level]) AND a.default_location IS NOT NULL
	ORDER BY a.level DESC LIMIT 1)`

const categoryColumns = `c.pk, c.name, c.description, c.default_location, c.default_keywords, c.level,
	c.parent, c.part_count, c.subcategories, c.pathstring, c.structural, c.icon, ` + ancestorDefaultLocation

// categoryPath is the TreePath of the category row c, top level first.
const categoryPath = `(SELECT json_agg(json_build_object('pk', a.pk, 'name', a.name, 'icon', a.icon) ORDER BY a.level)
	FROM part_categories a WHERE a.pk = ANY(c.path_ids))`

func categorySelect(pathDetail bool) string {
	cols := categoryColumns
	if pathDetail {
		cols += ", " + categoryPath
	}
	return "SELECT " + cols + " FROM part_categories c"
}

func scanCategories(rows pgx.Rows, pathDetail bool) ([]Category, error) {
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		var keywords string
		var path []byte
		dest := []any{&c.PK, &c.Name, &c.Description, &c.DefaultLocation, &keywords, &c.Level,
			&c.Parent, &c.PartCount, &c.Subcategories, &c.Pathstring, &c.Structural, &c.Icon,
			&c.ParentDefaultLocation}
		if pathDetail {
			dest = append(dest, &path)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		c.DefaultKeywords = nullable(keywords)
		if pathDetail {
			steps, err := treePath(path)
			if err != nil {
				return nil, err
			}
			c.Path = detail(&steps)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func treePath(raw []byte) ([]TreePath, error) {
	steps := []TreePath{}
	if len(raw) == 0 {
		return steps, nil
	}
	if err := json.Unmarshal(raw, &steps); err != nil {
		return nil, fmt.Errorf("decode path: %w", err)
	}
	return steps, nil
}

// GetCategory returns category pk, with its path when pathDetail is set, or a
// domain.NotFoundError.
func GetCategory(ctx context.Context, db DB, pk int64, pathDetail bool) (Category, error) {
	rows, err := db.Query(ctx, categorySelect(pathDetail)+" WHERE c.pk = $1", pk)
	if err != nil {
		return Category{}, fmt.Errorf("get part category %d: %w", pk, err)
	}
	cats, err := scanCategories(rows, pathDetail)
	if err != nil {
		return Category{}, fmt.Errorf("get part category %d: %w", pk, err)
	}
	if len(cats) == 0 {
		return Category{}, &domain.NotFoundError{Kind: "PartCategory", ID: pk}
	}
	return cats[0], nil
}

// categoriesByID returns the categories of ids by pk.
func categoriesByID(ctx context.Context, db DB, ids []int64, pathDetail bool) (map[int64]Category, error) {
	out := map[int64]Category{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, categorySelect(pathDetail)+" WHERE c.pk = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	cats, err := scanCategories(rows, pathDetail)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		out[c.PK] = c
	}
	return out, nil
}

// CategoryFilter selects categories, with the query parameters of
// GET /api/part/category/ (part/api.py CategoryFilter). Nil fields do not filter.
type CategoryFilter struct {
	// Parent limits the list to the children of a category, or to everything below it
	// with Cascade. ParentNull selects top-level categories (everything with Cascade).
	Parent     *int64
	ParentNull bool
	// Cascade: with Parent, include every level below; without Parent, false limits the
	// list to top-level categories.
	Cascade *bool
	// Depth limits the level, counted from Parent's level when Parent is set.
	Depth *int
	// TopLevel true limits the list to top-level categories, unless Cascade is true.
	TopLevel   *bool
	Structural *bool
	// Name matches exactly.
	Name *string
	// ExcludeTree leaves out a category and everything below it.
	ExcludeTree *int64
	// Search matches name, description and pathstring.
	Search string
	// Ordering is DRF's ordering parameter over name, pathstring, level, tree_id, lft
	// and part_count; the default is the tree order (depth first, siblings by name).
	Ordering   string
	PathDetail bool
	Page
}

var categoryOrdering = map[string][]string{
	"name":       {"c.name"},
	"pathstring": {"c.pathstring"},
	"level":      {"c.level"},
	"tree_id":    {"c.path_ids[1]"},
	"lft":        {"c.path_names"},
	"part_count": {"c.part_count"},
}

// ListCategories returns one page of the categories f selects and how many it selects
// in all.
func ListCategories(ctx context.Context, db DB, f CategoryFilter) ([]Category, int, error) {
	q := &query{}
	cascade := f.Cascade != nil && *f.Cascade
	topLevel := false
	switch {
	case f.Parent != nil:
		p := q.arg(*f.Parent)
		if cascade {
			q.cond("c.path_ids @> ARRAY[" + p + "::bigint] AND c.pk <> " + p)
		} else {
			q.cond("c.parent = " + p)
		}
		if f.Depth != nil {
			q.cond("c.level <= (SELECT level FROM part_categories WHERE pk = " + p + ") + " + q.arg(*f.Depth))
		}
	case f.ParentNull:
		topLevel = !cascade
	default:
		topLevel = (f.Cascade != nil && !cascade) || (f.TopLevel != nil && *f.TopLevel && !cascade)
		if f.Depth != nil {
			q.cond("c.level <= " + q.arg(*f.Depth))
		}
	}
	if topLevel {
		q.cond("c.parent IS NULL")
	}
	if f.Structural != nil {
		q.cond("c.structural = " + q.arg(*f.Structural))
	}
	if f.Name != nil {
		q.cond("c.name = " + q.arg(*f.Name))
	}
	if f.ExcludeTree != nil {
		q.cond("NOT c.path_ids @> ARRAY[" + q.arg(*f.ExcludeTree) + "::bigint]")
	}
	q.search(f.Search, "c.name", "c.description", "c.pathstring")

	total, err := count(ctx, db, "part_categories c", q)
	if err != nil {
		return nil, 0, fmt.Errorf("count part categories: %w", err)
	}
	sql := categorySelect(f.PathDetail) + q.whereClause() +
		orderBy(f.Ordering, categoryOrdering, []string{"c.path_names"}, "c.pk") + q.pageClause(f.Page)
	rows, err := db.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list part categories: %w", err)
	}
	cats, err := scanCategories(rows, f.PathDetail)
	if err != nil {
		return nil, 0, fmt.Errorf("list part categories: %w", err)
	}
	return cats, total, nil
}

var treeOrdering = map[string][]string{
	"level":         {"c.level", "c.name"},
	"name":          {"c.name", "c.level"},
	"subcategories": {"c.subcategories"},
}

// CategoryTree returns one page of GET /api/part/category/tree/ and the number of
// categories in all. ordering is over level, name and subcategories; the default is
// level, then name.
func CategoryTree(ctx context.Context, db DB, ordering string, page Page) ([]CategoryTreeNode, int, error) {
	q := &query{}
	total, err := count(ctx, db, "part_categories c", q)
	if err != nil {
		return nil, 0, fmt.Errorf("count part categories: %w", err)
	}
	sql := `SELECT c.pk, c.name, c.description, c.pathstring, c.parent, c.path_ids[1], c.level, c.icon,
		c.structural, c.subcategories FROM part_categories c` +
		orderBy(ordering, treeOrdering, treeOrdering["level"], "c.pk") + q.pageClause(page)
	rows, err := db.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("category tree: %w", err)
	}
	defer rows.Close()
	out := []CategoryTreeNode{}
	for rows.Next() {
		var n CategoryTreeNode
		if err := rows.Scan(&n.PK, &n.Name, &n.Description, &n.Pathstring, &n.Parent, &n.TreeID,
			&n.Level, &n.Icon, &n.Structural, &n.Subcategories); err != nil {
			return nil, 0, fmt.Errorf("category tree: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("category tree: %w", err)
	}
	return out, total, nil
}

// Contents is what lies below a category, for a delete; it converts to
// commands.PartCategoryContents. Descendants come deepest first.
type Contents struct {
	Children     []int64
	Descendants  []int64
	Parts        []int64
	SubtreeParts []int64
}

// CategoryContents lists the categories and parts below category pk.
func CategoryContents(ctx context.Context, db DB, pk int64) (Contents, error) {
	var out Contents
	rows, err := db.Query(ctx, `SELECT pk, parent = $1 FROM part_categories
		WHERE path_ids @> ARRAY[$1::bigint] AND pk <> $1 ORDER BY level DESC, pk`, pk)
	if err != nil {
		return out, fmt.Errorf("contents of part category %d: %w", pk, err)
	}
	for rows.Next() {
		var id int64
		var child bool
		if err := rows.Scan(&id, &child); err != nil {
			rows.Close()
			return out, fmt.Errorf("contents of part category %d: %w", pk, err)
		}
		out.Descendants = append(out.Descendants, id)
		if child {
			out.Children = append(out.Children, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("contents of part category %d: %w", pk, err)
	}
	rows, err = db.Query(ctx, `SELECT p.pk, p.category = $1 FROM parts p
		JOIN part_categories c ON c.pk = p.category
		WHERE c.path_ids @> ARRAY[$1::bigint] ORDER BY p.pk`, pk)
	if err != nil {
		return out, fmt.Errorf("contents of part category %d: %w", pk, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var direct bool
		if err := rows.Scan(&id, &direct); err != nil {
			return out, fmt.Errorf("contents of part category %d: %w", pk, err)
		}
		out.SubtreeParts = append(out.SubtreeParts, id)
		if direct {
			out.Parts = append(out.Parts, id)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("contents of part category %d: %w", pk, err)
	}
	return out, nil
}

// CountDirectParts counts the parts filed directly in category (not below it), which
// decides whether the category may be structural.
func CountDirectParts(ctx context.Context, db DB, category int64) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM parts WHERE category = $1`, category).Scan(&n); err != nil {
		return 0, fmt.Errorf("count parts in category %d: %w", category, err)
	}
	return n, nil
}

// Parts.

// partColumns and partFrom make the part row. Stock figures are meant to join here:
// add to partFrom a
//
//	LEFT JOIN LATERAL (SELECT sum(...) AS in_stock, ... FROM stock_items s
//	                   WHERE s.part = p.pk AND <in stock>) st ON true
//
// add st's columns at the end of partColumns and to scanPart, and add their output
// names to partOrdering; filters such as has_stock then become conditions on st.
const partColumns = `p.pk, p.name, p.description, p.ipn, p.revision, p.keywords, p.category,
	p.default_location, p.default_expiry, p.units, p.minimum_stock::text, p.maximum_stock::text,
	p.active, p.assembly, p.component, p.is_template, p.purchaseable, p.salable, p.trackable,
	p.testable, p.virtual, p.locked, p.consumable, p.link, p.notes, p.variant_of, p.revision_of,
	p.responsible, p.creation_user, p.creation_date, c.name,
	(SELECT count(*) FROM parts r WHERE r.revision_of = p.pk) AS revision_count,
	coalesce(c.default_location, ` + ancestorDefaultLocation + `) AS category_default_location,
	st.in_stock::text, st.variant_stock::text, st.external_stock::text, st.stock_item_count,
	` + orderingExpr + `::text`

// partFrom joins the stock read model (projections/stock's stock_items and
// stock_locations) for the stock figures of PartSerializer.annotate_queryset:
//   - in_stock: the quantity of the part's own items that are in stock (IN_STOCK_FILTER)
//   - variant_stock: the same for the parts below it in its variant tree
//   - external_stock: in_stock at external locations
//   - stock_item_count: the part's own items, in stock or not
//
// total_in_stock and unallocated_stock follow from them in scanPart.
const partFrom = `parts p LEFT JOIN part_categories c ON c.pk = p.category
	LEFT JOIN LATERAL (
		SELECT coalesce(sum(s.quantity) FILTER (WHERE s.in_stock AND s.part = p.pk), 0) AS in_stock,
			coalesce(sum(s.quantity) FILTER (WHERE s.in_stock AND s.part <> p.pk), 0) AS variant_stock,
			coalesce(sum(s.quantity) FILTER (WHERE s.in_stock AND s.part = p.pk AND l.external), 0) AS external_stock,
			count(*) FILTER (WHERE s.part = p.pk) AS stock_item_count
		FROM stock_items s LEFT JOIN stock_locations l ON l.pk = s.location
		WHERE s.part IN (WITH RECURSIVE tree(pk) AS (
				SELECT p.pk UNION SELECT v.pk FROM parts v JOIN tree t ON v.variant_of = t.pk)
			SELECT pk FROM tree)
	) st ON true`

// OrderingSQL is what of part p is on order (InvenTree's annotate_on_order_quantity):
// over the lines of open purchase orders (projections/orders) not yet received, what
// is still to come, in packs times each supplier part's pack size
// (projections/companies), so in the part's own units.
const OrderingSQL = `SELECT coalesce(sum((l.quantity - l.received) * sp.pack_quantity_native), 0) AS ordering
		FROM purchase_order_lines l JOIN supplier_parts sp ON sp.pk = l.supplier_part
		WHERE sp.part = p.pk AND l.order_status IN (10, 20, 25) AND l.quantity > l.received`

// orderingExpr is OrderingSQL as a value of the part's row: a subquery in the select
// list, which PostgreSQL evaluates for the page's rows only (after the sort and the
// limit), unless the ordering or a filter needs it for every row.
const orderingExpr = `(` + OrderingSQL + `)`

func scanPart(row pgx.Row) (Part, error) {
	var p Part
	var ipn, keywords, link, notes, minStock, maxStock string
	var inStock, variantStock, externalStock, ordering string
	var created time.Time
	err := row.Scan(&p.PK, &p.Name, &p.Description, &ipn, &p.Revision, &keywords, &p.Category,
		&p.DefaultLocation, &p.DefaultExpiry, &p.Units, &minStock, &maxStock,
		&p.Active, &p.Assembly, &p.Component, &p.IsTemplate, &p.Purchaseable, &p.Salable, &p.Trackable,
		&p.Testable, &p.Virtual, &p.Locked, &p.Consumable, &link, &notes, &p.VariantOf, &p.RevisionOf,
		&p.Responsible, &p.CreationUser, &created, &p.CategoryName,
		&p.RevisionCount, &p.CategoryDefaultLocation,
		&inStock, &variantStock, &externalStock, &p.StockItemCount, &ordering)
	if err != nil {
		return Part{}, err
	}
	for _, f := range []struct {
		dst  *Number
		text string
	}{{&p.InStock, inStock}, {&p.VariantStock, variantStock}, {&p.ExternalStock, externalStock}, {&p.Ordering, ordering}} {
		if f.dst.Decimal, err = decimal.NewFromString(f.text); err != nil {
			return Part{}, fmt.Errorf("stock figure %q: %w", f.text, err)
		}
	}
	p.TotalInStock = Number{p.InStock.Add(p.VariantStock.Decimal)}
	// Allocations are not modelled yet, so nothing of the total is allocated.
	p.UnallocatedStock = p.TotalInStock
	if p.MinimumStock.Decimal, err = decimal.NewFromString(minStock); err != nil {
		return Part{}, fmt.Errorf("minimum_stock %q: %w", minStock, err)
	}
	if p.MaximumStock.Decimal, err = decimal.NewFromString(maxStock); err != nil {
		return Part{}, fmt.Errorf("maximum_stock %q: %w", maxStock, err)
	}
	date := created.Format(time.DateOnly)
	p.IPN, p.CreationDate = ipn, &date
	p.Keywords, p.Link, p.Notes = nullable(keywords), nullable(link), nullable(notes)
	p.FullName = fullName(p.Name, ipn, p.Revision)
	p.Thumbnail = BlankThumbnail
	p.Tags = []string{}
	return p, nil
}

// PartDetail says which optional fields to include.
type PartDetail struct {
	CategoryDetail bool // category_detail
	PathDetail     bool // path_detail: category_path
}

// GetPart returns part pk or a domain.NotFoundError.
func GetPart(ctx context.Context, db DB, pk int64, d PartDetail) (Part, error) {
	p, err := scanPart(db.QueryRow(ctx, "SELECT "+partColumns+" FROM "+partFrom+" WHERE p.pk = $1", pk))
	if errors.Is(err, pgx.ErrNoRows) {
		return Part{}, &domain.NotFoundError{Kind: "Part", ID: pk}
	}
	if err != nil {
		return Part{}, fmt.Errorf("get part %d: %w", pk, err)
	}
	parts := []Part{p}
	if err := addDetails(ctx, db, parts, d); err != nil {
		return Part{}, fmt.Errorf("get part %d: %w", pk, err)
	}
	return parts[0], nil
}

// addDetails fills the requested detail fields of parts with one query for all their
// categories.
func addDetails(ctx context.Context, db DB, parts []Part, d PartDetail) error {
	if !d.CategoryDetail && !d.PathDetail {
		return nil
	}
	var ids []int64
	for _, p := range parts {
		if p.Category != nil {
			ids = append(ids, *p.Category)
		}
	}
	cats, err := categoriesByID(ctx, db, ids, d.PathDetail)
	if err != nil {
		return err
	}
	for i := range parts {
		var cat *Category
		if id := parts[i].Category; id != nil {
			if c, ok := cats[*id]; ok {
				cat = &c
			}
		}
		if d.PathDetail {
			var path *[]TreePath
			if cat != nil {
				path = cat.Path.Value
			}
			parts[i].CategoryPath = detail(path)
		}
		if d.CategoryDetail {
			if cat != nil {
				c := *cat
				c.Path = Detail[[]TreePath]{} // InvenTree nests the category without its path
				cat = &c
			}
			parts[i].CategoryDetail = detail(cat)
		}
	}
	return nil
}

// PartFilter selects parts, with the query parameters of GET /api/part/ (part/api.py
// PartFilter) that need nothing beyond this read model. Nil fields do not filter.
type PartFilter struct {
	// Category limits the list to a category and, unless Cascade is false, every
	// category below it. CategoryNull with Cascade false selects parts without a
	// category; with Cascade unset or true it selects everything, as InvenTree does.
	Category     *int64
	CategoryNull bool
	Cascade      *bool

	Active, Assembly, Component, Consumable, IsTemplate, Locked *bool
	Purchaseable, Salable, Testable, Trackable, Virtual         *bool

	// IPN matches exactly, ignoring case.
	IPN      *string
	HasIPN   *bool
	HasUnits *bool
	// IsVariant and IsRevision: whether variant_of / revision_of is set.
	IsVariant, IsRevision *bool
	// VariantOf selects the direct variants of a template; RevisionOf the revisions of
	// a part.
	VariantOf, RevisionOf *int64
	DefaultLocation       *int64
	// ExcludeID leaves out these parts.
	ExcludeID []int64
	// OnOrder: whether something of the part is on order (see OrderingSQL).
	OnOrder *bool

	// Search matches name, description, IPN, revision, keywords and the category name.
	Search string
	// Ordering is DRF's ordering parameter over name, creation_date, IPN, category,
	// default_location, units, revision and revision_count; the default is name.
	Ordering string
	PartDetail
	Page
}

var partOrdering = map[string][]string{
	"name":              {"p.name"},
	"creation_date":     {"p.creation_date"},
	"IPN":               {"p.ipn"},
	"category":          {"p.category"},
	"default_location":  {"p.default_location"},
	"units":             {"p.units"},
	"revision":          {"p.revision"},
	"revision_count":    {"revision_count"},
	"in_stock":          {"st.in_stock"},
	"total_in_stock":    {"st.in_stock + st.variant_stock"},
	"unallocated_stock": {"st.in_stock + st.variant_stock"},
	"ordering":          {orderingExpr},
}

// ListParts returns one page of the parts f selects and how many it selects in all.
func ListParts(ctx context.Context, db DB, f PartFilter) ([]Part, int, error) {
	q := &query{}
	cascade := f.Cascade == nil || *f.Cascade
	switch {
	case f.Category != nil && cascade:
		q.cond("p.category IN (SELECT pk FROM part_categories WHERE path_ids @> ARRAY[" + q.arg(*f.Category) + "::bigint])")
	case f.Category != nil:
		q.cond("p.category = " + q.arg(*f.Category))
	case f.CategoryNull && !cascade:
		q.cond("p.category IS NULL")
	}
	for _, flag := range []struct {
		col string
		v   *bool
	}{
		{"p.active", f.Active}, {"p.assembly", f.Assembly}, {"p.component", f.Component},
		{"p.consumable", f.Consumable}, {"p.is_template", f.IsTemplate}, {"p.locked", f.Locked},
		{"p.purchaseable", f.Purchaseable}, {"p.salable", f.Salable}, {"p.testable", f.Testable},
		{"p.trackable", f.Trackable}, {"p.virtual", f.Virtual},
	} {
		if flag.v != nil {
			q.cond(flag.col + " = " + q.arg(*flag.v))
		}
	}
	if f.IPN != nil {
		q.cond("upper(p.ipn) = upper(" + q.arg(*f.IPN) + ")")
	}
	presence := func(col string, v *bool, isSet string) {
		if v == nil {
			return
		}
		if *v {
			q.cond(col + " " + isSet)
		} else {
			q.cond("NOT (" + col + " " + isSet + ")")
		}
	}
	presence("p.ipn", f.HasIPN, "<> ''")
	presence("p.units", f.HasUnits, "<> ''")
	presence("p.variant_of", f.IsVariant, "IS NOT NULL")
	presence("p.revision_of", f.IsRevision, "IS NOT NULL")
	if f.VariantOf != nil {
		q.cond("p.variant_of = " + q.arg(*f.VariantOf))
	}
	if f.RevisionOf != nil {
		q.cond("p.revision_of = " + q.arg(*f.RevisionOf))
	}
	if f.DefaultLocation != nil {
		q.cond("p.default_location = " + q.arg(*f.DefaultLocation))
	}
	if len(f.ExcludeID) > 0 {
		q.cond("NOT p.pk = ANY(" + q.arg(f.ExcludeID) + ")")
	}
	if f.OnOrder != nil {
		if *f.OnOrder {
			q.cond(orderingExpr + " > 0")
		} else {
			q.cond(orderingExpr + " <= 0")
		}
	}
	q.search(f.Search, "p.name", "p.description", "p.ipn", "p.revision", "p.keywords", "c.name")

	total, err := count(ctx, db, partFrom, q)
	if err != nil {
		return nil, 0, fmt.Errorf("count parts: %w", err)
	}
	sql := "SELECT " + partColumns + " FROM " + partFrom + q.whereClause() +
		orderBy(f.Ordering, partOrdering, partOrdering["name"], "p.pk") + q.pageClause(f.Page)
	rows, err := db.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list parts: %w", err)
	}
	defer rows.Close()
	out := []Part{}
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list parts: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list parts: %w", err)
	}
	if err := addDetails(ctx, db, out, f.PartDetail); err != nil {
		return nil, 0, fmt.Errorf("list parts: %w", err)
	}
	return out, total, nil
}
