package companies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/projections/listsql"
	"github.com/stockledger/stockledger/projections/parts"
)

// ReadModel answers the companies read model's queries.
type ReadModel struct {
	db listsql.DB
}

// NewReadModel serves the read model from pool.
func NewReadModel(pool *pgxpool.Pool) *ReadModel { return &ReadModel{db: pool} }

// BlankImage is what InvenTree shows as a company's thumbnail without an image.
const BlankImage = "/static/img/blank_image.thumbnail.png"

// DateTimeFormat is DRF's DATETIME_FORMAT in InvenTree.
const DateTimeFormat = "2006-01-02 15:04"

// CompanyBrief is InvenTree's CompanyBriefSerializer.
type CompanyBrief struct {
	PK          int64   `json:"pk"`
	Active      bool    `json:"active"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Image       *string `json:"image"`
	Thumbnail   string  `json:"thumbnail"`
	Currency    string  `json:"currency"`
	TaxID       string  `json:"tax_id"`
}

// AddressBrief is InvenTree's AddressBriefSerializer.
type AddressBrief struct {
	PK                    int64  `json:"pk"`
	Line1                 string `json:"line1"`
	Line2                 string `json:"line2"`
	PostalCode            string `json:"postal_code"`
	PostalCity            string `json:"postal_city"`
	Province              string `json:"province"`
	Country               string `json:"country"`
	ShippingNotes         string `json:"shipping_notes"`
	InternalShippingNotes string `json:"internal_shipping_notes"`
}

// Address is InvenTree's AddressSerializer.
type Address struct {
	PK                    int64  `json:"pk"`
	Company               int64  `json:"company"`
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

// Brief is the address's AddressBrief.
func (a Address) Brief() AddressBrief {
	return AddressBrief{
		PK: a.PK, Line1: a.Line1, Line2: a.Line2, PostalCode: a.PostalCode, PostalCity: a.PostalCity,
		Province: a.Province, Country: a.Country, ShippingNotes: a.ShippingNotes,
		InternalShippingNotes: a.InternalShippingNotes,
	}
}

// Contact is InvenTree's ContactSerializer.
type Contact struct {
	PK          int64  `json:"pk"`
	Company     int64  `json:"company"`
	CompanyName string `json:"company_name"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Role        string `json:"role"`
}

// Company is InvenTree's CompanySerializer (API 530), without parameters.
type Company struct {
	PK                int64         `json:"pk"`
	Name              string        `json:"name"`
	Description       string        `json:"description"`
	Website           string        `json:"website"`
	Phone             string        `json:"phone"`
	Email             *string       `json:"email"`
	Currency          string        `json:"currency"`
	Contact           string        `json:"contact"`
	Link              string        `json:"link"`
	Image             *string       `json:"image"`
	Active            bool          `json:"active"`
	IsCustomer        bool          `json:"is_customer"`
	IsManufacturer    bool          `json:"is_manufacturer"`
	IsSupplier        bool          `json:"is_supplier"`
	Notes             *string       `json:"notes"`
	PartsSupplied     int64         `json:"parts_supplied"`
	PartsManufactured int64         `json:"parts_manufactured"`
	PrimaryAddress    *AddressBrief `json:"primary_address"`
	TaxID             string        `json:"tax_id"`
	Tags              []string      `json:"tags"`
}

// Brief is the company's CompanyBrief.
func (c Company) Brief() CompanyBrief {
	return CompanyBrief{
		PK: c.PK, Active: c.Active, Name: c.Name, Description: c.Description,
		Thumbnail: BlankImage, Currency: c.Currency, TaxID: c.TaxID,
	}
}

// ManufacturerPart is InvenTree's ManufacturerPartSerializer, detail blocks as asked.
type ManufacturerPart struct {
	PK                 int64                         `json:"pk"`
	Part               int64                         `json:"part"`
	PartDetail         parts.Detail[json.RawMessage] `json:"part_detail,omitzero"`
	PrettyName         parts.Detail[string]          `json:"pretty_name,omitzero"`
	Manufacturer       int64                         `json:"manufacturer"`
	ManufacturerDetail parts.Detail[CompanyBrief]    `json:"manufacturer_detail,omitzero"`
	Description        *string                       `json:"description"`
	MPN                *string                       `json:"MPN"`
	Link               *string                       `json:"link"`
	BarcodeHash        string                        `json:"barcode_hash"`
	Notes              *string                       `json:"notes"`
	Tags               []string                      `json:"tags"`
	manufacturerName   string
}

