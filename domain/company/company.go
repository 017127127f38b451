// Package company holds InvenTree's companies and what they supply: the Company
// aggregate (with its addresses and contacts), the ManufacturerPart and SupplierPart
// aggregates, their events and their rules.
//
// A company's addresses and contacts live in the company's stream: the company guards
// the rule that at most one of its addresses is primary, and a company's deletion takes
// them with it (Address and Contact are on_delete=CASCADE in InvenTree). Supplier and
// manufacturer parts are aggregates of their own, each with its stream, because
// purchase orders and stock refer to them one by one.
//
// Rules come from InvenTree 1.5 (API 530): company/models.py (Company, Address.save,
// ManufacturerPart, SupplierPart.clean), company/serializers.py and the API schema.
// Uniqueness across aggregates (a company's name and e-mail, a supplier part's SKU, a
// manufacturer part's MPN, the primary supplier part of a part) is decided by
// reservation streams the commands append to in the same atomic append (see
// commands/company.go), never by a read model.
//
// Updates record the fields before and after the change, so the audit trail reads "from
// X to Y" without replaying the stream.
package company

import (
	"github.com/stockledger/stockledger/domain"
)

// Event type names. They are stored: never rename one.
const (
	TypeCompanyCreated = "CompanyCreated"
	TypeCompanyUpdated = "CompanyUpdated"
	TypeCompanyDeleted = "CompanyDeleted"

	TypeAddressAdded   = "CompanyAddressAdded"
	TypeAddressUpdated = "CompanyAddressUpdated"
	TypeAddressRemoved = "CompanyAddressRemoved"
	TypeContactAdded   = "CompanyContactAdded"
	TypeContactUpdated = "CompanyContactUpdated"
	TypeContactRemoved = "CompanyContactRemoved"

	TypeManufacturerPartCreated = "ManufacturerPartCreated"
	TypeManufacturerPartUpdated = "ManufacturerPartUpdated"
	TypeManufacturerPartDeleted = "ManufacturerPartDeleted"

	TypeSupplierPartCreated = "SupplierPartCreated"
	TypeSupplierPartUpdated = "SupplierPartUpdated"
	TypeSupplierPartDeleted = "SupplierPartDeleted"
)

// Events lists every event type this package defines, for the codec.
func Events() []domain.EventType {
	return []domain.EventType{
		domain.JSONEvent[CompanyCreated](TypeCompanyCreated),
		domain.JSONEvent[CompanyUpdated](TypeCompanyUpdated),
		domain.JSONEvent[CompanyDeleted](TypeCompanyDeleted),
		domain.JSONEvent[AddressAdded](TypeAddressAdded),
		domain.JSONEvent[AddressUpdated](TypeAddressUpdated),
		domain.JSONEvent[AddressRemoved](TypeAddressRemoved),
		domain.JSONEvent[ContactAdded](TypeContactAdded),
		domain.JSONEvent[ContactUpdated](TypeContactUpdated),
		domain.JSONEvent[ContactRemoved](TypeContactRemoved),
		domain.JSONEvent[ManufacturerPartCreated](TypeManufacturerPartCreated),
		domain.JSONEvent[ManufacturerPartUpdated](TypeManufacturerPartUpdated),
		domain.JSONEvent[ManufacturerPartDeleted](TypeManufacturerPartDeleted),
		domain.JSONEvent[SupplierPartCreated](TypeSupplierPartCreated),
		domain.JSONEvent[SupplierPartUpdated](TypeSupplierPartUpdated),
		domain.JSONEvent[SupplierPartDeleted](TypeSupplierPartDeleted),
	}
}

// DefaultCurrency is InvenTree's INVENTREE_DEFAULT_CURRENCY out of the box: what a
// company trades in unless told otherwise, and what an order without a supplier
// currency is priced in.
const DefaultCurrency = "USD"

// Currencies are InvenTree's default CURRENCY_CODES, the currencies a price or a
// company may be in.
var Currencies = []string{"AUD", "CAD", "CNY", "EUR", "GBP", "JPY", "NZD", "USD"}

