package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/listsql"
)

// The company area: companies with their addresses and contacts, manufacturer parts and
// supplier parts, as InvenTree's company/api.py serves them (API 530). InvenTree grants
// the company tables to the purchase_order, sales_order and return_order rule sets;
// only purchase orders are served yet, so the area asks for the purchase_order role,
// each permission chosen by the method.
//
// Not served (yet): images, parameters, tags, price breaks (price_breaks is always
// empty), duplicate options, bulk deletes on the list URLs. A company, supplier part or
// manufacturer part that orders or stock refer to cannot be deleted (InvenTree would
// unlink them without a trace; see commands.CompanyHandlers).

// CompanyQueries answers the companies read model (projections/companies.ReadModel).
type CompanyQueries interface {
	GetCompany(ctx context.Context, pk int64) (companies.Company, error)
	ListCompanies(ctx context.Context, f companies.CompanyFilter) ([]companies.Company, int, error)
	GetAddress(ctx context.Context, pk int64) (companies.Address, error)
	ListAddresses(ctx context.Context, f companies.MemberFilter) ([]companies.Address, int, error)
	GetContact(ctx context.Context, pk int64) (companies.Contact, error)
	ListContacts(ctx context.Context, f companies.MemberFilter) ([]companies.Contact, int, error)
	GetManufacturerPart(ctx context.Context, pk int64, d companies.ManufacturerPartDetail) (companies.ManufacturerPart, error)
	ListManufacturerParts(ctx context.Context, f companies.ManufacturerPartFilter) ([]companies.ManufacturerPart, int, error)
	GetSupplierPart(ctx context.Context, pk int64, d companies.SupplierPartDetail) (companies.SupplierPart, error)
	ListSupplierParts(ctx context.Context, f companies.SupplierPartFilter) ([]companies.SupplierPart, int, error)
	SupplierParts(ctx context.Context, pks []int64, d companies.SupplierPartDetail) (map[int64]companies.SupplierPart, error)
	CompanyBriefs(ctx context.Context, pks []int64) (map[int64]companies.CompanyBrief, error)
	FindManufacturerPart(ctx context.Context, manufacturer, mpn string) (int64, error)
}

var _ CompanyQueries = (*companies.ReadModel)(nil)

// CompanyCommands runs the company commands (commands.CompanyHandlers).
type CompanyCommands interface {
	CreateCompany(ctx context.Context, f company.Fields) (int64, commands.Result, error)
	UpdateCompany(ctx context.Context, pk int64, p company.Patch) (commands.Result, error)
	DeleteCompany(ctx context.Context, pk int64) (commands.Result, error)
	AddAddress(ctx context.Context, companyPK int64, f company.AddressFields) (int64, commands.Result, error)
	UpdateAddress(ctx context.Context, pk, to int64, p company.AddressPatch) (commands.Result, error)
	DeleteAddress(ctx context.Context, pk int64) (commands.Result, error)
	AddContact(ctx context.Context, companyPK int64, f company.ContactFields) (int64, commands.Result, error)
	UpdateContact(ctx context.Context, pk, to int64, p company.ContactPatch) (commands.Result, error)
	DeleteContact(ctx context.Context, pk int64) (commands.Result, error)
	CreateManufacturerPart(ctx context.Context, f company.ManufacturerPartFields) (int64, commands.Result, error)
	UpdateManufacturerPart(ctx context.Context, pk int64, p company.ManufacturerPartPatch) (commands.Result, error)
	DeleteManufacturerPart(ctx context.Context, pk int64) (commands.Result, error)
	CreateSupplierPart(ctx context.Context, cmd commands.CreateSupplierPart) (int64, commands.Result, error)
	UpdateSupplierPart(ctx context.Context, pk int64, p company.SupplierPartPatch) (commands.Result, error)
	DeleteSupplierPart(ctx context.Context, pk int64) (commands.Result, error)
}

var _ CompanyCommands = (*commands.CompanyHandlers)(nil)

