package order

import (
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Receiving stock against a purchase order (PurchaseOrderReceiveSerializer,
// PurchaseOrder.receive_line_items). The order decides which lines a request receives,
// where each item goes and what that does to the order; the stock items themselves are
// decided by domain/stock (Item.Receive) and appended with the order's receipt in one
// step.

// TypeOrderReceived is the receipt's event type. Stored: never rename it.
const TypeOrderReceived = "PurchaseOrderReceived"

// ReceiptEvents lists the receipt's event types, for the codec.
func ReceiptEvents() []domain.EventType {
	return []domain.EventType{domain.JSONEvent[OrderReceived](TypeOrderReceived)}
}

// Messages of a receipt.
const (
	// receive_line_items.
	MsgNotPlaced     = "Lines can only be received against an order marked as 'PLACED'"
	MsgLineMismatch  = "Line item does not match purchase order"
	MsgNoLineItems   = "Line items must be provided"
	MsgNoDestination = "Destination location must be specified"
	// Stockledger keeps no barcodes yet: a barcode would be dropped, so it is refused.
	MsgNoBarcodes = "Barcodes cannot be assigned to received items on this server"
	// A client retry that is not the same request.
	MsgKeyReused = "This Idempotency-Key was already used for a different request"
)

// ReceivedLine is what one line of a receipt received: Quantity packs, as the items
// Items.
type ReceivedLine struct {
	Line     int64           `json:"line"`
	Quantity decimal.Decimal `json:"quantity"`
	Items    []int64         `json:"items"`
	// Location is where the first of them went, which later receipts of the line
	// default to (PurchaseOrderLineItem.get_destination).
	Location int64 `json:"location,omitempty"`
}

// OrderReceived records stock received against the order: each line's quantity rises,
// and the stock items Items (in request order) were created. Key and Fingerprint are
// the client's idempotency key and a digest of its request, so that a retry finds the
// receipt it repeats.
type OrderReceived struct {
	PK          int64          `json:"pk"`
	Key         string         `json:"idempotency_key,omitempty"`
	Fingerprint string         `json:"fingerprint,omitempty"`
	Lines       []ReceivedLine `json:"lines"`
	Items       []int64        `json:"items"`
}

func (OrderReceived) EventType() string { return TypeOrderReceived }

// Receipt is a receipt the order remembers by its idempotency key.
type Receipt struct {
	Fingerprint string
	Items       []int64
}

// applyReceipt folds a receipt: the lines' received quantities, and the receipt by its
// idempotency key.
func (o *PurchaseOrder) applyReceipt(e OrderReceived) {
	for _, rl := range e.Lines {
		if l, ok := o.lines[rl.Line]; ok {
			l.Received = l.Received.Add(rl.Quantity)
			if l.firstLocation == 0 {
				l.firstLocation = rl.Location
			}
		}
	}
	if e.Key != "" {
		o.receipts[e.Key] = Receipt{Fingerprint: e.Fingerprint, Items: e.Items}
	}
}

// Receipt returns the receipt made with idempotency key, if any.
func (o *PurchaseOrder) Receipt(key string) (Receipt, bool) {
	r, ok := o.receipts[key]
	return r, ok && key != ""
}

// ReceiveItem is one item of a receive request: Quantity packs of Line. Location is
// the item's own destination, 0 for none. The rest is what the stock item is made
// with.
type ReceiveItem struct {
	Line          int64
	Quantity      decimal.Decimal
	Location      int64
	Barcode       string
	SerialNumbers string
	Batch         string
	ExpiryDate    string
	Status        status.StockStatus
	Packaging     string
	Note          string
}

// ReceiveRequest is a receive request. Location is the request's destination;
// LocationGiven says the request had the field at all (null included), without which
// the order's destination applies instead.
type ReceiveRequest struct {
	Items         []ReceiveItem
	Location      int64
	LocationGiven bool
}

// PlannedItem is one item of a receipt as the order decided it: the line received and
// the location it goes to.
type PlannedItem struct {
	Line     Line
	Location int64
}

// ReceiptFacts are what the receipt plan needs beyond the order: whether a line pk
// exists at all (in another order), and each supplier part's part's default location.
type ReceiptFacts struct {
	LineExists      func(pk int64) bool
	DefaultLocation func(supplierPart int64) int64
}

// PlanReceipt decides which line each item receives and where it goes, in
// InvenTree's order of checks: the request's items and their fields, then where each
// item goes (its own location, else the request's, else the order's destination,
// else the line's: where its first items went, its destination, its part's default
// location), then the order's status, then whether each line is the order's.
func (o *PurchaseOrder) PlanReceipt(req ReceiveRequest, facts ReceiptFacts) ([]PlannedItem, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	errs := &domain.RuleError{}
	if len(req.Items) == 0 {
		return nil, invalid("", MsgNoLineItems)
	}
	fallback := o.fields.Destination
	if req.LocationGiven {
		fallback = req.Location
	}
	plan := make([]PlannedItem, len(req.Items))
	mismatch := false
	for i, it := range req.Items {
		prefix := "items." + itoa(i) + "."
		if !it.Quantity.IsPositive() {
			errs.Add(prefix+"quantity", MsgQuantityPositive)
		}
		if it.Barcode != "" {
			errs.Add(prefix+"barcode", MsgNoBarcodes)
		}
		l, ok := o.Line(it.Line)
		if !ok {
			if facts.LineExists == nil || !facts.LineExists(it.Line) {
				errs.Add(prefix+"line_item", invalidPK(it.Line))
			} else {
				mismatch = true
			}
			continue
		}
		loc := it.Location
		if loc == 0 {
			loc = fallback
		}
		if loc == 0 {
			loc = l.destination(facts)
		}
		if loc == 0 {
			errs.Add("location", MsgNoDestination)
		}
		plan[i] = PlannedItem{Line: l, Location: loc}
	}
	if err := errs.Err(); err != nil {
		return nil, dedupe(err)
	}
	if o.status != status.PurchaseOrderPlaced {
		return nil, invalid("", MsgNotPlaced)
	}
	if mismatch {
		return nil, invalid("", MsgLineMismatch)
	}
	return plan, nil
}

// destination is PurchaseOrderLineItem.get_destination: where the line's first items
// went, else its destination, else its part's default location.
func (l Line) destination(facts ReceiptFacts) int64 {
	switch {
	case l.firstLocation != 0:
		return l.firstLocation
	case l.Fields.Destination != 0:
		return l.Fields.Destination
	case facts.DefaultLocation != nil:
		return facts.DefaultLocation(l.Fields.SupplierPart)
	}
	return 0
}

// Receive decides the receipt: each line's quantity rises by what the request received
// of it, and the order completes when nothing is left to receive
// (PURCHASEORDER_AUTO_COMPLETE, on by default). items are the stock items created, per
// request item; key and fingerprint identify the request for a retry.
func (o *PurchaseOrder) Receive(req ReceiveRequest, plan []PlannedItem, items [][]int64, key, fingerprint, today string) ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	if o.status != status.PurchaseOrderPlaced {
		return nil, invalid("", MsgNotPlaced)
	}
	ev := OrderReceived{PK: o.pk, Key: key, Fingerprint: fingerprint, Items: []int64{}}
	byLine := map[int64]int{}
	for i, it := range req.Items {
		idx, ok := byLine[it.Line]
		if !ok {
			idx = len(ev.Lines)
			byLine[it.Line] = idx
			ev.Lines = append(ev.Lines, ReceivedLine{Line: it.Line, Quantity: decimal.Zero, Location: plan[i].Location})
		}
		rl := &ev.Lines[idx]
		rl.Quantity = rl.Quantity.Add(it.Quantity)
		rl.Items = append(rl.Items, items[i]...)
		ev.Items = append(ev.Items, items[i]...)
	}
	evs := []domain.Event{ev}
	// Would anything be left to receive?
	left := 0
	for _, l := range o.lines {
		received := l.Received
		if idx, ok := byLine[l.PK]; ok {
			received = received.Add(ev.Lines[idx].Quantity)
		}
		if received.LessThan(l.Fields.Quantity) {
			left++
		}
	}
	if left == 0 {
		evs = append(evs, OrderCompleted{PK: o.pk, From: o.status, CompleteDate: today, Auto: true})
	}
	return evs, nil
}

// CheckRetry tells what a request with idempotency key repeats: the receipt's items
// when the key was used for this very request (fingerprint), a refusal when it was
// used for another, and ok false when the key is new.
func (o *PurchaseOrder) CheckRetry(key, fingerprint string) ([]int64, bool, error) {
	r, ok := o.Receipt(key)
	if !ok {
		return nil, false, nil
	}
	if r.Fingerprint != fingerprint {
		return nil, true, invalid("", MsgKeyReused)
	}
	return r.Items, true, nil
}

// dedupe keeps one copy of each violation (several items may lack a destination).
func dedupe(err error) error {
	r, ok := err.(*domain.RuleError)
	if !ok {
		return err
	}
	out := &domain.RuleError{}
	seen := map[domain.Violation]bool{}
	for _, v := range r.Violations {
		if !seen[v] {
			seen[v] = true
			out.Violations = append(out.Violations, v)
		}
	}
	return out
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }
