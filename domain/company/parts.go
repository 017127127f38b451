package company

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// Messages InvenTree answers with for supplier and manufacturer parts.
const (
	// unique_together as DRF reports it, as non-field errors.
	MsgDuplicateSupplierPart     = "The fields part, supplier, SKU must make a unique set."
	MsgDuplicateManufacturerPart = "The fields part, manufacturer, MPN must make a unique set."
	// SupplierPart.clean, on manufacturer_part.
	MsgManufacturerPartMismatch = "Linked manufacturer part must reference the same base part"
	// SupplierPart.clean, on pack_quantity.
	MsgPackUnits        = "Pack units must be compatible with the base part units"
	MsgPackPositive     = "Pack units must be greater than zero"
	MsgPackInvalid      = "Invalid quantity supplied"
	msgBlank            = "This field may not be blank."
	msgInvalidPKPattern = "Invalid pk \"%d\" - object does not exist."
)

// PartFacts describe a part for a supplier or manufacturer part decision, as the
// command read them from the part's stream.
type PartFacts struct {
	PK           int64
	Exists       bool
	Purchaseable bool
	Units        string
}

// ManufacturerPartFacts describe a manufacturer part for a supplier part decision.
type ManufacturerPartFacts struct {
	PK           int64
	Exists       bool
	Part         int64
	Manufacturer int64
	MPN          *string
}

// ---- Manufacturer parts ----

// ManufacturerPartFields are a manufacturer part's stored fields.
type ManufacturerPartFields struct {
	Part         int64   `json:"part"`
	Manufacturer int64   `json:"manufacturer"`
	MPN          *string `json:"mpn"` // nil: none (NULL, unconstrained)
	Description  string  `json:"description"`
	Link         string  `json:"link"`
	Notes        string  `json:"notes"`
}

// UniqueKey is the key a manufacturer part reserves for unique_together (part,
// manufacturer, MPN); ok is false without an MPN.
func (f ManufacturerPartFields) UniqueKey() (string, bool) {
	if f.MPN == nil {
		return "", false
	}
	return strconv.FormatInt(f.Part, 10) + "/" + strconv.FormatInt(f.Manufacturer, 10) + "/" + quote(*f.MPN), true
}

// ManufacturerPartPatch is a partial update; SetMPN with MPN nil clears the MPN.
type ManufacturerPartPatch struct {
	Part, Manufacturer       *int64
	SetMPN                   bool
	MPN                      *string
	Description, Link, Notes *string
}

// Apply returns f with the patch's fields set.
func (p ManufacturerPartPatch) Apply(f ManufacturerPartFields) ManufacturerPartFields {
	set(&f.Part, p.Part)
	set(&f.Manufacturer, p.Manufacturer)
	if p.SetMPN {
		f.MPN = p.MPN
	}
	set(&f.Description, p.Description)
	set(&f.Link, p.Link)
	set(&f.Notes, p.Notes)
	return f
}

// ManufacturerPartCreated records a new manufacturer part.
type ManufacturerPartCreated struct {
	PK     int64                  `json:"pk"`
	Fields ManufacturerPartFields `json:"fields"`
}

// ManufacturerPartUpdated records an edit.
type ManufacturerPartUpdated struct {
	PK  int64                  `json:"pk"`
	Old ManufacturerPartFields `json:"old"`
	New ManufacturerPartFields `json:"new"`
}

// ManufacturerPartDeleted records a manufacturer part's end. DeletedWith is the company
// whose deletion took it along, 0 for a deletion of its own.
type ManufacturerPartDeleted struct {
	PK          int64                  `json:"pk"`
	Fields      ManufacturerPartFields `json:"fields"`
	DeletedWith int64                  `json:"deleted_with,omitempty"`
}

func (ManufacturerPartCreated) EventType() string { return TypeManufacturerPartCreated }
func (ManufacturerPartUpdated) EventType() string { return TypeManufacturerPartUpdated }
func (ManufacturerPartDeleted) EventType() string { return TypeManufacturerPartDeleted }