// companyRoutes registers the company area. Without its dependencies it is not served.
func (s *server) companyRoutes(r chi.Router) {
	if s.cfg.Companies == nil || s.cfg.CompanyCommands == nil {
		return
	}
	role := user.RolePurchaseOrder
	q, cmd := s.cfg.Companies, s.cfg.CompanyCommands
	companyCRUD := crud[company.Patch]{
		projection: companies.Name,
		exists:     func(ctx context.Context, pk int64) error { return ignore(q.GetCompany(ctx, pk)) },
		read:       readCompany,
		create: func(ctx context.Context, p company.Patch) (int64, commands.Result, error) {
			return cmd.CreateCompany(ctx, p.Apply(company.DefaultFields()))
		},
		update: cmd.UpdateCompany, remove: cmd.DeleteCompany, write: s.writeCompany,
	}
	addressCRUD := crud[memberPatch[company.AddressPatch]]{
		projection: companies.Name,
		exists:     func(ctx context.Context, pk int64) error { return ignore(q.GetAddress(ctx, pk)) },
		read:       readMember(readAddress),
		create: func(ctx context.Context, p memberPatch[company.AddressPatch]) (int64, commands.Result, error) {
			return cmd.AddAddress(ctx, p.company, p.patch.Apply(company.AddressFields{}))
		},
		update: func(ctx context.Context, pk int64, p memberPatch[company.AddressPatch]) (commands.Result, error) {
			return cmd.UpdateAddress(ctx, pk, p.company, p.patch)
		},
		remove: cmd.DeleteAddress, write: s.writeAddress,
	}
	contactCRUD := crud[memberPatch[company.ContactPatch]]{
		projection: companies.Name,
		exists:     func(ctx context.Context, pk int64) error { return ignore(q.GetContact(ctx, pk)) },
		read:       readMember(readContact),
		create: func(ctx context.Context, p memberPatch[company.ContactPatch]) (int64, commands.Result, error) {
			return cmd.AddContact(ctx, p.company, p.patch.Apply(company.ContactFields{}))
		},
		update: func(ctx context.Context, pk int64, p memberPatch[company.ContactPatch]) (commands.Result, error) {
			return cmd.UpdateContact(ctx, pk, p.company, p.patch)
		},
		remove: cmd.DeleteContact, write: s.writeContact,
	}
	mfrCRUD := crud[company.ManufacturerPartPatch]{
		projection: companies.Name,
		exists: func(ctx context.Context, pk int64) error {
			return ignore(q.GetManufacturerPart(ctx, pk, companies.ManufacturerPartDetail{}))
		},
		read: readManufacturerPart,
		create: func(ctx context.Context, p company.ManufacturerPartPatch) (int64, commands.Result, error) {
			return cmd.CreateManufacturerPart(ctx, p.Apply(company.ManufacturerPartFields{}))
		},
		update: cmd.UpdateManufacturerPart, remove: cmd.DeleteManufacturerPart, write: s.writeManufacturerPart,
	}
	supplierCRUD := crud[supplierPartRequest]{
		projection: companies.Name,
		exists: func(ctx context.Context, pk int64) error {
			return ignore(q.GetSupplierPart(ctx, pk, companies.SupplierPartDetail{}))
		},
		read: readSupplierPart, create: s.createSupplierPart,
		update: func(ctx context.Context, pk int64, p supplierPartRequest) (commands.Result, error) {
			return cmd.UpdateSupplierPart(ctx, pk, p.patch)
		},
		remove: cmd.DeleteSupplierPart, write: s.writeSupplierPart,
	}

	s.handle(r, "/company/", endpoint{Role: role, Get: s.listCompanies, Post: createHandler(s, companyCRUD), Meta: meta{
		Name:        "Company List",
		Description: "API endpoint for accessing a list of Company objects.\n\nProvides two methods:\n\n- GET: Return list of objects\n- POST: Create a new Company object",
		Model:       "company", Fields: companyFields(),
	}})
	s.handle(r, "/company/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(companyCRUD), Put: updateHandler(s, companyCRUD),
		Patch: updateHandler(s, companyCRUD), Delete: deleteHandler(s, companyCRUD), Meta: meta{
			Name: "Company Detail", Description: "API endpoint for detail of a single Company object.",
			Model: "company", Fields: companyFields(),
		}})
	s.handle(r, "/company/address/", endpoint{Role: role, Get: s.listAddresses, Post: createHandler(s, addressCRUD), Meta: meta{
		Name: "Address List", Description: "API endpoint for list view of Address model.", Model: "address", Fields: addressFields(),
	}})
	s.handle(r, "/company/address/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(addressCRUD), Put: updateHandler(s, addressCRUD),
		Patch: updateHandler(s, addressCRUD), Delete: deleteHandler(s, addressCRUD), Meta: meta{
			Name: "Address Detail", Description: "API endpoint for a single Address object.", Model: "address", Fields: addressFields(),
		}})
	s.handle(r, "/company/contact/", endpoint{Role: role, Get: s.listContacts, Post: createHandler(s, contactCRUD), Meta: meta{
		Name: "Contact List", Description: "API endpoint for list view of Company model.", Model: "contact", Fields: contactFields(),
	}})
	s.handle(r, "/company/contact/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(contactCRUD), Put: updateHandler(s, contactCRUD),
		Patch: updateHandler(s, contactCRUD), Delete: deleteHandler(s, contactCRUD), Meta: meta{
			Name: "Contact Detail", Description: "Detail endpoint for Company model.", Model: "contact", Fields: contactFields(),
		}})
	s.handle(r, "/company/part/manufacturer/", endpoint{Role: role, Get: s.listManufacturerParts, Post: createHandler(s, mfrCRUD), Meta: meta{
		Name:        "Manufacturer Part List",
		Description: "API endpoint for list view of ManufacturerPart object.\n\n- GET: Return list of ManufacturerPart objects\n- POST: Create a new ManufacturerPart object",
		Model:       "manufacturerpart", Fields: manufacturerPartFields(),
	}})
	s.handle(r, "/company/part/manufacturer/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(mfrCRUD),
		Put: updateHandler(s, mfrCRUD), Patch: updateHandler(s, mfrCRUD), Delete: deleteHandler(s, mfrCRUD), Meta: meta{
			Name:        "Manufacturer Part Detail",
			Description: "API endpoint for detail view of ManufacturerPart object.\n\n- GET: Retrieve detail view\n- PATCH: Update object\n- DELETE: Delete object",
			Model:       "manufacturerpart", Fields: manufacturerPartFields(),
		}})
	s.handle(r, "/company/part/", endpoint{Role: role, Get: s.listSupplierParts, Post: createHandler(s, supplierCRUD), Meta: meta{
		Name:        "Supplier Part List",
		Description: "API endpoint for list view of SupplierPart object.\n\n- GET: Return list of SupplierPart objects\n- POST: Create a new SupplierPart object",
		Model:       "supplierpart", Fields: supplierPartFields(),
	}})
	s.handle(r, "/company/part/{id:[0-9]+}/", endpoint{Role: role, Get: getHandler(supplierCRUD), Put: updateHandler(s, supplierCRUD),
		Patch: updateHandler(s, supplierCRUD), Delete: deleteHandler(s, supplierCRUD), Meta: meta{
			Name:        "Supplier Part Detail",
			Description: "API endpoint for detail view of SupplierPart object.\n\n- GET: Retrieve detail view\n- PATCH: Update object\n- DELETE: Delete object",
			Model:       "supplierpart", Fields: supplierPartFields(),
		}})
}

