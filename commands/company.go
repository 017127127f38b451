package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// Stream categories of the company aggregates, and of the key sequences of what lives
// in a company's stream. Stored: never rename one.
const (
	CompanyCategory          = "company"
	CompanyAddressCategory   = "companyaddress" // key sequence only: addresses live in the company's stream
	CompanyContactCategory   = "companycontact" // key sequence only
	SupplierPartCategory     = "supplierpart"
	ManufacturerPartCategory = "manufacturerpart"
)

// Reservation stream categories of the company area's uniqueness rules, kept with
// stock.Reservation streams (see stock.KeyStream). Stored: never rename one.
const (
	CompanyNameKeys      = "companykey"     // (name, email) of companies
	SupplierPartKeys     = "supplierkey"    // (part, supplier, SKU) of supplier parts, and each part's primary one
	ManufacturerPartKeys = "mfrpartkey"     // (part, manufacturer, MPN) of manufacturer parts
	OrderReferenceKeys   = "orderreference" // references of purchase orders
)

func companyStream(pk int64) string          { return eventstore.Stream(CompanyCategory, pk) }
func supplierPartStream(pk int64) string     { return eventstore.Stream(SupplierPartCategory, pk) }
func manufacturerPartStream(pk int64) string { return eventstore.Stream(ManufacturerPartCategory, pk) }

// CompanyLookup finds what the company commands need to find by what it holds rather
// than by key. It is implemented over the read models, which may lag the log: the
// commands use it for candidates, and load every aggregate it names from its own
// stream before acting on it. What it cannot see (a supplier part created after it
// was read) can slip past a delete, as with DeleteLocation.
type CompanyLookup interface {
	// AddressCompany and ContactCompany are the company an address or contact belongs
	// to, 0 when the read model knows none.
	AddressCompany(ctx context.Context, address int64) (int64, error)
	ContactCompany(ctx context.Context, contact int64) (int64, error)
	// CompanyParts lists the supplier parts a company supplies and the manufacturer
	// parts it makes.
	CompanyParts(ctx context.Context, company int64) (supplierParts, manufacturerParts []int64, err error)
	// ManufacturerPartSuppliers lists the supplier parts linked to a manufacturer part.
	ManufacturerPartSuppliers(ctx context.Context, manufacturerPart int64) ([]int64, error)
	// SupplierPartInUse tells whether stock items or purchase order lines refer to a
	// supplier part.
	SupplierPartInUse(ctx context.Context, supplierPart int64) (bool, error)
	// CompanyInUse tells whether purchase orders or stock items (as their customer)
	// refer to a company.
	CompanyInUse(ctx context.Context, company int64) (bool, error)
}

// Refusals of deletions InvenTree would cascade into other aggregates (SET_NULL on
// stock items, order lines and orders). Stockledger refuses instead of rewriting
// them without a trace.
const (
	msgSupplierPartInUse = "This supplier part is used by stock items or purchase order lines and cannot be deleted"
	msgCompanyInUse      = "This company is used by purchase orders or stock items and cannot be deleted"
)

// CompanyHandlers runs the commands on companies, their addresses and contacts, and on
// supplier and manufacturer parts.
type CompanyHandlers struct {
	x      *Executor
	lookup CompanyLookup
	now    func() time.Time
}

