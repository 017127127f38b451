package order

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var supplier = SupplierFacts{PK: 2, Exists: true, IsSupplier: true}

func wantRule(t *testing.T, err error, field, msg string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a rule error on %q: %q", err, field, msg)
	}
	for _, v := range re.Violations {
		if v.Field == field && strings.Contains(v.Message, msg) {
			return
		}
	}
	t.Fatalf("violations %+v, want %q: %q", re.Violations, field, msg)
}

func fold(o *PurchaseOrder, evs []domain.Event) *PurchaseOrder {
	for _, e := range evs {
		o.Apply(e)
	}
	return o
}

// placed is an order with two lines of 10 and 5 packs, issued.
func placed(t *testing.T) *PurchaseOrder {
	t.Helper()
	o := &PurchaseOrder{}
	evs, err := o.Create(1, Fields{Reference: "PO-0001", Supplier: 2}, supplier)
	if err != nil {
		t.Fatal(err)
	}
	fold(o, evs)
	for i, qty := range []string{"10", "5"} {
		evs, _, err := o.AddLine(int64(10+i), LineFields{SupplierPart: int64(20 + i), Quantity: d(qty)}, LinePartFacts{Exists: true, Supplier: 2}, true)
		if err != nil {
			t.Fatal(err)
		}
		fold(o, evs)
	}
	evs, err = o.Issue("2030-01-01")
	if err != nil {
		t.Fatal(err)
	}
	return fold(o, evs)
}

func TestReference(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		n    int64
		want string
	}{
		{"PO-0001", 1, ""}, {"PO-1", 1, ""}, {"PO-12345", 12345, ""}, {"PO-99999999999", 0x7FFFFFFF, ""},
		{"", 0, MsgReferenceEmpty}, {"PO-", 0, MsgReferencePattern}, {"PO-12A", 0, MsgReferencePattern},
		{"SO-0001", 0, MsgReferencePattern}, {"PO-" + strings.Repeat("1", 62), 0, "at most 64 characters (it has 65)"},
	} {
		n, err := CheckReference(tc.ref)
		if tc.want != "" {
			wantRule(t, err, "reference", tc.want)
			continue
		}
		if err != nil || n != tc.n {
			t.Errorf("CheckReference(%q) = %d, %v; want %d", tc.ref, n, err, tc.n)
		}
	}
	for _, tc := range []struct {
		latest string
		n      int64
		want   string
	}{{"", 0, "PO-0001"}, {"PO-0007", 7, "PO-0008"}, {"PO-10", 10, "PO-0011"}, {"PO-9999", 9999, "PO-10000"}, {"odd", 41, "PO-0042"}} {
		if got := NextReference(tc.latest, tc.n); got != tc.want {
			t.Errorf("NextReference(%q, %d) = %s, want %s", tc.latest, tc.n, got, tc.want)
		}
	}
}

func TestCreateRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		f        Fields
		supplier SupplierFacts
		field    string
		msg      string
	}{
		{"no supplier", Fields{Reference: "PO-1"}, SupplierFacts{}, "supplier", "may not be null"},
		{"not a supplier", Fields{Reference: "PO-1", Supplier: 3}, SupplierFacts{PK: 3, Exists: true}, "supplier", `Invalid pk "3"`},
		{"foreign contact", Fields{Reference: "PO-1", Supplier: 2, Contact: 9}, supplier, "contact", MsgContactMismatch},
		{"dates", Fields{Reference: "PO-1", Supplier: 2, StartDate: "2030-02-01", TargetDate: "2030-01-01"}, supplier, "target_date", MsgTargetBeforeStart},
		{"bad reference", Fields{Reference: "X", Supplier: 2}, supplier, "reference", MsgReferencePattern},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&PurchaseOrder{}).Create(1, tc.f, tc.supplier)
			wantRule(t, err, tc.field, tc.msg)
		})
	}
}