// listOf is a list request's page, order and search as the read models take them.
func listOf(lq ListQuery) listsql.List {
	return listsql.List{Limit: lq.Limit, Offset: lq.Offset, OrderBy: lq.OrderBy(), Search: lq.Search, SearchRegex: lq.SearchRegex}
}

// orderingOf is an endpoint's ordering whitelist from a read model's map.
func orderingOf(fields map[string][]string, pk string, dflt ...string) ordering {
	return ordering{Fields: fields, Default: dflt, PK: pk}
}

// Django's EmailValidator, in outline, and its message.
var reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)

const msgInvalidEmail = "Enter a valid email address."

// optURL reads a URL field: "" is allowed, anything else must be a URL.
func optURL(b *body, name string, opts ...fieldOpt) *string {
	v := optStr(b, name, append(opts, allowBlank)...)
	if v != nil && *v != "" && !validURL(*v) {
		b.invalid(name, msgInvalidURL)
		return nil
	}
	return v
}

// optEmail reads an e-mail field: "" is allowed, anything else must be an address.
func optEmail(b *body, name string, opts ...fieldOpt) *string {
	v := optStr(b, name, append(opts, allowBlank)...)
	if v != nil && *v != "" && !reEmail.MatchString(*v) {
		b.invalid(name, msgInvalidEmail)
		return nil
	}
	return v
}

// companyRef checks that pk names a company in the read model, on field; 404-style
// errors become DRF's invalid pk on that field.
func (s *server) companyRef(ctx context.Context, field string, pk int64) error {
	_, err := s.cfg.Companies.GetCompany(ctx, pk)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.NotFoundError{Kind: "Company", ID: pk, Field: field}
	}
	return err
}

