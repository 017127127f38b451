package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/orders"
)

// The purchase order area: orders, their lines and extra lines, their transitions and
// receipts, as InvenTree's order/api.py serves them (API 530). Everything needs the
// purchase_order role, each permission chosen by the method; the actions (issue, hold,
// cancel, complete, receive) are POSTs and need purchase_order.add, as in InvenTree.
//
// Not served (yet): project codes and external build orders (a non-null one names
// nothing that exists), duplicate options, parameters, attachments, price breaks and
// auto pricing, bulk deletes on the list URLs, and moving a line to another order.

// OrderQueries answers the purchase orders read model (projections/orders.ReadModel).
type OrderQueries interface {
	GetOrder(ctx context.Context, pk int64, d orders.OrderDetail) (orders.Order, error)
	ListOrders(ctx context.Context, f orders.OrderFilter) ([]orders.Order, int, error)
	NextReference(ctx context.Context) (string, error)
	GetLine(ctx context.Context, pk int64, d orders.LineDetail) (orders.Line, error)
	ListLines(ctx context.Context, f orders.LineFilter) ([]orders.Line, int, error)
	GetExtraLine(ctx context.Context, pk int64, orderDetail bool) (orders.ExtraLine, error)
	ListExtraLines(ctx context.Context, f orders.ExtraLineFilter) ([]orders.ExtraLine, int, error)
}

var _ OrderQueries = (*orders.ReadModel)(nil)

// OrderCommands runs the purchase order commands (commands.OrderHandlers).
type OrderCommands interface {
	CreateOrder(ctx context.Context, f order.Fields) (int64, commands.Result, error)
	UpdateOrder(ctx context.Context, pk int64, p order.Patch) (commands.Result, error)
	DeleteOrder(ctx context.Context, pk int64) (commands.Result, error)
	AddLine(ctx context.Context, orderPK int64, f order.LineFields, merge bool) (int64, commands.Result, error)
	UpdateLine(ctx context.Context, pk, to int64, p order.LinePatch) (commands.Result, error)
	DeleteLine(ctx context.Context, pk int64) (commands.Result, error)
	AddExtraLine(ctx context.Context, orderPK int64, f order.ExtraLineFields) (int64, commands.Result, error)
	UpdateExtraLine(ctx context.Context, pk, to int64, p order.ExtraLinePatch) (commands.Result, error)
	DeleteExtraLine(ctx context.Context, pk int64) (commands.Result, error)
}

var _ OrderCommands = (*commands.OrderHandlers)(nil)

