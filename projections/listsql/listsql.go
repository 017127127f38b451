// Package listsql builds the SELECT of a read-model list: conditions with their
// arguments, DRF's search, the page. The ordering comes ready from api/ (ListQuery:
// trusted SQL from an endpoint's whitelist, ending with the primary key).
package listsql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DB is what the queries need: a pool, a connection or a transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// List is how a list request wants its rows, as api/ read it.
type List struct {
	// Limit is the page size, 0 for every row; Offset how many to skip.
	Limit, Offset int
	// OrderBy is an SQL ORDER BY list from the endpoint's whitelist; "" for none.
	OrderBy string
	// Search holds the search terms: each must match one of the searched columns.
	Search []string
	// SearchRegex: the terms are regular expressions.
	SearchRegex bool
}

// Query collects the conditions and arguments of one SELECT.
type Query struct {
	where []string
	args  []any
}

// Args are the arguments collected so far.
func (q *Query) Args() []any { return q.args }

// Arg adds an argument and returns its placeholder.
func (q *Query) Arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// Cond adds a condition.
func (q *Query) Cond(c string) { q.where = append(q.where, c) }

// Equal adds "column = v" when v is set: a filter the request named.
func Equal[T any](q *Query, column string, v *T) {
	if v != nil {
		q.Cond(column + " = " + q.Arg(*v))
	}
}

// Where is the WHERE clause, "" without conditions.
func (q *Query) Where() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

// Search adds DRF's SearchFilter over columns: every term must appear,
// case-insensitively, in one of them (or match it, with regular expressions).
func (q *Query) Search(l List, columns ...string) {
	for _, term := range l.Search {
		var p, op string
		if l.SearchRegex {
			p, op = q.Arg(term), " ~* "
		} else {
			p, op = q.Arg("%"+likeEscaper.Replace(term)+"%"), " ILIKE "
		}
		ors := make([]string, len(columns))
		for i, c := range columns {
			ors[i] = "coalesce(" + c + "::text, '')" + op + p
		}
		q.Cond("(" + strings.Join(ors, " OR ") + ")")
	}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Tail is the ORDER BY and the page of l, dflt ordering when l has none.
func (q *Query) Tail(l List, dflt string) string {
	order := l.OrderBy
	if order == "" {
		order = dflt
	}
	s := ""
	if order != "" {
		s = " ORDER BY " + order
	}
	if l.Limit > 0 {
		s += " LIMIT " + q.Arg(l.Limit)
	}
	if l.Offset > 0 {
		s += " OFFSET " + q.Arg(l.Offset)
	}
	return s
}

// Count counts the rows of from that the conditions select.
func (q *Query) Count(ctx context.Context, db DB, from string) (int, error) {
	var n int
	err := db.QueryRow(ctx, "SELECT count(*) FROM "+from+q.Where(), q.args...).Scan(&n)
	return n, err
}

// Page counts the rows of from that q selects and reads the page l asks for, in l's
// ordering or else dflt, each row scanned with scan: a list endpoint's count and
// results.
func Page[T any](ctx context.Context, db DB, q *Query, columns, from string, l List, dflt string, scan func(pgx.Row) (T, error)) ([]T, int, error) {
	total, err := q.Count(ctx, db, from)
	if err != nil {
		return nil, 0, fmt.Errorf("count: %w", err)
	}
	rows, err := Scan(ctx, db, "SELECT "+columns+" FROM "+from+q.Where()+q.Tail(l, dflt), q.Args(), scan)
	if err != nil {
		return nil, 0, fmt.Errorf("list: %w", err)
	}
	return rows, total, nil
}

// Scan runs sql with args and scans every row with scan.
func Scan[T any](ctx context.Context, db DB, sql string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
