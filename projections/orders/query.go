package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/listsql"
	"github.com/stockledger/stockledger/projections/parts"
)

// ReadModel answers the purchase orders read model's queries.
type ReadModel struct {
	db        listsql.DB
	companies *companies.ReadModel
	// now is the clock that tells what is overdue.
	now func() time.Time
}

// NewReadModel serves the read model from pool; companies renders what orders show of
// companies and supplier parts.
func NewReadModel(pool *pgxpool.Pool, companies *companies.ReadModel) *ReadModel {
	return &ReadModel{db: pool, companies: companies, now: time.Now}
}

func (m *ReadModel) today() string { return m.now().Format(time.DateOnly) }

// User is InvenTree's UserSerializer, as an order shows who created it.
type User struct {
	PK        int64  `json:"pk"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
}

// Order is InvenTree's PurchaseOrderSerializer (API 530), without parameters and
// project codes (not modelled: always null).
type Order struct {
	PK                int64                                `json:"pk"`
	CreatedBy         *User                                `json:"created_by"`
	CreationDate      *string                              `json:"creation_date"`
	IssueDate         *string                              `json:"issue_date"`
	StartDate         *string                              `json:"start_date"`
	TargetDate        *string                              `json:"target_date"`
	Description       string                               `json:"description"`
	LineItems         int64                                `json:"line_items"`
	CompletedLines    int64                                `json:"completed_lines"`
	Link              string                               `json:"link"`
	ProjectCode       *int64                               `json:"project_code"`
	ProjectCodeLabel  *string                              `json:"project_code_label"`
	ProjectCodeDetail *json.RawMessage                     `json:"project_code_detail"`
	Reference         string                               `json:"reference"`
	Responsible       *int64                               `json:"responsible"`
	ResponsibleDetail *json.RawMessage                     `json:"responsible_detail"`
	Contact           *int64                               `json:"contact"`
	ContactDetail     *companies.Contact                   `json:"contact_detail"`
	Address           *int64                               `json:"address"`
	AddressDetail     *companies.AddressBrief              `json:"address_detail"`
	Status            int                                  `json:"status"`
	StatusText        string                               `json:"status_text"`
	StatusCustomKey   int                                  `json:"status_custom_key"`
	Notes             *string                              `json:"notes"`
	BarcodeHash       string                               `json:"barcode_hash"`
	Overdue           bool                                 `json:"overdue"`
	CompleteDate      *string                              `json:"complete_date"`
	Supplier          *int64                               `json:"supplier"`
	SupplierDetail    parts.Detail[companies.CompanyBrief] `json:"supplier_detail,omitzero"`
	SupplierReference string                               `json:"supplier_reference"`
	SupplierName      string                               `json:"supplier_name"`
	TotalPrice        *string                              `json:"total_price"`
	OrderCurrency     *string                              `json:"order_currency"`
	Destination       *int64                               `json:"destination"`
	UpdatedAt         *string                              `json:"updated_at"`
	Tags              []string                             `json:"tags"`
}

// currencySQL is an order's currency: its own, else its supplier's, else the default.
const currencySQL = `coalesce(o.order_currency, sc.currency, '` + "USD" + `')`

// TotalSQL is an order's total price in its currency (TotalPriceMixin): every priced
// line's and extra line's quantity times price. InvenTree converts other currencies
// with exchange rates, which the ledger does not hold: as InvenTree does when a
// conversion fails, such an order has no total.
const TotalSQL = `CASE WHEN EXISTS (SELECT 1 FROM purchase_order_lines l WHERE l.purchase_order = o.pk
		AND l.purchase_price IS NOT NULL AND l.purchase_price_currency <> ` + currencySQL + `)
	OR EXISTS (SELECT 1 FROM purchase_order_extra_lines x WHERE x.purchase_order = o.pk
		AND x.price IS NOT NULL AND x.price_currency <> ` + currencySQL + `) THEN NULL
	ELSE coalesce((SELECT sum(l.quantity * l.purchase_price) FROM purchase_order_lines l WHERE l.purchase_order = o.pk), 0)
		+ coalesce((SELECT sum(x.quantity * x.price) FROM purchase_order_extra_lines x WHERE x.purchase_order = o.pk), 0) END`

// responsibleSQL renders an order's responsible owner as InvenTree's OwnerSerializer:
// owner pks are even for users, odd for groups (see api.OwnerPK).
const responsibleSQL = `CASE WHEN o.responsible IS NULL THEN NULL
	WHEN o.responsible % 2 = 0 THEN (SELECT json_build_object('pk', o.responsible, 'owner_id', u.pk,
		'owner_model', 'user', 'name', u.username, 'label', 'user') FROM users u WHERE u.pk = o.responsible / 2)
	ELSE (SELECT json_build_object('pk', o.responsible, 'owner_id', g.pk, 'owner_model', 'group',
		'name', g.name, 'label', 'group') FROM user_groups g WHERE g.pk = (o.responsible - 1) / 2) END`

const lineItemsSQL = `(SELECT count(*) FROM purchase_order_lines l WHERE l.purchase_order = o.pk)`

const orderColumns = `o.pk, u.pk, u.username, u.first_name, u.last_name, u.email, o.creation_date::text,
	o.issue_date::text, o.start_date::text, o.target_date::text, o.description, ` + lineItemsSQL + `,
	(SELECT count(*) FROM purchase_order_lines l WHERE l.purchase_order = o.pk AND l.quantity <= l.received),
	o.link, o.reference, o.responsible, (` + responsibleSQL + `)::text, o.contact, o.address, o.status, o.notes,
	o.complete_date::text, o.supplier, o.supplier_reference, coalesce(sc.name, ''), round(` + TotalSQL + `, 6)::text,
	o.order_currency, o.destination, o.updated_at`

const orderFrom = `purchase_orders o LEFT JOIN companies sc ON sc.pk = o.supplier LEFT JOIN users u ON u.pk = o.created_by`

func (m *ReadModel) scanOrder(today string) func(pgx.Row) (Order, error) {
	return func(row pgx.Row) (Order, error) {
		var o Order
		var upk *int64
		var username, first, last, email *string
		var responsible *string
		var notes string
		var updated time.Time
		if err := row.Scan(&o.PK, &upk, &username, &first, &last, &email, &o.CreationDate, &o.IssueDate,
			&o.StartDate, &o.TargetDate, &o.Description, &o.LineItems, &o.CompletedLines, &o.Link, &o.Reference,
			&o.Responsible, &responsible, &o.Contact, &o.Address, &o.Status, &notes, &o.CompleteDate, &o.Supplier,
			&o.SupplierReference, &o.SupplierName, &o.TotalPrice, &o.OrderCurrency, &o.Destination, &updated); err != nil {
			return Order{}, err
		}
		if upk != nil {
			o.CreatedBy = &User{PK: *upk, Username: *username, FirstName: *first, LastName: *last, Email: *email}
		}
		if responsible != nil {
			raw := json.RawMessage(*responsible)
			o.ResponsibleDetail = &raw
		}
		o.StatusText = status.PurchaseOrderStatus(o.Status).Label()
		o.StatusCustomKey = o.Status
		if notes != "" {
			o.Notes = &notes
		}
		open := status.PurchaseOrderStatus(o.Status).Open()
		o.Overdue = open && o.TargetDate != nil && *o.TargetDate < today
		u := updated.UTC().Format(companies.DateTimeFormat)
		o.UpdatedAt = &u
		o.Tags = []string{}
		return o, nil
	}
}

// OrderDetail says which detail blocks an order shows.
type OrderDetail struct {
	Supplier bool
}

// GetOrder returns order pk, or a domain.NotFoundError.
func (m *ReadModel) GetOrder(ctx context.Context, pk int64, d OrderDetail) (Order, error) {
	rows, err := listsql.Scan(ctx, m.db, "SELECT "+orderColumns+" FROM "+orderFrom+" WHERE o.pk = $1", []any{pk}, m.scanOrder(m.today()))
	if err != nil {
		return Order{}, fmt.Errorf("purchase order %d: %w", pk, err)
	}
	if len(rows) == 0 {
		return Order{}, &domain.NotFoundError{Kind: "PurchaseOrder", ID: pk}
	}
	if err := m.orderDetails(ctx, rows, d); err != nil {
		return Order{}, err
	}
	return rows[0], nil
}

// Orders returns the orders pks by pk, for the lines that show their order.
func (m *ReadModel) Orders(ctx context.Context, pks []int64) (map[int64]Order, error) {
	out := map[int64]Order{}
	if len(pks) == 0 {
		return out, nil
	}
	rows, err := listsql.Scan(ctx, m.db, "SELECT "+orderColumns+" FROM "+orderFrom+" WHERE o.pk = ANY($1)", []any{pks}, m.scanOrder(m.today()))
	if err != nil {
		return nil, fmt.Errorf("purchase orders: %w", err)
	}
	if err := m.orderDetails(ctx, rows, OrderDetail{}); err != nil {
		return nil, err
	}
	for _, o := range rows {
		out[o.PK] = o
	}
	return out, nil
}

// OrderFilter selects orders (PurchaseOrderFilter). Nil fields do not filter.
type OrderFilter struct {
	Supplier, SupplierPart, Part, CreatedBy, AssignedTo *int64
	Status                                              *int
	Reference                                           *string
	Outstanding, Overdue, HasTargetDate, HasStartDate   *bool
	HasProjectCode                                      *bool
	// AssignedToMe selects orders whose responsible owner is the user Me or one of
	// their groups (or, false, the others).
	AssignedToMe *bool
	Me           int64
	// Date bounds, YYYY-MM-DD, exclusive as InvenTree's lt / gt lookups.
	CreatedBefore, CreatedAfter, TargetBefore, TargetAfter, StartBefore, StartAfter *string
	CompletedBefore, CompletedAfter, UpdatedBefore, UpdatedAfter                    *string
	// MinDate and MaxDate are the calendar's range (filter_min_date, filter_max_date).
	MinDate, MaxDate *string
	OrderDetail
	listsql.List
}

// OrderOrdering maps PurchaseOrderList's ordering names (with its aliases) to SQL.
var OrderOrdering = map[string][]string{
	"creation_date": {"o.creation_date"}, "created_by": {"o.created_by"},
	"reference": {"o.reference_int", "o.reference"}, "supplier__name": {"sc.name"},
	"start_date": {"o.start_date"}, "target_date": {"o.target_date"}, "complete_date": {"o.complete_date"},
	"line_items": {lineItemsSQL}, "status": {"o.status"}, "responsible": {"o.responsible"},
	"total_price": {"(" + TotalSQL + ")"}, "project_code": {"NULL::text"}, "updated_at": {"o.updated_at"},
}

// ListOrders returns a page of the orders f selects, and how many it selects.
func (m *ReadModel) ListOrders(ctx context.Context, f OrderFilter) ([]Order, int, error) {
	today := m.today()
	q := &listsql.Query{}
	listsql.Equal(q, "o.supplier", f.Supplier)
	if f.SupplierPart != nil {
		q.Cond("o.pk IN (SELECT purchase_order FROM purchase_order_lines WHERE supplier_part = " + q.Arg(*f.SupplierPart) + ")")
	}
	if f.Part != nil {
		q.Cond("o.pk IN (SELECT l.purchase_order FROM purchase_order_lines l JOIN supplier_parts s ON s.pk = l.supplier_part WHERE s.part = " + q.Arg(*f.Part) + ")")
	}
	listsql.Equal(q, "o.created_by", f.CreatedBy)
	listsql.Equal(q, "o.responsible", f.AssignedTo)
	listsql.Equal(q, "o.status", f.Status)
	if f.Reference != nil {
		q.Cond("upper(o.reference) = upper(" + q.Arg(*f.Reference) + ")")
	}
	open := "o.status IN (10, 20, 25)"
	overdue := ""
	if f.Overdue != nil {
		overdue = open + " AND o.target_date IS NOT NULL AND o.target_date < " + q.Arg(today) + "::date"
	}
	for _, flag := range []struct {
		v    *bool
		cond string
	}{
		{f.Outstanding, open}, {f.Overdue, overdue},
		{f.HasTargetDate, "o.target_date IS NOT NULL"}, {f.HasStartDate, "o.start_date IS NOT NULL"},
		{f.HasProjectCode, "false"},
	} {
		if flag.v != nil {
			if *flag.v {
				q.Cond("(" + flag.cond + ")")
			} else {
				q.Cond("NOT (" + flag.cond + ")")
			}
		}
	}
	if f.AssignedToMe != nil {
		me := q.Arg(f.Me)
		mine := "o.responsible IS NOT NULL AND (o.responsible = 2 * " + me + " OR o.responsible IN " +
			"(SELECT 2 * group_pk + 1 FROM user_group_members WHERE user_pk = " + me + "))"
		if *f.AssignedToMe {
			q.Cond("(" + mine + ")")
		} else {
			q.Cond("NOT coalesce(" + mine + ", false)")
		}
	}
	for _, d := range []struct {
		v       *string
		col, op string
	}{
		{f.CreatedBefore, "o.creation_date", "<"}, {f.CreatedAfter, "o.creation_date", ">"},
		{f.TargetBefore, "o.target_date", "<"}, {f.TargetAfter, "o.target_date", ">"},
		{f.StartBefore, "o.start_date", "<"}, {f.StartAfter, "o.start_date", ">"},
		{f.CompletedBefore, "o.complete_date", "<"}, {f.CompletedAfter, "o.complete_date", ">"},
		{f.UpdatedBefore, "o.updated_at::date", "<"}, {f.UpdatedAfter, "o.updated_at::date", ">"},
	} {
		if d.v != nil {
			q.Cond(d.col + " " + d.op + " " + q.Arg(*d.v) + "::date")
		}
	}
	if f.MinDate != nil {
		p := q.Arg(*f.MinDate) + "::date"
		q.Cond("((o.creation_date >= " + p + " AND o.issue_date IS NULL AND o.start_date IS NULL) OR (o.issue_date >= " + p +
			" AND o.start_date IS NULL) OR o.start_date >= " + p + " OR o.target_date >= " + p + ")")
	}
	if f.MaxDate != nil {
		p := q.Arg(*f.MaxDate) + "::date"
		q.Cond("((o.creation_date <= " + p + " AND o.issue_date IS NULL AND o.start_date IS NULL) OR (o.issue_date <= " + p +
			" AND o.start_date IS NULL) OR o.start_date <= " + p + " OR o.target_date <= " + p + ")")
	}
	q.Search(f.List, "o.reference", "sc.name", "o.supplier_reference", "o.description")
	rows, total, err := listsql.Page(ctx, m.db, q, orderColumns, orderFrom, f.List, "o.reference_int DESC, o.reference DESC, o.pk DESC", m.scanOrder(today))
	if err != nil {
		return nil, 0, fmt.Errorf("purchase orders: %w", err)
	}
	if err := m.orderDetails(ctx, rows, f.OrderDetail); err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// orderDetails fills the contact, the address and, when asked, the supplier.
func (m *ReadModel) orderDetails(ctx context.Context, rows []Order, d OrderDetail) error {
	var suppliers []int64
	for i := range rows {
		o := &rows[i]
		if o.Supplier != nil {
			suppliers = append(suppliers, *o.Supplier)
		}
		if o.Contact != nil {
			c, err := m.companies.GetContact(ctx, *o.Contact)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			if err == nil {
				o.ContactDetail = &c
			}
		}
		if o.Address != nil {
			a, err := m.companies.GetAddress(ctx, *o.Address)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			if err == nil {
				b := a.Brief()
				o.AddressDetail = &b
			}
		}
	}
	if !d.Supplier {
		return nil
	}
	briefs, err := m.companies.CompanyBriefs(ctx, suppliers)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].SupplierDetail = parts.Detail[companies.CompanyBrief]{Requested: true}
		if s := rows[i].Supplier; s != nil {
			if b, ok := briefs[*s]; ok {
				rows[i].SupplierDetail.Value = &b
			}
		}
	}
	return nil
}

// NextReference is the reference InvenTree suggests for a new order (OPTIONS'
// default): after the order with the highest reference_int, the first reference no
// order holds.
func (m *ReadModel) NextReference(ctx context.Context) (string, error) {
	var ref string
	var refInt int64
	err := m.db.QueryRow(ctx, `SELECT reference, reference_int FROM purchase_orders
		ORDER BY reference_int DESC, pk DESC LIMIT 1`).Scan(&ref, &refInt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("latest purchase order: %w", err)
	}
	next := order.NextReference(ref, refInt)
	for range 100 {
		var taken bool
		if err := m.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE reference = $1)`, next).Scan(&taken); err != nil {
			return "", fmt.Errorf("next reference: %w", err)
		}
		if !taken {
			break
		}
		next = order.NextReference(next, order.ReferenceInt(next))
	}
	return next, nil
}