// SupplierPart is InvenTree's SupplierPartSerializer (API 530), detail blocks as asked.
type SupplierPart struct {
	Available              parts.Number                    `json:"available"`
	AvailabilityUpdated    *string                         `json:"availability_updated"`
	Description            *string                         `json:"description"`
	InStock                parts.Number                    `json:"in_stock"`
	OnOrder                parts.Number                    `json:"on_order"`
	Link                   *string                         `json:"link"`
	Active                 bool                            `json:"active"`
	Primary                bool                            `json:"primary"`
	ManufacturerDetail     parts.Detail[CompanyBrief]      `json:"manufacturer_detail,omitzero"`
	ManufacturerPart       *int64                          `json:"manufacturer_part"`
	ManufacturerPartDetail parts.Detail[ManufacturerPart]  `json:"manufacturer_part_detail,omitzero"`
	MPN                    *string                         `json:"MPN"`
	Note                   *string                         `json:"note"`
	PK                     int64                           `json:"pk"`
	BarcodeHash            string                          `json:"barcode_hash"`
	Packaging              *string                         `json:"packaging"`
	PackQuantity           string                          `json:"pack_quantity"`
	PackQuantityNative     parts.Number                    `json:"pack_quantity_native"`
	Part                   int64                           `json:"part"`
	PrettyName             parts.Detail[string]            `json:"pretty_name,omitzero"`
	SKU                    string                          `json:"SKU"`
	Supplier               int64                           `json:"supplier"`
	SupplierDetail         parts.Detail[CompanyBrief]      `json:"supplier_detail,omitzero"`
	Updated                *string                         `json:"updated"`
	Notes                  *string                         `json:"notes"`
	PartDetail             parts.Detail[json.RawMessage]   `json:"part_detail,omitzero"`
	Tags                   []string                        `json:"tags"`
	PriceBreaks            parts.Detail[[]json.RawMessage] `json:"price_breaks,omitzero"`

	manufacturer int64
	ipn          string
	supplierName string
	mfrName      string
}

// SupplierPartBrief is the SupplierPartSerializer with brief=True and no detail
// blocks, as a stock item shows its supplier part (supplier_part_detail): without
// available, availability_updated and on_order.
type SupplierPartBrief struct {
	Description        *string      `json:"description"`
	InStock            parts.Number `json:"in_stock"`
	Link               *string      `json:"link"`
	Active             bool         `json:"active"`
	Primary            bool         `json:"primary"`
	ManufacturerPart   *int64       `json:"manufacturer_part"`
	MPN                *string      `json:"MPN"`
	Note               *string      `json:"note"`
	PK                 int64        `json:"pk"`
	BarcodeHash        string       `json:"barcode_hash"`
	Packaging          *string      `json:"packaging"`
	PackQuantity       string       `json:"pack_quantity"`
	PackQuantityNative parts.Number `json:"pack_quantity_native"`
	Part               int64        `json:"part"`
	SKU                string       `json:"SKU"`
	Supplier           int64        `json:"supplier"`
	Updated            *string      `json:"updated"`
	Notes              *string      `json:"notes"`
	Tags               []string     `json:"tags"`
}

// Brief is the supplier part's SupplierPartBrief.
func (sp SupplierPart) Brief() SupplierPartBrief {
	return SupplierPartBrief{
		Description: sp.Description, InStock: sp.InStock, Link: sp.Link, Active: sp.Active, Primary: sp.Primary,
		ManufacturerPart: sp.ManufacturerPart, MPN: sp.MPN, Note: sp.Note, PK: sp.PK, BarcodeHash: sp.BarcodeHash,
		Packaging: sp.Packaging, PackQuantity: sp.PackQuantity, PackQuantityNative: sp.PackQuantityNative,
		Part: sp.Part, SKU: sp.SKU, Supplier: sp.Supplier, Updated: sp.Updated, Notes: sp.Notes, Tags: sp.Tags,
	}
}

// SupplierPartDetail says which detail blocks a supplier part shows.
type SupplierPartDetail struct {
	Part, Supplier, Manufacturer, ManufacturerPart, Pretty, PriceBreaks bool
}

// ManufacturerPartDetail says which detail blocks a manufacturer part shows.
type ManufacturerPartDetail struct {
	Part, Manufacturer, Pretty bool
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func notFound(kind string, pk int64, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &domain.NotFoundError{Kind: kind, ID: pk}
	}
	return err
}

// ---- Companies ----

const companyColumns = `c.pk, c.name, c.description, c.website, c.phone, c.email, c.currency, c.contact,
	c.link, c.active, c.is_customer, c.is_manufacturer, c.is_supplier, c.notes, c.tax_id,
	(SELECT count(*) FROM supplier_parts s WHERE s.supplier = c.pk),
	(SELECT count(*) FROM manufacturer_parts m WHERE m.manufacturer = c.pk),
	a.pk, a.line1, a.line2, a.postal_code, a.postal_city, a.province, a.country, a.shipping_notes,
	a.internal_shipping_notes`