// ValidCurrency reports whether code is one of Currencies.
func ValidCurrency(code string) bool {
	for _, c := range Currencies {
		if c == code {
			return true
		}
	}
	return false
}

// Messages InvenTree answers with.
const (
	// The UniqueConstraint on (name, email), as DRF reports a unique set.
	MsgDuplicateCompany = "The fields name, email must make a unique set."
	// StockAssignmentSerializer.validate_customer.
	MsgNotCustomer = "Selected company is not a customer"
)

// Fields are a company's stored fields, as a client sets them.
type Fields struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Website     string `json:"website"`
	Phone       string `json:"phone"`
	// Email is nil when the company has none (InvenTree stores NULL, and then the name
	// need not be unique).
	Email          *string `json:"email"`
	Currency       string  `json:"currency"`
	Contact        string  `json:"contact"`
	Link           string  `json:"link"`
	Active         bool    `json:"active"`
	IsCustomer     bool    `json:"is_customer"`
	IsManufacturer bool    `json:"is_manufacturer"`
	IsSupplier     bool    `json:"is_supplier"`
	Notes          string  `json:"notes"`
	TaxID          string  `json:"tax_id"`
}

// DefaultFields are a new company's fields before the request sets any (Company's
// model defaults: active, a supplier, the default currency).
func DefaultFields() Fields {
	return Fields{Active: true, IsSupplier: true, Currency: DefaultCurrency}
}

// UniqueKey is the key a company reserves for InvenTree's unique (name, email) pair;
// ok is false without an e-mail, which PostgreSQL's NULL leaves unconstrained.
func (f Fields) UniqueKey() (key string, ok bool) {
	if f.Email == nil {
		return "", false
	}
	return quote(f.Name) + "/" + quote(*f.Email), true
}

// Patch is a partial update: nil fields are left as they are. SetEmail with Email nil
// clears the e-mail.
type Patch struct {
	Name, Description, Website, Phone, Currency, Contact, Link, Notes, TaxID *string
	SetEmail                                                                 bool
	Email                                                                    *string
	Active, IsCustomer, IsManufacturer, IsSupplier                           *bool
}

// Apply returns f with the patch's fields set.
func (p Patch) Apply(f Fields) Fields {
	set(&f.Name, p.Name)
	set(&f.Description, p.Description)
	set(&f.Website, p.Website)
	set(&f.Phone, p.Phone)
	set(&f.Currency, p.Currency)
	set(&f.Contact, p.Contact)
	set(&f.Link, p.Link)
	set(&f.Notes, p.Notes)
	set(&f.TaxID, p.TaxID)
	if p.SetEmail {
		f.Email = p.Email
	}
	set(&f.Active, p.Active)
	set(&f.IsCustomer, p.IsCustomer)
	set(&f.IsManufacturer, p.IsManufacturer)
	set(&f.IsSupplier, p.IsSupplier)
	return f
}

func (f Fields) validate() error {
	errs := &domain.RuleError{}
	if f.Name == "" {
		errs.Add("name", msgBlank)
	}
	if !ValidCurrency(f.Currency) {
		errs.Add("currency", msgInvalidChoice(f.Currency))
	}
	return errs.Err()
}

// AddressFields are an address's stored fields.
type AddressFields struct {
	Title                 string `json:"title"`
	Primary               bool   `json:"primary"`
	Line1                 string `json:"line1"`
	Line2                 string `json:"line2"`
	PostalCode            string `json:"postal_code"`
	PostalCity            string `json:"postal_city"`
	Province              string `json:"province"`
	Country               string `json:"country"`
	ShippingNotes         string `json:"shipping_notes"`
	InternalShippingNotes string `json:"internal_shipping_notes"`
	Link                  string `json:"link"`
}

// AddressPatch is a partial update of an address.
type AddressPatch struct {
	Title, Line1, Line2, PostalCode, PostalCity, Province, Country *string
	ShippingNotes, InternalShippingNotes, Link                     *string
	Primary                                                        *bool
}

