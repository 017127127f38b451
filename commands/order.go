package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// Stream categories of purchase orders, and key sequences of their lines (which live in
// the order's stream). Stored: never rename one.
const (
	PurchaseOrderCategory     = "purchaseorder"
	PurchaseOrderLineCategory = "purchaseorderline"      // key sequence only
	PurchaseOrderExtraLine    = "purchaseorderextraline" // key sequence only
)

func purchaseOrderStream(pk int64) string { return eventstore.Stream(PurchaseOrderCategory, pk) }

// OrderLookup finds the order a line belongs to, from the read model: a hint, checked
// against the order's stream before anything is decided.
type OrderLookup interface {
	// LineOrder and ExtraLineOrder are the order of a line, 0 when the read model
	// knows none.
	LineOrder(ctx context.Context, line int64) (int64, error)
	ExtraLineOrder(ctx context.Context, line int64) (int64, error)
}

// OrderConfig configures OrderHandlers.
type OrderConfig struct {
	// Executor runs the commands. Required, with a key allocator.
	Executor *Executor
	// Lookup finds the orders of lines. Required.
	Lookup OrderLookup
	// Stock creates the stock a receipt brings in, with its rules and settings.
	// Required.
	Stock *StockHandlers
	// Now dates issues, completions and new orders. Default: time.Now.
	Now func() time.Time
}

// OrderHandlers runs the purchase order commands: orders, their lines and extra lines,
// their transitions and receipts.
type OrderHandlers struct {
	x      *Executor
	lookup OrderLookup
	stock  *StockHandlers
	now    func() time.Time
}

// NewOrderHandlers checks cfg and returns the handlers.
func NewOrderHandlers(cfg OrderConfig) (*OrderHandlers, error) {
	var errs []error
	if cfg.Executor == nil {
		errs = append(errs, errors.New("no executor"))
	}
	if cfg.Lookup == nil {
		errs = append(errs, errors.New("no order lookup"))
	}
	if cfg.Stock == nil {
		errs = append(errs, errors.New("no stock handlers"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("order handlers: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &OrderHandlers{x: cfg.Executor, lookup: cfg.Lookup, stock: cfg.Stock, now: cfg.Now}, nil
}

func newPurchaseOrder() *order.PurchaseOrder { return &order.PurchaseOrder{} }

func (h *OrderHandlers) today() string { return h.now().Format(time.DateOnly) }

// supplierFacts reads the order's supplier from its stream, with whether contact is
// one of its contacts.
func (h *OrderHandlers) supplierFacts(ctx context.Context, pk, contact int64) (order.SupplierFacts, error) {
	if pk == 0 {
		return order.SupplierFacts{}, nil
	}
	c, _, err := Load(ctx, h.x, companyStream(pk), newCompany)
	if err != nil {
		return order.SupplierFacts{}, err
	}
	f := c.Fields()
	return order.SupplierFacts{PK: pk, Exists: c.Exists(), IsSupplier: f.IsSupplier, HasContact: contact != 0 && c.HasContact(contact)}, nil
}

// linePart reads a line's supplier part from its stream.
func (h *OrderHandlers) linePart(ctx context.Context, pk int64) (order.LinePartFacts, error) {
	if pk == 0 {
		return order.LinePartFacts{}, nil
	}
	sp, _, err := Load(ctx, h.x, supplierPartStream(pk), newSupplierPart)
	if err != nil {
		return order.LinePartFacts{}, err
	}
	return order.LinePartFacts{PK: pk, Exists: sp.Exists(), Supplier: sp.Fields().Supplier}, nil
}

// reserveReference moves order pk's reservation of its reference from before to after
// ("" for none), refusing a reference another order holds as Django's unique check does.
func reserveReference(ctx context.Context, tx *Tx, pk int64, before, after string) error {
	if before == after {
		return nil
	}
	keys := newStockKeys(tx)
	if after != "" {
		err := keys.reserve(ctx, stock.KeyStream(OrderReferenceKeys, after), pk)
		if errors.Is(err, stock.ErrKeyTaken) {
			return domain.Invalid("reference", order.MsgDuplicateReference)
		}
		if err != nil {
			return err
		}
	}
	if before != "" {
		return keys.release(ctx, stock.KeyStream(OrderReferenceKeys, before), pk)
	}
	return nil
}

// ---- Orders ----

// CreateOrder creates a pending purchase order and returns its pk. Its reference is
// reserved in the same append, so two orders can never share one. A creation date
// left out is today.
func (h *OrderHandlers) CreateOrder(ctx context.Context, f order.Fields) (int64, Result, error) {
	if f.CreationDate == "" {
		f.CreationDate = h.today()
	}
	pk, err := h.x.NextKey(ctx, PurchaseOrderCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create purchase order: %w", err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		supplier, err := h.supplierFacts(ctx, f.Supplier, f.Contact)
		if err != nil {
			return err
		}
		evs, err := newPurchaseOrder().Create(pk, f, supplier)
		if err != nil {
			return err
		}
		if err := tx.Create(purchaseOrderStream(pk)); err != nil {
			return err
		}
		if err := tx.Emit(purchaseOrderStream(pk), evs...); err != nil {
			return err
		}
		return reserveReference(ctx, tx, pk, "", f.Reference)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create purchase order: %w", err)
	}
	return pk, res, nil
}

// UpdateOrder edits an order; a new reference moves its reservation.
func (h *OrderHandlers) UpdateOrder(ctx context.Context, pk int64, p order.Patch) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		o := newPurchaseOrder()
		if _, err := tx.Load(ctx, purchaseOrderStream(pk), o); err != nil {
			return err
		}
		old := o.Fields()
		next := p.Apply(old)
		supplier, err := h.supplierFacts(ctx, next.Supplier, next.Contact)
		if err != nil {
			return err
		}
		evs, err := o.Update(p, supplier)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.Emit(purchaseOrderStream(pk), evs...); err != nil {
			return err
		}
		return reserveReference(ctx, tx, pk, old.Reference, next.Reference)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update purchase order %d: %w", pk, err)
	}
	return res, nil
}

// DeleteOrder deletes an order with its lines, and frees its reference.
func (h *OrderHandlers) DeleteOrder(ctx context.Context, pk int64) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		o := newPurchaseOrder()
		if _, err := tx.Load(ctx, purchaseOrderStream(pk), o); err != nil {
			return err
		}
		evs, err := o.Delete()
		if err != nil {
			return err
		}
		if err := tx.Emit(purchaseOrderStream(pk), evs...); err != nil {
			return err
		}
		return reserveReference(ctx, tx, pk, o.Fields().Reference, "")
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete purchase order %d: %w", pk, err)
	}
	return res, nil
}