const companyFrom = `companies c LEFT JOIN LATERAL (SELECT * FROM company_addresses x
	WHERE x.company = c.pk AND x.is_primary ORDER BY x.pk LIMIT 1) a ON true`

func scanCompany(row pgx.Row) (Company, error) {
	var c Company
	var notes string
	var apk *int64
	var line1, line2, postalCode, postalCity, province, country, shipping, internal *string
	if err := row.Scan(&c.PK, &c.Name, &c.Description, &c.Website, &c.Phone, &c.Email, &c.Currency, &c.Contact,
		&c.Link, &c.Active, &c.IsCustomer, &c.IsManufacturer, &c.IsSupplier, &notes, &c.TaxID,
		&c.PartsSupplied, &c.PartsManufactured,
		&apk, &line1, &line2, &postalCode, &postalCity, &province, &country, &shipping, &internal); err != nil {
		return Company{}, err
	}
	c.Notes = nullable(notes)
	c.Tags = []string{}
	if apk != nil {
		c.PrimaryAddress = &AddressBrief{
			PK: *apk, Line1: *line1, Line2: *line2, PostalCode: *postalCode, PostalCity: *postalCity,
			Province: *province, Country: *country, ShippingNotes: *shipping, InternalShippingNotes: *internal,
		}
	}
	return c, nil
}

// GetCompany returns company pk, or a domain.NotFoundError.
func (m *ReadModel) GetCompany(ctx context.Context, pk int64) (Company, error) {
	c, err := scanCompany(m.db.QueryRow(ctx, "SELECT "+companyColumns+" FROM "+companyFrom+" WHERE c.pk = $1", pk))
	if err != nil {
		return Company{}, notFound("Company", pk, err)
	}
	return c, nil
}

// CompanyFilter selects companies (CompanyList's filters). Nil fields do not filter.
type CompanyFilter struct {
	Active, IsCustomer, IsManufacturer, IsSupplier *bool
	Name                                           *string
	listsql.List
}

// CompanyOrdering maps CompanyList's ordering names to SQL over c.
var CompanyOrdering = map[string][]string{
	"active": {"c.active"}, "name": {"c.name"},
	"parts_supplied":     {"(SELECT count(*) FROM supplier_parts s WHERE s.supplier = c.pk)"},
	"parts_manufactured": {"(SELECT count(*) FROM manufacturer_parts m WHERE m.manufacturer = c.pk)"},
}

// ListCompanies returns a page of the companies f selects, and how many it selects.
func (m *ReadModel) ListCompanies(ctx context.Context, f CompanyFilter) ([]Company, int, error) {
	q := &listsql.Query{}
	listsql.Equal(q, "c.active", f.Active)
	listsql.Equal(q, "c.is_customer", f.IsCustomer)
	listsql.Equal(q, "c.is_manufacturer", f.IsManufacturer)
	listsql.Equal(q, "c.is_supplier", f.IsSupplier)
	listsql.Equal(q, "c.name", f.Name)
	q.Search(f.List, "c.description", "c.name", "c.tax_id", "c.website")
	rows, total, err := listsql.Page(ctx, m.db, q, companyColumns, companyFrom, f.List, "c.name, c.pk", scanCompany)
	if err != nil {
		return nil, 0, fmt.Errorf("companies: %w", err)
	}
	return rows, total, nil
}

// CompanyBriefs returns the briefs of the companies pks (those that exist).
func (m *ReadModel) CompanyBriefs(ctx context.Context, pks []int64) (map[int64]CompanyBrief, error) {
	out := map[int64]CompanyBrief{}
	if len(pks) == 0 {
		return out, nil
	}
	rows, err := listsql.Scan(ctx, m.db, "SELECT "+companyColumns+" FROM "+companyFrom+" WHERE c.pk = ANY($1)", []any{pks}, scanCompany)
	if err != nil {
		return nil, fmt.Errorf("company briefs: %w", err)
	}
	for _, c := range rows {
		out[c.PK] = c.Brief()
	}
	return out, nil
}

// ---- Addresses and contacts ----

const addressColumns = `a.pk, a.company, a.title, a.is_primary, a.line1, a.line2, a.postal_code, a.postal_city,
	a.province, a.country, a.shipping_notes, a.internal_shipping_notes, a.link`

