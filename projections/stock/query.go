package stock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// ReadModel answers queries on the stock read models.
type ReadModel struct {
	pool    *pgxpool.Pool
	parts   *PartsJoin
	sources Sources
	loc     *time.Location
}

// PartsJoin describes the parts read model (another package's), so that stock queries
// can join it for part_detail, part name and IPN search and ordering. The join is
// "LEFT JOIN <Table> p ON p.<PK> = i.part".
type PartsJoin struct {
	Table       string // e.g. "parts"
	PK          string // column of the part's pk
	Name        string // column of the part's name
	IPN         string // column of the part's IPN
	Description string // column of the part's description
	// VariantOf is the column of the part's template (variant_of), for filters that
	// include a part's variants. Optional: without it, a part has no variants.
	VariantOf string
	// Detail is an SQL expression over p that yields the PartBrief JSON object, e.g.
	// "p.brief" or "jsonb_build_object('pk', p.pk, 'name', p.name, ...)". It is SQL
	// written by the wiring code, never input.
	Detail string
	// Brief is the column of the part's PartBrief as the API writes it: Detail's value
	// as jsonb text, compacted as encoding/json compacts a json.RawMessage. Optional:
	// rendered lists (ListItemsJSON) copy it instead of rendering Detail per row, and
	// render Detail for a part whose Brief is NULL.
	Brief string
}

func (j *PartsJoin) validate() error {
	for _, id := range []string{j.Table, j.PK, j.Name, j.IPN, j.Description} {
		if !identifier(id) {
			return fmt.Errorf("parts join: %q is not an SQL identifier", id)
		}
	}
	for _, id := range []string{j.VariantOf, j.Brief} {
		if id != "" && !identifier(id) {
			return fmt.Errorf("parts join: %q is not an SQL identifier", id)
		}
	}
	if strings.TrimSpace(j.Detail) == "" {
		return errors.New("parts join: no detail expression")
	}
	return nil
}

func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ReadModelConfig configures a ReadModel.
type ReadModelConfig struct {
	// Parts joins the parts read model. Optional: without it, part_detail is absent,
	// search covers stock fields only and part ordering is by part pk.
	Parts *PartsJoin
	// Location is the time zone dates are rendered in (InvenTree: the server's). Default:
	// UTC.
	Location *time.Location
	// Sources reads the purchase orders and supplier parts items came from. Optional:
	// without it, purchase_order_reference, SKU and MPN are null and
	// supplier_part_detail is absent.
	Sources Sources
}

// Sources reads what other read models hold about where stock came from: the
// references of purchase orders, and the numbers and details of supplier parts. An
// order or supplier part it does not hold is absent from its answer (the item then
// shows null, as for an item without one).
type Sources interface {
	StockSources(ctx context.Context, orders, supplierParts []int64, supplierPartDetail bool) (ItemSources, error)
}

// ItemSources is what Sources knows, by pk.
type ItemSources struct {
	OrderReferences map[int64]string
	SupplierParts   map[int64]SupplierPartSource
}

// SupplierPartSource is what an item shows of its supplier part.
type SupplierPartSource struct {
	SKU string
	MPN *string
	// Detail is the supplier_part_detail object (InvenTree's brief SupplierPartSerializer)
	// as compact JSON, when asked for.
	Detail json.RawMessage
}