func TestLines(t *testing.T) {
	o := &PurchaseOrder{}
	fold(o, mustEvents(o.Create(1, Fields{Reference: "PO-1", Supplier: 2}, supplier)))
	part := LinePartFacts{PK: 20, Exists: true, Supplier: 2}
	evs, pk, err := o.AddLine(10, LineFields{SupplierPart: 20, Quantity: d("3"), Destination: 5}, part, true)
	if err != nil || pk != 10 {
		t.Fatalf("%d %v", pk, err)
	}
	fold(o, evs)
	// The same supplier part, target date and destination merge.
	evs, pk, _ = o.AddLine(11, LineFields{SupplierPart: 20, Quantity: d("2"), Destination: 5}, part, true)
	if pk != 10 || evs[0].(LineUpdated).New.Quantity.String() != "5" {
		t.Fatalf("merge: %d %+v", pk, evs)
	}
	fold(o, evs)
	// Another destination does not.
	_, pk, _ = o.AddLine(12, LineFields{SupplierPart: 20, Quantity: d("2"), Destination: 6}, part, true)
	if pk != 12 {
		t.Errorf("merged into %d across destinations", pk)
	}
	_, _, err = o.AddLine(13, LineFields{SupplierPart: 21, Quantity: d("1")}, LinePartFacts{PK: 21, Exists: true, Supplier: 3}, true)
	wantRule(t, err, "part", MsgSupplierMismatch)
	wantRule(t, err, "order", MsgOrderMismatch)
	_, _, err = o.AddLine(13, LineFields{SupplierPart: 20, Quantity: d("0")}, part, true)
	wantRule(t, err, "quantity", MsgQuantityPositive)

	// A complete order is locked.
	fold(o, mustEvents(o.Issue("2030-01-01")))
	fold(o, mustEvents(o.Complete(true, "2030-01-02")))
	_, _, err = o.AddLine(14, LineFields{SupplierPart: 20, Quantity: d("1")}, part, false)
	wantRule(t, err, "reference", MsgLineLocked)
	_, err = o.Update(Patch{Description: ptr("x")}, supplier)
	wantRule(t, err, "reference", MsgOrderLocked)
}

func ptr[T any](v T) *T { return &v }

func mustEvents(evs []domain.Event, err error) []domain.Event {
	if err != nil {
		panic(err)
	}
	return evs
}

