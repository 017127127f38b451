package stock

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// NewStock is a request to create stock (POST /api/stock/), after the command has
// applied InvenTree's defaults that need other aggregates (the part's default location
// and expiry).
type NewStock struct {
	Part     int64
	Quantity decimal.Decimal
	// SerialNumbers is a serial number expression (see ExtractSerialNumbers); when set,
	// one item of quantity 1 is created per serial number.
	SerialNumbers         string
	Batch                 string
	Location              int64
	Status                status.StockStatus // 0: OK
	Packaging             string
	ExpiryDate            string
	PurchasePrice         *decimal.Decimal
	PurchasePriceCurrency string
	SupplierPart          int64
	Owner                 int64
	Link                  string
	Notes                 string
	// DeleteOnDeplete nil takes the STOCK_DELETE_DEPLETED_DEFAULT setting.
	DeleteOnDeplete *bool
	// Set by other flows (purchase order receipts, builds, sales):
	Build         int64
	IsBuilding    bool
	PurchaseOrder int64
	SalesOrder    int64
	Customer      int64
	BelongsTo     int64
	ConsumedBy    int64
}

// PlanNewStock validates a creation request and returns the new items' common fields
// and, when serial numbers were given, the serial numbers (one item each). latestSerial
// is the highest serial number in the part's scope, for "~" in the expression.
//
// Rules (stock/api.py StockList.create, StockItemSerializer.validate_part,
// StockItem.clean): a valid, non-virtual part; a quantity >= 0, integral for trackable
// parts; serial numbers only for trackable parts, matching the quantity; a valid
// status; no structural location.
func PlanNewStock(req NewStock, part PartFacts, loc LocationFacts, latestSerial string, s Settings) (ItemData, []string, error) {
	errs := &domain.RuleError{}
	if !part.Exists {
		return ItemData{}, nil, domain.Invalid("part", msgValidPart)
	}
	if part.Virtual {
		errs.Add("part", msgVirtualPart)
	}
	code := req.Status
	if code == 0 {
		code = status.StockOK
	}
	checkStatus(errs, "status", code)
	checkQuantity(errs, "quantity", req.Quantity)
	data := ItemData{
		Part: req.Part, Quantity: req.Quantity, Batch: strings.TrimSpace(req.Batch),
		Location: req.Location, Status: code, Packaging: req.Packaging,
		ExpiryDate: req.ExpiryDate, PurchasePrice: req.PurchasePrice,
		PurchasePriceCurrency: req.PurchasePriceCurrency, SupplierPart: req.SupplierPart,
		Owner: req.Owner, Link: req.Link, Notes: req.Notes,
		DeleteOnDeplete: !s.KeepDepletedByDefault,
		Build:           req.Build, IsBuilding: req.IsBuilding, PurchaseOrder: req.PurchaseOrder,
		SalesOrder: req.SalesOrder, Customer: req.Customer, BelongsTo: req.BelongsTo,
		ConsumedBy: req.ConsumedBy,
	}
	if req.DeleteOnDeplete != nil {
		data.DeleteOnDeplete = *req.DeleteOnDeplete
	}
	checkItemFields(errs, data)
	if req.Location != 0 {
		switch {
		case !loc.Exists:
			errs.Add("location", msgInvalidPK(req.Location))
		case loc.Structural:
			errs.Add("location", msgStructuralModel)
		}
	}
	if req.IsBuilding && req.Build == 0 {
		errs.Add("build", "Item must have a build reference if is_building=True")
	}
	integral := req.Quantity.Equal(req.Quantity.Truncate(0))
	if part.Trackable && !integral {
		errs.Add("quantity", msgTrackableInteger)
	}
	if err := errs.Err(); err != nil {
		return ItemData{}, nil, err
	}
	if strings.TrimSpace(req.SerialNumbers) == "" {
		return data, nil, nil
	}
	if !part.Trackable {
		return ItemData{}, nil, domain.Invalid("serial_numbers", "Serial numbers cannot be supplied for a non-trackable part")
	}
	serials, err := ExtractSerialNumbers(req.SerialNumbers, int(req.Quantity.IntPart()), latestSerial)
	if err != nil {
		// InvenTree reports expression errors on both fields.
		out := &domain.RuleError{}
		for _, m := range err.(*SerialError).Messages {
			out.Add("quantity", m)
			out.Add("serial_numbers", m)
		}
		return ItemData{}, nil, out
	}
	data.Quantity = decimal.NewFromInt(1)
	data.DeleteOnDeplete = false // StockItem.clean: serial numbered items are never deleted on depletion
	data.SerialScope = SerialScopeFor(req.Part, part, s)
	return data, serials, nil
}

// SerialsTaken is the refusal of a creation whose serial numbers are in use (stock/api.py
// StockList.create).
func SerialsTaken(serials []string) *domain.RuleError {
	return domain.Invalid("serial_numbers", "The following serial numbers already exist or are invalid : "+strings.Join(serials, ","))
}

