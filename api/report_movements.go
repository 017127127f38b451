package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/monthly"
)

// MovementQueries answers the monthly movement summary (projections/monthly.Queries).
type MovementQueries interface {
	List(ctx context.Context, f monthly.Filter) ([]monthly.Movements, int, error)
}

// reportRoutes serves Stockledger's own reports under /api/report/. InvenTree has no
// such endpoints; they follow its list conventions (limit and offset paging) and its
// roles (stock view).
//
//   - GET /report/monthly-movements/?part=&from=YYYY-MM&to=YYYY-MM: per part and month,
//     the quantities received, shipped, consumed and adjusted, and their value per
//     currency (see projections/monthly for what counts as what).
func (s *server) reportRoutes(r chi.Router) {
	if s.cfg.Movements == nil {
		return
	}
	s.handle(r, "/report/monthly-movements/", endpoint{Role: user.RoleStock, Get: s.listMonthlyMovements, Meta: meta{
		Name:        "Monthly Movements",
		Description: "Stock received, shipped, consumed and adjusted per part and month, with its value.",
	}})
}

type movementValueBody struct {
	Currency string `json:"currency"`
	Received string `json:"received"`
	Shipped  string `json:"shipped"`
	Consumed string `json:"consumed"`
	Adjusted string `json:"adjusted"`
}

type movementsBody struct {
	Part     int64               `json:"part"`
	Month    string              `json:"month"`
	Received json.Number         `json:"received"`
	Shipped  json.Number         `json:"shipped"`
	Consumed json.Number         `json:"consumed"`
	Adjusted json.Number         `json:"adjusted"`
	Value    []movementValueBody `json:"value"`
}

func (s *server) listMonthlyMovements(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := newQuery(r)
	var f monthly.Filter
	if pk, ok := q.pk("part"); ok {
		f.Part = &pk
	}
	f.From, f.To = queryMonth(q, "from"), queryMonth(q, "to")
	if err := q.err(); err != nil {
		return err
	}
	// A report answers for everything written before it was asked for: while the
	// summary is still being built from the history (a server's first start with it),
	// or is behind, the client gets 503 rather than a partial report.
	if err := s.awaitLogHead(ctx, monthly.Name); err != nil {
		return err
	}
	lq := s.listQuery(r, ordering{})
	f.Limit, f.Offset = lq.Limit, lq.Offset
	ms, total, err := s.cfg.Movements.List(ctx, f)
	if err != nil {
		return err
	}
	rows := make([]movementsBody, len(ms))
	for i, m := range ms {
		rows[i] = movementsBody{Part: m.Part, Month: m.Month.Format("2006-01"),
			Received: number(m.Received), Shipped: number(m.Shipped), Consumed: number(m.Consumed), Adjusted: number(m.Adjusted),
			Value: []movementValueBody{}}
		for _, v := range m.Values {
			rows[i].Value = append(rows[i].Value, movementValueBody{Currency: v.Currency,
				Received: v.Received.StringFixed(6), Shipped: v.Shipped.StringFixed(6),
				Consumed: v.Consumed.StringFixed(6), Adjusted: v.Adjusted.StringFixed(6)})
		}
	}
	return writeList(w, lq, total, rows)
}

// number writes a quantity as a JSON number, exactly.
func number(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// queryMonth reads a YYYY-MM parameter as the first day of that month.
func queryMonth(q *query, name string) *time.Time {
	v, ok := q.str(name)
	if !ok {
		return nil
	}
	t, err := time.Parse("2006-01", v)
	if err != nil {
		q.errs.Add(name, "Enter a valid month (YYYY-MM).")
		return nil
	}
	return &t
}
