package stock

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// MergeOptions are StockMergeSerializer's switches.
type MergeOptions struct {
	AllowMismatchedSuppliers bool
	AllowMismatchedStatus    bool
}

// MergeResult is a merge's events: the target's, and each merged item's deletion.
type MergeResult struct {
	Target []domain.Event
	Merged [][]domain.Event // in the order of the items after the target
}

// mergeable is can_merge's checks that do not depend on the other item
// (StockItem.can_merge).
func (it *Item) mergeable() string {
	d := it.data
	switch {
	case d.SalesOrder != 0:
		return "Stock item has been assigned to a sales order"
	case d.BelongsTo != 0:
		return "Stock item is installed in another item"
	case len(it.installed) > 0:
		return "Stock item contains other items"
	case d.Customer != 0:
		return "Stock item has been assigned to a customer"
	case d.IsBuilding:
		return "Stock item is currently in production"
	case it.Serialized():
		return "Serialized stock cannot be merged"
	}
	return ""
}

// Merge decides merging items[1:] into items[0] at location (StockMergeSerializer,
// StockItem.merge_stock_items). Rules, in InvenTree's order:
//   - each item can be merged at all (items.N.item): not sold, installed, holding
//     installed items, at a customer, in production, or serialized
//   - the location exists (the command reports a missing one)
//   - at least two items, no item twice
//   - every item has the first one's part, and its supplier part and status unless the
//     options allow a mismatch
//   - the location is not structural (StockItem.clean)
//
// The first item takes the others' quantities and the location; its purchase price
// becomes the quantity-weighted average of the prices in its currency (InvenTree
// converts other currencies with exchange rates, which the ledger does not hold, so
// those are left out as InvenTree does when a conversion fails). The others are
// deleted.
func Merge(items []*Item, location int64, loc LocationFacts, opts MergeOptions, notes string) (MergeResult, error) {
	errs := &domain.RuleError{}
	for i, it := range items {
		if !it.Exists() {
			errs.Add("items."+strconv.Itoa(i)+".item", msgInvalidPK(it.pk))
			continue
		}
		if msg := it.mergeable(); msg != "" {
			errs.Add("items."+strconv.Itoa(i)+".item", msg)
		}
	}
	if location != 0 && !loc.Exists {
		errs.Add("location", msgInvalidPK(location))
	}
	if location == 0 {
		errs.Add("location", "This field may not be null.")
	}
	if err := errs.Err(); err != nil {
		return MergeResult{}, err
	}
	if len(items) < 2 {
		return MergeResult{}, domain.Invalid("", "At least two stock items must be provided")
	}
	base := items[0]
	seen := map[int64]bool{}
	for _, it := range items {
		if seen[it.pk] {
			return MergeResult{}, domain.Invalid("", "Duplicate stock items")
		}
		seen[it.pk] = true
		if it == base {
			continue
		}
		switch {
		case it.data.Part != base.data.Part:
			return MergeResult{}, domain.Invalid("", "Stock items must refer to the same part")
		case it.data.SupplierPart != base.data.SupplierPart && !opts.AllowMismatchedSuppliers:
			return MergeResult{}, domain.Invalid("", "Stock items must refer to the same supplier part")
		case it.data.Status != base.data.Status && !opts.AllowMismatchedStatus:
			return MergeResult{}, domain.Invalid("", "Stock status codes must match")
		}
	}
	if loc.Structural {
		return MergeResult{}, domain.Invalid("location", msgStructuralModel)
	}

	var res MergeResult
	ev := ItemsMerged{PK: base.pk, Added: decimal.Zero}
	total := base.data.Quantity
	var currency string
	var priced, priceSum decimal.Decimal
	addPrice := func(d ItemData) {
		if d.PurchasePrice == nil {
			return
		}
		if priced.IsZero() && currency == "" {
			currency = d.PurchasePriceCurrency
		}
		if d.PurchasePriceCurrency != currency {
			return
		}
		priceSum = priceSum.Add(d.PurchasePrice.Mul(d.Quantity))
		priced = priced.Add(d.Quantity)
	}
	addPrice(base.data)
	for _, it := range items[1:] {
		ev.Merged = append(ev.Merged, MergedItem{PK: it.pk, Quantity: it.data.Quantity})
		ev.Added = ev.Added.Add(it.data.Quantity)
		total = total.Add(it.data.Quantity)
		addPrice(it.data)
		if base.data.Parent == it.pk {
			ev.ParentCleared = true
		}
		res.Merged = append(res.Merged, []domain.Event{it.deletedEvent(ReasonMerged, base.pk)})
	}
	ev.NewQuantity = total
	ev.Location = changed(base.data.Location, &location)
	if priced.IsPositive() {
		avg := priceSum.DivRound(priced, 6)
		if base.data.PurchasePrice == nil || !base.data.PurchasePrice.Equal(avg) {
			ev.PurchasePrice = &Change[decimal.NullDecimal]{Old: nullDecimal(base.data.PurchasePrice), New: nullDecimal(&avg)}
		}
	}
	ev.Tracking = []Entry{{Type: status.TrackingMergedStockItems, Notes: notes, Deltas: Deltas{Quantity: dec(total), Added: dec(ev.Added)}}}
	res.Target = []domain.Event{ev}
	return res, nil
}