// Create decides a new item with data (from PlanNewStock, or a copy made by a split).
// It records InvenTree's "Stock item created" tracking entry, whose deltas are the
// status and (when not zero) the quantity.
func (it *Item) Create(pk int64, data ItemData, notes string) ([]domain.Event, error) {
	deltas := Deltas{Status: ptr(data.Status)}
	if !data.Quantity.IsZero() {
		deltas.Quantity = dec(data.Quantity)
	}
	return it.CreateTracked(pk, data, Entry{Type: status.TrackingCreated, Deltas: deltas, Notes: notes})
}

// CreateTracked decides a new item recorded with other tracking entries than "Stock
// item created": a purchase order receipt ("Received against Purchase Order") or a
// build output, for the commands of those flows.
func (it *Item) CreateTracked(pk int64, data ItemData, tracking ...Entry) ([]domain.Event, error) {
	if it.created {
		return nil, domain.Invalid("", "Stock item already exists")
	}
	return []domain.Event{ItemCreated{PK: pk, ItemData: data, Tracking: tracking}}, nil
}

// ItemEdit is a PUT/PATCH of a stock item: nil fields are left unchanged. Location 0
// takes the item out of any location; ExpiryDate "" clears it; PurchasePrice with
// Valid false clears it.
type ItemEdit struct {
	Quantity              *decimal.Decimal
	Serial                *string
	Batch                 *string
	Location              *int64
	Status                *status.StockStatus
	Packaging             *string
	ExpiryDate            *string
	PurchasePrice         *decimal.NullDecimal
	PurchasePriceCurrency *string
	SupplierPart          *int64
	Owner                 *int64
	Link                  *string
	Notes                 *string
	DeleteOnDeplete       *bool
}

// Edit decides an edit. loc describes the new location when Location changes. A
// changed serial number must be reserved by the command (SerialStream) in the same
// transaction; Edit only checks the item's own rules (StockItem.clean):
//   - quantity >= 0, integral for trackable parts, at most 1 with a serial number
//   - no structural location
//   - a set serial number cannot change when STOCK_ALLOW_EDIT_SERIAL is off
//   - a valid status
//
// Only a status change is tracked, as InvenTree's StockItem.save records an "Edited
// stock item" entry for nothing else.
func (it *Item) Edit(e ItemEdit, loc LocationFacts, part PartFacts, s Settings) ([]domain.Event, error) {
	if !it.Exists() {
		return nil, it.notFound()
	}
	old := it.data
	d := old
	if e.Quantity != nil {
		d.Quantity = *e.Quantity
	}
	if e.Serial != nil {
		d.Serial = strings.TrimSpace(*e.Serial)
	}
	setIf(&d.Batch, e.Batch)
	if e.Batch != nil {
		d.Batch = strings.TrimSpace(d.Batch)
	}
	setIf(&d.Location, e.Location)
	setIf(&d.Status, e.Status)
	setIf(&d.Packaging, e.Packaging)
	setIf(&d.ExpiryDate, e.ExpiryDate)
	if e.PurchasePrice != nil {
		d.PurchasePrice = nil
		if e.PurchasePrice.Valid {
			d.PurchasePrice = dec(e.PurchasePrice.Decimal)
		}
	}
	setIf(&d.PurchasePriceCurrency, e.PurchasePriceCurrency)
	setIf(&d.SupplierPart, e.SupplierPart)
	setIf(&d.Owner, e.Owner)
	setIf(&d.Link, e.Link)
	setIf(&d.Notes, e.Notes)
	setIf(&d.DeleteOnDeplete, e.DeleteOnDeplete)

	errs := &domain.RuleError{}
	checkQuantity(errs, "quantity", d.Quantity)
	checkStatus(errs, "status", d.Status)
	checkItemFields(errs, d)
	if d.Location != old.Location && d.Location != 0 {
		switch {
		case !loc.Exists:
			errs.Add("location", msgInvalidPK(d.Location))
		case loc.Structural:
			errs.Add("location", msgStructuralModel)
		}
	}
	if s.ForbidSerialEdit && old.Serial != "" && d.Serial != old.Serial {
		errs.Add("serial", "Editing of serial numbers is not allowed - this item has already been assigned a serial number")
	}
	if part.Trackable && !d.Quantity.Equal(d.Quantity.Truncate(0)) {
		errs.Add("quantity", msgTrackableInteger)
	}
	if d.Serial != "" && d.Quantity.GreaterThan(decimal.NewFromInt(1)) {
		errs.Add("quantity", msgSerialQuantity)
		errs.Add("serial", msgSerialQtyGT1)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if d.Serial != old.Serial {
		// The new serial number is reserved in the part's current scope.
		d.SerialScope = 0
		if d.Serial != "" {
			d.SerialScope = SerialScopeFor(d.Part, part, s)
		}
	}
	if d.Serial != "" {
		d.DeleteOnDeplete = false // StockItem.clean
		if old.Serial == "" && d.Quantity.IsZero() {
			d.Quantity = decimal.NewFromInt(1) // StockItem.clean: a new serial makes a quantity of 0 into 1
		}
	}

	ev := ItemUpdated{PK: it.pk}
	if !d.Quantity.Equal(old.Quantity) {
		ev.Quantity = &Change[decimal.Decimal]{Old: old.Quantity, New: d.Quantity}
	}
	ev.Serial = changed(old.Serial, &d.Serial)
	ev.SerialScope = changed(old.SerialScope, &d.SerialScope)
	ev.Batch = changed(old.Batch, &d.Batch)
	ev.Location = changed(old.Location, &d.Location)
	ev.Status = changed(old.Status, &d.Status)
	ev.Packaging = changed(old.Packaging, &d.Packaging)
	ev.ExpiryDate = changed(old.ExpiryDate, &d.ExpiryDate)
	if !samePrice(old.PurchasePrice, d.PurchasePrice) {
		ev.PurchasePrice = &Change[decimal.NullDecimal]{Old: nullDecimal(old.PurchasePrice), New: nullDecimal(d.PurchasePrice)}
	}
	ev.PurchasePriceCurrency = changed(old.PurchasePriceCurrency, &d.PurchasePriceCurrency)
	ev.SupplierPart = changed(old.SupplierPart, &d.SupplierPart)
	ev.Owner = changed(old.Owner, &d.Owner)
	ev.Link = changed(old.Link, &d.Link)
	ev.Notes = changed(old.Notes, &d.Notes)
	ev.DeleteOnDeplete = changed(old.DeleteOnDeplete, &d.DeleteOnDeplete)
	if ev.Status != nil {
		deltas := Deltas{}
		statusDeltas(&deltas, old.Status, d.Status)
		ev.Tracking = []Entry{{Type: status.TrackingEdited, Deltas: deltas}}
	}
	if isEmptyUpdate(ev) {
		return nil, nil
	}
	return []domain.Event{ev}, nil
}

func isEmptyUpdate(ev ItemUpdated) bool {
	return ev.Quantity == nil && ev.Serial == nil && ev.SerialScope == nil && ev.Batch == nil && ev.Location == nil &&
		ev.Status == nil && ev.Packaging == nil && ev.ExpiryDate == nil && ev.PurchasePrice == nil &&
		ev.PurchasePriceCurrency == nil && ev.SupplierPart == nil && ev.Owner == nil && ev.Link == nil &&
		ev.Notes == nil && ev.DeleteOnDeplete == nil
}

func setIf[T any](field *T, v *T) {
	if v != nil {
		*field = *v
	}
}

func samePrice(a, b *decimal.Decimal) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func nullDecimal(d *decimal.Decimal) decimal.NullDecimal {
	if d == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: *d, Valid: true}
}