// NewReadModel returns the stock read model on pool.
func NewReadModel(pool *pgxpool.Pool, cfg ReadModelConfig) (*ReadModel, error) {
	if pool == nil {
		return nil, errors.New("stock read model: no pool")
	}
	if cfg.Parts != nil {
		if err := cfg.Parts.validate(); err != nil {
			return nil, fmt.Errorf("stock read model: %w", err)
		}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &ReadModel{pool: pool, parts: cfg.Parts, sources: cfg.Sources, loc: cfg.Location}, nil
}

// Number is a quantity rendered as InvenTree renders its float fields: a JSON number,
// with ".0" on integral values.
type Number struct{ decimal.Decimal }

// MarshalJSON writes the number unquoted.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(floatText(n.Decimal)), nil }

// UnmarshalJSON reads a JSON number (or a decimal string).
func (n *Number) UnmarshalJSON(b []byte) error {
	return n.Decimal.UnmarshalJSON(b)
}

// PathEntry is one step of a location path (InvenTree TreePath).
type PathEntry struct {
	PK   int64  `json:"pk"`
	Name string `json:"name"`
	Icon string `json:"icon"`
}

// LocationBrief is InvenTree's LocationBrief.
type LocationBrief struct {
	PK         int64  `json:"pk"`
	Name       string `json:"name"`
	Pathstring string `json:"pathstring"`
}

// Item is a stock item as /api/stock/ returns it (InvenTree StockItemSerializer). The
// fields other packages own (order references, supplier part numbers, allocations,
// tags, tests) have their empty values.
type Item struct {
	PK                     int64                 `json:"pk"`
	Part                   int64                 `json:"part"`
	Quantity               Number                `json:"quantity"`
	Serial                 *string               `json:"serial"`
	Batch                  string                `json:"batch"`
	Location               *int64                `json:"location"`
	BelongsTo              *int64                `json:"belongs_to"`
	Build                  *int64                `json:"build"`
	ConsumedBy             *int64                `json:"consumed_by"`
	Customer               *int64                `json:"customer"`
	DeleteOnDeplete        bool                  `json:"delete_on_deplete"`
	ExpiryDate             *string               `json:"expiry_date"`
	InStock                bool                  `json:"in_stock"`
	IsBuilding             bool                  `json:"is_building"`
	Link                   string                `json:"link"`
	Notes                  *string               `json:"notes"`
	Owner                  *int64                `json:"owner"`
	Packaging              *string               `json:"packaging"`
	Parent                 *int64                `json:"parent"`
	PurchaseOrder          *int64                `json:"purchase_order"`
	PurchaseOrderReference *string               `json:"purchase_order_reference"`
	SalesOrder             *int64                `json:"sales_order"`
	SalesOrderReference    *string               `json:"sales_order_reference"`
	Status                 int                   `json:"status"`
	StatusText             string                `json:"status_text"`
	StatusCustomKey        int                   `json:"status_custom_key"`
	SupplierPart           *int64                `json:"supplier_part"`
	SKU                    *string               `json:"SKU"`
	MPN                    *string               `json:"MPN"`
	BarcodeHash            string                `json:"barcode_hash"`
	CreationDate           *string               `json:"creation_date"`
	StocktakeDate          *string               `json:"stocktake_date"`
	Updated                *string               `json:"updated"`
	PurchasePrice          *string               `json:"purchase_price"`
	PurchasePriceCurrency  string                `json:"purchase_price_currency"`
	Allocated              Number                `json:"allocated"`
	Expired                bool                  `json:"expired"`
	InstalledItems         int                   `json:"installed_items"`
	ChildItems             int                   `json:"child_items"`
	Stale                  bool                  `json:"stale"`
	Tags                   []string              `json:"tags"`
	TrackingItems          int                   `json:"tracking_items"`
	LocationDetail         Detail[LocationBrief] `json:"location_detail,omitzero"`
	LocationPath           Detail[[]PathEntry]   `json:"location_path,omitzero"`
	// PartDetail is the part's PartBrief, with ItemFilter.PartDetail and a parts join;
	// null when the parts read model does not hold the part.
	PartDetail json.RawMessage `json:"part_detail,omitempty"`
	// SupplierPartDetail is the supplier part's brief, with ItemFilter.SupplierPartDetail
	// and Sources; null for an item without one.
	SupplierPartDetail json.RawMessage `json:"supplier_part_detail,omitempty"`
}

// Detail is a field shown only when asked for (location_detail, path_detail): omitted
// when not asked for, null when asked for and empty, as InvenTree shows them.
type Detail[T any] struct {
	Requested bool
	Value     *T
}

// IsZero reports whether the detail was not asked for (for omitzero).
func (d Detail[T]) IsZero() bool { return !d.Requested }

// MarshalJSON writes the value, or null.
func (d Detail[T]) MarshalJSON() ([]byte, error) { return json.Marshal(d.Value) }

// ItemFilter selects and shapes stock items, with InvenTree's /api/stock/ filters.
// Nil fields do not filter.
type ItemFilter struct {
	// PKs selects these items (nil: no filter).
	PKs   []int64
	Part  *int64
	Parts []int64 // any of these parts (the API expands include_variants into it)
	// Location filters by location. With Cascade (InvenTree's default) it includes the
	// locations below; a location that does not exist then filters nothing, as in
	// InvenTree.
	Location *int64
	// LocationNull selects items without a location when Cascade is false (InvenTree's
	// "location=null"); with Cascade it filters nothing.
	LocationNull bool
	Cascade      *bool // default true

	Status           *int
	InStock          *bool
	Serialized       *bool
	Serial           *string
	SerialGTE        *int64
	SerialLTE        *int64
	Batch            *string // case-insensitive exact
	HasBatch         *bool
	Tracked          *bool
	Parent           *int64
	BelongsTo        *int64
	Customer         *int64
	SupplierPart     *int64
	PurchaseOrder    *int64
	Installed        *bool
	SentToCustomer   *bool
	IsBuilding       *bool
	Depleted         *bool
	HasPurchasePrice *bool
	HasStocktake     *bool
	Expired          *bool
	External         *bool
	MinStock         *decimal.Decimal
	MaxStock         *decimal.Decimal
	UpdatedBefore    *time.Time
	UpdatedAfter     *time.Time
	// Search matches every whitespace- or comma-separated term against serial, batch,
	// notes, the location's name and, with a parts join, the part's name, IPN and
	// description.
	Search string
	// Ordering is a comma-separated list of InvenTree ordering fields, "-" for
	// descending; default "part__name,quantity,location".
	Ordering string
	Limit    int // 0: no limit
	Offset   int

	PartDetail         bool
	LocationDetail     bool
	PathDetail         bool
	SupplierPartDetail bool // with Sources
	// Today is the date expired and stale items are judged on. Default: now.
	Today time.Time
	// StaleDays is STOCK_STALE_DAYS; 0 turns staleness off (InvenTree's default).
	StaleDays int
}

// itemColumns are the selected columns of an item, in scanItem's order.
const itemColumns = `i.pk, i.part, i.quantity, i.serial, i.batch, i.location, i.belongs_to, i.build,
	i.consumed_by, i.customer, i.delete_on_deplete, i.expiry_date::text, i.in_stock, i.is_building,
	i.link, i.notes, i.owner, i.packaging, i.parent, i.purchase_order, i.sales_order, i.status,
	i.supplier_part, i.creation_date, i.stocktake_date::text, i.updated, i.purchase_price,
	i.purchase_price_currency, i.tracking_items,
	(SELECT count(*) FROM stock_items c WHERE c.belongs_to = i.pk),
	(SELECT count(*) FROM stock_items c WHERE c.parent = i.pk),
	l.name, l.pathstring, l.path_pks`

// GetItem returns one item, or a domain.NotFoundError.
func (r *ReadModel) GetItem(ctx context.Context, pk int64, f ItemFilter) (Item, error) {
	q := r.itemQuery(f)
	q.where("i.pk = " + q.arg(pk))
	rows, err := r.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return Item{}, fmt.Errorf("stock item %d: %w", pk, err)
	}
	items, paths, err := r.scanItems(rows, f)
	if err == nil {
		err = r.itemDetails(ctx, items, paths, f)
	}
	if err != nil {
		return Item{}, fmt.Errorf("stock item %d: %w", pk, err)
	}
	if len(items) == 0 {
		return Item{}, &domain.NotFoundError{Kind: "StockItem", ID: pk}
	}
	return items[0], nil
}