// NewCompanyHandlers returns the handlers. now stamps availability updates.
func NewCompanyHandlers(x *Executor, lookup CompanyLookup, now func() time.Time) (*CompanyHandlers, error) {
	var errs []error
	if x == nil {
		errs = append(errs, errors.New("no executor"))
	}
	if lookup == nil {
		errs = append(errs, errors.New("no company lookup"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("company handlers: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &CompanyHandlers{x: x, lookup: lookup, now: now}, nil
}

func newCompany() *company.Company                   { return &company.Company{} }
func newSupplierPart() *company.SupplierPart         { return &company.SupplierPart{} }
func newManufacturerPart() *company.ManufacturerPart { return &company.ManufacturerPart{} }

// CompanyFacts reads company pk from its stream, for decisions of other aggregates.
func (h *CompanyHandlers) CompanyFacts(ctx context.Context, pk int64) (company.Facts, error) {
	if pk == 0 {
		return company.Facts{}, nil
	}
	c, _, err := Load(ctx, h.x, companyStream(pk), newCompany)
	if err != nil {
		return company.Facts{}, err
	}
	f := c.Facts()
	f.PK = pk
	return f, nil
}

// SupplierPartFacts reads supplier part pk from its stream.
func (h *CompanyHandlers) SupplierPartFacts(ctx context.Context, pk int64) (company.SupplierPartFacts, error) {
	sp, _, err := Load(ctx, h.x, supplierPartStream(pk), newSupplierPart)
	if err != nil {
		return company.SupplierPartFacts{}, err
	}
	f := sp.Facts()
	f.PK = pk
	return f, nil
}

// partFacts reads what supplier and manufacturer part rules need of a part.
func (h *CompanyHandlers) partFacts(ctx context.Context, pk int64) (company.PartFacts, error) {
	p, _, err := Load(ctx, h.x, partStream(pk), newPartAggregate)
	if err != nil {
		return company.PartFacts{}, err
	}
	f := p.Fields()
	return company.PartFacts{PK: pk, Exists: p.Exists(), Purchaseable: f.Purchaseable, Units: f.Units}, nil
}

// ---- Companies ----

// CreateCompany creates a company and returns its pk. A company with an e-mail reserves
// its (name, email) pair in the same append.
func (h *CompanyHandlers) CreateCompany(ctx context.Context, f company.Fields) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, CompanyCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create company: %w", err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		evs, err := newCompany().Create(pk, f)
		if err != nil {
			return err
		}
		if err := tx.Create(companyStream(pk)); err != nil {
			return err
		}
		if err := tx.Emit(companyStream(pk), evs...); err != nil {
			return err
		}
		return moveKey(ctx, newStockKeys(tx), CompanyNameKeys, company.Fields{}, f, pk, companyKey, company.MsgDuplicateCompany)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create company: %w", err)
	}
	return pk, res, nil
}

func companyKey(f company.Fields) (string, bool) { return f.UniqueKey() }

// moveKey moves holder's reservation of a unique key from the key of before to the key
// of after (either may have none), refusing with msg when the new key is taken.
func moveKey[F any](ctx context.Context, keys *stockKeys, category string, before, after F, holder int64, key func(F) (string, bool), msg string) error {
	oldKey, hadOld := key(before)
	newKey, hasNew := key(after)
	if hadOld == hasNew && oldKey == newKey {
		return nil
	}
	if hasNew {
		if err := keys.reserve(ctx, stock.KeyStream(category, newKey), holder); errors.Is(err, stock.ErrKeyTaken) {
			return domain.Invalid("", msg)
		} else if err != nil {
			return err
		}
	}
	if hadOld {
		return keys.release(ctx, stock.KeyStream(category, oldKey), holder)
	}
	return nil
}

// UpdateCompany edits a company.
func (h *CompanyHandlers) UpdateCompany(ctx context.Context, pk int64, p company.Patch) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		c := newCompany()
		if _, err := tx.Load(ctx, companyStream(pk), c); err != nil {
			return err
		}
		old := c.Fields()
		evs, err := c.Update(p)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.Emit(companyStream(pk), evs...); err != nil {
			return err
		}
		return moveKey(ctx, newStockKeys(tx), CompanyNameKeys, old, p.Apply(old), pk, companyKey, company.MsgDuplicateCompany)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update company %d: %w", pk, err)
	}
	return res, nil
}

