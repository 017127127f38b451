// Package companies is the read model of companies, their addresses and contacts, and
// of supplier and manufacturer parts: a projector that keeps its tables from the log,
// and the queries api/ serves /api/company/... from.
//
// Supplier parts show figures of other read models, joined in by the queries: the
// stock they are in (projections/stock's stock_items) and what is on order of them
// (projections/orders' purchase order lines).
package companies

import (
	"context"
	"embed"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Name is the projector's checkpoint name. Stored: renaming it rebuilds the read model.
const Name = "companies"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the read model's schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_companies", migrationFiles) }

// Migrate creates or upgrades the read model's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// Projector folds the company area's events into the read model. It decides nothing.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the projector.
func NewProjector() (*Projector, error) {
	codec, err := domain.NewCodec(company.Events())
	if err != nil {
		return nil, fmt.Errorf("companies projector: %w", err)
	}
	return &Projector{codec: codec}, nil
}

// Name implements projections.Projector.
func (*Projector) Name() string { return Name }

// Migrations is the read model's schema (Migrations), for the runner's rebuilds.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// Project implements projections.Projector.
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	for _, rec := range batch {
		switch rec.Category() {
		case "company", "supplierpart", "manufacturerpart":
		default:
			continue
		}
		ev, err := p.codec.Decode(rec.Type, rec.Schema, rec.Data)
		if err != nil {
			return fmt.Errorf("%s@%d: %w", rec.Stream, rec.Version, err)
		}
		if err := apply(ctx, tx, rec, ev); err != nil {
			return fmt.Errorf("%s@%d %s: %w", rec.Stream, rec.Version, rec.Type, err)
		}
	}
	return nil
}

func apply(ctx context.Context, tx pgx.Tx, rec eventstore.Recorded, ev domain.Event) error {
	exec := func(sql string, args ...any) error {
		_, err := tx.Exec(ctx, sql, args...)
		return err
	}
	switch e := ev.(type) {
	case company.CompanyCreated:
		return upsertCompany(exec, e.PK, e.Fields)
	case company.CompanyUpdated:
		return upsertCompany(exec, e.PK, e.New)
	case company.CompanyDeleted:
		if err := exec(`DELETE FROM company_addresses WHERE company = $1`, e.PK); err != nil {
			return err
		}
		if err := exec(`DELETE FROM company_contacts WHERE company = $1`, e.PK); err != nil {
			return err
		}
		return exec(`DELETE FROM companies WHERE pk = $1`, e.PK)
	case company.AddressAdded:
		if err := unsetPrimary(exec, e.Unset); err != nil {
			return err
		}
		return upsertAddress(exec, e.PK, e.Company, e.Fields)
	case company.AddressUpdated:
		if err := unsetPrimary(exec, e.Unset); err != nil {
			return err
		}
		return upsertAddress(exec, e.PK, e.Company, e.New)
	case company.AddressRemoved:
		return exec(`DELETE FROM company_addresses WHERE pk = $1`, e.PK)
	case company.ContactAdded:
		return upsertContact(exec, e.PK, e.Company, e.Fields)
	case company.ContactUpdated:
		return upsertContact(exec, e.PK, e.Company, e.New)
	case company.ContactRemoved:
		return exec(`DELETE FROM company_contacts WHERE pk = $1`, e.PK)
	case company.ManufacturerPartCreated:
		return upsertManufacturerPart(exec, e.PK, e.Fields)
	case company.ManufacturerPartUpdated:
		return upsertManufacturerPart(exec, e.PK, e.New)
	case company.ManufacturerPartDeleted:
		return exec(`DELETE FROM manufacturer_parts WHERE pk = $1`, e.PK)
	case company.SupplierPartCreated:
		return upsertSupplierPart(exec, e.PK, e.Fields, rec)
	case company.SupplierPartUpdated:
		return upsertSupplierPart(exec, e.PK, e.New, rec)
	case company.SupplierPartDeleted:
		return exec(`DELETE FROM supplier_parts WHERE pk = $1`, e.PK)
	}
	return nil
}

