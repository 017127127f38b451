package stock

import (
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Stock given to a customer (/api/stock/assign/) and taken back from one
// (/api/stock/return/): StockAssignmentSerializer, StockItem.allocateToCustomer,
// StockReturnSerializer and StockItem.return_to_stock.

// Messages of the customer actions, in InvenTree's wording.
const (
	msgMustBeInStock   = "Item must be in stock"
	msgMustBeSalable   = "Part must be salable"
	msgExceedsStock    = "Quantity exceeds available stock"
	msgNotWithCustomer = "Stock item is not assigned to a customer"
	MsgNotCustomer     = "Selected company is not a customer"
)

// CustomerFacts describe the company stock is given to or taken back from, as the
// command read them from its stream.
type CustomerFacts struct {
	PK         int64
	Exists     bool
	IsCustomer bool
	Name       string
}

// ItemAssignedToCustomer records an item given to a customer: it left location From
// and is no longer in stock.
type ItemAssignedToCustomer struct {
	PK       int64           `json:"pk"`
	Customer int64           `json:"customer"`
	From     int64           `json:"from,omitempty"`
	Quantity decimal.Decimal `json:"quantity"`
	Tracking []Entry         `json:"tracking,omitempty"`
}

// ItemReturnedFromCustomer records an item taken back from Customer into location To,
// with a new status when one was asked for.
type ItemReturnedFromCustomer struct {
	PK       int64                       `json:"pk"`
	Customer int64                       `json:"customer"`
	From     int64                       `json:"from,omitempty"`
	To       int64                       `json:"to"`
	Quantity decimal.Decimal             `json:"quantity"`
	Status   *Change[status.StockStatus] `json:"status,omitempty"`
	Tracking []Entry                     `json:"tracking,omitempty"`
}

func (ItemAssignedToCustomer) EventType() string   { return TypeItemAssignedToCustomer }
func (ItemReturnedFromCustomer) EventType() string { return TypeItemReturnedFromCustomer }

// applyCustomer folds the customer events (Apply's cases for them).
func (it *Item) applyCustomer(e domain.Event) bool {
	d := &it.data
	switch e := e.(type) {
	case ItemAssignedToCustomer:
		d.Customer, d.Location = e.Customer, 0
	case ItemReturnedFromCustomer:
		d.Customer, d.Location = 0, e.To
		d.BelongsTo, d.ConsumedBy, d.SalesOrder = 0, 0, 0
		applyChange(&d.Status, e.Status)
	default:
		return false
	}
	return true
}

// CheckCustomer applies StockAssignmentSerializer.validate_customer: the company exists
// and is a customer.
func CheckCustomer(field string, c CustomerFacts) error {
	switch {
	case !c.Exists:
		return domain.Invalid(field, msgInvalidPK(c.PK))
	case !c.IsCustomer:
		return domain.Invalid(field, MsgNotCustomer)
	}
	return nil
}

// AssignToCustomer decides giving the whole item to customer
// (StockAssignmentItemSerializer.validate_item, StockItem.allocateToCustomer): it must
// be in stock and of a salable part. It leaves its location and records "Sent to
// customer" with the customer's pk and name. (Allocations to orders and builds, which
// would also refuse it, are not modelled yet.)
func (it *Item) AssignToCustomer(customer CustomerFacts, part PartFacts, notes string) ([]domain.Event, error) {
	if !it.Exists() {
		return nil, domain.Invalid("item", msgInvalidPK(it.pk))
	}
	if !it.InStock() {
		return nil, domain.Invalid("item", msgMustBeInStock)
	}
	if !part.Salable {
		return nil, domain.Invalid("item", msgMustBeSalable)
	}
	return []domain.Event{ItemAssignedToCustomer{
		PK: it.pk, Customer: customer.PK, From: it.data.Location, Quantity: it.data.Quantity,
		Tracking: []Entry{{Type: status.TrackingSentToCustomer, Notes: notes, Deltas: Deltas{
			Customer: ptr(customer.PK), CustomerName: ptr(customer.Name),
		}}},
	}}, nil
}

// WithCustomer reports whether the item is with a customer.
func (it *Item) WithCustomer() int64 { return it.data.Customer }

// ReturnSplitsOn reports whether returning qty of the item splits it: a new item (with
// a key of its own) takes qty back, and this one stays with the customer.
func (it *Item) ReturnSplitsOn(qty decimal.Decimal) bool {
	return !it.Serialized() && qty.IsPositive() && qty.LessThan(it.data.Quantity)
}

// ReturnFromCustomer decides taking qty of the item back from its customer into
// location to (StockReturnSerializer, StockItem.return_to_stock), with
// "Returned from customer". to was checked with CheckDestination. A quantity must be
// above zero and within the item; less than the item holds splits it first (see
// ReturnSplitsOn), the new item newPK coming back. A serialized item comes back whole.
// InvenTree takes back an item that is with no customer too, recording a return from
// nobody; that is refused here.
func (it *Item) ReturnFromCustomer(qty decimal.Decimal, to int64, code *status.StockStatus, newPK int64, customerName, notes string) ([]domain.Event, *Spawned, error) {
	if !it.Exists() {
		return nil, nil, domain.Invalid("pk", msgInvalidPK(it.pk))
	}
	errs := &domain.RuleError{}
	if it.data.Customer == 0 {
		errs.Add("pk", msgNotWithCustomer)
	}
	switch {
	case !qty.IsPositive():
		errs.Add("quantity", msgQtyPositive)
	case !it.Serialized() && qty.GreaterThan(it.data.Quantity):
		errs.Add("quantity", msgExceedsStock)
	}
	if code != nil {
		checkStatus(errs, "status", *code)
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	if !it.ReturnSplitsOn(qty) {
		return it.returned(to, code, customerName, notes), nil, nil
	}
	// The part taken back is split off at the customer first, then returned.
	own, spawned, err := it.split(qty, it.data.Location, Adjustment{}, newPK, notes)
	if err != nil {
		return nil, nil, err
	}
	child := &Item{}
	for _, e := range spawned.Events {
		child.Apply(e)
	}
	spawned.Events = append(spawned.Events, child.returned(to, code, customerName, notes)...)
	return own, spawned, nil
}

// returned is the return of the whole item.
func (it *Item) returned(to int64, code *status.StockStatus, customerName, notes string) []domain.Event {
	d := it.data
	deltas := Deltas{Location: ptr(to), Customer: ptr(d.Customer), CustomerName: ptr(customerName)}
	ev := ItemReturnedFromCustomer{PK: it.pk, Customer: d.Customer, From: d.Location, To: to, Quantity: d.Quantity}
	if code != nil && *code != d.Status {
		ev.Status = &Change[status.StockStatus]{Old: d.Status, New: *code}
		deltas.Status = ptr(*code)
	}
	ev.Tracking = []Entry{{Type: status.TrackingReturnedFromCustomer, Deltas: deltas, Notes: notes}}
	return []domain.Event{ev}
}

// Parent is the item this one was split from, 0 if none.
func (it *Item) Parent() int64 { return it.data.Parent }
