package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// ReceiveOrder receives stock against a purchase order (POST
// /api/order/po/{id}/receive/).
type ReceiveOrder struct {
	Order   int64
	Request order.ReceiveRequest
	// Key is the client's idempotency key (the Idempotency-Key header), "" for none. A
	// retry of the same request with the same key answers the first receipt's items and
	// appends nothing.
	Key string
}

// msgReceiveSerialsTaken is PurchaseOrderLineItemReceiveSerializer's refusal of serial
// numbers in use.
const msgReceiveSerialsTaken = "The following serial numbers already exist or are invalid: "

// Receive receives stock against an order and returns the pks of the stock items it
// created, in request order. It is one decision over the order's stream, every new
// item's stream and the reservations of their serial numbers, appended all or
// nothing: a refused item (reported under its index) means nothing is created. The
// order completes when nothing is left to receive.
func (h *OrderHandlers) Receive(ctx context.Context, cmd ReceiveOrder) ([]int64, Result, error) {
	fingerprint, err := receiptFingerprint(cmd)
	if err != nil {
		return nil, Result{}, err
	}
	if cmd.Key != "" {
		ctx = WithIdempotencyKey(ctx, cmd.Key)
	}
	newKeys := h.stock.newKeyPool()
	facts := newReceiptFacts(h)
	var created []int64
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		newKeys.rewind()
		created = nil
		o := newPurchaseOrder()
		if _, err := tx.Load(ctx, purchaseOrderStream(cmd.Order), o); err != nil {
			return err
		}
		if !o.Exists() {
			return &domain.NotFoundError{Kind: "PurchaseOrder", ID: cmd.Order}
		}
		if items, retry, err := o.CheckRetry(cmd.Key, fingerprint); retry {
			created = items
			return err
		}
		items, err := h.receive(ctx, tx, o, cmd, fingerprint, facts, newKeys)
		created = items
		return err
	})
	if errors.Is(err, eventstore.ErrDuplicateEvent) && cmd.Key != "" {
		// A retry raced the first attempt past CheckRetry: the first attempt's events are
		// stored, so its receipt is there to answer with.
		o, _, loadErr := Load(ctx, h.x, purchaseOrderStream(cmd.Order), newPurchaseOrder)
		if loadErr != nil {
			return nil, Result{}, fmt.Errorf("receive against purchase order %d: %w", cmd.Order, loadErr)
		}
		if items, retry, retryErr := o.CheckRetry(cmd.Key, fingerprint); retry {
			return items, Result{}, retryErr
		}
	}
	if err != nil {
		return nil, Result{}, fmt.Errorf("receive against purchase order %d: %w", cmd.Order, err)
	}
	return created, res, nil
}

// receive decides the receipt inside tx.
func (h *OrderHandlers) receive(ctx context.Context, tx *Tx, o *order.PurchaseOrder, cmd ReceiveOrder, fingerprint string, facts *receiptFacts, newKeys *stockKeyPool) ([]int64, error) {
	plan, err := o.PlanReceipt(cmd.Request, order.ReceiptFacts{
		LineExists:      func(pk int64) bool { return facts.lineExists(ctx, pk) },
		DefaultLocation: func(sp int64) int64 { return facts.defaultLocation(ctx, sp) },
	})
	if err != nil {
		return nil, err
	}
	if err := facts.err; err != nil {
		return nil, err
	}
	keys := newStockKeys(tx)
	items := newStockTxItems(tx, keys)
	refused := &domain.RuleError{}
	perItem := make([][]int64, len(plan))
	var created []int64
	for i, it := range cmd.Request.Items {
		prefix := "items." + strconv.Itoa(i)
		line := plan[i].Line
		sp, err := facts.supplierPart(ctx, line.Fields.SupplierPart)
		if err != nil {
			return nil, err
		}
		if !sp.Exists {
			refused.Add(prefix+".line_item", "Line item is missing a linked part")
			continue
		}
		part, err := facts.part(ctx, sp.Part)
		if err != nil {
			return nil, err
		}
		loc, err := facts.location(ctx, plan[i].Location)
		if err != nil {
			return nil, err
		}
		req := h.receivedStock(o, line, sp, part, it, plan[i].Location)
		latest, err := h.stock.latestSerial(ctx, req.SerialNumbers, sp.Part, part)
		if err != nil {
			return nil, err
		}
		data, serials, err := stock.PlanNewStock(req, part, loc, latest, h.stock.settings)
		if err := collect(refused, prefix, receiveFields(err)); err != nil {
			return nil, err
		}
		if err != nil {
			continue
		}
		pks := make([]int64, max(len(serials), 1))
		for j := range pks {
			if pks[j], err = newKeys.next(ctx); err != nil {
				return nil, err
			}
		}
		var taken []string
		for j, serial := range serials {
			err := keys.reserve(ctx, stock.SerialStream(data.SerialScope, serial), pks[j])
			if errors.Is(err, stock.ErrKeyTaken) {
				taken = append(taken, serial)
			} else if err != nil {
				return nil, err
			}
		}
		if len(taken) > 0 {
			refused.Add(prefix+".serial_numbers", msgReceiveSerialsTaken+strings.Join(taken, ", "))
			continue
		}
		for j, pk := range pks {
			d := data
			if len(serials) > 0 {
				d.Serial = serials[j]
			}
			evs, err := (&stock.Item{}).Receive(pk, d, o.PK())
			if err != nil {
				return nil, err
			}
			if err := items.create(pk, evs); err != nil {
				return nil, err
			}
		}
		perItem[i] = pks
		created = append(created, pks...)
	}
	if err := refused.Err(); err != nil {
		return nil, err
	}
	evs, err := o.Receive(cmd.Request, plan, perItem, cmd.Key, fingerprint, h.today())
	if err != nil {
		return nil, err
	}
	return created, tx.Emit(purchaseOrderStream(o.PK()), evs...)
}