func scanAddress(row pgx.Row) (Address, error) {
	var a Address
	err := row.Scan(&a.PK, &a.Company, &a.Title, &a.Primary, &a.Line1, &a.Line2, &a.PostalCode, &a.PostalCity,
		&a.Province, &a.Country, &a.ShippingNotes, &a.InternalShippingNotes, &a.Link)
	return a, err
}

// GetAddress returns address pk, or a domain.NotFoundError.
func (m *ReadModel) GetAddress(ctx context.Context, pk int64) (Address, error) {
	a, err := scanAddress(m.db.QueryRow(ctx, "SELECT "+addressColumns+" FROM company_addresses a WHERE a.pk = $1", pk))
	if err != nil {
		return Address{}, notFound("Address", pk, err)
	}
	return a, nil
}

// MemberFilter selects addresses or contacts: of one company, searched, ordered.
type MemberFilter struct {
	Company *int64
	listsql.List
}

// ListAddresses returns a page of addresses.
func (m *ReadModel) ListAddresses(ctx context.Context, f MemberFilter) ([]Address, int, error) {
	q := &listsql.Query{}
	listsql.Equal(q, "a.company", f.Company)
	q.Search(f.List, "a.title", "a.line1", "a.line2", "a.postal_code", "a.postal_city", "a.province", "a.country")
	rows, total, err := listsql.Page(ctx, m.db, q, addressColumns, "company_addresses a", f.List, "a.pk", scanAddress)
	if err != nil {
		return nil, 0, fmt.Errorf("addresses: %w", err)
	}
	return rows, total, nil
}

const contactColumns = `t.pk, t.company, coalesce(c.name, ''), t.name, t.phone, t.email, t.role`
const contactFrom = `company_contacts t LEFT JOIN companies c ON c.pk = t.company`

func scanContact(row pgx.Row) (Contact, error) {
	var c Contact
	err := row.Scan(&c.PK, &c.Company, &c.CompanyName, &c.Name, &c.Phone, &c.Email, &c.Role)
	return c, err
}

// GetContact returns contact pk, or a domain.NotFoundError.
func (m *ReadModel) GetContact(ctx context.Context, pk int64) (Contact, error) {
	c, err := scanContact(m.db.QueryRow(ctx, "SELECT "+contactColumns+" FROM "+contactFrom+" WHERE t.pk = $1", pk))
	if err != nil {
		return Contact{}, notFound("Contact", pk, err)
	}
	return c, nil
}

// ListContacts returns a page of contacts.
func (m *ReadModel) ListContacts(ctx context.Context, f MemberFilter) ([]Contact, int, error) {
	q := &listsql.Query{}
	listsql.Equal(q, "t.company", f.Company)
	q.Search(f.List, "c.name", "t.name")
	rows, total, err := listsql.Page(ctx, m.db, q, contactColumns, contactFrom, f.List, "t.pk", scanContact)
	if err != nil {
		return nil, 0, fmt.Errorf("contacts: %w", err)
	}
	return rows, total, nil
}

// ---- Manufacturer parts ----

// partBrief renders the PartBrief of the parts row p, null without one.
var partBrief = "CASE WHEN p.pk IS NULL THEN NULL ELSE coalesce(p." + parts.BriefColumn + ", (" + parts.BriefSQL + ")::jsonb::text) END"

const mfrColumns = `m.pk, m.part, m.manufacturer, m.mpn, m.description, m.link, m.notes, coalesce(mc.name, '')`
const mfrFrom = `manufacturer_parts m LEFT JOIN companies mc ON mc.pk = m.manufacturer`

func scanManufacturerPart(row pgx.Row) (ManufacturerPart, error) {
	var mp ManufacturerPart
	var description, link, notes string
	if err := row.Scan(&mp.PK, &mp.Part, &mp.Manufacturer, &mp.MPN, &description, &link, &notes, &mp.manufacturerName); err != nil {
		return ManufacturerPart{}, err
	}
	mp.Description, mp.Link, mp.Notes = nullable(description), nullable(link), nullable(notes)
	mp.Tags = []string{}
	return mp, nil
}

// prettyName is ManufacturerPart.__str__.
func (mp ManufacturerPart) prettyName() string {
	s := ""
	if mp.manufacturerName != "" {
		s = mp.manufacturerName + " | "
	}
	if mp.MPN != nil {
		return s + *mp.MPN
	}
	return s + "None"
}

// GetManufacturerPart returns manufacturer part pk with the details d asks for.
func (m *ReadModel) GetManufacturerPart(ctx context.Context, pk int64, d ManufacturerPartDetail) (ManufacturerPart, error) {
	mp, err := scanManufacturerPart(m.db.QueryRow(ctx, "SELECT "+mfrColumns+" FROM "+mfrFrom+" WHERE m.pk = $1", pk))
	if err != nil {
		return ManufacturerPart{}, notFound("ManufacturerPart", pk, err)
	}
	out := []ManufacturerPart{mp}
	if err := m.manufacturerDetails(ctx, out, d); err != nil {
		return ManufacturerPart{}, err
	}
	return out[0], nil
}