// Apply returns f with the patch's fields set.
func (p AddressPatch) Apply(f AddressFields) AddressFields {
	set(&f.Title, p.Title)
	set(&f.Line1, p.Line1)
	set(&f.Line2, p.Line2)
	set(&f.PostalCode, p.PostalCode)
	set(&f.PostalCity, p.PostalCity)
	set(&f.Province, p.Province)
	set(&f.Country, p.Country)
	set(&f.ShippingNotes, p.ShippingNotes)
	set(&f.InternalShippingNotes, p.InternalShippingNotes)
	set(&f.Link, p.Link)
	set(&f.Primary, p.Primary)
	return f
}

// ContactFields are a contact's stored fields.
type ContactFields struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// ContactPatch is a partial update of a contact.
type ContactPatch struct {
	Name, Phone, Email, Role *string
}

// Apply returns f with the patch's fields set.
func (p ContactPatch) Apply(f ContactFields) ContactFields {
	set(&f.Name, p.Name)
	set(&f.Phone, p.Phone)
	set(&f.Email, p.Email)
	set(&f.Role, p.Role)
	return f
}

// CompanyCreated records a new company.
type CompanyCreated struct {
	PK     int64  `json:"pk"`
	Fields Fields `json:"fields"`
}

// CompanyUpdated records an edit: the fields before and after it.
type CompanyUpdated struct {
	PK  int64  `json:"pk"`
	Old Fields `json:"old"`
	New Fields `json:"new"`
}

// CompanyDeleted records a company's end, and with it its addresses and contacts.
type CompanyDeleted struct {
	PK     int64  `json:"pk"`
	Fields Fields `json:"fields"`
}

// AddressAdded records a new address of the company. Unset lists the addresses that
// stopped being primary because this one is.
type AddressAdded struct {
	Company int64         `json:"company"`
	PK      int64         `json:"pk"`
	Fields  AddressFields `json:"fields"`
	Unset   []int64       `json:"unset_primary,omitempty"`
}

// AddressUpdated records an edit of an address.
type AddressUpdated struct {
	Company int64         `json:"company"`
	PK      int64         `json:"pk"`
	Old     AddressFields `json:"old"`
	New     AddressFields `json:"new"`
	Unset   []int64       `json:"unset_primary,omitempty"`
}

// AddressRemoved records an address deleted.
type AddressRemoved struct {
	Company int64         `json:"company"`
	PK      int64         `json:"pk"`
	Fields  AddressFields `json:"fields"`
}

// ContactAdded records a new contact of the company.
type ContactAdded struct {
	Company int64         `json:"company"`
	PK      int64         `json:"pk"`
	Fields  ContactFields `json:"fields"`
}

// ContactUpdated records an edit of a contact.
type ContactUpdated struct {
	Company int64         `json:"company"`
	PK      int64         `json:"pk"`
	Old     ContactFields `json:"old"`
	New     ContactFields `json:"new"`
}

// ContactRemoved records a contact deleted.
type ContactRemoved struct {
	Company int64         `json:"company"`
	PK      int64         `json:"pk"`
	Fields  ContactFields `json:"fields"`
}

func (CompanyCreated) EventType() string { return TypeCompanyCreated }
func (CompanyUpdated) EventType() string { return TypeCompanyUpdated }
func (CompanyDeleted) EventType() string { return TypeCompanyDeleted }
func (AddressAdded) EventType() string   { return TypeAddressAdded }
func (AddressUpdated) EventType() string { return TypeAddressUpdated }
func (AddressRemoved) EventType() string { return TypeAddressRemoved }
func (ContactAdded) EventType() string   { return TypeContactAdded }
func (ContactUpdated) EventType() string { return TypeContactUpdated }
func (ContactRemoved) EventType() string { return TypeContactRemoved }

// Company is InvenTree's Company: a supplier, manufacturer or customer (or all three),
// with its addresses and contacts.
type Company struct {
	pk        int64
	created   bool
	deleted   bool
	fields    Fields
	addresses map[int64]AddressFields
	order     []int64 // address pks in the order they were added
	contacts  map[int64]ContactFields
}

