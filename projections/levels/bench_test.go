package levels_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/projections/levels"
)

// BenchmarkStockLevelAtPastInstant measures /api/report/stock-level/'s query for one
// part at an instant in the middle of a long history. The history is built first: a
// realistic mix of stock events (envelope metadata and tracking entries included)
// appended as domain events in batches to the PostgreSQL store, then projected by the
// levels projector through a Runner, as a server would. Its size is
// STOCKLEDGER_BENCH_EVENTS (default 1,000,000); the build's rates are logged.
//
//	go test -run '^$' -bench StockLevelAtPastInstant -benchtime 200x ./projections/levels/
func BenchmarkStockLevelAtPastInstant(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("STOCKLEDGER_BENCH_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("STOCKLEDGER_BENCH_EVENTS: %v", err)
		}
	}
	h := buildHistory(b, n)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		w    levels.Where
	}{
		{"busiest part", levels.Where{Part: h.hot, Cascade: true}},
		{"busiest part, one location tree", levels.Where{Part: h.hot, Location: 1, Cascade: true}},
		{"a median part", levels.Where{Part: h.median, Cascade: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				levels, err := h.rm.Levels(ctx, bc.w, h.middle)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(levels)
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
	b.Run("busiest part's figures (part as_of)", func(b *testing.B) {
		for b.Loop() {
			if _, err := h.rm.PartFigures(ctx, h.hot, nil, h.middle); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type history struct {
	rm          *levels.ReadModel
	hot, median int64     // the part with the most movements, and one in the middle
	middle      time.Time // an instant halfway through the history
}

// The shape of the generated history.
const (
	benchParts     = 2000
	benchTopLevel  = 20 // top-level locations, each with benchChildren below it
	benchChildren  = 9
	benchBatch     = 1000 // events per append
	benchInitStock = 3    // items per part before the mix starts
)

// buildHistory appends about n stock events and projects them.
func buildHistory(b *testing.B, n int) *history {
	b.Helper()
	ctx := context.Background()
	l := ledgertest.New(b, ledgertest.Options{
		Events:     [][]domain.EventType{stock.Events()},
		Migrations: []ledgertest.Migration{levels.Migrate},
	})
	g := &generator{r: rand.New(rand.NewPCG(1, 2)), versions: map[string]uint64{}, byPart: map[int64][]int64{}, items: map[int64]*genItem{}}
	g.zipf = rand.NewZipf(g.r, 1.1, 1, benchParts-1)
	meta := eventstore.Metadata{User: "bench", UserID: 1, RequestID: "bench", CorrelationID: "bench"}
	codec, err := domain.NewCodec(stock.Events())
	if err != nil {
		b.Fatal(err)
	}

	start := time.Now()
	appended := 0
	var middle time.Time
	for appended < n {
		batch := g.batch(min(benchBatch, n-appended))
		var appends []eventstore.StreamAppend
		index := map[string]int{}
		for _, e := range batch {
			data, err := json.Marshal(e.ev)
			if err != nil {
				b.Fatal(err)
			}
			typ := e.ev.EventType()
			ne := eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: typ, Schema: codec.Schema(typ), Data: data, Metadata: meta}
			i, ok := index[e.stream]
			if !ok {
				i = len(appends)
				index[e.stream] = i
				appends = append(appends, eventstore.StreamAppend{Stream: e.stream, Expected: eventstore.Exact(g.versions[e.stream])})
			}
			appends[i].Events = append(appends[i].Events, ne)
		}
		for _, a := range appends {
			g.versions[a.Stream] += uint64(len(a.Events))
		}
		if _, err := l.Store.AppendMulti(ctx, appends...); err != nil {
			b.Fatal(err)
		}
		appended += len(batch)
		if middle.IsZero() && appended >= n/2 {
			last := appends[len(appends)-1]
			evs, err := l.Store.ReadStream(ctx, last.Stream, g.versions[last.Stream], 1)
			if err != nil || len(evs) != 1 {
				b.Fatalf("read the middle: %v", err)
			}
			middle = evs[0].RecordedAt
		}
	}
	appendTime := time.Since(start)
	head, err := l.Store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}

	start = time.Now()
	r := l.NewRunner(b, levels.NewProjector())
	ledgertest.Start(b, r)
	waitCtx, cancel := context.WithTimeout(ctx, time.Hour) // ledgertest.Wait's bound is for tests
	defer cancel()
	if err := r.WaitFor(waitCtx, head); err != nil {
		b.Fatal(err)
	}
	projectTime := time.Since(start)

	rm, err := levels.NewReadModel(l.Pool)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.Pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	h := &history{rm: rm, middle: middle}
	var moves, pairs int64
	err = l.Pool.QueryRow(ctx, `SELECT part, count(*) FROM stock_level_moves GROUP BY part ORDER BY count(*) DESC LIMIT 1`).Scan(&h.hot, &moves)
	if err == nil {
		// The median among the parts that had moved by the middle.
		err = l.Pool.QueryRow(ctx, `SELECT part FROM (SELECT part, count(*) AS n FROM stock_level_moves WHERE at <= $1 GROUP BY part) x
			ORDER BY n OFFSET (SELECT count(DISTINCT part) / 2 FROM stock_level_moves WHERE at <= $1) LIMIT 1`, middle).Scan(&h.median)
	}
	if err == nil {
		err = l.Pool.QueryRow(ctx, `SELECT count(*) FROM stock_level_balances WHERE part = $1`, h.hot).Scan(&pairs)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("history: %d events appended in %s (%.0f events/s), projected in %s (%.0f events/s); busiest part %d: %d movements over %d locations",
		appended, appendTime.Round(time.Millisecond), float64(appended)/appendTime.Seconds(),
		projectTime.Round(time.Millisecond), float64(appended)/projectTime.Seconds(), h.hot, moves, pairs)
	return h
}

// generator makes a consistent stream of stock events: locations first, then a mix of
// receipts, moves, additions, removals, counts, status changes and deletions, on parts
// chosen with a Zipf law, so a few parts are busy and most are not.
type generator struct {
	r         *rand.Rand
	zipf      *rand.Zipf
	versions  map[string]uint64
	items     map[int64]*genItem
	byPart    map[int64][]int64
	nextItem  int64
	locations int
}

type genItem struct {
	part, location int64
	qty            decimal.Decimal
	status         status.StockStatus
}

type genEvent struct {
	stream string
	ev     domain.Event
}

func (g *generator) batch(n int) []genEvent {
	var out []genEvent
	for len(out) < n {
		out = append(out, g.next())
	}
	return out
}

func (g *generator) next() genEvent {
	total := benchTopLevel * (1 + benchChildren)
	if g.locations < total {
		g.locations++
		pk := int64(g.locations)
		parent := int64(0)
		if pk > benchTopLevel {
			parent = (pk-benchTopLevel-1)/benchChildren + 1
		}
		return genEvent{loc(pk), stock.LocationCreated{PK: pk, Name: "L" + strconv.FormatInt(pk, 10), Parent: parent}}
	}
	part := int64(g.zipf.Uint64()) + 1
	pks := g.byPart[part]
	roll := g.r.IntN(100)
	if len(pks) < benchInitStock && roll >= 15 {
		roll = 0
	}
	if roll < 15 {
		return g.create(part)
	}
	pk := pks[g.r.IntN(len(pks))]
	it := g.items[pk]
	track := func(code status.TrackingType, d stock.Deltas) []stock.Entry {
		return []stock.Entry{{Type: code, Deltas: d, Notes: "bench"}}
	}
	qty := decimal.NewFromInt(int64(g.r.IntN(20) + 1))
	switch {
	case roll < 40:
		to := g.location()
		ev := stock.ItemMoved{PK: pk, Location: stock.Change[int64]{Old: it.location, New: to}, Quantity: it.qty,
			Tracking: track(status.TrackingStockMove, stock.Deltas{Location: &to, Quantity: ptr(it.qty)})}
		it.location = to
		return genEvent{item(pk), ev}
	case roll < 55 || it.qty.IsZero():
		it.qty = it.qty.Add(qty)
		return genEvent{item(pk), stock.StockAdded{PK: pk, Quantity: qty, NewQuantity: it.qty,
			Tracking: track(status.TrackingStockAdd, stock.Deltas{Added: &qty, Quantity: ptr(it.qty)})}}
	case roll < 80:
		qty = decimal.Min(qty, it.qty)
		it.qty = it.qty.Sub(qty)
		return genEvent{item(pk), stock.StockRemoved{PK: pk, Quantity: qty, NewQuantity: it.qty,
			Tracking: track(status.TrackingStockRemove, stock.Deltas{Removed: &qty, Quantity: ptr(it.qty)})}}
	case roll < 90:
		old := it.qty
		it.qty = decimal.NewFromInt(int64(g.r.IntN(100)))
		return genEvent{item(pk), stock.StockCounted{PK: pk, Counted: it.qty, OldQuantity: old, NewQuantity: it.qty,
			StocktakeDate: "2026-03-04", Tracking: track(status.TrackingStockCount, stock.Deltas{Quantity: ptr(it.qty)})}}
	case roll < 95:
		old := it.status
		it.status = status.StockQuarantined
		if old == status.StockQuarantined {
			it.status = status.StockOK
		}
		return genEvent{item(pk), stock.StatusChanged{PK: pk, Old: old, New: it.status,
			Tracking: track(status.TrackingEdited, stock.Deltas{Status: ptr(it.status), OldStatus: &old})}}
	}
	g.byPart[part] = slices.DeleteFunc(pks, func(p int64) bool { return p == pk })
	delete(g.items, pk)
	return genEvent{item(pk), stock.ItemDeleted{PK: pk, Part: part, Location: it.location, Quantity: it.qty, Reason: stock.ReasonDeleted}}
}

func (g *generator) location() int64 {
	return int64(g.r.IntN(benchTopLevel*(1+benchChildren))) + 1
}

func (g *generator) create(part int64) genEvent {
	g.nextItem++
	pk := g.nextItem
	it := &genItem{part: part, location: g.location(), qty: decimal.NewFromInt(int64(g.r.IntN(100) + 1)), status: status.StockOK}
	g.items[pk] = it
	g.byPart[part] = append(g.byPart[part], pk)
	ok := status.StockOK
	return genEvent{item(pk), stock.ItemCreated{PK: pk,
		ItemData: stock.ItemData{Part: part, Quantity: it.qty, Location: it.location, Status: it.status, DeleteOnDeplete: true},
		Tracking: []stock.Entry{{Type: status.TrackingCreated, Deltas: stock.Deltas{Status: &ok, Quantity: ptr(it.qty)}}}}}
}

// ptr is a pointer to a copy of v: the generator's item state changes after the event
// is made, and the event is encoded later.
func ptr[T any](v T) *T { return &v }