// DeleteCompany deletes a company with its addresses and contacts, and the supplier
// and manufacturer parts it supplies and makes (on_delete=CASCADE in InvenTree), all
// in one append. A company that orders or stock refer to is not deleted.
func (h *CompanyHandlers) DeleteCompany(ctx context.Context, pk int64) (Result, error) {
	inUse, err := h.lookup.CompanyInUse(ctx, pk)
	if err != nil {
		return Result{}, fmt.Errorf("delete company %d: %w", pk, err)
	}
	if inUse {
		return Result{}, domain.Invalid("", msgCompanyInUse)
	}
	sps, mps, err := h.lookup.CompanyParts(ctx, pk)
	if err != nil {
		return Result{}, fmt.Errorf("delete company %d: %w", pk, err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		c := newCompany()
		if _, err := tx.Load(ctx, companyStream(pk), c); err != nil {
			return err
		}
		old := c.Fields()
		evs, err := c.Delete()
		if err != nil {
			return err
		}
		if err := tx.Emit(companyStream(pk), evs...); err != nil {
			return err
		}
		keys := newStockKeys(tx)
		if err := moveKey(ctx, keys, CompanyNameKeys, old, company.Fields{}, pk, companyKey, ""); err != nil {
			return err
		}
		for _, mp := range mps {
			linked, err := h.lookup.ManufacturerPartSuppliers(ctx, mp)
			if err != nil {
				return err
			}
			sps = append(sps, linked...)
		}
		deleted := map[int64]bool{}
		for _, sp := range sps {
			if deleted[sp] {
				continue
			}
			deleted[sp] = true
			if err := h.deleteSupplierPart(ctx, tx, keys, sp, pk, func(f company.SupplierPartFields) bool {
				return f.Supplier == pk
			}); err != nil {
				return err
			}
		}
		for _, mp := range mps {
			if err := h.deleteManufacturerPart(ctx, tx, keys, mp, pk, func(f company.ManufacturerPartFields) bool {
				return f.Manufacturer == pk
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete company %d: %w", pk, err)
	}
	return res, nil
}

// ---- Addresses and contacts ----

// AddAddress adds an address to a company and returns its pk.
func (h *CompanyHandlers) AddAddress(ctx context.Context, companyPK int64, f company.AddressFields) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, CompanyAddressCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("add address: %w", err)
	}
	res, err := Execute(ctx, h.x, companyStream(companyPK), newCompany, func(c *company.Company) ([]domain.Event, error) {
		if !c.Exists() {
			return nil, &domain.NotFoundError{Kind: "Company", ID: companyPK, Field: "company"}
		}
		return c.AddAddress(pk, f)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("add address to company %d: %w", companyPK, err)
	}
	return pk, res, nil
}

// UpdateAddress edits an address. A changed company moves the address from one
// company's stream to the other's, under the same pk.
func (h *CompanyHandlers) UpdateAddress(ctx context.Context, pk int64, to int64, p company.AddressPatch) (Result, error) {
	return h.updateMember(ctx, "address", pk, to, h.lookup.AddressCompany,
		func(c *company.Company) bool { return c.HasAddress(pk) },
		func(c *company.Company) ([]domain.Event, error) { return c.UpdateAddress(pk, p) },
		func(from, dest *company.Company) ([]domain.Event, []domain.Event, error) {
			current, _ := from.Address(pk)
			out, err := from.RemoveAddress(pk)
			if err != nil {
				return nil, nil, err
			}
			in, err := dest.AddAddress(pk, p.Apply(current))
			return out, in, err
		})
}

// DeleteAddress deletes an address.
func (h *CompanyHandlers) DeleteAddress(ctx context.Context, pk int64) (Result, error) {
	return h.deleteMember(ctx, "address", pk, h.lookup.AddressCompany,
		func(c *company.Company) ([]domain.Event, error) { return c.RemoveAddress(pk) })
}

// AddContact adds a contact to a company and returns its pk.
func (h *CompanyHandlers) AddContact(ctx context.Context, companyPK int64, f company.ContactFields) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, CompanyContactCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("add contact: %w", err)
	}
	res, err := Execute(ctx, h.x, companyStream(companyPK), newCompany, func(c *company.Company) ([]domain.Event, error) {
		if !c.Exists() {
			return nil, &domain.NotFoundError{Kind: "Company", ID: companyPK, Field: "company"}
		}
		return c.AddContact(pk, f)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("add contact to company %d: %w", companyPK, err)
	}
	return pk, res, nil
}

// UpdateContact edits a contact; a changed company moves it, as UpdateAddress does.
func (h *CompanyHandlers) UpdateContact(ctx context.Context, pk int64, to int64, p company.ContactPatch) (Result, error) {
	return h.updateMember(ctx, "contact", pk, to, h.lookup.ContactCompany,
		func(c *company.Company) bool { return c.HasContact(pk) },
		func(c *company.Company) ([]domain.Event, error) { return c.UpdateContact(pk, p) },
		func(from, dest *company.Company) ([]domain.Event, []domain.Event, error) {
			current, _ := from.Contact(pk)
			out, err := from.RemoveContact(pk)
			if err != nil {
				return nil, nil, err
			}
			in, err := dest.AddContact(pk, p.Apply(current))
			return out, in, err
		})
}

// DeleteContact deletes a contact.
func (h *CompanyHandlers) DeleteContact(ctx context.Context, pk int64) (Result, error) {
	return h.deleteMember(ctx, "contact", pk, h.lookup.ContactCompany,
		func(c *company.Company) ([]domain.Event, error) { return c.RemoveContact(pk) })
}

// updateMember edits an address or contact pk found (by the lookup) in its company's
// stream; to, when not 0 and another company, is where it moves.
func (h *CompanyHandlers) updateMember(ctx context.Context, what string, pk, to int64,
	owner func(context.Context, int64) (int64, error), has func(*company.Company) bool,
	update func(*company.Company) ([]domain.Event, error),
	move func(from, to *company.Company) ([]domain.Event, []domain.Event, error)) (Result, error) {
	from, err := owner(ctx, pk)
	if err != nil {
		return Result{}, fmt.Errorf("update %s %d: %w", what, pk, err)
	}
	if from == 0 {
		return Result{}, &domain.NotFoundError{Kind: memberKind(what), ID: pk}
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		c := newCompany()
		if _, err := tx.Load(ctx, companyStream(from), c); err != nil {
			return err
		}
		if !has(c) {
			return &domain.NotFoundError{Kind: memberKind(what), ID: pk}
		}
		if to == 0 || to == from {
			evs, err := update(c)
			if err != nil {
				return err
			}
			return tx.Emit(companyStream(from), evs...)
		}
		dest := newCompany()
		if _, err := tx.Load(ctx, companyStream(to), dest); err != nil {
			return err
		}
		if !dest.Exists() {
			return &domain.NotFoundError{Kind: "Company", ID: to, Field: "company"}
		}
		out, in, err := move(c, dest)
		if err != nil {
			return err
		}
		if err := tx.Emit(companyStream(from), out...); err != nil {
			return err
		}
		return tx.Emit(companyStream(to), in...)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update %s %d: %w", what, pk, err)
	}
	return res, nil
}

func (h *CompanyHandlers) deleteMember(ctx context.Context, what string, pk int64,
	owner func(context.Context, int64) (int64, error), remove func(*company.Company) ([]domain.Event, error)) (Result, error) {
	from, err := owner(ctx, pk)
	if err != nil {
		return Result{}, fmt.Errorf("delete %s %d: %w", what, pk, err)
	}
	if from == 0 {
		return Result{}, &domain.NotFoundError{Kind: memberKind(what), ID: pk}
	}
	res, err := Execute(ctx, h.x, companyStream(from), newCompany, remove)
	if err != nil {
		return Result{}, fmt.Errorf("delete %s %d: %w", what, pk, err)
	}
	return res, nil
}

func memberKind(what string) string {
	if what == "address" {
		return "Address"
	}
	return "Contact"
}

// ---- Manufacturer parts ----

func mfrKey(f company.ManufacturerPartFields) (string, bool) { return f.UniqueKey() }

// CreateManufacturerPart creates a manufacturer part and returns its pk. Its (part,
// manufacturer, MPN) is reserved in the same append.
func (h *CompanyHandlers) CreateManufacturerPart(ctx context.Context, f company.ManufacturerPartFields) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, ManufacturerPartCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create manufacturer part: %w", err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		part, maker, err := h.manufacturerRefs(ctx, f)
		if err != nil {
			return err
		}
		evs, err := newManufacturerPart().Create(pk, f, part, maker)
		if err != nil {
			return err
		}
		if err := tx.Create(manufacturerPartStream(pk)); err != nil {
			return err
		}
		if err := tx.Emit(manufacturerPartStream(pk), evs...); err != nil {
			return err
		}
		return moveKey(ctx, newStockKeys(tx), ManufacturerPartKeys, company.ManufacturerPartFields{}, f, pk, mfrKey, company.MsgDuplicateManufacturerPart)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create manufacturer part: %w", err)
	}
	return pk, res, nil
}