// companyChoice records django-filter's invalid choice for a company filter naming no
// company.
func (s *server) companyChoice(ctx context.Context, q *query, name string, pk *int64) error {
	if pk == nil {
		return nil
	}
	if _, err := s.cfg.Companies.GetCompany(ctx, *pk); errors.Is(err, domain.ErrNotFound) {
		q.errs.Add(name, msgInvalidChoice)
	} else if err != nil {
		return err
	}
	return nil
}

// ---- companies ----

func (s *server) listCompanies(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	var f companies.CompanyFilter
	f.Active = optQueryBool(q, "active")
	f.IsCustomer = optQueryBool(q, "is_customer")
	f.IsManufacturer = optQueryBool(q, "is_manufacturer")
	f.IsSupplier = optQueryBool(q, "is_supplier")
	if v, ok := q.str("name"); ok {
		f.Name = &v
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, orderingOf(companies.CompanyOrdering, "c.pk", "name"))
	f.List = listOf(lq)
	rows, total, err := s.cfg.Companies.ListCompanies(r.Context(), f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) writeCompany(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	c, err := s.cfg.Companies.GetCompany(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, status, c)
}

// readCompany reads CompanySerializer's writable fields; absent fields stay nil.
func readCompany(b *body) company.Patch {
	var p company.Patch
	p.Name = optStr(b, "name", required, maxLength(100))
	p.Description = optStr(b, "description", allowBlank, maxLength(500))
	p.Website = optURL(b, "website", maxLength(2000))
	p.Phone = optStr(b, "phone", allowBlank, maxLength(50))
	if b.has("email") {
		if b.isNull("email") {
			p.SetEmail = true
		} else if v := optEmail(b, "email", maxLength(254)); v != nil {
			p.SetEmail, p.Email = true, v
		}
	}
	if v, ok := b.choice("currency", company.Currencies); ok {
		p.Currency = &v
	}
	p.Contact = optStr(b, "contact", allowBlank, maxLength(100))
	p.Link = optURL(b, "link", maxLength(2000))
	p.Active = optBool(b, "active")
	p.IsCustomer = optBool(b, "is_customer")
	p.IsManufacturer = optBool(b, "is_manufacturer")
	p.IsSupplier = optBool(b, "is_supplier")
	p.Notes = optStr(b, "notes", allowBlank, nullable, maxLength(50000))
	p.TaxID = optStr(b, "tax_id", allowBlank, maxLength(50))
	return p
}

// ---- addresses and contacts ----

func (s *server) memberFilter(r *http.Request, o ordering) (companies.MemberFilter, ListQuery, error) {
	q := newQuery(r)
	var f companies.MemberFilter
	if pk, ok := q.pk("company"); ok {
		f.Company = &pk
	}
	if err := s.companyChoice(r.Context(), q, "company", f.Company); err != nil {
		return f, ListQuery{}, err
	}
	if err := q.err(); err != nil {
		return f, ListQuery{}, err
	}
	lq := s.listQuery(r, o)
	f.List = listOf(lq)
	return f, lq, nil
}

func (s *server) listAddresses(w http.ResponseWriter, r *http.Request) error {
	f, lq, err := s.memberFilter(r, orderingOf(map[string][]string{"title": {"a.title"}}, "a.pk"))
	if err != nil {
		return err
	}
	rows, total, err := s.cfg.Companies.ListAddresses(r.Context(), f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) writeAddress(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	a, err := s.cfg.Companies.GetAddress(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, status, a)
}

func readAddress(b *body) company.AddressPatch {
	return company.AddressPatch{
		Title:                 optStr(b, "title", required, maxLength(100)),
		Primary:               optBool(b, "primary"),
		Line1:                 optStr(b, "line1", allowBlank, maxLength(50)),
		Line2:                 optStr(b, "line2", allowBlank, maxLength(50)),
		PostalCode:            optStr(b, "postal_code", allowBlank, maxLength(10)),
		PostalCity:            optStr(b, "postal_city", allowBlank, maxLength(50)),
		Province:              optStr(b, "province", allowBlank, maxLength(50)),
		Country:               optStr(b, "country", allowBlank, maxLength(50)),
		ShippingNotes:         optStr(b, "shipping_notes", allowBlank, maxLength(100)),
		InternalShippingNotes: optStr(b, "internal_shipping_notes", allowBlank, maxLength(100)),
		Link:                  optURL(b, "link", maxLength(2000)),
	}
}

// memberPatch is an address or contact write: the company it belongs to, and its
// fields.
type memberPatch[P any] struct {
	company int64
	patch   P
}

// readMember reads the company an address or contact belongs to, and its fields.
func readMember[P any](read func(*body) P) func(*body) memberPatch[P] {
	return func(b *body) memberPatch[P] {
		pk, _ := b.pk("company", required)
		return memberPatch[P]{company: pk, patch: read(b)}
	}
}

func (s *server) listContacts(w http.ResponseWriter, r *http.Request) error {
	f, lq, err := s.memberFilter(r, orderingOf(map[string][]string{"name": {"t.name"}}, "t.pk"))
	if err != nil {
		return err
	}
	rows, total, err := s.cfg.Companies.ListContacts(r.Context(), f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) writeContact(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	c, err := s.cfg.Companies.GetContact(r.Context(), pk)
	if err != nil {
		return err
	}
	return writeJSON(w, status, c)
}

func readContact(b *body) company.ContactPatch {
	return company.ContactPatch{
		Name:  optStr(b, "name", required, maxLength(100)),
		Phone: optStr(b, "phone", allowBlank, maxLength(100)),
		Email: optEmail(b, "email", maxLength(254)),
		Role:  optStr(b, "role", allowBlank, maxLength(100)),
	}
}

// ---- manufacturer parts ----

func manufacturerPartDetail(r *http.Request) companies.ManufacturerPartDetail {
	v := r.URL.Query()
	return companies.ManufacturerPartDetail{
		Part:         str2bool(lastValue(v, "part_detail")),
		Manufacturer: str2bool(lastValue(v, "manufacturer_detail")),
		Pretty:       str2bool(lastValue(v, "pretty")),
	}
}

func (s *server) listManufacturerParts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f companies.ManufacturerPartFilter
	if pk, ok := q.pk("part"); ok {
		f.Part = &pk
	}
	if pk, ok := q.pk("manufacturer"); ok {
		f.Manufacturer = &pk
	}
	if v, ok := q.str("MPN"); ok {
		f.MPN = &v
	}
	f.PartActive = optQueryBool(q, "part_active")
	f.ManufacturerActive = optQueryBool(q, "manufacturer_active")
	if err := s.partChoice(ctx, q, "part", f.Part); err != nil {
		return err
	}
	if err := s.companyChoice(ctx, q, "manufacturer", f.Manufacturer); err != nil {
		return err
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, orderingOf(companies.ManufacturerPartOrdering, "m.pk"))
	f.List = listOf(lq)
	f.ManufacturerPartDetail = manufacturerPartDetail(r)
	rows, total, err := s.cfg.Companies.ListManufacturerParts(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) writeManufacturerPart(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	mp, err := s.cfg.Companies.GetManufacturerPart(r.Context(), pk, manufacturerPartDetail(r))
	if err != nil {
		return err
	}
	return writeJSON(w, status, mp)
}

func readManufacturerPart(b *body) company.ManufacturerPartPatch {
	var p company.ManufacturerPartPatch
	if v, ok := b.pk("part", required); ok {
		p.Part = &v
	}
	if v, ok := b.pk("manufacturer", required); ok {
		p.Manufacturer = &v
	}
	if b.isNull("MPN") {
		p.SetMPN = true
	} else if v := optStr(b, "MPN", allowBlank, maxLength(100)); v != nil {
		p.SetMPN, p.MPN = true, v
	}
	p.Description = optStr(b, "description", allowBlank, nullable, maxLength(250))
	p.Link = optURL(b, "link", nullable, maxLength(2000))
	p.Notes = optStr(b, "notes", allowBlank, nullable, maxLength(50000))
	return p
}

// ---- supplier parts ----

func supplierPartDetail(r *http.Request) companies.SupplierPartDetail {
	v := r.URL.Query()
	return companies.SupplierPartDetail{
		Part:             str2bool(lastValue(v, "part_detail")),
		Supplier:         str2bool(lastValue(v, "supplier_detail")),
		Manufacturer:     str2bool(lastValue(v, "manufacturer_detail")),
		ManufacturerPart: str2bool(lastValue(v, "manufacturer_part_detail")),
		Pretty:           str2bool(lastValue(v, "pretty")),
		PriceBreaks:      str2bool(lastValue(v, "price_breaks")),
	}
}

func (s *server) listSupplierParts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f companies.SupplierPartFilter
	for _, ref := range []struct {
		name string
		dst  **int64
	}{{"part", &f.Part}, {"supplier", &f.Supplier}, {"manufacturer", &f.Manufacturer},
		{"manufacturer_part", &f.ManufacturerPart}, {"company", &f.Company}} {
		if pk, ok := q.pk(ref.name); ok {
			*ref.dst = &pk
		}
	}
	if v, ok := q.str("MPN"); ok {
		f.MPN = &v
	}
	if v, ok := q.str("SKU"); ok {
		f.SKU = &v
	}
	f.Active = optQueryBool(q, "active")
	f.PartActive = optQueryBool(q, "part_active")
	f.SupplierActive = optQueryBool(q, "supplier_active")
	f.Primary = optQueryBool(q, "primary")
	f.HasStock = optQueryBool(q, "has_stock")
	if err := s.partChoice(ctx, q, "part", f.Part); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		pk   *int64
	}{{"supplier", f.Supplier}, {"manufacturer", f.Manufacturer}, {"company", f.Company}} {
		if err := s.companyChoice(ctx, q, c.name, c.pk); err != nil {
			return err
		}
	}
	if f.ManufacturerPart != nil {
		if _, err := s.cfg.Companies.GetManufacturerPart(ctx, *f.ManufacturerPart, companies.ManufacturerPartDetail{}); errors.Is(err, domain.ErrNotFound) {
			q.errs.Add("manufacturer_part", msgInvalidChoice)
		} else if err != nil {
			return err
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, orderingOf(companies.SupplierPartOrdering, "s.pk"))
	f.List = listOf(lq)
	f.SupplierPartDetail = supplierPartDetail(r)
	rows, total, err := s.cfg.Companies.ListSupplierParts(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, lq, total, rows)
}

func (s *server) writeSupplierPart(w http.ResponseWriter, r *http.Request, status int, pk int64) error {
	sp, err := s.cfg.Companies.GetSupplierPart(r.Context(), pk, supplierPartDetail(r))
	if err != nil {
		return err
	}
	return writeJSON(w, status, sp)
}

// supplierPartRequest is a supplier part write: its fields, and the manufacturer name
// and MPN SupplierPartSerializer.create links a new supplier part with.
type supplierPartRequest struct {
	patch             company.SupplierPartPatch
	manufacturer, mpn string
}

func readSupplierPart(b *body) supplierPartRequest {
	req := supplierPartRequest{patch: readSupplierPartFields(b)}
	req.manufacturer, _ = b.str("manufacturer", allowBlank)
	req.mpn, _ = b.str("MPN", allowBlank)
	return req
}

func readSupplierPartFields(b *body) company.SupplierPartPatch {
	var p company.SupplierPartPatch
	if v, ok := b.pk("part", required); ok {
		p.Part = &v
	}
	if v, ok := b.pk("supplier", required); ok {
		p.Supplier = &v
	}
	p.SKU = optStr(b, "SKU", required, maxLength(100))
	p.Active = optBool(b, "active")
	p.Primary = optBool(b, "primary")
	p.ManufacturerPart = optPK(b, "manufacturer_part")
	p.Link = optURL(b, "link", nullable, maxLength(2000))
	p.Description = optStr(b, "description", allowBlank, nullable, maxLength(250))
	p.Note = optStr(b, "note", allowBlank, nullable, maxLength(100))
	p.Packaging = optStr(b, "packaging", allowBlank, nullable, maxLength(50))
	p.PackQuantity = optStr(b, "pack_quantity", allowBlank, maxLength(25))
	if v, ok := b.decimal("available"); ok {
		p.Available = &v
	}
	p.Notes = optStr(b, "notes", allowBlank, nullable, maxLength(50000))
	return p
}

// createSupplierPart creates a supplier part. A manufacturer name and an MPN in the
// request link it to that manufacturer part, when there is one (SupplierPart.save).
func (s *server) createSupplierPart(ctx context.Context, req supplierPartRequest) (int64, commands.Result, error) {
	f := req.patch.Apply(company.DefaultSupplierPartFields())
	if f.ManufacturerPart == 0 && req.manufacturer != "" && req.mpn != "" {
		mp, err := s.cfg.Companies.FindManufacturerPart(ctx, req.manufacturer, req.mpn)
		if err != nil {
			return 0, commands.Result{}, err
		}
		f.ManufacturerPart = mp
	}
	return s.cfg.CompanyCommands.CreateSupplierPart(ctx, commands.CreateSupplierPart{Fields: f, AvailableGiven: req.patch.Available != nil})
}