type execFunc func(sql string, args ...any) error

func upsertCompany(exec execFunc, pk int64, f company.Fields) error {
	return exec(`INSERT INTO companies (pk, name, description, website, phone, email, currency, contact, link,
			active, is_customer, is_manufacturer, is_supplier, notes, tax_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (pk) DO UPDATE SET name = $2, description = $3, website = $4, phone = $5, email = $6,
			currency = $7, contact = $8, link = $9, active = $10, is_customer = $11, is_manufacturer = $12,
			is_supplier = $13, notes = $14, tax_id = $15`,
		pk, f.Name, f.Description, f.Website, f.Phone, f.Email, f.Currency, f.Contact, f.Link,
		f.Active, f.IsCustomer, f.IsManufacturer, f.IsSupplier, f.Notes, f.TaxID)
}

func unsetPrimary(exec execFunc, pks []int64) error {
	if len(pks) == 0 {
		return nil
	}
	return exec(`UPDATE company_addresses SET is_primary = false WHERE pk = ANY($1)`, pks)
}

func upsertAddress(exec execFunc, pk, companyPK int64, f company.AddressFields) error {
	return exec(`INSERT INTO company_addresses (pk, company, title, is_primary, line1, line2, postal_code,
			postal_city, province, country, shipping_notes, internal_shipping_notes, link)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (pk) DO UPDATE SET company = $2, title = $3, is_primary = $4, line1 = $5, line2 = $6,
			postal_code = $7, postal_city = $8, province = $9, country = $10, shipping_notes = $11,
			internal_shipping_notes = $12, link = $13`,
		pk, companyPK, f.Title, f.Primary, f.Line1, f.Line2, f.PostalCode, f.PostalCity, f.Province,
		f.Country, f.ShippingNotes, f.InternalShippingNotes, f.Link)
}

func upsertContact(exec execFunc, pk, companyPK int64, f company.ContactFields) error {
	return exec(`INSERT INTO company_contacts (pk, company, name, phone, email, role)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (pk) DO UPDATE SET company = $2, name = $3, phone = $4, email = $5, role = $6`,
		pk, companyPK, f.Name, f.Phone, f.Email, f.Role)
}

func upsertManufacturerPart(exec execFunc, pk int64, f company.ManufacturerPartFields) error {
	return exec(`INSERT INTO manufacturer_parts (pk, part, manufacturer, mpn, description, link, notes)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (pk) DO UPDATE SET part = $2, manufacturer = $3, mpn = $4, description = $5, link = $6, notes = $7`,
		pk, f.Part, f.Manufacturer, f.MPN, f.Description, f.Link, f.Notes)
}

func upsertSupplierPart(exec execFunc, pk int64, f company.SupplierPartFields, rec eventstore.Recorded) error {
	var mp, updated any
	if f.ManufacturerPart != 0 {
		mp = f.ManufacturerPart
	}
	if f.AvailabilityUpdated != "" {
		updated = f.AvailabilityUpdated
	}
	return exec(`INSERT INTO supplier_parts (pk, part, supplier, sku, active, is_primary, manufacturer_part, link,
			description, note, packaging, pack_quantity, pack_quantity_native, available, availability_updated,
			notes, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (pk) DO UPDATE SET part = $2, supplier = $3, sku = $4, active = $5, is_primary = $6,
			manufacturer_part = $7, link = $8, description = $9, note = $10, packaging = $11,
			pack_quantity = $12, pack_quantity_native = $13, available = $14, availability_updated = $15,
			notes = $16, updated = $17`,
		pk, f.Part, f.Supplier, f.SKU, f.Active, f.Primary, mp, f.Link, f.Description, f.Note, f.Packaging,
		f.PackQuantity, f.PackQuantityNative, f.Available, updated, f.Notes, rec.RecordedAt)
}
