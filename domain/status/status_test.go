package status

import (
	"regexp"
	"testing"
)

func TestClassesAreWellFormed(t *testing.T) {
	colors := map[Color]bool{Primary: true, Secondary: true, Success: true, Danger: true, Warning: true, Info: true, Dark: true}
	constName := regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	seenClass := map[string]bool{}
	for _, c := range Classes() {
		if seenClass[c.Name] {
			t.Errorf("class %s listed twice", c.Name)
		}
		seenClass[c.Name] = true
		if got, ok := Lookup(c.Name); !ok || got.Name != c.Name {
			t.Errorf("Lookup(%q) = %v, %v", c.Name, got.Name, ok)
		}
		keys, names := map[int]bool{}, map[string]bool{}
		for _, x := range c.Codes {
			if keys[x.Key] || names[x.Name] {
				t.Errorf("%s: duplicate code %d %s", c.Name, x.Key, x.Name)
			}
			keys[x.Key], names[x.Name] = true, true
			if !constName.MatchString(x.Name) || x.Label == "" || !colors[x.Color] {
				t.Errorf("%s: malformed code %+v", c.Name, x)
			}
		}
		for _, g := range c.Groups {
			for _, k := range g.Keys {
				if !keys[k] {
					t.Errorf("%s: group %s holds unknown code %d", c.Name, g.Name, k)
				}
			}
		}
	}
	if len(seenClass) != 8 {
		t.Errorf("got %d classes, want 8", len(seenClass))
	}
	if _, ok := Lookup("stockstatus"); ok {
		t.Error("Lookup must match the class name exactly")
	}
}

// InvenTree's exact names, labels and colours (stock/status_codes.py and
// order/status_codes.py, build/status_codes.py).
func TestCodesMatchInvenTree(t *testing.T) {
	tests := []struct {
		class string
		key   int
		name  string
		label string
		color Color
	}{
		{"StockStatus", 10, "OK", "OK", Success},
		{"StockStatus", 50, "ATTENTION", "Attention needed", Warning},
		{"StockStatus", 55, "DAMAGED", "Damaged", Warning},
		{"StockStatus", 60, "DESTROYED", "Destroyed", Danger},
		{"StockStatus", 65, "REJECTED", "Rejected", Danger},
		{"StockStatus", 70, "LOST", "Lost", Dark},
		{"StockStatus", 75, "QUARANTINED", "Quarantined", Info},
		{"StockStatus", 85, "RETURNED", "Returned", Warning},
		{"StockHistoryCode", 0, "LEGACY", "Legacy stock tracking entry", Secondary},
		{"StockHistoryCode", 13, "STOCK_SERIALIZED", "Serialized stock items", Secondary},
		{"StockHistoryCode", 20, "STOCK_MOVE", "Location changed", Secondary},
		{"StockHistoryCode", 46, "DISASSEMBLED", "Disassembled into components", Secondary},
		{"StockHistoryCode", 105, "RETURNED_FROM_CUSTOMER", "Returned from customer", Secondary},
		{"PurchaseOrderStatus", 25, "ON_HOLD", "On Hold", Warning},
		{"PurchaseOrderStatus", 60, "RETURNED", "Returned", Warning},
		{"SalesOrderStatus", 15, "IN_PROGRESS", "In Progress", Primary},
		{"SalesOrderStatus", 20, "SHIPPED", "Shipped", Primary},
		{"BuildStatus", 20, "PRODUCTION", "Production", Primary},
		{"BuildStatus", 40, "COMPLETE", "Complete", Success},
		{"ReturnOrderStatus", 20, "IN_PROGRESS", "In Progress", Primary},
		{"ReturnOrderLineStatus", 50, "REFUND", "Refund", Info},
		{"TransferOrderStatus", 40, "CANCELLED", "Cancelled", Danger},
	}
	for _, tt := range tests {
		c, ok := Lookup(tt.class)
		if !ok {
			t.Fatalf("no class %s", tt.class)
		}
		got, ok := c.Code(tt.key)
		want := Code{tt.key, tt.name, tt.label, tt.color}
		if !ok || got != want {
			t.Errorf("%s %d = %+v, want %+v", tt.class, tt.key, got, want)
		}
	}
	for class, n := range map[string]int{"StockStatus": 8, "StockHistoryCode": 30, "PurchaseOrderStatus": 7,
		"SalesOrderStatus": 8, "BuildStatus": 5, "ReturnOrderStatus": 5, "ReturnOrderLineStatus": 6, "TransferOrderStatus": 5} {
		if c, _ := Lookup(class); len(c.Codes) != n {
			t.Errorf("%s has %d codes, want %d", class, len(c.Codes), n)
		}
	}
}

func TestStockStatus(t *testing.T) {
	tests := []struct {
		s              StockStatus
		valid, inStock bool
		label          string
	}{
		{StockOK, true, true, "OK"},
		{StockAttention, true, true, "Attention needed"},
		{StockDamaged, true, true, "Damaged"},
		{StockReturned, true, true, "Returned"},
		{StockDestroyed, true, false, "Destroyed"},
		{StockRejected, true, false, "Rejected"},
		{StockLost, true, false, "Lost"},
		{StockQuarantined, true, false, "Quarantined"},
		{0, false, false, ""},
		{11, false, false, ""},
	}
	for _, tt := range tests {
		if tt.s.Valid() != tt.valid || StockStatusValid(int(tt.s)) != tt.valid || tt.s.InStock() != tt.inStock || tt.s.Label() != tt.label {
			t.Errorf("%d: valid %v in stock %v label %q", tt.s, tt.s.Valid(), tt.s.InStock(), tt.s.Label())
		}
	}
}

