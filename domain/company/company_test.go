package company_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
)

func created(t *testing.T, f company.Fields) *company.Company {
	t.Helper()
	c := &company.Company{}
	evs, err := c.Create(1, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		c.Apply(e)
	}
	return c
}

func apply(c *company.Company, evs []domain.Event) {
	for _, e := range evs {
		c.Apply(e)
	}
}

func TestCompanyRules(t *testing.T) {
	email := "a@b.example"
	for _, tc := range []struct {
		name  string
		f     company.Fields
		field string
	}{
		{"no name", company.Fields{Currency: "USD"}, "name"},
		{"unknown currency", company.Fields{Name: "A", Currency: "XYZ"}, "currency"},
		{"fine", company.Fields{Name: "A", Currency: "EUR", Email: &email}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&company.Company{}).Create(1, tc.f)
			var rule *domain.RuleError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (!errors.As(err, &rule) || rule.Violations[0].Field != tc.field):
				t.Fatalf("err %v, want a violation on %s", err, tc.field)
			}
		})
	}
}

func TestCompanyUniqueKey(t *testing.T) {
	f := company.Fields{Name: "Acme"}
	if _, ok := f.UniqueKey(); ok {
		t.Error("a company without e-mail has a unique key")
	}
	e1, e2 := "x@y.z", "x@y.z"
	a, _ := company.Fields{Name: "Acme", Email: &e1}.UniqueKey()
	b, _ := company.Fields{Name: "Acme", Email: &e2}.UniqueKey()
	c, _ := company.Fields{Name: "Acme/x", Email: &e1}.UniqueKey()
	if a != b || a == c {
		t.Errorf("keys %q %q %q", a, b, c)
	}
}

func TestCompanyUpdateChangesNothing(t *testing.T) {
	e := "a@b.c"
	c := created(t, company.Fields{Name: "A", Currency: "USD", Email: &e})
	same := "a@b.c"
	evs, err := c.Update(company.Patch{SetEmail: true, Email: &same})
	if err != nil || len(evs) != 0 {
		t.Fatalf("an update to the same e-mail decided %v, %v", evs, err)
	}
	evs, err = c.Update(company.Patch{SetEmail: true})
	if err != nil || len(evs) != 1 {
		t.Fatalf("clearing the e-mail decided %v, %v", evs, err)
	}
	u := evs[0].(company.CompanyUpdated)
	if u.Old.Email == nil || u.New.Email != nil {
		t.Errorf("update %+v", u)
	}
}

// TestAddressPrimary: Address.save's rules, decided by the company.
func TestAddressPrimary(t *testing.T) {
	c := created(t, company.Fields{Name: "A", Currency: "USD"})
	evs, err := c.AddAddress(10, company.AddressFields{Title: "HQ"})
	if err != nil {
		t.Fatal(err)
	}
	if !evs[0].(company.AddressAdded).Fields.Primary {
		t.Error("the first address is not primary")
	}
	apply(c, evs)
	// The only address stays primary even when asked not to be.
	no := false
	evs, _ = c.UpdateAddress(10, company.AddressPatch{Primary: &no})
	if len(evs) != 0 {
		t.Errorf("un-primarying the only address decided %v", evs)
	}
	evs, _ = c.AddAddress(11, company.AddressFields{Title: "Depot"})
	if evs[0].(company.AddressAdded).Fields.Primary {
		t.Error("a second address became primary unasked")
	}
	apply(c, evs)
	evs, _ = c.AddAddress(12, company.AddressFields{Title: "Shop", Primary: true})
	if got := evs[0].(company.AddressAdded).Unset; len(got) != 1 || got[0] != 10 {
		t.Errorf("unset %v, want [10]", got)
	}
	apply(c, evs)
	if a, _ := c.Address(10); a.Primary {
		t.Error("address 10 is still primary")
	}
	if _, err := c.AddAddress(13, company.AddressFields{}); err == nil {
		t.Error("an address without title was accepted")
	}
	if _, err := c.UpdateAddress(99, company.AddressPatch{}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown address: %v", err)
	}
}