// ---- Lines ----

// Line is InvenTree's PurchaseOrderLineItemSerializer (API 530), without project codes
// and external builds (not modelled: always null).
type Line struct {
	PK                 int64                                `json:"pk"`
	Part               int64                                `json:"part"`
	Quantity           parts.Number                         `json:"quantity"`
	Reference          string                               `json:"reference"`
	Notes              string                               `json:"notes"`
	Order              int64                                `json:"order"`
	OrderDetail        parts.Detail[Order]                  `json:"order_detail,omitzero"`
	BuildOrder         *int64                               `json:"build_order"`
	BuildOrderDetail   *json.RawMessage                     `json:"build_order_detail"`
	Overdue            bool                                 `json:"overdue"`
	PartDetail         parts.Detail[json.RawMessage]        `json:"part_detail,omitzero"`
	SupplierPartDetail parts.Detail[companies.SupplierPart] `json:"supplier_part_detail,omitzero"`
	Received           parts.Number                         `json:"received"`
	PurchasePrice      *string                              `json:"purchase_price"`
	PurchasePriceCurr  string                               `json:"purchase_price_currency"`
	Destination        *int64                               `json:"destination"`
	DestinationDetail  *json.RawMessage                     `json:"destination_detail"`
	TargetDate         *string                              `json:"target_date"`
	TotalPrice         *string                              `json:"total_price"`
	Link               string                               `json:"link"`
	SKU                *string                              `json:"sku"`
	MPN                *string                              `json:"mpn"`
	IPN                *string                              `json:"ipn"`
	InternalPart       int64                                `json:"internal_part"`
	InternalPartName   string                               `json:"internal_part_name"`
	Line               string                               `json:"line"`
	Discount           parts.Number                         `json:"discount"`
	ProjectCode        *int64                               `json:"project_code"`
	ProjectCodeLabel   *string                              `json:"project_code_label"`
	ProjectCodeDetail  *json.RawMessage                     `json:"project_code_detail"`
}

