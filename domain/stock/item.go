package stock

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Item is a stock item (InvenTree StockItem): a quantity of one part in one place. Its
// stream is the authority for its quantity: every change is an event appended at the
// version the decision was made on, so two commands can never both take the same stock.
type Item struct {
	pk        int64
	created   bool
	deleted   bool
	data      ItemData
	installed []int64 // items installed in this one (their belongs_to is this item)
}

// ItemData is a stock item's stored fields, as a new item is created with them.
type ItemData struct {
	Part     int64           `json:"part"`
	Quantity decimal.Decimal `json:"quantity"`
	Serial   string          `json:"serial,omitempty"`
	// SerialScope is the uniqueness scope the serial was reserved in (see
	// SerialStream), kept so the reservation can be released exactly.
	SerialScope           int64              `json:"serial_scope,omitempty"`
	Batch                 string             `json:"batch,omitempty"`
	Location              int64              `json:"location,omitempty"`
	Status                status.StockStatus `json:"status"`
	Packaging             string             `json:"packaging,omitempty"`
	ExpiryDate            string             `json:"expiry_date,omitempty"` // YYYY-MM-DD
	StocktakeDate         string             `json:"stocktake_date,omitempty"`
	PurchasePrice         *decimal.Decimal   `json:"purchase_price,omitempty"`
	PurchasePriceCurrency string             `json:"purchase_price_currency,omitempty"`
	SupplierPart          int64              `json:"supplier_part,omitempty"`
	Owner                 int64              `json:"owner,omitempty"`
	Link                  string             `json:"link,omitempty"`
	Notes                 string             `json:"notes,omitempty"`
	DeleteOnDeplete       bool               `json:"delete_on_deplete"`
	Parent                int64              `json:"parent,omitempty"`
	Build                 int64              `json:"build,omitempty"`
	IsBuilding            bool               `json:"is_building,omitempty"`
	PurchaseOrder         int64              `json:"purchase_order,omitempty"`
	SalesOrder            int64              `json:"sales_order,omitempty"`
	Customer              int64              `json:"customer,omitempty"`
	BelongsTo             int64              `json:"belongs_to,omitempty"`
	ConsumedBy            int64              `json:"consumed_by,omitempty"`
}

// Overrides are the optional field changes a stock adjustment may carry (InvenTree's
// optional_transfer_fields: batch, status, packaging).
type Overrides struct {
	Status    *Change[status.StockStatus] `json:"status,omitempty"`
	Batch     *Change[string]             `json:"batch,omitempty"`
	Packaging *Change[string]             `json:"packaging,omitempty"`
}

// ItemCreated records a new stock item. Parent is set when it was split off or
// serialized from another item.
type ItemCreated struct {
	PK int64 `json:"pk"`
	ItemData
	Tracking []Entry `json:"tracking,omitempty"`
}

// ItemUpdated records an edit (PUT/PATCH) of a stock item's fields.
type ItemUpdated struct {
	PK                    int64                        `json:"pk"`
	Quantity              *Change[decimal.Decimal]     `json:"quantity,omitempty"`
	Serial                *Change[string]              `json:"serial,omitempty"`
	SerialScope           *Change[int64]               `json:"serial_scope,omitempty"`
	Batch                 *Change[string]              `json:"batch,omitempty"`
	Location              *Change[int64]               `json:"location,omitempty"`
	Status                *Change[status.StockStatus]  `json:"status,omitempty"`
	Packaging             *Change[string]              `json:"packaging,omitempty"`
	ExpiryDate            *Change[string]              `json:"expiry_date,omitempty"`
	PurchasePrice         *Change[decimal.NullDecimal] `json:"purchase_price,omitempty"`
	PurchasePriceCurrency *Change[string]              `json:"purchase_price_currency,omitempty"`
	SupplierPart          *Change[int64]               `json:"supplier_part,omitempty"`
	Owner                 *Change[int64]               `json:"owner,omitempty"`
	Link                  *Change[string]              `json:"link,omitempty"`
	Notes                 *Change[string]              `json:"notes,omitempty"`
	DeleteOnDeplete       *Change[bool]                `json:"delete_on_deplete,omitempty"`
	Tracking              []Entry                      `json:"tracking,omitempty"`
}