func (h *CompanyHandlers) manufacturerRefs(ctx context.Context, f company.ManufacturerPartFields) (company.PartFacts, company.Facts, error) {
	part, err := h.partFacts(ctx, f.Part)
	if err != nil {
		return company.PartFacts{}, company.Facts{}, err
	}
	maker, err := h.CompanyFacts(ctx, f.Manufacturer)
	if err != nil {
		return company.PartFacts{}, company.Facts{}, err
	}
	return part, maker, nil
}

// UpdateManufacturerPart edits a manufacturer part.
func (h *CompanyHandlers) UpdateManufacturerPart(ctx context.Context, pk int64, p company.ManufacturerPartPatch) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		m := newManufacturerPart()
		if _, err := tx.Load(ctx, manufacturerPartStream(pk), m); err != nil {
			return err
		}
		old := m.Fields()
		next := p.Apply(old)
		part, maker, err := h.manufacturerRefs(ctx, next)
		if err != nil {
			return err
		}
		evs, err := m.Update(p, part, maker)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.Emit(manufacturerPartStream(pk), evs...); err != nil {
			return err
		}
		return moveKey(ctx, newStockKeys(tx), ManufacturerPartKeys, old, next, pk, mfrKey, company.MsgDuplicateManufacturerPart)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update manufacturer part %d: %w", pk, err)
	}
	return res, nil
}

