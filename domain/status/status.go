// Package status is the catalogue of InvenTree's status codes: stock status, stock
// tracking (history) codes and the order and build states, with InvenTree's names,
// labels, colours and logical groups (src/backend/InvenTree/*/status_codes.py, API 530).
//
// It is pure data. The numbers are part of the API and of stored events: never renumber
// a code. Aggregates use the typed codes (StockStatus, TrackingType, ...); api/ serves
// the classes at /api/generic/status/.
package status

import "slices"

// Color is the colour InvenTree's UI shows a status in (its ColorEnum).
type Color string

// InvenTree's colours.
const (
	Primary   Color = "primary"
	Secondary Color = "secondary"
	Success   Color = "success"
	Danger    Color = "danger"
	Warning   Color = "warning"
	Info      Color = "info"
	Dark      Color = "dark"
)

// Code is one value of a status class.
type Code struct {
	// Key is the stored and transmitted number.
	Key int
	// Name is InvenTree's constant name, e.g. "OK", "ON_HOLD".
	Name string
	// Label is the text shown to users, e.g. "Attention needed".
	Label string
	Color Color
}

// Group is a logical set of codes of one class, e.g. the open purchase order states.
type Group struct {
	Name string
	Keys []int
}

// The group names InvenTree uses.
const (
	GroupAvailable = "AVAILABLE" // stock that counts as in stock
	GroupActive    = "ACTIVE"    // builds still being worked on
	GroupOpen      = "OPEN"      // orders not finished
	GroupComplete  = "COMPLETE"  // orders or builds finished successfully
	GroupFailed    = "FAILED"    // orders finished unsuccessfully
)

// Class is a set of status codes: one of InvenTree's StatusCode classes.
type Class struct {
	// Name is InvenTree's class name, e.g. "StockStatus"; the API looks classes up by it.
	Name string
	// Codes in InvenTree's definition order.
	Codes  []Code
	Groups []Group
}

// Code returns the code with key.
func (c Class) Code(key int) (Code, bool) {
	for _, x := range c.Codes {
		if x.Key == key {
			return x, true
		}
	}
	return Code{}, false
}

// Valid reports whether key is one of the class's codes.
func (c Class) Valid(key int) bool {
	_, ok := c.Code(key)
	return ok
}

// In reports whether key belongs to the named group.
func (c Class) In(group string, key int) bool {
	for _, g := range c.Groups {
		if g.Name == group {
			return slices.Contains(g.Keys, key)
		}
	}
	return false
}

// label is key's label, or "" for an unknown key.
func (c Class) label(key int) string {
	x, _ := c.Code(key)
	return x.Label
}

// Classes lists every class Stockledger serves, in a fixed order.
func Classes() []Class {
	return []Class{
		StockStatusClass(),
		StockHistoryCodeClass(),
		PurchaseOrderStatusClass(),
		SalesOrderStatusClass(),
		BuildStatusClass(),
		ReturnOrderStatusClass(),
		ReturnOrderLineStatusClass(),
		TransferOrderStatusClass(),
	}
}

// Lookup finds a class by its InvenTree name ("StockStatus"); the match is exact, as
// InvenTree's is.
func Lookup(name string) (Class, bool) {
	for _, c := range Classes() {
		if c.Name == name {
			return c, true
		}
	}
	return Class{}, false
}

// StockStatus is a stock item's status (StockItem.status).
type StockStatus int

// Stock statuses.
const (
	StockOK          StockStatus = 10
	StockAttention   StockStatus = 50
	StockDamaged     StockStatus = 55
	StockDestroyed   StockStatus = 60
	StockRejected    StockStatus = 65
	StockLost        StockStatus = 70
	StockQuarantined StockStatus = 75
	StockReturned    StockStatus = 85
)