// destinationSQL is where a line's items go (PurchaseOrderLineItem.get_destination):
// where its first items went, its destination, its part's default location.
const destinationSQL = `coalesce(l.received_location, l.destination, p.default_location)`

const lineColumns = `l.pk, l.supplier_part, l.quantity::text, l.reference, l.notes, l.purchase_order,
	l.received::text, round(l.purchase_price, 6)::text, l.purchase_price_currency, l.destination,
	(SELECT brief FROM stock_locations WHERE pk = ` + destinationSQL + `), l.target_date::text,
	round(l.quantity * l.purchase_price, 6)::text, l.link, s.sku, m.mpn, p.ipn, coalesce(s.part, 0),
	coalesce(p.name, ''), l.line, l.discount::text`

const lineFrom = `purchase_order_lines l LEFT JOIN supplier_parts s ON s.pk = l.supplier_part
	LEFT JOIN manufacturer_parts m ON m.pk = s.manufacturer_part LEFT JOIN parts p ON p.pk = s.part
	LEFT JOIN purchase_orders o ON o.pk = l.purchase_order`

func scanLine(today string) func(pgx.Row) (Line, error) {
	return func(row pgx.Row) (Line, error) {
		var l Line
		var qty, received, discount string
		var dest *string
		if err := row.Scan(&l.PK, &l.Part, &qty, &l.Reference, &l.Notes, &l.Order, &received, &l.PurchasePrice,
			&l.PurchasePriceCurr, &l.Destination, &dest, &l.TargetDate, &l.TotalPrice, &l.Link, &l.SKU, &l.MPN,
			&l.IPN, &l.InternalPart, &l.InternalPartName, &l.Line, &discount); err != nil {
			return Line{}, err
		}
		for _, n := range []struct {
			dst  *parts.Number
			text string
		}{{&l.Quantity, qty}, {&l.Received, received}, {&l.Discount, discount}} {
			d, err := decimal.NewFromString(n.text)
			if err != nil {
				return Line{}, fmt.Errorf("purchase order line %d: %q: %w", l.PK, n.text, err)
			}
			n.dst.Decimal = d
		}
		if dest != nil {
			raw := json.RawMessage(*dest)
			l.DestinationDetail = &raw
		}
		l.Overdue = l.Received.LessThan(l.Quantity.Decimal) && l.TargetDate != nil && *l.TargetDate < today
		return l, nil
	}
}

