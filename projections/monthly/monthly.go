// Package monthly is the monthly movement summary: per part and calendar month, how
// much stock was received, shipped, consumed and adjusted, with its value where the
// items carry a purchase price. It is served read-only at
// /api/report/monthly-movements/.
//
// It came after the other read models: a server that first runs it finds its checkpoint
// at the start of the log and backfills it from the whole history in the background
// while the API serves, as the runner does for any projection it has not seen before.
//
// What counts as what (the stock events as the stock domain records them):
//   - received: a new item that is not split off another one (ItemCreated without a
//     parent): stock entering the books;
//   - consumed: an item installed into an assembly (ItemInstalled), less what is
//     uninstalled again (ItemUninstalled);
//   - adjusted: stock added or removed by hand (StockAdded, StockRemoved other than into
//     another item), the difference a stocktake found (StockCounted), a quantity edited
//     (ItemUpdated), and an item deleted with stock in it;
//   - shipped: stock leaving to customers (ItemAssignedToCustomer), less what they
//     send back (ItemReturnedFromCustomer). Sales order shipments will count here too.
//
// Transfers, splits, merges, serializations and status changes move stock between
// items of one part and are not movements of the part.
package monthly

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Name is the projector's checkpoint name. Stored: renaming it rebuilds the read model.
const Name = "monthly_movements"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the read model's schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_monthly", migrationFiles) }

// Migrate creates or upgrades the read model's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// Projector folds stock events into the summary, a batch at a time: it reads the
// batch's items once, adds up in memory, and writes each touched row once.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the projector.
func NewProjector() (*Projector, error) {
	codec, err := domain.NewCodec(stockdomain.Events())
	if err != nil {
		return nil, fmt.Errorf("monthly projector: %w", err)
	}
	return &Projector{codec: codec}, nil
}

// Name implements projections.Projector.
func (*Projector) Name() string { return Name }

// Migrations implements projections.Projector.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// handled are the event types the summary reads.
var handled = map[string]bool{
	stockdomain.TypeItemCreated: true, stockdomain.TypeItemUpdated: true, stockdomain.TypeStockAdded: true,
	stockdomain.TypeStockRemoved: true, stockdomain.TypeStockCounted: true, stockdomain.TypeItemsMerged: true,
	stockdomain.TypeItemInstalled: true, stockdomain.TypeItemUninstalled: true, stockdomain.TypeItemDeleted: true,
	stockdomain.TypeItemAssignedToCustomer: true, stockdomain.TypeItemReturnedFromCustomer: true,
}

// The kinds of movement, as indexes into sums.
const (
	received = iota
	shipped
	consumed
	adjusted
	kinds
)

// item is what the summary knows of a stock item.
type item struct {
	part     int64
	price    *decimal.Decimal
	currency string
	stored   bool // as the table holds it
	deleted  bool
}

type key struct {
	part     int64
	month    string // YYYY-MM-01
	currency string
}

// sums are a row's quantities and values, by kind: [2k] the quantity, [2k+1] the value.
type sums [2 * kinds]decimal.Decimal

// batch is one batch's fold.
type batch struct {
	items map[int64]*item
	rows  map[key]*sums
	order []key // rows in the order first touched, so writes are repeatable
}

// Project implements projections.Projector.
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, recs []eventstore.Recorded) error {
	type decoded struct {
		ev domain.Event
		at time.Time
	}
	var evs []decoded
	var known []int64
	for _, r := range recs {
		if !handled[r.Type] {
			continue
		}
		ev, err := p.codec.Decode(r.Type, r.Schema, r.Data)
		if err != nil {
			return fmt.Errorf("%s@%d: %w", r.Stream, r.Version, err)
		}
		evs = append(evs, decoded{ev, r.RecordedAt})
		if _, created := ev.(stockdomain.ItemCreated); !created {
			known = append(known, itemOf(ev))
		}
	}
	if len(evs) == 0 {
		return nil
	}
	b := &batch{items: map[int64]*item{}, rows: map[key]*sums{}}
	if err := b.load(ctx, tx, known); err != nil {
		return err
	}
	for _, d := range evs {
		b.apply(d.ev, d.at)
	}
	return b.write(ctx, tx)
}

