package orders

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/listsql"
	"github.com/stockledger/stockledger/projections/stock"
)

// StockSources tells the stock read model where its items came from (stock.Sources):
// the references of purchase orders, and the SKU, MPN and, asked for, brief of
// supplier parts.
func (m *ReadModel) StockSources(ctx context.Context, orders, supplierParts []int64, supplierPartDetail bool) (stock.ItemSources, error) {
	out := stock.ItemSources{
		OrderReferences: map[int64]string{},
		SupplierParts:   map[int64]stock.SupplierPartSource{},
	}
	if len(orders) > 0 {
		type reference struct {
			pk  int64
			ref string
		}
		refs, err := listsql.Scan(ctx, m.db, `SELECT pk, reference FROM purchase_orders WHERE pk = ANY($1)`, []any{orders},
			func(row pgx.Row) (reference, error) {
				var r reference
				err := row.Scan(&r.pk, &r.ref)
				return r, err
			})
		if err != nil {
			return stock.ItemSources{}, fmt.Errorf("order references: %w", err)
		}
		for _, r := range refs {
			out.OrderReferences[r.pk] = r.ref
		}
	}
	if len(supplierParts) > 0 {
		sps, err := m.companies.SupplierParts(ctx, supplierParts, companies.SupplierPartDetail{})
		if err != nil {
			return stock.ItemSources{}, err
		}
		for pk, sp := range sps {
			src := stock.SupplierPartSource{SKU: sp.SKU, MPN: sp.MPN}
			if supplierPartDetail {
				if src.Detail, err = json.Marshal(sp.Brief()); err != nil {
					return stock.ItemSources{}, fmt.Errorf("supplier part %d: %w", pk, err)
				}
			}
			out.SupplierParts[pk] = src
		}
	}
	return out, nil
}