// StockAdded records stock manually added to an item.
type StockAdded struct {
	PK          int64           `json:"pk"`
	Quantity    decimal.Decimal `json:"quantity"`
	NewQuantity decimal.Decimal `json:"new_quantity"`
	Overrides
	Tracking []Entry `json:"tracking,omitempty"`
}

// StockRemoved records stock taken from an item: removed manually, or transferred into
// the item MergedInto (a transfer with merge). Splits and serializations have events of
// their own (ItemSplit, ItemSerialized).
type StockRemoved struct {
	PK          int64           `json:"pk"`
	Quantity    decimal.Decimal `json:"quantity"`
	NewQuantity decimal.Decimal `json:"new_quantity"`
	MergedInto  int64           `json:"merged_into,omitempty"`
	Overrides
	Tracking []Entry `json:"tracking,omitempty"`
}

// StockCounted records a stocktake: the item was counted and holds Counted.
type StockCounted struct {
	PK            int64           `json:"pk"`
	Counted       decimal.Decimal `json:"counted"`
	OldQuantity   decimal.Decimal `json:"old_quantity"`
	NewQuantity   decimal.Decimal `json:"new_quantity"`
	Location      *Change[int64]  `json:"location,omitempty"`
	StocktakeDate string          `json:"stocktake_date"`
	Overrides
	Tracking []Entry `json:"tracking,omitempty"`
}

// ItemMoved records an item moved, whole, from one location to another (0: none).
//
// Schema 2 (this shape) records the move as Location {old, new}, the shape of every
// other event that changes where an item is (ItemUpdated, StockCounted, ItemsMerged):
// a reader that follows items from place to place (a stock level per location, an
// audit consumer, a webhook subscriber) then reads one member, "location.new", and
// finds "no location" written as 0 rather than as a missing key. Schema 1 had "from"
// and "to", each left out when 0; upcastItemMoved1 reads it.
type ItemMoved struct {
	PK       int64           `json:"pk"`
	Location Change[int64]   `json:"location"`
	Quantity decimal.Decimal `json:"quantity"`
	Overrides
	// Reason is ReasonLocationDeleted when the item's location was deleted and it moved
	// to that location's parent; empty for a transfer.
	Reason   string  `json:"reason,omitempty"`
	Tracking []Entry `json:"tracking,omitempty"`
}

// ItemSplit records Quantity taken from an item into the new item NewItem (which has
// an ItemCreated of its own, with this item as its parent).
type ItemSplit struct {
	PK          int64           `json:"pk"`
	NewItem     int64           `json:"new_item"`
	Quantity    decimal.Decimal `json:"quantity"`
	NewQuantity decimal.Decimal `json:"new_quantity"`
	To          int64           `json:"to,omitempty"`
	Tracking    []Entry         `json:"tracking,omitempty"`
}

// MergedItem is one item merged into another, with the quantity it brought.
type MergedItem struct {
	PK       int64           `json:"pk"`
	Quantity decimal.Decimal `json:"quantity"`
}

// ItemsMerged records other items merged into this one; each of them is deleted
// (ItemDeleted with MergedInto).
type ItemsMerged struct {
	PK            int64                        `json:"pk"`
	Merged        []MergedItem                 `json:"merged"`
	Added         decimal.Decimal              `json:"added"`
	NewQuantity   decimal.Decimal              `json:"new_quantity"`
	Location      *Change[int64]               `json:"location,omitempty"`
	PurchasePrice *Change[decimal.NullDecimal] `json:"purchase_price,omitempty"`
	// ParentCleared is set when this item's parent was one of the merged items
	// (merge_stock_items sets parent to None then).
	ParentCleared bool    `json:"parent_cleared,omitempty"`
	Tracking      []Entry `json:"tracking,omitempty"`
}