// ListItems returns the items the filter selects and, when f.Limit is set, how many
// it selects in all (for pagination). The count and the page travel in one round trip.
func (r *ReadModel) ListItems(ctx context.Context, f ItemFilter) ([]Item, int, error) {
	items, total, found, err := r.listItems(ctx, f, false)
	if err == nil && !found {
		// InvenTree: a cascading filter on a location that does not exist filters nothing.
		items, total, _, err = r.listItems(ctx, f, true)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list stock items: %w", err)
	}
	return items, total, nil
}

func (r *ReadModel) listItems(ctx context.Context, f ItemFilter, ignoreLocation bool) ([]Item, int, bool, error) {
	q := r.itemQuery(f)
	r.itemFilters(q, f, ignoreLocation)
	batch := &pgx.Batch{}
	checkLocation := !ignoreLocation && f.Location != nil && (f.Cascade == nil || *f.Cascade)
	exists, countArgs := "true", slices.Clone(q.args)
	if checkLocation {
		countArgs = append(countArgs, *f.Location)
		exists = "EXISTS (SELECT 1 FROM stock_locations WHERE pk = $" + strconv.Itoa(len(countArgs)) + ")"
	}
	switch {
	case f.Limit > 0:
		batch.Queue("SELECT count(*), "+exists+" FROM "+q.from+q.whereSQL(), countArgs...)
	case checkLocation:
		batch.Queue("SELECT 0, EXISTS (SELECT 1 FROM stock_locations WHERE pk = $1)", *f.Location)
	}
	batch.Queue(r.pageSQL(q, f), q.args...)
	br := r.pool.SendBatch(ctx, batch)
	defer br.Close()
	found, total := true, -1
	if f.Limit > 0 || checkLocation {
		if err := br.QueryRow().Scan(&total, &found); err != nil {
			return nil, 0, false, err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, 0, false, err
	}
	items, paths, err := r.scanItems(rows, f)
	if err != nil {
		return nil, 0, false, err
	}
	if err := br.Close(); err != nil {
		return nil, 0, false, err
	}
	if err := r.itemDetails(ctx, items, paths, f); err != nil {
		return nil, 0, false, err
	}
	if f.Limit <= 0 {
		total = len(items)
	}
	return items, total, found, nil
}

// pageSQL selects a page of items in two steps: the filtered items are sorted on their
// pks and sort keys alone, and only the page's rows are then read whole, so a large
// selection (a warehouse and everything below it) is not carried through the sort
// with every column.
func (r *ReadModel) pageSQL(q *query, f ItemFilter) string {
	keys := r.itemOrdering(f.Ordering)
	inner := &query{from: q.from, conds: q.conds, args: q.args}
	cols := []string{"i.pk"}
	var innerOrder, outerOrder []string
	for n, k := range keys {
		alias := "o" + strconv.Itoa(n)
		cols = append(cols, k.expr+" AS "+alias)
		innerOrder = append(innerOrder, k.expr+k.dir)
		outerOrder = append(outerOrder, "page."+alias+k.dir)
	}
	inner.columns = strings.Join(cols, ", ")
	inner.order(strings.Join(append(innerOrder, "i.pk"), ", "))
	inner.page(f.Limit, f.Offset)
	q.args = inner.args
	// The page's rows look their location and part up one by one: for a hundred rows
	// that is cheaper than hashing the whole location and part tables again.
	from := "(" + inner.sql() + ") AS page JOIN stock_items i ON i.pk = page.pk" +
		" LEFT JOIN LATERAL (SELECT * FROM stock_locations WHERE pk = i.location) l ON true"
	if r.parts != nil {
		from += fmt.Sprintf(" LEFT JOIN LATERAL (SELECT * FROM %s WHERE %s = i.part) p ON true", r.parts.Table, r.parts.PK)
	}
	return "SELECT " + q.columns + " FROM " + from + " ORDER BY " + strings.Join(append(outerOrder, "page.pk"), ", ")
}

func (r *ReadModel) itemQuery(f ItemFilter) *query {
	q := &query{from: "stock_items i LEFT JOIN stock_locations l ON l.pk = i.location"}
	if r.parts != nil {
		q.from += fmt.Sprintf(" LEFT JOIN %s p ON p.%s = i.part", r.parts.Table, r.parts.PK)
	}
	q.columns = itemColumns
	if f.PartDetail && r.parts != nil {
		q.columns += ", (" + r.parts.Detail + ")::jsonb"
	} else {
		q.columns += ", NULL::jsonb"
	}
	return q
}

func (r *ReadModel) itemFilters(q *query, f ItemFilter, ignoreLocation bool) {
	if f.PKs != nil {
		q.where("i.pk = ANY(" + q.arg(f.PKs) + ")")
	}
	if f.Part != nil {
		q.where("i.part = " + q.arg(*f.Part))
	}
	if f.Parts != nil {
		q.where("i.part = ANY(" + q.arg(f.Parts) + ")")
	}
	cascade := f.Cascade == nil || *f.Cascade
	switch {
	case ignoreLocation:
	case f.Location != nil && cascade:
		// The location's subtree through the GIN index on path_pks: no recursion.
		q.where("i.location IN (SELECT pk FROM stock_locations WHERE path_pks @> ARRAY[" + q.arg(*f.Location) + "::bigint])")
	case f.Location != nil:
		q.where("i.location = " + q.arg(*f.Location))
	case f.LocationNull && !cascade:
		q.where("i.location IS NULL")
	}
	if f.Status != nil {
		q.where("i.status = " + q.arg(*f.Status))
	}
	boolFilter(q, f.InStock, "i.in_stock")
	boolFilter(q, f.Serialized, "(i.serial IS NOT NULL AND i.serial <> '')")
	if f.Serial != nil {
		q.where("i.serial = " + q.arg(*f.Serial))
	}
	if f.SerialGTE != nil {
		q.where("i.serial_int >= " + q.arg(*f.SerialGTE))
	}
	if f.SerialLTE != nil {
		q.where("i.serial_int <= " + q.arg(*f.SerialLTE))
	}
	if f.Batch != nil {
		q.where("lower(i.batch) = lower(" + q.arg(*f.Batch) + ")")
	}
	boolFilter(q, f.HasBatch, "i.batch <> ''")
	boolFilter(q, f.Tracked, "(i.batch <> '' OR (i.serial IS NOT NULL AND i.serial <> ''))")
	if f.Parent != nil {
		q.where("i.parent = " + q.arg(*f.Parent))
	}
	if f.BelongsTo != nil {
		q.where("i.belongs_to = " + q.arg(*f.BelongsTo))
	}
	if f.Customer != nil {
		q.where("i.customer = " + q.arg(*f.Customer))
	}
	if f.SupplierPart != nil {
		q.where("i.supplier_part = " + q.arg(*f.SupplierPart))
	}
	if f.PurchaseOrder != nil {
		q.where("i.purchase_order = " + q.arg(*f.PurchaseOrder))
	}
	boolFilter(q, f.Installed, "i.belongs_to IS NOT NULL")
	boolFilter(q, f.SentToCustomer, "i.customer IS NOT NULL")
	boolFilter(q, f.IsBuilding, "i.is_building")
	boolFilter(q, f.Depleted, "i.quantity <= 0")
	boolFilter(q, f.HasPurchasePrice, "i.purchase_price IS NOT NULL")
	boolFilter(q, f.HasStocktake, "i.stocktake_date IS NOT NULL")
	boolFilter(q, f.External, "coalesce(l.external, false)")
	if f.Expired != nil {
		today := f.Today
		if today.IsZero() {
			today = time.Now()
		}
		boolFilter(q, f.Expired, "coalesce(i.in_stock AND i.expiry_date < "+q.arg(today.In(r.loc).Format(time.DateOnly))+"::date, false)")
	}
	if f.MinStock != nil {
		q.where("i.quantity >= " + q.arg(*f.MinStock))
	}
	if f.MaxStock != nil {
		q.where("i.quantity <= " + q.arg(*f.MaxStock))
	}
	if f.UpdatedBefore != nil {
		q.where("i.updated < " + q.arg(*f.UpdatedBefore))
	}
	if f.UpdatedAfter != nil {
		q.where("i.updated > " + q.arg(*f.UpdatedAfter))
	}
	fields := []string{"i.serial", "i.batch", "i.notes", "l.name"}
	if r.parts != nil {
		fields = append(fields, "p."+r.parts.Name, "p."+r.parts.IPN, "p."+r.parts.Description)
	}
	q.search(f.Search, fields)
}

// itemOrdering maps InvenTree's stock ordering fields (StockList.ordering_fields and
// ordering_field_aliases) to SQL; unknown fields are ignored, as DRF does.
func (r *ReadModel) itemOrdering(ordering string) []orderKey {
	partName, partIPN := "i.part", "i.part"
	if r.parts != nil {
		partName, partIPN = "p."+r.parts.Name, "p."+r.parts.IPN
	}
	fields := map[string][]string{
		"batch": {"i.batch"}, "location": {"l.pathstring"}, "part": {partName}, "part__name": {partName},
		"part__IPN": {partIPN}, "IPN": {partIPN}, "updated": {"i.updated"},
		"purchase_price": {"i.purchase_price"}, "creation_date": {"i.creation_date"},
		"stocktake_date": {"i.stocktake_date"}, "expiry_date": {"i.expiry_date"},
		"packaging": {"i.packaging"}, "quantity": {"i.quantity"},
		"stock": {"i.quantity", "i.serial_int", "i.serial"}, "status": {"i.status"},
		"serial": {"i.serial_int", "i.serial"}, "pk": {"i.pk"},
	}
	if strings.TrimSpace(ordering) == "" {
		ordering = "part__name,quantity,location"
	}
	return orderKeys(ordering, fields)
}

// scanItems reads item rows, and each item's location path for itemDetails.
func (r *ReadModel) scanItems(rows pgx.Rows, f ItemFilter) ([]Item, [][]int64, error) {
	defer rows.Close()
	today, staleDate := r.expiryDays(f)
	var out []Item
	var paths [][]int64
	for rows.Next() {
		var it Item
		var qty decimal.Decimal
		var price decimal.NullDecimal
		var created, updated time.Time
		var locName, locPath *string
		var locPKs []int64
		var part []byte
		if err := rows.Scan(&it.PK, &it.Part, &qty, &it.Serial, &it.Batch, &it.Location, &it.BelongsTo, &it.Build,
			&it.ConsumedBy, &it.Customer, &it.DeleteOnDeplete, &it.ExpiryDate, &it.InStock, &it.IsBuilding,
			&it.Link, &it.Notes, &it.Owner, &it.Packaging, &it.Parent, &it.PurchaseOrder, &it.SalesOrder, &it.Status,
			&it.SupplierPart, &created, &it.StocktakeDate, &updated, &price,
			&it.PurchasePriceCurrency, &it.TrackingItems, &it.InstalledItems, &it.ChildItems,
			&locName, &locPath, &locPKs, &part); err != nil {
			return nil, nil, err
		}
		// InvenTree's expired and stale annotations: in stock, with an expiry date before
		// today (expired) or before today + STOCK_STALE_DAYS (stale).
		if it.ExpiryDate != nil && it.InStock {
			it.Expired = *it.ExpiryDate < today
			it.Stale = f.StaleDays > 0 && *it.ExpiryDate < staleDate
		}
		it.Quantity = Number{qty}
		it.Allocated = Number{decimal.Zero}
		it.StatusText = statusLabel(it.Status)
		it.StatusCustomKey = it.Status
		it.CreationDate, it.Updated = r.dateTime(created), r.dateTime(updated)
		if price.Valid {
			s := price.Decimal.StringFixed(6)
			it.PurchasePrice = &s
		}
		it.Tags = []string{}
		if f.LocationDetail {
			it.LocationDetail.Requested = true
			if it.Location != nil && locName != nil {
				it.LocationDetail.Value = &LocationBrief{PK: *it.Location, Name: *locName, Pathstring: *locPath}
			}
		}
		switch {
		case len(part) > 0:
			it.PartDetail = part
		case f.PartDetail && r.parts != nil:
			it.PartDetail = json.RawMessage("null")
		}
		out = append(out, it)
		paths = append(paths, locPKs)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return out, paths, nil
}

// itemDetails adds the optional details that take another query.
func (r *ReadModel) itemDetails(ctx context.Context, items []Item, paths [][]int64, f ItemFilter) error {
	if err := r.fillSources(ctx, items, f); err != nil {
		return err
	}
	if f.PathDetail {
		return r.fillLocationPaths(ctx, items, paths)
	}
	return nil
}

// fillSources sets the fields Sources answers, with one call for all the items.
func (r *ReadModel) fillSources(ctx context.Context, items []Item, f ItemFilter) error {
	if r.sources == nil {
		return nil
	}
	var orders, sps []int64
	for _, it := range items {
		if it.PurchaseOrder != nil {
			orders = append(orders, *it.PurchaseOrder)
		}
		if it.SupplierPart != nil {
			sps = append(sps, *it.SupplierPart)
		}
	}
	src, err := r.readSources(ctx, orders, sps, f)
	if err != nil {
		return err
	}
	for i := range items {
		it := &items[i]
		if it.PurchaseOrder != nil {
			if ref, ok := src.OrderReferences[*it.PurchaseOrder]; ok {
				it.PurchaseOrderReference = &ref
			}
		}
		var detail json.RawMessage
		if it.SupplierPart != nil {
			if sp, ok := src.SupplierParts[*it.SupplierPart]; ok {
				it.SKU, it.MPN, detail = &sp.SKU, sp.MPN, sp.Detail
			}
		}
		if f.SupplierPartDetail {
			if detail == nil {
				detail = json.RawMessage("null")
			}
			it.SupplierPartDetail = detail
		}
	}
	return nil
}

// readSources asks Sources about the orders and supplier parts, each once; nothing to
// ask, no call.
func (r *ReadModel) readSources(ctx context.Context, orders, sps []int64, f ItemFilter) (ItemSources, error) {
	if len(orders) == 0 && len(sps) == 0 {
		return ItemSources{}, nil
	}
	slices.Sort(orders)
	slices.Sort(sps)
	src, err := r.sources.StockSources(ctx, slices.Compact(orders), slices.Compact(sps), f.SupplierPartDetail)
	if err != nil {
		return ItemSources{}, fmt.Errorf("stock sources: %w", err)
	}
	return src, nil
}

// fillLocationPaths sets each item's location_path with one query for all of them.
func (r *ReadModel) fillLocationPaths(ctx context.Context, items []Item, paths [][]int64) error {
	var all []int64
	for _, p := range paths {
		all = append(all, p...)
	}
	steps, err := r.pathEntries(ctx, all)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].LocationPath.Requested = true
		if items[i].Location == nil {
			continue
		}
		path := []PathEntry{}
		for _, pk := range paths[i] {
			path = append(path, steps[pk])
		}
		items[i].LocationPath.Value = &path
	}
	return nil
}

