package api

import (
	"context"
	"net/http"
	"time"

	"github.com/stockledger/stockledger/projections/parts"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// Time travel: GET /api/stock/{id}/ and /api/part/{id}/ with ?as_of=TIME answer with the
// object as it stood at that instant (history.Service replays its stream up to then),
// in the shape they have without as_of; 404 when it did not exist yet. TIME is an ISO
// 8601 date/time (see parseDateTime), compared with the ledger's recorded times, which
// the audit log shows.

// HistoryQueries answers "as of" questions (history.Service).
type HistoryQueries interface {
	StockItem(ctx context.Context, pk int64, at time.Time, f stockrm.ItemFilter) ([]byte, error)
	Part(ctx context.Context, pk int64, at time.Time, d parts.PartDetail) (parts.Part, error)
}

// asOf reads the as_of parameter: ok is false when there is none, and a bad one is a
// 400 on as_of.
func (s *server) asOf(r *http.Request) (at time.Time, ok bool, err error) {
	q := newQuery(r)
	if _, given := q.str("as_of"); !given {
		return time.Time{}, false, nil
	}
	at, _ = q.dateTime("as_of")
	if s.cfg.History == nil {
		q.errs.Add("as_of", "This server does not answer as_of.")
	}
	return at, true, q.err()
}

// writeItemAsOf answers stock item pk as it stood at instant at, "expired" and "stale"
// judged on that day.
func (s *server) writeItemAsOf(w http.ResponseWriter, r *http.Request, pk int64, at time.Time) error {
	f := s.itemOutput(r)
	f.Today = at
	doc, err := s.cfg.History.StockItem(r.Context(), pk, at, f)
	if err != nil {
		return err
	}
	return writeRendered(w, http.StatusOK, doc)
}

// writePartAsOf answers part pk as it stood at instant at. Its stock figures come from
// the stock levels, brought up to the log's head first, as the reports do.
func (s *server) writePartAsOf(w http.ResponseWriter, r *http.Request, pk int64, at time.Time) error {
	if err := s.awaitLevels(r.Context()); err != nil {
		return err
	}
	p, err := s.cfg.History.Part(r.Context(), pk, at, partDetail(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
