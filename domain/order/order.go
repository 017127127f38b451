// Package order holds InvenTree's purchase orders: the PurchaseOrder aggregate with its
// lines and extra lines, its status transitions and its receipts, their events and
// their rules.
//
// A purchase order's lines and extra lines live in the order's stream. The order is
// then the one authority for what a line holds and what was received against it: a
// receipt raises each line's received quantity, and completes the order when nothing
// is left to receive, in one decision over one stream, so two receipts can never both
// count the same outstanding quantity and the order's totals and completed-line counts
// are read off one consistent state. The cost is that writes to one order's lines
// serialise on its stream, which is what an order edited by a few people needs.
//
// Rules come from InvenTree 1.5 (API 530): order/models.py (Order.clean,
// PurchaseOrder's transitions and receive_line_items, PurchaseOrderLineItem.clean),
// order/serializers.py (the line, receive and complete serializers), order/api.py and
// InvenTree/models.py (ReferenceIndexingMixin). Each rule's comment names its source.
//
// References to other aggregates are primary keys; 0 means "none". Decisions that need
// facts about another aggregate (is the supplier a supplier, which supplier sells this
// supplier part) take them as plain values the command read from that aggregate's
// stream.
package order

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Event type names. They are stored: never rename one.
const (
	TypeOrderCreated = "PurchaseOrderCreated"
	TypeOrderUpdated = "PurchaseOrderUpdated"
	TypeOrderDeleted = "PurchaseOrderDeleted"

	TypeLineAdded   = "PurchaseOrderLineAdded"
	TypeLineUpdated = "PurchaseOrderLineUpdated"
	TypeLineRemoved = "PurchaseOrderLineRemoved"

	TypeExtraLineAdded   = "PurchaseOrderExtraLineAdded"
	TypeExtraLineUpdated = "PurchaseOrderExtraLineUpdated"
	TypeExtraLineRemoved = "PurchaseOrderExtraLineRemoved"
)

// Events lists every event type this package defines, for the codec.
func Events() []domain.EventType {
	return append(append(orderEvents(), TransitionEvents()...), ReceiptEvents()...)
}

func orderEvents() []domain.EventType {
	return []domain.EventType{
		domain.JSONEvent[OrderCreated](TypeOrderCreated),
		domain.JSONEvent[OrderUpdated](TypeOrderUpdated),
		domain.JSONEvent[OrderDeleted](TypeOrderDeleted),
		domain.JSONEvent[LineAdded](TypeLineAdded),
		domain.JSONEvent[LineUpdated](TypeLineUpdated),
		domain.JSONEvent[LineRemoved](TypeLineRemoved),
		domain.JSONEvent[ExtraLineAdded](TypeExtraLineAdded),
		domain.JSONEvent[ExtraLineUpdated](TypeExtraLineUpdated),
		domain.JSONEvent[ExtraLineRemoved](TypeExtraLineRemoved),
	}
}

// Messages InvenTree answers with.
const (
	// Order.clean.
	MsgContactMismatch   = "Contact does not match selected company"
	MsgTargetBeforeStart = "Target date must be after start date"
	MsgStartAfterTarget  = "Start date must be before target date"
	// Order.save and OrderLineItem.save on a complete order
	// (PURCHASEORDER_EDIT_COMPLETED_ORDERS off), on "reference".
	MsgOrderLocked = "This order is locked and cannot be modified"
	MsgLineLocked  = "The order is locked and cannot be modified"
	// PurchaseOrderLineItemSerializer.
	MsgQuantityPositive = "Quantity must be greater than zero"
	MsgSupplierMismatch = "Supplier must match purchase order"
	MsgOrderMismatch    = "Purchase order must match supplier"
	// Stockledger refuses to delete an order stock was received against: InvenTree
	// would leave the received items pointing at nothing.
	MsgOrderHasReceipts = "Stock has been received against this order: it cannot be deleted"
	MsgLineHasReceipts  = "Stock has been received against this line: it cannot be deleted"
)