func (r *ReadModel) pathEntries(ctx context.Context, pks []int64) (map[int64]PathEntry, error) {
	out := map[int64]PathEntry{}
	if len(pks) == 0 {
		return out, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT pk, name, custom_icon FROM stock_locations WHERE pk = ANY($1)`, pks)
	if err != nil {
		return nil, fmt.Errorf("location paths: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e PathEntry
		if err := rows.Scan(&e.PK, &e.Name, &e.Icon); err != nil {
			return nil, err
		}
		out[e.PK] = e
	}
	return out, rows.Err()
}

// dateTime renders a time as InvenTree's DATETIME_FORMAT, "%Y-%m-%d %H:%M".
func (r *ReadModel) dateTime(t time.Time) *string {
	s := t.In(r.loc).Format("2006-01-02 15:04")
	return &s
}

func boolFilter(q *query, v *bool, cond string) {
	if v == nil {
		return
	}
	if *v {
		q.where(cond)
	} else {
		q.where("NOT " + cond)
	}
}

// ---- Locations ----

// Location is a stock location as /api/stock/location/ returns it (InvenTree
// LocationSerializer). Location types belong to another model: location_type_detail
// is null and icon is the custom icon.
type Location struct {
	PK                 int64           `json:"pk"`
	BarcodeHash        string          `json:"barcode_hash"`
	Name               string          `json:"name"`
	Level              int             `json:"level"`
	Description        string          `json:"description"`
	Parent             *int64          `json:"parent"`
	Pathstring         string          `json:"pathstring"`
	Path               []PathEntry     `json:"path,omitempty"`
	Items              int             `json:"items"`
	Sublocations       int             `json:"sublocations"`
	Owner              *int64          `json:"owner"`
	Icon               string          `json:"icon"`
	CustomIcon         string          `json:"custom_icon"`
	Structural         bool            `json:"structural"`
	External           bool            `json:"external"`
	LocationType       *int64          `json:"location_type"`
	LocationTypeDetail json.RawMessage `json:"location_type_detail"`
	Tags               []string        `json:"tags"`
}

// LocationFilter selects locations, with InvenTree's StockLocationFilter semantics.
type LocationFilter struct {
	// Parent selects its children, or with Cascade everything below it.
	Parent *int64
	// ParentNull selects top-level locations ("parent=null").
	ParentNull bool
	Cascade    *bool
	TopLevel   *bool
	// Depth limits the level: from the top, or below Parent.
	Depth           *int
	Structural      *bool
	External        *bool
	Name            *string
	LocationType    *int64
	HasLocationType *bool
	// ExcludeTree leaves out a location and everything below it.
	ExcludeTree *int64
	Search      string
	// Ordering: name, pathstring, items, level, tree_id, lft; default "tree_id,lft,name".
	Ordering   string
	Limit      int
	Offset     int
	PathDetail bool
}

const locationColumns = `s.pk, s.name, s.level, s.description, s.parent, s.pathstring, s.items, s.sublocations,
	s.owner, s.custom_icon, s.structural, s.external, s.location_type, s.path_pks, s.tree_id`

// GetLocation returns one location, or a domain.NotFoundError.
func (r *ReadModel) GetLocation(ctx context.Context, pk int64, pathDetail bool) (Location, error) {
	q := &query{columns: locationColumns, from: "stock_locations s"}
	q.where("s.pk = " + q.arg(pk))
	locs, _, err := r.queryLocations(ctx, q, pathDetail)
	if err != nil {
		return Location{}, fmt.Errorf("stock location %d: %w", pk, err)
	}
	if len(locs) == 0 {
		return Location{}, &domain.NotFoundError{Kind: "StockLocation", ID: pk}
	}
	return locs[0], nil
}

// ListLocations returns the locations the filter selects and, when f.Limit is set,
// how many it selects in all.
func (r *ReadModel) ListLocations(ctx context.Context, f LocationFilter) ([]Location, int, error) {
	q := &query{columns: locationColumns, from: "stock_locations s"}
	if err := r.locationFilters(ctx, q, f); err != nil {
		return nil, 0, err
	}
	total := -1
	if f.Limit > 0 {
		if err := r.pool.QueryRow(ctx, q.count(), q.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count stock locations: %w", err)
		}
	}
	q.order(locationOrdering(f.Ordering))
	q.page(f.Limit, f.Offset)
	locs, _, err := r.queryLocations(ctx, q, f.PathDetail)
	if err != nil {
		return nil, 0, fmt.Errorf("list stock locations: %w", err)
	}
	if total < 0 {
		total = len(locs)
	}
	return locs, total, nil
}

func (r *ReadModel) locationFilters(ctx context.Context, q *query, f LocationFilter) error {
	cascade := f.Cascade != nil && *f.Cascade
	topLevel := f.TopLevel != nil && *f.TopLevel
	switch {
	case f.Parent != nil:
		var level int
		err := r.pool.QueryRow(ctx, `SELECT level FROM stock_locations WHERE pk = $1`, *f.Parent).Scan(&level)
		if errors.Is(err, pgx.ErrNoRows) {
			q.where("false") // DRF: an unknown parent selects nothing
			return nil
		}
		if err != nil {
			return fmt.Errorf("parent location %d: %w", *f.Parent, err)
		}
		if cascade {
			q.where("s.path_pks @> ARRAY[" + q.arg(*f.Parent) + "::bigint] AND s.pk <> " + q.arg(*f.Parent))
		} else {
			q.where("s.parent = " + q.arg(*f.Parent))
		}
		if f.Depth != nil {
			q.where("s.level <= " + q.arg(level+*f.Depth))
		}
	case f.ParentNull:
		q.where("s.parent IS NULL")
	}
	if f.Depth != nil && f.Parent == nil {
		q.where("s.level <= " + q.arg(*f.Depth))
	}
	if topLevel && !cascade {
		q.where("s.parent IS NULL")
	}
	if f.Cascade != nil && !cascade && (f.Parent == nil || topLevel) {
		q.where("s.parent IS NULL")
	}
	boolFilter(q, f.Structural, "s.structural")
	boolFilter(q, f.External, "s.external")
	boolFilter(q, f.HasLocationType, "s.location_type IS NOT NULL")
	if f.Name != nil {
		q.where("s.name = " + q.arg(*f.Name))
	}
	if f.LocationType != nil {
		q.where("s.location_type = " + q.arg(*f.LocationType))
	}
	if f.ExcludeTree != nil {
		q.where("NOT s.path_pks @> ARRAY[" + q.arg(*f.ExcludeTree) + "::bigint]")
	}
	q.search(f.Search, []string{"s.name", "s.description", "s.pathstring"})
	return nil
}

func locationOrdering(ordering string) string {
	fields := map[string][]string{
		"name": {"s.name"}, "pathstring": {"s.pathstring"}, "items": {"s.items"},
		"level": {"s.level"}, "tree_id": {"s.tree_id"}, "lft": {"s.name_path"}, "pk": {"s.pk"},
	}
	if strings.TrimSpace(ordering) == "" {
		ordering = "tree_id,lft,name"
	}
	return orderBy(ordering, fields, "s.pk")
}

func (r *ReadModel) queryLocations(ctx context.Context, q *query, pathDetail bool) ([]Location, []int64, error) {
	rows, err := r.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []Location
	var paths [][]int64
	var trees []int64
	for rows.Next() {
		var l Location
		var path []int64
		var tree int64
		if err := rows.Scan(&l.PK, &l.Name, &l.Level, &l.Description, &l.Parent, &l.Pathstring, &l.Items,
			&l.Sublocations, &l.Owner, &l.CustomIcon, &l.Structural, &l.External, &l.LocationType, &path, &tree); err != nil {
			return nil, nil, err
		}
		l.Icon = l.CustomIcon
		l.LocationTypeDetail = json.RawMessage("null")
		l.Tags = []string{}
		out = append(out, l)
		paths = append(paths, path)
		trees = append(trees, tree)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if pathDetail {
		var all []int64
		for _, p := range paths {
			all = append(all, p...)
		}
		steps, err := r.pathEntries(ctx, all)
		if err != nil {
			return nil, nil, err
		}
		for i := range out {
			out[i].Path = []PathEntry{}
			for _, pk := range paths[i] {
				out[i].Path = append(out[i].Path, steps[pk])
			}
		}
	}
	return out, trees, nil
}

// TreeNode is a location as /api/stock/location/tree/ returns it (InvenTree
// LocationTreeSerializer).
type TreeNode struct {
	PK           int64  `json:"pk"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Pathstring   string `json:"pathstring"`
	Parent       *int64 `json:"parent"`
	TreeID       int64  `json:"tree_id"`
	Level        int    `json:"level"`
	Icon         string `json:"icon"`
	Structural   bool   `json:"structural"`
	Sublocations int    `json:"sublocations"`
}

// TreeFilter selects tree nodes (LocationTreeFilter).
type TreeFilter struct {
	Parent   *int64
	TreeID   *int64
	Level    *int
	MaxLevel *int
	// Search matches name and description.
	Search string
	// Ordering: level (then name), name (then level), sublocations; "" is tree order
	// (top-level locations, each followed by its subtree, siblings by name).
	Ordering string
	Limit    int
	Offset   int
}

// treeOrdering is LocationTreeSerializer's ordering_fields with InvenTree's aliases.
var treeOrdering = map[string][]string{
	"level": {"s.level", "s.name"}, "name": {"s.name", "s.level"}, "sublocations": {"s.sublocations"},
}

// LocationTree returns locations in tree order (top-level locations, each followed by
// its subtree, siblings by name) and how many the filter selects.
func (r *ReadModel) LocationTree(ctx context.Context, f TreeFilter) ([]TreeNode, int, error) {
	q := &query{columns: `s.pk, s.name, s.description, s.pathstring, s.parent, s.tree_id, s.level,
		s.custom_icon, s.structural, s.sublocations`, from: "stock_locations s"}
	if f.Parent != nil {
		q.where("s.parent = " + q.arg(*f.Parent))
	}
	if f.TreeID != nil {
		q.where("s.tree_id = " + q.arg(*f.TreeID))
	}
	if f.Level != nil {
		q.where("s.level = " + q.arg(*f.Level))
	}
	if f.MaxLevel != nil {
		q.where("s.level <= " + q.arg(*f.MaxLevel))
	}
	q.search(f.Search, []string{"s.name", "s.description"})
	total := -1
	if f.Limit > 0 {
		if err := r.pool.QueryRow(ctx, q.count(), q.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count location tree: %w", err)
		}
	}
	q.order("s.tree_id, s.name_path, s.pk")
	if keys := orderKeys(f.Ordering, treeOrdering); len(keys) > 0 {
		q.order(orderBy(f.Ordering, treeOrdering, "s.pk"))
	}
	q.page(f.Limit, f.Offset)
	rows, err := r.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("location tree: %w", err)
	}
	defer rows.Close()
	var out []TreeNode
	for rows.Next() {
		var n TreeNode
		if err := rows.Scan(&n.PK, &n.Name, &n.Description, &n.Pathstring, &n.Parent, &n.TreeID, &n.Level,
			&n.Icon, &n.Structural, &n.Sublocations); err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("location tree: %w", err)
	}
	if total < 0 {
		total = len(out)
	}
	return out, total, nil
}