// StatusChanged records a status change (/api/stock/change_status/).
type StatusChanged struct {
	PK       int64              `json:"pk"`
	Old      status.StockStatus `json:"old"`
	New      status.StockStatus `json:"new"`
	Tracking []Entry            `json:"tracking,omitempty"`
}

// SerialItem is one item created by serializing another.
type SerialItem struct {
	PK     int64  `json:"pk"`
	Serial string `json:"serial"`
}

// ItemSerialized records Quantity of an item split into single serialized items
// (each with an ItemCreated of its own).
type ItemSerialized struct {
	PK          int64           `json:"pk"`
	Quantity    decimal.Decimal `json:"quantity"`
	NewQuantity decimal.Decimal `json:"new_quantity"`
	NewItems    []SerialItem    `json:"new_items"`
	Location    int64           `json:"location,omitempty"`
	Tracking    []Entry         `json:"tracking,omitempty"`
}

// ItemInstalled records this item installed into the assembly item Into; it left
// location From.
type ItemInstalled struct {
	PK       int64           `json:"pk"`
	Into     int64           `json:"into"`
	From     int64           `json:"from,omitempty"`
	Quantity decimal.Decimal `json:"quantity"`
	Tracking []Entry         `json:"tracking,omitempty"`
}

// ItemComponentInstalled records, on the assembly, that Component was installed in it.
type ItemComponentInstalled struct {
	PK        int64           `json:"pk"`
	Component int64           `json:"component"`
	Quantity  decimal.Decimal `json:"quantity"`
	Tracking  []Entry         `json:"tracking,omitempty"`
}

// ItemUninstalled records this item taken out of the assembly item From into location
// To.
type ItemUninstalled struct {
	PK       int64           `json:"pk"`
	From     int64           `json:"from"`
	To       int64           `json:"to,omitempty"`
	Quantity decimal.Decimal `json:"quantity"`
	Tracking []Entry         `json:"tracking,omitempty"`
}

// ItemComponentRemoved records, on the assembly, that Component is no longer installed
// in it: uninstalled, or deleted (Reason "deleted", no tracking entry).
type ItemComponentRemoved struct {
	PK        int64           `json:"pk"`
	Component int64           `json:"component"`
	Quantity  decimal.Decimal `json:"quantity"`
	Reason    string          `json:"reason,omitempty"`
	Tracking  []Entry         `json:"tracking,omitempty"`
}

// ItemDeleted records a stock item's end. It carries what the read models need to
// unlink it: its parent (children are re-linked to it, as InvenTree's delete does),
// location and serial.
type ItemDeleted struct {
	PK          int64           `json:"pk"`
	Part        int64           `json:"part"`
	Parent      int64           `json:"parent,omitempty"`
	Location    int64           `json:"location,omitempty"`
	Quantity    decimal.Decimal `json:"quantity"`
	Serial      string          `json:"serial,omitempty"`
	SerialScope int64           `json:"serial_scope,omitempty"`
	// Reason is one of the Reason constants.
	Reason     string `json:"reason"`
	MergedInto int64  `json:"merged_into,omitempty"`
}

// Why an item was deleted.
const (
	ReasonDeleted       = "deleted"        // DELETE /api/stock/{id}/
	ReasonDepleted      = "depleted"       // quantity reached zero with delete_on_deplete
	ReasonMerged        = "merged"         // merged into MergedInto
	ReasonParentDeleted = "parent_deleted" // installed in an item that was deleted
	// ReasonLocationDeleted (also used for moves) is declared with the location events.
)

