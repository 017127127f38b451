package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/levels"
)

// The report area: stock levels at any past instant and their history, answered from
// the stock levels read model (projections/levels), never by replaying the log.
// InvenTree has no such endpoints; they take /api/stock/'s part, location and cascade
// filters and InvenTree's list conventions, and need the stock role's view permission.
//
//   - GET /api/report/stock-level/?part=&location=&cascade=&at= is the quantity in
//     stock per part and location at instant at (default: now).
//   - GET /api/report/stock-history/?part=&location=&cascade=&from=&to=&interval= is
//     one part's total over the periods from..to (to default: now) of a day, a week
//     or a month (default: day), each with its quantity at the end and its change.
//
// "In stock" is InvenTree's IN_STOCK_FILTER, as /api/part/'s in_stock. Periods are
// calendar periods in UTC, the first starting at from and the last ending at to.

// LevelQueries answers the stock levels (projections/levels.ReadModel).
type LevelQueries interface {
	Levels(ctx context.Context, w levels.Where, at time.Time) ([]levels.Level, error)
	Series(ctx context.Context, w levels.Where, points []time.Time) ([]levels.Period, error)
	PartFigures(ctx context.Context, part int64, variants []int64, at time.Time) (levels.Figures, error)
	LocationKnown(ctx context.Context, pk int64) (bool, error)
}

var _ LevelQueries = (*levels.ReadModel)(nil)

// maxPeriods bounds a stock history, so that a request cannot ask for millions of rows.
const maxPeriods = 1000

func (s *server) levelRoutes(r chi.Router) {
	if s.cfg.Levels == nil {
		return
	}
	s.handle(r, "/report/stock-level/", endpoint{Role: user.RoleStock, Get: s.stockLevel, Meta: meta{
		Name:        "Stock Level Report",
		Description: "API endpoint for the quantity of each part in stock at each location at an instant.\n\n- at: the instant (default: now)",
	}})
	s.handle(r, "/report/stock-history/", endpoint{Role: user.RoleStock, Get: s.stockHistory, Meta: meta{
		Name:        "Stock History Report",
		Description: "API endpoint for the quantity of a part in stock over time.\n\n- from, to: the span (to default: now)\n- interval: day, week or month (default: day)",
	}})
}

// levelWhere reads the part, location and cascade filters of the reports, as
// /api/stock/ reads its location and cascade: cascade is on unless turned off, and
// location=null means no location (without cascade). A location must be one that
// exists or once existed.
func (s *server) levelWhere(ctx context.Context, q *query, r *http.Request) (levels.Where, error) {
	v := r.URL.Query()
	w := levels.Where{Cascade: true}
	if pk, ok := q.pk("part"); ok {
		w.Part = pk
	}
	if c, ok := v["cascade"]; ok && len(c) > 0 {
		w.Cascade = str2bool(c[len(c)-1])
	}
	if raw := strings.TrimSpace(lastValue(v, "location")); raw != "" {
		pk, err := strconv.ParseInt(raw, 10, 64)
		switch {
		case isNullText(raw):
			w.LocationNull = true
		case err != nil || pk <= 0:
			q.errs.Add("location", msgInvalidChoice)
		default:
			known, err := s.cfg.Levels.LocationKnown(ctx, pk)
			if err != nil {
				return w, err
			}
			if !known {
				q.errs.Add("location", msgInvalidChoice)
			}
			w.Location = pk
		}
	}
	return w, nil
}

// awaitLevels brings the stock levels up to the log's head when it is known, so that a
// report shows the stock the client moved just before asking.
func (s *server) awaitLevels(ctx context.Context) error {
	if s.cfg.LogHead == nil {
		return nil
	}
	return s.awaitLogHead(ctx, levels.ProjectorName)
}

func (s *server) stockLevel(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	where, err := s.levelWhere(ctx, q, r)
	if err != nil {
		return err
	}
	at, ok := q.dateTime("at")
	if !ok {
		at = s.now()
	}
	if err := q.err(); err != nil {
		return err
	}
	if err := s.awaitLevels(ctx); err != nil {
		return err
	}
	rows, err := s.cfg.Levels.Levels(ctx, where, at)
	if err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	return writeList(w, lq, len(rows), pageRows(rows, lq))
}

func (s *server) stockHistory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	where, err := s.levelWhere(ctx, q, r)
	if err != nil {
		return err
	}
	if _, given := q.str("part"); !given {
		q.errs.Add("part", msgRequired)
	}
	from, fromOK := q.dateTime("from")
	if _, given := q.str("from"); !given {
		q.errs.Add("from", msgRequired)
	}
	to, ok := q.dateTime("to")
	if !ok {
		to = s.now()
	}
	interval := levels.Day
	if v, ok := q.str("interval"); ok {
		interval = levels.Interval(v)
		if !interval.Valid() {
			q.errs.Add("interval", "Select a valid choice. "+v+" is not one of the available choices.")
		}
	}
	var points []time.Time
	if q.err() == nil && fromOK {
		if !from.Before(to) {
			q.errs.Add("to", "Ensure this is after from.")
		} else if points = levels.Points(from, to, interval); len(points)-1 > maxPeriods {
			q.errs.Add("interval", "Ensure there are no more than "+strconv.Itoa(maxPeriods)+" periods.")
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	if err := s.awaitLevels(ctx); err != nil {
		return err
	}
	rows, err := s.cfg.Levels.Series(ctx, where, points)
	if err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	return writeList(w, lq, len(rows), pageRows(rows, lq))
}