func TestTransitions(t *testing.T) {
	type step func(o *PurchaseOrder) ([]domain.Event, error)
	issue := func(o *PurchaseOrder) ([]domain.Event, error) { return o.Issue("2030-01-01") }
	hold := (*PurchaseOrder).Hold
	cancel := (*PurchaseOrder).Cancel
	complete := func(o *PurchaseOrder) ([]domain.Event, error) { return o.Complete(true, "2030-01-02") }
	for _, tc := range []struct {
		name  string
		path  []step
		next  step
		want  status.PurchaseOrderStatus
		msg   string
		field string
	}{
		{"issue a pending order", nil, issue, status.PurchaseOrderPlaced, "", ""},
		{"issue an order on hold", []step{hold}, issue, status.PurchaseOrderPlaced, "", ""},
		{"issue twice", []step{issue}, issue, 0, MsgCannotIssue, ""},
		{"hold a placed order", []step{issue}, hold, status.PurchaseOrderOnHold, "", ""},
		{"hold twice", []step{hold}, hold, 0, MsgCannotHold, ""},
		{"cancel a pending order", nil, cancel, status.PurchaseOrderCancelled, "", ""},
		{"cancel an order on hold", []step{hold}, cancel, status.PurchaseOrderCancelled, "", ""},
		{"cancel twice", []step{cancel}, cancel, 0, MsgCannotCancel, ""},
		{"cancel a complete order", []step{issue, complete}, cancel, 0, MsgCannotCancel, ""},
		{"complete a pending order", nil, complete, 0, MsgCannotComplete, ""},
		{"complete a placed order", []step{issue}, complete, status.PurchaseOrderComplete, "", ""},
		{"complete a complete order", []step{issue, complete}, complete, status.PurchaseOrderComplete, "", ""},
		{"issue a cancelled order", []step{cancel}, issue, 0, MsgCannotIssue, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &PurchaseOrder{}
			fold(o, mustEvents(o.Create(1, Fields{Reference: "PO-1", Supplier: 2}, supplier)))
			for _, s := range tc.path {
				fold(o, mustEvents(s(o)))
			}
			evs, err := tc.next(o)
			if tc.msg != "" {
				wantRule(t, err, tc.field, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fold(o, evs).Status() != tc.want {
				t.Errorf("status %v, want %v", o.Status(), tc.want)
			}
		})
	}
	// Complete needs accept_incomplete while lines are outstanding.
	o := placed(t)
	_, err := o.Complete(false, "2030-01-02")
	wantRule(t, err, "accept_incomplete", MsgIncompleteLines)
	// Completing it again records nothing, and still asks for accept_incomplete while
	// lines are outstanding (is_complete).
	fold(o, mustEvents(o.Complete(true, "2030-01-02")))
	if evs, err := o.Complete(true, "2030-01-03"); err != nil || len(evs) != 0 || o.CompleteDate() != "2030-01-02" {
		t.Errorf("completing a complete order: %v, %v", evs, err)
	}
	_, err = o.Complete(false, "2030-01-03")
	wantRule(t, err, "accept_incomplete", MsgIncompleteLines)
}

func TestReceipt(t *testing.T) {
	o := placed(t)
	facts := ReceiptFacts{LineExists: func(pk int64) bool { return pk == 99 }, DefaultLocation: func(int64) int64 { return 0 }}

	_, err := o.PlanReceipt(ReceiveRequest{}, facts)
	wantRule(t, err, "", MsgNoLineItems)
	_, err = o.PlanReceipt(ReceiveRequest{Items: []ReceiveItem{{Line: 10, Quantity: d("1")}}}, facts)
	wantRule(t, err, "location", MsgNoDestination)
	_, err = o.PlanReceipt(ReceiveRequest{Items: []ReceiveItem{{Line: 10, Quantity: d("0"), Location: 3}}}, facts)
	wantRule(t, err, "items.0.quantity", MsgQuantityPositive)
	_, err = o.PlanReceipt(ReceiveRequest{Items: []ReceiveItem{{Line: 98, Quantity: d("1"), Location: 3}}}, facts)
	wantRule(t, err, "items.0.line_item", `Invalid pk "98"`)
	_, err = o.PlanReceipt(ReceiveRequest{Items: []ReceiveItem{{Line: 99, Quantity: d("1"), Location: 3}}}, facts)
	wantRule(t, err, "", MsgLineMismatch)
	_, err = o.PlanReceipt(ReceiveRequest{Items: []ReceiveItem{{Line: 10, Quantity: d("1"), Location: 3, Barcode: "x"}}}, facts)
	wantRule(t, err, "items.0.barcode", MsgNoBarcodes)

	// Locations: the item's, else the request's, else the line's.
	req := ReceiveRequest{Location: 4, LocationGiven: true, Items: []ReceiveItem{
		{Line: 10, Quantity: d("4"), Location: 3}, {Line: 10, Quantity: d("2")}, {Line: 11, Quantity: d("5")},
	}}
	plan, err := o.PlanReceipt(req, facts)
	if err != nil {
		t.Fatal(err)
	}
	if plan[0].Location != 3 || plan[1].Location != 4 || plan[2].Location != 4 {
		t.Errorf("locations %+v", plan)
	}
	evs, err := o.Receive(req, plan, [][]int64{{100}, {101}, {102}}, "key-1", "fp", "2030-01-03")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("a partial receipt completed the order: %+v", evs)
	}
	fold(o, evs)
	if l, _ := o.Line(10); !l.Received.Equal(d("6")) || l.Complete() {
		t.Errorf("line 10: %+v", l)
	}
	// A retry with the key finds the receipt; another request with it is refused.
	if items, ok, err := o.CheckRetry("key-1", "fp"); !ok || err != nil || len(items) != 3 {
		t.Errorf("retry: %v %v %v", items, ok, err)
	}
	if _, _, err := o.CheckRetry("key-1", "other"); err == nil {
		t.Error("a reused key with another request was accepted")
	}
	// Receiving the rest completes the order; the line defaults to where its first
	// items went.
	req = ReceiveRequest{Items: []ReceiveItem{{Line: 10, Quantity: d("4")}}}
	plan, err = o.PlanReceipt(req, facts)
	if err != nil || plan[0].Location != 3 {
		t.Fatalf("%+v %v", plan, err)
	}
	evs, _ = o.Receive(req, plan, [][]int64{{103}}, "", "", "2030-01-04")
	if len(evs) != 2 || !evs[1].(OrderCompleted).Auto {
		t.Fatalf("full receipt: %+v", evs)
	}
	fold(o, evs)
	if o.Status() != status.PurchaseOrderComplete || o.CompleteDate() != "2030-01-04" {
		t.Errorf("status %v on %s", o.Status(), o.CompleteDate())
	}
	_, err = o.PlanReceipt(req, facts)
	wantRule(t, err, "", MsgNotPlaced)
}