// Fields are a purchase order's stored fields, as a client sets them.
type Fields struct {
	Reference         string `json:"reference"`
	Description       string `json:"description"`
	Supplier          int64  `json:"supplier"`
	SupplierReference string `json:"supplier_reference"`
	Link              string `json:"link"`
	CreationDate      string `json:"creation_date"` // YYYY-MM-DD
	StartDate         string `json:"start_date,omitempty"`
	TargetDate        string `json:"target_date,omitempty"`
	Responsible       int64  `json:"responsible,omitempty"` // owner
	Contact           int64  `json:"contact,omitempty"`
	Address           int64  `json:"address,omitempty"`
	Notes             string `json:"notes"`
	// OrderCurrency is the order's own currency, "" to use the supplier's.
	OrderCurrency string `json:"order_currency,omitempty"`
	Destination   int64  `json:"destination,omitempty"`
	CreatedBy     int64  `json:"created_by,omitempty"` // user
}

// Patch is a partial update: nil fields are left as they are.
type Patch struct {
	Reference, Description, SupplierReference, Link, CreationDate *string
	StartDate, TargetDate, Notes, OrderCurrency                   *string
	Supplier, Responsible, Contact, Address, Destination          *int64
}

// Apply returns f with the patch's fields set.
func (p Patch) Apply(f Fields) Fields {
	set(&f.Reference, p.Reference)
	set(&f.Description, p.Description)
	set(&f.SupplierReference, p.SupplierReference)
	set(&f.Link, p.Link)
	set(&f.CreationDate, p.CreationDate)
	set(&f.StartDate, p.StartDate)
	set(&f.TargetDate, p.TargetDate)
	set(&f.Notes, p.Notes)
	set(&f.OrderCurrency, p.OrderCurrency)
	set(&f.Supplier, p.Supplier)
	set(&f.Responsible, p.Responsible)
	set(&f.Contact, p.Contact)
	set(&f.Address, p.Address)
	set(&f.Destination, p.Destination)
	return f
}

// SupplierFacts describe the order's supplier, as the command read them from the
// company's stream.
type SupplierFacts struct {
	PK         int64
	Exists     bool
	IsSupplier bool
	// HasContact reports whether the order's contact is one of the supplier's.
	HasContact bool
}

// OrderCreated records a new purchase order, pending.
type OrderCreated struct {
	PK        int64  `json:"pk"`
	Fields    Fields `json:"fields"`
	Reference int64  `json:"reference_int"`
}

// OrderUpdated records an edit of the order's fields.
type OrderUpdated struct {
	PK        int64  `json:"pk"`
	Old       Fields `json:"old"`
	New       Fields `json:"new"`
	Reference int64  `json:"reference_int"`
}

// OrderDeleted records an order's end, with its lines.
type OrderDeleted struct {
	PK     int64  `json:"pk"`
	Fields Fields `json:"fields"`
}

func (OrderCreated) EventType() string { return TypeOrderCreated }
func (OrderUpdated) EventType() string { return TypeOrderUpdated }
func (OrderDeleted) EventType() string { return TypeOrderDeleted }

// PurchaseOrder is InvenTree's PurchaseOrder, with its lines and extra lines.
type PurchaseOrder struct {
	pk       int64
	created  bool
	deleted  bool
	fields   Fields
	status   status.PurchaseOrderStatus
	issued   string // issue date
	complete string // completion date

	lines      map[int64]*Line
	lineOrder  []int64
	extras     map[int64]ExtraLineFields
	extraOrder []int64

	receipts map[string]Receipt // by idempotency key
}

// Apply folds a purchase order event.
func (o *PurchaseOrder) Apply(e domain.Event) {
	switch e := e.(type) {
	case OrderCreated:
		o.pk, o.created, o.fields, o.status = e.PK, true, e.Fields, status.PurchaseOrderPending
		o.lines, o.extras, o.receipts = map[int64]*Line{}, map[int64]ExtraLineFields{}, map[string]Receipt{}
	case OrderUpdated:
		o.fields = e.New
	case OrderDeleted:
		o.deleted = true
	case LineAdded:
		o.lines[e.PK] = &Line{PK: e.PK, Fields: e.Fields}
		o.lineOrder = append(o.lineOrder, e.PK)
	case LineUpdated:
		if l, ok := o.lines[e.PK]; ok {
			l.Fields = e.New
		}
	case LineRemoved:
		delete(o.lines, e.PK)
	case ExtraLineAdded:
		o.extras[e.PK] = e.Fields
		o.extraOrder = append(o.extraOrder, e.PK)
	case ExtraLineUpdated:
		o.extras[e.PK] = e.New
	case ExtraLineRemoved:
		delete(o.extras, e.PK)
	default:
		o.applyProgress(e)
	}
}