func (ItemCreated) EventType() string            { return TypeItemCreated }
func (ItemUpdated) EventType() string            { return TypeItemUpdated }
func (StockAdded) EventType() string             { return TypeStockAdded }
func (StockRemoved) EventType() string           { return TypeStockRemoved }
func (StockCounted) EventType() string           { return TypeStockCounted }
func (ItemMoved) EventType() string              { return TypeItemMoved }
func (ItemSplit) EventType() string              { return TypeItemSplit }
func (ItemsMerged) EventType() string            { return TypeItemsMerged }
func (StatusChanged) EventType() string          { return TypeStatusChanged }
func (ItemSerialized) EventType() string         { return TypeItemSerialized }
func (ItemInstalled) EventType() string          { return TypeItemInstalled }
func (ItemComponentInstalled) EventType() string { return TypeItemComponentInstalled }
func (ItemUninstalled) EventType() string        { return TypeItemUninstalled }
func (ItemComponentRemoved) EventType() string   { return TypeItemComponentRemoved }
func (ItemDeleted) EventType() string            { return TypeItemDeleted }

// Apply folds a stock item event.
func (it *Item) Apply(e domain.Event) {
	d := &it.data
	switch e := e.(type) {
	case ItemCreated:
		it.pk, it.created, it.data = e.PK, true, e.ItemData
	case ItemUpdated:
		if e.Quantity != nil {
			d.Quantity = e.Quantity.New
		}
		applyChange(&d.Serial, e.Serial)
		applyChange(&d.SerialScope, e.SerialScope)
		applyChange(&d.Batch, e.Batch)
		applyChange(&d.Location, e.Location)
		applyChange(&d.Status, e.Status)
		applyChange(&d.Packaging, e.Packaging)
		applyChange(&d.ExpiryDate, e.ExpiryDate)
		if e.PurchasePrice != nil {
			d.PurchasePrice = nil
			if e.PurchasePrice.New.Valid {
				d.PurchasePrice = dec(e.PurchasePrice.New.Decimal)
			}
		}
		applyChange(&d.PurchasePriceCurrency, e.PurchasePriceCurrency)
		applyChange(&d.SupplierPart, e.SupplierPart)
		applyChange(&d.Owner, e.Owner)
		applyChange(&d.Link, e.Link)
		applyChange(&d.Notes, e.Notes)
		applyChange(&d.DeleteOnDeplete, e.DeleteOnDeplete)
	case StockAdded:
		d.Quantity = e.NewQuantity
		it.applyOverrides(e.Overrides)
	case StockRemoved:
		d.Quantity = e.NewQuantity
		it.applyOverrides(e.Overrides)
	case StockCounted:
		d.Quantity = e.NewQuantity
		applyChange(&d.Location, e.Location)
		d.StocktakeDate = e.StocktakeDate
		it.applyOverrides(e.Overrides)
	case ItemMoved:
		d.Location = e.Location.New
		it.applyOverrides(e.Overrides)
	case ItemSplit:
		d.Quantity = e.NewQuantity
	case ItemsMerged:
		d.Quantity = e.NewQuantity
		applyChange(&d.Location, e.Location)
		if e.PurchasePrice != nil {
			d.PurchasePrice = nil
			if e.PurchasePrice.New.Valid {
				d.PurchasePrice = dec(e.PurchasePrice.New.Decimal)
			}
		}
		if e.ParentCleared {
			d.Parent = 0
		}
	case StatusChanged:
		d.Status = e.New
	case ItemSerialized:
		d.Quantity = e.NewQuantity
	case ItemInstalled:
		d.BelongsTo, d.Location = e.Into, 0
	case ItemComponentInstalled:
		if !slices.Contains(it.installed, e.Component) {
			it.installed = append(it.installed, e.Component)
		}
	case ItemUninstalled:
		d.BelongsTo, d.ConsumedBy, d.Location = 0, 0, e.To
	case ItemComponentRemoved:
		it.installed = slices.DeleteFunc(it.installed, func(pk int64) bool { return pk == e.Component })
	case ItemDeleted:
		it.deleted = true
	default:
		it.applyCustomer(e)
	}
}

func (it *Item) applyOverrides(o Overrides) {
	applyChange(&it.data.Status, o.Status)
	applyChange(&it.data.Batch, o.Batch)
	applyChange(&it.data.Packaging, o.Packaging)
}