// DeleteManufacturerPart deletes a manufacturer part and the supplier parts linked to
// it (SupplierPart.manufacturer_part is on_delete=CASCADE).
func (h *CompanyHandlers) DeleteManufacturerPart(ctx context.Context, pk int64) (Result, error) {
	linked, err := h.lookup.ManufacturerPartSuppliers(ctx, pk)
	if err != nil {
		return Result{}, fmt.Errorf("delete manufacturer part %d: %w", pk, err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		keys := newStockKeys(tx)
		m := newManufacturerPart()
		if _, err := tx.Load(ctx, manufacturerPartStream(pk), m); err != nil {
			return err
		}
		if !m.Exists() {
			return &domain.NotFoundError{Kind: "ManufacturerPart", ID: pk}
		}
		for _, sp := range linked {
			if err := h.deleteSupplierPart(ctx, tx, keys, sp, 0, func(f company.SupplierPartFields) bool {
				return f.ManufacturerPart == pk
			}); err != nil {
				return err
			}
		}
		evs, err := m.Delete(0)
		if err != nil {
			return err
		}
		if err := tx.Emit(manufacturerPartStream(pk), evs...); err != nil {
			return err
		}
		return moveKey(ctx, keys, ManufacturerPartKeys, m.Fields(), company.ManufacturerPartFields{}, pk, mfrKey, "")
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete manufacturer part %d: %w", pk, err)
	}
	return res, nil
}

// deleteManufacturerPart deletes manufacturer part pk with company with, when it still
// belongs to it (still says whether the loaded part is still the lookup's candidate).
func (h *CompanyHandlers) deleteManufacturerPart(ctx context.Context, tx *Tx, keys *stockKeys, pk, with int64, still func(company.ManufacturerPartFields) bool) error {
	m := newManufacturerPart()
	if _, err := tx.Load(ctx, manufacturerPartStream(pk), m); err != nil {
		return err
	}
	if !m.Exists() || !still(m.Fields()) {
		return nil
	}
	evs, err := m.Delete(with)
	if err != nil {
		return err
	}
	if err := tx.Emit(manufacturerPartStream(pk), evs...); err != nil {
		return err
	}
	return moveKey(ctx, keys, ManufacturerPartKeys, m.Fields(), company.ManufacturerPartFields{}, pk, mfrKey, "")
}

// ---- Supplier parts ----

// supplierKey is a supplier part's unique key; the zero fields (no supplier part) have
// none.
func supplierKey(f company.SupplierPartFields) (string, bool) { return f.UniqueKey(), f.Part != 0 }

func primaryKey(f company.SupplierPartFields) (string, bool) {
	return company.PrimaryKey(f.Part), f.Primary
}

// CreateSupplierPart creates a supplier part (POST /api/company/part/).
type CreateSupplierPart struct {
	Fields company.SupplierPartFields
	// AvailableGiven: the request set available, which stamps availability_updated.
	AvailableGiven bool
}

// CreateSupplierPart creates a supplier part and returns its pk. Its (part, supplier,
// SKU) is reserved in the same append, and so is its part's primary supplier part when
// it is primary: the one that was primary before stops being so.
func (h *CompanyHandlers) CreateSupplierPart(ctx context.Context, cmd CreateSupplierPart) (int64, Result, error) {
	f := cmd.Fields
	if cmd.AvailableGiven {
		f.AvailabilityUpdated = h.now().UTC().Format(time.RFC3339)
	}
	pk, err := h.x.NextKey(ctx, SupplierPartCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create supplier part: %w", err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		refs, err := h.supplierRefs(ctx, f)
		if err != nil {
			return err
		}
		evs, err := newSupplierPart().Create(pk, f, refs)
		if err != nil {
			return err
		}
		if err := tx.Create(supplierPartStream(pk)); err != nil {
			return err
		}
		if err := tx.Emit(supplierPartStream(pk), evs...); err != nil {
			return err
		}
		return h.supplierKeys(ctx, tx, pk, company.SupplierPartFields{}, evs[0].(company.SupplierPartCreated).Fields)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create supplier part: %w", err)
	}
	return pk, res, nil
}

func (h *CompanyHandlers) supplierRefs(ctx context.Context, f company.SupplierPartFields) (company.SupplierPartRefs, error) {
	var refs company.SupplierPartRefs
	var err error
	if refs.Part, err = h.partFacts(ctx, f.Part); err != nil {
		return refs, err
	}
	if refs.Supplier, err = h.CompanyFacts(ctx, f.Supplier); err != nil {
		return refs, err
	}
	if f.ManufacturerPart != 0 {
		m, _, err := Load(ctx, h.x, manufacturerPartStream(f.ManufacturerPart), newManufacturerPart)
		if err != nil {
			return refs, err
		}
		refs.ManufacturerPart = m.Facts()
	}
	return refs, nil
}

// supplierKeys moves supplier part pk's reservations from before to after: its unique
// (part, supplier, SKU), and its part's primary flag, taken from another supplier part
// when need be.
func (h *CompanyHandlers) supplierKeys(ctx context.Context, tx *Tx, pk int64, before, after company.SupplierPartFields) error {
	keys := newStockKeys(tx)
	if err := moveKey(ctx, keys, SupplierPartKeys, before, after, pk, supplierKey, company.MsgDuplicateSupplierPart); err != nil {
		return err
	}
	oldKey, wasPrimary := primaryKey(before)
	newKey, isPrimary := primaryKey(after)
	if wasPrimary == isPrimary && oldKey == newKey {
		return nil
	}
	if wasPrimary {
		if err := keys.release(ctx, stock.KeyStream(SupplierPartKeys, oldKey), pk); err != nil {
			return err
		}
	}
	if !isPrimary {
		return nil
	}
	stream := stock.KeyStream(SupplierPartKeys, newKey)
	res, err := keys.get(ctx, stream)
	if err != nil {
		return err
	}
	if other := res.Holder(); other != 0 && other != pk {
		sp := newSupplierPart()
		if _, err := tx.Load(ctx, supplierPartStream(other), sp); err != nil {
			return err
		}
		if err := tx.Emit(supplierPartStream(other), sp.LosePrimary(pk)...); err != nil {
			return err
		}
		if err := keys.release(ctx, stream, other); err != nil {
			return err
		}
	}
	return keys.reserve(ctx, stream, pk)
}

// UpdateSupplierPart edits a supplier part. A new value of available is stamped with
// the handlers' clock (availability_updated).
func (h *CompanyHandlers) UpdateSupplierPart(ctx context.Context, pk int64, p company.SupplierPartPatch) (Result, error) {
	if p.Available != nil {
		p.AvailabilityUpdated = h.now().UTC().Format(time.RFC3339)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		sp := newSupplierPart()
		if _, err := tx.Load(ctx, supplierPartStream(pk), sp); err != nil {
			return err
		}
		old := sp.Fields()
		refs, err := h.supplierRefs(ctx, p.Apply(old))
		if err != nil {
			return err
		}
		evs, err := sp.Update(p, refs)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.Emit(supplierPartStream(pk), evs...); err != nil {
			return err
		}
		return h.supplierKeys(ctx, tx, pk, old, evs[0].(company.SupplierPartUpdated).New)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update supplier part %d: %w", pk, err)
	}
	return res, nil
}

// DeleteSupplierPart deletes a supplier part that nothing refers to.
func (h *CompanyHandlers) DeleteSupplierPart(ctx context.Context, pk int64) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		sp := newSupplierPart()
		if _, err := tx.Load(ctx, supplierPartStream(pk), sp); err != nil {
			return err
		}
		if !sp.Exists() {
			return &domain.NotFoundError{Kind: "SupplierPart", ID: pk}
		}
		return h.deleteLoadedSupplierPart(ctx, tx, newStockKeys(tx), sp, 0)
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete supplier part %d: %w", pk, err)
	}
	return res, nil
}