// LineDetail says which detail blocks a line shows: the order, and the part with the
// supplier part (both come with part_detail in InvenTree).
type LineDetail struct {
	Order, Part bool
}

// GetLine returns line pk, or a domain.NotFoundError.
func (m *ReadModel) GetLine(ctx context.Context, pk int64, d LineDetail) (Line, error) {
	rows, err := listsql.Scan(ctx, m.db, "SELECT "+lineColumns+" FROM "+lineFrom+" WHERE l.pk = $1", []any{pk}, scanLine(m.today()))
	if err != nil {
		return Line{}, fmt.Errorf("purchase order line %d: %w", pk, err)
	}
	if len(rows) == 0 {
		return Line{}, &domain.NotFoundError{Kind: "PurchaseOrderLineItem", ID: pk}
	}
	if err := m.lineDetails(ctx, rows, d); err != nil {
		return Line{}, err
	}
	return rows[0], nil
}

// LineFilter selects lines (PurchaseOrderLineItemFilter).
type LineFilter struct {
	Order, SupplierPart *int64
	// BaseParts selects lines whose supplier part is of one of these parts.
	BaseParts                        []int64
	OrderStatus                      *int
	OrderComplete, Pending, Received *bool
	HasPricing                       *bool
	LineDetail
	listsql.List
}