// orderRoutes registers the purchase order area. It needs the company area (orders
// name companies and supplier parts); without its dependencies it is not served.
func (s *server) orderRoutes(r chi.Router) {
	if s.cfg.Orders == nil || s.cfg.OrderCommands == nil || s.cfg.Companies == nil {
		return
	}
	role := user.RolePurchaseOrder
	q, cmd := s.cfg.Orders, s.cfg.OrderCommands
	orderCRUD := crud[order.Patch]{
		projection: orders.Name,
		exists:     func(ctx context.Context, pk int64) error { return ignore(q.GetOrder(ctx, pk, orders.OrderDetail{})) },
		read:       readOrder, check: s.checkOrderRefs,
		create: func(ctx context.Context, p order.Patch) (int64, commands.Result, error) {
			a, _ := AccessFrom(ctx)
			f := p.Apply(order.Fields{})
			f.CreatedBy = a.UserID
			return cmd.CreateOrder(ctx, f)
		},
		update: cmd.UpdateOrder, remove: cmd.DeleteOrder, write: s.writeOrder,
	}
	lineCRUD := crud[lineRequest]{
		projection: orders.Name,
		exists:     func(ctx context.Context, pk int64) error { return ignore(q.GetLine(ctx, pk, orders.LineDetail{})) },
		read:       readLine, check: s.checkLineRefs,
		create: func(ctx context.Context, req lineRequest) (int64, commands.Result, error) {
			f := req.patch.Apply(order.LineFields{PurchasePriceCurrency: company.DefaultCurrency})
			return cmd.AddLine(ctx, req.order, f, req.merge)
		},
		update: func(ctx context.Context, pk int64, req lineRequest) (commands.Result, error) {
			return cmd.UpdateLine(ctx, pk, req.order, req.patch)
		},
		remove: cmd.DeleteLine, write: s.writeLine,
	}
	extraCRUD := crud[extraLineRequest]{
		projection: orders.Name,
		exists:     func(ctx context.Context, pk int64) error { return ignore(q.GetExtraLine(ctx, pk, false)) },
		read:       readExtraLine, check: s.checkExtraLineRefs,
		create: func(ctx context.Context, req extraLineRequest) (int64, commands.Result, error) {
			return cmd.AddExtraLine(ctx, req.order, req.patch.Apply(order.ExtraLineFields{PriceCurrency: company.DefaultCurrency}))
		},
		update: func(ctx context.Context, pk int64, req extraLineRequest) (commands.Result, error) {
			return cmd.UpdateExtraLine(ctx, pk, req.order, req.patch)
		},
		remove: cmd.DeleteExtraLine, write: s.writeExtraLine,
	}
	nextReference := func(r *http.Request) (map[string]any, error) {
		ref, err := q.NextReference(r.Context())
		if err != nil {
			return nil, err
		}
		return map[string]any{"reference": ref}, nil
	}

	s.handle(r, "/order/po/", endpoint{Role: role, Get: s.listOrders, Post: createHandler(s, orderCRUD), Meta: meta{
		Name:        "Purchase Order List",
		Description: "API endpoint for accessing a list of PurchaseOrder objects.\n\n- GET: Return list of PurchaseOrder objects (with filters)\n- POST: Create a new PurchaseOrder object",
		Model:       "purchaseorder", Fields: orderFields(), Defaults: nextReference,
	}})
	s.handle(r, "/order/po/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(orderCRUD), Put: updateHandler(s, orderCRUD),
		Patch: updateHandler(s, orderCRUD), Delete: deleteHandler(s, orderCRUD), Meta: meta{
			Name: "Purchase Order Detail", Description: "API endpoint for detail view of a PurchaseOrder object.",
			Model: "purchaseorder", Fields: orderFields(),
		}})
	s.handle(r, "/order/po-line/", endpoint{Role: role, Get: s.listLines, Post: createHandler(s, lineCRUD), Meta: meta{
		Name:        "Purchase Order Line Item List",
		Description: "API endpoint for accessing a list of PurchaseOrderLineItem objects.\n\n- GET: Return a list of PurchaseOrder Line Item objects\n- POST: Create a new PurchaseOrderLineItem object",
		Model:       "purchaseorderlineitem", Fields: lineFields(),
	}})
	s.handle(r, "/order/po-line/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(lineCRUD), Put: updateHandler(s, lineCRUD),
		Patch: updateHandler(s, lineCRUD), Delete: deleteHandler(s, lineCRUD), Meta: meta{
			Name: "Purchase Order Line Item Detail", Description: "Detail API endpoint for PurchaseOrderLineItem object.",
			Model: "purchaseorderlineitem", Fields: lineFields(),
		}})
	s.handle(r, "/order/po-extra-line/", endpoint{Role: role, Get: s.listExtraLines, Post: createHandler(s, extraCRUD), Meta: meta{
		Name: "Purchase Order Extra Line List", Description: "API endpoint for accessing a list of PurchaseOrderExtraLine objects.",
		Model: "purchaseorderextraline", Fields: extraLineFields(),
	}})
	s.handle(r, "/order/po-extra-line/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(extraCRUD), Put: updateHandler(s, extraCRUD),
		Patch: updateHandler(s, extraCRUD), Delete: deleteHandler(s, extraCRUD), Meta: meta{
			Name: "Purchase Order Extra Line Detail", Description: "API endpoint for detail view of a PurchaseOrderExtraLine object.",
			Model: "purchaseorderextraline", Fields: extraLineFields(),
		}})
}

// ---- orders ----

func (s *server) writeOrder(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	o, err := s.cfg.Orders.GetOrder(r.Context(), pk, orders.OrderDetail{Supplier: str2bool(lastValue(r.URL.Query(), "supplier_detail"))})
	if err != nil {
		return err
	}
	return writeJSON(w, status, o)
}

// optDate reads a nullable date field for a patch: "" for null.
func optDate(b *body, name string) *string {
	if b.isNull(name) {
		empty := ""
		return &empty
	}
	if t, ok := b.date(name); ok {
		d := t.Format(time.DateOnly)
		return &d
	}
	return nil
}