// ---- Tracking ----

// TrackingEntry is a stock tracking entry as /api/stock/track/ returns it (InvenTree
// StockTrackingSerializer).
type TrackingEntry struct {
	PK           int64           `json:"pk"`
	Item         *int64          `json:"item"`
	Part         *int64          `json:"part"`
	Date         string          `json:"date"`
	Deltas       json.RawMessage `json:"deltas"`
	Label        string          `json:"label"`
	Notes        *string         `json:"notes"`
	TrackingType int             `json:"tracking_type"`
	User         *int64          `json:"user"`
}

// TrackingFilter selects tracking entries (StockTrackingFilter).
type TrackingFilter struct {
	Item    *int64
	Part    *int64
	Parts   []int64 // any of these parts (include_variants)
	User    *int64
	MinDate *time.Time
	MaxDate *time.Time
	Search  string // in notes
	// Ordering: "date" or "-date" (default).
	Ordering string
	Limit    int
	Offset   int
}

// GetTracking returns one tracking entry, or a domain.NotFoundError.
func (r *ReadModel) GetTracking(ctx context.Context, pk int64) (TrackingEntry, error) {
	q := trackingQuery()
	q.where("t.pk = " + q.arg(pk))
	out, err := r.queryTracking(ctx, q)
	if err != nil {
		return TrackingEntry{}, fmt.Errorf("stock tracking entry %d: %w", pk, err)
	}
	if len(out) == 0 {
		return TrackingEntry{}, &domain.NotFoundError{Kind: "StockItemTracking", ID: pk}
	}
	return out[0], nil
}