// ManufacturerPartFilter selects manufacturer parts (ManufacturerPartFilter).
type ManufacturerPartFilter struct {
	Part, Manufacturer             *int64
	MPN                            *string
	PartActive, ManufacturerActive *bool
	ManufacturerPartDetail
	listsql.List
}

// ManufacturerPartOrdering maps the ordering names to SQL over m, mc and p.
var ManufacturerPartOrdering = map[string][]string{
	"part": {"p.name"}, "IPN": {"p.ipn"}, "MPN": {"m.mpn"}, "manufacturer": {"mc.name"},
}

// ListManufacturerParts returns a page of manufacturer parts.
func (m *ReadModel) ListManufacturerParts(ctx context.Context, f ManufacturerPartFilter) ([]ManufacturerPart, int, error) {
	from := mfrFrom + " LEFT JOIN parts p ON p.pk = m.part"
	q := &listsql.Query{}
	listsql.Equal(q, "m.part", f.Part)
	listsql.Equal(q, "m.manufacturer", f.Manufacturer)
	if f.MPN != nil {
		q.Cond("upper(m.mpn) = upper(" + q.Arg(*f.MPN) + ")")
	}
	listsql.Equal(q, "p.active", f.PartActive)
	listsql.Equal(q, "mc.active", f.ManufacturerActive)
	q.Search(f.List, "m.mpn", "m.description", "mc.name", "p.ipn", "p.description", "p.name")
	rows, total, err := listsql.Page(ctx, m.db, q, mfrColumns, from, f.List, "m.pk", scanManufacturerPart)
	if err != nil {
		return nil, 0, fmt.Errorf("manufacturer parts: %w", err)
	}
	if err := m.manufacturerDetails(ctx, rows, f.ManufacturerPartDetail); err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

func (m *ReadModel) manufacturerDetails(ctx context.Context, mps []ManufacturerPart, d ManufacturerPartDetail) error {
	var partPKs, makers []int64
	for _, mp := range mps {
		partPKs, makers = append(partPKs, mp.Part), append(makers, mp.Manufacturer)
	}
	var briefs map[int64]json.RawMessage
	var companies map[int64]CompanyBrief
	var err error
	if d.Part {
		if briefs, err = m.PartBriefs(ctx, partPKs); err != nil {
			return err
		}
	}
	if d.Manufacturer {
		if companies, err = m.CompanyBriefs(ctx, makers); err != nil {
			return err
		}
	}
	for i := range mps {
		mp := &mps[i]
		if d.Part {
			mp.PartDetail = detail(briefs, mp.Part)
		}
		if d.Manufacturer {
			mp.ManufacturerDetail = detail(companies, mp.Manufacturer)
		}
		if d.Pretty {
			name := mp.prettyName()
			mp.PrettyName = parts.Detail[string]{Requested: true, Value: &name}
		}
	}
	return nil
}

func detail[T any](m map[int64]T, pk int64) parts.Detail[T] {
	d := parts.Detail[T]{Requested: true}
	if v, ok := m[pk]; ok {
		d.Value = &v
	}
	return d
}

// PartBriefs returns the PartBrief of the parts pks (those the parts read model holds).
func (m *ReadModel) PartBriefs(ctx context.Context, pks []int64) (map[int64]json.RawMessage, error) {
	out := map[int64]json.RawMessage{}
	if len(pks) == 0 {
		return out, nil
	}
	rows, err := m.db.Query(ctx, "SELECT p.pk, "+partBrief+" FROM parts p WHERE p.pk = ANY($1)", pks)
	if err != nil {
		return nil, fmt.Errorf("part briefs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var brief string
		if err := rows.Scan(&pk, &brief); err != nil {
			return nil, fmt.Errorf("part briefs: %w", err)
		}
		out[pk] = json.RawMessage(brief)
	}
	return out, rows.Err()
}

// ---- Supplier parts ----

// InStockSQL is the stock of supplier part s that is in stock: InvenTree's
// annotate_total_stock over the items received from it.
const InStockSQL = `(SELECT coalesce(sum(i.quantity), 0) FROM stock_items i WHERE i.supplier_part = s.pk AND i.in_stock)`

// OnOrderSQL is what is still to be received of supplier part s on open purchase
// orders, in packs (SupplierPart.on_order), from projections/orders' lines.
const OnOrderSQL = `(SELECT greatest(coalesce(sum(l.quantity - l.received), 0), 0) FROM purchase_order_lines l
	WHERE l.supplier_part = s.pk AND l.order_status IN (10, 20, 25))`

const supplierColumns = `s.pk, s.part, s.supplier, s.sku, s.active, s.is_primary, s.manufacturer_part, s.link,
	s.description, s.note, s.packaging, s.pack_quantity, s.pack_quantity_native::text, s.available::text,
	s.availability_updated, s.notes, s.updated, m.mpn, coalesce(m.manufacturer, 0), coalesce(mc.name, ''),
	coalesce(sc.name, ''), coalesce(p.ipn, ''), ` + InStockSQL + `::text, ` + OnOrderSQL + `::text`

const supplierFrom = `supplier_parts s LEFT JOIN manufacturer_parts m ON m.pk = s.manufacturer_part
	LEFT JOIN companies mc ON mc.pk = m.manufacturer LEFT JOIN companies sc ON sc.pk = s.supplier
	LEFT JOIN parts p ON p.pk = s.part`

func scanSupplierPart(row pgx.Row) (SupplierPart, error) {
	var sp SupplierPart
	var link, description, note, packaging, notes, native, available, inStock, onOrder string
	var availUpdated *time.Time
	var updated time.Time
	var mp *int64
	if err := row.Scan(&sp.PK, &sp.Part, &sp.Supplier, &sp.SKU, &sp.Active, &sp.Primary, &mp, &link,
		&description, &note, &packaging, &sp.PackQuantity, &native, &available, &availUpdated, &notes, &updated,
		&sp.MPN, &sp.manufacturer, &sp.mfrName, &sp.supplierName, &sp.ipn, &inStock, &onOrder); err != nil {
		return SupplierPart{}, err
	}
	sp.ManufacturerPart = mp
	sp.Link, sp.Description, sp.Note = nullable(link), nullable(description), nullable(note)
	sp.Packaging, sp.Notes = nullable(packaging), nullable(notes)
	for _, n := range []struct {
		dst  *parts.Number
		text string
	}{{&sp.PackQuantityNative, native}, {&sp.Available, available}, {&sp.InStock, inStock}, {&sp.OnOrder, onOrder}} {
		d, err := decimal.NewFromString(n.text)
		if err != nil {
			return SupplierPart{}, fmt.Errorf("supplier part %d: %q: %w", sp.PK, n.text, err)
		}
		n.dst.Decimal = d
	}
	if availUpdated != nil {
		s := availUpdated.UTC().Format(DateTimeFormat)
		sp.AvailabilityUpdated = &s
	}
	u := updated.UTC().Format(DateTimeFormat)
	sp.Updated = &u
	sp.Tags = []string{}
	return sp, nil
}

// prettyName is SupplierPart.__str__.
func (sp SupplierPart) prettyName() string {
	s := ""
	if sp.ipn != "" {
		s = sp.ipn + " | "
	}
	s += sp.supplierName + " | " + sp.SKU
	var mfr []string
	if sp.mfrName != "" {
		mfr = append(mfr, sp.mfrName)
	}
	if sp.MPN != nil && *sp.MPN != "" {
		mfr = append(mfr, *sp.MPN)
	}
	if len(mfr) > 0 {
		s += " | " + strings.Join(mfr, " | ")
	}
	return s
}

// GetSupplierPart returns supplier part pk with the details d asks for.
func (m *ReadModel) GetSupplierPart(ctx context.Context, pk int64, d SupplierPartDetail) (SupplierPart, error) {
	sp, err := scanSupplierPart(m.db.QueryRow(ctx, "SELECT "+supplierColumns+" FROM "+supplierFrom+" WHERE s.pk = $1", pk))
	if err != nil {
		return SupplierPart{}, notFound("SupplierPart", pk, err)
	}
	out := []SupplierPart{sp}
	if err := m.supplierDetails(ctx, out, d); err != nil {
		return SupplierPart{}, err
	}
	return out[0], nil
}

// SupplierParts returns the supplier parts pks with the details d asks for, by pk.
func (m *ReadModel) SupplierParts(ctx context.Context, pks []int64, d SupplierPartDetail) (map[int64]SupplierPart, error) {
	out := map[int64]SupplierPart{}
	if len(pks) == 0 {
		return out, nil
	}
	rows, err := listsql.Scan(ctx, m.db, "SELECT "+supplierColumns+" FROM "+supplierFrom+" WHERE s.pk = ANY($1)", []any{pks}, scanSupplierPart)
	if err != nil {
		return nil, fmt.Errorf("supplier parts: %w", err)
	}
	if err := m.supplierDetails(ctx, rows, d); err != nil {
		return nil, err
	}
	for _, sp := range rows {
		out[sp.PK] = sp
	}
	return out, nil
}

// SupplierPartFilter selects supplier parts (SupplierPartFilter).
type SupplierPartFilter struct {
	Part, Supplier, Manufacturer, ManufacturerPart, Company *int64
	MPN, SKU                                                *string
	Active, PartActive, SupplierActive, Primary, HasStock   *bool
	SupplierPartDetail
	listsql.List
}

// SupplierPartOrdering maps SupplierPartList's ordering names (with its aliases) to SQL.
var SupplierPartOrdering = map[string][]string{
	"part": {"p.name"}, "supplier": {"sc.name"}, "manufacturer": {"mc.name"}, "active": {"s.active"},
	"primary": {"s.is_primary"}, "IPN": {"p.ipn"}, "MPN": {"m.mpn"}, "SKU": {"s.sku"},
	"packaging": {"s.packaging"}, "pack_quantity": {"s.pack_quantity_native"}, "in_stock": {InStockSQL},
	"updated": {"s.updated"},
}

// ListSupplierParts returns a page of supplier parts.
func (m *ReadModel) ListSupplierParts(ctx context.Context, f SupplierPartFilter) ([]SupplierPart, int, error) {
	q := &listsql.Query{}
	listsql.Equal(q, "s.part", f.Part)
	listsql.Equal(q, "s.supplier", f.Supplier)
	listsql.Equal(q, "m.manufacturer", f.Manufacturer)
	listsql.Equal(q, "s.manufacturer_part", f.ManufacturerPart)
	if f.Company != nil {
		p := q.Arg(*f.Company)
		q.Cond("(s.supplier = " + p + " OR m.manufacturer = " + p + ")")
	}
	if f.MPN != nil {
		q.Cond("upper(m.mpn) = upper(" + q.Arg(*f.MPN) + ")")
	}
	if f.SKU != nil {
		q.Cond("upper(s.sku) = upper(" + q.Arg(*f.SKU) + ")")
	}
	listsql.Equal(q, "s.active", f.Active)
	listsql.Equal(q, "p.active", f.PartActive)
	listsql.Equal(q, "sc.active", f.SupplierActive)
	listsql.Equal(q, "s.is_primary", f.Primary)
	if f.HasStock != nil {
		if *f.HasStock {
			q.Cond(InStockSQL + " > 0")
		} else {
			q.Cond(InStockSQL + " <= 0")
		}
	}
	q.Search(f.List, "s.sku", "s.description", "m.mpn", "mc.name", "p.ipn", "p.description", "p.keywords", "p.name", "sc.name")
	rows, total, err := listsql.Page(ctx, m.db, q, supplierColumns, supplierFrom, f.List, "s.pk", scanSupplierPart)
	if err != nil {
		return nil, 0, fmt.Errorf("supplier parts: %w", err)
	}
	if err := m.supplierDetails(ctx, rows, f.SupplierPartDetail); err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

func (m *ReadModel) supplierDetails(ctx context.Context, sps []SupplierPart, d SupplierPartDetail) error {
	var partPKs, companyPKs, mfrPKs []int64
	for _, sp := range sps {
		partPKs = append(partPKs, sp.Part)
		companyPKs = append(companyPKs, sp.Supplier, sp.manufacturer)
		if sp.ManufacturerPart != nil {
			mfrPKs = append(mfrPKs, *sp.ManufacturerPart)
		}
	}
	var briefs map[int64]json.RawMessage
	var companies map[int64]CompanyBrief
	mfrs := map[int64]ManufacturerPart{}
	var err error
	if d.Part {
		if briefs, err = m.PartBriefs(ctx, partPKs); err != nil {
			return err
		}
	}
	if d.Supplier || d.Manufacturer {
		if companies, err = m.CompanyBriefs(ctx, companyPKs); err != nil {
			return err
		}
	}
	if d.ManufacturerPart && len(mfrPKs) > 0 {
		rows, err := listsql.Scan(ctx, m.db, "SELECT "+mfrColumns+" FROM "+mfrFrom+" WHERE m.pk = ANY($1)", []any{mfrPKs}, scanManufacturerPart)
		if err != nil {
			return fmt.Errorf("manufacturer parts: %w", err)
		}
		// Nested in a supplier part, InvenTree shows the manufacturer part with its
		// manufacturer but without its part.
		if err := m.manufacturerDetails(ctx, rows, ManufacturerPartDetail{Manufacturer: true}); err != nil {
			return err
		}
		for _, mp := range rows {
			mfrs[mp.PK] = mp
		}
	}
	for i := range sps {
		sp := &sps[i]
		if d.Part {
			sp.PartDetail = detail(briefs, sp.Part)
		}
		if d.Supplier {
			sp.SupplierDetail = detail(companies, sp.Supplier)
		}
		if d.Manufacturer {
			sp.ManufacturerDetail = parts.Detail[CompanyBrief]{Requested: true}
			if c, ok := companies[sp.manufacturer]; ok && sp.ManufacturerPart != nil {
				sp.ManufacturerDetail.Value = &c
			}
		}
		if d.ManufacturerPart {
			sp.ManufacturerPartDetail = parts.Detail[ManufacturerPart]{Requested: true}
			if sp.ManufacturerPart != nil {
				if mp, ok := mfrs[*sp.ManufacturerPart]; ok {
					sp.ManufacturerPartDetail.Value = &mp
				}
			}
		}
		if d.Pretty {
			name := sp.prettyName()
			sp.PrettyName = parts.Detail[string]{Requested: true, Value: &name}
		}
		if d.PriceBreaks {
			// Price breaks are not modelled: every supplier part has none.
			none := []json.RawMessage{}
			sp.PriceBreaks = parts.Detail[[]json.RawMessage]{Requested: true, Value: &none}
		}
	}
	return nil
}

// ---- Lookups for the commands (candidates, never decisions) ----

func (m *ReadModel) pks(ctx context.Context, sql string, args ...any) ([]int64, error) {
	return listsql.Scan(ctx, m.db, sql, args, func(row pgx.Row) (int64, error) {
		var pk int64
		err := row.Scan(&pk)
		return pk, err
	})
}

func (m *ReadModel) owner(ctx context.Context, sql string, pk int64) (int64, error) {
	var company int64
	err := m.db.QueryRow(ctx, sql, pk).Scan(&company)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return company, err
}

// AddressCompany is the company of address pk, 0 for none.
func (m *ReadModel) AddressCompany(ctx context.Context, pk int64) (int64, error) {
	return m.owner(ctx, `SELECT company FROM company_addresses WHERE pk = $1`, pk)
}

// ContactCompany is the company of contact pk, 0 for none.
func (m *ReadModel) ContactCompany(ctx context.Context, pk int64) (int64, error) {
	return m.owner(ctx, `SELECT company FROM company_contacts WHERE pk = $1`, pk)
}

// CompanyParts lists the supplier parts a company supplies and the manufacturer parts
// it makes.
func (m *ReadModel) CompanyParts(ctx context.Context, pk int64) ([]int64, []int64, error) {
	sps, err := m.pks(ctx, `SELECT pk FROM supplier_parts WHERE supplier = $1 ORDER BY pk`, pk)
	if err != nil {
		return nil, nil, err
	}
	mps, err := m.pks(ctx, `SELECT pk FROM manufacturer_parts WHERE manufacturer = $1 ORDER BY pk`, pk)
	return sps, mps, err
}

// ManufacturerPartSuppliers lists the supplier parts linked to a manufacturer part.
func (m *ReadModel) ManufacturerPartSuppliers(ctx context.Context, pk int64) ([]int64, error) {
	return m.pks(ctx, `SELECT pk FROM supplier_parts WHERE manufacturer_part = $1 ORDER BY pk`, pk)
}

// SupplierPartInUse tells whether stock items or purchase order lines refer to a
// supplier part.
func (m *ReadModel) SupplierPartInUse(ctx context.Context, pk int64) (bool, error) {
	var used bool
	err := m.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM stock_items WHERE supplier_part = $1)
		OR EXISTS (SELECT 1 FROM purchase_order_lines WHERE supplier_part = $1)`, pk).Scan(&used)
	return used, err
}

// CompanyInUse tells whether purchase orders or stock items (as customer) refer to a
// company.
func (m *ReadModel) CompanyInUse(ctx context.Context, pk int64) (bool, error) {
	var used bool
	err := m.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE supplier = $1)
		OR EXISTS (SELECT 1 FROM stock_items WHERE customer = $1)`, pk).Scan(&used)
	return used, err
}

// FindManufacturerPart finds the manufacturer part of the manufacturer named name with
// the MPN mpn (what SupplierPart.save links a new supplier part to); 0 for none.
func (m *ReadModel) FindManufacturerPart(ctx context.Context, name, mpn string) (int64, error) {
	var pk int64
	err := m.db.QueryRow(ctx, `SELECT m.pk FROM manufacturer_parts m JOIN companies c ON c.pk = m.manufacturer
		WHERE c.name = $1 AND m.mpn = $2 ORDER BY m.pk LIMIT 1`, name, mpn).Scan(&pk)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return pk, err
}
