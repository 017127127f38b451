// Package levels projects the stock events into stock levels through time: how much of
// each part was in stock at each location at any past instant, for the stock-level and
// stock-history reports and for parts "as of" a moment. It answers from movements
// recorded as the events came, never by replaying the log per request.
//
// The projector folds each stock item's events with the domain's own Item, so what
// counts as "in stock" is the domain's rule (Item.InStock), and it keeps the folded
// fields of every item between batches to fold its next event. Every change of what an
// item contributes to a (part, location) becomes a movement; see the migration for the
// tables.
package levels

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the stock levels' schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_levels", migrationFiles) }

// Migrate creates or upgrades the stock levels' tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// ProjectorName is the stock levels projector's checkpoint name. Stored: renaming it
// rebuilds the levels from the start of the log.
const ProjectorName = "stock_levels"

// Stream categories the projector reads (commands.StockItemCategory and
// StockLocationCategory; stored in stream names).
const (
	itemCategory     = "stockitem"
	locationCategory = "stocklocation"
)

// Projector keeps the stock levels.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the stock levels projector.
func NewProjector() *Projector {
	codec, err := domain.NewCodec(stockdomain.Events())
	if err != nil {
		panic(err) // the event table is static; a duplicate is a programming error
	}
	return &Projector{codec: codec}
}

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations implements projections.Projector.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// Project folds a batch: the items' and locations' current states are read once for
// the batch, the events folded in memory in log order, and the movements, balances and
// states written in a few statements.
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	b := &batchState{items: map[int64]*itemState{}, locations: map[int64]*locationState{}, pairs: map[pair]*balance{}}
	var events []decoded
	for _, rec := range batch {
		cat := rec.Category()
		if cat != itemCategory && cat != locationCategory {
			continue
		}
		ev, err := p.codec.Decode(rec.Type, rec.Schema, rec.Data)
		if err != nil {
			return fmt.Errorf("%s@%d: %w", rec.Stream, rec.Version, err)
		}
		pk, err := streamPK(rec.Stream)
		if err != nil {
			return err
		}
		events = append(events, decoded{rec: rec, ev: ev, pk: pk, location: cat == locationCategory})
	}
	if len(events) == 0 {
		return nil
	}
	if err := b.load(ctx, tx, events); err != nil {
		return err
	}
	for _, d := range events {
		if d.location {
			b.foldLocation(d)
		} else {
			b.foldItem(d)
		}
	}
	if err := b.loadBalances(ctx, tx); err != nil {
		return err
	}
	return b.write(ctx, tx)
}

// decoded is one event the projector reads, decoded, with its aggregate's pk.
type decoded struct {
	rec      eventstore.Recorded
	ev       domain.Event
	pk       int64
	location bool // a location's event, else an item's
}

func streamPK(stream string) (int64, error) {
	_, id, _ := strings.Cut(stream, "-")
	pk, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stream %s: not <category>-<pk>: %w", stream, err)
	}
	return pk, nil
}

// pair is a (part, location) whose level is kept; location 0 is "no location".
type pair struct{ part, location int64 }

// balance is a pair's running balances.
type balance struct {
	qty   decimal.Decimal
	items int64
	at    time.Time
}

// contribution is what an item adds to its pair's balances.
type contribution struct {
	pair
	qty    decimal.Decimal
	exists bool
}

// itemState is an item being folded in this batch.
type itemState struct {
	item    *stockdomain.Item
	dirty   bool // to store
	deleted bool // to remove
}

func (s *itemState) contribution() contribution {
	if s.item == nil || !s.item.Exists() {
		return contribution{}
	}
	d := s.item.Data()
	c := contribution{pair: pair{d.Part, d.Location}, exists: true}
	if s.item.InStock() {
		c.qty = d.Quantity
	}
	return c
}

// locationState is a location's parent and flag, as last recorded.
type locationState struct {
	parent   int64
	external bool
}

// move is one movement row, before its balances are known.
type move struct {
	pair
	at    time.Time
	qty   decimal.Decimal
	items int64
}

// locationRow is one row of the location tree's history.
type locationRow struct {
	location, parent  int64
	at                time.Time
	external, deleted bool
}

type batchState struct {
	items     map[int64]*itemState
	locations map[int64]*locationState
	pairs     map[pair]*balance
	moves     []move
	locRows   []locationRow
}

