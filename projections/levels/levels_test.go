package levels_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections/levels"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The projector is fed batches by hand here, so that each event's recorded time is
// the test's choice (the store stamps its own): out of order ones included.

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func minute(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

type feed struct {
	t     *testing.T
	pool  *pgxpool.Pool
	p     *levels.Projector
	rm    *levels.ReadModel
	codec *domain.Codec
	seq   uint64
}

func newFeed(t *testing.T) *feed {
	pool := pgtest.NewPool(t)
	if err := levels.Migrate(context.Background(), pool, nil); err != nil {
		t.Fatal(err)
	}
	rm, err := levels.NewReadModel(pool)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := domain.NewCodec(stock.Events())
	if err != nil {
		t.Fatal(err)
	}
	return &feed{t: t, pool: pool, p: levels.NewProjector(), rm: rm, codec: codec}
}

// event is one event for a batch: its stream, its recorded time and the event.
type event struct {
	stream string
	at     time.Time
	ev     domain.Event
}

func (f *feed) batch(evs ...event) {
	f.t.Helper()
	var batch []eventstore.Recorded
	for _, e := range evs {
		data, err := json.Marshal(e.ev)
		if err != nil {
			f.t.Fatal(err)
		}
		f.seq++
		batch = append(batch, eventstore.Recorded{Stream: e.stream, Type: e.ev.EventType(), Schema: f.codec.Schema(e.ev.EventType()),
			Data: data, RecordedAt: e.at, Position: eventstore.Position{Commit: f.seq}})
	}
	err := pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
		return f.p.Project(context.Background(), tx, batch)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// levels reads the levels of w at instant at as "location:quantity" per pair.
func (f *feed) levels(w levels.Where, at time.Time) map[string]string {
	f.t.Helper()
	rows, err := f.rm.Levels(context.Background(), w, at)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range rows {
		loc := int64(0)
		if l.Location != nil {
			loc = *l.Location
		}
		out[fmt.Sprintf("%d@%d", l.Part, loc)] = l.Quantity.String()
	}
	return out
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func item(pk int64) string { return fmt.Sprintf("stockitem-%d", pk) }
func loc(pk int64) string  { return fmt.Sprintf("stocklocation-%d", pk) }

func created(pk, part, location int64, qty string) stock.ItemCreated {
	return stock.ItemCreated{PK: pk, ItemData: stock.ItemData{Part: part, Location: location, Quantity: d(qty), Status: status.StockOK}}
}

func wantLevels(t *testing.T, name string, got map[string]string, want ...string) {
	t.Helper()
	exp := map[string]string{}
	for i := 0; i+1 < len(want); i += 2 {
		exp[want[i]] = want[i+1]
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Errorf("%s: levels %v, want %v", name, got, exp)
	}
}

func TestLevelsFollowItems(t *testing.T) {
	f := newFeed(t)
	all := levels.Where{Cascade: true}
	f.batch(
		event{loc(1), minute(0), stock.LocationCreated{PK: 1, Name: "Shelf"}},
		event{loc(2), minute(0), stock.LocationCreated{PK: 2, Name: "Bin"}},
		event{item(1), minute(1), created(1, 7, 1, "10")},
		event{item(2), minute(1), created(2, 8, 0, "3")}, // at no location
	)
	// The next batch folds item 1 from its stored state.
	f.batch(
		event{item(1), minute(2), stock.ItemMoved{PK: 1, Location: stock.Change[int64]{Old: 1, New: 2}, Quantity: d("10")}},
		event{item(1), minute(3), stock.StockRemoved{PK: 1, Quantity: d("4"), NewQuantity: d("6")}},
	)
	f.batch(event{item(1), minute(4), stock.StatusChanged{PK: 1, Old: status.StockOK, New: status.StockLost}})
	f.batch(
		event{item(1), minute(5), stock.StatusChanged{PK: 1, Old: status.StockLost, New: status.StockOK}},
		event{item(1), minute(6), stock.ItemDeleted{PK: 1, Part: 7, Location: 2, Quantity: d("6"), Reason: stock.ReasonDeleted}},
	)
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{minute(0), nil},
		{minute(1), []string{"7@1", "10", "8@0", "3"}},
		{minute(2), []string{"7@2", "10", "8@0", "3"}},
		{minute(3).Add(-time.Microsecond), []string{"7@2", "10", "8@0", "3"}},
		{minute(3), []string{"7@2", "6", "8@0", "3"}},
		{minute(4), []string{"8@0", "3"}}, // lost: not in stock
		{minute(5), []string{"7@2", "6", "8@0", "3"}},
		{minute(6), []string{"8@0", "3"}},
	} {
		wantLevels(t, tc.at.Format("15:04:05.000000"), f.levels(all, tc.at), tc.want...)
	}
	wantLevels(t, "part 7 at the bin", f.levels(levels.Where{Part: 7, Location: 2}, minute(3)), "7@2", "6")
	wantLevels(t, "no location", f.levels(levels.Where{LocationNull: true}, minute(3)), "8@0", "3")
	wantLevels(t, "no location, cascading: everything", f.levels(levels.Where{LocationNull: true, Cascade: true}, minute(3)), "7@2", "6", "8@0", "3")

	// A lost item still exists: the part's item count keeps it, its stock does not.
	fig, err := f.rm.PartFigures(context.Background(), 7, nil, minute(4))
	if err != nil || !fig.InStock.IsZero() || fig.Items != 1 {
		t.Errorf("part 7 figures while lost: %+v, %v", fig, err)
	}
	if fig, _ := f.rm.PartFigures(context.Background(), 7, nil, minute(6)); fig.Items != 0 {
		t.Errorf("part 7 figures after the deletion: %+v", fig)
	}
}

// TestLevelsLateTransaction: the store stamps an event when its transaction began, so
// an event can come later in the log than one stamped after it. Its change counts
// from the time of the pair's change before it, never before.
func TestLevelsLateTransaction(t *testing.T) {
	f := newFeed(t)
	f.batch(
		event{loc(1), minute(0), stock.LocationCreated{PK: 1, Name: "Shelf"}},
		event{item(1), minute(10), created(1, 7, 1, "10")},
		event{item(1), minute(5), stock.StockAdded{PK: 1, Quantity: d("5"), NewQuantity: d("15")}},
	)
	all := levels.Where{Cascade: true}
	wantLevels(t, "before both", f.levels(all, minute(7)))
	wantLevels(t, "after both", f.levels(all, minute(10)), "7@1", "15")
}

// TestLevelsLocationTreeThroughTime: a cascade counts the locations below as the tree
// stood at the instant asked about; an external flag likewise.
func TestLevelsLocationTreeThroughTime(t *testing.T) {
	f := newFeed(t)
	f.batch(
		event{loc(1), minute(0), stock.LocationCreated{PK: 1, Name: "Warehouse"}},
		event{loc(2), minute(0), stock.LocationCreated{PK: 2, Name: "Shelf", Parent: 1}},
		event{loc(3), minute(0), stock.LocationCreated{PK: 3, Name: "Truck", External: true}},
		event{item(1), minute(1), created(1, 7, 2, "4")},
		event{loc(2), minute(5), stock.LocationUpdated{PK: 2, Parent: &stock.Change[int64]{Old: 1, New: 3}}},
		event{loc(3), minute(8), stock.LocationUpdated{PK: 3, External: &stock.Change[bool]{Old: true, New: false}}},
	)
	in := func(l int64) levels.Where { return levels.Where{Location: l, Cascade: true} }
	wantLevels(t, "warehouse before the move", f.levels(in(1), minute(4)), "7@2", "4")
	wantLevels(t, "warehouse after the move", f.levels(in(1), minute(5)))
	wantLevels(t, "truck after the move", f.levels(in(3), minute(5)), "7@2", "4")
	wantLevels(t, "the shelf alone", f.levels(levels.Where{Location: 2}, minute(9)), "7@2", "4")
	// External is the shelf's own flag, which it never had: the truck's does not pass
	// down (InvenTree's external_stock looks at the item's location itself).
	if fig, _ := f.rm.PartFigures(context.Background(), 7, nil, minute(6)); !fig.ExternalStock.IsZero() || !fig.InStock.Equal(d("4")) {
		t.Errorf("figures: %+v", fig)
	}
	known, err := f.rm.LocationKnown(context.Background(), 3)
	if err != nil || !known {
		t.Errorf("location 3 known: %v, %v", known, err)
	}
	if known, _ := f.rm.LocationKnown(context.Background(), 4); known {
		t.Error("location 4 known")
	}
}

func TestPoints(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, tc := range []struct {
		from, to string
		i        levels.Interval
		want     int
	}{
		{"2024-01-30T12:00:00Z", "2024-02-02T00:00:00Z", levels.Day, 4},
		{"2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", levels.Day, 2},
		{"2024-01-03T00:00:00Z", "2024-01-20T00:00:00Z", levels.Week, 4},
		{"2024-01-15T00:00:00Z", "2024-03-15T00:00:00Z", levels.Month, 4},
		{"2024-01-15T00:00:00Z", "2024-01-15T00:00:01Z", levels.Month, 2},
	} {
		if got := levels.Points(at(tc.from), at(tc.to), tc.i); len(got) != tc.want {
			t.Errorf("Points(%s, %s, %s) = %v, want %d points", tc.from, tc.to, tc.i, got, tc.want)
		}
	}
}
