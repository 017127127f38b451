package parts

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain/part"
)

// PartState is a part as it stood at some moment, folded from its stream by the caller
// (package history) rather than read from the read model, with its stock figures then.
type PartState struct {
	ID int64
	part.PartFields
	CreatedAt time.Time
	// InStock, VariantStock and ExternalStock are the quantities in stock then, of the
	// part, of its variants and of the part at external locations; StockItemCount is
	// how many stock items of the part there were.
	InStock, VariantStock, ExternalStock decimal.Decimal
	StockItemCount                       int64
}

// PartAt renders st as GetPart renders a part of the read model: the same columns and
// scan, over the state's fields instead of its row. Its category's name and default
// location, its revision count and the details d asks for are those of now.
func PartAt(ctx context.Context, db DB, st PartState, d PartDetail) (Part, error) {
	f := st.PartFields
	from := `(SELECT $1::bigint AS pk, $2::text AS name, $3::text AS description, $4::text AS ipn,
			$5::text AS revision, $6::text AS keywords, $7::bigint AS category, $8::bigint AS default_location,
			$9::bigint AS default_expiry, $10::text AS units, $11::numeric AS minimum_stock,
			$12::numeric AS maximum_stock, $13::boolean AS active, $14::boolean AS assembly,
			$15::boolean AS component, $16::boolean AS is_template, $17::boolean AS purchaseable,
			$18::boolean AS salable, $19::boolean AS trackable, $20::boolean AS testable, $21::boolean AS virtual,
			$22::boolean AS locked, $23::boolean AS consumable, $24::text AS link, $25::text AS notes,
			$26::bigint AS variant_of, $27::bigint AS revision_of, $28::bigint AS responsible,
			$29::bigint AS creation_user, $30::date AS creation_date) p
		LEFT JOIN part_categories c ON c.pk = p.category
		CROSS JOIN (SELECT $31::numeric AS in_stock, $32::numeric AS variant_stock,
			$33::numeric AS external_stock, $34::bigint AS stock_item_count) st`
	p, err := scanPart(db.QueryRow(ctx, "SELECT "+partColumns+" FROM "+from,
		st.ID, f.Name, f.Description, f.IPN, f.Revision, f.Keywords, nullID(f.Category), nullID(f.DefaultLocation),
		f.DefaultExpiry, f.Units, f.MinimumStock.String(), f.MaximumStock.String(), f.Active, f.Assembly,
		f.Component, f.IsTemplate, f.Purchaseable, f.Salable, f.Trackable, f.Testable, f.Virtual, f.Locked,
		f.Consumable, f.Link, f.Notes, nullID(f.VariantOf), nullID(f.RevisionOf), nullID(f.Responsible),
		nullID(f.CreationUser), st.CreatedAt.Format(time.DateOnly),
		st.InStock.String(), st.VariantStock.String(), st.ExternalStock.String(), st.StockItemCount))
	if err != nil {
		return Part{}, fmt.Errorf("render part %d: %w", st.ID, err)
	}
	out := []Part{p}
	if err := addDetails(ctx, db, out, d); err != nil {
		return Part{}, fmt.Errorf("render part %d: %w", st.ID, err)
	}
	return out[0], nil
}