// StockStatusClass is InvenTree's StockStatus with its AVAILABLE group.
func StockStatusClass() Class {
	return Class{
		Name: "StockStatus",
		Codes: []Code{
			{int(StockOK), "OK", "OK", Success},
			{int(StockAttention), "ATTENTION", "Attention needed", Warning},
			{int(StockDamaged), "DAMAGED", "Damaged", Warning},
			{int(StockDestroyed), "DESTROYED", "Destroyed", Danger},
			{int(StockRejected), "REJECTED", "Rejected", Danger},
			{int(StockLost), "LOST", "Lost", Dark},
			{int(StockQuarantined), "QUARANTINED", "Quarantined", Info},
			{int(StockReturned), "RETURNED", "Returned", Warning},
		},
		Groups: []Group{
			{GroupAvailable, []int{int(StockOK), int(StockAttention), int(StockDamaged), int(StockReturned)}},
		},
	}
}

// StockStatusValid reports whether code is a stock status.
func StockStatusValid(code int) bool { return StockStatusClass().Valid(code) }

// Valid reports whether s is a stock status.
func (s StockStatus) Valid() bool { return StockStatusValid(int(s)) }

// InStock reports whether an item with status s counts as available stock; destroyed,
// rejected, lost and quarantined items do not.
func (s StockStatus) InStock() bool { return StockStatusClass().In(GroupAvailable, int(s)) }

// Label is the status's text, "" when s is not valid.
func (s StockStatus) Label() string { return StockStatusClass().label(int(s)) }

// TrackingType is the kind of a stock tracking entry (InvenTree's StockHistoryCode,
// StockItemTracking.tracking_type).
type TrackingType int

// Tracking types.
const (
	TrackingLegacy                       TrackingType = 0
	TrackingCreated                      TrackingType = 1
	TrackingEdited                       TrackingType = 5
	TrackingAssignedSerial               TrackingType = 6
	TrackingStockCount                   TrackingType = 10
	TrackingStockAdd                     TrackingType = 11
	TrackingStockRemove                  TrackingType = 12
	TrackingStockSerialized              TrackingType = 13
	TrackingReturnedToStock              TrackingType = 15
	TrackingStockMove                    TrackingType = 20
	TrackingStockUpdate                  TrackingType = 25
	TrackingInstalledIntoAssembly        TrackingType = 30
	TrackingRemovedFromAssembly          TrackingType = 31
	TrackingInstalledChildItem           TrackingType = 35
	TrackingRemovedChildItem             TrackingType = 36
	TrackingSplitFromParent              TrackingType = 40
	TrackingSplitChildItem               TrackingType = 42
	TrackingMergedStockItems             TrackingType = 45
	TrackingDisassembled                 TrackingType = 46
	TrackingCreatedFromDisassembly       TrackingType = 47
	TrackingConvertedToVariant           TrackingType = 48
	TrackingBuildOutputCreated           TrackingType = 50
	TrackingBuildOutputCompleted         TrackingType = 55
	TrackingBuildOutputRejected          TrackingType = 56
	TrackingBuildConsumed                TrackingType = 57
	TrackingShippedAgainstSalesOrder     TrackingType = 60
	TrackingReceivedAgainstPurchaseOrder TrackingType = 70
	TrackingReturnedAgainstReturnOrder   TrackingType = 80
	TrackingSentToCustomer               TrackingType = 100
	TrackingReturnedFromCustomer         TrackingType = 105
)

