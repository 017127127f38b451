package levels

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/internal/drftime"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// ReadModel answers queries on the stock levels.
type ReadModel struct {
	pool *pgxpool.Pool
}

// NewReadModel returns the stock levels' queries on pool.
func NewReadModel(pool *pgxpool.Pool) (*ReadModel, error) {
	if pool == nil {
		return nil, errors.New("stock levels read model: no pool")
	}
	return &ReadModel{pool: pool}, nil
}

// Where selects the stock a level counts: a part's, at locations chosen as /api/stock/
// chooses them (StockList.filter_queryset), in the location tree as it stood at the
// instant asked about.
type Where struct {
	// Part is the part counted; 0 counts every part, each on its own rows.
	Part int64
	// Location counts stock there and, with Cascade, below it; 0 with LocationNull and
	// no Cascade counts stock at no location; 0 otherwise counts every location.
	Location     int64
	LocationNull bool
	Cascade      bool
}

// Level is the quantity of a part in stock at a location at an instant (a row of
// /api/report/stock-level/). Location is null for stock at no location.
type Level struct {
	Part     int64          `json:"part"`
	Location *int64         `json:"location"`
	Quantity stockrm.Number `json:"quantity"`
}

// pairsAt is the SQL of the (part, location) pairs w selects with their balances at
// the instant the SQL expression at names: each pair's last movement up to then.
func pairsAt(w Where, at string, args *[]any) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	sql := `SELECT b.part, b.location, m.qty, m.items FROM stock_level_balances b
		CROSS JOIN LATERAL (SELECT m.qty, m.items FROM stock_level_moves m
			WHERE m.part = b.part AND m.location = b.location AND m.at <= ` + at + `
			ORDER BY m.at DESC, m.seq DESC LIMIT 1) m
		WHERE true`
	if w.Part != 0 {
		sql += " AND b.part = " + arg(w.Part)
	}
	switch {
	case w.Location != 0 && w.Cascade:
		sql += " AND b.location IN (SELECT stock_level_subtree(" + arg(w.Location) + ", " + at + "))"
	case w.Location != 0:
		sql += " AND b.location = " + arg(w.Location)
	case w.LocationNull && !w.Cascade:
		sql += " AND b.location = 0"
	}
	return sql
}