// deleteSupplierPart deletes supplier part pk along with another deletion, when it is
// still the lookup's candidate.
func (h *CompanyHandlers) deleteSupplierPart(ctx context.Context, tx *Tx, keys *stockKeys, pk, with int64, still func(company.SupplierPartFields) bool) error {
	sp := newSupplierPart()
	if _, err := tx.Load(ctx, supplierPartStream(pk), sp); err != nil {
		return err
	}
	if !sp.Exists() || !still(sp.Fields()) {
		return nil
	}
	return h.deleteLoadedSupplierPart(ctx, tx, keys, sp, with)
}

func (h *CompanyHandlers) deleteLoadedSupplierPart(ctx context.Context, tx *Tx, keys *stockKeys, sp *company.SupplierPart, with int64) error {
	pk := sp.PK()
	inUse, err := h.lookup.SupplierPartInUse(ctx, pk)
	if err != nil {
		return err
	}
	if inUse {
		return domain.Invalid("", msgSupplierPartInUse)
	}
	evs, err := sp.Delete(with)
	if err != nil {
		return err
	}
	if err := tx.Emit(supplierPartStream(pk), evs...); err != nil {
		return err
	}
	f := sp.Fields()
	if err := moveKey(ctx, keys, SupplierPartKeys, f, company.SupplierPartFields{}, pk, supplierKey, ""); err != nil {
		return err
	}
	if key, primary := primaryKey(f); primary {
		return keys.release(ctx, stock.KeyStream(SupplierPartKeys, key), pk)
	}
	return nil
}