// StockHistoryCodeClass is InvenTree's StockHistoryCode. Its codes have no colour of
// their own, so they take InvenTree's default, secondary.
func StockHistoryCodeClass() Class {
	codes := []struct {
		t           TrackingType
		name, label string
	}{
		{TrackingLegacy, "LEGACY", "Legacy stock tracking entry"},
		{TrackingCreated, "CREATED", "Stock item created"},
		{TrackingEdited, "EDITED", "Edited stock item"},
		{TrackingAssignedSerial, "ASSIGNED_SERIAL", "Assigned serial number"},
		{TrackingStockCount, "STOCK_COUNT", "Stock counted"},
		{TrackingStockAdd, "STOCK_ADD", "Stock manually added"},
		{TrackingStockRemove, "STOCK_REMOVE", "Stock manually removed"},
		{TrackingStockSerialized, "STOCK_SERIALIZED", "Serialized stock items"},
		{TrackingReturnedToStock, "RETURNED_TO_STOCK", "Returned to stock"},
		{TrackingStockMove, "STOCK_MOVE", "Location changed"},
		{TrackingStockUpdate, "STOCK_UPDATE", "Stock updated"},
		{TrackingInstalledIntoAssembly, "INSTALLED_INTO_ASSEMBLY", "Installed into assembly"},
		{TrackingRemovedFromAssembly, "REMOVED_FROM_ASSEMBLY", "Removed from assembly"},
		{TrackingInstalledChildItem, "INSTALLED_CHILD_ITEM", "Installed component item"},
		{TrackingRemovedChildItem, "REMOVED_CHILD_ITEM", "Removed component item"},
		{TrackingSplitFromParent, "SPLIT_FROM_PARENT", "Split from parent item"},
		{TrackingSplitChildItem, "SPLIT_CHILD_ITEM", "Split child item"},
		{TrackingMergedStockItems, "MERGED_STOCK_ITEMS", "Merged stock items"},
		{TrackingDisassembled, "DISASSEMBLED", "Disassembled into components"},
		{TrackingCreatedFromDisassembly, "CREATED_FROM_DISASSEMBLY", "Created from disassembly"},
		{TrackingConvertedToVariant, "CONVERTED_TO_VARIANT", "Converted to variant"},
		{TrackingBuildOutputCreated, "BUILD_OUTPUT_CREATED", "Build order output created"},
		{TrackingBuildOutputCompleted, "BUILD_OUTPUT_COMPLETED", "Build order output completed"},
		{TrackingBuildOutputRejected, "BUILD_OUTPUT_REJECTED", "Build order output rejected"},
		{TrackingBuildConsumed, "BUILD_CONSUMED", "Consumed by build order"},
		{TrackingShippedAgainstSalesOrder, "SHIPPED_AGAINST_SALES_ORDER", "Shipped against Sales Order"},
		{TrackingReceivedAgainstPurchaseOrder, "RECEIVED_AGAINST_PURCHASE_ORDER", "Received against Purchase Order"},
		{TrackingReturnedAgainstReturnOrder, "RETURNED_AGAINST_RETURN_ORDER", "Returned against Return Order"},
		{TrackingSentToCustomer, "SENT_TO_CUSTOMER", "Sent to customer"},
		{TrackingReturnedFromCustomer, "RETURNED_FROM_CUSTOMER", "Returned from customer"},
	}
	c := Class{Name: "StockHistoryCode", Codes: make([]Code, len(codes))}
	for i, x := range codes {
		c.Codes[i] = Code{int(x.t), x.name, x.label, Secondary}
	}
	return c
}

// TrackingTypeValid reports whether code is a tracking type.
func TrackingTypeValid(code int) bool { return StockHistoryCodeClass().Valid(code) }

// Valid reports whether t is a tracking type.
func (t TrackingType) Valid() bool { return TrackingTypeValid(int(t)) }

// Label is the tracking type's text, "" when t is not valid.
func (t TrackingType) Label() string { return StockHistoryCodeClass().label(int(t)) }

// PurchaseOrderStatus is a purchase order's status.
type PurchaseOrderStatus int

// Purchase order statuses.
const (
	PurchaseOrderPending   PurchaseOrderStatus = 10
	PurchaseOrderPlaced    PurchaseOrderStatus = 20
	PurchaseOrderOnHold    PurchaseOrderStatus = 25
	PurchaseOrderComplete  PurchaseOrderStatus = 30
	PurchaseOrderCancelled PurchaseOrderStatus = 40
	PurchaseOrderLost      PurchaseOrderStatus = 50
	PurchaseOrderReturned  PurchaseOrderStatus = 60
)

// PurchaseOrderStatusClass is InvenTree's PurchaseOrderStatus with its OPEN, FAILED
// and COMPLETE groups.
func PurchaseOrderStatusClass() Class {
	return Class{
		Name: "PurchaseOrderStatus",
		Codes: []Code{
			{int(PurchaseOrderPending), "PENDING", "Pending", Secondary},
			{int(PurchaseOrderPlaced), "PLACED", "Placed", Primary},
			{int(PurchaseOrderOnHold), "ON_HOLD", "On Hold", Warning},
			{int(PurchaseOrderComplete), "COMPLETE", "Complete", Success},
			{int(PurchaseOrderCancelled), "CANCELLED", "Cancelled", Danger},
			{int(PurchaseOrderLost), "LOST", "Lost", Warning},
			{int(PurchaseOrderReturned), "RETURNED", "Returned", Warning},
		},
		Groups: []Group{
			{GroupOpen, []int{int(PurchaseOrderPending), int(PurchaseOrderOnHold), int(PurchaseOrderPlaced)}},
			{GroupFailed, []int{int(PurchaseOrderCancelled), int(PurchaseOrderLost), int(PurchaseOrderReturned)}},
			{GroupComplete, []int{int(PurchaseOrderComplete)}},
		},
	}
}