// ManufacturerPart is InvenTree's ManufacturerPart: a part as one manufacturer makes
// it, under its MPN.
type ManufacturerPart struct {
	pk      int64
	created bool
	deleted bool
	fields  ManufacturerPartFields
}

// Apply folds a manufacturer part event.
func (m *ManufacturerPart) Apply(e domain.Event) {
	switch e := e.(type) {
	case ManufacturerPartCreated:
		m.pk, m.created, m.fields = e.PK, true, e.Fields
	case ManufacturerPartUpdated:
		m.fields = e.New
	case ManufacturerPartDeleted:
		m.deleted = true
	}
}

// Exists reports whether the manufacturer part was created and not deleted.
func (m *ManufacturerPart) Exists() bool { return m.created && !m.deleted }

// Fields are the manufacturer part's fields.
func (m *ManufacturerPart) Fields() ManufacturerPartFields { return m.fields }

// Facts describe the manufacturer part for a supplier part decision.
func (m *ManufacturerPart) Facts() ManufacturerPartFacts {
	return ManufacturerPartFacts{PK: m.pk, Exists: m.Exists(), Part: m.fields.Part, Manufacturer: m.fields.Manufacturer, MPN: m.fields.MPN}
}

// checkManufacturerPart applies the rules on a manufacturer part's references: a
// purchaseable part (limit_choices_to) and a manufacturer (the serializer's queryset
// of companies with is_manufacturer).
func checkManufacturerPart(f ManufacturerPartFields, part PartFacts, manufacturer Facts) error {
	errs := &domain.RuleError{}
	if !part.Exists || !part.Purchaseable {
		errs.Add("part", invalidPK(f.Part))
	}
	if !manufacturer.Exists || !manufacturer.IsManufacturer {
		errs.Add("manufacturer", invalidPK(f.Manufacturer))
	}
	return errs.Err()
}

// Create decides a new manufacturer part. part and manufacturer describe the referenced
// part and company.
func (m *ManufacturerPart) Create(pk int64, f ManufacturerPartFields, part PartFacts, manufacturer Facts) ([]domain.Event, error) {
	if m.created {
		return nil, domain.Invalid("", "Manufacturer part already exists")
	}
	if err := checkManufacturerPart(f, part, manufacturer); err != nil {
		return nil, err
	}
	return []domain.Event{ManufacturerPartCreated{PK: pk, Fields: f}}, nil
}

// Update decides an edit. part and manufacturer describe the references after it.
func (m *ManufacturerPart) Update(p ManufacturerPartPatch, part PartFacts, manufacturer Facts) ([]domain.Event, error) {
	if !m.Exists() {
		return nil, &domain.NotFoundError{Kind: "ManufacturerPart", ID: m.pk}
	}
	old, f := m.fields, p.Apply(m.fields)
	if f.Part != old.Part || f.Manufacturer != old.Manufacturer {
		if err := checkManufacturerPart(f, part, manufacturer); err != nil {
			return nil, err
		}
	}
	if sameManufacturerPart(old, f) {
		return nil, nil
	}
	return []domain.Event{ManufacturerPartUpdated{PK: m.pk, Old: old, New: f}}, nil
}

func sameManufacturerPart(a, b ManufacturerPartFields) bool {
	am, bm := a.MPN, b.MPN
	a.MPN, b.MPN = nil, nil
	return a == b && sameOptional(am, bm)
}

// Delete decides the deletion; with, when not 0, is the company deleted with it.
func (m *ManufacturerPart) Delete(with int64) ([]domain.Event, error) {
	if !m.Exists() {
		return nil, &domain.NotFoundError{Kind: "ManufacturerPart", ID: m.pk}
	}
	return []domain.Event{ManufacturerPartDeleted{PK: m.pk, Fields: m.fields, DeletedWith: with}}, nil
}

// ---- Supplier parts ----