// Apply folds a company event.
func (c *Company) Apply(e domain.Event) {
	switch e := e.(type) {
	case CompanyCreated:
		c.pk, c.created, c.fields = e.PK, true, e.Fields
		c.addresses, c.contacts = map[int64]AddressFields{}, map[int64]ContactFields{}
	case CompanyUpdated:
		c.fields = e.New
	case CompanyDeleted:
		c.deleted = true
	case AddressAdded:
		c.unset(e.Unset)
		c.addresses[e.PK] = e.Fields
		c.order = append(c.order, e.PK)
	case AddressUpdated:
		c.unset(e.Unset)
		c.addresses[e.PK] = e.New
	case AddressRemoved:
		delete(c.addresses, e.PK)
	case ContactAdded:
		c.contacts[e.PK] = e.Fields
	case ContactUpdated:
		c.contacts[e.PK] = e.New
	case ContactRemoved:
		delete(c.contacts, e.PK)
	}
}

func (c *Company) unset(pks []int64) {
	for _, pk := range pks {
		if a, ok := c.addresses[pk]; ok {
			a.Primary = false
			c.addresses[pk] = a
		}
	}
}

// Exists reports whether the company was created and not deleted.
func (c *Company) Exists() bool { return c.created && !c.deleted }

// PK is the company's primary key.
func (c *Company) PK() int64 { return c.pk }

// Fields are the company's fields.
func (c *Company) Fields() Fields { return c.fields }

// HasAddress reports whether pk is one of the company's addresses.
func (c *Company) HasAddress(pk int64) bool {
	_, ok := c.addresses[pk]
	return c.Exists() && ok
}

// Address is address pk of the company.
func (c *Company) Address(pk int64) (AddressFields, bool) {
	a, ok := c.addresses[pk]
	return a, ok && c.Exists()
}

// Contact is contact pk of the company.
func (c *Company) Contact(pk int64) (ContactFields, bool) {
	f, ok := c.contacts[pk]
	return f, ok && c.Exists()
}

// HasContact reports whether pk is one of the company's contacts.
func (c *Company) HasContact(pk int64) bool {
	_, ok := c.contacts[pk]
	return c.Exists() && ok
}

// Facts are what decisions about other aggregates need to know about the company.
func (c *Company) Facts() Facts {
	f := c.fields
	return Facts{
		PK: c.pk, Exists: c.Exists(), Name: f.Name, Currency: f.Currency, Active: f.Active,
		IsCustomer: f.IsCustomer, IsManufacturer: f.IsManufacturer, IsSupplier: f.IsSupplier,
	}
}

// Facts describe a company for a decision about another aggregate (a supplier part, an
// order, a stock item given to a customer), as the command read them from its stream.
type Facts struct {
	PK             int64
	Exists         bool
	Name           string
	Currency       string
	Active         bool
	IsCustomer     bool
	IsManufacturer bool
	IsSupplier     bool
}

func (c *Company) notFound() error { return &domain.NotFoundError{Kind: "Company", ID: c.pk} }

// Create decides a new company.
func (c *Company) Create(pk int64, f Fields) ([]domain.Event, error) {
	if c.created {
		return nil, domain.Invalid("", "Company already exists")
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return []domain.Event{CompanyCreated{PK: pk, Fields: f}}, nil
}

// Update decides an edit; nothing when nothing changes.
func (c *Company) Update(p Patch) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, c.notFound()
	}
	old, f := c.fields, p.Apply(c.fields)
	if err := f.validate(); err != nil {
		return nil, err
	}
	if sameFields(old, f) {
		return nil, nil
	}
	return []domain.Event{CompanyUpdated{PK: c.pk, Old: old, New: f}}, nil
}

func sameFields(a, b Fields) bool {
	ae, be := a.Email, b.Email
	a.Email, b.Email = nil, nil
	if a != b {
		return false
	}
	if ae == nil || be == nil {
		return ae == nil && be == nil
	}
	return *ae == *be
}