// PurchaseOrderStatusValid reports whether code is a purchase order status.
func PurchaseOrderStatusValid(code int) bool { return PurchaseOrderStatusClass().Valid(code) }

// Valid reports whether s is a purchase order status.
func (s PurchaseOrderStatus) Valid() bool { return PurchaseOrderStatusValid(int(s)) }

// Open reports whether the order is still open: pending, on hold or placed.
func (s PurchaseOrderStatus) Open() bool { return PurchaseOrderStatusClass().In(GroupOpen, int(s)) }

// Failed reports whether the order ended cancelled, lost or returned.
func (s PurchaseOrderStatus) Failed() bool {
	return PurchaseOrderStatusClass().In(GroupFailed, int(s))
}

// Complete reports whether the order is complete.
func (s PurchaseOrderStatus) Complete() bool {
	return PurchaseOrderStatusClass().In(GroupComplete, int(s))
}

// Label is the status's text, "" when s is not valid.
func (s PurchaseOrderStatus) Label() string { return PurchaseOrderStatusClass().label(int(s)) }

// SalesOrderStatus is a sales order's status.
type SalesOrderStatus int

// Sales order statuses.
const (
	SalesOrderPending    SalesOrderStatus = 10
	SalesOrderInProgress SalesOrderStatus = 15
	SalesOrderShipped    SalesOrderStatus = 20
	SalesOrderOnHold     SalesOrderStatus = 25
	SalesOrderComplete   SalesOrderStatus = 30
	SalesOrderCancelled  SalesOrderStatus = 40
	SalesOrderLost       SalesOrderStatus = 50
	SalesOrderReturned   SalesOrderStatus = 60
)

// SalesOrderStatusClass is InvenTree's SalesOrderStatus with its OPEN and COMPLETE
// groups. Shipped counts as complete, as in InvenTree.
func SalesOrderStatusClass() Class {
	return Class{
		Name: "SalesOrderStatus",
		Codes: []Code{
			{int(SalesOrderPending), "PENDING", "Pending", Secondary},
			{int(SalesOrderInProgress), "IN_PROGRESS", "In Progress", Primary},
			{int(SalesOrderShipped), "SHIPPED", "Shipped", Primary},
			{int(SalesOrderOnHold), "ON_HOLD", "On Hold", Warning},
			{int(SalesOrderComplete), "COMPLETE", "Complete", Success},
			{int(SalesOrderCancelled), "CANCELLED", "Cancelled", Danger},
			{int(SalesOrderLost), "LOST", "Lost", Warning},
			{int(SalesOrderReturned), "RETURNED", "Returned", Warning},
		},
		Groups: []Group{
			{GroupOpen, []int{int(SalesOrderPending), int(SalesOrderOnHold), int(SalesOrderInProgress)}},
			{GroupComplete, []int{int(SalesOrderShipped), int(SalesOrderComplete)}},
		},
	}
}

// SalesOrderStatusValid reports whether code is a sales order status.
func SalesOrderStatusValid(code int) bool { return SalesOrderStatusClass().Valid(code) }

// Valid reports whether s is a sales order status.
func (s SalesOrderStatus) Valid() bool { return SalesOrderStatusValid(int(s)) }

// Open reports whether the order is still open: pending, on hold or in progress.
func (s SalesOrderStatus) Open() bool { return SalesOrderStatusClass().In(GroupOpen, int(s)) }

// Complete reports whether the order is shipped or complete.
func (s SalesOrderStatus) Complete() bool {
	return SalesOrderStatusClass().In(GroupComplete, int(s))
}

// Label is the status's text, "" when s is not valid.
func (s SalesOrderStatus) Label() string { return SalesOrderStatusClass().label(int(s)) }