// statusDeltas records a status change as InvenTree does (_apply_status_change and
// StockChangeStatusSerializer): without custom states, logical and plain codes agree.
func statusDeltas(d *Deltas, old, new status.StockStatus) {
	d.Status, d.StatusLogical = ptr(new), ptr(new)
	d.OldStatus, d.OldStatusLogical = ptr(old), ptr(old)
}

// Delete decides the deletion of the item (DELETE /api/stock/{id}/). With
// STOCK_ALLOW_DELETE_SERIALIZED off, serialized items cannot be deleted
// (StockItem.delete). Items installed in it are deleted with it (belongs_to is
// on_delete=CASCADE): the command deletes them with DeleteWithParent.
func (it *Item) Delete(s Settings) ([]domain.Event, error) {
	if !it.Exists() {
		return nil, it.notFound()
	}
	if s.ForbidDeleteSerialized && it.Serialized() {
		return nil, domain.Invalid("", "Serialized stock items cannot be deleted")
	}
	return []domain.Event{it.deletedEvent(ReasonDeleted, 0)}, nil
}

// DeleteWithParent decides the deletion of an item installed in a deleted item.
func (it *Item) DeleteWithParent() []domain.Event {
	if !it.Exists() {
		return nil
	}
	return []domain.Event{it.deletedEvent(ReasonParentDeleted, 0)}
}

// DeleteWithLocation decides the deletion of an item whose location was deleted with
// delete_stock_items (a bulk delete in InvenTree, without the serialized-item check).
func (it *Item) DeleteWithLocation() []domain.Event {
	if !it.Exists() {
		return nil
	}
	return []domain.Event{it.deletedEvent(ReasonLocationDeleted, 0)}
}

// Relocate moves the item to the deleted location's parent (InvenTreeTree
// handle_tree_delete: a bulk update, without a tracking entry or any check).
func (it *Item) Relocate(to int64) []domain.Event {
	if !it.Exists() || it.data.Location == to {
		return nil
	}
	return []domain.Event{ItemMoved{PK: it.pk, Location: Change[int64]{Old: it.data.Location, New: to}, Quantity: it.data.Quantity, Reason: ReasonLocationDeleted}}
}

// ComponentDeleted records, on the assembly, that an installed item was deleted, so the
// assembly no longer counts it as installed.
func (it *Item) ComponentDeleted(component int64) []domain.Event {
	if !it.Exists() {
		return nil
	}
	for _, pk := range it.installed {
		if pk == component {
			return []domain.Event{ItemComponentRemoved{PK: it.pk, Component: component, Reason: ReasonDeleted}}
		}
	}
	return nil
}