// ListTracking returns the tracking entries the filter selects and, when f.Limit is
// set, how many it selects in all.
func (r *ReadModel) ListTracking(ctx context.Context, f TrackingFilter) ([]TrackingEntry, int, error) {
	q := trackingQuery()
	if f.Item != nil {
		q.where("t.item = " + q.arg(*f.Item))
	}
	if f.Part != nil {
		q.where("t.part = " + q.arg(*f.Part))
	}
	if f.Parts != nil {
		q.where("t.part = ANY(" + q.arg(f.Parts) + ")")
	}
	if f.User != nil {
		q.where("t.user_id = " + q.arg(*f.User))
	}
	if f.MinDate != nil {
		q.where("t.date >= " + q.arg(*f.MinDate))
	}
	if f.MaxDate != nil {
		q.where("t.date <= " + q.arg(*f.MaxDate))
	}
	q.search(f.Search, []string{"t.notes"})
	total := -1
	if f.Limit > 0 {
		if err := r.pool.QueryRow(ctx, q.count(), q.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count stock tracking: %w", err)
		}
	}
	if strings.TrimSpace(f.Ordering) == "" {
		f.Ordering = "-date"
	}
	q.order(orderBy(f.Ordering, map[string][]string{"date": {"t.date", "t.pk"}, "pk": {"t.pk"}}, "t.pk"))
	q.page(f.Limit, f.Offset)
	out, err := r.queryTracking(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list stock tracking: %w", err)
	}
	if total < 0 {
		total = len(out)
	}
	return out, total, nil
}