// SupplierPartFields are a supplier part's stored fields.
type SupplierPartFields struct {
	Part             int64  `json:"part"`
	Supplier         int64  `json:"supplier"`
	SKU              string `json:"sku"`
	Active           bool   `json:"active"`
	Primary          bool   `json:"primary"`
	ManufacturerPart int64  `json:"manufacturer_part,omitempty"`
	Link             string `json:"link"`
	Description      string `json:"description"`
	Note             string `json:"note"`
	Packaging        string `json:"packaging"`
	PackQuantity     string `json:"pack_quantity"`
	// PackQuantityNative is PackQuantity in the part's own units: how many units of the
	// part one pack holds.
	PackQuantityNative decimal.Decimal `json:"pack_quantity_native"`
	Available          decimal.Decimal `json:"available"`
	// AvailabilityUpdated is when Available was last set (RFC 3339), "" for never.
	AvailabilityUpdated string `json:"availability_updated,omitempty"`
	Notes               string `json:"notes"`
}

// DefaultSupplierPartFields are a new supplier part's fields before the request sets
// any (the model's defaults).
func DefaultSupplierPartFields() SupplierPartFields {
	return SupplierPartFields{Active: true, PackQuantityNative: decimal.NewFromInt(1)}
}

// UniqueKey is the key a supplier part reserves for unique_together (part, supplier,
// SKU).
func (f SupplierPartFields) UniqueKey() string {
	return strconv.FormatInt(f.Part, 10) + "/" + strconv.FormatInt(f.Supplier, 10) + "/" + quote(f.SKU)
}

// PrimaryKey is the key the primary supplier part of part reserves: a part has at most
// one.
func PrimaryKey(part int64) string { return "primary/" + strconv.FormatInt(part, 10) }

// SupplierPartPatch is a partial update. Available, when set, also stamps
// AvailabilityUpdated with the command's time.
type SupplierPartPatch struct {
	Part, Supplier, ManufacturerPart                      *int64
	SKU, Link, Description, Note, Packaging, PackQuantity *string
	Notes                                                 *string
	Active, Primary                                       *bool
	Available                                             *decimal.Decimal
	AvailabilityUpdated                                   string
}

// Apply returns f with the patch's fields set (PackQuantityNative is left for the
// decision to compute).
func (p SupplierPartPatch) Apply(f SupplierPartFields) SupplierPartFields {
	set(&f.Part, p.Part)
	set(&f.Supplier, p.Supplier)
	set(&f.ManufacturerPart, p.ManufacturerPart)
	set(&f.SKU, p.SKU)
	set(&f.Link, p.Link)
	set(&f.Description, p.Description)
	set(&f.Note, p.Note)
	set(&f.Packaging, p.Packaging)
	set(&f.PackQuantity, p.PackQuantity)
	set(&f.Notes, p.Notes)
	set(&f.Active, p.Active)
	set(&f.Primary, p.Primary)
	if p.Available != nil {
		f.Available = *p.Available
		f.AvailabilityUpdated = p.AvailabilityUpdated
	}
	return f
}

// SupplierPartRefs are the facts a supplier part decision needs about what it refers
// to, as the command read them from their streams.
type SupplierPartRefs struct {
	Part             PartFacts
	Supplier         Facts
	ManufacturerPart ManufacturerPartFacts // when ManufacturerPart is set
}

// SupplierPartCreated records a new supplier part.
type SupplierPartCreated struct {
	PK     int64              `json:"pk"`
	Fields SupplierPartFields `json:"fields"`
}

// SupplierPartUpdated records an edit. Displaced, set on the supplier part that lost
// its primary flag to another of the same part, names that other one.
type SupplierPartUpdated struct {
	PK        int64              `json:"pk"`
	Old       SupplierPartFields `json:"old"`
	New       SupplierPartFields `json:"new"`
	Displaced int64              `json:"displaced_by,omitempty"`
}