// BuildStatus is a build order's status.
type BuildStatus int

// Build statuses.
const (
	BuildPending    BuildStatus = 10
	BuildProduction BuildStatus = 20
	BuildOnHold     BuildStatus = 25
	BuildCancelled  BuildStatus = 30
	BuildComplete   BuildStatus = 40
)

// BuildStatusClass is InvenTree's BuildStatus with its ACTIVE and COMPLETE groups.
func BuildStatusClass() Class {
	return Class{
		Name: "BuildStatus",
		Codes: []Code{
			{int(BuildPending), "PENDING", "Pending", Secondary},
			{int(BuildProduction), "PRODUCTION", "Production", Primary},
			{int(BuildOnHold), "ON_HOLD", "On Hold", Warning},
			{int(BuildCancelled), "CANCELLED", "Cancelled", Danger},
			{int(BuildComplete), "COMPLETE", "Complete", Success},
		},
		Groups: []Group{
			{GroupActive, []int{int(BuildPending), int(BuildOnHold), int(BuildProduction)}},
			{GroupComplete, []int{int(BuildComplete)}},
		},
	}
}

// BuildStatusValid reports whether code is a build status.
func BuildStatusValid(code int) bool { return BuildStatusClass().Valid(code) }

// Valid reports whether s is a build status.
func (s BuildStatus) Valid() bool { return BuildStatusValid(int(s)) }

// Active reports whether the build is still being worked on: pending, on hold or in
// production.
func (s BuildStatus) Active() bool { return BuildStatusClass().In(GroupActive, int(s)) }

// Complete reports whether the build is complete.
func (s BuildStatus) Complete() bool { return BuildStatusClass().In(GroupComplete, int(s)) }

// Label is the status's text, "" when s is not valid.
func (s BuildStatus) Label() string { return BuildStatusClass().label(int(s)) }

// ReturnOrderStatus is a return order's status.
type ReturnOrderStatus int

// Return order statuses.
const (
	ReturnOrderPending    ReturnOrderStatus = 10
	ReturnOrderInProgress ReturnOrderStatus = 20
	ReturnOrderOnHold     ReturnOrderStatus = 25
	ReturnOrderComplete   ReturnOrderStatus = 30
	ReturnOrderCancelled  ReturnOrderStatus = 40
)

// ReturnOrderStatusClass is InvenTree's ReturnOrderStatus with its OPEN and COMPLETE
// groups.
func ReturnOrderStatusClass() Class {
	return Class{
		Name: "ReturnOrderStatus",
		Codes: []Code{
			{int(ReturnOrderPending), "PENDING", "Pending", Secondary},
			{int(ReturnOrderInProgress), "IN_PROGRESS", "In Progress", Primary},
			{int(ReturnOrderOnHold), "ON_HOLD", "On Hold", Warning},
			{int(ReturnOrderComplete), "COMPLETE", "Complete", Success},
			{int(ReturnOrderCancelled), "CANCELLED", "Cancelled", Danger},
		},
		Groups: []Group{
			{GroupOpen, []int{int(ReturnOrderPending), int(ReturnOrderOnHold), int(ReturnOrderInProgress)}},
			{GroupComplete, []int{int(ReturnOrderComplete)}},
		},
	}
}

// ReturnOrderStatusValid reports whether code is a return order status.
func ReturnOrderStatusValid(code int) bool { return ReturnOrderStatusClass().Valid(code) }

// Valid reports whether s is a return order status.
func (s ReturnOrderStatus) Valid() bool { return ReturnOrderStatusValid(int(s)) }

// Open reports whether the order is still open: pending, on hold or in progress.
func (s ReturnOrderStatus) Open() bool { return ReturnOrderStatusClass().In(GroupOpen, int(s)) }

// Complete reports whether the order is complete.
func (s ReturnOrderStatus) Complete() bool {
	return ReturnOrderStatusClass().In(GroupComplete, int(s))
}

// Label is the status's text, "" when s is not valid.
func (s ReturnOrderStatus) Label() string { return ReturnOrderStatusClass().label(int(s)) }

// ReturnOrderLineStatus is the outcome chosen for a returned line (ReturnOrderLineItem).
type ReturnOrderLineStatus int

