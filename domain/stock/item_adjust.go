package stock

import (
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Adjustment holds the optional per-item fields of a stock adjustment
// (StockAdjustmentItemSerializer: status, batch, packaging). nil leaves a field alone.
type Adjustment struct {
	Status    *status.StockStatus
	Batch     *string
	Packaging *string
}

// Spawned is a new item that a decision on another item created (a split, a
// serialization), with its events.
type Spawned struct {
	PK     int64
	Events []domain.Event
}

var one = decimal.NewFromInt(1)

// checkAdjustment applies the per-item request rules of the stock adjustment actions
// (StockAdjustmentItemSerializer): the item exists and, unless
// STOCK_ALLOW_OUT_OF_STOCK_TRANSFER is on, is not sold, installed, at a customer or
// consumed ("Stock item is not in stock", on pk); the quantity is not negative; the
// status is a StockStatus; batch and packaging fit.
func (it *Item) checkAdjustment(qty decimal.Decimal, adj Adjustment, s Settings) error {
	if !it.Exists() {
		return domain.Invalid("pk", msgInvalidPK(it.pk))
	}
	errs := &domain.RuleError{}
	if !s.AllowOutOfStockTransfer && !it.held() {
		errs.Add("pk", msgNotInStock)
	}
	if qty.IsNegative() {
		errs.Add("quantity", msgNegative)
	} else {
		checkDigits(errs, "quantity", qty, 15, 5)
	}
	if adj.Status != nil {
		checkStatus(errs, "status", *adj.Status)
	}
	if adj.Batch != nil {
		checkLength(errs, "batch", *adj.Batch, 100)
	}
	if adj.Packaging != nil {
		checkLength(errs, "packaging", *adj.Packaging, 50)
	}
	return errs.Err()
}

// overrides applies an adjustment's optional fields to deltas as InvenTree does
// (_apply_status_change, _apply_optional_transfer_fields): a status change records old
// and new codes; a given batch or packaging is recorded even when unchanged.
func (it *Item) overrides(adj Adjustment, d *Deltas) Overrides {
	var o Overrides
	if adj.Status != nil && *adj.Status != it.data.Status {
		o.Status = &Change[status.StockStatus]{Old: it.data.Status, New: *adj.Status}
		statusDeltas(d, it.data.Status, *adj.Status)
	}
	if adj.Batch != nil {
		d.Batch = ptr(*adj.Batch)
		o.Batch = changed(it.data.Batch, adj.Batch)
	}
	if adj.Packaging != nil {
		d.Packaging = ptr(*adj.Packaging)
		o.Packaging = changed(it.data.Packaging, adj.Packaging)
	}
	return o
}

// Add decides stock manually added (StockAddSerializer, StockItem.add_stock). A zero
// quantity changes nothing, as InvenTree skips it. A serialized item holds at most 1
// (StockItem.clean: "Quantity must be 1 for item with a serial number"); InvenTree
// silently ignores the addition, which would leave the client believing it happened,
// so it is refused instead.
func (it *Item) Add(qty decimal.Decimal, adj Adjustment, notes string, s Settings) ([]domain.Event, error) {
	if err := it.checkAdjustment(qty, adj, s); err != nil {
		return nil, err
	}
	if qty.IsZero() {
		return nil, nil
	}
	newQty := it.data.Quantity.Add(qty)
	if it.Serialized() && newQty.GreaterThan(one) {
		return nil, domain.Invalid("quantity", msgSerialQuantity)
	}
	checkErr := &domain.RuleError{}
	checkDigits(checkErr, "quantity", newQty, 15, 5)
	if err := checkErr.Err(); err != nil {
		return nil, err
	}
	deltas := Deltas{}
	o := it.overrides(adj, &deltas)
	deltas.Added, deltas.Quantity = dec(qty), dec(newQty)
	return []domain.Event{StockAdded{
		PK: it.pk, Quantity: qty, NewQuantity: newQty, Overrides: o,
		Tracking: []Entry{{Type: status.TrackingStockAdd, Deltas: deltas, Notes: notes}},
	}}, nil
}

// Remove decides stock manually removed (StockRemoveSerializer, StockItem.take_stock).
// Removing more than the item holds removes what it holds: the quantity never goes
// below zero, and the event records what was actually removed. A zero quantity, or an
// empty item, changes nothing. An item depleted to zero with delete_on_deplete is
// deleted (StockItem.updateQuantity).
func (it *Item) Remove(qty decimal.Decimal, adj Adjustment, notes string, s Settings) ([]domain.Event, error) {
	if err := it.checkAdjustment(qty, adj, s); err != nil {
		return nil, err
	}
	removed := decimal.Min(qty, it.data.Quantity)
	if !removed.IsPositive() {
		return nil, nil
	}
	newQty := it.data.Quantity.Sub(removed)
	deltas := Deltas{}
	o := it.overrides(adj, &deltas)
	deltas.Removed, deltas.Quantity = dec(removed), dec(newQty)
	evs := []domain.Event{StockRemoved{
		PK: it.pk, Quantity: removed, NewQuantity: newQty, Overrides: o,
		Tracking: []Entry{{Type: status.TrackingStockRemove, Deltas: deltas, Notes: notes}},
	}}
	return append(evs, it.depletion(newQty)...), nil
}

// Count decides a stocktake (StockCountSerializer, StockItem.stocktake): the item holds
// qty, counted on date (YYYY-MM-DD). location, when not 0, is where it was counted;
// the command has checked it exists and is not structural. A serialized item can only
// be counted as 1 or 0.
func (it *Item) Count(qty decimal.Decimal, location int64, adj Adjustment, notes, date string, s Settings) ([]domain.Event, error) {
	if err := it.checkAdjustment(qty, adj, s); err != nil {
		return nil, err
	}
	if it.Serialized() && qty.GreaterThan(one) {
		return nil, domain.Invalid("quantity", msgSerialQuantity)
	}
	deltas := Deltas{}
	ev := StockCounted{PK: it.pk, Counted: qty, OldQuantity: it.data.Quantity, NewQuantity: qty, StocktakeDate: date}
	if location != 0 && location != it.data.Location {
		ev.Location = &Change[int64]{Old: it.data.Location, New: location}
		deltas.Location = ptr(location)
		if it.data.Location != 0 {
			deltas.OldLocation = ptr(it.data.Location)
		}
	}
	ev.Overrides = it.overrides(adj, &deltas)
	deltas.Quantity = dec(qty)
	ev.Tracking = []Entry{{Type: status.TrackingStockCount, Deltas: deltas, Notes: notes}}
	evs := []domain.Event{ev}
	if !qty.Equal(it.data.Quantity) {
		evs = append(evs, it.depletion(qty)...)
	}
	return evs, nil
}

// CheckDestination applies the rules of an action's target location
// (StockTransferSerializer, StockCountSerializer, UninstallStockItemSerializer
// validate_location): it exists and is not structural.
func CheckDestination(field string, pk int64, loc LocationFacts) error {
	switch {
	case pk == 0:
		return domain.Invalid(field, "This field may not be null.")
	case !loc.Exists:
		return domain.Invalid(field, msgInvalidPK(pk))
	case loc.Structural:
		return domain.Invalid(field, msgStructural)
	}
	return nil
}

// SplitsOn reports whether moving qty of the item splits it (a new item takes qty),
// so the command knows to allocate a key for the new item.
func (it *Item) SplitsOn(qty decimal.Decimal) bool {
	return qty.IsPositive() && qty.LessThan(it.data.Quantity)
}

// Transfer decides moving qty of the item to location to (StockTransferSerializer,
// StockItem.move). The destination was checked with CheckDestination. Moving less than
// the item holds splits it: a new item newPK (see SplitsOn) takes qty to the
// destination and this item keeps the rest where it is. Moving all of it, or more,
// moves the item itself; moving it where it already is records "Stock updated".
func (it *Item) Transfer(qty decimal.Decimal, to int64, adj Adjustment, newPK int64, notes string, s Settings) ([]domain.Event, *Spawned, error) {
	if err := it.checkAdjustment(qty, adj, s); err != nil {
		return nil, nil, err
	}
	if qty.IsZero() {
		return nil, nil, domain.Invalid("quantity", msgQtyPositive)
	}
	if !s.AllowOutOfStockTransfer && !it.data.Quantity.IsPositive() {
		return nil, nil, domain.Invalid("", msgCannotMove)
	}
	if it.SplitsOn(qty) {
		return it.split(qty, to, adj, newPK, notes)
	}
	code := status.TrackingStockMove
	deltas := Deltas{Quantity: dec(it.data.Quantity)}
	if to == it.data.Location {
		code = status.TrackingStockUpdate
	} else {
		deltas.Location = ptr(to)
	}
	o := it.overrides(adj, &deltas)
	return []domain.Event{ItemMoved{
		PK: it.pk, Location: Change[int64]{Old: it.data.Location, New: to}, Quantity: it.data.Quantity, Overrides: o,
		Tracking: []Entry{{Type: code, Deltas: deltas, Notes: notes}},
	}}, nil, nil
}

// split takes qty off into a new item newPK at location to (StockItem.splitStock). The
// new item copies this one's fields, with the adjustment's overrides, and records
// "Split from parent item"; this item records "Split child item".
func (it *Item) split(qty decimal.Decimal, to int64, adj Adjustment, newPK int64, notes string) ([]domain.Event, *Spawned, error) {
	if it.Serialized() {
		return nil, nil, domain.Invalid("quantity", msgSerialQuantity)
	}
	if newPK == 0 {
		return nil, nil, domain.Invalid("", "Stock item cannot be split: no key for the new item")
	}
	remaining := it.data.Quantity.Sub(qty)
	child := it.data
	child.Quantity, child.Parent, child.Location = qty, it.pk, to
	child.Serial, child.SerialScope = "", 0
	childDeltas := Deltas{StockItem: ptr(it.pk)}
	if adj.Status != nil && *adj.Status != child.Status {
		statusDeltas(&childDeltas, child.Status, *adj.Status)
		child.Status = *adj.Status
	}
	if adj.Batch != nil {
		child.Batch, childDeltas.Batch = *adj.Batch, ptr(*adj.Batch)
	}
	if adj.Packaging != nil {
		child.Packaging, childDeltas.Packaging = *adj.Packaging, ptr(*adj.Packaging)
	}
	childDeltas.Quantity = dec(qty)
	spawned := &Spawned{PK: newPK, Events: []domain.Event{ItemCreated{
		PK: newPK, ItemData: child,
		Tracking: []Entry{{Type: status.TrackingSplitFromParent, Deltas: childDeltas, Notes: notes}},
	}}}
	own := []domain.Event{ItemSplit{
		PK: it.pk, NewItem: newPK, Quantity: qty, NewQuantity: remaining, To: to,
		Tracking: []Entry{{Type: status.TrackingSplitChildItem, Notes: notes, Deltas: Deltas{
			StockItem: ptr(newPK), Removed: dec(qty), Quantity: dec(remaining),
		}}},
	}}
	return own, spawned, nil
}

// ChangeStatus decides a status change (StockChangeStatusSerializer). An item already
// in the status is left alone. The change is tracked as "Edited stock item".
func (it *Item) ChangeStatus(code status.StockStatus, notes string) ([]domain.Event, error) {
	if !it.Exists() {
		return nil, domain.Invalid("", msgInvalidPK(it.pk))
	}
	if !code.Valid() {
		return nil, domain.Invalid("status", msgInvalidChoice(int(code)))
	}
	if code == it.data.Status {
		return nil, nil
	}
	deltas := Deltas{}
	statusDeltas(&deltas, it.data.Status, code)
	return []domain.Event{StatusChanged{
		PK: it.pk, Old: it.data.Status, New: code,
		Tracking: []Entry{{Type: status.TrackingEdited, Deltas: deltas, Notes: notes}},
	}}, nil
}