// Exists reports whether the item was created and not deleted.
func (it *Item) Exists() bool { return it.created && !it.deleted }

// PK is the item's primary key.
func (it *Item) PK() int64 { return it.pk }

// Data is a copy of the item's fields.
func (it *Item) Data() ItemData { return it.data }

// Quantity is the quantity the item holds.
func (it *Item) Quantity() decimal.Decimal { return it.data.Quantity }

// BelongsTo is the item this one is installed in, 0 if none.
func (it *Item) BelongsTo() int64 { return it.data.BelongsTo }

// Installed lists the items installed in this one.
func (it *Item) Installed() []int64 { return slices.Clone(it.installed) }

// Serialized reports whether the item has a serial number. InvenTree also requires a
// quantity of exactly 1; here a serialized item may be at 0 (counted missing), and it
// is still the one item with that serial.
func (it *Item) Serialized() bool { return strings.TrimSpace(it.data.Serial) != "" }

// InStock is InvenTree's StockItem.in_stock / IN_STOCK_FILTER: a positive quantity, an
// available status, not being built, and not sold, installed, given to a customer or
// consumed by a build.
func (it *Item) InStock() bool {
	d := it.data
	return d.Quantity.IsPositive() && d.Status.InStock() && !d.IsBuilding && it.held()
}

// held is is_in_stock(check_status=False, check_quantity=False,
// check_in_production=False): not sold, installed, at a customer or consumed.
func (it *Item) held() bool {
	d := it.data
	return d.SalesOrder == 0 && d.BelongsTo == 0 && d.Customer == 0 && d.ConsumedBy == 0
}

// SerialScopeFor is the uniqueness scope of a part's serial numbers under s.
func SerialScopeFor(partPK int64, part PartFacts, s Settings) int64 {
	switch {
	case s.SerialsGloballyUnique:
		return 0
	case part.SerialScope != 0:
		return part.SerialScope
	}
	return partPK
}

func (it *Item) notFound() error { return &domain.NotFoundError{Kind: "StockItem", ID: it.pk} }

// canDelete is StockItem.can_delete as far as the item itself knows: nothing installed
// in it and not assigned to a sales order. (Build and sales order allocations belong to
// the order aggregates.)
func (it *Item) canDelete() bool { return len(it.installed) == 0 && it.data.SalesOrder == 0 }

// deletedEvent is the item's end, for any reason.
func (it *Item) deletedEvent(reason string, mergedInto int64) ItemDeleted {
	d := it.data
	return ItemDeleted{
		PK: it.pk, Part: d.Part, Parent: d.Parent, Location: d.Location, Quantity: d.Quantity,
		Serial: d.Serial, SerialScope: d.SerialScope, Reason: reason, MergedInto: mergedInto,
	}
}

// depletion is the deletion that follows an adjustment to zero when the item is to be
// deleted on depletion (StockItem.updateQuantity).
func (it *Item) depletion(newQty decimal.Decimal) []domain.Event {
	if newQty.IsZero() && it.data.DeleteOnDeplete && !it.Serialized() && it.canDelete() {
		return []domain.Event{it.deletedEvent(ReasonDepleted, 0)}
	}
	return nil
}

// checkDate checks a YYYY-MM-DD date field, in DRF's words.
func checkDate(errs *domain.RuleError, field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		errs.Add(field, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
	}
}

// checkItemFields applies the StockItem field lengths (stock/models.py).
func checkItemFields(errs *domain.RuleError, d ItemData) {
	checkLength(errs, "serial", d.Serial, 100)
	checkLength(errs, "batch", d.Batch, 100)
	checkLength(errs, "packaging", d.Packaging, 50)
	checkLength(errs, "link", d.Link, 2000)
	checkLength(errs, "notes", d.Notes, 50000)
	checkDate(errs, "expiry_date", d.ExpiryDate)
	if d.PurchasePrice != nil {
		checkDigits(errs, "purchase_price", *d.PurchasePrice, 19, 6)
	}
}
