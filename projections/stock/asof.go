package stock

import (
	"context"
	"errors"
	"fmt"
	"time"

	stockdomain "github.com/stockledger/stockledger/domain/stock"
)

// ItemState is a stock item as it stood at some moment, folded from its stream by the
// caller (package history) rather than read from the read model: its stored fields
// and what the read model would have counted for it then.
type ItemState struct {
	PK int64
	stockdomain.ItemData
	// InStock is the domain's verdict (Item.InStock).
	InStock bool
	// Created and Updated are when the item was created and last changed.
	Created, Updated time.Time
	// TrackingItems, InstalledItems and ChildItems are the counts the rendering shows.
	TrackingItems, InstalledItems, ChildItems int
}

// RenderItem renders st as GetItemJSON renders an item of the read model: the same
// stock_item_json function over the state's fields, and the details f asks for, which
// describe the item's location and part as they are now.
func (r *ReadModel) RenderItem(ctx context.Context, st ItemState, f ItemFilter) ([]byte, error) {
	if r.loc != time.UTC {
		return nil, errors.New("render stock item: the stored rendering is in UTC, and this read model is not")
	}
	d := st.ItemData
	var serial, price any
	if d.Serial != "" {
		serial = d.Serial
	}
	if d.PurchasePrice != nil {
		price = d.PurchasePrice.String()
	}
	// The row GetItemJSON reads, made of the state: the columns the rendering and the
	// detail joins use.
	item := `(SELECT stock_item_json($1, $2, $3::numeric, $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13,
			$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24::date, $25, $26::numeric, $27, $28, $29, $30) AS doc,
		$31::boolean AS in_stock, $12::date AS expiry_date, $6::bigint AS location, $2::bigint AS part,
		$19::bigint AS purchase_order, $22::bigint AS supplier_part) i`
	cols := r.renderColumns(f)
	from := item
	if cols.location {
		from += " LEFT JOIN stock_locations l ON l.pk = i.location"
	}
	if cols.part {
		from += fmt.Sprintf(" LEFT JOIN %s p ON p.%s = i.part", r.parts.Table, r.parts.PK)
	}
	rows, err := r.pool.Query(ctx, "SELECT "+cols.sql+" FROM "+from, st.PK, d.Part, d.Quantity.String(), serial,
		d.Batch, nullID(d.Location), nullID(d.BelongsTo), nullID(d.Build), nullID(d.ConsumedBy), nullID(d.Customer),
		d.DeleteOnDeplete, nullDate(d.ExpiryDate), d.IsBuilding, d.Link, nullText(d.Notes), nullID(d.Owner),
		nullText(d.Packaging), nullID(d.Parent), nullID(d.PurchaseOrder), nullID(d.SalesOrder), int(d.Status),
		nullID(d.SupplierPart), st.Created, nullDate(d.StocktakeDate), st.Updated, price,
		d.PurchasePriceCurrency, st.TrackingItems, st.InstalledItems, st.ChildItems, st.InStock)
	if err != nil {
		return nil, fmt.Errorf("render stock item %d: %w", st.PK, err)
	}
	out, _, err := r.renderItems(ctx, rows, f, cols, false, nil)
	if err != nil {
		return nil, fmt.Errorf("render stock item %d: %w", st.PK, err)
	}
	return out.Items, nil
}