// ---- Lines ----

// AddLine adds a line to an order and returns the pk of the line that holds it: a new
// one, or with merge an existing line of the same supplier part, target date and
// destination.
func (h *OrderHandlers) AddLine(ctx context.Context, orderPK int64, f order.LineFields, merge bool) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, PurchaseOrderLineCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("add purchase order line: %w", err)
	}
	part, err := h.linePart(ctx, f.SupplierPart)
	if err != nil {
		return 0, Result{}, fmt.Errorf("add purchase order line: %w", err)
	}
	var line int64
	res, err := Execute(ctx, h.x, purchaseOrderStream(orderPK), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		evs, at, err := o.AddLine(pk, f, part, merge)
		line = at
		return evs, err
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("add line to purchase order %d: %w", orderPK, err)
	}
	return line, res, nil
}

// UpdateLine edits a line. A line stays in its order: to, when set, must be it.
func (h *OrderHandlers) UpdateLine(ctx context.Context, pk, to int64, p order.LinePatch) (Result, error) {
	orderPK, err := h.lineOrder(ctx, pk, to, h.lookup.LineOrder, "PurchaseOrderLineItem")
	if err != nil {
		return Result{}, err
	}
	res, err := Execute(ctx, h.x, purchaseOrderStream(orderPK), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		l, ok := o.Line(pk)
		if !ok {
			return nil, &domain.NotFoundError{Kind: "PurchaseOrderLineItem", ID: pk}
		}
		part, err := h.linePart(ctx, p.Apply(l.Fields).SupplierPart)
		if err != nil {
			return nil, err
		}
		return o.UpdateLine(pk, p, part)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update purchase order line %d: %w", pk, err)
	}
	return res, nil
}

// msgLineMoved refuses moving a line to another order, which would move it between
// streams; a client deletes it and adds it there instead.
const msgLineMoved = "A line cannot be moved to another order"