func TestOrderGroups(t *testing.T) {
	tests := []struct {
		name                     string
		open, complete, failed   bool
		gotOpen, gotDone, gotBad bool
	}{
		{"po pending", true, false, false, PurchaseOrderPending.Open(), PurchaseOrderPending.Complete(), PurchaseOrderPending.Failed()},
		{"po placed", true, false, false, PurchaseOrderPlaced.Open(), PurchaseOrderPlaced.Complete(), PurchaseOrderPlaced.Failed()},
		{"po on hold", true, false, false, PurchaseOrderOnHold.Open(), PurchaseOrderOnHold.Complete(), PurchaseOrderOnHold.Failed()},
		{"po complete", false, true, false, PurchaseOrderComplete.Open(), PurchaseOrderComplete.Complete(), PurchaseOrderComplete.Failed()},
		{"po cancelled", false, false, true, PurchaseOrderCancelled.Open(), PurchaseOrderCancelled.Complete(), PurchaseOrderCancelled.Failed()},
		{"po lost", false, false, true, PurchaseOrderLost.Open(), PurchaseOrderLost.Complete(), PurchaseOrderLost.Failed()},
		{"so in progress", true, false, false, SalesOrderInProgress.Open(), SalesOrderInProgress.Complete(), false},
		{"so shipped", false, true, false, SalesOrderShipped.Open(), SalesOrderShipped.Complete(), false},
		{"so complete", false, true, false, SalesOrderComplete.Open(), SalesOrderComplete.Complete(), false},
		{"so cancelled", false, false, false, SalesOrderCancelled.Open(), SalesOrderCancelled.Complete(), false},
		{"build on hold", true, false, false, BuildOnHold.Active(), BuildOnHold.Complete(), false},
		{"build production", true, false, false, BuildProduction.Active(), BuildProduction.Complete(), false},
		{"build cancelled", false, false, false, BuildCancelled.Active(), BuildCancelled.Complete(), false},
		{"build complete", false, true, false, BuildComplete.Active(), BuildComplete.Complete(), false},
		{"ro in progress", true, false, false, ReturnOrderInProgress.Open(), ReturnOrderInProgress.Complete(), false},
		{"ro complete", false, true, false, ReturnOrderComplete.Open(), ReturnOrderComplete.Complete(), false},
		{"to placed", true, false, false, TransferOrderPlaced.Open(), TransferOrderPlaced.Complete(), TransferOrderPlaced.Failed()},
		{"to cancelled", false, false, true, TransferOrderCancelled.Open(), TransferOrderCancelled.Complete(), TransferOrderCancelled.Failed()},
	}
	for _, tt := range tests {
		if tt.gotOpen != tt.open || tt.gotDone != tt.complete || tt.gotBad != tt.failed {
			t.Errorf("%s: open/complete/failed = %v/%v/%v, want %v/%v/%v", tt.name, tt.gotOpen, tt.gotDone, tt.gotBad, tt.open, tt.complete, tt.failed)
		}
	}
}

func TestTypedValidity(t *testing.T) {
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"tracking 46", TrackingDisassembled.Valid(), true},
		{"tracking 2", TrackingType(2).Valid(), false},
		{"tracking label", TrackingStockMove.Label() == "Location changed", true},
		{"po 15", PurchaseOrderStatusValid(15), false},
		{"so 15", SalesOrderStatusValid(15), true},
		{"build 25", BuildStatusValid(25), true},
		{"ro 15", ReturnOrderStatusValid(15), false},
		{"ro line 60", ReturnOrderLineStatusValid(60), true},
		{"to 50", TransferOrderStatusValid(50), false},
		{"tracking 105", TrackingTypeValid(105), true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestTypedLabels(t *testing.T) {
	tests := []struct{ got, want string }{
		{PurchaseOrderPlaced.Label(), "Placed"},
		{SalesOrderInProgress.Label(), "In Progress"},
		{BuildProduction.Label(), "Production"},
		{ReturnOrderOnHold.Label(), "On Hold"},
		{ReturnOrderLineRepair.Label(), "Repair"},
		{TransferOrderComplete.Label(), "Complete"},
		{TrackingReturnedFromCustomer.Label(), "Returned from customer"},
		{BuildStatus(99).Label(), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("label %q, want %q", tt.got, tt.want)
		}
	}
	valid := []bool{PurchaseOrderReturned.Valid(), SalesOrderLost.Valid(), BuildCancelled.Valid(), ReturnOrderCancelled.Valid(),
		ReturnOrderLineReject.Valid(), TransferOrderOnHold.Valid(), StockQuarantined.Valid()}
	for i, v := range valid {
		if !v {
			t.Errorf("typed code %d not valid", i)
		}
	}
}