// notModelled refuses a reference to something Stockledger does not keep yet (project
// codes, external builds): any pk names nothing.
func notModelled(b *body, name string) {
	if pk := optPK(b, name); pk != nil && *pk != 0 {
		b.invalid(name, fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", *pk))
	}
}

// readOrder reads PurchaseOrderSerializer's writable fields; absent fields stay nil.
func readOrder(b *body) order.Patch {
	var p order.Patch
	p.Reference = optStr(b, "reference", required)
	p.Description = optStr(b, "description", allowBlank, maxLength(250))
	if v, ok := b.pk("supplier", required, nullable); ok {
		p.Supplier = &v
	} else if b.isNull("supplier") {
		var none int64
		p.Supplier = &none
	}
	p.SupplierReference = optStr(b, "supplier_reference", allowBlank, maxLength(64))
	p.Link = optURL(b, "link", maxLength(2000))
	p.CreationDate = optDate(b, "creation_date")
	p.StartDate = optDate(b, "start_date")
	p.TargetDate = optDate(b, "target_date")
	p.Responsible = optPK(b, "responsible")
	p.Contact = optPK(b, "contact")
	p.Address = optPK(b, "address")
	p.Notes = optStr(b, "notes", allowBlank, nullable, maxLength(50000))
	if b.isNull("order_currency") {
		empty := ""
		p.OrderCurrency = &empty
	} else if v, ok := b.choice("order_currency", append([]string{""}, company.Currencies...)); ok {
		p.OrderCurrency = &v
	}
	p.Destination = optPK(b, "destination")
	notModelled(b, "project_code")
	return p
}

// checkOrderRefs checks what the order commands cannot: the responsible owner, the
// destination, and that the contact and address exist (the contact's company is the
// command's to check).
func (s *server) checkOrderRefs(ctx context.Context, p order.Patch) error {
	if err := s.checkStockOwner(ctx, "responsible", p.Responsible); err != nil {
		return err
	}
	if err := s.checkLocation(ctx, "destination", p.Destination); err != nil {
		return err
	}
	if pk := p.Contact; pk != nil && *pk != 0 {
		if _, err := s.cfg.Companies.GetContact(ctx, *pk); errors.Is(err, domain.ErrNotFound) {
			return &domain.NotFoundError{Kind: "Contact", ID: *pk, Field: "contact"}
		} else if err != nil {
			return err
		}
	}
	if pk := p.Address; pk != nil && *pk != 0 {
		if _, err := s.cfg.Companies.GetAddress(ctx, *pk); errors.Is(err, domain.ErrNotFound) {
			return &domain.NotFoundError{Kind: "Address", ID: *pk, Field: "address"}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// queryDateText reads a date filter as YYYY-MM-DD.
func queryDateText(q *query, name string) *string {
	t := queryDate(q, name)
	if t == nil {
		return nil
	}
	d := t.Format(time.DateOnly)
	return &d
}

func (s *server) listOrders(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f orders.OrderFilter
	for _, ref := range []struct {
		name string
		dst  **int64
	}{{"supplier", &f.Supplier}, {"supplier_part", &f.SupplierPart}, {"part", &f.Part},
		{"created_by", &f.CreatedBy}, {"assigned_to", &f.AssignedTo}} {
		if pk, ok := q.pk(ref.name); ok {
			*ref.dst = &pk
		}
	}
	if n, ok := q.integer("status"); ok {
		code := int(n)
		f.Status = &code
	}
	if v, ok := q.str("reference"); ok {
		f.Reference = &v
	}
	f.Outstanding = optQueryBool(q, "outstanding")
	f.Overdue = optQueryBool(q, "overdue")
	f.HasTargetDate = optQueryBool(q, "has_target_date")
	f.HasStartDate = optQueryBool(q, "has_start_date")
	f.HasProjectCode = optQueryBool(q, "has_project_code")
	if v := optQueryBool(q, "assigned_to_me"); v != nil {
		a, _ := AccessFrom(ctx)
		f.AssignedToMe, f.Me = v, a.UserID
	}
	for _, d := range []struct {
		name string
		dst  **string
	}{{"created_before", &f.CreatedBefore}, {"created_after", &f.CreatedAfter},
		{"target_date_before", &f.TargetBefore}, {"target_date_after", &f.TargetAfter},
		{"start_date_before", &f.StartBefore}, {"start_date_after", &f.StartAfter},
		{"completed_before", &f.CompletedBefore}, {"completed_after", &f.CompletedAfter},
		{"updated_before", &f.UpdatedBefore}, {"updated_after", &f.UpdatedAfter},
		{"min_date", &f.MinDate}, {"max_date", &f.MaxDate}} {
		*d.dst = queryDateText(q, d.name)
	}
	// ModelChoiceFilters refuse a pk that names nothing.
	if err := s.companyChoice(ctx, q, "supplier", f.Supplier); err != nil {
		return err
	}
	if err := s.partChoice(ctx, q, "part", f.Part); err != nil {
		return err
	}
	if f.SupplierPart != nil {
		if _, err := s.cfg.Companies.GetSupplierPart(ctx, *f.SupplierPart, companies.SupplierPartDetail{}); errors.Is(err, domain.ErrNotFound) {
			q.errs.Add("supplier_part", msgInvalidChoice)
		} else if err != nil {
			return err
		}
	}
	if _, ok := q.str("project_code"); ok {
		q.errs.Add("project_code", msgInvalidChoice)
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, orderingOf(orders.OrderOrdering, "o.pk", "-reference"))
	f.List = listOf(lq)
	f.OrderDetail = orders.OrderDetail{Supplier: str2bool(lastValue(r.URL.Query(), "supplier_detail"))}
	rows, total, err := s.cfg.Orders.ListOrders(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// ---- lines ----

func lineDetail(r *http.Request) orders.LineDetail {
	v := r.URL.Query()
	return orders.LineDetail{Order: str2bool(lastValue(v, "order_detail")), Part: str2bool(lastValue(v, "part_detail"))}
}

func (s *server) writeLine(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	l, err := s.cfg.Orders.GetLine(r.Context(), pk, lineDetail(r))
	if err != nil {
		return err
	}
	return writeJSON(w, status, l)
}

// lineRequest is a line write: its order, its fields, and whether a new line merges
// into a matching one (merge_items).
type lineRequest struct {
	order int64
	patch order.LinePatch
	merge bool
}

// readDecimal reads a number field (InvenTree's FloatFields on lines) as a decimal,
// rounded to the 5 places the column keeps.
func readDecimal(b *body, name string, opts ...fieldOpt) *decimal.Decimal {
	if v, ok := b.decimal(name, opts...); ok {
		v = v.Round(5)
		return &v
	}
	return nil
}

func readLine(b *body) lineRequest {
	var req lineRequest
	req.order, _ = b.pk("order", required)
	var p order.LinePatch
	if v, ok := b.pk("part", required, nullable); ok {
		p.SupplierPart = &v
	} else if b.isNull("part") {
		var none int64
		p.SupplierPart = &none
	}
	p.Quantity = readDecimal(b, "quantity", required, minValue(0))
	p.Reference = optStr(b, "reference", allowBlank, maxLength(100))
	p.Notes = optStr(b, "notes", allowBlank, maxLength(500))
	p.Link = optURL(b, "link", maxLength(2000))
	p.TargetDate = optDate(b, "target_date")
	if price := readMoney(b, "purchase_price"); price != nil {
		p.SetPrice = true
		if price.Valid {
			p.PurchasePrice = &price.Decimal
		}
	}
	if v, ok := b.choice("purchase_price_currency", company.Currencies); ok {
		p.PurchasePriceCurrency = &v
	}
	p.Destination = optPK(b, "destination")
	p.LineNumber = optStr(b, "line", allowBlank, maxLength(20))
	p.Discount = readDecimal(b, "discount")
	req.merge = true
	if v, ok := b.boolean("merge_items"); ok {
		req.merge = v
	}
	b.boolean("auto_pricing")
	notModelled(b, "build_order")
	notModelled(b, "project_code")
	req.patch = p
	return req
}

// checkLineRefs checks what the order commands cannot: that the order named exists, and
// the destination.
func (s *server) checkLineRefs(ctx context.Context, req lineRequest) error {
	if err := s.orderRef(ctx, req.order); err != nil {
		return err
	}
	return s.checkLocation(ctx, "destination", req.patch.Destination)
}

// orderRef answers an order pk that names no order with DRF's invalid pk on "order".
func (s *server) orderRef(ctx context.Context, pk int64) error {
	if pk == 0 {
		return nil
	}
	if _, err := s.cfg.Orders.GetOrder(ctx, pk, orders.OrderDetail{}); errors.Is(err, domain.ErrNotFound) {
		return &domain.NotFoundError{Kind: "PurchaseOrder", ID: pk, Field: "order"}
	} else if err != nil {
		return err
	}
	return nil
}

func (s *server) listLines(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f orders.LineFilter
	if pk, ok := q.pk("order"); ok {
		f.Order = &pk
	}
	if pk, ok := q.pk("part"); ok {
		f.SupplierPart = &pk
	}
	basePart, hasBase := q.pk("base_part")
	if n, ok := q.integer("order_status"); ok {
		code := int(n)
		f.OrderStatus = &code
	}
	f.OrderComplete = optQueryBool(q, "order_complete")
	f.Pending = optQueryBool(q, "pending")
	f.Received = optQueryBool(q, "received")
	f.HasPricing = optQueryBool(q, "has_pricing")
	if f.Order != nil {
		if _, err := s.cfg.Orders.GetOrder(ctx, *f.Order, orders.OrderDetail{}); errors.Is(err, domain.ErrNotFound) {
			q.errs.Add("order", msgInvalidChoice)
		} else if err != nil {
			return err
		}
	}
	if f.SupplierPart != nil {
		if _, err := s.cfg.Companies.GetSupplierPart(ctx, *f.SupplierPart, companies.SupplierPartDetail{}); errors.Is(err, domain.ErrNotFound) {
			q.errs.Add("part", msgInvalidChoice)
		} else if err != nil {
			return err
		}
	}
	if hasBase {
		if err := s.partChoice(ctx, q, "base_part", &basePart); err != nil {
			return err
		}
		f.BaseParts = []int64{basePart}
		if str2bool(lastValue(r.URL.Query(), "include_variants")) && s.cfg.Stock != nil {
			variants, err := s.cfg.Stock.PartVariants(ctx, basePart)
			if err != nil {
				return err
			}
			if variants != nil {
				f.BaseParts = variants
			}
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, orderingOf(orders.LineOrdering, "l.pk"))
	f.List = listOf(lq)
	f.LineDetail = lineDetail(r)
	rows, total, err := s.cfg.Orders.ListLines(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

// ---- extra lines ----

func (s *server) writeExtraLine(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	x, err := s.cfg.Orders.GetExtraLine(r.Context(), pk, str2bool(lastValue(r.URL.Query(), "order_detail")))
	if err != nil {
		return err
	}
	return writeJSON(w, status, x)
}

// extraLineRequest is an extra line write: its order and its fields.
type extraLineRequest struct {
	order int64
	patch order.ExtraLinePatch
}

func readExtraLine(b *body) extraLineRequest {
	var req extraLineRequest
	req.order, _ = b.pk("order", required)
	var p order.ExtraLinePatch
	p.Quantity = readDecimal(b, "quantity", required)
	p.Description = optStr(b, "description", allowBlank, maxLength(250))
	p.Reference = optStr(b, "reference", allowBlank, maxLength(100))
	p.Notes = optStr(b, "notes", allowBlank, maxLength(500))
	p.Link = optURL(b, "link", maxLength(2000))
	p.TargetDate = optDate(b, "target_date")
	if price := readMoney(b, "price"); price != nil {
		p.SetPrice = true
		if price.Valid {
			p.Price = &price.Decimal
		}
	}
	if v, ok := b.choice("price_currency", company.Currencies); ok {
		p.PriceCurrency = &v
	}
	p.LineNumber = optStr(b, "line", allowBlank, maxLength(20))
	p.Discount = readDecimal(b, "discount")
	notModelled(b, "project_code")
	req.patch = p
	return req
}

func (s *server) checkExtraLineRefs(ctx context.Context, req extraLineRequest) error {
	return s.orderRef(ctx, req.order)
}

func (s *server) listExtraLines(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f orders.ExtraLineFilter
	if pk, ok := q.pk("order"); ok {
		f.Order = &pk
		if _, err := s.cfg.Orders.GetOrder(ctx, pk, orders.OrderDetail{}); errors.Is(err, domain.ErrNotFound) {
			q.errs.Add("order", msgInvalidChoice)
		} else if err != nil {
			return err
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, orderingOf(orders.ExtraLineOrdering, "x.pk"))
	f.List = listOf(lq)
	f.OrderDetail = str2bool(lastValue(r.URL.Query(), "order_detail"))
	rows, total, err := s.cfg.Orders.ListExtraLines(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}
