package monthly

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Movements is one part's movements in one month.
type Movements struct {
	Part  int64
	Month time.Time // the first day of the month, UTC
	// Received, Shipped, Consumed and Adjusted count every item of the part.
	Received, Shipped, Consumed, Adjusted decimal.Decimal
	// Values are the priced items' movements, valued at their purchase price, one per
	// currency.
	Values []Value
}

// Value is the value of a part's movements in one currency.
type Value struct {
	Currency                              string
	Received, Shipped, Consumed, Adjusted decimal.Decimal
}

// Filter selects and pages the summary. From and To are months, inclusive.
type Filter struct {
	Part          *int64
	From, To      *time.Time
	Limit, Offset int // Limit 0: all
}

// DB is what the queries run on: a pool or a connection.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Queries answers the summary.
type Queries struct{ db DB }

// NewQueries returns the queries on db.
func NewQueries(db DB) *Queries { return &Queries{db: db} }

// List returns the months of the filter's parts, by part then month, and how many
// there are in all.
func (q *Queries) List(ctx context.Context, f Filter) ([]Movements, int, error) {
	where, args := "true", []any{}
	if f.Part != nil {
		args = append(args, *f.Part)
		where += " AND part = $" + strconv.Itoa(len(args))
	}
	if f.From != nil {
		args = append(args, f.From.Format(time.DateOnly))
		where += " AND month >= $" + strconv.Itoa(len(args)) + "::date"
	}
	if f.To != nil {
		args = append(args, f.To.Format(time.DateOnly))
		where += " AND month <= $" + strconv.Itoa(len(args)) + "::date"
	}
	limit := "ALL"
	if f.Limit > 0 {
		limit = strconv.Itoa(f.Limit)
	}
	rows, err := q.db.Query(ctx, fmt.Sprintf(`SELECT part, to_char(month, 'YYYY-MM-DD'),
			sum(received)::text, sum(shipped)::text, sum(consumed)::text, sum(adjusted)::text,
			coalesce(jsonb_agg(jsonb_build_object('currency', currency,
				'received', received_value::text, 'shipped', shipped_value::text,
				'consumed', consumed_value::text, 'adjusted', adjusted_value::text) ORDER BY currency)
				FILTER (WHERE currency <> ''), '[]')::text,
			count(*) OVER ()
		FROM part_monthly_movements WHERE %s
		GROUP BY part, month ORDER BY part, month LIMIT %s OFFSET %d`, where, limit, max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("monthly movements: %w", err)
	}
	defer rows.Close()
	var out []Movements
	total := 0
	for rows.Next() {
		var m Movements
		var month, values string
		var qty [4]string
		if err := rows.Scan(&m.Part, &month, &qty[0], &qty[1], &qty[2], &qty[3], &values, &total); err != nil {
			return nil, 0, fmt.Errorf("monthly movements: %w", err)
		}
		if m.Month, err = time.Parse(time.DateOnly, month); err != nil {
			return nil, 0, fmt.Errorf("monthly movements: %w", err)
		}
		for i, dst := range []*decimal.Decimal{&m.Received, &m.Shipped, &m.Consumed, &m.Adjusted} {
			if *dst, err = decimal.NewFromString(qty[i]); err != nil {
				return nil, 0, fmt.Errorf("monthly movements: %w", err)
			}
		}
		var vs []struct {
			Currency                              string
			Received, Shipped, Consumed, Adjusted decimal.Decimal
		}
		if err := json.Unmarshal([]byte(values), &vs); err != nil {
			return nil, 0, fmt.Errorf("monthly movements: values: %w", err)
		}
		for _, v := range vs {
			m.Values = append(m.Values, Value(v))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("monthly movements: %w", err)
	}
	if len(out) == 0 && f.Offset > 0 {
		// Past the end: the count comes from a query without the offset.
		n, err := q.count(ctx, where, args)
		return nil, n, err
	}
	return out, total, nil
}

func (q *Queries) count(ctx context.Context, where string, args []any) (int, error) {
	rows, err := q.db.Query(ctx, `SELECT count(*) FROM (SELECT 1 FROM part_monthly_movements WHERE `+where+` GROUP BY part, month) g`, args...)
	if err != nil {
		return 0, fmt.Errorf("monthly movements: %w", err)
	}
	n, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[int])
	if err != nil {
		return 0, fmt.Errorf("monthly movements: %w", err)
	}
	return n, nil
}