// Exists reports whether the order was created and not deleted.
func (o *PurchaseOrder) Exists() bool { return o.created && !o.deleted }

// PK is the order's primary key.
func (o *PurchaseOrder) PK() int64 { return o.pk }

// Fields are the order's fields.
func (o *PurchaseOrder) Fields() Fields { return o.fields }

// Status is the order's status.
func (o *PurchaseOrder) Status() status.PurchaseOrderStatus { return o.status }

func (o *PurchaseOrder) notFound() error {
	return &domain.NotFoundError{Kind: "PurchaseOrder", ID: o.pk}
}

// locked is Order.check_locked with PURCHASEORDER_EDIT_COMPLETED_ORDERS off: a complete
// order cannot be edited, nor can its lines.
func (o *PurchaseOrder) locked() bool { return o.status.Complete() }

// checkFields applies Order.clean and the fields' own rules to f; supplier describes
// f.Supplier.
func checkFields(f Fields, supplier SupplierFacts) (int64, error) {
	errs := &domain.RuleError{}
	refInt, err := CheckReference(f.Reference)
	addRule(errs, err)
	if f.Supplier == 0 || !supplier.Exists || !supplier.IsSupplier {
		if f.Supplier == 0 {
			errs.Add("supplier", "This field may not be null.")
		} else {
			errs.Add("supplier", invalidPK(f.Supplier))
		}
	} else if f.Contact != 0 && !supplier.HasContact {
		errs.Add("contact", MsgContactMismatch)
	}
	if f.StartDate != "" && f.TargetDate != "" && f.StartDate > f.TargetDate {
		errs.Add("target_date", MsgTargetBeforeStart)
		errs.Add("start_date", MsgStartAfterTarget)
	}
	for _, d := range []struct{ field, v string }{{"creation_date", f.CreationDate}, {"start_date", f.StartDate}, {"target_date", f.TargetDate}} {
		checkDate(errs, d.field, d.v)
	}
	return refInt, errs.Err()
}

// Create decides a new, pending order. f.CreationDate and f.CreatedBy are set by the
// command (today, the requesting user) when the request leaves them out.
func (o *PurchaseOrder) Create(pk int64, f Fields, supplier SupplierFacts) ([]domain.Event, error) {
	if o.created {
		return nil, invalid("", "Purchase order already exists")
	}
	refInt, err := checkFields(f, supplier)
	if err != nil {
		return nil, err
	}
	return []domain.Event{OrderCreated{PK: pk, Fields: f, Reference: refInt}}, nil
}

// Update decides an edit; nothing when nothing changes. A complete order is locked.
func (o *PurchaseOrder) Update(p Patch, supplier SupplierFacts) ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	old, f := o.fields, p.Apply(o.fields)
	if f == old {
		return nil, nil
	}
	if o.locked() {
		return nil, invalid("reference", MsgOrderLocked)
	}
	refInt, err := checkFields(f, supplier)
	if err != nil {
		return nil, err
	}
	return []domain.Event{OrderUpdated{PK: o.pk, Old: old, New: f, Reference: refInt}}, nil
}

// Delete decides the order's deletion, with its lines. An order stock was received
// against is not deleted.
func (o *PurchaseOrder) Delete() ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	for _, l := range o.lines {
		if l.Received.IsPositive() {
			return nil, invalid("", MsgOrderHasReceipts)
		}
	}
	return []domain.Event{OrderDeleted{PK: o.pk, Fields: o.fields}}, nil
}

// ---- helpers ----

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func invalid(field, msg string) *domain.RuleError { return domain.Invalid(field, msg) }

func invalidPK(pk int64) string { return fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", pk) }

// addRule adds a rule error's violations to errs; other errors cannot happen here.
func addRule(errs *domain.RuleError, err error) {
	if r, ok := err.(*domain.RuleError); ok {
		errs.Violations = append(errs.Violations, r.Violations...)
	}
}

func checkDate(errs *domain.RuleError, field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		errs.Add(field, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
	}
}

// checkQuantity applies a line quantity's rules: DecimalField(15, 5), above zero.
func checkQuantity(errs *domain.RuleError, field string, q decimal.Decimal) {
	if !q.IsPositive() {
		errs.Add(field, MsgQuantityPositive)
	}
}