// Levels are the quantities in stock at instant at, per part and location, in part
// and location order; pairs holding nothing then are left out.
func (r *ReadModel) Levels(ctx context.Context, w Where, at time.Time) ([]Level, error) {
	args := []any{at}
	sql := `SELECT part, location, qty::text FROM (` + pairsAt(w, "$1", &args) + `) x
		WHERE qty <> 0 ORDER BY part, location`
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("stock levels at %s: %w", at, err)
	}
	out := []Level{}
	var l Level
	var loc int64
	var qty string
	_, err = pgx.ForEachRow(rows, []any{&l.Part, &loc, &qty}, func() error {
		q, err := decimal.NewFromString(qty)
		if err != nil {
			return err
		}
		l.Quantity, l.Location = stockrm.Number{Decimal: q}, nil
		if loc != 0 {
			at := loc // loc is scanned into again for the next row
			l.Location = &at
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stock levels at %s: %w", at, err)
	}
	return out, nil
}

// Interval is the length of a stock history's periods.
type Interval string

// The intervals: calendar days, ISO weeks (from Monday) and calendar months, in UTC.
const (
	Day   Interval = "day"
	Week  Interval = "week"
	Month Interval = "month"
)

// Valid reports whether i is one of the intervals.
func (i Interval) Valid() bool { return i == Day || i == Week || i == Month }

// Points are the instants a stock history from..to reports at: from, every start of an
// interval between them, and to.
func Points(from, to time.Time, i Interval) []time.Time {
	from, to = from.UTC(), to.UTC()
	points := []time.Time{from}
	y, m, d := from.Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch i {
	case Week:
		t = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case Month:
		t = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	}
	for {
		switch i {
		case Day:
			t = t.AddDate(0, 0, 1)
		case Week:
			t = t.AddDate(0, 0, 7)
		default:
			t = t.AddDate(0, 1, 0)
		}
		if !t.Before(to) {
			break
		}
		points = append(points, t)
	}
	return append(points, to)
}

// Period is one row of /api/report/stock-history/: the quantity in stock at the end of
// a period and how it changed over the period.
type Period struct {
	Start    string         `json:"start"`
	End      string         `json:"end"`
	Quantity stockrm.Number `json:"quantity"`
	Change   stockrm.Number `json:"change"`
}

// Series is the stock history of what w selects over the periods between points (see
// Points): the total quantity at the end of each, and its change since the start.
// Each point's total counts the locations below w.Location as they stood then.
func (r *ReadModel) Series(ctx context.Context, w Where, points []time.Time) ([]Period, error) {
	if len(points) < 2 {
		return []Period{}, nil
	}
	args := []any{points}
	sql := `SELECT p.t, coalesce(sum(x.qty), 0)::text FROM unnest($1::timestamptz[]) AS p(t)
		LEFT JOIN LATERAL (` + pairsAt(w, "p.t", &args) + `) x ON true
		GROUP BY p.t ORDER BY p.t`
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("stock history: %w", err)
	}
	var totals []decimal.Decimal
	var t time.Time
	var qty string
	_, err = pgx.ForEachRow(rows, []any{&t, &qty}, func() error {
		q, err := decimal.NewFromString(qty)
		totals = append(totals, q)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stock history: %w", err)
	}
	if len(totals) != len(points) {
		return nil, fmt.Errorf("stock history: %d totals for %d points (points must differ and be in order)", len(totals), len(points))
	}
	out := make([]Period, len(points)-1)
	for i := range out {
		out[i] = Period{
			Start: drftime.Format(points[i]), End: drftime.Format(points[i+1]),
			Quantity: stockrm.Number{Decimal: totals[i+1]}, Change: stockrm.Number{Decimal: totals[i+1].Sub(totals[i])},
		}
	}
	return out, nil
}

// Figures are a part's stock figures at an instant, as /api/part/ shows them.
type Figures struct {
	// InStock is the part's own stock, VariantStock its variants', ExternalStock the
	// part's own at external locations.
	InStock, VariantStock, ExternalStock decimal.Decimal
	// Items counts the part's stock items that existed, in stock or not.
	Items int64
}

// PartFigures are part's stock figures at instant at; variants are the parts below it
// in its variant tree.
func (r *ReadModel) PartFigures(ctx context.Context, part int64, variants []int64, at time.Time) (Figures, error) {
	var f Figures
	var in, variant, external string
	err := r.pool.QueryRow(ctx, `SELECT
			coalesce(sum(m.qty) FILTER (WHERE b.part = $1), 0)::text,
			coalesce(sum(m.qty) FILTER (WHERE b.part <> $1), 0)::text,
			coalesce(sum(m.qty) FILTER (WHERE b.part = $1 AND l.external), 0)::text,
			coalesce(sum(m.items) FILTER (WHERE b.part = $1), 0)
		FROM stock_level_balances b
		CROSS JOIN LATERAL (SELECT m.qty, m.items FROM stock_level_moves m
			WHERE m.part = b.part AND m.location = b.location AND m.at <= $3
			ORDER BY m.at DESC, m.seq DESC LIMIT 1) m
		LEFT JOIN LATERAL (SELECT l.external FROM stock_level_locations l
			WHERE l.location = b.location AND l.at <= $3 ORDER BY l.at DESC, l.seq DESC LIMIT 1) l ON true
		WHERE b.part = ANY($2::bigint[])`, part, append([]int64{part}, variants...), at).
		Scan(&in, &variant, &external, &f.Items)
	if err != nil {
		return Figures{}, fmt.Errorf("part %d stock figures at %s: %w", part, at, err)
	}
	for _, x := range []struct {
		dst  *decimal.Decimal
		text string
	}{{&f.InStock, in}, {&f.VariantStock, variant}, {&f.ExternalStock, external}} {
		if *x.dst, err = decimal.NewFromString(x.text); err != nil {
			return Figures{}, fmt.Errorf("part %d stock figures: %w", part, err)
		}
	}
	return f, nil
}

// LocationKnown reports whether pk is a stock location that exists or once existed.
func (r *ReadModel) LocationKnown(ctx context.Context, pk int64) (bool, error) {
	var known bool
	err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM stock_level_locations WHERE location = $1)`, pk).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("stock location %d: %w", pk, err)
	}
	return known, nil
}