// LineOrdering maps PurchaseOrderLineItemList's ordering names (with its aliases).
var LineOrdering = map[string][]string{
	"MPN": {"m.mpn"}, "part_name": {"p.name"}, "purchase_price": {"l.purchase_price"}, "quantity": {"l.quantity"},
	"received": {"l.received"}, "reference": {"l.reference"}, "SKU": {"s.sku"}, "IPN": {"p.ipn"},
	"total_price": {"l.quantity * l.purchase_price"}, "target_date": {"l.target_date"}, "order": {"o.reference"},
	"status": {"l.order_status"}, "complete_date": {"o.complete_date"}, "line": {"l.line", "s.sku"},
}

// ListLines returns a page of lines.
func (m *ReadModel) ListLines(ctx context.Context, f LineFilter) ([]Line, int, error) {
	q := &listsql.Query{}
	listsql.Equal(q, "l.purchase_order", f.Order)
	listsql.Equal(q, "l.supplier_part", f.SupplierPart)
	if f.BaseParts != nil {
		q.Cond("s.part = ANY(" + q.Arg(f.BaseParts) + ")")
	}
	listsql.Equal(q, "l.order_status", f.OrderStatus)
	open := "l.order_status IN (10, 20, 25)"
	for _, flag := range []struct {
		v       *bool
		yes, no string
	}{
		{f.OrderComplete, "l.order_status = 30", "l.order_status <> 30"},
		{f.Pending, open, "NOT " + open},
		// Lines not received are counted on open orders only (filter_received).
		{f.Received, "l.received >= l.quantity", "l.received < l.quantity AND " + open},
		{f.HasPricing, "l.purchase_price IS NOT NULL", "l.purchase_price IS NULL"},
	} {
		if flag.v != nil {
			if *flag.v {
				q.Cond("(" + flag.yes + ")")
			} else {
				q.Cond("(" + flag.no + ")")
			}
		}
	}
	q.Search(f.List, "p.name", "p.description", "m.mpn", "s.sku", "l.reference")
	rows, total, err := listsql.Page(ctx, m.db, q, lineColumns, lineFrom, f.List, "l.pk", scanLine(m.today()))
	if err != nil {
		return nil, 0, fmt.Errorf("purchase order lines: %w", err)
	}
	if err := m.lineDetails(ctx, rows, f.LineDetail); err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

func (m *ReadModel) lineDetails(ctx context.Context, rows []Line, d LineDetail) error {
	var orderPKs, sps, partPKs []int64
	for _, l := range rows {
		orderPKs, sps, partPKs = append(orderPKs, l.Order), append(sps, l.Part), append(partPKs, l.InternalPart)
	}
	var ordersByPK map[int64]Order
	var supplierParts map[int64]companies.SupplierPart
	var briefs map[int64]json.RawMessage
	var err error
	if d.Order {
		if ordersByPK, err = m.Orders(ctx, orderPKs); err != nil {
			return err
		}
	}
	if d.Part {
		if supplierParts, err = m.companies.SupplierParts(ctx, sps, companies.SupplierPartDetail{}); err != nil {
			return err
		}
		if briefs, err = m.companies.PartBriefs(ctx, partPKs); err != nil {
			return err
		}
	}
	for i := range rows {
		l := &rows[i]
		if d.Order {
			l.OrderDetail = parts.Detail[Order]{Requested: true}
			if o, ok := ordersByPK[l.Order]; ok {
				l.OrderDetail.Value = &o
			}
		}
		if d.Part {
			l.PartDetail = parts.Detail[json.RawMessage]{Requested: true}
			if b, ok := briefs[l.InternalPart]; ok {
				l.PartDetail.Value = &b
			}
			l.SupplierPartDetail = parts.Detail[companies.SupplierPart]{Requested: true}
			if sp, ok := supplierParts[l.Part]; ok {
				l.SupplierPartDetail.Value = &sp
			}
		}
	}
	return nil
}

// ---- Extra lines ----

// ExtraLine is InvenTree's PurchaseOrderExtraLineSerializer (API 530).
type ExtraLine struct {
	PK                int64               `json:"pk"`
	Description       string              `json:"description"`
	Quantity          parts.Number        `json:"quantity"`
	Reference         string              `json:"reference"`
	Notes             string              `json:"notes"`
	Order             int64               `json:"order"`
	OrderDetail       parts.Detail[Order] `json:"order_detail,omitzero"`
	Price             *string             `json:"price"`
	PriceCurrency     string              `json:"price_currency"`
	Link              string              `json:"link"`
	Line              string              `json:"line"`
	Discount          parts.Number        `json:"discount"`
	TargetDate        *string             `json:"target_date"`
	TotalPrice        *string             `json:"total_price"`
	ProjectCode       *int64              `json:"project_code"`
	ProjectCodeLabel  *string             `json:"project_code_label"`
	ProjectCodeDetail *json.RawMessage    `json:"project_code_detail"`
}

const extraColumns = `x.pk, x.description, x.quantity::text, x.reference, x.notes, x.purchase_order,
	round(x.price, 6)::text, x.price_currency, x.link, x.line, x.discount::text, x.target_date::text,
	round(x.quantity * x.price, 6)::text`

func scanExtraLine(row pgx.Row) (ExtraLine, error) {
	var x ExtraLine
	var qty, discount string
	if err := row.Scan(&x.PK, &x.Description, &qty, &x.Reference, &x.Notes, &x.Order, &x.Price, &x.PriceCurrency,
		&x.Link, &x.Line, &discount, &x.TargetDate, &x.TotalPrice); err != nil {
		return ExtraLine{}, err
	}
	var err error
	if x.Quantity.Decimal, err = decimal.NewFromString(qty); err != nil {
		return ExtraLine{}, err
	}
	if x.Discount.Decimal, err = decimal.NewFromString(discount); err != nil {
		return ExtraLine{}, err
	}
	return x, nil
}

// GetExtraLine returns extra line pk, or a domain.NotFoundError.
func (m *ReadModel) GetExtraLine(ctx context.Context, pk int64, orderDetail bool) (ExtraLine, error) {
	rows, err := listsql.Scan(ctx, m.db, "SELECT "+extraColumns+" FROM purchase_order_extra_lines x WHERE x.pk = $1", []any{pk}, scanExtraLine)
	if err != nil {
		return ExtraLine{}, fmt.Errorf("purchase order extra line %d: %w", pk, err)
	}
	if len(rows) == 0 {
		return ExtraLine{}, &domain.NotFoundError{Kind: "PurchaseOrderExtraLine", ID: pk}
	}
	if err := m.extraDetails(ctx, rows, orderDetail); err != nil {
		return ExtraLine{}, err
	}
	return rows[0], nil
}

// ExtraLineFilter selects extra lines (GeneralExtraLineList).
type ExtraLineFilter struct {
	Order       *int64
	OrderDetail bool
	listsql.List
}

// ExtraLineOrdering maps the extra lines' ordering names.
var ExtraLineOrdering = map[string][]string{
	"quantity": {"x.quantity"}, "notes": {"x.notes"}, "reference": {"x.reference"}, "line": {"x.line"},
}

// ListExtraLines returns a page of extra lines.
func (m *ReadModel) ListExtraLines(ctx context.Context, f ExtraLineFilter) ([]ExtraLine, int, error) {
	q := &listsql.Query{}
	listsql.Equal(q, "x.purchase_order", f.Order)
	q.Search(f.List, "x.quantity", "x.notes", "x.reference", "x.description")
	rows, total, err := listsql.Page(ctx, m.db, q, extraColumns, "purchase_order_extra_lines x", f.List, "x.pk", scanExtraLine)
	if err != nil {
		return nil, 0, fmt.Errorf("purchase order extra lines: %w", err)
	}
	if err := m.extraDetails(ctx, rows, f.OrderDetail); err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

func (m *ReadModel) extraDetails(ctx context.Context, rows []ExtraLine, orderDetail bool) error {
	if !orderDetail {
		return nil
	}
	var pks []int64
	for _, x := range rows {
		pks = append(pks, x.Order)
	}
	byPK, err := m.Orders(ctx, pks)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].OrderDetail = parts.Detail[Order]{Requested: true}
		if o, ok := byPK[rows[i].Order]; ok {
			rows[i].OrderDetail.Value = &o
		}
	}
	return nil
}

// ---- Lookups for the commands (hints, checked against the order's stream) ----

func (m *ReadModel) orderOf(ctx context.Context, sql string, pk int64) (int64, error) {
	var orderPK int64
	err := m.db.QueryRow(ctx, sql, pk).Scan(&orderPK)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return orderPK, err
}

// LineOrder is the order of line pk, 0 for none.
func (m *ReadModel) LineOrder(ctx context.Context, pk int64) (int64, error) {
	return m.orderOf(ctx, `SELECT purchase_order FROM purchase_order_lines WHERE pk = $1`, pk)
}

// ExtraLineOrder is the order of extra line pk, 0 for none.
func (m *ReadModel) ExtraLineOrder(ctx context.Context, pk int64) (int64, error) {
	return m.orderOf(ctx, `SELECT purchase_order FROM purchase_order_extra_lines WHERE pk = $1`, pk)
}
