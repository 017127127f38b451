package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/projections/companies"
	"github.com/stockledger/stockledger/projections/orders"
	"github.com/stockledger/stockledger/projections/parts"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// Where stock items came from: the supplier part and purchase order filters of
// /api/stock/, and the supplier part a stock item is created or edited with. Without
// the companies (or orders) read model, no supplier part (or order) exists.

// sourceFilters reads StockFilter's supplier_part and purchase_order: model choices,
// so an id that names none is refused.
func (s *server) sourceFilters(ctx context.Context, q *query, f *stockrm.ItemFilter) error {
	if pk, ok := q.pk("supplier_part"); ok {
		var err error = &domain.NotFoundError{}
		if s.cfg.Companies != nil {
			_, err = s.cfg.Companies.GetSupplierPart(ctx, pk, companies.SupplierPartDetail{})
		}
		if err := choiceError(q, "supplier_part", err); err != nil {
			return err
		}
		f.SupplierPart = &pk
	}
	if pk, ok := q.pk("purchase_order"); ok {
		var err error = &domain.NotFoundError{}
		if s.cfg.Orders != nil {
			_, err = s.cfg.Orders.GetOrder(ctx, pk, orders.OrderDetail{})
		}
		if err := choiceError(q, "purchase_order", err); err != nil {
			return err
		}
		f.PurchaseOrder = &pk
	}
	return nil
}

// choiceError records a choice that does not exist as the filter's error, and returns
// any other error.
func choiceError(q *query, name string, err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		q.errs.Add(name, msgInvalidChoice)
		return nil
	}
	return err
}

// itemSupplierPart is the supplier part a new stock item names (StockList.create
// looks it up first): nil for none, msgNoSupplierPart for one that does not exist.
func (s *server) itemSupplierPart(ctx context.Context, pk *int64) (*companies.SupplierPart, error) {
	if pk == nil || *pk == 0 {
		return nil, nil
	}
	if s.cfg.Companies == nil {
		return nil, domain.Invalid("supplier_part", msgNoSupplierPart)
	}
	sp, err := s.cfg.Companies.GetSupplierPart(ctx, *pk, companies.SupplierPartDetail{})
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.Invalid("supplier_part", msgNoSupplierPart)
	}
	if err != nil {
		return nil, err
	}
	return &sp, nil
}

// usePackSize is StockList.create's pack size rule: with a supplier part whose pack is
// not one unit, use_pack_size must be given; when true (Python's truth of the value as
// sent), quantity counts packs and purchase_price is per pack.
func usePackSize(b *body, sp *companies.SupplierPart, p *itemPatch) error {
	if sp == nil || sp.PackQuantityNative.Equal(decimal.NewFromInt(1)) {
		return nil
	}
	raw, ok := b.raw["use_pack_size"]
	if !ok {
		return domain.Invalid("use_pack_size", msgPackSizeFlag)
	}
	if !pyTruth(raw) {
		return nil
	}
	pack := sp.PackQuantityNative.Decimal
	if p.quantity != nil {
		q := p.quantity.Mul(pack)
		p.quantity = &q
	}
	if p.price != nil && p.price.Valid && !p.price.Decimal.IsZero() && !pack.IsZero() {
		p.price = &decimal.NullDecimal{Decimal: p.price.Decimal.DivRound(pack, 6), Valid: true}
	}
	return nil
}

// pyTruth is bool() of a JSON value in Python.
func pyTruth(raw []byte) bool {
	switch k := kindOf(raw); k {
	case kindBool:
		return string(raw) == "true"
	case kindNumber:
		d, err := decimal.NewFromString(scalarText(raw))
		return err != nil || !d.IsZero()
	case kindString:
		return scalarText(raw) != ""
	case kindArray, kindObject:
		return len(raw) > 2
	}
	return false
}

// checkSupplierPart is StockItem.clean's rule on a supplier part set on an item: it
// exists, and is a supplier part of the item's part.
func (s *server) checkSupplierPart(ctx context.Context, pk, currentPart int64, newPart *int64) error {
	var sp companies.SupplierPart
	var err error = &domain.NotFoundError{}
	if s.cfg.Companies != nil {
		sp, err = s.cfg.Companies.GetSupplierPart(ctx, pk, companies.SupplierPartDetail{})
	}
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.NotFoundError{Kind: "SupplierPart", ID: pk, Field: "supplier_part"}
	}
	if err != nil {
		return err
	}
	part := currentPart
	if newPart != nil && *newPart != 0 {
		part = *newPart
	}
	if sp.Part == part {
		return nil
	}
	return domain.Invalid("supplier_part", fmt.Sprintf("Part type ('%s') must be %s",
		s.partText(ctx, sp.Part), s.partText(ctx, part)))
}

// partText is str() of a part (Part.__str__): its full name and description.
func (s *server) partText(ctx context.Context, pk int64) string {
	if s.cfg.Parts != nil {
		if p, err := s.cfg.Parts.GetPart(ctx, pk, parts.PartDetail{}); err == nil {
			return p.FullName + " - " + p.Description
		}
	}
	return fmt.Sprintf("Part %d", pk)
}