// lineOrder finds the order of line pk (to, when set, must be it).
func (h *OrderHandlers) lineOrder(ctx context.Context, pk, to int64, find func(context.Context, int64) (int64, error), kind string) (int64, error) {
	orderPK, err := find(ctx, pk)
	if err != nil {
		return 0, fmt.Errorf("order of %s %d: %w", kind, pk, err)
	}
	if orderPK == 0 {
		return 0, &domain.NotFoundError{Kind: kind, ID: pk}
	}
	if to != 0 && to != orderPK {
		return 0, domain.Invalid("order", msgLineMoved)
	}
	return orderPK, nil
}

// DeleteLine deletes a line.
func (h *OrderHandlers) DeleteLine(ctx context.Context, pk int64) (Result, error) {
	orderPK, err := h.lineOrder(ctx, pk, 0, h.lookup.LineOrder, "PurchaseOrderLineItem")
	if err != nil {
		return Result{}, err
	}
	res, err := Execute(ctx, h.x, purchaseOrderStream(orderPK), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		return o.RemoveLine(pk)
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete purchase order line %d: %w", pk, err)
	}
	return res, nil
}

// AddExtraLine adds an extra line to an order and returns its pk.
func (h *OrderHandlers) AddExtraLine(ctx context.Context, orderPK int64, f order.ExtraLineFields) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, PurchaseOrderExtraLine)
	if err != nil {
		return 0, Result{}, fmt.Errorf("add purchase order extra line: %w", err)
	}
	res, err := Execute(ctx, h.x, purchaseOrderStream(orderPK), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		return o.AddExtraLine(pk, f)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("add extra line to purchase order %d: %w", orderPK, err)
	}
	return pk, res, nil
}

// UpdateExtraLine edits an extra line, which stays in its order.
func (h *OrderHandlers) UpdateExtraLine(ctx context.Context, pk, to int64, p order.ExtraLinePatch) (Result, error) {
	orderPK, err := h.lineOrder(ctx, pk, to, h.lookup.ExtraLineOrder, "PurchaseOrderExtraLine")
	if err != nil {
		return Result{}, err
	}
	res, err := Execute(ctx, h.x, purchaseOrderStream(orderPK), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		return o.UpdateExtraLine(pk, p)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update purchase order extra line %d: %w", pk, err)
	}
	return res, nil
}

// DeleteExtraLine deletes an extra line.
func (h *OrderHandlers) DeleteExtraLine(ctx context.Context, pk int64) (Result, error) {
	orderPK, err := h.lineOrder(ctx, pk, 0, h.lookup.ExtraLineOrder, "PurchaseOrderExtraLine")
	if err != nil {
		return Result{}, err
	}
	res, err := Execute(ctx, h.x, purchaseOrderStream(orderPK), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		return o.RemoveExtraLine(pk)
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete purchase order extra line %d: %w", pk, err)
	}
	return res, nil
}

// ---- Transitions ----

// IssueOrder places an order with its supplier.
func (h *OrderHandlers) IssueOrder(ctx context.Context, pk int64) (Result, error) {
	return h.transition(ctx, "issue", pk, func(o *order.PurchaseOrder) ([]domain.Event, error) { return o.Issue(h.today()) })
}

// HoldOrder puts an order on hold.
func (h *OrderHandlers) HoldOrder(ctx context.Context, pk int64) (Result, error) {
	return h.transition(ctx, "hold", pk, (*order.PurchaseOrder).Hold)
}

// CancelOrder cancels an order.
func (h *OrderHandlers) CancelOrder(ctx context.Context, pk int64) (Result, error) {
	return h.transition(ctx, "cancel", pk, (*order.PurchaseOrder).Cancel)
}

// CompleteOrder completes a placed order; acceptIncomplete lets lines stay outstanding.
func (h *OrderHandlers) CompleteOrder(ctx context.Context, pk int64, acceptIncomplete bool) (Result, error) {
	return h.transition(ctx, "complete", pk, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		return o.Complete(acceptIncomplete, h.today())
	})
}

func (h *OrderHandlers) transition(ctx context.Context, what string, pk int64, decide func(*order.PurchaseOrder) ([]domain.Event, error)) (Result, error) {
	res, err := Execute(ctx, h.x, purchaseOrderStream(pk), newPurchaseOrder, func(o *order.PurchaseOrder) ([]domain.Event, error) {
		if !o.Exists() {
			return nil, &domain.NotFoundError{Kind: "PurchaseOrder", ID: pk}
		}
		return decide(o)
	})
	if err != nil {
		return Result{}, fmt.Errorf("%s purchase order %d: %w", what, pk, err)
	}
	return res, nil
}
