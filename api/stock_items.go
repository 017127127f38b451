package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/stock"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// InvenTree's messages for stock item requests (stock/api.py StockList.create).
const (
	msgQuantityRequired  = "Quantity is required"
	msgValidPart         = "Valid part must be supplied"
	msgNoSupplierPart    = "The given supplier part does not exist"
	msgPackSizeFlag      = "The supplier part has a pack size defined, but flag use_pack_size not set"
	msgMoneyNumber       = "Must be a valid number"
	msgPartUnchangeable  = "The part of a stock item cannot be changed"
	msgInstallWithAction = "Stock items are installed with /api/stock/{id}/install/"
	msgEnterValidDate    = "Enter a valid date."
	msgEnterNumber       = "Enter a number."
	defaultPriceCurrency = "USD"
)

// priceCurrencies are InvenTree's default CURRENCY_CODES, the choices of
// purchase_price_currency.
var priceCurrencies = []string{"AUD", "CAD", "CNY", "EUR", "GBP", "JPY", "NZD", "USD"}

// itemOutput reads the output options of the stock item endpoints as
// StockApiMixin.get_serializer does: part_detail is on unless turned off,
// location_detail and path_detail are off unless turned on.
func (s *server) itemOutput(r *http.Request) stockrm.ItemFilter {
	v := r.URL.Query()
	f := stockrm.ItemFilter{PartDetail: true, Today: s.now()}
	if _, ok := v["part_detail"]; ok {
		f.PartDetail = str2bool(lastValue(v, "part_detail"))
	}
	f.LocationDetail = str2bool(lastValue(v, "location_detail"))
	f.PathDetail = str2bool(lastValue(v, "path_detail"))
	f.SupplierPartDetail = str2bool(lastValue(v, "supplier_part_detail"))
	return f
}

// now is the API's clock.
func (s *server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// listItems is GET /stock/ with StockFilter's filters and StockList.filter_queryset's
// location handling.
func (s *server) listItems(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.itemFilter(ctx, r)
	if err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	v := r.URL.Query()
	f.Search, f.Ordering = searchParam(v), lastValue(v, "ordering")
	f.Limit, f.Offset = lq.Limit, lq.Offset
	if rs, ok := s.cfg.Stock.(renderedStock); ok {
		// The items land after room for the envelope, which needs their count.
		room := renderedListRoom(lq)
		page, err := rs.ListItemsJSON(ctx, f, make([]byte, room, room+4<<10))
		if err != nil {
			return err
		}
		return writeRenderedList(w, lq, page.Total, page.Items, room)
	}
	rows, total, err := s.cfg.Stock.ListItems(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// renderedStock is a stock read model that keeps its items rendered
// (projections/stock.ReadModel): the item endpoints then copy stored JSON into the
// answer instead of encoding Items, the same bytes either way.
type renderedStock interface {
	// ListItemsJSON is ListItems as the items' JSON objects, comma-separated, appended
	// to dst.
	ListItemsJSON(ctx context.Context, f stockrm.ItemFilter, dst []byte) (stockrm.ItemsJSON, error)
	// GetItemJSON is GetItem as the item's JSON object.
	GetItemJSON(ctx context.Context, pk int64, f stockrm.ItemFilter) ([]byte, error)
}

var _ renderedStock = (*stockrm.ReadModel)(nil)

// renderedListRoom is the room writeRenderedList wants before the rows: enough for the
// envelope of a page of q with the longest count and links it can have.
func renderedListRoom(q ListQuery) int {
	if !q.Paged() {
		return 1
	}
	return 2*len(*q.link(math.MaxInt)) + 64
}

// writeRenderedList is writeList for rows already rendered: buf holds room bytes of
// room, then the rows' JSON objects, comma-separated. The answer is the body writeList
// writes for the same rows; the envelope goes into the room when it fits, so the rows
// are not copied again.
func writeRenderedList(w http.ResponseWriter, q ListQuery, count int, buf []byte, room int) error {
	if !q.Paged() {
		return writeRendered(w, http.StatusOK, append(renderedBody(buf, room, []byte("[")), ']'))
	}
	head := append([]byte(`{"count":`), strconv.Itoa(count)...)
	head = append(head, `,"next":`...)
	head, err := appendJSON(head, q.next(count))
	if err != nil {
		return err
	}
	head = append(head, `,"previous":`...)
	if head, err = appendJSON(head, q.previous()); err != nil {
		return err
	}
	head = append(head, `,"results":[`...)
	return writeRendered(w, http.StatusOK, append(renderedBody(buf, room, head), "]}"...))
}

// renderedBody puts head before the rows that follow room bytes of buf.
func renderedBody(buf []byte, room int, head []byte) []byte {
	if len(head) <= room {
		body := buf[room-len(head):]
		copy(body, head)
		return body
	}
	return append(head, buf[room:]...)
}

// appendJSON appends v as writeJSON encodes it: HTML escaping off.
func appendJSON(dst []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// writeRendered answers with a body already rendered, as writeJSON answers.
func writeRendered(w http.ResponseWriter, status int, body []byte) error {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	// A failed write means the client left; there is no one to tell.
	_, _ = w.Write(body)
	return nil
}

// itemFilter reads the filters of GET /stock/.
func (s *server) itemFilter(ctx context.Context, r *http.Request) (stockrm.ItemFilter, error) {
	q := newQuery(r)
	v := r.URL.Query()
	f := s.itemOutput(r)
	if pk, ok := q.pk("part"); ok {
		// InvenTree includes the part's variants unless include_variants is false.
		variants, err := s.cfg.Stock.PartVariants(ctx, pk)
		if err != nil {
			return f, err
		}
		switch {
		case variants == nil:
			q.errs.Add("part", msgInvalidChoice)
		case !v.Has("include_variants") || str2bool(lastValue(v, "include_variants")):
			f.Parts = variants
		default:
			f.Part = &pk
		}
	}
	// StockList.filter_queryset reads location itself: "null" (and InvenTree's other
	// spellings of nothing) are items without a location when not cascading; a value
	// that is no location id filters nothing.
	cascade := true
	if c, ok := v["cascade"]; ok && len(c) > 0 {
		cascade = str2bool(c[len(c)-1])
	}
	f.Cascade = &cascade
	if raw := strings.TrimSpace(lastValue(v, "location")); raw != "" {
		if isNullText(raw) {
			f.LocationNull = true
		} else if pk, err := strconv.ParseInt(raw, 10, 64); err == nil {
			f.Location = &pk
		}
	}
	if n, ok := q.integer("status"); ok {
		code := int(n)
		f.Status = &code
	}
	f.InStock = optQueryBool(q, "in_stock")
	f.Serialized = optQueryBool(q, "serialized")
	f.HasBatch = optQueryBool(q, "has_batch")
	f.Tracked = optQueryBool(q, "tracked")
	f.Installed = optQueryBool(q, "installed")
	f.SentToCustomer = optQueryBool(q, "sent_to_customer")
	f.IsBuilding = optQueryBool(q, "is_building")
	f.Depleted = optQueryBool(q, "depleted")
	f.HasPurchasePrice = optQueryBool(q, "has_purchase_price")
	f.HasStocktake = optQueryBool(q, "has_stocktake")
	f.External = optQueryBool(q, "external")
	// InvenTree filters on expired only with STOCK_ENABLE_EXPIRY on and on stale only
	// with STOCK_STALE_DAYS set; both are off by default, so the values are read but
	// filter nothing.
	optQueryBool(q, "expired")
	optQueryBool(q, "stale")
	if v, ok := q.str("serial"); ok {
		f.Serial = &v
	}
	if n, ok := q.integer("serial_gte"); ok {
		f.SerialGTE = &n
	}
	if n, ok := q.integer("serial_lte"); ok {
		f.SerialLTE = &n
	}
	if v, ok := q.str("batch"); ok {
		f.Batch = &v
	}
	f.MinStock = queryDecimal(q, "min_stock")
	f.MaxStock = queryDecimal(q, "max_stock")
	f.UpdatedBefore = queryDate(q, "updated_before")
	f.UpdatedAfter = queryDate(q, "updated_after")
	if pk, ok := q.pk("customer"); ok {
		f.Customer = &pk
	}
	if err := s.sourceFilters(ctx, q, &f); err != nil {
		return f, err
	}
	for _, ref := range []struct {
		name string
		dst  **int64
	}{{"parent", &f.Parent}, {"belongs_to", &f.BelongsTo}} {
		pk, ok := q.pk(ref.name)
		if !ok {
			continue
		}
		if err := s.itemChoice(ctx, q, ref.name, pk); err != nil {
			return f, err
		}
		*ref.dst = &pk
	}
	return f, q.err()
}

// isNullText is InvenTree's isNull: the spellings of "no value" a filter accepts.
func isNullText(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "top", "null", "none", "empty", "false", "-1":
		return true
	}
	return false
}

// queryDecimal reads a NumberFilter.
func queryDecimal(q *query, name string) *decimal.Decimal {
	v, ok := q.str(name)
	if !ok {
		return nil
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		q.errs.Add(name, msgEnterNumber)
		return nil
	}
	return &d
}

// queryDate reads an InvenTreeDateFilter (YYYY-MM-DD) as midnight UTC.
func queryDate(q *query, name string) *time.Time {
	v, ok := q.str(name)
	if !ok {
		return nil
	}
	t, ok := parseDate(v)
	if !ok {
		q.errs.Add(name, msgEnterValidDate)
		return nil
	}
	return &t
}

// itemChoice records django-filter's invalid-choice error on the filter name when pk
// names no stock item.
func (s *server) itemChoice(ctx context.Context, q *query, name string, pk int64) error {
	_, err := s.cfg.Stock.GetItem(ctx, pk, stockrm.ItemFilter{})
	if errors.Is(err, domain.ErrNotFound) {
		q.errs.Add(name, msgInvalidChoice)
		return nil
	}
	return err
}

func (s *server) getItem(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if at, ok, err := s.asOf(r); err != nil || ok {
		if err != nil {
			return err
		}
		return s.writeItemAsOf(w, r, pk, at)
	}
	return s.writeItem(w, r, http.StatusOK, pk)
}

// writeItem answers the read model's item pk with the details the request asks for.
func (s *server) writeItem(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	if rs, ok := s.cfg.Stock.(renderedStock); ok {
		doc, err := rs.GetItemJSON(r.Context(), pk, s.itemOutput(r))
		if err != nil {
			return err
		}
		return writeRendered(w, status, doc)
	}
	it, err := s.cfg.Stock.GetItem(r.Context(), pk, s.itemOutput(r))
	if err != nil {
		return err
	}
	return writeJSON(w, status, it)
}

// writeItems answers a list of items, in the order of pks (InvenTree answers POST
// /stock/ and serialize/ with a list, API 383 on).
func (s *server) writeItems(w http.ResponseWriter, r *http.Request, status int, pks []int64) error {
	out := make([]stockrm.Item, 0, len(pks))
	f := s.itemOutput(r)
	for _, pk := range pks {
		it, err := s.cfg.Stock.GetItem(r.Context(), pk, f)
		if err != nil {
			return err
		}
		out = append(out, it)
	}
	return writeJSON(w, status, out)
}

// itemPatch is StockItemSerializer's writable fields as a request gives them; absent
// fields stay nil.
type itemPatch struct {
	part, location, owner                      *int64
	quantity                                   *decimal.Decimal
	serial, batch, packaging, link, notes      *string
	expiry, currency                           *string // "" clears the expiry date
	status                                     *status.StockStatus
	price                                      *decimal.NullDecimal
	deleteOnDeplete, isBuilding                *bool
	supplierPart, belongsTo                    *int64
	build, customer, purchaseOrder, salesOrder *int64
	consumedBy                                 *int64
}

// readItem reads StockItemSerializer's writable fields, none of them required: the
// callers check part and quantity first, as InvenTree does on create and DRF on PUT.
func readItem(b *body) itemPatch {
	var p itemPatch
	p.part = optPK(b, "part")
	if v, ok := b.decimal("quantity"); ok {
		p.quantity = &v
	}
	p.serial = optStr(b, "serial", allowBlank, nullable, maxLength(100))
	p.batch = optStr(b, "batch", allowBlank, nullable, maxLength(100))
	p.location = optPK(b, "location")
	p.status = readItemStatus(b)
	p.packaging = optStr(b, "packaging", allowBlank, nullable, maxLength(50))
	p.expiry = readExpiry(b)
	p.price = readPrice(b)
	if v, ok := b.choice("purchase_price_currency", priceCurrencies); ok {
		p.currency = &v
	}
	p.supplierPart = optPK(b, "supplier_part")
	p.owner = optPK(b, "owner")
	p.link = optStr(b, "link", allowBlank, maxLength(2000))
	if p.link != nil && *p.link != "" && !validURL(*p.link) {
		b.invalid("link", msgInvalidURL)
		p.link = nil
	}
	p.notes = optStr(b, "notes", allowBlank, nullable, maxLength(50000))
	p.deleteOnDeplete = optBool(b, "delete_on_deplete")
	p.isBuilding = optBool(b, "is_building")
	p.belongsTo = optPK(b, "belongs_to")
	p.build = optPK(b, "build")
	p.customer = optPK(b, "customer")
	p.purchaseOrder = optPK(b, "purchase_order")
	p.salesOrder = optPK(b, "sales_order")
	p.consumedBy = optPK(b, "consumed_by")
	return p
}

// readItemStatus reads the status, where status_custom_key, when given, takes the
// place of status (StockList.create, StockItemSerializer.update). Custom states are
// not modelled, so both must be StockStatus codes.
func readItemStatus(b *body) *status.StockStatus {
	var code *status.StockStatus
	if v, ok := b.intChoice("status", status.StockStatusValid, nullable); ok {
		c := status.StockStatus(v)
		code = &c
	}
	if v, ok := b.intChoice("status_custom_key", status.StockStatusValid, nullable); ok {
		c := status.StockStatus(v)
		code = &c
	}
	return code
}

// readExpiry reads expiry_date: a date, or "" / null for none.
func readExpiry(b *body) *string {
	raw, ok := b.raw["expiry_date"]
	if !ok {
		return nil
	}
	if k := kindOf(raw); k == kindNull || (k == kindString && strings.TrimSpace(scalarText(raw)) == "") {
		empty := ""
		return &empty
	}
	if t, ok := b.date("expiry_date"); ok {
		d := t.Format(time.DateOnly)
		return &d
	}
	return nil
}

// readPrice reads purchase_price as InvenTreeMoneySerializer does (see readMoney).
func readPrice(b *body) *decimal.NullDecimal { return readMoney(b, "purchase_price") }

// readMoney reads a money field as InvenTreeMoneySerializer does: "" and null are no
// price; a number is rounded to 6 decimal places.
func readMoney(b *body, name string) *decimal.NullDecimal {
	raw, ok := b.raw[name]
	if !ok {
		return nil
	}
	k := kindOf(raw)
	if k == kindNull || (k == kindString && strings.TrimSpace(scalarText(raw)) == "") {
		return &decimal.NullDecimal{}
	}
	d, ok := parseDecimal(raw, k)
	if !ok {
		b.invalid(name, msgMoneyNumber)
		return nil
	}
	return &decimal.NullDecimal{Decimal: d.Round(6), Valid: true}
}

// checkItemRefs checks the references the stock commands cannot: the owner, and the
// objects of areas Stockledger does not serve yet (supplier parts, builds, companies,
// orders), none of which can exist. belongs_to is set by installing, never by a write
// of the item. current is the item's value of each, for an update: leaving a field as
// it is always passes.
func (s *server) checkItemRefs(ctx context.Context, p itemPatch, current stockrm.Item) error {
	if pk := p.supplierPart; pk != nil && *pk != 0 && !sameRef(pk, current.SupplierPart) {
		if err := s.checkSupplierPart(ctx, *pk, current.Part, p.part); err != nil {
			return err
		}
	}
	if pk := p.belongsTo; pk != nil && *pk != 0 && !sameRef(pk, current.BelongsTo) {
		if _, err := s.cfg.Stock.GetItem(ctx, *pk, stockrm.ItemFilter{}); errors.Is(err, domain.ErrNotFound) {
			return &domain.NotFoundError{Kind: "StockItem", ID: *pk, Field: "belongs_to"}
		} else if err != nil {
			return err
		}
		return domain.Invalid("belongs_to", msgInstallWithAction)
	}
	for _, ref := range []struct {
		field, kind string
		pk, current *int64
	}{
		{"build", "Build", p.build, current.Build},
		{"customer", "Company", p.customer, current.Customer},
		{"purchase_order", "PurchaseOrder", p.purchaseOrder, current.PurchaseOrder},
		{"sales_order", "SalesOrder", p.salesOrder, current.SalesOrder},
		{"consumed_by", "Build", p.consumedBy, current.ConsumedBy},
	} {
		if ref.pk != nil && *ref.pk != 0 && !sameRef(ref.pk, ref.current) {
			return &domain.NotFoundError{Kind: ref.kind, ID: *ref.pk, Field: ref.field}
		}
	}
	return s.checkStockOwner(ctx, "owner", p.owner)
}

// sameRef reports whether a reference in a request is the one the item has.
func sameRef(pk, current *int64) bool {
	return current != nil && pk != nil && *pk == *current
}

// createItems is POST /stock/ as StockList.create: quantity and part are checked
// first, one at a time; a location left out (or null) is the part's default location,
// and "" is none; serial_numbers makes one item per serial number; the answer is the
// list of items created.
func (s *server) createItems(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	if !b.has("quantity") || b.isNull("quantity") {
		return domain.Invalid("quantity", msgQuantityRequired)
	}
	raw, ok := b.raw["part"]
	partPK, msg := parsePK(raw, kindOf(raw))
	if !ok || msg != "" {
		return domain.Invalid("part", msgValidPart)
	}
	sp, err := s.itemSupplierPart(ctx, optPK(b, "supplier_part"))
	if err != nil {
		return err
	}
	p := readItem(b)
	serials := optStr(b, "serial_numbers", allowBlank, nullable)
	if err := b.err(); err != nil {
		return err
	}
	if err := usePackSize(b, sp, &p); err != nil {
		return err
	}
	if err := s.checkItemRefs(ctx, p, stockrm.Item{}); err != nil {
		return err
	}
	req := stock.NewStock{
		Part: partPK, Quantity: derefOrZero(p.quantity), SerialNumbers: derefOrZero(serials),
		Batch: derefOrZero(p.batch), Location: derefOrZero(p.location), Status: derefOrZero(p.status),
		Packaging: derefOrZero(p.packaging), ExpiryDate: derefOrZero(p.expiry), SupplierPart: derefOrZero(p.supplierPart),
		PurchasePriceCurrency: defaultPriceCurrency, Owner: derefOrZero(p.owner), Link: derefOrZero(p.link),
		Notes: derefOrZero(p.notes), DeleteOnDeplete: p.deleteOnDeplete, IsBuilding: derefOrZero(p.isBuilding),
	}
	if p.currency != nil {
		req.PurchasePriceCurrency = *p.currency
	}
	if p.price != nil && p.price.Valid {
		req.PurchasePrice = &p.price.Decimal
	}
	raw, given := b.raw["location"]
	noDefault := given && kindOf(raw) == kindString && strings.TrimSpace(scalarText(raw)) == ""
	pks, res, err := s.cfg.StockCommands.CreateItems(ctx, commands.CreateStockItem{NewStock: req, NoDefaultLocation: noDefault})
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	return s.writeItems(w, r, http.StatusCreated, pks)
}

// updateItem is PUT/PATCH /stock/{id}/. The change is one StockItemUpdated event that
// records each changed field's old and new value.
func (s *server) updateItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	current, err := s.cfg.Stock.GetItem(ctx, pk, stockrm.ItemFilter{})
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	if !b.partial {
		// PUT: the serializer's required fields.
		b.pk("part", required)
		b.decimal("quantity", required)
	}
	p := readItem(b)
	if err := b.err(); err != nil {
		return err
	}
	// InvenTree changes an item's part only through convert/, to a variant.
	if p.part != nil && *p.part != current.Part {
		return domain.Invalid("part", msgPartUnchangeable)
	}
	if err := s.checkItemRefs(ctx, p, current); err != nil {
		return err
	}
	if p.isBuilding != nil && *p.isBuilding != current.IsBuilding {
		return domain.Invalid("build", "Item must have a build reference if is_building=True")
	}
	edit := stock.ItemEdit{
		Quantity: p.quantity, Serial: p.serial, Batch: p.batch, Location: p.location, Status: p.status,
		Packaging: p.packaging, ExpiryDate: p.expiry, PurchasePrice: p.price, PurchasePriceCurrency: p.currency,
		Owner: p.owner, Link: p.link, Notes: p.notes, DeleteOnDeplete: p.deleteOnDeplete, SupplierPart: p.supplierPart,
	}
	res, err := s.cfg.StockCommands.UpdateItem(ctx, commands.UpdateStockItem{PK: pk, ItemEdit: edit})
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, pk)
}

func (s *server) deleteItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	res, err := s.cfg.StockCommands.DeleteItem(ctx, commands.DeleteStockItem{PK: pk})
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// ---- tracking ----

// trackingBody is StockTrackingSerializer: the entry, and the item and the user when
// asked for with item_detail and user_detail.
type trackingBody struct {
	stockrm.TrackingEntry
	ItemDetail stockrm.Detail[stockrm.Item] `json:"item_detail,omitzero"`
	UserDetail stockrm.Detail[userRefBody]  `json:"user_detail,omitzero"`
}

// listTracking is GET /stock/track/ with StockTrackingList's filters: item, part (with
// include_variants), user, min_date, max_date, search in the notes, ordering by date
// (newest first by default).
func (s *server) listTracking(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	v := r.URL.Query()
	var f stockrm.TrackingFilter
	if pk, ok := q.pk("item"); ok {
		if err := s.itemChoice(ctx, q, "item", pk); err != nil {
			return err
		}
		f.Item = &pk
	}
	if pk, ok := q.pk("part"); ok {
		variants, err := s.cfg.Stock.PartVariants(ctx, pk)
		if err != nil {
			return err
		}
		switch {
		case variants == nil:
			q.errs.Add("part", msgInvalidChoice)
		case str2bool(lastValue(v, "include_variants")):
			f.Parts = variants
		default:
			f.Part = &pk
		}
	}
	if pk, ok := q.pk("user"); ok {
		if s.cfg.Users != nil {
			if _, err := s.cfg.Users.User(ctx, pk); errors.Is(err, domain.ErrNotFound) {
				q.errs.Add("user", msgInvalidChoice)
			} else if err != nil {
				return err
			}
		}
		f.User = &pk
	}
	f.MinDate = queryDate(q, "min_date")
	f.MaxDate = queryDate(q, "max_date")
	if f.MaxDate != nil {
		end := f.MaxDate.AddDate(0, 0, 1).Add(-time.Nanosecond) // the whole day
		f.MaxDate = &end
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	f.Search, f.Ordering = searchParam(v), lastValue(v, "ordering")
	f.Limit, f.Offset = lq.Limit, lq.Offset
	entries, total, err := s.cfg.Stock.ListTracking(ctx, f)
	if err != nil {
		return err
	}
	rows, err := s.trackingDetails(ctx, entries, str2bool(lastValue(v, "item_detail")), str2bool(lastValue(v, "user_detail")))
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// trackingDetails adds the item and user details asked for: the items in one query,
// each user once.
func (s *server) trackingDetails(ctx context.Context, entries []stockrm.TrackingEntry, itemDetail, userDetail bool) ([]trackingBody, error) {
	out := make([]trackingBody, len(entries))
	for i, e := range entries {
		out[i].TrackingEntry = e
	}
	if itemDetail {
		var pks []int64
		for _, e := range entries {
			if e.Item != nil && !slices.Contains(pks, *e.Item) {
				pks = append(pks, *e.Item)
			}
		}
		items := map[int64]stockrm.Item{}
		if len(pks) > 0 {
			// The nested StockItemSerializer keeps its own defaults: part and location
			// details on.
			list, _, err := s.cfg.Stock.ListItems(ctx, stockrm.ItemFilter{PKs: pks, PartDetail: true, LocationDetail: true, Today: s.now()})
			if err != nil {
				return nil, err
			}
			for _, it := range list {
				items[it.PK] = it
			}
		}
		for i := range out {
			out[i].ItemDetail.Requested = true
			if e := out[i].Item; e != nil {
				if it, ok := items[*e]; ok {
					out[i].ItemDetail.Value = &it
				}
			}
		}
	}
	if userDetail {
		users := map[int64]*userRefBody{}
		for i := range out {
			out[i].UserDetail.Requested = true
			pk := out[i].User
			if pk == nil || s.cfg.Users == nil {
				continue
			}
			ref, seen := users[*pk]
			if !seen {
				u, err := s.cfg.Users.User(ctx, *pk)
				if err != nil && !errors.Is(err, domain.ErrNotFound) {
					return nil, err
				}
				if err == nil {
					ref = &userRefBody{PK: u.PK, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email}
				}
				users[*pk] = ref
			}
			out[i].UserDetail.Value = ref
		}
	}
	return out, nil
}

func (s *server) getTracking(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	e, err := s.cfg.Stock.GetTracking(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}