// SupplierPartDeleted records a supplier part's end. DeletedWith is the company whose
// deletion took it along, 0 for a deletion of its own.
type SupplierPartDeleted struct {
	PK          int64              `json:"pk"`
	Fields      SupplierPartFields `json:"fields"`
	DeletedWith int64              `json:"deleted_with,omitempty"`
}

func (SupplierPartCreated) EventType() string { return TypeSupplierPartCreated }
func (SupplierPartUpdated) EventType() string { return TypeSupplierPartUpdated }
func (SupplierPartDeleted) EventType() string { return TypeSupplierPartDeleted }

// SupplierPart is InvenTree's SupplierPart: a part as one supplier sells it, under its
// SKU, in packs of PackQuantity.
type SupplierPart struct {
	pk      int64
	created bool
	deleted bool
	fields  SupplierPartFields
}

// Apply folds a supplier part event.
func (s *SupplierPart) Apply(e domain.Event) {
	switch e := e.(type) {
	case SupplierPartCreated:
		s.pk, s.created, s.fields = e.PK, true, e.Fields
	case SupplierPartUpdated:
		s.fields = e.New
	case SupplierPartDeleted:
		s.deleted = true
	}
}

// Exists reports whether the supplier part was created and not deleted.
func (s *SupplierPart) Exists() bool { return s.created && !s.deleted }

// PK is the supplier part's primary key.
func (s *SupplierPart) PK() int64 { return s.pk }

// Fields are the supplier part's fields.
func (s *SupplierPart) Fields() SupplierPartFields { return s.fields }

// Facts describe the supplier part for an order or stock decision.
func (s *SupplierPart) Facts() SupplierPartFacts {
	f := s.fields
	return SupplierPartFacts{
		PK: s.pk, Exists: s.Exists(), Part: f.Part, Supplier: f.Supplier, SKU: f.SKU,
		Packaging: f.Packaging, PackQuantityNative: f.PackQuantityNative, Active: f.Active,
	}
}

// SupplierPartFacts describe a supplier part for a decision about another aggregate (a
// purchase order line, a receipt, a stock item).
type SupplierPartFacts struct {
	PK                 int64
	Exists             bool
	Part               int64
	Supplier           int64
	SKU                string
	Packaging          string
	PackQuantityNative decimal.Decimal
	Active             bool
}

// BaseQuantity is qty packs in the part's own units (SupplierPart.base_quantity).
func (f SupplierPartFacts) BaseQuantity(qty decimal.Decimal) decimal.Decimal {
	native := f.PackQuantityNative
	if native.IsZero() {
		native = decimal.NewFromInt(1)
	}
	return qty.Mul(native).Round(10)
}

// checkSupplierPart applies SupplierPart's rules to f: a purchaseable part, a supplier,
// a manufacturer part of the same part, a pack quantity in the part's units. It
// returns f with PackQuantityNative computed.
func checkSupplierPart(f SupplierPartFields, refs SupplierPartRefs, checkRefs bool) (SupplierPartFields, error) {
	errs := &domain.RuleError{}
	if f.SKU == "" {
		errs.Add("SKU", msgBlank)
	}
	if checkRefs {
		if !refs.Part.Exists || !refs.Part.Purchaseable {
			errs.Add("part", invalidPK(f.Part))
		}
		if !refs.Supplier.Exists || !refs.Supplier.IsSupplier {
			errs.Add("supplier", invalidPK(f.Supplier))
		}
		if f.ManufacturerPart != 0 {
			mp := refs.ManufacturerPart
			switch {
			case !mp.Exists:
				errs.Add("manufacturer_part", invalidPK(f.ManufacturerPart))
			case refs.Part.Exists && mp.Part != f.Part:
				errs.Add("manufacturer_part", MsgManufacturerPartMismatch)
			}
		}
	}
	f.PackQuantity = strings.TrimSpace(f.PackQuantity)
	if f.PackQuantity == "" {
		f.PackQuantity = "1"
	}
	native, err := PackNative(f.PackQuantity, refs.Part.Units)
	if err != nil {
		errs.Add("pack_quantity", err.Error())
	}
	if f.Available.IsNegative() {
		errs.Add("available", "Ensure this value is greater than or equal to 0.")
	}
	if err := errs.Err(); err != nil {
		return f, err
	}
	f.PackQuantityNative = native
	return f, nil
}