// PlanSerialize validates a serialization request (SerializeStockItemSerializer) and
// expands its serial numbers. quantity must be a whole number from 0 to the item's
// quantity, the part trackable, the destination an existing location.
func (it *Item) PlanSerialize(quantity int, expr string, destination int64, dest LocationFacts, part PartFacts, latestSerial string) ([]string, error) {
	if !it.Exists() {
		return nil, it.notFound()
	}
	errs := &domain.RuleError{}
	if quantity < 0 {
		errs.Add("quantity", msgQtyPositive)
	} else if decimal.NewFromInt(int64(quantity)).GreaterThan(it.data.Quantity) {
		errs.Add("quantity", fmt.Sprintf("Quantity must not exceed available stock quantity (%s)", qtyString(it.data.Quantity)))
	}
	if strings.TrimSpace(expr) == "" {
		errs.Add("serial_numbers", msgBlank)
	}
	switch {
	case destination == 0:
		errs.Add("destination", "This field may not be null.")
	case !dest.Exists:
		errs.Add("destination", msgInvalidPK(destination))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if !part.Trackable {
		return nil, domain.Invalid("", "Serial numbers cannot be assigned to this part")
	}
	serials, err := ExtractSerialNumbers(expr, quantity, latestSerial)
	if err != nil {
		out := &domain.RuleError{}
		se := err.(*SerialError)
		field := "serial_numbers"
		if se.OnQuantity {
			field = "quantity"
		}
		for _, m := range se.Messages {
			out.Add(field, m)
		}
		return nil, out
	}
	return serials, nil
}

// SerialsExist is the refusal of a serialization whose serial numbers are in use
// (SerializeStockItemSerializer.validate).
func SerialsExist(serials []string) *domain.RuleError {
	return domain.Invalid("serial_numbers", "Serial numbers already exist: "+strings.Join(serials, ","))
}

// Serialize decides splitting len(serials) units of the item into single items with
// those serial numbers at destination (StockItem.serializeStock), newPKs being their
// keys. The serial numbers come from PlanSerialize and are reserved by the command.
// Each new item copies this one, records "Split from parent item" and "Assigned serial
// number"; this item records "Serialized stock items" and may be depleted. Serializing
// an item that already has a serial number changes nothing, as in InvenTree.
func (it *Item) Serialize(serials []string, newPKs []int64, destination int64, dest LocationFacts, part PartFacts, notes string, s Settings) ([]domain.Event, []Spawned, error) {
	if !it.Exists() {
		return nil, nil, it.notFound()
	}
	if it.Serialized() {
		return nil, nil, nil
	}
	if !part.Trackable {
		return nil, nil, domain.Invalid("part", "Part is not set as trackable")
	}
	qty := decimal.NewFromInt(int64(len(serials)))
	switch {
	case len(serials) == 0:
		return nil, nil, domain.Invalid("quantity", msgQtyPositive)
	case qty.GreaterThan(it.data.Quantity):
		return nil, nil, domain.Invalid("quantity", fmt.Sprintf("Quantity must not exceed available stock quantity (%s)", qtyString(it.data.Quantity)))
	case len(newPKs) != len(serials):
		return nil, nil, domain.Invalid("quantity", "Quantity does not match serial numbers")
	case dest.Structural:
		return nil, nil, domain.Invalid("location", msgStructuralAssign)
	}
	scope := SerialScopeFor(it.data.Part, part, s)
	var spawned []Spawned
	ev := ItemSerialized{PK: it.pk, Quantity: qty, NewQuantity: it.data.Quantity.Sub(qty), Location: destination}
	for i, serial := range serials {
		child := it.data
		child.Quantity, child.Serial, child.SerialScope = one, serial, scope
		child.Parent, child.Location, child.DeleteOnDeplete = it.pk, destination, false
		child.StocktakeDate = ""
		spawned = append(spawned, Spawned{PK: newPKs[i], Events: []domain.Event{ItemCreated{
			PK: newPKs[i], ItemData: child,
			Tracking: []Entry{
				{Type: status.TrackingSplitFromParent, Notes: notes, Deltas: Deltas{Quantity: dec(one)}},
				{Type: status.TrackingAssignedSerial, Notes: notes, Deltas: Deltas{Serial: ptr(serial)}},
			},
		}}})
		ev.NewItems = append(ev.NewItems, SerialItem{PK: newPKs[i], Serial: serial})
	}
	ev.Tracking = []Entry{{Type: status.TrackingStockSerialized, Notes: notes, Deltas: Deltas{Removed: dec(qty), Quantity: dec(ev.NewQuantity)}}}
	evs := append([]domain.Event{ev}, it.depletion(ev.NewQuantity)...)
	return evs, spawned, nil
}

// Install decides installing qty of component into this item (the assembly)
// (InstallStockItemSerializer, StockItem.installStockItem). Rules: the component is in
// stock ("Stock item is unavailable"), is in the assembly part's bill of materials
// unless STOCK_ENFORCE_BOM_INSTALLATION is off (inBOM), is not the assembly itself,
// and at least 1 and at most its quantity is installed. Installing part of the
// component splits it first: the new item newPK (see SplitsOn) is installed. Returns
// the assembly's events, the component's, and the split-off item if any.
func (it *Item) Install(component *Item, qty decimal.Decimal, inBOM bool, newPK int64, notes string, s Settings) (assembly, comp []domain.Event, spawned *Spawned, err error) {
	if !it.Exists() {
		return nil, nil, nil, it.notFound()
	}
	if !component.Exists() {
		return nil, nil, nil, domain.Invalid("stock_item", msgInvalidPK(component.pk))
	}
	errs := &domain.RuleError{}
	if qty.LessThan(one) {
		errs.Add("quantity", "Quantity to install must be at least 1")
	}
	switch {
	case component.pk == it.pk:
		errs.Add("stock_item", "Item cannot belong to itself")
	case !component.InStock():
		errs.Add("stock_item", msgUnavailable)
	case !s.SkipBOMCheck && !inBOM:
		errs.Add("stock_item", "Selected part is not in the Bill of Materials")
	}
	if err := errs.Err(); err != nil {
		return nil, nil, nil, err
	}
	if qty.GreaterThan(component.data.Quantity) {
		return nil, nil, nil, domain.Invalid("quantity", "Quantity to install must not exceed available quantity")
	}
	installed, from := component.pk, component.data.Location
	installEvent := func() domain.Event {
		return ItemInstalled{
			PK: installed, Into: it.pk, From: from, Quantity: qty,
			Tracking: []Entry{{Type: status.TrackingInstalledIntoAssembly, Notes: notes, Deltas: Deltas{StockItem: ptr(it.pk), Quantity: dec(qty)}}},
		}
	}
	if component.SplitsOn(qty) {
		comp, spawned, err = component.split(qty, from, Adjustment{}, newPK, notes)
		if err != nil {
			return nil, nil, nil, err
		}
		installed = newPK
		spawned.Events = append(spawned.Events, installEvent())
	} else {
		comp = []domain.Event{installEvent()}
	}
	assembly = []domain.Event{ItemComponentInstalled{
		PK: it.pk, Component: installed, Quantity: qty,
		Tracking: []Entry{{Type: status.TrackingInstalledChildItem, Notes: notes, Deltas: Deltas{StockItem: ptr(installed), Quantity: dec(qty)}}},
	}}
	return assembly, comp, spawned, nil
}

// Uninstall decides taking this item out of the assembly it is installed in, into
// location to (UninstallStockItemSerializer, StockItem.uninstall_into_location); the
// command checked the location with CheckDestination. An item that is not installed
// is left alone. Returns this item's events and the assembly's.
func (it *Item) Uninstall(assembly *Item, to int64, notes string) (own, parent []domain.Event, err error) {
	if !it.Exists() {
		return nil, nil, it.notFound()
	}
	if it.data.BelongsTo == 0 {
		return nil, nil, nil
	}
	q := it.data.Quantity
	own = []domain.Event{ItemUninstalled{
		PK: it.pk, From: it.data.BelongsTo, To: to, Quantity: q,
		Tracking: []Entry{{Type: status.TrackingRemovedFromAssembly, Notes: notes, Deltas: Deltas{StockItem: ptr(it.data.BelongsTo), Quantity: dec(q)}}},
	}}
	if assembly != nil && assembly.Exists() {
		parent = []domain.Event{ItemComponentRemoved{
			PK: assembly.pk, Component: it.pk, Quantity: q,
			Tracking: []Entry{{Type: status.TrackingRemovedChildItem, Notes: notes, Deltas: Deltas{StockItem: ptr(it.pk), Quantity: dec(q)}}},
		}}
	}
	return own, parent, nil
}

// TransferTarget picks the item at a transfer's destination that this item would be
// merged into when the transfer asks to merge (StockItem.find_merge_target): among
// candidates (items at the destination, in pk order), those with this item's batch
// first, the first that can take this item in (can_merge: same part, supplier part and
// status, neither sold, installed, holding items, at a customer, in production or
// serialized). nil when there is none.
func (it *Item) TransferTarget(candidates []*Item) *Item {
	if !it.Exists() || it.mergeable() != "" {
		return nil
	}
	ordered := make([]*Item, 0, len(candidates))
	if it.data.Batch != "" {
		for _, c := range candidates {
			if c.data.Batch == it.data.Batch {
				ordered = append(ordered, c)
			}
		}
	}
	for _, c := range candidates {
		if it.data.Batch == "" || c.data.Batch != it.data.Batch {
			ordered = append(ordered, c)
		}
	}
	for _, c := range ordered {
		if c.pk != it.pk && c.Exists() && c.mergeable() == "" && c.data.Part == it.data.Part &&
			c.data.SupplierPart == it.data.SupplierPart && c.data.Status == it.data.Status {
			return c
		}
	}
	return nil
}

// AbsorbTransfer decides a transfer of qty of source, to location to, merged into this
// item (StockTransferSerializer with merge): the same checks as Transfer; this item
// takes the quantity and records "Merged stock items" with the transfer's deltas
// (the source, the location and the adjustment's fields). Moving all of the source
// deletes it; moving part of it takes the quantity off it without a tracking entry, as
// InvenTree's untracked split does. Returns this item's events and the source's.
func (it *Item) AbsorbTransfer(source *Item, qty decimal.Decimal, to int64, adj Adjustment, notes string, s Settings) (target, src []domain.Event, err error) {
	if err := source.checkAdjustment(qty, adj, s); err != nil {
		return nil, nil, err
	}
	if qty.IsZero() {
		return nil, nil, domain.Invalid("quantity", msgQtyPositive)
	}
	held := source.data.Quantity
	if !s.AllowOutOfStockTransfer && !held.IsPositive() {
		return nil, nil, domain.Invalid("", msgCannotMove)
	}
	if source.TransferTarget([]*Item{it}) != it {
		return nil, nil, domain.Invalid("", "Stock item cannot be merged")
	}
	moved := decimal.Min(qty, held)
	total := it.data.Quantity.Add(moved)
	deltas := Deltas{StockItem: ptr(source.pk)}
	if adj.Status != nil && *adj.Status != source.data.Status {
		statusDeltas(&deltas, source.data.Status, *adj.Status)
	}
	if adj.Batch != nil {
		deltas.Batch = ptr(*adj.Batch)
	}
	if adj.Packaging != nil {
		deltas.Packaging = ptr(*adj.Packaging)
	}
	deltas.Location, deltas.Quantity, deltas.Added = ptr(to), dec(total), dec(moved)
	ev := ItemsMerged{
		PK: it.pk, Merged: []MergedItem{{PK: source.pk, Quantity: moved}}, Added: moved, NewQuantity: total,
		Location: changed(it.data.Location, &to),
		Tracking: []Entry{{Type: status.TrackingMergedStockItems, Deltas: deltas, Notes: notes}},
	}
	if price := averagePrice(it.data, source.data, moved); !samePrice(price, it.data.PurchasePrice) {
		ev.PurchasePrice = &Change[decimal.NullDecimal]{Old: nullDecimal(it.data.PurchasePrice), New: nullDecimal(price)}
	}
	if moved.Equal(held) {
		return []domain.Event{ev}, []domain.Event{source.deletedEvent(ReasonMerged, it.pk)}, nil
	}
	return []domain.Event{ev}, []domain.Event{StockRemoved{PK: source.pk, Quantity: moved, NewQuantity: held.Sub(moved), MergedInto: it.pk}}, nil
}

// averagePrice is the target's purchase price after taking qty of source: the
// quantity-weighted average of the prices in the target's currency (merge_stock_items).
func averagePrice(target, source ItemData, qty decimal.Decimal) *decimal.Decimal {
	var priced, sum decimal.Decimal
	currency, found := "", false
	for _, p := range []struct {
		d ItemData
		q decimal.Decimal
	}{{target, target.Quantity}, {source, qty}} {
		if p.d.PurchasePrice == nil {
			continue
		}
		if !found {
			currency, found = p.d.PurchasePriceCurrency, true
		}
		if p.d.PurchasePriceCurrency != currency {
			continue
		}
		sum = sum.Add(p.d.PurchasePrice.Mul(p.q))
		priced = priced.Add(p.q)
	}
	if !priced.IsPositive() {
		return target.PurchasePrice
	}
	avg := sum.DivRound(priced, 6)
	return &avg
}