func TestPackNative(t *testing.T) {
	for _, tc := range []struct {
		pack, units string
		want        string
		err         string
	}{
		{"100", "", "100", ""},
		{"2.5", "", "2.5", ""},
		{"25 m", "m", "25", ""},
		{"25m", "M", "25", ""},
		{"25 m", "", "", company.MsgPackUnits},
		{"25 kg", "m", "", company.MsgPackUnits},
		{"0", "", "", company.MsgPackPositive},
		{"-3", "", "", company.MsgPackPositive},
		{"lots", "", "", company.MsgPackInvalid},
	} {
		got, err := company.PackNative(tc.pack, tc.units)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("PackNative(%q, %q) = %v, %v; want error %q", tc.pack, tc.units, got, err, tc.err)
		case tc.err == "" && (err != nil || !got.Equal(decimal.RequireFromString(tc.want))):
			t.Errorf("PackNative(%q, %q) = %v, %v; want %s", tc.pack, tc.units, got, err, tc.want)
		}
	}
}

func TestSupplierPartRules(t *testing.T) {
	part := company.PartFacts{PK: 5, Exists: true, Purchaseable: true}
	supplier := company.Facts{PK: 2, Exists: true, IsSupplier: true}
	mp := company.ManufacturerPartFacts{PK: 7, Exists: true, Part: 5}
	base := company.SupplierPartFields{Part: 5, Supplier: 2, SKU: "S", Active: true}
	for _, tc := range []struct {
		name  string
		f     func(company.SupplierPartFields) company.SupplierPartFields
		refs  company.SupplierPartRefs
		field string
	}{
		{"fine", func(f company.SupplierPartFields) company.SupplierPartFields { return f }, company.SupplierPartRefs{Part: part, Supplier: supplier}, ""},
		{"no SKU", func(f company.SupplierPartFields) company.SupplierPartFields { f.SKU = ""; return f }, company.SupplierPartRefs{Part: part, Supplier: supplier}, "SKU"},
		{"not purchaseable", func(f company.SupplierPartFields) company.SupplierPartFields { return f },
			company.SupplierPartRefs{Part: company.PartFacts{Exists: true}, Supplier: supplier}, "part"},
		{"not a supplier", func(f company.SupplierPartFields) company.SupplierPartFields { return f },
			company.SupplierPartRefs{Part: part, Supplier: company.Facts{Exists: true}}, "supplier"},
		{"other part's manufacturer part", func(f company.SupplierPartFields) company.SupplierPartFields { f.ManufacturerPart = 7; return f },
			company.SupplierPartRefs{Part: part, Supplier: supplier, ManufacturerPart: company.ManufacturerPartFacts{Exists: true, Part: 6}}, "manufacturer_part"},
		{"its manufacturer part", func(f company.SupplierPartFields) company.SupplierPartFields { f.ManufacturerPart = 7; return f },
			company.SupplierPartRefs{Part: part, Supplier: supplier, ManufacturerPart: mp}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := (&company.SupplierPart{}).Create(1, tc.f(base), tc.refs)
			var rule *domain.RuleError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field == "":
				if f := evs[0].(company.SupplierPartCreated).Fields; f.PackQuantity != "1" || !f.PackQuantityNative.Equal(decimal.NewFromInt(1)) {
					t.Errorf("pack %q / %v, want 1", f.PackQuantity, f.PackQuantityNative)
				}
			case !errors.As(err, &rule) || rule.Violations[0].Field != tc.field:
				t.Fatalf("err %v, want a violation on %s", err, tc.field)
			}
		})
	}
}

func TestSupplierPartLosePrimary(t *testing.T) {
	sp := &company.SupplierPart{}
	evs, _ := sp.Create(1, company.SupplierPartFields{Part: 5, Supplier: 2, SKU: "S", Primary: true},
		company.SupplierPartRefs{Part: company.PartFacts{Exists: true, Purchaseable: true}, Supplier: company.Facts{Exists: true, IsSupplier: true}})
	for _, e := range evs {
		sp.Apply(e)
	}
	evs = sp.LosePrimary(9)
	if len(evs) != 1 || evs[0].(company.SupplierPartUpdated).Displaced != 9 || evs[0].(company.SupplierPartUpdated).New.Primary {
		t.Fatalf("LosePrimary decided %v", evs)
	}
	sp.Apply(evs[0])
	if len(sp.LosePrimary(9)) != 0 {
		t.Error("a part that is not primary lost its primary flag again")
	}
}