// itemOf is the item an event (other than ItemCreated) is about.
func itemOf(ev domain.Event) int64 {
	switch e := ev.(type) {
	case stockdomain.ItemUpdated:
		return e.PK
	case stockdomain.StockAdded:
		return e.PK
	case stockdomain.StockRemoved:
		return e.PK
	case stockdomain.StockCounted:
		return e.PK
	case stockdomain.ItemsMerged:
		return e.PK
	case stockdomain.ItemInstalled:
		return e.PK
	case stockdomain.ItemUninstalled:
		return e.PK
	case stockdomain.ItemDeleted:
		return e.PK
	case stockdomain.ItemAssignedToCustomer:
		return e.PK
	case stockdomain.ItemReturnedFromCustomer:
		return e.PK
	}
	return 0
}

func (b *batch) load(ctx context.Context, tx pgx.Tx, pks []int64) error {
	if len(pks) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT pk, part, price::text, currency FROM monthly_items WHERE pk = ANY($1)`, pks)
	if err != nil {
		return fmt.Errorf("load items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var price *string
		it := &item{stored: true}
		if err := rows.Scan(&pk, &it.part, &price, &it.currency); err != nil {
			return fmt.Errorf("load items: %w", err)
		}
		if price != nil {
			d, err := decimal.NewFromString(*price)
			if err != nil {
				return fmt.Errorf("load item %d: price %q: %w", pk, *price, err)
			}
			it.price = &d
		}
		b.items[pk] = it
	}
	return rows.Err()
}

func (b *batch) apply(ev domain.Event, at time.Time) {
	switch e := ev.(type) {
	case stockdomain.ItemCreated:
		it := &item{part: e.Part, price: e.PurchasePrice, currency: e.PurchasePriceCurrency}
		b.items[e.PK] = it
		if e.Parent == 0 {
			b.add(e.PK, received, e.Quantity, at)
		}
	case stockdomain.ItemUpdated:
		if e.Quantity != nil {
			b.add(e.PK, adjusted, e.Quantity.New.Sub(e.Quantity.Old), at)
		}
		if it := b.items[e.PK]; it != nil {
			if e.PurchasePrice != nil {
				it.price, it.stored = nil, false
				if e.PurchasePrice.New.Valid {
					it.price = &e.PurchasePrice.New.Decimal
				}
			}
			if e.PurchasePriceCurrency != nil {
				it.currency, it.stored = e.PurchasePriceCurrency.New, false
			}
		}
	case stockdomain.StockAdded:
		b.add(e.PK, adjusted, e.Quantity, at)
	case stockdomain.StockRemoved:
		if e.MergedInto == 0 {
			b.add(e.PK, adjusted, e.Quantity.Neg(), at)
		}
	case stockdomain.StockCounted:
		b.add(e.PK, adjusted, e.NewQuantity.Sub(e.OldQuantity), at)
	case stockdomain.ItemsMerged:
		if it := b.items[e.PK]; it != nil && e.PurchasePrice != nil {
			it.price, it.stored = nil, false
			if e.PurchasePrice.New.Valid {
				it.price = &e.PurchasePrice.New.Decimal
			}
		}
	case stockdomain.ItemInstalled:
		b.add(e.PK, consumed, e.Quantity, at)
	case stockdomain.ItemUninstalled:
		b.add(e.PK, consumed, e.Quantity.Neg(), at)
	case stockdomain.ItemAssignedToCustomer:
		b.add(e.PK, shipped, e.Quantity, at)
	case stockdomain.ItemReturnedFromCustomer:
		b.add(e.PK, shipped, e.Quantity.Neg(), at)
	case stockdomain.ItemDeleted:
		switch e.Reason {
		case stockdomain.ReasonDeleted, stockdomain.ReasonLocationDeleted:
			// Deleted with stock in it: written off. (Depleted items hold none,
			// merged ones went into another item, and items deleted with their
			// assembly were consumed when installed.)
			b.add(e.PK, adjusted, e.Quantity.Neg(), at)
		}
		if it := b.items[e.PK]; it != nil {
			it.deleted = true
		}
	}
}

// add counts qty of an item's part as a movement of kind in the month of at.
func (b *batch) add(pk int64, kind int, qty decimal.Decimal, at time.Time) {
	it := b.items[pk]
	if it == nil || qty.IsZero() {
		return // an item the summary never saw created: nothing to count it against
	}
	k := key{part: it.part, month: at.UTC().Format("2006-01") + "-01"}
	if it.price != nil {
		k.currency = it.currency
	}
	s := b.rows[k]
	if s == nil {
		s = &sums{}
		b.rows[k] = s
		b.order = append(b.order, k)
	}
	s[2*kind] = s[2*kind].Add(qty)
	if it.price != nil {
		s[2*kind+1] = s[2*kind+1].Add(qty.Mul(*it.price))
	}
}

func (b *batch) write(ctx context.Context, tx pgx.Tx) error {
	var (
		upPKs, upParts   []int64
		upPrices         []*string
		upCurrencies     []string
		deleted          []int64
		parts            []int64
		months, currency []string
		cols             [2 * kinds][]string
	)
	for pk, it := range b.items {
		switch {
		case it.deleted:
			if it.stored {
				deleted = append(deleted, pk)
			}
		case !it.stored:
			var price *string
			if it.price != nil {
				s := it.price.String()
				price = &s
			}
			upPKs, upParts, upPrices, upCurrencies = append(upPKs, pk), append(upParts, it.part), append(upPrices, price), append(upCurrencies, it.currency)
		}
	}
	for _, k := range b.order {
		parts, months, currency = append(parts, k.part), append(months, k.month), append(currency, k.currency)
		for i, v := range b.rows[k] {
			cols[i] = append(cols[i], v.String())
		}
	}
	send := &pgx.Batch{}
	if len(upPKs) > 0 {
		send.Queue(`INSERT INTO monthly_items (pk, part, price, currency)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::text[])
			ON CONFLICT (pk) DO UPDATE SET part = excluded.part, price = excluded.price, currency = excluded.currency`,
			upPKs, upParts, upPrices, upCurrencies)
	}
	if len(deleted) > 0 {
		send.Queue(`DELETE FROM monthly_items WHERE pk = ANY($1)`, deleted)
	}
	if len(parts) > 0 {
		// Sums are stored without trailing zeros, so that how the log was cut into
		// batches leaves no trace in the rows (1.50 + 1.5 against 3.0 in one batch).
		send.Queue(`INSERT INTO part_monthly_movements AS m (part, month, currency, received, received_value,
				shipped, shipped_value, consumed, consumed_value, adjusted, adjusted_value)
			SELECT part, month, currency, trim_scale(r), trim_scale(rv), trim_scale(s), trim_scale(sv),
				trim_scale(c), trim_scale(cv), trim_scale(a), trim_scale(av)
			FROM unnest($1::bigint[], $2::date[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[],
				$7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[])
				AS u(part, month, currency, r, rv, s, sv, c, cv, a, av)
			ON CONFLICT (part, month, currency) DO UPDATE SET
				received = trim_scale(m.received + excluded.received),
				received_value = trim_scale(m.received_value + excluded.received_value),
				shipped = trim_scale(m.shipped + excluded.shipped),
				shipped_value = trim_scale(m.shipped_value + excluded.shipped_value),
				consumed = trim_scale(m.consumed + excluded.consumed),
				consumed_value = trim_scale(m.consumed_value + excluded.consumed_value),
				adjusted = trim_scale(m.adjusted + excluded.adjusted),
				adjusted_value = trim_scale(m.adjusted_value + excluded.adjusted_value)`,
			parts, months, currency, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7])
	}
	if send.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, send).Close(); err != nil {
		return fmt.Errorf("store monthly movements: %w", err)
	}
	return nil
}