// receivedStock is the new stock one receive item makes (receive_line_items): packs
// become the part's units (the supplier part's pack size), the line's price becomes a
// price per unit, packaging defaults to the supplier part's, and an expiry date left out
// follows the part's default expiry, as for any new stock.
func (h *OrderHandlers) receivedStock(o *order.PurchaseOrder, line order.Line, sp company.SupplierPartFacts, part stock.PartFacts, it order.ReceiveItem, location int64) stock.NewStock {
	req := stock.NewStock{
		Part: sp.Part, Quantity: sp.BaseQuantity(it.Quantity), SerialNumbers: it.SerialNumbers,
		Batch: it.Batch, Location: location, Status: it.Status, Packaging: it.Packaging,
		ExpiryDate: it.ExpiryDate, PurchasePriceCurrency: line.Fields.PurchasePriceCurrency,
		SupplierPart: sp.PK, PurchaseOrder: o.PK(), Notes: it.Note,
	}
	if req.Packaging == "" {
		req.Packaging = sp.Packaging
	}
	if req.ExpiryDate == "" && part.DefaultExpiryDays > 0 {
		req.ExpiryDate = h.now().AddDate(0, 0, part.DefaultExpiryDays).Format(time.DateOnly)
	}
	if p := line.Fields.PurchasePrice; p != nil {
		unit := p.DivRound(sp.BaseQuantity(decimal.NewFromInt(1)), 6)
		req.PurchasePrice = &unit
	}
	return req
}

// receiveFields renames the stock item fields of a refusal to the receive request's.
func receiveFields(err error) error {
	var rule *domain.RuleError
	if !errors.As(err, &rule) {
		return err
	}
	out := &domain.RuleError{}
	for _, v := range rule.Violations {
		switch v.Field {
		case "batch":
			v.Field = "batch_code"
		case "notes":
			v.Field = "note"
		}
		out.Violations = append(out.Violations, v)
	}
	return out
}

// receiptFingerprint is a digest of what a receive request asks for, so that a key
// reused for another request is told apart from a retry.
func receiptFingerprint(cmd ReceiveOrder) (string, error) {
	b, err := json.Marshal(struct {
		Order   int64
		Request order.ReceiveRequest
	}{cmd.Order, cmd.Request})
	if err != nil {
		return "", fmt.Errorf("receipt fingerprint: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// receiptFacts reads, once per request, what a receipt needs to know of other
// aggregates: supplier parts, parts and locations, from their streams (read, not
// appended to), and whether a line exists in another order (a read-model hint, used
// only to tell "no such line" from "not this order's line").
type receiptFacts struct {
	h             *OrderHandlers
	supplierParts map[int64]company.SupplierPartFacts
	parts         map[int64]stock.PartFacts
	locations     map[int64]stock.LocationFacts
	err           error // the first error of a read made inside the domain's callbacks
}

func newReceiptFacts(h *OrderHandlers) *receiptFacts {
	return &receiptFacts{h: h, supplierParts: map[int64]company.SupplierPartFacts{},
		parts: map[int64]stock.PartFacts{}, locations: map[int64]stock.LocationFacts{}}
}

func (f *receiptFacts) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

func (f *receiptFacts) lineExists(ctx context.Context, pk int64) bool {
	orderPK, err := f.h.lookup.LineOrder(ctx, pk)
	if err != nil {
		f.fail(err)
	}
	return orderPK != 0
}

func (f *receiptFacts) defaultLocation(ctx context.Context, supplierPart int64) int64 {
	sp, err := f.supplierPart(ctx, supplierPart)
	if err != nil {
		f.fail(err)
		return 0
	}
	part, err := f.part(ctx, sp.Part)
	if err != nil {
		f.fail(err)
		return 0
	}
	return part.DefaultLocation
}

func (f *receiptFacts) supplierPart(ctx context.Context, pk int64) (company.SupplierPartFacts, error) {
	if sp, ok := f.supplierParts[pk]; ok {
		return sp, nil
	}
	s, _, err := Load(ctx, f.h.x, supplierPartStream(pk), newSupplierPart)
	if err != nil {
		return company.SupplierPartFacts{}, err
	}
	facts := s.Facts()
	facts.PK = pk
	f.supplierParts[pk] = facts
	return facts, nil
}

func (f *receiptFacts) part(ctx context.Context, pk int64) (stock.PartFacts, error) {
	if p, ok := f.parts[pk]; ok {
		return p, nil
	}
	p, err := f.h.stock.parts.PartFacts(ctx, pk)
	if err != nil {
		return stock.PartFacts{}, fmt.Errorf("part %d: %w", pk, err)
	}
	f.parts[pk] = p
	return p, nil
}

func (f *receiptFacts) location(ctx context.Context, pk int64) (stock.LocationFacts, error) {
	if l, ok := f.locations[pk]; ok {
		return l, nil
	}
	l, err := f.h.stock.locationFacts(ctx, pk)
	if err != nil {
		return stock.LocationFacts{}, err
	}
	f.locations[pk] = l
	return l, nil
}