// packError is a pack quantity refused, with InvenTree's message.
type packError string

func (e packError) Error() string { return string(e) }

// PackNative converts a pack quantity to the part's units (InvenTree's
// convert_physical_value): a number, or a number followed by the part's own unit. Only
// that unit is understood: another unit, even a convertible one, is refused rather
// than converted wrongly. A part without units takes plain numbers.
func PackNative(pack, units string) (decimal.Decimal, error) {
	text := strings.TrimSpace(pack)
	num, unit := text, ""
	if i := strings.IndexFunc(text, func(r rune) bool { return r == ' ' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }); i > 0 {
		num, unit = strings.TrimSpace(text[:i]), strings.TrimSpace(text[i:])
	}
	d, err := decimal.NewFromString(num)
	if err != nil || d.Exponent() < -10 || d.Exponent() > 20 {
		return decimal.Decimal{}, packError(MsgPackInvalid)
	}
	if unit != "" && !strings.EqualFold(unit, strings.TrimSpace(units)) {
		return decimal.Decimal{}, packError(MsgPackUnits)
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, packError(MsgPackPositive)
	}
	return d, nil
}

// Create decides a new supplier part.
func (s *SupplierPart) Create(pk int64, f SupplierPartFields, refs SupplierPartRefs) ([]domain.Event, error) {
	if s.created {
		return nil, domain.Invalid("", "Supplier part already exists")
	}
	f, err := checkSupplierPart(f, refs, true)
	if err != nil {
		return nil, err
	}
	return []domain.Event{SupplierPartCreated{PK: pk, Fields: f}}, nil
}

// Update decides an edit. refs describe the references after it; they are checked
// only when one of them changes.
func (s *SupplierPart) Update(p SupplierPartPatch, refs SupplierPartRefs) ([]domain.Event, error) {
	if !s.Exists() {
		return nil, &domain.NotFoundError{Kind: "SupplierPart", ID: s.pk}
	}
	old, f := s.fields, p.Apply(s.fields)
	changedRefs := f.Part != old.Part || f.Supplier != old.Supplier || f.ManufacturerPart != old.ManufacturerPart
	f, err := checkSupplierPart(f, refs, changedRefs)
	if err != nil {
		return nil, err
	}
	if f == old {
		return nil, nil
	}
	return []domain.Event{SupplierPartUpdated{PK: s.pk, Old: old, New: f}}, nil
}

// LosePrimary decides that the supplier part is no longer its part's primary one,
// because by became it.
func (s *SupplierPart) LosePrimary(by int64) []domain.Event {
	if !s.Exists() || !s.fields.Primary {
		return nil
	}
	f := s.fields
	f.Primary = false
	return []domain.Event{SupplierPartUpdated{PK: s.pk, Old: s.fields, New: f, Displaced: by}}
}

// Delete decides the deletion; with, when not 0, is the company deleted with it.
func (s *SupplierPart) Delete(with int64) ([]domain.Event, error) {
	if !s.Exists() {
		return nil, &domain.NotFoundError{Kind: "SupplierPart", ID: s.pk}
	}
	return []domain.Event{SupplierPartDeleted{PK: s.pk, Fields: s.fields, DeletedWith: with}}, nil
}

// ---- helpers ----

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func sameOptional(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// quote makes free text part of a key without ambiguity.
func quote(s string) string { return strconv.Quote(s) }

func invalidPK(pk int64) string { return fmt.Sprintf(msgInvalidPKPattern, pk) }

func msgInvalidChoice(v string) string { return "\"" + v + "\" is not a valid choice." }