// load reads the stored states of the items and locations the batch touches.
func (b *batchState) load(ctx context.Context, tx pgx.Tx, events []decoded) error {
	var items, locs []int64
	for _, d := range events {
		if d.location {
			if _, ok := b.locations[d.pk]; !ok {
				b.locations[d.pk] = &locationState{}
				locs = append(locs, d.pk)
			}
		} else if _, ok := b.items[d.pk]; !ok {
			b.items[d.pk] = &itemState{item: &stockdomain.Item{}}
			items = append(items, d.pk)
		}
	}
	rows, err := tx.Query(ctx, `SELECT pk, data FROM stock_level_items WHERE pk = ANY($1)`, items)
	if err != nil {
		return fmt.Errorf("load items: %w", err)
	}
	var pk int64
	var data string
	_, err = pgx.ForEachRow(rows, []any{&pk, &data}, func() error {
		var d stockdomain.ItemData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return fmt.Errorf("item %d: %w", pk, err)
		}
		// The item's fields are all the folding needs: the event that created it, with
		// the fields it has now, rebuilds it.
		b.items[pk].item.Apply(stockdomain.ItemCreated{PK: pk, ItemData: d})
		return nil
	})
	if err != nil {
		return fmt.Errorf("load items: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT DISTINCT ON (location) location, parent, external FROM stock_level_locations
		WHERE location = ANY($1) ORDER BY location, at DESC, seq DESC`, locs)
	if err != nil {
		return fmt.Errorf("load locations: %w", err)
	}
	var parent int64
	var external bool
	_, err = pgx.ForEachRow(rows, []any{&pk, &parent, &external}, func() error {
		*b.locations[pk] = locationState{parent: parent, external: external}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load locations: %w", err)
	}
	return nil
}

// foldItem applies an item event and records the movements it makes.
func (b *batchState) foldItem(d decoded) {
	s := b.items[d.pk]
	before := s.contribution()
	s.item.Apply(d.ev)
	after := s.contribution()
	s.dirty, s.deleted = s.item.Exists(), !s.item.Exists()
	at := d.rec.RecordedAt
	switch {
	case before.exists && after.exists && before.pair == after.pair:
		if !after.qty.Equal(before.qty) {
			b.moves = append(b.moves, move{pair: after.pair, at: at, qty: after.qty.Sub(before.qty)})
		}
	default:
		if before.exists {
			b.moves = append(b.moves, move{pair: before.pair, at: at, qty: before.qty.Neg(), items: -1})
		}
		if after.exists {
			b.moves = append(b.moves, move{pair: after.pair, at: at, qty: after.qty, items: 1})
		}
	}
}

// foldLocation records a location's place in the tree when it changes.
func (b *batchState) foldLocation(d decoded) {
	s := b.locations[d.pk]
	row := locationRow{location: d.pk, at: d.rec.RecordedAt}
	switch e := d.ev.(type) {
	case stockdomain.LocationCreated:
		s.parent, s.external = e.Parent, e.External
	case stockdomain.LocationUpdated:
		if e.Parent == nil && e.External == nil {
			return
		}
		if e.Parent != nil {
			s.parent = e.Parent.New
		}
		if e.External != nil {
			s.external = e.External.New
		}
	case stockdomain.LocationDeleted:
		row.deleted = true
	default:
		return
	}
	row.parent, row.external = s.parent, s.external
	b.locRows = append(b.locRows, row)
}

// loadBalances reads the balances of the pairs the batch moves.
func (b *batchState) loadBalances(ctx context.Context, tx pgx.Tx) error {
	var parts, locs []int64
	for _, m := range b.moves {
		if _, ok := b.pairs[m.pair]; !ok {
			b.pairs[m.pair] = &balance{}
			parts, locs = append(parts, m.part), append(locs, m.location)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT b.part, b.location, b.qty::text, b.items, b.at
		FROM unnest($1::bigint[], $2::bigint[]) AS k(part, location)
		JOIN stock_level_balances b ON b.part = k.part AND b.location = k.location`, parts, locs)
	if err != nil {
		return fmt.Errorf("load balances: %w", err)
	}
	var p pair
	var qty string
	var bal balance
	_, err = pgx.ForEachRow(rows, []any{&p.part, &p.location, &qty, &bal.items, &bal.at}, func() error {
		q, err := decimal.NewFromString(qty)
		if err != nil {
			return err
		}
		*b.pairs[p] = balance{qty: q, items: bal.items, at: bal.at}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load balances: %w", err)
	}
	return nil
}

// deferrer is the runner's transaction (projections.Tx). The writes need no answer,
// so they are deferred: they travel with the checkpoint and the COMMIT in one round
// trip, and the batch's transaction, which holds back every reader of the log while it
// is open, ends sooner.
type deferrer interface {
	Defer(sql string, args ...any)
}

// exec writes: deferred with the runner's transaction, at once with another.
func exec(ctx context.Context, tx pgx.Tx, sql string, args ...any) error {
	if d, ok := tx.(deferrer); ok {
		d.Defer(sql, args...)
		return nil
	}
	_, err := tx.Exec(ctx, sql, args...)
	return err
}

// write stores the batch: the movements with their balances, the pairs' balances, the
// items' states and the location rows.
func (b *batchState) write(ctx context.Context, tx pgx.Tx) error {
	for _, w := range []func(context.Context, pgx.Tx) error{b.writeMoves, b.writeItems, b.writeLocations} {
		if err := w(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

func (b *batchState) writeMoves(ctx context.Context, tx pgx.Tx) error {
	if len(b.moves) == 0 {
		return nil
	}
	n := len(b.moves)
	parts, locs, items, itemBal := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	ats, qtys, qtyBal := make([]time.Time, n), make([]string, n), make([]string, n)
	for i, m := range b.moves {
		bal := b.pairs[m.pair]
		bal.qty, bal.items = bal.qty.Add(m.qty), bal.items+m.items
		if m.at.After(bal.at) {
			bal.at = m.at
		}
		parts[i], locs[i], ats[i] = m.part, m.location, bal.at
		qtys[i], qtyBal[i], items[i], itemBal[i] = m.qty.String(), bal.qty.String(), m.items, bal.items
	}
	if err := exec(ctx, tx, `INSERT INTO stock_level_moves (seq, part, location, at, qty_delta, qty, items_delta, items)
		SELECT (SELECT coalesce(max(seq), 0) FROM stock_level_moves) + m.ord, m.part, m.location, m.at,
			m.qd::numeric, m.q::numeric, m.id, m.i
		FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::bigint[])
			WITH ORDINALITY AS m(part, location, at, qd, q, id, i, ord)
		ORDER BY m.ord`, parts, locs, ats, qtys, qtyBal, items, itemBal); err != nil {
		return fmt.Errorf("write movements: %w", err)
	}
	var bParts, bLocs, bItems []int64
	var bAts []time.Time
	var bQtys []string
	for p, bal := range b.pairs {
		bParts, bLocs, bAts = append(bParts, p.part), append(bLocs, p.location), append(bAts, bal.at)
		bQtys, bItems = append(bQtys, bal.qty.String()), append(bItems, bal.items)
	}
	if err := exec(ctx, tx, `INSERT INTO stock_level_balances (part, location, qty, items, at)
		SELECT k.part, k.location, k.q::numeric, k.i, k.at
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::timestamptz[]) AS k(part, location, q, i, at)
		ON CONFLICT (part, location) DO UPDATE SET qty = excluded.qty, items = excluded.items, at = excluded.at`,
		bParts, bLocs, bQtys, bItems, bAts); err != nil {
		return fmt.Errorf("write balances: %w", err)
	}
	return nil
}

func (b *batchState) writeItems(ctx context.Context, tx pgx.Tx) error {
	var keep, drop []int64
	var data []string
	for pk, s := range b.items {
		switch {
		case s.deleted:
			drop = append(drop, pk)
		case s.dirty:
			raw, err := json.Marshal(s.item.Data())
			if err != nil {
				return fmt.Errorf("item %d: %w", pk, err)
			}
			keep, data = append(keep, pk), append(data, string(raw))
		}
	}
	if len(keep) > 0 {
		if err := exec(ctx, tx, `INSERT INTO stock_level_items (pk, data) SELECT * FROM unnest($1::bigint[], $2::text[])
			ON CONFLICT (pk) DO UPDATE SET data = excluded.data`, keep, data); err != nil {
			return fmt.Errorf("write items: %w", err)
		}
	}
	if len(drop) > 0 {
		if err := exec(ctx, tx, `DELETE FROM stock_level_items WHERE pk = ANY($1)`, drop); err != nil {
			return fmt.Errorf("write items: %w", err)
		}
	}
	return nil
}

func (b *batchState) writeLocations(ctx context.Context, tx pgx.Tx) error {
	if len(b.locRows) == 0 {
		return nil
	}
	var locs, parents []int64
	var ats []time.Time
	var ext, del []bool
	for _, r := range b.locRows {
		locs, parents, ats = append(locs, r.location), append(parents, r.parent), append(ats, r.at)
		ext, del = append(ext, r.external), append(del, r.deleted)
	}
	if err := exec(ctx, tx, `INSERT INTO stock_level_locations (seq, location, at, parent, external, deleted)
		SELECT (SELECT coalesce(max(seq), 0) FROM stock_level_locations) + l.ord, l.location, l.at, l.parent,
			l.external, l.deleted
		FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bool[], $5::bool[])
			WITH ORDINALITY AS l(location, at, parent, external, deleted, ord)
		ORDER BY l.ord`, locs, ats, parents, ext, del); err != nil {
		return fmt.Errorf("write locations: %w", err)
	}
	return nil
}