func trackingQuery() *query {
	return &query{columns: "t.pk, t.item, t.part, t.date, t.deltas, t.notes, t.tracking_type, t.user_id", from: "stock_tracking t"}
}

func (r *ReadModel) queryTracking(ctx context.Context, q *query) ([]TrackingEntry, error) {
	rows, err := r.pool.Query(ctx, q.sql(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrackingEntry
	for rows.Next() {
		var e TrackingEntry
		var date time.Time
		var deltas []byte
		if err := rows.Scan(&e.PK, &e.Item, &e.Part, &date, &deltas, &e.Notes, &e.TrackingType, &e.User); err != nil {
			return nil, err
		}
		e.Date = *r.dateTime(date)
		e.Deltas = deltas
		e.Label = trackingLabel(e.TrackingType)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- Query building ----

// query is a SELECT under construction; args are numbered as they are added.
type query struct {
	columns string
	from    string
	conds   []string
	orderBy string
	limit   string
	args    []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) where(cond string) { q.conds = append(q.conds, cond) }

func (q *query) order(by string) { q.orderBy = by }

func (q *query) page(limit, offset int) {
	if limit > 0 {
		q.limit = " LIMIT " + q.arg(limit)
	}
	if offset > 0 {
		q.limit += " OFFSET " + q.arg(offset)
	}
}

// search adds DRF SearchFilter semantics: every term must match one of the fields,
// case-insensitively, as a substring.
func (q *query) search(text string, fields []string) {
	for _, term := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		pattern := q.arg("%" + likeEscaper.Replace(term) + "%")
		var ors []string
		for _, f := range fields {
			ors = append(ors, f+" ILIKE "+pattern)
		}
		q.where("(" + strings.Join(ors, " OR ") + ")")
	}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (q *query) whereSQL() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

func (q *query) sql() string {
	s := "SELECT " + q.columns + " FROM " + q.from + q.whereSQL()
	if q.orderBy != "" {
		s += " ORDER BY " + q.orderBy
	}
	return s + q.limit
}

func (q *query) count() string {
	return "SELECT count(*) FROM " + q.from + q.whereSQL()
}

// orderBy turns "a,-b" into SQL with the given field mapping, ending with tiebreak so
// pages are stable.
func orderBy(ordering string, fields map[string][]string, tiebreak string) string {
	var parts []string
	for _, k := range orderKeys(ordering, fields) {
		parts = append(parts, k.expr+k.dir)
	}
	return strings.Join(append(parts, tiebreak), ", ")
}

// orderKey is one sort expression and its direction (" ASC" or " DESC").
type orderKey struct{ expr, dir string }

// orderKeys maps DRF ordering fields ("a,-b") to sort expressions; unknown fields are
// ignored, as DRF's OrderingFilter does.
func orderKeys(ordering string, fields map[string][]string) []orderKey {
	var keys []orderKey
	for _, f := range strings.Split(ordering, ",") {
		f = strings.TrimSpace(f)
		dir := " ASC"
		if strings.HasPrefix(f, "-") {
			f, dir = f[1:], " DESC"
		}
		for _, c := range fields[f] {
			keys = append(keys, orderKey{c, dir})
		}
	}
	return keys
}