// Delete decides the company's deletion. Its addresses and contacts go with it; its
// supplier and manufacturer parts are deleted by the command in the same append.
func (c *Company) Delete() ([]domain.Event, error) {
	if !c.Exists() {
		return nil, c.notFound()
	}
	return []domain.Event{CompanyDeleted{PK: c.pk, Fields: c.fields}}, nil
}

// AddAddress decides a new address pk (Address.save): the company's first address is
// its primary one whatever the request says, and a primary address makes every other
// address of the company non-primary.
func (c *Company) AddAddress(pk int64, f AddressFields) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, &domain.NotFoundError{Kind: "Company", ID: c.pk, Field: "company"}
	}
	if err := validateAddress(f); err != nil {
		return nil, err
	}
	if len(c.addresses) == 0 {
		f.Primary = true
	}
	return []domain.Event{AddressAdded{Company: c.pk, PK: pk, Fields: f, Unset: c.othersPrimary(pk, f.Primary)}}, nil
}

// UpdateAddress decides an edit of address pk. The company's only address stays
// primary, as Address.save makes it.
func (c *Company) UpdateAddress(pk int64, p AddressPatch) ([]domain.Event, error) {
	old, ok := c.addresses[pk]
	if !c.Exists() || !ok {
		return nil, &domain.NotFoundError{Kind: "Address", ID: pk}
	}
	f := p.Apply(old)
	if err := validateAddress(f); err != nil {
		return nil, err
	}
	if len(c.addresses) == 1 {
		f.Primary = true
	}
	if f == old {
		return nil, nil
	}
	return []domain.Event{AddressUpdated{Company: c.pk, PK: pk, Old: old, New: f, Unset: c.othersPrimary(pk, f.Primary)}}, nil
}

// RemoveAddress decides the deletion of address pk. No other address becomes primary,
// as in InvenTree.
func (c *Company) RemoveAddress(pk int64) ([]domain.Event, error) {
	f, ok := c.addresses[pk]
	if !c.Exists() || !ok {
		return nil, &domain.NotFoundError{Kind: "Address", ID: pk}
	}
	return []domain.Event{AddressRemoved{Company: c.pk, PK: pk, Fields: f}}, nil
}

// othersPrimary lists the primary addresses other than pk when pk becomes primary.
func (c *Company) othersPrimary(pk int64, primary bool) []int64 {
	if !primary {
		return nil
	}
	var out []int64
	for _, other := range c.order {
		if a, ok := c.addresses[other]; ok && other != pk && a.Primary {
			out = append(out, other)
		}
	}
	return out
}

func validateAddress(f AddressFields) error {
	if f.Title == "" {
		return domain.Invalid("title", msgBlank)
	}
	return nil
}

// AddContact decides a new contact pk.
func (c *Company) AddContact(pk int64, f ContactFields) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, &domain.NotFoundError{Kind: "Company", ID: c.pk, Field: "company"}
	}
	if f.Name == "" {
		return nil, domain.Invalid("name", msgBlank)
	}
	return []domain.Event{ContactAdded{Company: c.pk, PK: pk, Fields: f}}, nil
}

// UpdateContact decides an edit of contact pk.
func (c *Company) UpdateContact(pk int64, p ContactPatch) ([]domain.Event, error) {
	old, ok := c.contacts[pk]
	if !c.Exists() || !ok {
		return nil, &domain.NotFoundError{Kind: "Contact", ID: pk}
	}
	f := p.Apply(old)
	if f.Name == "" {
		return nil, domain.Invalid("name", msgBlank)
	}
	if f == old {
		return nil, nil
	}
	return []domain.Event{ContactUpdated{Company: c.pk, PK: pk, Old: old, New: f}}, nil
}

// RemoveContact decides the deletion of contact pk.
func (c *Company) RemoveContact(pk int64) ([]domain.Event, error) {
	f, ok := c.contacts[pk]
	if !c.Exists() || !ok {
		return nil, &domain.NotFoundError{Kind: "Contact", ID: pk}
	}
	return []domain.Event{ContactRemoved{Company: c.pk, PK: pk, Fields: f}}, nil
}