// Return order line statuses.
const (
	ReturnOrderLinePending ReturnOrderLineStatus = 10
	ReturnOrderLineReturn  ReturnOrderLineStatus = 20
	ReturnOrderLineRepair  ReturnOrderLineStatus = 30
	ReturnOrderLineReplace ReturnOrderLineStatus = 40
	ReturnOrderLineRefund  ReturnOrderLineStatus = 50
	ReturnOrderLineReject  ReturnOrderLineStatus = 60
)

// ReturnOrderLineStatusClass is InvenTree's ReturnOrderLineStatus.
func ReturnOrderLineStatusClass() Class {
	return Class{
		Name: "ReturnOrderLineStatus",
		Codes: []Code{
			{int(ReturnOrderLinePending), "PENDING", "Pending", Secondary},
			{int(ReturnOrderLineReturn), "RETURN", "Return", Success},
			{int(ReturnOrderLineRepair), "REPAIR", "Repair", Primary},
			{int(ReturnOrderLineReplace), "REPLACE", "Replace", Warning},
			{int(ReturnOrderLineRefund), "REFUND", "Refund", Info},
			{int(ReturnOrderLineReject), "REJECT", "Reject", Danger},
		},
	}
}

// ReturnOrderLineStatusValid reports whether code is a return order line status.
func ReturnOrderLineStatusValid(code int) bool { return ReturnOrderLineStatusClass().Valid(code) }

// Valid reports whether s is a return order line status.
func (s ReturnOrderLineStatus) Valid() bool { return ReturnOrderLineStatusValid(int(s)) }

// Label is the status's text, "" when s is not valid.
func (s ReturnOrderLineStatus) Label() string { return ReturnOrderLineStatusClass().label(int(s)) }

// TransferOrderStatus is a transfer order's status.
type TransferOrderStatus int

// Transfer order statuses.
const (
	TransferOrderPending   TransferOrderStatus = 10
	TransferOrderPlaced    TransferOrderStatus = 20
	TransferOrderOnHold    TransferOrderStatus = 25
	TransferOrderComplete  TransferOrderStatus = 30
	TransferOrderCancelled TransferOrderStatus = 40
)

// TransferOrderStatusClass is InvenTree's TransferOrderStatus with its OPEN, FAILED and
// COMPLETE groups.
func TransferOrderStatusClass() Class {
	return Class{
		Name: "TransferOrderStatus",
		Codes: []Code{
			{int(TransferOrderPending), "PENDING", "Pending", Secondary},
			{int(TransferOrderPlaced), "PLACED", "Placed", Primary},
			{int(TransferOrderOnHold), "ON_HOLD", "On Hold", Warning},
			{int(TransferOrderComplete), "COMPLETE", "Complete", Success},
			{int(TransferOrderCancelled), "CANCELLED", "Cancelled", Danger},
		},
		Groups: []Group{
			{GroupOpen, []int{int(TransferOrderPending), int(TransferOrderOnHold), int(TransferOrderPlaced)}},
			{GroupFailed, []int{int(TransferOrderCancelled)}},
			{GroupComplete, []int{int(TransferOrderComplete)}},
		},
	}
}

// TransferOrderStatusValid reports whether code is a transfer order status.
func TransferOrderStatusValid(code int) bool { return TransferOrderStatusClass().Valid(code) }

// Valid reports whether s is a transfer order status.
func (s TransferOrderStatus) Valid() bool { return TransferOrderStatusValid(int(s)) }

// Open reports whether the order is still open: pending, on hold or placed.
func (s TransferOrderStatus) Open() bool { return TransferOrderStatusClass().In(GroupOpen, int(s)) }

// Failed reports whether the order was cancelled.
func (s TransferOrderStatus) Failed() bool {
	return TransferOrderStatusClass().In(GroupFailed, int(s))
}

// Complete reports whether the order is complete.
func (s TransferOrderStatus) Complete() bool {
	return TransferOrderStatusClass().In(GroupComplete, int(s))
}

// Label is the status's text, "" when s is not valid.
func (s TransferOrderStatus) Label() string { return TransferOrderStatusClass().label(int(s)) }
