// Package stock holds InvenTree's stock: the Location and Item aggregates, the
// Reservation aggregate that keeps serial numbers and location names unique across
// aggregates, their events and their rules.
//
// Every change to a stock item's quantity, place or state is an event on the item's
// stream, and each such event carries the InvenTree stock tracking entries
// (/api/stock/track/) it stands for: the StockHistoryCode, the deltas and the notes. The
// user and the date of an entry come from the event's envelope.
//
// Rules come from InvenTree 1.5 (API 530): stock/models.py (StockItem.clean, add_stock,
// take_stock, stocktake, move, splitStock, can_merge, merge_stock_items,
// serializeStock, installStockItem, uninstall_into_location, updateQuantity, delete;
// StockLocation.clean), stock/serializers.py (the action serializers), stock/api.py
// (StockList.create) and InvenTree/helpers.py (extract_serial_numbers, increment,
// extract_int). Each rule's comment names its source.
//
// References to other aggregates are primary keys; 0 means "none" (keys start at 1).
// Decisions that need facts about another aggregate (is the target location structural,
// is the part trackable) take them as plain values the command read from that
// aggregate, never from a read model.
package stock

import (
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Event type names. They are stored: never rename one.
const (
	TypeLocationCreated = "StockLocationCreated"
	TypeLocationUpdated = "StockLocationUpdated"
	TypeLocationDeleted = "StockLocationDeleted"

	TypeItemCreated            = "StockItemCreated"
	TypeItemUpdated            = "StockItemUpdated"
	TypeStockAdded             = "StockAdded"
	TypeStockRemoved           = "StockRemoved"
	TypeStockCounted           = "StockCounted"
	TypeItemMoved              = "StockItemMoved"
	TypeItemSplit              = "StockItemSplit"
	TypeItemsMerged            = "StockItemsMerged"
	TypeStatusChanged          = "StockStatusChanged"
	TypeItemSerialized         = "StockItemSerialized"
	TypeItemInstalled          = "StockItemInstalled"
	TypeItemUninstalled        = "StockItemUninstalled"
	TypeItemComponentInstalled = "StockItemComponentInstalled"
	TypeItemComponentRemoved   = "StockItemComponentRemoved"
	TypeItemDeleted            = "StockItemDeleted"
	TypeKeyReserved            = "StockKeyReserved"
	TypeKeyReleased            = "StockKeyReleased"

	TypeItemAssignedToCustomer   = "StockItemAssignedToCustomer"
	TypeItemReturnedFromCustomer = "StockItemReturnedFromCustomer"
)

// Events lists every event type this package defines, for the codec.
func Events() []domain.EventType {
	return []domain.EventType{
		domain.JSONEvent[LocationCreated](TypeLocationCreated),
		domain.JSONEvent[LocationUpdated](TypeLocationUpdated),
		domain.JSONEvent[LocationDeleted](TypeLocationDeleted),
		domain.JSONEvent[ItemCreated](TypeItemCreated),
		domain.JSONEvent[ItemUpdated](TypeItemUpdated),
		domain.JSONEvent[StockAdded](TypeStockAdded),
		domain.JSONEvent[StockRemoved](TypeStockRemoved),
		domain.JSONEvent[StockCounted](TypeStockCounted),
		domain.EvolvedEvent[ItemMoved](TypeItemMoved, upcastItemMoved1),
		domain.JSONEvent[ItemSplit](TypeItemSplit),
		domain.JSONEvent[ItemsMerged](TypeItemsMerged),
		domain.JSONEvent[StatusChanged](TypeStatusChanged),
		domain.JSONEvent[ItemSerialized](TypeItemSerialized),
		domain.JSONEvent[ItemInstalled](TypeItemInstalled),
		domain.JSONEvent[ItemUninstalled](TypeItemUninstalled),
		domain.JSONEvent[ItemComponentInstalled](TypeItemComponentInstalled),
		domain.JSONEvent[ItemComponentRemoved](TypeItemComponentRemoved),
		domain.JSONEvent[ItemDeleted](TypeItemDeleted),
		domain.JSONEvent[KeyReserved](TypeKeyReserved),
		domain.JSONEvent[KeyReleased](TypeKeyReleased),
		domain.JSONEvent[ItemAssignedToCustomer](TypeItemAssignedToCustomer),
		domain.JSONEvent[ItemReturnedFromCustomer](TypeItemReturnedFromCustomer),
	}
}

// Settings are InvenTree's global stock settings that change the rules. The zero value
// is InvenTree's defaults (common/setting/system.py).
type Settings struct {
	// AllowOutOfStockTransfer is STOCK_ALLOW_OUT_OF_STOCK_TRANSFER (default off): items
	// that are not in stock (sold, installed, consumed) may still be adjusted and moved.
	AllowOutOfStockTransfer bool
	// ForbidDeleteSerialized inverts STOCK_ALLOW_DELETE_SERIALIZED (default on).
	ForbidDeleteSerialized bool
	// ForbidSerialEdit inverts STOCK_ALLOW_EDIT_SERIAL (default on): once set, a serial
	// number may not be changed.
	ForbidSerialEdit bool
	// KeepDepletedByDefault inverts STOCK_DELETE_DEPLETED_DEFAULT (default on): the
	// default of delete_on_deplete for new items.
	KeepDepletedByDefault bool
	// SkipBOMCheck inverts STOCK_ENFORCE_BOM_INSTALLATION (default on): installing an
	// item whose part is not in the assembly's bill of materials.
	SkipBOMCheck bool
	// SerialsGloballyUnique is SERIAL_NUMBER_GLOBALLY_UNIQUE (default off): serial
	// numbers unique across all parts instead of within a part's variant tree.
	SerialsGloballyUnique bool
}

// PartFacts is what stock decisions need to know about a part, read from the part
// aggregate by the command.
type PartFacts struct {
	Exists    bool
	Active    bool
	Trackable bool
	Virtual   bool
	Salable   bool
	// SerialScope identifies the set of parts within which serial numbers are unique:
	// InvenTree's variant tree (Part.tree_id), i.e. the pk of the tree's root part. Zero
	// means the part's own pk.
	SerialScope int64
	// DefaultLocation is the part's default_location, 0 when none.
	DefaultLocation int64
	// DefaultExpiryDays is the part's default_expiry.
	DefaultExpiryDays int
}

// LocationFacts is what stock decisions need to know about a location, read from the
// location aggregate by the command.
type LocationFacts struct {
	Exists     bool
	Structural bool
}

// Entry is one InvenTree stock tracking entry (StockItemTracking) that an event stands
// for, on the event's own item. Type is InvenTree's StockHistoryCode.
type Entry struct {
	Type   status.TrackingType `json:"type"`
	Deltas Deltas              `json:"deltas"`
	Notes  string              `json:"notes,omitempty"`
}

// Deltas are a tracking entry's "deltas" object, with InvenTree's keys. Unset fields
// are absent from the entry. Quantities are decimals here; the tracking read model
// renders them as JSON numbers, as InvenTree does.
type Deltas struct {
	Status           *status.StockStatus `json:"status,omitempty"`
	StatusLogical    *status.StockStatus `json:"status_logical,omitempty"`
	OldStatus        *status.StockStatus `json:"old_status,omitempty"`
	OldStatusLogical *status.StockStatus `json:"old_status_logical,omitempty"`
	Quantity         *decimal.Decimal    `json:"quantity,omitempty"`
	Added            *decimal.Decimal    `json:"added,omitempty"`
	Removed          *decimal.Decimal    `json:"removed,omitempty"`
	Location         *int64              `json:"location,omitempty"`
	OldLocation      *int64              `json:"old_location,omitempty"`
	StockItem        *int64              `json:"stockitem,omitempty"`
	Serial           *string             `json:"serial,omitempty"`
	Batch            *string             `json:"batch,omitempty"`
	Packaging        *string             `json:"packaging,omitempty"`
	Part             *int64              `json:"part,omitempty"`
	Customer         *int64              `json:"customer,omitempty"`
	CustomerName     *string             `json:"customer_name,omitempty"`
	BuildOrder       *int64              `json:"buildorder,omitempty"`
	PurchaseOrder    *int64              `json:"purchaseorder,omitempty"`
	SalesOrder       *int64              `json:"salesorder,omitempty"`
	ReturnOrder      *int64              `json:"returnorder,omitempty"`
	TransferOrder    *int64              `json:"transferorder,omitempty"`
}

// Change is one field's old and new value in an update event, so the audit trail reads
// "from X to Y" without replaying the stream.
type Change[T any] struct {
	Old T `json:"old"`
	New T `json:"new"`
}

func ptr[T any](v T) *T { return &v }

func dec(d decimal.Decimal) *decimal.Decimal { return &d }
