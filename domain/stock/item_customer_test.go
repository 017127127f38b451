package stock

import (
	"testing"

	"github.com/stockledger/stockledger/domain/status"
)

var buyer = CustomerFacts{PK: 9, Exists: true, IsCustomer: true, Name: "Buyer"}

func TestCheckCustomer(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    CustomerFacts
		msg  string
	}{
		{"missing", CustomerFacts{PK: 4}, `Invalid pk "4"`},
		{"not a customer", CustomerFacts{PK: 4, Exists: true}, MsgNotCustomer},
		{"customer", buyer, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCustomer("customer", tc.c)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRule(t, err, "customer", tc.msg)
		})
	}
}

func TestAssignToCustomer(t *testing.T) {
	salable := PartFacts{Exists: true, Salable: true}
	for _, tc := range []struct {
		name string
		it   *Item
		part PartFacts
		msg  string
	}{
		{"in stock", plain(1, "5"), salable, ""},
		{"not salable", plain(1, "5"), PartFacts{Exists: true}, msgMustBeSalable},
		{"empty", plain(1, "0"), salable, msgMustBeInStock},
		{"lost", plain(1, "5", func(d *ItemData) { d.Status = status.StockStatus(70) }), salable, msgMustBeInStock},
		{"installed", plain(1, "5", func(d *ItemData) { d.BelongsTo = 4 }), salable, msgMustBeInStock},
		{"at a customer", plain(1, "5", func(d *ItemData) { d.Customer = 2 }), salable, msgMustBeInStock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := tc.it.AssignToCustomer(buyer, tc.part, "n")
			if tc.msg != "" {
				wantRule(t, err, "item", tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			apply(tc.it, evs)
			d := tc.it.Data()
			if d.Customer != 9 || d.Location != 0 || tc.it.InStock() {
				t.Errorf("after assign: %+v", d)
			}
			e := evs[0].(ItemAssignedToCustomer)
			if e.From != 3 || e.Tracking[0].Type != status.TrackingSentToCustomer || *e.Tracking[0].Deltas.CustomerName != "Buyer" {
				t.Errorf("event %+v", e)
			}
		})
	}
}

func TestReturnFromCustomer(t *testing.T) {
	held := func() *Item {
		it := plain(1, "10")
		evs, err := it.AssignToCustomer(buyer, PartFacts{Exists: true, Salable: true}, "")
		if err != nil {
			t.Fatal(err)
		}
		return apply(it, evs)
	}
	damaged := status.StockStatus(55)

	// Whole: the item itself comes back, with a new status.
	it := held()
	own, spawned, err := it.ReturnFromCustomer(d("10"), 7, &damaged, 0, "Buyer", "n")
	if err != nil || spawned != nil {
		t.Fatalf("%v %v", spawned, err)
	}
	apply(it, own)
	if dd := it.Data(); dd.Customer != 0 || dd.Location != 7 || dd.Status != damaged || !it.InStock() {
		t.Errorf("after return: %+v", dd)
	}
	e := own[0].(ItemReturnedFromCustomer)
	if e.Tracking[0].Type != status.TrackingReturnedFromCustomer || *e.Tracking[0].Deltas.Customer != 9 || *e.Tracking[0].Deltas.Location != 7 {
		t.Errorf("event %+v", e)
	}

	// Part: split at the customer, the new item comes back.
	it = held()
	if !it.ReturnSplitsOn(d("4")) {
		t.Fatal("a partial return does not split")
	}
	own, spawned, err = it.ReturnFromCustomer(d("4"), 7, nil, 20, "Buyer", "")
	if err != nil || spawned == nil || spawned.PK != 20 {
		t.Fatalf("%v %v", spawned, err)
	}
	apply(it, own)
	child := item(spawned.Events...)
	if it.Quantity().String() != "6" || it.Data().Customer != 9 {
		t.Errorf("left at the customer: %+v", it.Data())
	}
	if cd := child.Data(); cd.Quantity.String() != "4" || cd.Customer != 0 || cd.Location != 7 || cd.Parent != 1 {
		t.Errorf("returned part: %+v", cd)
	}

	for _, tc := range []struct {
		name, qty, field, msg string
		it                    *Item
	}{
		{"zero", "0", "quantity", msgQtyPositive, held()},
		{"too much", "11", "quantity", msgExceedsStock, held()},
		{"not at a customer", "1", "pk", msgNotWithCustomer, plain(1, "5")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.it.ReturnFromCustomer(d(tc.qty), 7, nil, 20, "", "")
			wantRule(t, err, tc.field, tc.msg)
		})
	}
}
