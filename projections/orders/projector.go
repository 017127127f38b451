// Package orders is the read model of purchase orders, their lines and extra lines: a
// projector that keeps its tables from the log, and the queries api/ serves
// /api/order/po/... from. It joins the companies, parts, stock and users read models
// for what an order shows of them (the supplier's name, a line's SKU and part, a
// destination's path, who created the order).
package orders

import (
	"context"
	"embed"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Name is the projector's checkpoint name. Stored: renaming it rebuilds the read model.
const Name = "purchaseorders"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the read model's schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_orders", migrationFiles) }

// Migrate creates or upgrades the read model's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// Projector folds purchase order events into the read model. It decides nothing.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the projector.
func NewProjector() (*Projector, error) {
	codec, err := domain.NewCodec(order.Events())
	if err != nil {
		return nil, fmt.Errorf("orders projector: %w", err)
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
		if rec.Category() != "purchaseorder" {
			continue
		}
		ev, err := p.codec.Decode(rec.Type, rec.Schema, rec.Data)
		if err != nil {
			return fmt.Errorf("%s@%d: %w", rec.Stream, rec.Version, err)
		}
		a := applier{ctx: ctx, tx: tx, rec: rec}
		if err := a.apply(ev); err != nil {
			return fmt.Errorf("%s@%d %s: %w", rec.Stream, rec.Version, rec.Type, err)
		}
	}
	return nil
}

type applier struct {
	ctx context.Context
	tx  pgx.Tx
	rec eventstore.Recorded
}

func (a applier) exec(sql string, args ...any) error {
	_, err := a.tx.Exec(a.ctx, sql, args...)
	return err
}

func (a applier) apply(ev domain.Event) error {
	switch e := ev.(type) {
	case order.OrderCreated:
		return a.upsertOrder(e.PK, e.Fields, e.Reference)
	case order.OrderUpdated:
		return a.upsertOrder(e.PK, e.New, e.Reference)
	case order.OrderDeleted:
		if err := a.exec(`DELETE FROM purchase_order_lines WHERE purchase_order = $1`, e.PK); err != nil {
			return err
		}
		if err := a.exec(`DELETE FROM purchase_order_extra_lines WHERE purchase_order = $1`, e.PK); err != nil {
			return err
		}
		return a.exec(`DELETE FROM purchase_orders WHERE pk = $1`, e.PK)
	case order.LineAdded:
		return a.upsertLine(e.Order, e.PK, e.Fields)
	case order.LineUpdated:
		return a.upsertLine(e.Order, e.PK, e.New)
	case order.LineRemoved:
		return a.touched(e.Order, `DELETE FROM purchase_order_lines WHERE pk = $1`, e.PK)
	case order.ExtraLineAdded:
		return a.upsertExtraLine(e.Order, e.PK, e.Fields)
	case order.ExtraLineUpdated:
		return a.upsertExtraLine(e.Order, e.PK, e.New)
	case order.ExtraLineRemoved:
		return a.touched(e.Order, `DELETE FROM purchase_order_extra_lines WHERE pk = $1`, e.PK)
	case order.OrderIssued:
		return a.status(e.PK, 20, "issue_date", e.IssueDate)
	case order.OrderHeld:
		return a.status(e.PK, 25, "", "")
	case order.OrderCancelled:
		return a.status(e.PK, 40, "", "")
	case order.OrderCompleted:
		return a.status(e.PK, 30, "complete_date", e.CompleteDate)
	case order.OrderReceived:
		for _, l := range e.Lines {
			var loc any
			if l.Location != 0 {
				loc = l.Location
			}
			if err := a.exec(`UPDATE purchase_order_lines SET received = received + $2,
					received_location = coalesce(received_location, $3) WHERE pk = $1`, l.Line, l.Quantity, loc); err != nil {
				return err
			}
		}
		return a.exec(`UPDATE purchase_orders SET updated_at = $2 WHERE pk = $1`, e.PK, a.rec.RecordedAt)
	}
	return nil
}

func nullID(pk int64) any {
	if pk == 0 {
		return nil
	}
	return pk
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (a applier) upsertOrder(pk int64, f order.Fields, refInt int64) error {
	return a.exec(`INSERT INTO purchase_orders (pk, reference, reference_int, description, supplier,
			supplier_reference, link, creation_date, start_date, target_date, responsible, contact, address,
			notes, order_currency, destination, status, created_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 10, $17, $18)
		ON CONFLICT (pk) DO UPDATE SET reference = $2, reference_int = $3, description = $4, supplier = $5,
			supplier_reference = $6, link = $7, creation_date = $8, start_date = $9, target_date = $10,
			responsible = $11, contact = $12, address = $13, notes = $14, order_currency = $15,
			destination = $16, created_by = $17, updated_at = $18`,
		pk, f.Reference, refInt, f.Description, nullID(f.Supplier), f.SupplierReference, f.Link,
		nullText(f.CreationDate), nullText(f.StartDate), nullText(f.TargetDate), nullID(f.Responsible),
		nullID(f.Contact), nullID(f.Address), f.Notes, nullText(f.OrderCurrency), nullID(f.Destination),
		nullID(f.CreatedBy), a.rec.RecordedAt)
}

// status records a transition: the order's status (and its lines'), and a date.
func (a applier) status(pk int64, code int, dateColumn, date string) error {
	set := "status = $2, updated_at = $3"
	args := []any{pk, code, a.rec.RecordedAt}
	if dateColumn != "" {
		set += ", " + dateColumn + " = $4"
		args = append(args, date)
	}
	if err := a.exec(`UPDATE purchase_orders SET `+set+` WHERE pk = $1`, args...); err != nil {
		return err
	}
	return a.exec(`UPDATE purchase_order_lines SET order_status = $2 WHERE purchase_order = $1`, pk, code)
}

// touched runs sql on a line of order and marks the order updated.
func (a applier) touched(orderPK int64, sql string, args ...any) error {
	if err := a.exec(sql, args...); err != nil {
		return err
	}
	return a.exec(`UPDATE purchase_orders SET updated_at = $2 WHERE pk = $1`, orderPK, a.rec.RecordedAt)
}

func (a applier) upsertLine(orderPK, pk int64, f order.LineFields) error {
	var price any
	if f.PurchasePrice != nil {
		price = *f.PurchasePrice
	}
	return a.touched(orderPK, `INSERT INTO purchase_order_lines (pk, purchase_order, order_status, supplier_part,
			quantity, reference, notes, link, target_date, purchase_price, purchase_price_currency, destination,
			line, discount)
		VALUES ($1, $2, coalesce((SELECT status FROM purchase_orders WHERE pk = $2), 10), $3, $4, $5, $6, $7, $8,
			$9, $10, $11, $12, $13)
		ON CONFLICT (pk) DO UPDATE SET supplier_part = $3, quantity = $4, reference = $5, notes = $6, link = $7,
			target_date = $8, purchase_price = $9, purchase_price_currency = $10, destination = $11, line = $12,
			discount = $13`,
		pk, orderPK, f.SupplierPart, f.Quantity, f.Reference, f.Notes, f.Link, nullText(f.TargetDate), price,
		f.PurchasePriceCurrency, nullID(f.Destination), f.LineNumber, f.Discount)
}

func (a applier) upsertExtraLine(orderPK, pk int64, f order.ExtraLineFields) error {
	var price any
	if f.Price != nil {
		price = *f.Price
	}
	return a.touched(orderPK, `INSERT INTO purchase_order_extra_lines (pk, purchase_order, description, quantity,
			reference, notes, link, target_date, price, price_currency, line, discount)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (pk) DO UPDATE SET description = $3, quantity = $4, reference = $5, notes = $6, link = $7,
			target_date = $8, price = $9, price_currency = $10, line = $11, discount = $12`,
		pk, orderPK, f.Description, f.Quantity, f.Reference, f.Notes, f.Link, nullText(f.TargetDate), price,
		f.PriceCurrency, f.LineNumber, f.Discount)
}
